"""Distance and travel time along a road network: the ``road`` metric.

:class:`RoadMetric` measures between two sites along a :mod:`networkx` road
graph whose nodes carry ``x`` (longitude) and ``y`` (latitude) and whose edges
carry ``length`` in metres and, optionally, ``speed_kph`` or ``travel_time``
(seconds). Loaders build such a graph from an OpenStreetMap XML file
(:func:`road_graph_from_osm`, with osmnx) or from a road-line GeoPackage or
shapefile such as the national 표준노드링크 ``MOCT_LINK``
(:func:`road_graph_from_lines`); :func:`load_roads` picks one by the file's
suffix. Loaded graphs are cached on disk, keyed by the file's content.

How a distance is made (``docs/roads.md`` says why):

1. Each site enters the network at *entry nodes*: a point site at its nearest
   road node; a site with an extent at the nodes nearest to points spread
   along its boundary (and the node nearest the extent as a whole); a site made
   of parts' points at the node nearest each part. At most ``entry_points``
   entries per site, none farther than ``max_snap_m`` (else
   :class:`~sandan_geo.errors.InputError`).
2. The *snap* from the site to an entry node is the GRS80 geodesic from the
   footprint to the node (0 for a node inside the extent).
3. One Dijkstra search runs from all of the first site's entry nodes at once,
   each started at its snap; it is kept and resumed for the next site asked
   about, so checking a hub against n sites costs one search.
4. The value is ``snap_from_m + network_m + snap_to_m`` for the best pair of
   entry nodes; ``minutes`` adds the snaps at ``connector_kph`` to the edges'
   travel times. ``Distance.detail`` reports each part.

Examples
--------
>>> import networkx as nx
>>> from sandan_geo.model import Site
>>> G = nx.Graph()
>>> G.add_nodes_from([(1, {"x": 127.00, "y": 37.0}), (2, {"x": 127.01, "y": 37.0}),
...                   (3, {"x": 127.02, "y": 37.0})])
>>> G.add_edge(1, 2, length=890.0, speed_kph=60.0)
>>> G.add_edge(2, 3, length=890.0, speed_kph=60.0)
>>> road = RoadMetric(G)
>>> a = Site(key="a", name_ko="가", lon=127.0, lat=37.0)
>>> b = Site(key="b", name_ko="나", lon=127.02, lat=37.0)
>>> d = road.distance(a, b)
>>> d.metric, d.value_m, round(d.minutes, 3), d.detail["from_node"], d.detail["to_node"]
('road', 1780.0, 1.78, 1, 3)
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import json
import math
import os
import re
import stat
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx
import numpy as np
import shapely
from shapely import LineString, MultiPoint, Point
from shapely.geometry.base import BaseGeometry

from .crs import GEOD, STORAGE_CRS, geodesic_m, segmentized, to_planar, to_storage
from .errors import (
    GeometryError,
    InputError,
    MissingDependencyError,
    SandanGeoWarning,
    SchemaError,
)
from .measure import Distance
from .model import Site

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CACHE_ENV",
    "DEFAULT_CONNECTOR_KPH",
    "DRIVE_HIGHWAYS",
    "RoadMetric",
    "edge_values",
    "load_roads",
    "road_cache_dir",
    "road_graph_from_lines",
    "road_graph_from_osm",
]

DEFAULT_CONNECTOR_KPH: float = 30.0
"""Speed (km/h) of the straight connector between a site and its entry node.

30 km/h is the limit on local streets under Korea's 안전속도 5030 policy; the
connector stands for the last stretch inside or beside a complex.
"""

CACHE_ENV: str = "SANDAN_GEO_CACHE"
"""Environment variable naming sandan_geo's cache folder; roads go to its ``roads/``."""

DRIVE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
    }
)
"""OSM ``highway`` values kept by :func:`road_graph_from_osm` by default: roads open to cars.

The same classes as osmnx's ``network_type="drive"``: footways, paths, tracks,
service roads (parking aisles, driveways) and roads under construction are left out.
"""

Weight = Literal["length", "travel_time"]
_WEIGHTS: tuple[str, ...] = ("length", "travel_time")
_CACHE_FORMAT = 2  # bump when the cached graph's layout changes (1 was a pickle)
_COORD_DIGITS = 7  # line endpoints equal to 1e-7 degrees (~1 cm) are one node
_LINE_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".sqlite")
_OSM_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".xml.bz2", ".osm.pbf", ".pbf")
_SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


# --------------------------------------------------------------------------- the metric


@dataclass(frozen=True)
class _Entry:
    """Where a site meets the road network."""

    node: Hashable
    snap_m: float  # geodesic, site footprint -> node
    site_point: tuple[float, float]  # the footprint point the snap starts from


class _Search:
    """A resumable multi-source Dijkstra search with a start cost per source.

    Equivalent to :func:`networkx.multi_source_dijkstra` from a virtual node
    joined to each source by an edge of the source's start cost; networkx starts
    every source at 0, which would ignore how far each entry node lies from the
    site. The search settles nodes only as far as the targets asked about need,
    and keeps its state so the next target continues where it stopped.
    """

    __slots__ = ("counter", "dist", "heap", "pred", "seen")

    def __init__(self, sources: Mapping[Hashable, float]) -> None:
        self.dist: dict[Hashable, float] = {}  # settled: final cost
        self.seen: dict[Hashable, float] = {}  # tentative cost
        self.pred: dict[Hashable, Hashable] = {}
        self.counter = itertools.count()
        self.heap: list[tuple[float, int, Hashable]] = []
        for node, cost in sources.items():
            if cost < self.seen.get(node, math.inf):
                self.seen[node] = cost
                heapq.heappush(self.heap, (cost, next(self.counter), node))

    def reach(
        self,
        succ: Mapping[Hashable, list[tuple[Hashable, float]]],
        targets: Mapping[Hashable, float],
    ) -> tuple[float, Hashable | None]:
        """Return the least ``cost(node) + targets[node]`` and its node (``None``: unreachable)."""
        best, best_node = math.inf, None
        for node, extra in targets.items():
            if node in self.dist and self.dist[node] + extra < best:
                best, best_node = self.dist[node] + extra, node
        dist, seen, pred, heap = self.dist, self.seen, self.pred, self.heap
        push, pop, counter = heapq.heappush, heapq.heappop, self.counter
        # Any target not yet settled costs at least the heap's top: stop once that
        # is no better than the best found.
        while heap and heap[0][0] < best:
            d, _, v = pop(heap)
            if v in dist:
                continue
            dist[v] = d
            to_go = targets.get(v)
            if to_go is not None and d + to_go < best:
                best, best_node = d + to_go, v
            for w, cost in succ.get(v, ()):
                vw = d + cost
                if w not in dist and vw < seen.get(w, math.inf):
                    seen[w] = vw
                    pred[w] = v
                    push(heap, (vw, next(counter), w))
        return best, best_node

    def path_to(self, node: Hashable) -> list[Hashable]:
        """Return the settled path from a source to ``node``."""
        path = [node]
        while path[-1] in self.pred:
            path.append(self.pred[path[-1]])
        path.reverse()
        return path


class RoadMetric:
    """Distance and travel time between sites along a road graph.

    Parameters
    ----------
    G
        A :mod:`networkx` graph (``Graph``, ``DiGraph``, ``MultiGraph`` or
        ``MultiDiGraph``; an undirected graph is a two-way road network). Reads
        node attributes ``x`` (longitude) and ``y`` (latitude), WGS84 degrees,
        and edge attributes ``length`` (metres, required), ``travel_time``
        (seconds) or else ``speed_kph`` (km/h) for travel times, and
        ``geometry`` (a lon/lat ``LineString`` from the edge's first node to its
        last) for drawing the path. Of parallel edges the cheapest is used.
        The graph is read, never changed; do not change it while the metric is
        in use (the metric keeps searches over it).
    max_snap_m
        Farthest a site may lie from its nearest road node, metres.
    entry_points
        Most entry nodes per site with an extent or parts; 1 uses only the node
        nearest the footprint.
    weight
        What the shortest path minimises: ``"length"`` (the shortest route, its
        length the value) or ``"travel_time"`` (the fastest route; needs speeds).
        ``value_m`` and ``minutes`` are both reported for the route chosen.
    connector_kph
        Speed of the straight connector between a site and its entry node.
    name
        The metric's name, under which :func:`sandan_geo.register_metric` files it.
    cache_size
        How many searches (one per source site) to keep.

    Raises
    ------
    SchemaError
        The graph is empty, a node lacks ``x``/``y``, an edge lacks a usable
        ``length``, or ``weight="travel_time"`` and an edge has no speed.
    GeometryError
        Node coordinates are not longitude/latitude (a projected graph).
    InputError
        A bad parameter.

    Examples
    --------
    A site off the road is joined to its nearest node; the snap is part of the value:

    >>> import networkx as nx
    >>> from sandan_geo.crs import geodesic_m
    >>> from sandan_geo.model import Site
    >>> G = nx.Graph()
    >>> G.add_nodes_from([("w", {"x": 127.0, "y": 37.0}), ("e", {"x": 127.1, "y": 37.0})])
    >>> G.add_edge("w", "e", length=8900.0, speed_kph=80.0)
    >>> road = RoadMetric(G, max_snap_m=2000)
    >>> a = Site(key="a", name_ko="가", lon=127.0, lat=37.01)
    >>> b = Site(key="b", name_ko="나", lon=127.1, lat=37.0)
    >>> d = road.distance(a, b)
    >>> round(d.detail["snap_from_m"], 1), d.detail["network_m"], round(d.value_m, 1)
    (1109.8, 8900.0, 10009.8)
    >>> d.path
    ((127.0, 37.01), (127.0, 37.0), (127.1, 37.0))
    >>> far = Site(key="far", name_ko="먼곳", lon=127.0, lat=37.1)
    >>> road.distance(far, b)
    Traceback (most recent call last):
    ...
    sandan_geo.errors.InputError: site 'far': 먼곳 is 11,098 m from the nearest road node, more than max_snap_m=2000 m; use road data that covers the site, or pass a larger max_snap_m
    """

    name: str

    def __init__(
        self,
        G: nx.Graph,
        *,
        max_snap_m: float = 1000.0,
        entry_points: int = 8,
        weight: Weight = "length",
        connector_kph: float = DEFAULT_CONNECTOR_KPH,
        name: str = "road",
        cache_size: int = 16,
    ) -> None:
        _check_positive(max_snap_m, "max_snap_m", "metres, e.g. 1000")
        _check_positive(connector_kph, "connector_kph", "km/h, e.g. 30")
        if isinstance(entry_points, bool) or not isinstance(entry_points, int) or entry_points < 1:
            raise InputError(
                f"entry_points is {entry_points!r}",
                field="entry_points",
                hint="give a whole number ≥ 1",
            )
        if weight not in _WEIGHTS:
            raise InputError(
                f"weight is {weight!r}", field="weight", hint=f"use one of: {', '.join(_WEIGHTS)}"
            )
        if not isinstance(G, nx.Graph):
            raise InputError(
                f"a road graph must be a networkx graph, not {type(G).__name__}",
                hint="build one with road_graph_from_osm or road_graph_from_lines",
            )
        self.G = G
        self.name = name
        self.max_snap_m = float(max_snap_m)
        self.entry_points = entry_points
        self.weight: Weight = weight
        self.connector_kph = float(connector_kph)
        self.cache_size = max(int(cache_size), 1)
        self._nodes, lonlat = _node_table(G)
        self._lonlat = lonlat
        planar = shapely.get_coordinates(to_planar(shapely.multipoints(lonlat)))
        self._planar = shapely.points(planar)
        self._tree = shapely.STRtree(self._planar)
        self._index = {n: i for i, n in enumerate(self._nodes)}
        self._succ, self.has_time = _adjacency(G, weight)
        self._searches: OrderedDict[tuple[tuple[Hashable, float], ...], _Search] = OrderedDict()
        self._entry_cache: OrderedDict[tuple[Any, ...], tuple[_Entry, ...]] = OrderedDict()

    def __repr__(self) -> str:
        return (
            f"RoadMetric(name={self.name!r}, nodes={self.G.number_of_nodes()}, "
            f"edges={self.G.number_of_edges()}, weight={self.weight!r}, "
            f"has_time={self.has_time})"
        )

    # ------------------------------------------------------------------ entries

    def entries(self, site: Site) -> tuple[tuple[Hashable, float], ...]:
        """Return the site's entry nodes and their snapping distances (m), nearest first.

        Raises
        ------
        InputError
            No road node within ``max_snap_m`` of the site.

        Examples
        --------
        >>> import networkx as nx
        >>> from shapely import box
        >>> from sandan_geo.model import Site
        >>> G = nx.path_graph(3)
        >>> nx.set_node_attributes(G, {0: 127.0, 1: 127.01, 2: 127.02}, "x")
        >>> nx.set_node_attributes(G, 37.0, "y")
        >>> nx.set_edge_attributes(G, 890.0, "length")
        >>> s = Site(key="s", name_ko="단지", lon=127.0, lat=37.0,
        ...          extent=box(126.995, 36.995, 127.005, 37.005))
        >>> [(n, round(m)) for n, m in RoadMetric(G).entries(s)]
        [(0, 0), (1, 445)]
        """
        return tuple((e.node, e.snap_m) for e in self._entries(site))

    def _entries(self, site: Site) -> tuple[_Entry, ...]:
        fp = site.footprint
        key = (site.key, site.lon, site.lat, shapely.to_wkb(fp))
        hit = self._entry_cache.get(key)
        if hit is not None:
            self._entry_cache.move_to_end(key)
            return hit
        found = self._find_entries(site, fp)
        self._entry_cache[key] = found
        if len(self._entry_cache) > 1024:
            self._entry_cache.popitem(last=False)
        return found

    def _find_entries(self, site: Site, fp: BaseGeometry) -> tuple[_Entry, ...]:
        if fp.is_empty:
            raise GeometryError("the site's footprint is empty", site=site.key)
        points = _vertices(fp) if isinstance(fp, Point | MultiPoint) else None
        if points is not None:
            # A point, or parts' points: the node nearest each point.
            planar_pts = shapely.points(shapely.get_coordinates(to_planar(MultiPoint(points))))
            idx = self._tree.query_nearest(planar_pts, all_matches=False)[1]
            candidates = sorted(set(int(i) for i in idx))
            entries = []
            for i in candidates:
                d = shapely.distance(planar_pts, self._planar[i])
                p = points[int(np.argmin(d))]
                entries.append(_Entry(self._nodes[i], geodesic_m(p, self._xy(i)), p))
        else:
            planar_fp = to_planar(segmentized(fp))
            samples: list[Point] = []
            n = self.entry_points - 1
            if n > 0:
                ring = planar_fp.boundary
                samples = list(shapely.line_interpolate_point(ring, ring.length * np.arange(n) / n))
            queries = np.array([planar_fp, *samples], dtype=object)
            idx = self._tree.query_nearest(queries, all_matches=False)[1]
            candidates = sorted(set(int(i) for i in idx))
            entries = [self._snap_to_extent(planar_fp, i) for i in candidates]
        entries.sort(key=lambda e: e.snap_m)
        near = [e for e in entries if e.snap_m <= self.max_snap_m]
        if not near:
            nearest = entries[0].snap_m
            raise InputError(
                f"{site.name_ko} is {nearest:,.0f} m from the nearest road node, more than "
                f"max_snap_m={self.max_snap_m:g} m",
                site=site.key,
                hint="use road data that covers the site, or pass a larger max_snap_m",
            )
        return tuple(near[: self.entry_points])

    def _snap_to_extent(self, planar_fp: BaseGeometry, i: int) -> _Entry:
        node_xy = self._xy(i)
        if planar_fp.intersects(self._planar[i]):
            return _Entry(self._nodes[i], 0.0, node_xy)
        line = shapely.shortest_line(planar_fp, self._planar[i])
        start = to_storage(Point(line.coords[0]))
        p = (float(start.x), float(start.y))
        return _Entry(self._nodes[i], geodesic_m(p, node_xy), p)

    def _xy(self, i: int) -> tuple[float, float]:
        return (float(self._lonlat[i, 0]), float(self._lonlat[i, 1]))

    # ------------------------------------------------------------------ distance

    def connector_cost(self, snap_m: float) -> float:
        """The cost (m or s, by ``weight``) of the straight connector from a site to its entry."""
        return snap_m if self.weight == "length" else snap_m * 3.6 / self.connector_kph

    def _search(self, entries: Sequence[_Entry]) -> _Search:
        key = tuple((e.node, self.connector_cost(e.snap_m)) for e in entries)
        search = self._searches.get(key)
        if search is None:
            search = _Search(dict(key))
            self._searches[key] = search
            if len(self._searches) > self.cache_size:
                self._searches.popitem(last=False)
        else:
            self._searches.move_to_end(key)
        return search

    def distance(self, a: Site, b: Site) -> Distance:
        """Return the road distance (and travel time) from site ``a`` to site ``b``.

        The search from ``a`` is kept, so measuring a hub against many sites
        costs one search. ``detail`` holds ``snap_from_m``, ``snap_to_m``,
        ``network_m`` (metres), ``network_minutes``, ``from_node``, ``to_node``,
        ``entries_from``, ``entries_to`` (how many entry nodes each site had) and
        ``weight``.

        Raises
        ------
        InputError
            A site is farther than ``max_snap_m`` from every road node, or no
            road path joins the two sites.

        Examples
        --------
        >>> import networkx as nx
        >>> from sandan_geo.model import Site
        >>> G = nx.DiGraph()
        >>> G.add_nodes_from([(1, {"x": 127.0, "y": 37.0}), (2, {"x": 127.01, "y": 37.0})])
        >>> G.add_edge(1, 2, length=890.0, travel_time=60.0)
        >>> road = RoadMetric(G)
        >>> a = Site(key="a", name_ko="가", lon=127.0, lat=37.0)
        >>> b = Site(key="b", name_ko="나", lon=127.01, lat=37.0)
        >>> road.distance(a, b).minutes
        1.0
        >>> road.distance(b, a)
        Traceback (most recent call last):
        ...
        sandan_geo.errors.InputError: site 'a': no road path from site 'b' (나) to site 'a' (가); the roads near the two sites do not connect (an island, a one-way street, or a gap in the road data): check the road data or measure with another metric
        """
        ea, eb = self._entries(a), self._entries(b)
        search = self._search(ea)
        targets: dict[Hashable, float] = {}
        for e in eb:
            cost = self.connector_cost(e.snap_m)
            if cost < targets.get(e.node, math.inf):
                targets[e.node] = cost
        _, last = search.reach(self._succ, targets)
        if last is None:
            raise InputError(
                f"no road path from site '{a.key}' ({a.name_ko}) to site '{b.key}' ({b.name_ko})",
                site=b.key,
                hint="the roads near the two sites do not connect (an island, a one-way street, "
                "or a gap in the road data): check the road data or measure with another metric",
            )
        nodes = search.path_to(last)
        start = next(e for e in ea if e.node == nodes[0])
        end = next(e for e in eb if e.node == last)
        network_m, network_s, coords = self._walk(nodes)
        path = _dedupe([start.site_point, *coords, end.site_point])
        snaps = start.snap_m + end.snap_m
        minutes = None
        if self.has_time and network_s is not None:
            minutes = (network_s + snaps * 3.6 / self.connector_kph) / 60.0
        return Distance(
            metric=self.name,
            value_m=start.snap_m + network_m + end.snap_m,
            from_point=start.site_point,
            to_point=end.site_point,
            approximate=a.footprint_approximate or b.footprint_approximate,
            minutes=minutes,
            path=path,
            detail={
                "snap_from_m": start.snap_m,
                "snap_to_m": end.snap_m,
                "network_m": network_m,
                "network_minutes": None if network_s is None else network_s / 60.0,
                "from_node": _plain(nodes[0]),
                "to_node": _plain(last),
                "entries_from": len(ea),
                "entries_to": len(eb),
                "weight": self.weight,
            },
        )

    def _walk(
        self, nodes: Sequence[Hashable]
    ) -> tuple[float, float | None, list[tuple[float, float]]]:
        """Length (m), time (s) and lon/lat vertices of a node path, edge by edge."""
        G, multi = self.G, self.G.is_multigraph()
        length, seconds = 0.0, 0.0
        timed = True
        coords: list[tuple[float, float]] = [self._xy(self._index[nodes[0]])]
        for u, v in itertools.pairwise(nodes):
            data = G.adj[u][v]
            if multi:
                data = min(data.values(), key=lambda d: _edge_cost(d, self.weight))
            e_len, e_time = edge_values(data)
            length += e_len
            if e_time is None:
                timed = False
            else:
                seconds += e_time
            coords.extend(self._edge_coords(u, v, data))
        return length, seconds if timed else None, coords

    def _edge_coords(
        self, u: Hashable, v: Hashable, data: Mapping[str, Any]
    ) -> list[tuple[float, float]]:
        pu, pv = self._xy(self._index[u]), self._xy(self._index[v])
        geom = data.get("geometry")
        if geom is None or not hasattr(geom, "coords"):
            return [pv]
        pts = [(float(x), float(y)) for x, y, *_ in geom.coords]
        # Undirected graphs share one geometry between both directions: orient it.
        if _sqdist(pts[0], pv) + _sqdist(pts[-1], pu) < _sqdist(pts[0], pu) + _sqdist(pts[-1], pv):
            pts.reverse()
        return [*pts[1:-1], pv]


def _check_positive(value: Any, name: str, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} is {value!r}, not a number", field=name, hint=f"give {unit}")
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} is {value}", field=name, hint=f"give a positive number of {unit}")


def _vertices(fp: BaseGeometry) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in shapely.get_coordinates(fp)]


def _sqdist(p: tuple[float, float], q: tuple[float, float]) -> float:
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2


def _dedupe(points: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    out = [points[0]]
    for p in points[1:]:
        if p != out[-1]:
            out.append(p)
    return tuple(out)


def _plain(node: Hashable) -> Any:
    """A numpy scalar node id as a plain Python value (for JSON)."""
    return node.item() if isinstance(node, np.generic) else node


def _node_table(G: nx.Graph) -> tuple[list[Hashable], np.ndarray]:
    nodes = list(G.nodes)
    if not nodes:
        raise SchemaError(
            "the road graph has no nodes", hint="load a road file that covers the sites"
        )
    xs = np.full(len(nodes), np.nan)
    ys = np.full(len(nodes), np.nan)
    missing: list[Hashable] = []
    for i, (n, data) in enumerate(G.nodes(data=True)):
        try:
            xs[i], ys[i] = float(data["x"]), float(data["y"])
        except (KeyError, TypeError, ValueError):
            missing.append(n)
    if missing:
        shown = ", ".join(repr(n) for n in missing[:3])
        raise SchemaError(
            f"{len(missing)} road node(s) have no numeric 'x'/'y' (e.g. {shown})",
            field="x",
            hint="give every node x (longitude) and y (latitude) in WGS84 degrees",
        )
    if not (np.all(np.abs(xs) <= 180) and np.all(np.abs(ys) <= 90)):
        crs = G.graph.get("crs")
        raise GeometryError(
            f"road node coordinates are not longitude/latitude (x up to {np.nanmax(np.abs(xs)):.0f}"
            + (f", graph crs {crs}" if crs else "")
            + ")",
            field="x",
            hint="give nodes in WGS84 degrees, e.g. osmnx.project_graph(G, to_latlong=True)",
        )
    return nodes, np.column_stack([xs, ys])


def edge_values(data: Mapping[str, Any]) -> tuple[float, float | None]:
    """An edge's length (m) and travel time (s, ``None`` without a speed), as the metric reads them.

    Examples
    --------
    >>> edge_values({"length": 1000.0, "speed_kph": 60.0})
    (1000.0, 60.0)
    """
    length = float(data["length"])
    t = data.get("travel_time")
    if t is not None:
        return length, float(t)
    speed = data.get("speed_kph")
    if speed is None:
        return length, None
    return length, length * 3.6 / float(speed)


def _edge_cost(data: Mapping[str, Any], weight: str) -> float:
    length, t = edge_values(data)
    if weight == "length":
        return length
    return math.inf if t is None else t


def _adjacency(
    G: nx.Graph, weight: str
) -> tuple[dict[Hashable, list[tuple[Hashable, float]]], bool]:
    """Successor lists with each edge's cost; whether every edge has a travel time."""
    multi = G.is_multigraph()
    succ: dict[Hashable, list[tuple[Hashable, float]]] = {}
    bad: list[str] = []
    untimed = 0
    for u, nbrs in G.adj.items():
        out: list[tuple[Hashable, float]] = []
        for v, data in nbrs.items():
            best = math.inf
            for d in data.values() if multi else (data,):
                try:
                    length, t = edge_values(d)
                except (KeyError, TypeError, ValueError, ZeroDivisionError):
                    bad.append(f"({u!r}, {v!r})")
                    continue
                if not (math.isfinite(length) and length >= 0) or (
                    t is not None and not (math.isfinite(t) and t >= 0)
                ):
                    bad.append(f"({u!r}, {v!r})")
                    continue
                if t is None:
                    untimed += 1
                cost = length if weight == "length" else (math.inf if t is None else t)
                best = min(best, cost)
            if math.isfinite(best):
                out.append((v, best))
        succ[u] = out
    if bad:
        raise SchemaError(
            f"{len(bad)} road edge(s) have no usable 'length' or speed (e.g. {', '.join(bad[:3])})",
            field="length",
            hint="give every edge a length in metres ≥ 0 and, for times, a speed_kph > 0 "
            "or a travel_time in seconds",
        )
    if weight == "travel_time" and untimed:
        raise SchemaError(
            f"{untimed} road edge(s) have neither 'travel_time' nor 'speed_kph'",
            field="speed_kph",
            hint="give edges speeds (or load the roads with fallback_kph), or use weight='length'",
        )
    return succ, untimed == 0


# --------------------------------------------------------------------------- disk cache


def road_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder where loaded road graphs are cached.

    ``cache_dir`` if given; else ``$SANDAN_GEO_CACHE/roads``; else
    ``$XDG_CACHE_HOME/sandan_geo/roads``; else ``~/.cache/sandan_geo/roads``.
    Read at call time, so setting the variable takes effect at once.

    Examples
    --------
    >>> road_cache_dir("/tmp/x").as_posix()
    '/tmp/x'
    >>> road_cache_dir().name
    'roads'
    """
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env) / "roads"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sandan_geo" / "roads"


def _file_digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.suffix.lower().encode() + b"\0")
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sandan-geo")
    except PackageNotFoundError:  # pragma: no cover - source tree
        return "0+unknown"


def _cached_graph(
    path: Path,
    files: Sequence[Path],
    kind: str,
    params: Mapping[str, Any],
    build: Callable[[], nx.MultiDiGraph],
    *,
    cache: bool,
    cache_dir: str | os.PathLike[str] | None,
) -> nx.MultiDiGraph:
    """Build a graph from ``files`` or take it from the cache keyed by their content."""
    content = _file_digest(files)
    folder = road_cache_dir(cache_dir) if cache else None
    if folder is not None and not _private_folder(folder):
        folder = None
    if folder is None:
        G = build()
        status, where = "off", None
    else:
        key = hashlib.sha256(
            repr(
                (_CACHE_FORMAT, _package_version(), kind, sorted(params.items()), content)
            ).encode()
        ).hexdigest()
        where = folder / f"{key}{_CACHE_SUFFIX}"
        cached = _read_cache(where, key)
        status = "hit"
        if cached is None:
            G = build()
            status = "miss"
            _write_cache(where, key, G)
        else:
            G = cached
    G.graph.update(
        source=str(path),
        source_sha256=content,
        cache=status,
        cache_path=None if where is None else str(where),
    )
    return G


# The cache holds JSON, never pickles: reading an entry parses data and cannot run
# code, so a planted or corrupt entry is at worst ignored (and rebuilt, with a
# warning). Entries are read only from a folder that is the user's own and writable
# by no one else, and only when the file itself is the user's own, is a regular file
# (not a link), is writable by no one else, and names the key it is stored under
# (so an entry copied or linked to another name is refused).
_CACHE_SUFFIX = ".roads.json"
_CACHE_MAGIC = "sandan-geo road cache"
_GRAPH_CLASSES: dict[str, type[nx.Graph]] = {
    "Graph": nx.Graph,
    "DiGraph": nx.DiGraph,
    "MultiGraph": nx.MultiGraph,
    "MultiDiGraph": nx.MultiDiGraph,
}
_PLAIN = (str, int, float, bool, type(None))


def _uid() -> int | None:
    """The effective user id, ``None`` where the platform has none (Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return None if geteuid is None else int(geteuid())


def _unsafe(st: os.stat_result) -> str | None:
    """Why a file or folder with these stats is not private to this user, or ``None``."""
    uid = _uid()
    if uid is not None and st.st_uid != uid:
        return f"it belongs to user id {st.st_uid}, not to you ({uid})"
    if uid is not None and st.st_mode & 0o022:
        return f"others may write to it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _private_folder(folder: Path) -> bool:
    """Create ``folder`` owner-only (0o700) if missing; whether it is safe to use as a cache."""
    why: str | None
    try:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for p in reversed(missing):
            with contextlib.suppress(FileExistsError):
                p.mkdir(mode=0o700)
        st = os.stat(folder, follow_symlinks=False)
    except OSError as err:
        why = f"cannot be created ({err.strerror or err})"
    else:
        why = "is not a folder" if not stat.S_ISDIR(st.st_mode) else _unsafe(st)
    if why is None:
        return True
    warnings.warn(
        f"road cache folder {folder} is not used: {why}; the roads load uncached "
        f"(make it private with chmod 700, or pass another cache_dir)",
        SandanGeoWarning,
        stacklevel=4,
    )
    return False


def _encode(value: Any) -> Any:
    """A graph attribute or node id as JSON: plain values as they are, others tagged."""
    if isinstance(value, _PLAIN) and not isinstance(value, np.generic):
        return value
    if isinstance(value, np.generic):
        return _encode(value.item())
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, BaseGeometry):
        return {"wkb": shapely.to_wkb(value, hex=True)}
    if isinstance(value, dict):
        return {"dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    msg = f"a {type(value).__name__} value cannot be cached"
    raise TypeError(msg)


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, body),) = value.items()
    if tag == "tuple":
        return tuple(_decode(v) for v in body)
    if tag == "wkb":
        return shapely.from_wkb(bytes.fromhex(body))
    if tag == "dict":
        return {_decode(k): _decode(v) for k, v in body}
    msg = f"unknown tag {tag!r}"
    raise ValueError(msg)


def _encode_attrs(data: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if not isinstance(k, str):
            msg = f"attribute name {k!r} is not a string"
            raise TypeError(msg)
        out[k] = v if type(v) in _PLAIN else _encode(v)
    return out


def _decode_attrs(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        msg = "attributes are not a JSON object"
        raise ValueError(msg)
    return {k: v if type(v) in _PLAIN else _decode(v) for k, v in data.items()}


def _graph_to_json(G: nx.Graph, key: str) -> dict[str, Any]:
    multi = G.is_multigraph()
    return {
        "format": _CACHE_MAGIC,
        "version": _CACHE_FORMAT,
        "key": key,
        "class": type(G).__name__,
        "graph": _encode_attrs(G.graph),
        "nodes": [[_encode(n), _encode_attrs(d)] for n, d in G.nodes(data=True)],
        "edges": [
            [_encode(u), _encode(v), _encode(k), _encode_attrs(d)]
            for u, v, k, d in (G.edges(keys=True, data=True) if multi else _no_keys(G))
        ],
    }


def _no_keys(G: nx.Graph) -> Iterator[tuple[Any, Any, None, dict[str, Any]]]:
    for u, v, d in G.edges(data=True):
        yield u, v, None, d


def _graph_from_json(doc: Any, key: str) -> nx.Graph:
    if not isinstance(doc, dict) or doc.get("format") != _CACHE_MAGIC:
        msg = "not a sandan-geo road cache entry"
        raise ValueError(msg)
    if doc.get("version") != _CACHE_FORMAT or doc.get("key") != key:
        msg = f"entry of another format or key ({doc.get('version')!r}, {doc.get('key')!r})"
        raise ValueError(msg)
    G = _GRAPH_CLASSES[doc["class"]]()
    G.graph.update(_decode_attrs(doc["graph"]))
    G.add_nodes_from((_decode(n), _decode_attrs(d)) for n, d in doc["nodes"])
    multi = G.is_multigraph()
    for u, v, k, d in doc["edges"]:
        a, b = _decode(u), _decode(v)
        if a not in G or b not in G:
            msg = f"edge ({a!r}, {b!r}) names a node that is not in the graph"
            raise ValueError(msg)
        if multi:
            G.add_edge(a, b, key=_decode(k), **_decode_attrs(d))
        else:
            G.add_edge(a, b, **_decode_attrs(d))
    return G


def _read_cache(where: Path, key: str) -> nx.MultiDiGraph | None:
    why: str | None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(where, flags)
    except FileNotFoundError:
        return None
    except OSError as err:
        why = f"cannot be opened ({err.strerror or err})"
    else:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            why = "is not a regular file" if not stat.S_ISREG(st.st_mode) else _unsafe(st)
            if why is None:
                try:
                    G = _graph_from_json(json.loads(f.read()), key)
                except Exception as err:  # a torn or foreign entry: rebuild rather than fail
                    why = f"could not be read ({type(err).__name__}: {err})"
                else:
                    return G
    warnings.warn(
        f"road cache {where} {why}; ignoring it and rebuilding",
        SandanGeoWarning,
        stacklevel=4,
    )
    return None


def _write_cache(where: Path, key: str, G: nx.MultiDiGraph) -> None:
    tmp: str | None = None
    try:
        text = json.dumps(_graph_to_json(G, key), ensure_ascii=False, separators=(",", ":"))
        # mkstemp: an unpredictable name, created exclusively, readable by the owner only.
        fd, tmp = tempfile.mkstemp(prefix=f".{where.name}.", suffix=".tmp", dir=where.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, where)
    except (OSError, TypeError, ValueError) as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        warnings.warn(
            f"road cache {where} could not be written ({err}); the roads load uncached",
            SandanGeoWarning,
            stacklevel=4,
        )


# --------------------------------------------------------------------------- loaders


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError("road file not found", path=str(p), hint="check the path")
    return p


def _set_geodesic_lengths(G: nx.MultiDiGraph) -> None:
    """Set every edge's ``length`` to its GRS80 geodesic length along its geometry."""
    plain: list[tuple[Hashable, Hashable, Any]] = []
    for u, v, k, data in G.edges(keys=True, data=True):
        geom = data.get("geometry")
        if geom is not None:
            data["length"] = float(GEOD.geometry_length(geom))
        else:
            plain.append((u, v, k))
    if plain:
        xy = G.nodes
        lon1 = np.array([xy[u]["x"] for u, _, _ in plain], dtype=float)
        lat1 = np.array([xy[u]["y"] for u, _, _ in plain], dtype=float)
        lon2 = np.array([xy[v]["x"] for _, v, _ in plain], dtype=float)
        lat2 = np.array([xy[v]["y"] for _, v, _ in plain], dtype=float)
        _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
        for (u, v, k), d in zip(plain, np.atleast_1d(dist), strict=True):
            G.edges[u, v, k]["length"] = float(d)


def _set_travel_times(G: nx.MultiDiGraph) -> None:
    for _, _, data in G.edges(data=True):
        speed = data.get("speed_kph")
        if speed is not None and math.isfinite(speed) and speed > 0:
            data["travel_time"] = data["length"] * 3.6 / float(speed)


def _highway_ok(value: Any, highways: Collection[str] | None) -> bool:
    if value is None:
        return False
    if highways is None:
        return True
    values = value if isinstance(value, list) else [value]
    return any(v in highways for v in values)


def road_graph_from_osm(
    path: str | os.PathLike[str],
    *,
    highways: Collection[str] | None = DRIVE_HIGHWAYS,
    hwy_speeds: Mapping[str, float] | None = None,
    fallback_kph: float | None = None,
    retain_all: bool = False,
    simplify: bool = False,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> nx.MultiDiGraph:
    """Load a drivable road graph from an OpenStreetMap file (``.osm``, ``.osm.bz2``, ``.osm.pbf``).

    Parses with :func:`osmnx.graph_from_xml` (offline; one-way streets,
    ``oneway=-1`` and roundabouts become one-way edges), keeps the ways whose
    ``highway`` is in ``highways`` and whose ``access`` is not ``no``/``private``,
    then keeps the largest weakly connected piece. Edge ``length`` is the GRS80
    geodesic (osmnx's own is a great circle on a sphere, up to 0.5 % off).
    ``speed_kph`` comes from ``maxspeed`` tags; roads without one get the mean
    of their highway class (:func:`osmnx.routing.add_edge_speeds`), or
    ``hwy_speeds[class]``, or ``fallback_kph``. ``travel_time`` is
    ``length / speed`` in seconds. A file with no ``maxspeed`` at all and
    neither ``hwy_speeds`` nor ``fallback_kph`` gives no speeds (a warning):
    distances work, travel times do not.

    The graph is cached under :func:`road_cache_dir`, keyed by the file's
    SHA-256 and the options; a changed file is a new key. ``G.graph`` records
    ``source``, ``source_sha256``, ``cache`` (``"hit"``, ``"miss"`` or
    ``"off"``) and ``cache_path``.

    Parameters
    ----------
    path
        The OSM file: XML, or a ``.osm.pbf`` extract (read through pyosmium,
        the ``osmium`` package, into XML first).
    highways
        OSM ``highway`` values to keep; ``None`` keeps every way with a
        ``highway`` tag.
    hwy_speeds
        Speed (km/h) per highway class for roads without ``maxspeed``.
    fallback_kph
        Speed for classes with no ``maxspeed`` anywhere and not in ``hwy_speeds``.
    retain_all
        Keep every disconnected piece, not only the largest.
    simplify
        Merge chains of degree-2 nodes into single edges (smaller and faster,
        but sites then snap only to junctions, which can be far apart on rural
        roads).
    cache
        Read and write the disk cache.
    cache_dir
        Cache folder instead of :func:`road_cache_dir`'s default.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes with ``x``, ``y``; edges with ``length`` and, with speeds,
        ``speed_kph`` and ``travel_time``; OSM tags such as ``highway``,
        ``maxspeed``, ``name``, ``oneway``.

    Raises
    ------
    InputError
        The file is missing, is not OSM XML, or holds no drivable road.
    MissingDependencyError
        osmnx is not installed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> osm = pathlib.Path(tempfile.mkdtemp()) / "tiny.osm"
    >>> _ = osm.write_text('''<osm version="0.6">
    ...   <node id="1" lat="37.0" lon="127.0"/><node id="2" lat="37.0" lon="127.01"/>
    ...   <way id="9"><nd ref="1"/><nd ref="2"/>
    ...     <tag k="highway" v="primary"/><tag k="maxspeed" v="60"/></way>
    ... </osm>''')
    >>> G = road_graph_from_osm(osm, cache=False)
    >>> e = G.edges[1, 2, 0]
    >>> len(G), G.number_of_edges(), round(e["length"], 3), round(e["travel_time"], 3)
    (2, 2, 890.117, 53.407)
    """
    p = _existing(path)
    params = {
        "highways": None if highways is None else sorted(highways),
        "hwy_speeds": None if hwy_speeds is None else sorted(hwy_speeds.items()),
        "fallback_kph": fallback_kph,
        "retain_all": retain_all,
        "simplify": simplify,
    }

    def build() -> nx.MultiDiGraph:
        return _build_osm(
            p,
            highways=highways,
            hwy_speeds=hwy_speeds,
            fallback_kph=fallback_kph,
            retain_all=retain_all,
            simplify=simplify,
        )

    return _cached_graph(p, [p], "osm", params, build, cache=cache, cache_dir=cache_dir)


def _import_osmnx() -> Any:
    try:
        import osmnx
    except ImportError as err:
        raise MissingDependencyError(
            "reading OpenStreetMap files needs the osmnx package; install it with "
            "pip install 'sandan-geo[roads]' (or pip install osmnx)"
        ) from err
    return osmnx


def _pbf_to_xml(pbf: Path, xml: Path) -> Path:
    """Convert an ``.osm.pbf`` extract to OSM XML with pyosmium (the ``osmium`` package).

    osmnx reads only XML; pyosmium (the maintained binding of libosmium) reads the
    binary format. Written to a temporary file that the caller removes.
    """
    try:
        import osmium
    except ImportError as err:
        raise MissingDependencyError(
            "reading .osm.pbf needs the osmium package: pip install 'sandan-geo[roads]'"
        ) from err
    try:
        with osmium.SimpleWriter(str(xml)) as writer:
            for obj in osmium.FileProcessor(str(pbf)):
                writer.add(obj)
    except RuntimeError as err:
        raise InputError(f"not a readable .osm.pbf file ({err})", path=str(pbf)) from err
    return xml


def _build_osm(
    p: Path,
    *,
    highways: Collection[str] | None,
    hwy_speeds: Mapping[str, float] | None,
    fallback_kph: float | None,
    retain_all: bool,
    simplify: bool,
) -> nx.MultiDiGraph:
    ox = _import_osmnx()
    from xml.etree.ElementTree import ParseError
    from xml.sax import SAXException

    _check_osm_size(p)
    if p.name.lower().endswith(".pbf"):
        with tempfile.TemporaryDirectory(prefix="sandan-geo-pbf-") as tmp:
            xml = _pbf_to_xml(p, Path(tmp) / "extract.osm")
            return _build_osm(
                xml,
                highways=highways,
                hwy_speeds=hwy_speeds,
                fallback_kph=fallback_kph,
                retain_all=retain_all,
                simplify=simplify,
            )
    try:
        G = ox.graph_from_xml(p, simplify=False, retain_all=True)
    except (ParseError, SAXException, ValueError, KeyError) as err:  # malformed XML or values
        raise InputError(
            f"not a readable OSM XML file ({err})",
            path=str(p),
            hint="give an .osm XML file (convert .osm.pbf with osmium, see docs/roads.md)",
        ) from err
    except ox._errors.InsufficientResponseError as err:
        raise InputError("the OSM file holds no nodes or ways", path=str(p)) from err
    drop = [
        (u, v, k)
        for u, v, k, d in G.edges(keys=True, data=True)
        if not _highway_ok(d.get("highway"), highways)
        or d.get("access") in ("no", "private")
        or d.get("area") == "yes"
    ]
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n, d in G.nodes(data=True) if "x" not in d or "y" not in d])
    G.remove_nodes_from(list(nx.isolates(G)))
    if G.number_of_edges() == 0:
        kinds = "any highway" if highways is None else ", ".join(sorted(highways))
        raise SchemaError(
            "the OSM file has no drivable road",
            path=str(p),
            field="highway",
            hint=f"it needs ways tagged highway= ({kinds}); pass highways=None to keep all",
        )
    if not retain_all:
        keep = max(nx.weakly_connected_components(G), key=len)
        G.remove_nodes_from([n for n in G if n not in keep])  # cheaper than subgraph().copy()
    if simplify:
        G = ox.simplify_graph(G)
    _set_geodesic_lengths(G)
    _drop_bad_maxspeeds(G, p)
    try:
        ox.routing.add_edge_speeds(
            G, hwy_speeds=None if hwy_speeds is None else dict(hwy_speeds), fallback=fallback_kph
        )
    except ValueError:
        warnings.warn(
            f"{p.name}: no road has a maxspeed tag, so travel times are unknown; "
            "pass hwy_speeds or fallback_kph to have them",
            SandanGeoWarning,
            stacklevel=4,
        )
    _set_travel_times(G)
    return G


MAX_OSM_XML_BYTES = 512 * 1024 * 1024
"""Largest OSM XML read (512 MiB, as expanded from ``.bz2`` or converted from ``.pbf``).

osmnx holds about ten times the XML in memory; a larger extract would not fit this
machine's class (and a tiny compressed file that expands past it is a bomb). Clip
the extract to the region first (e.g. ``osmium extract --bbox``)."""


def _check_osm_size(p: Path) -> None:
    """Refuse OSM XML (as it will be read) over :data:`MAX_OSM_XML_BYTES`, before parsing it."""
    if p.name.lower().endswith(".bz2"):
        import bz2

        size = 0
        try:
            with bz2.open(p, "rb") as f:
                while chunk := f.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_OSM_XML_BYTES:
                        break
        except (OSError, EOFError, ValueError) as err:
            raise InputError(f"not a readable .bz2 file ({err})", path=str(p)) from None
    else:
        size = p.stat().st_size
    if size > MAX_OSM_XML_BYTES:
        raise InputError(
            f"the OSM XML is over {MAX_OSM_XML_BYTES // 2**20} MiB (as expanded or converted); "
            "reading it would not fit in memory",
            path=str(p),
            hint="clip the extract to the region first, e.g. osmium extract --bbox",
        )


_SPEED_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _drop_bad_maxspeeds(G: nx.MultiDiGraph, p: Path) -> None:
    """Remove ``maxspeed`` tags that give no usable speed (0, negative, words); warn naming the ways.

    One such tag would otherwise make every travel time of the file unusable; the
    road keeps its class's speed instead.
    """
    bad: list[str] = []
    for _, _, d in G.edges(data=True):
        value = d.get("maxspeed")
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        numbers = [float(m) for v in values for m in _SPEED_NUMBER.findall(str(v))]
        if not numbers or min(numbers) <= 0 or max(numbers) > 300:
            bad.append(str(d.get("osmid", "?")))
            del d["maxspeed"]
    if bad:
        unique = sorted(set(bad), key=lambda x: (len(x), x))  # deterministic: numeric order
        shown = ", ".join(unique[:10]) + (" …" if len(unique) > 10 else "")
        warnings.warn(
            f"{p.name}: way(s) {shown}: maxspeed gives no usable speed (0, negative, over "
            "300 or not a number); those roads take their class's speed",
            SandanGeoWarning,
            stacklevel=5,
        )


def road_graph_from_lines(
    path: str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    speed_field: str | None = None,
    length_field: str | None = None,
    node_fields: tuple[str, str] | None = None,
    directed: bool = False,
    fallback_kph: float | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> nx.MultiDiGraph:
    """Load a road graph from a file of road lines (GeoPackage, shapefile, GeoJSON, ...).

    Each line is an edge from its first vertex to its last. Nodes are the
    ``node_fields`` pair (from-node, to-node ids) when the file has them —
    by default ``F_NODE``/``T_NODE`` of the national 표준노드링크 ``MOCT_LINK``
    when both are present — else the lines' endpoints, those equal to
    1e-7° (about 1 cm) being one node. Lines are reprojected to WGS84; a
    file without a CRS is taken as WGS84 if its coordinates are degrees.

    Parameters
    ----------
    path
        The file (for a shapefile, its ``.shp``; its ``.dbf``/``.prj``/...
        count towards the cache key).
    layer
        Layer name or index in a multi-layer file.
    speed_field
        Field with the speed limit in km/h (``MAX_SPD`` in ``MOCT_LINK``).
        Missing or non-positive values get ``fallback_kph``, else the mean of
        the valid values. Without it, edges get ``fallback_kph`` if given,
        else no speed (no travel times).
    length_field
        Field with the length in metres; by default each line's GRS80
        geodesic length (the same ellipsoid as every other metric).
    node_fields
        ``(from_field, to_field)`` naming the end nodes; required to exist
        when given.
    directed
        ``True``: a line is passable only from its first vertex to its last
        (``MOCT_LINK`` stores one link per direction). ``False``: every line
        is a two-way road.
    fallback_kph
        Speed for lines without a valid one.
    cache, cache_dir
        As for :func:`road_graph_from_osm`.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes with ``x``, ``y``; edges with ``length``, ``geometry`` (lon/lat,
        oriented), ``row`` (feature index) and, with speeds, ``speed_kph``
        and ``travel_time``.

    Raises
    ------
    InputError
        The file is missing or unreadable, has no lines, or lacks a named field.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "links.gpkg"
    >>> gpd.GeoDataFrame({"F_NODE": ["A", "B"], "T_NODE": ["B", "C"], "MAX_SPD": [60, 80]},
    ...                  geometry=[LineString([(127.0, 37.0), (127.01, 37.0)]),
    ...                            LineString([(127.01, 37.0), (127.02, 37.0)])],
    ...                  crs="EPSG:4326").to_file(f)
    >>> G = road_graph_from_lines(f, speed_field="MAX_SPD", directed=True, cache=False)
    >>> sorted(G.nodes), [round(d["length"], 1) for _, _, d in G.edges(data=True)]
    (['A', 'B', 'C'], [890.1, 890.1])
    """
    p = _existing(path)
    files = [p]
    if p.suffix.lower() == ".shp":
        files = [p.with_suffix(s) for s in _SHAPEFILE_SIDECARS if p.with_suffix(s).is_file()]
    params = {
        "layer": layer,
        "speed_field": speed_field,
        "length_field": length_field,
        "node_fields": node_fields,
        "directed": directed,
        "fallback_kph": fallback_kph,
    }

    def build() -> nx.MultiDiGraph:
        return _build_lines(
            p,
            layer=layer,
            speed_field=speed_field,
            length_field=length_field,
            node_fields=node_fields,
            directed=directed,
            fallback_kph=fallback_kph,
        )

    return _cached_graph(p, files, "lines", params, build, cache=cache, cache_dir=cache_dir)


def _read_lines(p: Path, layer: str | int | None) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(p, layer=layer)
    except Exception as err:  # pyogrio raises its own errors for unreadable files
        raise InputError(
            f"cannot read road lines ({err})", path=str(p), hint="give a GeoPackage or shapefile"
        ) from err
    if gdf.crs is None:
        x0, y0, x1, y1 = gdf.total_bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise GeometryError(
                "the road file has no CRS and its coordinates are not degrees",
                path=str(p),
                hint="give it a CRS (a .prj beside a shapefile), e.g. EPSG:5179",
            )
        warnings.warn(
            f"{p.name} has no CRS; assuming WGS84 longitude/latitude",
            SandanGeoWarning,
            stacklevel=5,
        )
        gdf = gdf.set_crs(STORAGE_CRS)
    return gdf.to_crs(STORAGE_CRS)


def _as_lines(geom: BaseGeometry) -> list[LineString]:
    """A feature's road line(s): one line, or the parts of a multi-line that do not join.

    Parts that do not join end to end stay separate roads: joining them would add a
    straight segment that is no road (a shortcut across a river, say).
    """
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, LineString):
        return [geom]
    if geom.geom_type == "MultiLineString":
        merged = shapely.line_merge(geom)
        if isinstance(merged, LineString):
            return [merged]
        return [
            g for g in shapely.get_parts(merged) if isinstance(g, LineString) and not g.is_empty
        ]
    return []


def _build_lines(
    p: Path,
    *,
    layer: str | int | None,
    speed_field: str | None,
    length_field: str | None,
    node_fields: tuple[str, str] | None,
    directed: bool,
    fallback_kph: float | None,
) -> nx.MultiDiGraph:
    gdf = _read_lines(p, layer)
    if node_fields is None and {"F_NODE", "T_NODE"} <= set(gdf.columns):
        node_fields = ("F_NODE", "T_NODE")
    named = [f for f in (speed_field, length_field, *(node_fields or ())) if f is not None]
    missing = [f for f in named if f not in gdf.columns]
    if missing:
        fields = ", ".join(str(c) for c in gdf.columns if c != "geometry")
        raise SchemaError(
            f"the road file has no field(s) {', '.join(missing)}",
            path=str(p),
            field=missing[0],
            hint=f"its fields are: {fields}",
        )
    rows: list[int] = []
    good: list[LineString] = []
    split: list[int] = []  # features whose parts do not join
    skipped = 0
    for i, g in enumerate(gdf.geometry):
        parts = _as_lines(g)
        if not parts:
            skipped += 1
            continue
        if len(parts) > 1:
            split.append(i)
            if node_fields is not None:  # which part joins which node cannot be told
                continue
        rows.extend([i] * len(parts))
        good.extend(parts)
    if not rows:
        raise SchemaError("the road file has no lines", path=str(p), hint="give road lines")
    if skipped:
        warnings.warn(
            f"{p.name}: {skipped} feature(s) are not lines and were skipped",
            SandanGeoWarning,
            stacklevel=5,
        )
    if split:
        shown = ", ".join(str(i + 1) for i in split[:10]) + (" …" if len(split) > 10 else "")
        what = (
            "skipped (with node fields, which part joins which node cannot be told)"
            if node_fields is not None
            else "kept as separate roads, not joined by a straight segment"
        )
        warnings.warn(
            f"{p.name}: feature(s) {shown}: multi-lines whose parts do not join; {what}",
            SandanGeoWarning,
            stacklevel=5,
        )
    if length_field is not None and (node_fields is not None or not split):
        lengths = gdf[length_field].to_numpy(dtype=float)[rows]
    else:  # a feature's stated length cannot be shared among its parts: measure them
        lengths = _geodesic_lengths(good)
    speeds = _speeds(gdf, rows, speed_field, fallback_kph, p)

    G = nx.MultiDiGraph(crs=STORAGE_CRS)
    ids: dict[tuple[float, float], int] = {}

    def endpoint(xy: tuple[float, float]) -> int:
        key = (round(xy[0], _COORD_DIGITS), round(xy[1], _COORD_DIGITS))
        if key not in ids:
            ids[key] = len(ids)
            G.add_node(ids[key], x=xy[0], y=xy[1])
        return ids[key]

    for j, (row, line) in enumerate(zip(rows, good, strict=True)):
        first, last = line.coords[0], line.coords[-1]
        a: Hashable
        b: Hashable
        if node_fields is not None:
            a = _plain(gdf[node_fields[0]].iat[row])
            b = _plain(gdf[node_fields[1]].iat[row])
            for n, xy in ((a, first), (b, last)):
                if n not in G:
                    G.add_node(n, x=float(xy[0]), y=float(xy[1]))
        else:
            a = endpoint((float(first[0]), float(first[1])))
            b = endpoint((float(last[0]), float(last[1])))
        attrs: dict[str, Any] = {"length": float(lengths[j]), "geometry": line, "row": row}
        if speeds is not None:
            attrs["speed_kph"] = float(speeds[j])
            attrs["travel_time"] = attrs["length"] * 3.6 / attrs["speed_kph"]
        G.add_edge(a, b, **attrs)
        if not directed:
            G.add_edge(b, a, **{**attrs, "geometry": line.reverse()})
    return G


def _geodesic_lengths(lines: Sequence[LineString]) -> np.ndarray:
    """GRS80 length of each line, all segments in one vectorised call."""
    coords, index = shapely.get_coordinates(np.array(lines, dtype=object), return_index=True)
    same = index[1:] == index[:-1]
    _, _, seg = GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    seg = np.where(same, seg, 0.0)
    out = np.zeros(len(lines))
    np.add.at(out, index[:-1], seg)
    return out


def _speeds(
    gdf: gpd.GeoDataFrame,
    rows: Sequence[int],
    speed_field: str | None,
    fallback_kph: float | None,
    p: Path,
) -> np.ndarray | None:
    if speed_field is None:
        return None if fallback_kph is None else np.full(len(rows), float(fallback_kph))
    import pandas as pd

    raw: np.ndarray = np.asarray(pd.to_numeric(gdf[speed_field], errors="coerce"), dtype=float)[
        list(rows)
    ]
    valid = np.isfinite(raw) & (raw > 0)
    if valid.all():
        return raw
    if fallback_kph is not None:
        fill = float(fallback_kph)
    elif valid.any():
        fill = float(raw[valid].mean())
    else:
        warnings.warn(
            f"{p.name}: field {speed_field} has no valid speed, so travel times are unknown; "
            "pass fallback_kph to have them",
            SandanGeoWarning,
            stacklevel=5,
        )
        return None
    return np.where(valid, raw, fill)


def load_roads(path: str | os.PathLike[str], **kwargs: Any) -> nx.MultiDiGraph:
    """Load a road graph, choosing the reader by the file's suffix.

    ``.osm``, ``.xml``, ``.osm.bz2``: :func:`road_graph_from_osm`;
    ``.gpkg``, ``.shp``, ``.geojson``, ``.json``, ``.fgb``, ``.gml``, ``.sqlite``:
    :func:`road_graph_from_lines`. Keyword arguments go to the reader.

    Raises
    ------
    InputError
        Another suffix, or whatever the reader raises.

    Examples
    --------
    >>> load_roads("roads.csv")
    Traceback (most recent call last):
    ...
    sandan_geo.errors.InputError: roads.csv: cannot tell the road file's format from its suffix; give .osm, .xml, .osm.bz2, .xml.bz2, .osm.pbf, .pbf (OpenStreetMap) or .gpkg, .shp, .geojson, .json, .fgb, .gml, .sqlite (road lines)
    """
    name = Path(path).name.lower()
    if name.endswith(_OSM_SUFFIXES):
        return road_graph_from_osm(path, **kwargs)
    if name.endswith(_LINE_SUFFIXES):
        return road_graph_from_lines(path, **kwargs)
    raise InputError(
        "cannot tell the road file's format from its suffix",
        path=str(path),
        hint=f"give {', '.join(_OSM_SUFFIXES)} (OpenStreetMap) or "
        f"{', '.join(_LINE_SUFFIXES)} (road lines)",
    )
