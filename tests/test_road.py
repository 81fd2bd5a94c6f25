"""The road metric: loaders, entry nodes, distances, times, cache (sandan_geo.road).

Every road network here is built by the test itself, offline, from points placed
with ``pyproj.Geod.fwd`` so that each edge's length is known: the expected
distance is the sum of ``Geod.inv`` over the edges of the one shortest route.

- *grid*: 5 x 5 nodes 1 km apart (rows run east, columns north). Row 0 has
  ``maxspeed=30``, row 1 ``maxspeed=100``, rows 2-4 ``50``, columns ``60``; so the
  shortest route along row 0 is not the fastest (that one climbs to row 1).
- *bay*: two sites about 4 km apart across water, joined by road only around the
  bay (8 km north, 4 km east, 8 km south = 20 km); a footway across the bay must
  be ignored.
"""

from __future__ import annotations

import os
import pickle
import stat
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import pytest
from pyproj import Geod
from shapely import LineString, MultiPolygon, box

import sandan_geo as sg
from sandan_geo.errors import (
    GeometryError,
    InputError,
    MissingDependencyError,
    SchemaError,
)
from sandan_geo.measure import METRICS
from sandan_geo.model import Link, Part, Plan, PlanSite, Role, Site
from sandan_geo.road import (
    RoadMetric,
    load_roads,
    road_cache_dir,
    road_graph_from_lines,
    road_graph_from_osm,
)
from sandan_geo.rules import MaxDistance, MaxTravelTime

GEOD = Geod(ellps="GRS80")
MM = 1e-3  # metres
OSM_M = 0.05  # a round figure vs points rounded to OSM's 1e-7 degree (about 1 cm each)
MIN_TOL = 1e-6  # minutes
ORIGIN = (128.40, 35.80)  # near 대구

LonLat = tuple[float, float]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test writes to the user's real cache folder."""
    monkeypatch.setenv("SANDAN_GEO_CACHE", str(tmp_path_factory.mktemp("sg-cache")))


# --------------------------------------------------------------------------- fixtures


def fwd(p: LonLat, az: float, dist_m: float) -> LonLat:
    """The point ``dist_m`` from ``p`` at azimuth ``az``, to 1e-7 degree as OSM stores it."""
    lon, lat, _ = GEOD.fwd(p[0], p[1], az, dist_m)
    return (round(float(lon), 7), round(float(lat), 7))


def inv(p: LonLat, q: LonLat) -> float:
    return float(GEOD.inv(p[0], p[1], q[0], q[1])[2])


def route_m(points: Sequence[LonLat]) -> float:
    return sum(inv(p, q) for p, q in zip(points, points[1:], strict=False))


def write_osm(
    path: Path,
    nodes: dict[int, LonLat],
    ways: Sequence[tuple[Sequence[int], dict[str, str]]],
) -> Path:
    """Write an OSM XML file; coordinates as repr() so they read back exactly."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for nid, (lon, lat) in nodes.items():
        out.append(f'  <node id="{nid}" lat="{lat!r}" lon="{lon!r}"/>')
    for wid, (refs, tags) in enumerate(ways, start=1000):
        out.append(f'  <way id="{wid}">')
        out.extend(f'    <nd ref="{r}"/>' for r in refs)
        out.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        out.append("  </way>")
    out.append("</osm>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def grid_points(n: int = 5) -> dict[tuple[int, int], LonLat]:
    """Node (row i, column j): column 0 runs north from ORIGIN, rows run east, 1 km steps."""
    pts: dict[tuple[int, int], LonLat] = {}
    for i in range(n):
        pts[i, 0] = fwd(ORIGIN, 0.0, 1000.0 * i)
        for j in range(1, n):
            pts[i, j] = fwd(pts[i, j - 1], 90.0, 1000.0)
    return pts


def nid(i: int, j: int) -> int:
    return 10 * i + j + 1


ROW_KPH = {0: 30.0, 1: 100.0}  # other rows 50
COL_KPH = 60.0


def write_grid(path: Path, n: int = 5) -> Path:
    pts = grid_points(n)
    nodes = {nid(i, j): p for (i, j), p in pts.items()}
    ways: list[tuple[list[int], dict[str, str]]] = []
    for i in range(n):
        speed = ROW_KPH.get(i, 50.0)
        ways.append(
            ([nid(i, j) for j in range(n)], {"highway": "primary", "maxspeed": f"{speed:g}"})
        )
    for j in range(n):
        ways.append(
            (
                [nid(i, j) for i in range(n)],
                {"highway": "secondary", "maxspeed": f"{COL_KPH:g}"},
            )
        )
    return write_osm(path, nodes, ways)


def bay_points() -> list[LonLat]:
    """The road around the bay, from site A's node to site B's node, 1 km per step."""
    a = (127.70, 34.75)  # 전남 coast
    pts = [a]
    for az, steps in ((0.0, 8), (90.0, 4), (180.0, 8)):
        for _ in range(steps):
            pts.append(fwd(pts[-1], az, 1000.0))
    return pts


def write_bay(path: Path) -> Path:
    pts = bay_points()
    nodes = {i + 1: p for i, p in enumerate(pts)}
    ways = [
        (list(nodes), {"highway": "trunk", "maxspeed": "80"}),
        # A footbridge straight across the bay: not a road for cars.
        ([1, len(pts)], {"highway": "footway"}),
    ]
    return write_osm(path, nodes, ways)


def site(key: str, p: LonLat, **kw: object) -> Site:
    return Site(key=key, name_ko=f"{key} 산단", lon=p[0], lat=p[1], **kw)  # type: ignore[arg-type]


def two_site_plan(hub: Site, other: Site) -> Plan:
    return Plan(
        id="road-test",
        name="도로 시험",
        sites=(PlanSite(hub, Role.HUB), PlanSite(other, Role.LINKED_COMPLEX)),
        links=(Link(other.key, hub.key),),
    )


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_grid(tmp_path_factory.mktemp("roads") / "grid.osm")


@pytest.fixture(scope="module")
def grid(grid_file: Path) -> nx.MultiDiGraph:
    return road_graph_from_osm(grid_file, cache=False)


@pytest.fixture(scope="module")
def bay_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bay(tmp_path_factory.mktemp("roads") / "bay.osm")


# --------------------------------------------------------------------------- OSM loader


def test_osm_grid_loads_with_geodesic_lengths_and_speeds(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    assert grid.number_of_nodes() == 25
    assert grid.number_of_edges() == 2 * 2 * 5 * 4  # 40 road segments, both ways
    e = grid.edges[nid(0, 0), nid(0, 1), 0]
    assert e["length"] == pytest.approx(inv(pts[0, 0], pts[0, 1]), abs=1e-9)
    assert e["length"] == pytest.approx(1000.0, abs=OSM_M)
    assert e["speed_kph"] == 30.0
    assert e["travel_time"] == pytest.approx(e["length"] * 3.6 / 30.0, abs=1e-9)
    up = grid.edges[nid(0, 3), nid(1, 3), 0]
    assert up["length"] == pytest.approx(inv(pts[0, 3], pts[1, 3]), abs=1e-9)
    assert up["speed_kph"] == COL_KPH


def test_grid_distance_is_the_sum_of_edge_lengths(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    road = RoadMetric(grid)
    a, b = site("a", pts[0, 0]), site("b", pts[0, 4])
    d = road.distance(a, b)
    row = [pts[0, j] for j in range(5)]
    assert d.metric == "road"
    assert d.value_m == pytest.approx(route_m(row), abs=MM)
    assert d.value_m == pytest.approx(4000.0, abs=OSM_M)
    assert d.minutes == pytest.approx(route_m(row) / 1000.0 / 30.0 * 60.0, abs=MIN_TOL)
    assert d.path == tuple(row)
    assert d.from_point == pts[0, 0] and d.to_point == pts[0, 4]
    assert d.detail["from_node"] == nid(0, 0) and d.detail["to_node"] == nid(0, 4)
    assert d.detail["snap_from_m"] == 0.0 and d.detail["snap_to_m"] == 0.0
    assert d.detail["network_m"] == d.value_m
    # Undirected roads: the same both ways.
    assert road.distance(b, a).value_m == pytest.approx(d.value_m, abs=MM)


def test_fastest_route_differs_from_shortest(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    a, b = site("a", pts[0, 0]), site("b", pts[0, 4])
    fast = RoadMetric(grid, weight="travel_time").distance(a, b)
    route = [pts[0, 0], *(pts[1, j] for j in range(5)), pts[0, 4]]
    expected_s = (
        inv(pts[0, 0], pts[1, 0]) * 3.6 / COL_KPH
        + route_m([pts[1, j] for j in range(5)]) * 3.6 / ROW_KPH[1]
        + inv(pts[1, 4], pts[0, 4]) * 3.6 / COL_KPH
    )
    assert fast.path == tuple(route)
    assert fast.minutes == pytest.approx(expected_s / 60.0, abs=MIN_TOL)
    assert fast.minutes == pytest.approx(4.4, abs=1e-3)
    assert fast.value_m == pytest.approx(route_m(route), abs=MM)
    assert fast.detail["weight"] == "travel_time"
    slow = RoadMetric(grid).distance(a, b)
    assert slow.value_m < fast.value_m and slow.minutes is not None
    assert slow.minutes > fast.minutes


def test_snap_distance_is_reported_and_counted(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    off = fwd(pts[0, 0], 270.0, 300.0)  # 300 m west of the grid's corner
    d = RoadMetric(grid).distance(site("off", off), site("b", pts[0, 4]))
    assert d.detail["snap_from_m"] == pytest.approx(300.0, abs=OSM_M)
    assert d.detail["snap_to_m"] == 0.0
    assert d.detail["network_m"] == pytest.approx(4000.0, abs=OSM_M)
    assert d.value_m == pytest.approx(4300.0, abs=OSM_M)
    # The connector runs at 30 km/h (DEFAULT_CONNECTOR_KPH): 300 m is 0.6 min.
    assert d.minutes == pytest.approx(8.0 + 0.6, abs=1e-4)
    assert d.from_point == off
    assert d.path is not None and d.path[:2] == (off, pts[0, 0])


def test_far_site_raises_naming_site_and_distance(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    far = site("far", fwd(pts[0, 0], 225.0, 5000.0))
    with pytest.raises(InputError, match=r"site 'far'.*5,000 m from the nearest road,"):
        RoadMetric(grid).distance(far, site("b", pts[0, 4]))
    # A larger max_snap_m lets it in.
    d = RoadMetric(grid, max_snap_m=6000).distance(far, site("b", pts[0, 4]))
    assert d.detail["snap_from_m"] == pytest.approx(5000.0, abs=OSM_M)
    assert d.value_m == pytest.approx(9000.0, abs=OSM_M)


def test_extent_site_enters_where_roads_cross_it(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    # A complex stretching over nodes (1,1) and (1,2), 100 m around them.
    (x0, y0), (x1, y1) = fwd(pts[1, 1], 225.0, 141.0), fwd(pts[1, 2], 45.0, 141.0)
    wide = site("wide", pts[1, 1], extent=box(x0, y0, x1, y1))
    road = RoadMetric(grid)
    entries = road.entries(wide)
    # Every road through the extent is an entry at 0 m, at its first and last point inside.
    inside = [e for e in entries if e.snap_m == 0.0]
    assert {(e.tail, e.head) for e in inside} >= {
        (nid(1, 1), nid(1, 2)),
        (nid(1, 2), nid(1, 1)),
        (nid(1, 2), nid(1, 3)),
        (nid(0, 2), nid(1, 2)),
    }
    # Leaving east, the route joins row 1 where it leaves the extent, about 100 m past (1,2).
    d = road.distance(wide, site("b", pts[1, 4]))
    exit_point = (x1, pts[1, 2][1])
    assert d.detail["snap_from_m"] == 0.0
    assert d.detail["from_edge"] == (nid(1, 2), nid(1, 3))
    assert d.detail["from_node"] == nid(1, 3)
    expected = inv(exit_point, pts[1, 3]) + inv(pts[1, 3], pts[1, 4])
    assert d.value_m == pytest.approx(expected, abs=0.05)
    assert d.detail["entries_from"] == len(entries) >= 2
    # The extent's own distance is no longer than entering at node (1,2) would be.
    assert d.value_m < route_m([pts[1, 2], pts[1, 3], pts[1, 4]])
    # A site clear of every road: one entry point is the edge nearest its outline.
    clear = site("clear", fwd(pts[2, 2], 45.0, 300.0))
    here = (clear.lon, clear.lat)
    small = box(*fwd(here, 225.0, 30.0), *fwd(here, 45.0, 30.0))
    boxed = site("boxed", here, extent=small)
    one = RoadMetric(grid, entry_points=1).entries(boxed)
    assert 1 <= len(one) <= 2 and all(e.snap_m > 150 for e in one)


def test_multipolygon_and_parts_sites(grid: nx.MultiDiGraph) -> None:
    pts = grid_points()
    road = RoadMetric(grid)
    b = site("b", pts[0, 4])
    near = [pts[4, 0], pts[0, 3]]
    parts = Site(
        key="parts",
        name_ko="두 단지",
        lon=near[0][0],
        lat=near[0][1],
        parts=(Part("1단지", *near[0]), Part("2단지", *near[1])),
    )
    d = road.distance(parts, b)
    assert d.detail["from_node"] == nid(0, 3) and d.from_point == pts[0, 3]
    assert d.value_m == pytest.approx(inv(pts[0, 3], pts[0, 4]), abs=MM)
    # Boxes 1e-4 degree around each part: the row through the second box is entered
    # where it leaves the box, 1e-4 degree east of (0,3).
    boxes = [box(p[0] - 1e-4, p[1] - 1e-4, p[0] + 1e-4, p[1] + 1e-4) for p in near]
    multi = site("multi", near[0], extent=MultiPolygon(boxes))
    exit_point = (near[1][0] + 1e-4, near[1][1])
    expected = inv(exit_point, pts[0, 4])
    assert road.distance(multi, b).value_m == pytest.approx(expected, abs=0.05)


def test_osm_missing_file_and_bad_xml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="road file not found"):
        road_graph_from_osm(tmp_path / "nope.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable OSM XML file"):
        road_graph_from_osm(bad, cache=False)


def test_osm_without_roads_or_speeds(tmp_path: Path) -> None:
    pts = grid_points(2)
    nodes = {nid(i, j): p for (i, j), p in pts.items()}
    paths = write_osm(tmp_path / "paths.osm", nodes, [([1, 2], {"highway": "footway"})])
    with pytest.raises(SchemaError, match="no drivable road"):
        road_graph_from_osm(paths, cache=False)
    plain = write_osm(tmp_path / "plain.osm", nodes, [([1, 2, 12, 11], {"highway": "residential"})])
    with pytest.warns(sg.SandanGeoWarning, match="no road has a maxspeed"):
        G = road_graph_from_osm(plain, cache=False)
    road = RoadMetric(G)
    assert not road.has_time
    d = road.distance(site("a", pts[0, 0]), site("b", pts[1, 0]))
    assert d.minutes is None and d.value_m == pytest.approx(3000.0, abs=0.1)
    with pytest.raises(SchemaError, match="neither 'travel_time' nor 'speed_kph'"):
        RoadMetric(G, weight="travel_time")
    G2 = road_graph_from_osm(plain, cache=False, fallback_kph=40)
    assert {d["speed_kph"] for _, _, d in G2.edges(data=True)} == {40.0}
    G3 = road_graph_from_osm(plain, cache=False, hwy_speeds={"residential": 20})
    assert {d["speed_kph"] for _, _, d in G3.edges(data=True)} == {20.0}


def test_osm_needs_pyosmium(grid_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "osmium", None)
    with pytest.raises(MissingDependencyError, match="osmium"):
        road_graph_from_osm(grid_file, cache=False)


def test_simplify_needs_osmnx(grid_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "osmnx", None)
    with pytest.raises(MissingDependencyError, match="osmnx"):
        road_graph_from_osm(grid_file, cache=False, simplify=True)


# --------------------------------------------------------------------------- the bay, rules


def test_bay_fails_by_road_and_passes_by_centroid(bay_file: Path) -> None:
    pts = bay_points()
    a, b = site("a", pts[0]), site("b", pts[-1])
    road = RoadMetric(road_graph_from_osm(bay_file, cache=False))
    d = road.distance(a, b)
    assert d.value_m == pytest.approx(route_m(pts), abs=MM)
    assert d.value_m == pytest.approx(20_000.0, abs=1.0)
    assert d.minutes == pytest.approx(route_m(pts) / 1000.0 / 80.0 * 60.0, abs=MIN_TOL)
    assert d.path == tuple(pts)
    straight = sg.measure(a, b, metric="centroid").value_m
    assert straight == pytest.approx(4000.0, rel=0.01)

    plan = two_site_plan(a, b)
    by_road = sg.check_plan(plan, [MaxDistance(10, metric=road)])
    by_centroid = sg.check_plan(plan, [MaxDistance(10, metric="centroid")])
    assert not by_road.passed and by_centroid.passed
    check = by_road.checks[0]
    assert check.metric == "road" and check.value_km == pytest.approx(d.value_m / 1000.0)
    assert check.path == tuple(pts)
    assert check.detail["network_m"] == pytest.approx(d.value_m)
    # links: the same road, measured along the value-chain link (b -> a).
    links = sg.check_plan(plan, [MaxDistance(25, metric=road, between="links")])
    assert links.passed and links.checks[0].value_km == pytest.approx(20.0, abs=1e-3)

    # Keeping every highway, the footbridge is a short cut.
    every = RoadMetric(road_graph_from_osm(bay_file, cache=False, highways=None))
    assert every.distance(a, b).value_m == pytest.approx(straight, abs=MM)


def test_max_travel_time_and_registered_name(
    bay_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pts = bay_points()
    plan = two_site_plan(site("a", pts[0]), site("b", pts[-1]))
    road = RoadMetric(road_graph_from_osm(bay_file, cache=False))
    minutes = route_m(pts) / 1000.0 / 80.0 * 60.0  # 15 min
    ok = sg.check_plan(plan, [MaxTravelTime(16, metric=road)])
    late = sg.check_plan(plan, [MaxTravelTime(14, metric=road)])
    assert ok.passed and not late.passed
    assert ok.checks[0].minutes == pytest.approx(minutes, abs=MIN_TOL)
    assert ok.checks[0].limit_minutes == 16
    # Registered, "road" works as a name (rule files, the CLI's --metric road).
    monkeypatch.setitem(METRICS, "road", road)
    assert sg.register_metric(road) is road
    rules = [{"type": "max_travel_time", "minutes": 16}, {"type": "max_distance", "km": 10}]
    report = sg.check_plan(plan, rules, metric="road")
    assert [c.passed for c in report.checks] == [True, False]
    assert report.checks[1].metric == "road"


# --------------------------------------------------------------------------- plain graphs


def plain_grid(n: int = 5) -> nx.Graph:
    pts = grid_points(n)
    G = nx.Graph()
    for (i, j), (x, y) in pts.items():
        G.add_node((i, j), x=x, y=y)
    for (i, j), p in pts.items():
        for q in ((i + 1, j), (i, j + 1)):
            if q in pts:
                G.add_edge((i, j), q, length=inv(p, pts[q]), speed_kph=50.0)
    return G


def test_plain_networkx_graph_matches_dijkstra() -> None:
    G = plain_grid()
    pts = grid_points()
    road = RoadMetric(G)
    hub = site("hub", pts[2, 2])
    for key in [(0, 0), (4, 1), (3, 4), (2, 2)]:
        d = road.distance(hub, site(f"s{key}", pts[key]))
        expected = nx.dijkstra_path_length(G, (2, 2), key, weight="length")
        assert d.value_m == pytest.approx(expected, abs=MM)
        assert d.minutes == pytest.approx(expected / 1000.0 / 50.0 * 60.0, abs=MIN_TOL)
        assert d.detail["from_node"] == (2, 2) and d.detail["to_node"] == key
        assert d.path is not None and len(d.path) == max(
            1, sum(abs(a - b) for a, b in zip(key, (2, 2), strict=True)) + 1
        )
    # One search from the hub served every site.
    assert len(road._searches) == 1


def test_multigraph_takes_the_cheapest_parallel_edge_and_its_geometry() -> None:
    G = nx.MultiDiGraph()
    G.add_node("a", x=127.0, y=37.0)
    G.add_node("b", x=127.01, y=37.0)
    curve = LineString([(127.0, 37.0), (127.005, 37.004), (127.01, 37.0)])
    G.add_edge("a", "b", length=1500.0, travel_time=60.0, geometry=curve)  # fast detour
    G.add_edge("a", "b", length=890.0, travel_time=120.0)  # short and slow
    a, b = site("a", (127.0, 37.0)), site("b", (127.01, 37.0))
    short = RoadMetric(G).distance(a, b)
    fast = RoadMetric(G, weight="travel_time").distance(a, b)
    assert (short.value_m, short.minutes) == (890.0, 2.0)
    assert (fast.value_m, fast.minutes) == (1500.0, 1.0)
    assert fast.path == tuple(curve.coords)


def test_undirected_edge_geometry_is_oriented() -> None:
    G = nx.Graph()
    G.add_node(1, x=127.0, y=37.0)
    G.add_node(2, x=127.01, y=37.0)
    G.add_edge(
        1, 2, length=1000.0, geometry=LineString([(127.01, 37.0), (127.005, 37.001), (127.0, 37.0)])
    )
    d = RoadMetric(G).distance(site("a", (127.0, 37.0)), site("b", (127.01, 37.0)))
    assert d.path == ((127.0, 37.0), (127.005, 37.001), (127.01, 37.0))


def test_one_way_roads_and_no_path() -> None:
    G = nx.DiGraph()
    G.add_node(1, x=127.0, y=37.0)
    G.add_node(2, x=127.01, y=37.0)
    G.add_edge(1, 2, length=890.0)
    a, b = site("a", (127.0, 37.0)), site("b", (127.01, 37.0))
    road = RoadMetric(G)
    assert road.distance(a, b).value_m == 890.0
    with pytest.raises(InputError, match=r"no road path from site 'b' .* to site 'a'"):
        road.distance(b, a)


def test_bad_graphs_and_parameters() -> None:
    G = nx.Graph()
    G.add_node(1, x=127.0, y=37.0)
    G.add_node(2, x=127.01, y=37.0)
    G.add_edge(1, 2)
    with pytest.raises(SchemaError, match="no usable 'length'"):
        RoadMetric(G)
    G.add_node(3)
    with pytest.raises(SchemaError, match="no numeric 'x'/'y'"):
        RoadMetric(G)
    P = nx.Graph(crs="EPSG:5179")
    P.add_node(1, x=1_000_000.0, y=2_000_000.0)
    with pytest.raises(GeometryError, match="not longitude/latitude"):
        RoadMetric(P)
    with pytest.raises(SchemaError, match="no nodes"):
        RoadMetric(nx.Graph())
    ok = plain_grid(2)
    for kw, field in [
        ({"max_snap_m": -1}, "max_snap_m"),
        ({"entry_points": 0}, "entry_points"),
        ({"weight": "time"}, "weight"),
        ({"connector_kph": 0}, "connector_kph"),
    ]:
        with pytest.raises(InputError, match=field):
            RoadMetric(ok, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- lines loader


def grid_lines(n: int = 3) -> tuple[list[LineString], list[str], list[str], list[float]]:
    pts = grid_points(n)
    lines, f, t, spd = [], [], [], []
    for (i, j), p in pts.items():
        for q, kph in (((i, j + 1), 30.0), ((i + 1, j), 60.0)):
            if q in pts:
                lines.append(LineString([p, pts[q]]))
                f.append(f"N{i}{j}")
                t.append(f"N{q[0]}{q[1]}")
                spd.append(kph)
    return lines, f, t, spd


def test_lines_gpkg_with_node_fields_reprojected(tmp_path: Path) -> None:
    import geopandas as gpd

    lines, f, t, spd = grid_lines()
    spd[0] = 0.0  # invalid: gets the mean of the valid speeds
    gdf = gpd.GeoDataFrame(
        {"F_NODE": f, "T_NODE": t, "MAX_SPD": spd}, geometry=lines, crs="EPSG:4326"
    ).to_crs("EPSG:5179")
    path = tmp_path / "MOCT_LINK.gpkg"
    gdf.to_file(path, layer="links")
    G = road_graph_from_lines(path, speed_field="MAX_SPD", cache=False)
    assert set(G.nodes) == {f"N{i}{j}" for i in range(3) for j in range(3)}
    assert G.number_of_edges() == 2 * len(lines)
    pts = grid_points(3)
    e = G.edges["N00", "N01", 0]
    assert e["length"] == pytest.approx(inv(pts[0, 0], pts[0, 1]), abs=MM)
    assert e["speed_kph"] == pytest.approx(sum(spd[1:]) / (len(spd) - 1))
    road = RoadMetric(G)
    d = road.distance(site("a", pts[0, 0]), site("b", pts[0, 2]))
    assert d.value_m == pytest.approx(route_m([pts[0, 0], pts[0, 1], pts[0, 2]]), abs=MM)
    # Directed links (one per direction in MOCT_LINK): no way back against them.
    one_way = RoadMetric(road_graph_from_lines(path, directed=True, cache=False))
    assert one_way.distance(site("a", pts[0, 0]), site("b", pts[0, 2])).minutes is None
    with pytest.raises(InputError, match="no road path"):
        one_way.distance(site("b", pts[0, 2]), site("a", pts[0, 0]))
    with pytest.raises(SchemaError, match="no field.*SPEED"):
        road_graph_from_lines(path, speed_field="SPEED", cache=False)


def test_lines_shapefile_from_endpoints(tmp_path: Path) -> None:
    import geopandas as gpd

    lines, *_ = grid_lines()
    # A bent line: its length runs along its vertices.
    pts = grid_points(3)
    mid = fwd(pts[2, 0], 135.0, 200.0)
    lines.append(LineString([pts[2, 0], mid, pts[1, 1]]))
    path = tmp_path / "roads.shp"
    gpd.GeoDataFrame({"kind": ["road"] * len(lines)}, geometry=lines, crs="EPSG:4326").to_file(path)
    G = load_roads(path, fallback_kph=50.0, cache=False)
    assert G.number_of_nodes() == 9
    road = RoadMetric(G)
    d = road.distance(site("a", pts[2, 0]), site("b", pts[1, 1]))
    assert d.value_m == pytest.approx(route_m([pts[2, 0], mid, pts[1, 1]]), abs=MM)
    assert d.path == (pts[2, 0], mid, pts[1, 1])
    assert d.minutes == pytest.approx(d.value_m / 1000.0 / 50.0 * 60.0, abs=MIN_TOL)


def test_load_roads_dispatch(grid_file: Path, tmp_path: Path) -> None:
    assert load_roads(grid_file, cache=False).number_of_nodes() == 25
    with pytest.raises(InputError, match="suffix"):
        load_roads(tmp_path / "roads.csv")


# --------------------------------------------------------------------------- disk cache


def test_cache_hit_then_miss_after_change(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "grid.osm", n=3)
    cache = tmp_path / "cache"
    first = road_graph_from_osm(path, cache_dir=cache)
    assert first.graph["cache"] == "miss"
    assert Path(first.graph["cache_path"]).parent == cache
    second = road_graph_from_osm(path, cache_dir=cache)
    assert second.graph["cache"] == "hit"
    assert second.graph["source_sha256"] == first.graph["source_sha256"]
    assert nx.utils.edges_equal(first.edges(data="length"), second.edges(data="length"))
    # Other options are another entry.
    assert road_graph_from_osm(path, cache_dir=cache, fallback_kph=20).graph["cache"] == "miss"
    # Change the file: the content hash changes, so the cache misses.
    path.write_text(path.read_text().replace('v="30"', 'v="40"'), encoding="utf-8")
    third = road_graph_from_osm(path, cache_dir=cache)
    assert third.graph["cache"] == "miss"
    assert third.graph["source_sha256"] != first.graph["source_sha256"]
    assert third.edges[nid(0, 0), nid(0, 1), 0]["speed_kph"] == 40.0
    assert road_graph_from_osm(path, cache_dir=cache).graph["cache"] == "hit"


def test_cache_folder_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDAN_GEO_CACHE", str(tmp_path / "env"))
    assert road_cache_dir() == tmp_path / "env" / "roads"
    path = write_grid(tmp_path / "g.osm", n=2)
    G = road_graph_from_osm(path)
    assert Path(G.graph["cache_path"]).parent == tmp_path / "env" / "roads"
    monkeypatch.delenv("SANDAN_GEO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert road_cache_dir() == tmp_path / "xdg" / "sandan_geo" / "roads"


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "g.osm", n=2)
    G = road_graph_from_osm(path, cache_dir=tmp_path)
    Path(G.graph["cache_path"]).write_bytes(b"not a pickle")
    with pytest.warns(sg.SandanGeoWarning, match="could not be read"):
        again = road_graph_from_osm(path, cache_dir=tmp_path)
    assert again.graph["cache"] == "miss"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert road_graph_from_osm(path, cache_dir=tmp_path).graph["cache"] == "hit"


class _Planted:
    """Unpickling this makes the folder ``path``: proof that a pickle ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.path),)


def test_planted_pickle_entry_never_runs(tmp_path: Path) -> None:
    """An entry planted where the cache reads (a pickle that runs code) is ignored, never run."""
    path = write_grid(tmp_path / "g.osm", n=2)
    cache = tmp_path / "cache"
    G = road_graph_from_osm(path, cache_dir=cache)
    entry = Path(G.graph["cache_path"])
    ran = tmp_path / "pickle-ran"
    planted = pickle.dumps(_Planted(ran))
    entry.write_bytes(planted)
    (entry.parent / f"{entry.name.split('.')[0]}.pickle").write_bytes(planted)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        again = road_graph_from_osm(path, cache_dir=cache)
    assert not ran.exists(), "the planted pickle ran"
    assert any("could not be read" in str(w.message) for w in seen)
    assert again.graph["cache"] == "miss"
    assert nx.utils.edges_equal(G.edges(data="length"), again.edges(data="length"))
    assert entry.read_bytes() != planted  # rebuilt over the planted entry
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert road_graph_from_osm(path, cache_dir=cache).graph["cache"] == "hit"
    assert not ran.exists()


def test_cache_folder_and_entries_are_owner_only(tmp_path: Path) -> None:
    """Even under umask 000 the cache folders are 0o700 and entries 0o600."""
    path = write_grid(tmp_path / "g.osm", n=2)
    old = os.umask(0)
    try:
        G = road_graph_from_osm(path, cache_dir=tmp_path / "a" / "b")
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(Path(G.graph["cache_path"]).stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and modes")
def test_unsafe_entries_are_ignored(tmp_path: Path) -> None:
    """Entries writable by others, symlinks and another key's entry are rebuilt, not read."""
    path = write_grid(tmp_path / "g.osm", n=2)
    other = write_grid(tmp_path / "h.osm", n=3)
    cache = tmp_path / "cache"
    entry = Path(road_graph_from_osm(path, cache_dir=cache).graph["cache_path"])
    foreign = Path(road_graph_from_osm(other, cache_dir=cache).graph["cache_path"])

    entry.chmod(0o666)
    with pytest.warns(sg.SandanGeoWarning, match="others may write"):
        assert road_graph_from_osm(path, cache_dir=cache).graph["cache"] == "miss"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600

    entry.unlink()
    entry.symlink_to(foreign)
    with pytest.warns(sg.SandanGeoWarning, match="cannot be opened"):
        G = road_graph_from_osm(path, cache_dir=cache)
    assert G.graph["cache"] == "miss" and G.number_of_nodes() == 4
    assert not entry.is_symlink()

    entry.write_bytes(foreign.read_bytes())  # a valid entry, but for another key
    entry.chmod(0o600)
    with pytest.warns(sg.SandanGeoWarning, match="another format or key"):
        G = road_graph_from_osm(path, cache_dir=cache)
    assert G.graph["cache"] == "miss" and G.number_of_nodes() == 4

    if os.geteuid() == 0:  # only root can give a file to someone else
        os.chown(entry, 12345, 12345)
        with pytest.warns(sg.SandanGeoWarning, match="belongs to user id 12345"):
            assert road_graph_from_osm(path, cache_dir=cache).graph["cache"] == "miss"


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and modes")
def test_cache_folder_writable_by_others_is_not_used(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "g.osm", n=2)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.warns(sg.SandanGeoWarning, match="others may write"):
        G = road_graph_from_osm(path, cache_dir=shared)
    assert G.graph["cache"] == "off"
    assert list(shared.iterdir()) == []


def test_cli_road_metric_and_map(bay_file: Path, tmp_path: Path) -> None:
    """`--metric road --roads FILE` in validate and map: the road check fails, the path is drawn."""
    import json

    from click.testing import CliRunner

    from sandan_geo.cli import cli
    from sandan_geo.measure import METRICS

    pts = bay_points()
    plan_file = tmp_path / "bay.yaml"
    plan_file.write_text(
        "id: bay\nsites:\n"
        f"  - {{key: a, name: 가, role: hub, lon: {pts[0][0]}, lat: {pts[0][1]}}}\n"
        f"  - {{key: b, name: 나, role: linked_complex, lon: {pts[-1][0]}, lat: {pts[-1][1]}}}\n"
        "links:\n  - {from: b, to: a, relation: 부품 공급}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    args = ["validate", str(plan_file), "--max-km", "10", "--metric", "road"]
    METRICS.pop("road", None)
    r = runner.invoke(cli, args)  # no --roads: a clear error, exit 2
    assert r.exit_code == 2 and "road" in r.stderr
    r = runner.invoke(cli, [*args, "--roads", str(bay_file), "--format", "json"])
    assert r.exit_code == 1, r.output
    check = next(c for c in json.loads(r.stdout)["checks"] if c["rule_type"] == "max_distance")
    assert check["metric"] == "road" and check["value_km"] == pytest.approx(20.0, abs=1e-3)
    out = tmp_path / "bay.html"
    r = runner.invoke(
        cli,
        [
            "map",
            str(plan_file),
            "--max-km",
            "10",
            "--metric",
            "road",
            "--roads",
            str(bay_file),
            "--offline",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 1
    html = out.read_text(encoding="utf-8")
    # the drawn check line follows the road (every bay vertex), not the straight line
    assert html.count(f"[{round(pts[3][1], 6)},{round(pts[3][0], 6)}]") >= 1
    METRICS.pop("road", None)


def test_osm_pbf_loads_like_its_xml(grid_file: Path, tmp_path: Path) -> None:
    """A .osm.pbf extract (written here with pyosmium from the XML grid) gives the same graph."""
    osmium = pytest.importorskip("osmium")
    pbf = tmp_path / "grid.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(grid_file)):
            writer.add(obj)
    from_xml = road_graph_from_osm(grid_file, cache=False)
    from_pbf = sg.load_roads(pbf, cache=False)
    assert sorted(from_pbf.nodes) == sorted(from_xml.nodes)
    assert from_pbf.number_of_edges() == from_xml.number_of_edges()
    # PBF stores coordinates to 1e-7 degree (about 1 cm), the XML fixture to full precision
    for u, v, k, d in from_xml.edges(keys=True, data=True):
        assert from_pbf.edges[u, v, k]["length"] == pytest.approx(d["length"], abs=0.02)
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not a pbf")
    with pytest.raises(sg.InputError, match="pbf"):
        sg.load_roads(bad, cache=False)


# --------------------------------------------------------------------------- careless files


def test_one_maxspeed_0_costs_that_road_its_tag_not_the_whole_file(tmp_path: Path) -> None:
    pts = grid_points(3)
    nodes = {nid(i, j): p for (i, j), p in pts.items()}
    ways = [
        ([nid(0, 0), nid(0, 1), nid(0, 2)], {"highway": "primary", "maxspeed": "60"}),
        ([nid(0, 2), nid(1, 2), nid(2, 2)], {"highway": "primary", "maxspeed": "0"}),
        ([nid(0, 0), nid(1, 0), nid(2, 0)], {"highway": "primary", "maxspeed": "walk"}),
    ]
    path = write_osm(tmp_path / "zero.osm", nodes, ways)
    with pytest.warns(sg.SandanGeoWarning, match=r"way\(s\) 1001, 1002: maxspeed gives no usable"):
        G = road_graph_from_osm(path, cache=False, simplify=False)
    times = [d["travel_time"] for _, _, d in G.edges(data=True)]
    assert all(t > 0 and t != float("inf") for t in times)  # every road still has a time
    speeds = {d["osmid"]: d["speed_kph"] for _, _, d in G.edges(data=True)}
    assert speeds[1000] == 60.0 and speeds[1001] == 60.0  # the class's mean speed


def test_a_compressed_osm_file_with_more_roads_than_the_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bz2

    from sandan_geo import roadload

    # A small compressed file that expands to many road ways: refused at the bound,
    # while reading, not after filling memory.
    path = tmp_path / "bomb.osm.bz2"
    with bz2.open(path, "wb") as f:
        f.write(b'<?xml version="1.0"?><osm version="0.6">')
        f.write(b'<node id="1" lat="37.0" lon="127.0"/><node id="2" lat="37.0" lon="127.01"/>')
        way = b'<way id="%d"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>'
        for i in range(20_000):
            f.write(way % i)
        f.write(b"</osm>")
    assert path.stat().st_size < 50_000  # about 1.8 MB expanded
    monkeypatch.setattr(roadload, "MAX_ROAD_REFS", 10_000)
    with pytest.raises(sg.InputError, match="over 10,000 road node references"):
        road_graph_from_osm(path, cache=False)


def test_disjoint_parts_of_a_road_line_are_not_joined_by_a_straight_segment(
    tmp_path: Path,
) -> None:
    import geopandas as gpd
    from shapely import MultiLineString

    # two roads 5 km apart in one feature: a straight join would be a 5 km shortcut
    a = [(127.00, 37.00), (127.01, 37.00)]
    b = [(127.06, 37.00), (127.07, 37.00)]
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"speed": [60]}, geometry=[MultiLineString([a, b])], crs="EPSG:4326").to_file(
        path
    )
    with pytest.warns(sg.SandanGeoWarning, match=r"feature\(s\) 1: multi-lines whose parts"):
        G = road_graph_from_lines(path, cache=False)
    assert G.number_of_edges() == 4  # two roads, both directions
    assert nx.number_weakly_connected_components(G) == 2  # no road from one to the other
