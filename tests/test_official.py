"""Official data in: DAM_DAN-shaped layers, Korean encodings, QGIS files, names a person types.

The fixtures are made here: a shapefile shaped like the national boundary layer
(DAN_ID, DAN_NAME, DANJI_TYPE; EPSG:5186; CP949 attributes; no .cpg), and plans
as Korean QGIS writes them.
"""

from __future__ import annotations

import json
import re
import unicodedata
import warnings

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely import Point, box

import sandan_geo as sg
from sandan_geo.cli import cli

# Two complexes near 대구 in lon/lat, written to the layer in EPSG:5186.
SEODAEGU_BOX = box(128.540, 35.870, 128.560, 35.890)
DAEGU3_BOX = box(128.560, 35.900, 128.585, 35.915)
FAR_BOX = box(126.60, 37.40, 126.62, 37.42)  # 인천: matches nothing of 대구


def dam_dan(folder, rows, *, cpg=False, name="DAM_DAN.shp", crs="EPSG:5186"):
    """Write a DAM_DAN-shaped shapefile: CP949 attributes, no .cpg by default."""
    frame = gpd.GeoDataFrame(
        {
            "DAN_ID": [r[0] for r in rows],
            "DAN_NAME": [r[1] for r in rows],
            "DANJI_TYPE": [r[2] for r in rows],
            "비고": ["시험"] * len(rows),
        },
        geometry=[r[3] for r in rows],
        crs="EPSG:4326",
    ).to_crs(crs)
    path = folder / name
    frame.to_file(path, encoding="cp949")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def user_plan(**extra_site):
    """A plan of the user's own, with DAN_ID codes on its sites."""
    return sg.load_plan(
        {
            "id": "mine",
            "rules": [{"type": "max_distance", "km": 7.5, "metric": "boundary"}],
            "sites": [
                {
                    "key": "hub1",
                    "name": "서대구일반산업단지",
                    "role": "hub",
                    "lon": 128.55,
                    "lat": 35.88,
                    "area_m2": 2_600_000,
                    "dan_id": ["900001"],
                },
                {
                    "key": "l1",
                    "name": "대구제3일반산업단지",
                    "role": "linked_complex",
                    "lon": 128.572,
                    "lat": 35.907,
                    "area_m2": 3_000_000,
                    **extra_site,
                },
                {"key": "z1", "name": "연계지역", "role": "linked_zone", "lon": 128.6, "lat": 35.9},
            ],
            "links": [{"from": "hub1", "to": "l1"}, {"from": "z1", "to": "hub1"}],
        }
    )


ROWS = [
    ("900001", "서대구산업단지", "일반", SEODAEGU_BOX),
    ("900002", "대구제3산업단지", "일반", DAEGU3_BOX),
    ("900003", "인천남동국가산업단지", "국가", FAR_BOX),
]


def test_the_layer_attaches_by_dan_id_then_by_name_and_says_so(tmp_path):
    path = dam_dan(tmp_path, ROWS)
    with pytest.warns(sg.SandanGeoWarning, match="read as CP949"):
        plan = sg.attach_boundaries(user_plan(), path)
    record = plan.meta["boundaries"]
    assert record["sites"]["hub1"] == {
        "status": "official",
        "by": "DAN_ID",
        "features": 1,
        "codes": ["900001"],
        "names": ["서대구산업단지"],  # decoded: not '¼­´ë±¸...'
        "moved_m": record["sites"]["hub1"]["moved_m"],
    }
    assert record["sites"]["l1"]["by"] == "name"  # no code: 대구제3 일반산업단지 ~ 대구제3산업단지
    assert record["sites"]["z1"] == {"status": "point"}
    assert (record["features"], record["features_unmatched"]) == (3, 1)
    assert record["encoding"] == "cp949" and record["encoding_guessed"]
    hub = plan.member("hub1").site
    assert hub.extent_source == "official"
    minx, miny, maxx, maxy = hub.extent.bounds
    assert (minx, miny, maxx, maxy) == pytest.approx(SEODAEGU_BOX.bounds, abs=1e-6)
    assert hub.extent.contains(hub.point)  # the point moved onto the official outline
    text = sg.describe_attach(record)
    assert "2 of 3 sites got an official outline" in text and "1 of 3 features" in text


def test_a_layer_that_matches_nothing_is_an_input_error_naming_the_fields(tmp_path):
    path = dam_dan(tmp_path, [ROWS[2]], cpg=True)
    with pytest.raises(sg.InputError) as info:
        sg.attach_boundaries(user_plan(), path)
    message = str(info.value)
    assert "no feature matches any site of plan 'mine'" in message
    assert "DAN_ID codes in field 'DAN_ID'" in message and "names in field 'DAN_NAME'" in message
    r = CliRunner().invoke(cli, ["validate", "daegu-2020", "--boundaries", str(path)])
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.output


def test_korean_field_names_and_a_chosen_name_field(tmp_path):
    frame = gpd.GeoDataFrame(
        {"단지명": ["서대구산단"], "구분": ["일반산업단지"]},
        geometry=[SEODAEGU_BOX],
        crs="EPSG:4326",
    ).to_crs("EPSG:5186")
    path = tmp_path / "korean.shp"
    frame.to_file(path, encoding="cp949")
    path.with_suffix(".cpg").unlink()
    with pytest.warns(sg.SandanGeoWarning, match="field '´ÜÁö¸í'.*'단지명'"):
        plan = sg.attach_boundaries(user_plan(), path)  # 단지명 is a default name field
    assert plan.meta["boundaries"]["sites"]["hub1"]["by"] == "name"
    with pytest.raises(sg.SchemaError, match="no field 'NAME_X'; fields are: 단지명, 구분"):
        sg.attach_boundaries(user_plan(), path, name_field="NAME_X", encoding="cp949")


def test_key_field_still_matches_site_keys(tmp_path):
    frame = gpd.GeoDataFrame({"code": ["l1"]}, geometry=[DAEGU3_BOX], crs="EPSG:4326")
    path = tmp_path / "mine.gpkg"
    frame.to_file(path)
    plan = sg.attach_boundaries(user_plan(), path, key_field="code")
    assert plan.meta["boundaries"]["sites"]["l1"]["by"] == "key"
    assert plan.member("hub1").site.extent_source == "approximate"


def test_an_outline_far_from_its_site_warns_with_the_distance(tmp_path):
    # EPSG:5187 data labelled 5186: the outline lands ~170 km away from the site
    frame = gpd.GeoDataFrame(
        {"DAN_ID": ["900001"], "DAN_NAME": ["서대구산업단지"]},
        geometry=[SEODAEGU_BOX],
        crs="EPSG:4326",
    ).to_crs("EPSG:5187")
    frame = frame.set_crs("EPSG:5186", allow_override=True)
    path = tmp_path / "mislabelled.gpkg"
    frame.to_file(path)
    with pytest.warns(sg.SandanGeoWarning, match=r"site 'hub1' .* lies \d+\.\d km from"):
        sg.attach_boundaries(user_plan(), path)


def test_the_layer_read_as_sites_gives_every_complex_with_its_outline(tmp_path):
    path = dam_dan(tmp_path, ROWS)
    with pytest.warns(sg.SandanGeoWarning, match="CP949"):
        sites = sg.load_sites(path)
    assert list(sites) == ["900001", "900002", "900003"]
    s = sites["900003"]
    assert (s.name_ko, s.kind, s.extent_source, s.dan_ids) == (
        "인천남동국가산업단지",
        sg.Kind.NATIONAL,
        "official",
        ("900003",),
    )
    assert s.extent.contains(s.point)
    # candidates searches the layer's outlines
    r = CliRunner().invoke(
        cli, ["candidates", "900001", "--sites", str(path), "--max-km", "5", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    found = json.loads(r.stdout)
    assert [c["key"] for c in found["candidates"]] == ["900002"]
    assert found["candidates"][0]["name_ko"] == "대구제3산업단지"


def test_cp949_shapefile_plan_from_korean_qgis_loads_with_its_names(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "fid": [1, 2],
            "key": ["hub1", "l1"],
            "name": ["성서산단", "서대구산단"],
            "role": ["거점산단", "연계산단"],
            "비고": ["메모", None],
        },
        geometry=[Point(128.50, 35.84), Point(128.55, 35.88)],
        crs="EPSG:4326",
    ).to_crs("EPSG:5186")
    path = tmp_path / "plan.shp"
    frame.to_file(path, encoding="cp949")
    path.with_suffix(".cpg").unlink()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        plan = sg.load_plan(path)
    messages = [str(w.message) for w in seen]
    assert any("read as CP949" in m for m in messages), messages
    assert any("no value-chain link" in m for m in messages), messages
    assert plan.hub.site.name_ko == "성서산단"
    assert plan.member("l1").role is sg.Role.LINKED_COMPLEX
    assert plan.hub.site.attrs["비고"] == "메모" and plan.hub.site.attrs["fid"] == 1
    # no links: one clear failing check, not one per site
    connected = [c for c in sg.check_plan(plan, max_km=10).checks if c.rule_type != "max_distance"]
    assert len(connected) == 1 and "no value-chain links" in connected[0].note


def test_geojson_plan_as_qgis_writes_it(tmp_path):
    nfd = unicodedata.normalize("NFD", "자동차부품")
    doc = {
        "type": "FeatureCollection",
        "name": "plan",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "fid": 1,
                    "key": "hub1",
                    "name": "거점",
                    "role": "거점산단",
                    "industries": nfd,
                    "비고": None,
                    "uncertainty_m": 250,
                },
                "geometry": {"type": "Point", "coordinates": [128.50, 35.84]},
            },
            {
                "type": "Feature",
                "properties": {
                    "fid": 2,
                    "key": "z1",
                    "name": "지역",
                    "role": "연계지역",
                    "비고": "확인 필요",
                },
                "geometry": {"type": "Point", "coordinates": [128.55, 35.88]},
            },
            {
                "type": "Feature",
                "properties": {"fid": 3, "from": "z1", "to": "hub1", "relation": "인력"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[128.55, 35.88], [128.5, 35.84]],
                },
            },
        ],
    }
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    plan = sg.load_plan(path)
    hub = plan.hub.site
    assert hub.industries == ("자동차부품",)  # NFD typed on a Mac comes back NFC
    assert hub.uncertainty_m == 250.0 and hub.attrs["fid"] == 1 and "비고" not in hub.attrs
    assert plan.member("z1").role is sg.Role.LINKED_ZONE
    assert plan.links[0].attrs == {"fid": 3}
    check = sg.check_plan(plan, max_km=10, metric="centroid").checks[0]
    assert check.uncertainty_m == (250.0, 0.0)


def test_cp949_text_with_a_bom_does_not_glue_the_bom_to_the_first_key(tmp_path):
    text = "id: 계획\nsites:\n  - {key: hub1, name: 거점, role: hub, lon: 128.5, lat: 35.84}\n"
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("cp949"))
    with pytest.warns(sg.SandanGeoWarning, match="CP949"):
        plan = sg.load_plan(path)
    assert plan.id == "계획"
    assert sg.load_plan(path, encoding="cp949").hub.site.name_ko == "거점"


def test_names_a_person_types(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["site", "광양 국가산업단지"])
    assert r.exit_code == 0 and r.stdout.startswith("gwangyang  광양국가산업단지")
    r = runner.invoke(cli, ["site", "광양국가산단지"])
    assert r.exit_code == 2 and "did you mean 광양국가산업단지 (gwangyang)" in r.stderr
    plan_file = tmp_path / "p.yaml"
    plan_file.write_text(
        "id: p\nsites:\n  - {key: h, name: 거점, role: hub, lon: 128.5, lat: 35.84}\n"
        "  - {key: l, ref: seodaegu, role: linked_complex}\nlinks:\n  - {from: h, to: l}\n",
        encoding="utf-8",
    )
    r = runner.invoke(cli, ["compare", str(plan_file), "daegu-2020"])
    assert r.exit_code == 0 and not re.search(r"\bnan\b", r.stdout), r.stdout
    assert "(announced ?)" in r.stdout


def test_every_plan_validates_and_metric_overrides_road_rules(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["validate", "gyeongbuk-2020", "gwangju-2020", "--format", "json"])
    assert r.exit_code in (0, 1, 4), r.output
    reports = json.loads(r.stdout)
    assert [x["rules_source"] for x in reports] == ["none", "none"]
    assert all(c["verdict"] in ("info", "pass", "fail") for x in reports for c in x["checks"])
    road_plan = tmp_path / "road.yaml"
    road_plan.write_text(
        "id: r\nrules: [{type: max_distance, km: 20, metric: road}]\nsites:\n"
        "  - {key: h, name: 거점, role: hub, lon: 128.5, lat: 35.84}\n"
        "  - {key: l, name: 연계, role: linked_complex, lon: 128.55, lat: 35.88}\n"
        "links:\n  - {from: h, to: l}\n",
        encoding="utf-8",
    )
    r = runner.invoke(cli, ["validate", str(road_plan), "--metric", "centroid"])
    assert r.exit_code == 0, r.output
    assert "max_distance(20 km, centroid, hub_to_linked)" in r.stdout


def test_cli_attach_reports_on_stderr_and_in_the_json(tmp_path):
    path = dam_dan(tmp_path, ROWS, cpg=True)
    plan = tmp_path / "mine.yaml"
    sg.save_plan(user_plan(), plan)
    r = CliRunner().invoke(
        cli, ["validate", str(plan), "--boundaries", str(path), "--format", "json"]
    )
    assert r.exit_code in (0, 1, 4), r.output
    assert "boundaries for mine: DAM_DAN.shp: 2 of 3 sites got an official outline" in r.stderr
    report = json.loads(r.stdout)
    assert report["boundaries"]["sites"]["hub1"]["by"] == "DAN_ID"
    check = next(
        c for c in report["checks"] if c["to"] == "l1" and c["rule_type"] == "max_distance"
    )
    assert (check["from_extent"], check["to_extent"]) == ("official", "official")
    assert check["range_km"] == [check["value_km"], check["value_km"]]  # no uncertainty left
