"""The compiled road search and ``road_matrix`` (sandan_geo.roadmatrix).

The compiled search is held to networkx's Dijkstra on random graphs (hypothesis),
and ``road_matrix`` to ``RoadMetric.distance`` pair by pair on test_road.py's
fixtures: the 5 x 5 grid (speeds that make the fastest route differ from the
shortest) and the bay (20 km by road, 4 km straight).
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, box
from test_road import bay_points, fwd, grid_points, write_bay, write_grid

import sandan_geo as sg
from sandan_geo.errors import InputError, RuleError
from sandan_geo.model import Part, Site
from sandan_geo.road import RoadMetric, road_graph_from_osm
from sandan_geo.roadmatrix import MATRIX_COLUMNS, road_matrix
from sandan_geo.roadnet import RoadNetwork

OSM_KM = 5e-5  # round figures vs points rounded to OSM's 1e-7 degree
REL = 1e-12  # the matrix adds the same edges in the same order as RoadMetric


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test writes to the user's real cache folder."""
    monkeypatch.setenv("SANDAN_GEO_CACHE", str(tmp_path_factory.mktemp("sg-cache")))


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    return road_graph_from_osm(write_grid(tmp_path_factory.mktemp("rm") / "grid.osm"), cache=False)


@pytest.fixture(scope="module")
def bay_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bay(tmp_path_factory.mktemp("rm") / "bay.osm")


@pytest.fixture(scope="module")
def bay(bay_file: Path) -> nx.MultiDiGraph:
    return road_graph_from_osm(bay_file, cache=False)


def site(key: str, p: tuple[float, float], **kw: object) -> Site:
    return Site(key=key, name_ko=f"{key} 산단", lon=p[0], lat=p[1], **kw)  # type: ignore[arg-type]


def grid_sites() -> list[Site]:
    """Points on nodes, off the grid, a complex with an extent, and parts."""
    pts = grid_points()
    (x0, y0), (x1, y1) = fwd(pts[1, 1], 225.0, 141.0), fwd(pts[1, 2], 45.0, 141.0)
    boxes = [
        box(p[0] - 1e-4, p[1] - 1e-4, p[0] + 1e-4, p[1] + 1e-4) for p in (pts[3, 0], pts[4, 4])
    ]
    return [
        site("c00", pts[0, 0]),
        site("c04", pts[0, 4]),
        site("c44", pts[4, 4]),
        site("off", fwd(pts[2, 0], 270.0, 300.0)),
        site("mid", fwd(pts[2, 2], 30.0, 420.0)),
        site("wide", pts[1, 1], extent=box(x0, y0, x1, y1)),
        site("multi", pts[3, 0], extent=MultiPolygon(boxes)),
        Site(
            key="parts",
            name_ko="두 단지",
            lon=pts[4, 1][0],
            lat=pts[4, 1][1],
            parts=(Part("1단지", *pts[4, 1]), Part("2단지", *pts[0, 2])),
        ),
        # A part 900 m off the corner node (0, 4) and one on node (1, 4): to c04, the
        # fastest way leaves from the second, although the first's node is c04's own.
        Site(
            key="spread",
            name_ko="떨어진 단지",
            lon=pts[1, 4][0],
            lat=pts[1, 4][1],
            parts=(Part("1단지", *fwd(pts[0, 4], 180.0, 900.0)), Part("2단지", *pts[1, 4])),
        ),
    ]


def bay_sites() -> list[Site]:
    pts = bay_points()
    return [
        site("hub", pts[0]),
        site("port", pts[-1]),
        site("top", pts[10]),
        site("near", fwd(pts[4], 90.0, 250.0)),
    ]


def assert_matches_metric(frame, sites: list[Site], road: RoadMetric) -> None:
    """Every ordered pair is in the frame, equal to RoadMetric.distance."""
    assert list(frame.columns) == list(MATRIX_COLUMNS)
    assert len(frame) == len(sites) * (len(sites) - 1)
    rows = {(r.a, r.b): r for r in frame.itertuples()}
    for a, b in itertools.permutations(sites, 2):
        d = road.distance(a, b)
        r = rows[a.key, b.key]
        assert r.network_km == pytest.approx(d.value_m / 1000.0, rel=REL, abs=1e-12)
        if d.minutes is None:
            assert math.isnan(r.minutes)
        else:
            assert r.minutes == pytest.approx(d.minutes, rel=REL, abs=1e-12)
        straight = sg.crs.geodesic_m(d.from_point, d.to_point) / 1000.0
        assert r.straight_km == pytest.approx(straight, rel=1e-12)
        # No road is shorter than the line between its ends (NaN: two ends on one point).
        assert r.detour >= 1.0 - 1e-9 if straight > 0 else math.isnan(r.detour)
        if straight > 0:
            assert r.detour == pytest.approx(r.network_km / straight, rel=1e-12)


# --------------------------------------------------------------------------- the compiled search


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[nx.Graph, list[int], float | None, str]:
    kind = draw(st.sampled_from([nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph]))
    G = kind()
    n = draw(st.integers(1, 12))
    for i in range(n):
        G.add_node(i, x=127.0 + i / 100, y=37.0)
    cost = st.one_of(
        st.integers(0, 20).map(float), st.floats(0.0, 5000.0, allow_nan=False, width=64)
    )
    for _ in range(draw(st.integers(0, 30))):
        u, v = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        G.add_edge(u, v, length=draw(cost), travel_time=draw(cost))
    sources = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))
    limit = draw(st.one_of(st.none(), st.integers(0, 40).map(float)))
    weight = draw(st.sampled_from(["length", "travel_time"]))
    return G, sources, limit, weight


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_compiled_search_equals_networkx_dijkstra(
    case: tuple[nx.Graph, list[int], float | None, str],
) -> None:
    G, sources, limit, weight = case
    net = RoadNetwork.from_networkx(G)
    found = net.search([net.index_of(s) for s in sources], weight=weight, limit=limit)
    assert found.shape == (len(sources), G.number_of_nodes())
    for row, s in zip(found, sources, strict=True):
        expected = nx.single_source_dijkstra_path_length(G, s, cutoff=limit, weight=weight)
        for i, node in enumerate(net.node_id.tolist()):
            if node in expected:
                assert row[i] == pytest.approx(expected[node], rel=1e-12, abs=0.0)
            else:
                assert math.isinf(row[i])


def test_network_keeps_parallel_edges_and_searches_the_cheapest() -> None:
    G = nx.MultiDiGraph()
    G.add_node("a", x=127.0, y=37.0)
    G.add_node("b", x=127.01, y=37.0)
    G.add_edge("a", "b", length=1500.0, travel_time=60.0)  # fast detour
    G.add_edge("a", "b", length=890.0, travel_time=120.0)  # short and slow
    road = RoadMetric(G)
    net = road.network
    assert net.node_id.tolist() == ["a", "b"] and net.n_edges == 2
    by_length, _ = net.weighted("length")
    assert by_length.toarray().tolist() == [[0.0, 890.0], [0.0, 0.0]]
    by_time, _ = net.weighted("travel_time")
    assert by_time.toarray().tolist() == [[0.0, 60.0], [0.0, 0.0]]
    assert net.lon.tolist() == [127.0, 127.01] and net.lat.tolist() == [37.0, 37.0]
    # The route reported is the parallel edge the weight chose, as RoadMetric reports it.
    a, b = site("a", (127.0, 37.0)), site("b", (127.01, 37.0))
    short = road_matrix([a, b], road).iloc[0]
    assert (short.network_km, short.minutes) == (0.89, 2.0)
    fast = road_matrix([a, b], RoadMetric(G, weight="travel_time")).iloc[0]
    assert (fast.network_km, fast.minutes) == (1.5, 1.0)
    # Both parallel edges survive the round trip to networkx.
    assert net.to_networkx().number_of_edges("a", "b") == 2


def test_compiled_search_errors() -> None:
    G = nx.Graph()
    G.add_node(1, x=127.0, y=37.0)
    G.add_node(2, x=127.01, y=37.0)
    G.add_edge(1, 2, length=890.0)  # no speed
    net = RoadNetwork.from_networkx(G)
    assert not net.has_time
    with pytest.raises(InputError, match="neither 'travel_time' nor 'speed_kph'"):
        net.search([0], weight="travel_time")
    with pytest.raises(InputError, match="weight is 'speed'"):
        net.search([0], weight="speed")
    with pytest.raises(InputError, match="outside 0…1"):
        net.search([3])
    with pytest.raises(InputError, match="not a node"):
        net.index_of(3)
    assert net.search([]).shape == (0, 2)


# --------------------------------------------------------------------------- road_matrix


@pytest.mark.parametrize("weight", ["length", "travel_time"])
def test_grid_matrix_equals_road_metric_pair_by_pair(grid: nx.MultiDiGraph, weight: str) -> None:
    sites = grid_sites()
    road = RoadMetric(grid, weight=weight)  # type: ignore[arg-type]
    frame = road_matrix(sites, road)
    assert_matches_metric(frame, sites, RoadMetric(grid, weight=weight))  # type: ignore[arg-type]
    spread = frame[(frame.a == "spread") & (frame.b == "c04")].iloc[0]
    # The snaps weigh the choice of entry: by time the 900 m connector loses.
    assert spread.network_km == pytest.approx(0.9 if weight == "length" else 1.0, abs=OSM_KM)
    # The fastest routes are longer than the shortest somewhere on this grid.
    if weight == "travel_time":
        shortest = road_matrix(sites, RoadMetric(grid))
        assert (frame["network_km"] > shortest["network_km"] + 1e-6).any()
        assert (frame["minutes"] < shortest["minutes"] - 1e-6).any()


def test_bay_matrix_equals_road_metric_and_reports_the_detour(bay: nx.MultiDiGraph) -> None:
    sites = bay_sites()
    frame = road_matrix(sites, bay)  # a graph: wrapped in RoadMetric(G)
    assert_matches_metric(frame, sites, RoadMetric(bay))
    r = frame[(frame.a == "hub") & (frame.b == "port")].iloc[0]
    assert r.network_km == pytest.approx(20.0, abs=OSM_KM)
    assert r.minutes == pytest.approx(15.0, abs=1e-4)
    assert r.straight_km == pytest.approx(4.003, abs=1e-3)
    assert r.detour == pytest.approx(r.network_km / r.straight_km, rel=1e-12)
    assert r.detour > 4.9


def test_matrix_from_a_road_file_and_a_plan(bay_file: Path) -> None:
    pts = bay_points()
    plan = sg.Plan(
        id="bay",
        name="만",
        sites=(
            sg.PlanSite(site("hub", pts[0]), sg.Role.HUB),
            sg.PlanSite(site("port", pts[-1]), sg.Role.LINKED_ZONE),
        ),
        links=(sg.Link("port", "hub"),),
    )
    frame = sg.road_matrix(plan, bay_file)
    assert frame[["a", "b"]].values.tolist() == [["hub", "port"], ["port", "hub"]]
    assert frame["network_km"].tolist() == pytest.approx([20.0, 20.0], abs=OSM_KM)


@pytest.mark.parametrize("weight", ["length", "travel_time"])
def test_bounds_keep_exactly_the_pairs_within(grid: nx.MultiDiGraph, weight: str) -> None:
    sites = grid_sites()
    road = RoadMetric(grid, weight=weight)  # type: ignore[arg-type]
    full = road_matrix(sites, road)
    for max_km in (0.5, 1.2, 2.0, 3.3, 5.0):
        bounded = road_matrix(sites, road, max_km=max_km)
        expected = full[full.network_km <= max_km]
        assert bounded[["a", "b"]].values.tolist() == expected[["a", "b"]].values.tolist()
        assert bounded.network_km.tolist() == expected.network_km.tolist()
    for max_minutes in (1.0, 2.5, 4.0, 7.0):
        bounded = road_matrix(sites, road, max_minutes=max_minutes)
        expected = full[full.minutes <= max_minutes]
        assert bounded[["a", "b"]].values.tolist() == expected[["a", "b"]].values.tolist()
    both = road_matrix(sites, road, max_km=3.0, max_minutes=4.0)
    expected = full[(full.network_km <= 3.0) & (full.minutes <= 4.0)]
    assert both[["a", "b"]].values.tolist() == expected[["a", "b"]].values.tolist()
    # A bound exactly at a pair's distance keeps the pair.
    at = float(full.network_km.iloc[0])
    assert (road_matrix(sites, road, max_km=at).network_km == at).any()


def test_unreachable_pairs_are_left_out_and_times_may_be_missing() -> None:
    G = nx.DiGraph()
    G.add_node(1, x=127.0, y=37.0)
    G.add_node(2, x=127.01, y=37.0)
    G.add_edge(1, 2, length=890.0)  # one way, no speed
    a, b = site("a", (127.0, 37.0)), site("b", (127.01, 37.0))
    frame = road_matrix([a, b], G)
    assert frame[["a", "b"]].values.tolist() == [["a", "b"]]
    assert frame["minutes"].isna().all()
    with pytest.raises(InputError, match="max_minutes needs travel times"):
        road_matrix([a, b], G, max_minutes=5)
    empty = road_matrix([a], G)
    assert empty.empty and list(empty.columns) == list(MATRIX_COLUMNS)
    # Two sites on one point: no detour ratio.
    same = road_matrix([a, site("a2", (127.0, 37.0))], G)
    assert same.network_km.tolist() == [0.0, 0.0] and same.detour.isna().all()


def test_bad_input(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    a, b = site("a", pts[0, 0]), site("b", pts[0, 4])
    with pytest.raises(InputError, match="appears twice"):
        road_matrix([a, a], grid)
    with pytest.raises(InputError, match="roads must be"):
        road_matrix([a, b], 42)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="Site or PlanSite"):
        road_matrix([a, "b"], grid)  # type: ignore[list-item]
    with pytest.raises(RuleError, match="max_km"):
        road_matrix([a, b], grid, max_km=-1)
    with pytest.raises(RuleError, match="max_minutes"):
        road_matrix([a, b], grid, max_minutes=math.nan)
    far = site("far", fwd(pts[0, 0], 225.0, 5000.0))
    with pytest.raises(InputError, match=r"site 'far'.*from the nearest road,"):
        road_matrix([a, far], grid)


# --------------------------------------------------------------------------- snapping onto edges


def test_a_site_beside_an_edge_snaps_to_its_nearest_point(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    # 200 m north of the middle of the edge (0,1)-(0,2), a row that runs east.
    middle = fwd(pts[0, 1], 90.0, 500.0)
    beside = site("beside", fwd(middle, 0.0, 200.0))
    road = RoadMetric(grid)
    entries = road.entries(beside)
    assert {(e.tail, e.head) for e in entries} == {(2, 3), (3, 2)}  # both directions
    assert all(e.snap_m == pytest.approx(200.0, abs=0.05) for e in entries)
    assert all(e.fraction == pytest.approx(0.5, abs=1e-4) for e in entries)
    d = road.distance(beside, site("c02", pts[0, 2]))
    assert d.detail["snap_from_m"] == pytest.approx(200.0, abs=0.05)
    assert d.detail["network_m"] == pytest.approx(500.0, abs=0.1)  # half the edge, no node
    assert d.detail["from_edge"] == (2, 3)
    # Two sites beside one edge meet along it, through no junction.
    other = site("other", fwd(fwd(pts[0, 1], 90.0, 800.0), 180.0, 100.0))
    along = road.distance(beside, other)
    assert along.detail["from_node"] is None and along.detail["to_node"] is None
    assert along.detail["network_m"] == pytest.approx(300.0, abs=0.1)


def test_every_site_off_the_road_is_named_at_once(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    far = [site(f"far{i}", fwd(pts[0, 0], 225.0, 3000.0 + 500 * i)) for i in range(3)]
    with pytest.raises(InputError, match=r"3 sites are farther .*'far0'.*'far1'.*'far2'"):
        road_matrix([site("a", pts[0, 0]), *far], grid)


def test_a_route_beyond_the_first_search_bound_is_still_exact() -> None:
    """A 150 km road: the search widens four-fold until the route is inside its bound."""
    G = nx.Graph()
    p = (127.0, 35.0)
    G.add_node(0, x=p[0], y=p[1])
    for i in range(1, 151):
        p = fwd(p, 0.0, 1000.0)
        G.add_node(i, x=p[0], y=p[1])
        G.add_edge(i - 1, i, length=1000.0)
    a = site("a", (127.0, 35.0))
    b = site("b", (G.nodes[150]["x"], G.nodes[150]["y"]))
    road = RoadMetric(G)
    assert road.distance(a, b).value_m == pytest.approx(150_000.0, abs=1e-6)
    assert road.distance(b, a).value_m == pytest.approx(150_000.0, abs=1e-6)


@st.composite
def random_networks(draw: st.DrawFn) -> tuple[nx.Graph, list[Site]]:
    """A random road network on a 2 km square and sites around it, some off the road."""
    directed = draw(st.booleans())
    G = nx.DiGraph() if directed else nx.Graph()
    n = draw(st.integers(3, 12))
    for i in range(n):
        G.add_node(
            i,
            x=round(127.0 + draw(st.integers(0, 20)) / 1000, 7),
            y=round(37.0 + draw(st.integers(0, 20)) / 1000, 7),
        )
    for _ in range(draw(st.integers(2, 25))):
        u, v = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if u == v:
            continue
        straight = sg.crs.geodesic_m(
            (G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])
        )
        G.add_edge(u, v, length=straight * draw(st.floats(1.0, 1.5)), speed_kph=50.0)
    if G.number_of_edges() == 0:
        straight = sg.crs.geodesic_m(
            (G.nodes[0]["x"], G.nodes[0]["y"]), (G.nodes[1]["x"], G.nodes[1]["y"])
        )
        G.add_edge(0, 1, length=straight, speed_kph=50.0)  # no road shorter than its line
    sites = [
        site(
            f"s{k}",
            (
                127.0 + draw(st.integers(-2, 22)) / 1000,
                37.0 + draw(st.integers(-2, 22)) / 1000,
            ),
        )
        for k in range(draw(st.integers(2, 5)))
    ]
    return G, sites


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_networks())
def test_matrix_equals_the_metric_on_random_networks(case: tuple[nx.Graph, list[Site]]) -> None:
    G, sites = case
    road = RoadMetric(G, max_snap_m=5000)
    frame = road_matrix(sites, road)
    rows = {(r.a, r.b): r for r in frame.itertuples()}
    for a, b in itertools.permutations(sites, 2):
        try:
            d = road.distance(a, b)
        except InputError as err:
            assert "no road path" in str(err)
            assert (a.key, b.key) not in rows
            continue
        r = rows[a.key, b.key]
        assert r.network_km * 1000 == pytest.approx(d.value_m, rel=1e-9, abs=1e-9)
        assert r.minutes == pytest.approx(d.minutes, rel=1e-9, abs=1e-9)
        # No route is shorter than the straight line between its ends.
        assert d.value_m >= sg.crs.geodesic_m(d.from_point, d.to_point) - 1e-3
        assert r.straight_km * 1000 == pytest.approx(
            sg.crs.geodesic_m(d.from_point, d.to_point), rel=1e-9, abs=1e-9
        )
    if not G.is_directed():  # two-way roads: the same both ways
        for (a, b), r in rows.items():
            assert rows[b, a].network_km == pytest.approx(r.network_km, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- pairs, candidates, Parquet


def test_pairs_within_and_candidates_by_road_use_the_metric(
    grid: nx.MultiDiGraph, tmp_path: Path
) -> None:
    sites = grid_sites()
    road = RoadMetric(grid, weight="travel_time")
    pairs = sg.pairs_within(sites, 2.0, metric=road)
    assert list(pairs.columns) == ["a", "b", "distance_km", "distance_back_km", "metric"]
    keys = [s.key for s in sites]
    by_key = {s.key: s for s in sites}
    seen = set()
    for r in pairs.itertuples():
        assert keys.index(r.a) < keys.index(r.b)
        seen.add((r.a, r.b))
        there = road.distance(by_key[r.a], by_key[r.b]).value_km
        back = road.distance(by_key[r.b], by_key[r.a]).value_km
        assert r.distance_km == pytest.approx(there if there <= 2.0 else math.nan, nan_ok=True)
        assert r.distance_back_km == pytest.approx(back if back <= 2.0 else math.nan, nan_ok=True)
    for a, b in itertools.combinations(sites, 2):
        near = min(road.distance(a, b).value_km, road.distance(b, a).value_km) <= 2.0
        assert ((a.key, b.key) in seen) == near
    out = sg.pairs_within(sites, 2.0, metric=road, out=tmp_path / "p.parquet")
    import pandas as pd

    assert len(pd.read_parquet(out)) == len(pairs)
    hub = sites[0]
    ranked = sg.candidates(hub, sites[1:], 3.0, metric=road)
    for r in ranked.itertuples():
        assert r.distance_km == pytest.approx(road.distance(hub, by_key[r.key]).value_km)
    within = {s.key for s in sites[1:] if road.distance(hub, s).value_km <= 3.0}
    assert set(ranked["key"]) == within


def test_matrix_to_parquet_from_chosen_sources(grid: nx.MultiDiGraph, tmp_path: Path) -> None:
    import io

    import pandas as pd

    sites = grid_sites()
    road = RoadMetric(grid)
    full = road_matrix(sites, road, max_km=3.0)
    err = io.StringIO()
    sys.stderr, saved = err, sys.stderr
    try:
        path = road_matrix(sites, road, max_km=3.0, out=tmp_path / "m.parquet", progress=True)
    finally:
        sys.stderr = saved
    assert "road matrix:" in err.getvalue() and f"{len(sites)}/{len(sites)} sites" in err.getvalue()
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, full, check_dtype=False)
    some = road_matrix(sites, road, max_km=3.0, sources=["wide", "c00"])
    assert set(some["a"]) <= {"wide", "c00"}
    assert sorted(some.values.tolist()) == sorted(
        full[full.a.isin(["wide", "c00"])].values.tolist()
    )
    with pytest.raises(InputError, match="not a .parquet file"):
        road_matrix(sites, road, out=tmp_path / "m.csv")
    with pytest.raises(InputError, match="source site 'nope'"):
        road_matrix(sites, road, sources=["nope"])


def test_cli_roadmatrix(bay_file: Path, tmp_path: Path) -> None:
    """`sandan-geo roadmatrix PLAN --roads FILE`: text, JSON, CSV and Parquet, same numbers."""
    import json

    import pandas as pd
    from click.testing import CliRunner

    from sandan_geo.cli import cli

    pts = bay_points()
    plan_file = tmp_path / "bay.yaml"
    plan_file.write_text(
        "id: bay\nsites:\n"
        f"  - {{key: a, name: 가, role: hub, lon: {pts[0][0]}, lat: {pts[0][1]}}}\n"
        f"  - {{key: b, name: 나, role: linked_complex, lon: {pts[-1][0]}, lat: {pts[-1][1]}}}\n"
        f"  - {{key: c, name: 다, role: linked_complex, lon: {pts[10][0]}, lat: {pts[10][1]}}}\n"
        "links:\n  - {from: b, to: a, relation: 부품 공급}\n  - {from: c, to: a, relation: 물류}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    base = ["roadmatrix", str(plan_file), "--roads", str(bay_file), "--max-km", "15"]
    r = runner.invoke(cli, base)
    assert r.exit_code == 0, r.output
    assert "4 ordered pairs of 3 sites by road within 15 km (length)" in r.stdout
    r = runner.invoke(cli, [*base, "--format", "json"])
    doc = json.loads(r.stdout)
    pairs = {(p["a"], p["b"]): p for p in doc["pairs"]}
    assert set(pairs) == {("a", "c"), ("c", "a"), ("b", "c"), ("c", "b")}
    assert pairs["a", "c"]["network_km"] == pytest.approx(10.0, abs=OSM_KM)
    out = tmp_path / "m.parquet"
    r = runner.invoke(cli, [*base, "-o", str(out)])
    assert r.exit_code == 0, r.output
    back = pd.read_parquet(out)
    assert sorted(zip(back.a, back.b, strict=True)) == sorted(pairs)
    csv = tmp_path / "m.csv"
    assert runner.invoke(cli, [*base, "-o", str(csv)]).exit_code == 0
    assert csv.read_text(encoding="utf-8-sig").splitlines()[0].startswith("a,b,network_km")
    r = runner.invoke(cli, ["roadmatrix", "--roads", str(bay_file)])
    assert r.exit_code == 2 and "PLANS" in r.stderr
    r = runner.invoke(cli, [*base, "--format", "parquet"])
    assert r.exit_code == 2 and "parquet writes a file" in r.stderr
    r = runner.invoke(cli, [*base, "--format", "csv", "-o", str(tmp_path / "x.parquet")])
    assert r.exit_code == 2 and "make them agree" in r.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_cli_candidates_by_road(bay_file: Path, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from sandan_geo.cli import cli

    pts = bay_points()
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(
        "sites:\n"
        f"  - {{key: a, name: 가, lon: {pts[0][0]}, lat: {pts[0][1]}}}\n"
        f"  - {{key: b, name: 나, lon: {pts[-1][0]}, lat: {pts[-1][1]}}}\n"
        f"  - {{key: c, name: 다, lon: {pts[10][0]}, lat: {pts[10][1]}}}\n",
        encoding="utf-8",
    )
    base = ["candidates", "a", "--sites", str(sites_file), "--max-km", "12", "--format", "json"]
    straight = json.loads(CliRunner().invoke(cli, base).stdout)["candidates"]
    assert {c["key"] for c in straight} == {"b", "c"}  # 4 km across the bay
    r = CliRunner().invoke(cli, [*base, "--metric", "road", "--roads", str(bay_file)])
    assert r.exit_code == 0, r.output
    by_road = json.loads(r.stdout)["candidates"]
    assert [(c["key"], c["metric"]) for c in by_road] == [("c", "road")]  # b is 20 km by road
    assert by_road[0]["distance_km"] == pytest.approx(10.0, abs=OSM_KM)
