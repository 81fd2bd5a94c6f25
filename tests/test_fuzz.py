"""A time-bounded fuzz of the loaders (issue 9): only InputError may come out.

Valid YAML and GeoJSON plans (and sites and rules files) are mutated in text
(characters deleted, inserted, replaced, repeated; the file cut short), in bytes
(for the decoders) and in structure (random JSON values put into fields, fields
removed, values wrapped in lists and mappings), and random documents are made
from scratch. Each result is written to a file and read by ``load_plan``,
``load_sites`` or ``load_rules_file`` + ``parse_rules``. Reading may succeed or
raise :class:`sandan_geo.InputError` (or a subclass) naming the file; anything
else fails the test. A plan that loads must also check, report and export.

Each test runs at most 300 examples with no deadline; the module takes well
under a minute (about 20 s). ``KNOWN_BUGS`` lists crashes already recorded as strict-xfail
entries of the corpus (``tests/corpus/manifest.yaml``); the fuzz tolerates them
until they are fixed, and ``test_known_bugs_are_still_open`` says when to drop one.
"""

from __future__ import annotations

import copy
import json
import traceback
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sandan_geo as sg

CORPUS = Path(__file__).parent / "corpus"

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# --------------------------------------------------------------------------- seeds

PLAN_YAML = [
    (CORPUS / "encoding" / "utf8.yaml").read_text(encoding="utf-8"),
    (CORPUS / "plan" / "cycle-three.yaml").read_text(encoding="utf-8"),
    (CORPUS / "plan" / "hostile-text.yaml").read_text(encoding="utf-8"),
    """\
id: fuzz
name: 퍼즈
rules: [{type: max_distance, km: 7.5, metric: boundary}, {type: value_chain_connected}]
sites:
  - {key: hub1, name: 거점산단, role: hub, lon: 128.50, lat: 35.84, area_m2: 2500000, industries: [기계]}
  - key: l1
    name: 연계산단
    role: linked_complex
    kind: general
    boundary: {type: Polygon, coordinates: [[[128.54, 35.87], [128.56, 35.87], [128.56, 35.89], [128.54, 35.89], [128.54, 35.87]]]}
  - key: z1
    name: 연계지역
    role: linked_zone
    parts: [{name: 가, lon: 128.60, lat: 35.90, area_m2: 100000}, {name: 나, lon: 128.62, lat: 35.91}]
  - {key: r1, role: linked_complex, ref: seodaegu}
links:
  - {from: hub1, to: l1, relation: 부품}
  - {from: l1, to: z1}
""",
]
PLAN_GEOJSON = [
    (CORPUS / "geojson" / "crs-4326.geojson").read_text(encoding="utf-8"),
    (CORPUS / "geojson" / "crs-5179.geojson").read_text(encoding="utf-8"),
    json.dumps(sg.plan_to_geojson(sg.load_plan(yaml.safe_load(PLAN_YAML[3]))), ensure_ascii=False),
]
SITES_YAML = ["sites:\n  - {key: a, name: 가, lon: 127.0, lat: 37.0, area_m2: 1000000}\n"]
RULES_YAML = [
    "- {type: max_distance, km: 7.5, metric: boundary, between: links}\n"
    "- {type: value_chain_connected, directed: true}\n",
    "rules: daegu\n",
]

# Characters that matter to YAML, JSON and the decoders.
SPECIAL = [
    *"{}[]:,-&*!|>?'\"#%@`\\ \n\t.eE+0123456789",
    "\x00",
    "\ufeff",
    "\x1b",
    "\u2028",
    "가",
    "\xa0",
    "~",
    "null",
    ".nan",
    "-.inf",
    "NaN",
    "1e400",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object:os.system ",
    "!!binary ",
    "!!int ",
    "!!bool ",
    "!!timestamp ",
    "2020-13-45",
    "9" * 5000,
    "---\n",
    "...\n",
]
SNIPPETS = st.lists(st.sampled_from(SPECIAL), min_size=1, max_size=6).map("".join) | st.text(
    max_size=8
)


@st.composite
def mutated_text(draw: Any, seeds: list[str]) -> str:
    """A seed with 1–8 random edits: delete, insert, replace, repeat a slice, or cut it short."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "repeat", "truncate"]))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(SNIPPETS) + text[i:]
        elif op == "replace":
            text = text[:i] + draw(SNIPPETS) + text[j:]
        elif op == "repeat":
            text = text[:j] + text[i:j] * draw(st.integers(1, 4)) + text[j:]
        else:
            text = text[:i]
    return text


@st.composite
def mutated_bytes(draw: Any, seeds: list[str]) -> bytes:
    """A seed in UTF-8, UTF-8 with BOM or CP949, with a few bytes flipped."""
    text = draw(st.sampled_from(seeds))
    data = bytearray(
        draw(
            st.sampled_from(
                [text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode(), text.encode("cp949")]
            )
        )
    )
    for _ in range(draw(st.integers(0, 4))):
        if data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
    return bytes(data)


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(
        ["hub", "linked_zone", "Polygon", "Point", "FeatureCollection", "", "hub1", "l1"]
    )
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _set(doc: Any, path: tuple, value: Any, *, delete: bool = False) -> Any:
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@st.composite
def mutated_structure(draw: Any, seeds: list[str]) -> Any:
    """A parsed seed with 1–4 structural edits: a random value, a deletion or a wrapping."""
    doc = copy.deepcopy(yaml.safe_load(draw(st.sampled_from(seeds))))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths[1:] or paths))  # the root only when nothing else
        op = draw(st.sampled_from(["value", "delete", "wrap-list", "wrap-map", "nest"]))
        if op == "delete" and path:
            doc = _set(doc, path, None, delete=True)
            continue
        old = doc
        for step in path:
            old = old[step]
        if op == "wrap-list":
            new = [old]
        elif op == "wrap-map":
            new = {draw(st.sampled_from(["key", "type", "sites", "x"])): old}
        elif op == "nest":
            new = json.loads("[" * 40 + json.dumps(old) + "]" * 40)
        else:  # a random value (also for "delete" at the root)
            new = draw(JSON_VALUES)
        doc = _set(doc, path, new)
    return doc


def _dump(doc: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(doc, ensure_ascii=False, allow_nan=True)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


# --------------------------------------------------------------------------- what is allowed

# Crashes already recorded as strict-xfail corpus entries: (exception class name, a
# sandan_geo function in its traceback) -> the corpus entry. Remove a line with its fix.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _known_bug(err: BaseException) -> str | None:
    frames = [f.name for f in traceback.extract_tb(err.__traceback__)]
    names = {cls.__name__ for cls in type(err).__mro__}
    for (name, function), entry in KNOWN_BUGS.items():
        if name in names and function in frames:
            return entry
    return None


def _expect_only_input_errors(call: Any, path: Path, *, names_file: bool = True) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call()
        except sg.InputError as err:
            if names_file:
                assert str(path) in str(err), f"error does not name the file: {err}"
            return None
        except Exception as err:
            if _known_bug(err):
                return None
            raise


def _exercise(plan: sg.Plan) -> None:
    """What a user does with a plan that loaded: check, report, export. Nothing may crash."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            report = sg.check_plan(plan, max_km=10)
        except sg.InputError:
            return
        except Exception as err:
            if _known_bug(err):
                return
            raise
        sg.to_text(report)
        sg.to_markdown(report)
        sg.to_json(report)
        sg.plan_to_geojson(plan)
        yaml.safe_dump(sg.plan_to_dict(plan), allow_unicode=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _load_plan_file(folder: Path, name: str, data: str | bytes) -> None:
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(data)
    plan = _expect_only_input_errors(lambda: sg.load_plan(path), path)
    if plan is not None:
        _exercise(plan)


# --------------------------------------------------------------------------- the fuzz


@FUZZ
@given(text=mutated_text(PLAN_YAML))
def test_mutated_yaml_plans(folder, text):
    _load_plan_file(folder, "plan.yaml", text)


@FUZZ
@given(text=mutated_text(PLAN_GEOJSON), suffix=st.sampled_from(["geojson", "json"]))
def test_mutated_geojson_plans(folder, text, suffix):
    _load_plan_file(folder, f"plan.{suffix}", text)


@FUZZ
@given(data=mutated_bytes(PLAN_YAML + PLAN_GEOJSON), suffix=st.sampled_from(["yaml", "geojson"]))
def test_mutated_bytes(folder, data, suffix):
    _load_plan_file(folder, f"bytes.{suffix}", data)


@FUZZ
@given(doc=mutated_structure(PLAN_YAML), as_json=st.booleans())
def test_random_values_in_yaml_plan_fields(folder, doc, as_json):
    _load_plan_file(folder, "fields.json" if as_json else "fields.yaml", _dump(doc, as_json))


@FUZZ
@given(doc=mutated_structure(PLAN_GEOJSON))
def test_random_values_in_geojson_plan_fields(folder, doc):
    _load_plan_file(folder, "fields.geojson", _dump(doc, as_json=True))


@FUZZ
@given(doc=JSON_VALUES, as_json=st.booleans())
def test_random_documents(folder, doc, as_json):
    _load_plan_file(folder, "random.json" if as_json else "random.yaml", _dump(doc, as_json))


@FUZZ
@given(
    text=mutated_text(SITES_YAML) | mutated_structure(SITES_YAML).map(lambda d: _dump(d, False)),
)
def test_mutated_sites_files(folder, text):
    path = folder / "sites.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _expect_only_input_errors(lambda: sg.load_sites(path), path)


@FUZZ
@given(
    text=mutated_text(RULES_YAML) | mutated_structure(RULES_YAML).map(lambda d: _dump(d, False)),
)
def test_mutated_rules_files(folder, text):
    path = folder / "rules.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    # parse_rules does not know the file (see test_corpus.py): its errors need not name it
    rules = _expect_only_input_errors(lambda: sg.load_rules_file(path), path)
    if rules is not None:
        _expect_only_input_errors(lambda: sg.parse_rules(rules), path, names_file=False)


def _shapefile_bytes(tmp: Path) -> dict[str, bytes]:
    """A valid DAM_DAN-shaped layer (CP949, no .cpg) as the bytes of its files."""
    import geopandas as gpd
    from shapely import box

    frame = gpd.GeoDataFrame(
        {
            "DAN_ID": ["227140", "227130"],
            "DAN_NAME": ["서대구", "대구3"],
            "key": ["a", "b"],
            "name": ["가", "나"],
            "role": ["hub", "linked_complex"],
        },
        geometry=[box(128.54, 35.87, 128.56, 35.89), box(128.57, 35.89, 128.58, 35.90)],
        crs="EPSG:4326",
    ).to_crs("EPSG:5186")
    frame.to_file(tmp / "layer.shp", encoding="cp949")
    (tmp / "layer.cpg").unlink()
    return {s: (tmp / f"layer{s}").read_bytes() for s in (".shp", ".shx", ".dbf", ".prj")}


@pytest.fixture(scope="module")
def shapefile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _shapefile_bytes(tmp_path_factory.mktemp("shp"))


@FUZZ
@given(
    part=st.sampled_from([".shp", ".shx", ".dbf", ".prj"]),
    cut=st.integers(min_value=0, max_value=400),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
)
def test_mutated_shapefiles(folder, shapefile, part, cut, flips):
    # the shapefile readers: a plan, a boundary layer to attach, a layer read as sites
    files = dict(shapefile)
    data = bytearray(files[part])
    for at, value in flips:
        data[at % len(data)] = value
    files[part] = bytes(data[: len(data) - cut]) if cut < len(data) else b""
    for suffix, content in files.items():
        (folder / f"fz{suffix}").write_bytes(content)
    path = folder / "fz.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _expect_only_input_errors(lambda: sg.load_plan(path), path)
        _expect_only_input_errors(lambda: sg.load_sites(path), path)
        _expect_only_input_errors(
            lambda: sg.attach_boundaries(sg.load_plan("daegu-2020"), path), path
        )


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="tests">
  <node id="1" lat="37.0" lon="127.0"/>
  <node id="2" lat="37.0" lon="127.01"/>
  <node id="3" lat="37.01" lon="127.01"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="maxspeed" v="60"/><tag k="oneway" v="no"/></way>
</osm>
"""


@FUZZ
@given(text=mutated_text([OSM_XML]))
def test_mutated_osm_files(folder, text):
    pytest.importorskip("osmnx")
    path = folder / "roads.osm"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    G = _expect_only_input_errors(lambda: sg.road_graph_from_osm(path, cache=False), path)
    if G is not None:
        assert all(d["length"] >= 0 for _, _, d in G.edges(data=True))


def test_known_bugs_are_still_open():
    """Each tolerated crash is a strict xfail in the corpus; drop it here with its fix."""
    manifest = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
    marked = {e["file"] for e in manifest["refuse"] + manifest["must_load"] if e.get("xfail")}
    stale = sorted(set(KNOWN_BUGS.values()) - marked)
    assert not stale, f"fixed in the corpus, still tolerated by the fuzz: {stale}"
