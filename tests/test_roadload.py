"""Streaming road files into arrays (sandan_geo.roadload, roadcache, progress).

The OSM reader is held to osmnx's ``graph_from_xml`` (the reader it replaced) on
random OSM files drawn by hypothesis: the same nodes, the same directed edges
(one-way streets, ``oneway=-1``, roundabouts, parallel ways), the same largest
piece, GRS80 lengths of the same node coordinates and osmnx's speed imputation.
"""

from __future__ import annotations

import io
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from test_road import write_grid, write_osm

import sandan_geo as sg
from sandan_geo.progress import Progress
from sandan_geo.roadnet import RoadNetwork

GEOD = Geod(ellps="GRS80")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SANDAN_GEO_CACHE", str(tmp_path_factory.mktemp("sg-cache")))


HIGHWAYS = ["primary", "residential", "footway", "service", "motorway"]
ONEWAY = [None, "yes", "-1", "no", "reverse", "true"]


@st.composite
def osm_files(draw: st.DrawFn) -> tuple[dict[int, tuple[float, float]], list]:
    n = draw(st.integers(2, 14))
    nodes = {
        i + 1: (
            round(127.0 + draw(st.integers(0, 40)) / 1000, 7),
            round(37.0 + draw(st.integers(0, 40)) / 1000, 7),
        )
        for i in range(n)
    }
    ways = []
    for _ in range(draw(st.integers(1, 8))):
        refs = draw(st.lists(st.integers(1, n), min_size=2, max_size=6))
        tags = {"highway": draw(st.sampled_from(HIGHWAYS))}
        oneway = draw(st.sampled_from(ONEWAY))
        if oneway:
            tags["oneway"] = oneway
        if draw(st.booleans()):
            tags["maxspeed"] = str(draw(st.sampled_from([30, 50, 60, 80, 100])))
        if draw(st.integers(0, 9)) == 0:
            tags["junction"] = "roundabout"
        ways.append((refs, tags))
    return nodes, ways


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=osm_files())
def test_reader_builds_the_graph_osmnx_builds(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[dict, list]
) -> None:
    ox = pytest.importorskip("osmnx")
    import networkx as nx

    nodes, ways = case
    path = write_osm(tmp_path_factory.mktemp("osm") / "r.osm", nodes, ways)
    drive = sorted(sg.road.DRIVE_HIGHWAYS)
    # osmnx, filtered and pruned as sandan_geo's old reader did.
    try:
        G = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception:
        G = nx.MultiDiGraph()
    drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d["highway"] not in drive]
    G.remove_edges_from(drop)
    G.remove_edges_from([(u, v, k) for u, v, k in G.edges(keys=True) if u == v])
    G.remove_nodes_from(list(nx.isolates(G)))
    if G.number_of_edges() == 0:
        with pytest.raises(sg.SchemaError, match="no drivable road"):
            sg.read_road_network(path, cache=False)
        return
    keep = max(nx.weakly_connected_components(G), key=len)
    sizes = sorted(len(c) for c in nx.weakly_connected_components(G))
    net = sg.read_road_network(path, cache=False)
    if len(sizes) > 1 and sizes[-1] == sizes[-2]:
        return  # two pieces of one size: which is "largest" is a tie, either is right
    G.remove_nodes_from([n for n in G if n not in keep])
    assert sorted(net.node_id.tolist()) == sorted(G.nodes)
    ids = net.node_id.tolist()
    ours = Counter(
        (ids[u], ids[v]) for u, v in zip(net.tails.tolist(), net.indices.tolist(), strict=True)
    )
    theirs = Counter((u, v) for u, v in G.edges())
    assert ours == theirs
    # Lengths: GRS80 between the nodes; speeds as osmnx imputes them.
    for e, (u, v) in enumerate(zip(net.tails.tolist(), net.indices.tolist(), strict=True)):
        a, b = nodes[ids[u]], nodes[ids[v]]
        assert net.length_m[e] == pytest.approx(GEOD.inv(*a, *b)[2], abs=1e-6)
    if any("maxspeed" in d for _, _, d in G.edges(data=True)):
        ox.routing.add_edge_speeds(G)
        # Speeds as length / time; a zero-length edge (two nodes on one spot) takes 0 s.
        zero = {(u, v) for u, v, d in G.edges(data=True) if nodes[u] == nodes[v]}
        expected = Counter(
            (u, v, round(d["speed_kph"], 6)) for u, v, d in G.edges(data=True) if (u, v) not in zero
        )
        got = Counter()
        for e, (u, v) in enumerate(zip(net.tails.tolist(), net.indices.tolist(), strict=True)):
            if (ids[u], ids[v]) in zero:
                assert net.time_s[e] == 0.0
            else:
                speed = float(net.length_m[e]) * 3.6 / float(net.time_s[e])
                got[ids[u], ids[v], round(speed, 6)] += 1
        assert expected == got
    else:
        assert not net.has_time


def test_pbf_xml_and_bz2_read_alike(tmp_path: Path) -> None:
    import bz2

    osmium = pytest.importorskip("osmium")
    xml = write_grid(tmp_path / "grid.osm")
    pbf = tmp_path / "grid.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    packed = tmp_path / "grid.osm.bz2"
    packed.write_bytes(bz2.compress(xml.read_bytes()))
    a, b, c = (sg.read_road_network(p, cache=False) for p in (xml, pbf, packed))
    for other in (b, c):
        assert np.array_equal(a.node_id, other.node_id)
        assert np.array_equal(a.indptr, other.indptr) and np.array_equal(a.indices, other.indices)
        assert np.array_equal(a.length_m, other.length_m)
        assert np.array_equal(a.time_s, other.time_s)


def test_cache_round_trip_keeps_every_array(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "grid.osm")
    first = sg.read_road_network(path, cache_dir=tmp_path / "c")
    again = sg.read_road_network(path, cache_dir=tmp_path / "c")
    assert (first.meta["cache"], again.meta["cache"]) == ("miss", "hit")
    assert again.meta["source_sha256"] == first.meta["source_sha256"]
    for name in ("node_id", "lon", "lat", "indptr", "indices", "length_m", "time_s", "way"):
        assert np.array_equal(getattr(first, name), getattr(again, name), equal_nan=True), name
    assert Path(again.meta["cache_path"]).name.endswith(".roads.npz")


def test_cache_entry_with_an_object_array_is_refused(tmp_path: Path) -> None:
    """An entry holding a pickled object array is ignored (np.load without pickles)."""
    path = write_grid(tmp_path / "grid.osm", n=2)
    net = sg.read_road_network(path, cache_dir=tmp_path / "c")
    entry = Path(net.meta["cache_path"])
    ran = tmp_path / "ran"

    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return os.mkdir, (str(ran),)

    arrays = {k: v for k, v in np.load(entry).items()}
    arrays["node_id"] = np.array([Boom()], dtype=object)
    with entry.open("wb") as f:
        np.savez(f, **arrays)
    with pytest.warns(sg.SandanGeoWarning, match="could not be read"):
        again = sg.read_road_network(path, cache_dir=tmp_path / "c")
    assert not ran.exists() and again.meta["cache"] == "miss"


def test_lines_keep_their_vertices_and_directions(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely import LineString

    f = tmp_path / "links.gpkg"
    bent = LineString([(127.0, 37.0), (127.005, 37.004), (127.01, 37.0)])
    gpd.GeoDataFrame(
        {"MAX_SPD": [60, 80]},
        geometry=[bent, LineString([(127.01, 37.0), (127.02, 37.0)])],
        crs="EPSG:4326",
    ).to_file(f)
    net = sg.read_road_network(f, speed_field="MAX_SPD", cache=False)
    assert net.n_nodes == 3 and net.n_edges == 4  # two lines, both ways
    bent_edges = [e for e in range(net.n_edges) if net.geom_ptr[e + 1] > net.geom_ptr[e]]
    assert len(bent_edges) == 2
    for e in bent_edges:
        coords = net.edge_coords(e)
        assert coords.shape == (3, 2)
        assert tuple(coords[1]) == (127.005, 37.004)  # the vertex, either way
    length = GEOD.geometry_length(bent)
    assert sorted(net.length_m.tolist())[-2:] == pytest.approx([length, length])
    # The metric routes along the bend.
    a = sg.Site(key="a", name_ko="가", lon=127.0, lat=37.0)
    b = sg.Site(key="b", name_ko="나", lon=127.01, lat=37.0)
    d = sg.RoadMetric(net).distance(a, b)
    assert d.value_m == pytest.approx(length, abs=1e-6)
    assert (127.005, 37.004) in d.path


def test_progress_line_on_a_stream_and_silence_elsewhere(tmp_path: Path) -> None:
    out = io.StringIO()
    with Progress("reading x", unit="roads", total=4, enabled=True, stream=out) as p:
        for _ in range(4):
            p.advance()
    text = out.getvalue()
    assert "reading x:" in text and "4/4 roads" in text and "100%" in text and text.endswith("\n")
    quiet = io.StringIO()
    with Progress("reading x", stream=quiet) as p:  # a StringIO is no terminal
        p.advance(3)
    assert quiet.getvalue() == "" and p.count == 3


def test_network_round_trips_through_networkx(tmp_path: Path) -> None:
    net = sg.read_road_network(write_grid(tmp_path / "g.osm"), cache=False)
    again = RoadNetwork.from_networkx(net.to_networkx())
    order = np.argsort(again.node_id)
    assert np.array_equal(again.node_id[order], net.node_id)
    assert again.n_edges == net.n_edges
    assert sorted(again.length_m.tolist()) == sorted(net.length_m.tolist())
    assert math.isclose(float(np.nansum(again.time_s)), float(np.nansum(net.time_s)))


def test_lines_read_page_by_page_give_the_same_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geopandas as gpd
    from shapely import LineString, MultiLineString

    from sandan_geo import roadload

    rng = np.random.default_rng(7)
    lines = []
    for _ in range(23):
        x, y = 127.0 + rng.integers(0, 6) / 100, 37.0 + rng.integers(0, 6) / 100
        lines.append(LineString([(x, y), (x + 0.01, y), (x + 0.01, y + 0.01)]))
    lines[5] = MultiLineString([[(127.2, 37.2), (127.21, 37.2)], [(127.3, 37.2), (127.31, 37.2)]])
    f = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame(
        {"MAX_SPD": rng.integers(0, 3, 23) * 30}, geometry=lines, crs="EPSG:4326"
    ).to_file(f)
    with pytest.warns(sg.SandanGeoWarning, match=r"feature\(s\) 6: multi-lines"):
        whole = sg.read_road_network(f, speed_field="MAX_SPD", cache=False)
    monkeypatch.setattr(roadload, "_PAGE", 4)
    with pytest.warns(sg.SandanGeoWarning, match=r"feature\(s\) 6: multi-lines"):
        paged = sg.read_road_network(f, speed_field="MAX_SPD", cache=False)
    for name in ("node_id", "lon", "lat", "indptr", "indices", "length_m", "time_s", "way"):
        assert np.array_equal(getattr(whole, name), getattr(paged, name)), name
    assert np.array_equal(whole.geom_xy, paged.geom_xy)
    assert sorted(set(paged.way.tolist())) == list(range(23))  # every feature, by its row


# --------------------------------------------------------------------------- the libosmium pass


def _same_network(a: RoadNetwork, b: RoadNetwork) -> None:
    for name in ("node_id", "lon", "lat", "indptr", "indices", "length_m", "way"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.time_s, b.time_s, equal_nan=True)


@settings(max_examples=15, deadline=None)
@given(block=st.integers(1, 400))
def test_reading_in_any_block_size_gives_the_same_network(
    tmp_path_factory: pytest.TempPathFactory, block: int
) -> None:
    from sandan_geo import osmways

    path = write_grid(tmp_path_factory.mktemp("blocks") / "grid.osm")
    whole = sg.read_road_network(path, cache=False)
    old = osmways._BLOCK
    osmways._BLOCK = block  # lines cut anywhere: mid-number, mid-tag, at a newline
    try:
        pieces = sg.read_road_network(path, cache=False)
    finally:
        osmways._BLOCK = old
    _same_network(whole, pieces)


def test_no_python_to_run_the_pass_is_said_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    path = write_grid(tmp_path / "grid.osm")
    fake = tmp_path / "python-broken"  # a "python" that fails before reading anything
    fake.write_text("#!/bin/sh\necho 'boom: no encodings module' >&2\nexit 1\n")
    fake.chmod(0o755)
    cases = {
        "": "no Python interpreter",  # an embedded interpreter
        str(tmp_path / "uwsgi"): "not a Python interpreter",
        str(tmp_path / "python3-missing"): "No such file",
        str(fake): "boom: no encodings module",
    }
    for exe, said in cases.items():
        monkeypatch.setattr(sys, "executable", exe)
        with pytest.raises(sg.MissingDependencyError, match="could not start") as err:
            sg.read_road_network(path, cache=False)
        assert said in str(err.value), exe


def _pbf_with_name(path: Path, name: bytes) -> Path:
    """A PBF whose first road's ``name`` holds the raw bytes ``name`` (20 bytes)."""
    import osmium

    placeholder = b"Q" * 20
    plain = path.with_suffix(".plain.pbf")
    writer = osmium.SimpleWriter(osmium.io.File(str(plain), "pbf,pbf_compression=none"))
    for i in range(1, 5):
        writer.add_node(osmium.osm.mutable.Node(id=i, location=(127.0, 37.0 + i / 100)))
    tags = {"highway": "primary", "name": placeholder.decode()}
    writer.add_way(osmium.osm.mutable.Way(id=10, nodes=[1, 2], tags=tags))
    writer.add_way(osmium.osm.mutable.Way(id=11, nodes=[2, 3, 4], tags={"highway": "primary"}))
    writer.close()
    path.write_bytes(plain.read_bytes().replace(placeholder, name))
    return path


def test_files_libosmium_fails_on_are_input_errors(tmp_path: Path) -> None:
    # libosmium's writer aborts the process it runs in after such failures
    # (std::terminate); in the child that is one clear error here.
    pytest.importorskip("osmium")
    far = tmp_path / "far.osm"
    far.write_text(
        '<osm version="0.6"><node id="1" lat="95" lon="127"/>'
        '<node id="2" lat="37.1" lon="127"/>'
        '<way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way></osm>'
    )
    with pytest.raises(sg.InputError, match="longitude or latitude is out of range"):
        sg.read_road_network(far, cache=False)
    for i, raw in enumerate([b"\xff" * 20, b"Q" * 9 + b"\xc3 " + b"Q" * 9, b"\xc3\n" + b"Q" * 18]):
        pbf = _pbf_with_name(tmp_path / f"name{i}.osm.pbf", raw)
        with pytest.raises(sg.InputError, match="UTF-8"):
            sg.read_road_network(pbf, cache=False)


def test_classes_and_keys_as_the_roads_kept_have_them(tmp_path: Path) -> None:
    # A class seen only on a private way takes no part in the speed imputation;
    # a key given twice counts with its first value, as pyosmium's tags.get gave.
    osm = tmp_path / "classes.osm"
    osm.write_text(
        '<osm version="0.6">'
        + "".join(f'<node id="{i}" lat="{37 + i / 100}" lon="127"/>' for i in range(1, 5))
        + '<way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/>'
        '<tag k="maxspeed" v="60"/></way>'
        '<way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>'
        '<tag k="oneway" v="yes"/><tag k="oneway" v="no"/></way>'
        '<way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="service"/>'
        '<tag k="access" v="private"/></way></osm>'
    )
    net = sg.read_road_network(osm, cache=False, highways=None, hwy_speeds={"service": 10})
    speed = dict(zip(net.way.tolist(), (net.length_m * 3.6 / net.time_s).tolist(), strict=True))
    assert speed == {10: pytest.approx(60.0), 11: pytest.approx(60.0)}  # not (60 + 10) / 2
    assert Counter(net.way.tolist()) == {10: 2, 11: 1}  # way 11 is one-way


def test_escaped_tags_missing_nodes_and_short_ways(tmp_path: Path) -> None:
    # OPL escapes spaces, commas, "=" and Korean in tags; "30 mph" must still read as
    # 30 mph. Node 99 is not in the file: the segments touching it are dropped, the
    # rest of its way stays. A way of one node is no road.
    nodes = {1: (127.0, 37.0), 2: (127.0, 37.01), 3: (127.01, 37.01), 4: (127.02, 37.01)}
    ways = [
        ([1, 2], {"highway": "primary", "maxspeed": "30 mph", "name": "동해로, a=b %x"}),
        ([2, 3, 99, 4], {"highway": "primary", "maxspeed": "50"}),
        ([3, 4], {"highway": "primary", "maxspeed": "50", "access": "private"}),
        ([4], {"highway": "primary"}),
    ]
    path = write_osm(tmp_path / "odd.osm", nodes, ways)
    net = sg.read_road_network(path, cache=False, retain_all=True)
    ids = net.node_id.tolist()
    edges = sorted(
        (ids[u], ids[v], int(w))
        for u, v, w in zip(net.tails.tolist(), net.indices.tolist(), net.way, strict=True)
    )
    assert edges == [(1, 2, 1000), (2, 1, 1000), (2, 3, 1001), (3, 2, 1001)]
    speed = net.length_m * 3.6 / net.time_s
    by_way = dict(zip(net.way.tolist(), speed.tolist(), strict=True))
    assert by_way[1000] == pytest.approx(30 * 1.609344) and by_way[1001] == pytest.approx(50)


def test_the_pass_stops_at_the_bound_without_leaving_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandan_geo import osmways, roadload

    nodes = {1: (127.0, 37.0), 2: (127.0, 37.01)}
    path = write_osm(tmp_path / "many.osm", nodes, [([1, 2], {"highway": "primary"})] * 3000)
    monkeypatch.setattr(roadload, "MAX_ROAD_REFS", 1000)
    monkeypatch.setattr(osmways, "_BLOCK", 4096)  # the bound is passed in an early block
    started: list = []
    real = osmways.subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(osmways.subprocess, "Popen", popen)
    with pytest.raises(sg.InputError, match="over 1,000 road node references"):
        sg.read_road_network(path, cache=False)
    assert len(started) == 1 and started[0].poll() is not None  # stopped and reaped


def test_the_pass_reads_alike_with_osmium_whole_or_its_compiled_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import sys

    from sandan_geo import osmpass

    pytest.importorskip("osmium")
    path = str(write_grid(tmp_path / "grid.osm"))
    saved = {n: m for n, m in sys.modules.items() if n == "osmium" or n.startswith("osmium.")}
    for name in saved:  # as in the child: osmium not imported yet
        monkeypatch.delitem(sys.modules, name)
    assert osmpass._compiled() is not None and "osmium" not in sys.modules  # no stub left
    assert osmpass.main([path, '["primary", "residential"]']) == 0
    parts = capfd.readouterr()
    import osmium  # the real package, imported after the parts

    assert hasattr(osmium, "FileProcessor")
    monkeypatch.setattr(osmpass, "_compiled", lambda: None)  # the whole package
    assert osmpass.main([path, '["primary", "residential"]']) == 0
    whole = capfd.readouterr()
    assert parts.out == whole.out and parts.out.count("\n") == 5
    assert osmpass.READY in parts.err and osmpass.READY in whole.err


def test_no_highway_class_to_keep_is_refused_before_reading(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "grid.osm")
    with pytest.raises(sg.InputError, match="highways is empty"):
        sg.read_road_network(path, cache=False, highways=[])
