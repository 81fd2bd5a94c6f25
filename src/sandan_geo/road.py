"""Distance and travel time along a road network: the ``road`` metric.

:class:`RoadMetric` measures between two sites along a road network: a
:class:`~sandan_geo.roadnet.RoadNetwork` (arrays, from
:func:`~sandan_geo.roadload.read_road_network`) or a :mod:`networkx` graph whose
nodes carry ``x`` (longitude) and ``y`` (latitude) and whose edges carry
``length`` in metres and, optionally, ``speed_kph`` or ``travel_time`` (seconds).

How a distance is made (``docs/roads.md`` says why):

1. Each site *snaps* onto the road: a point site at the nearest point of the
   nearest edge (every edge through that point: both directions of a two-way
   road, each edge at a junction); a site with an extent at the edges nearest
   its outline as a whole and nearest points spread along its boundary (an edge
   through the extent is 0 m away); a site made of parts' points at the edges
   nearest each part. The *snap* is the GRS80 geodesic from the footprint to the
   point on the edge; none may exceed ``max_snap_m`` (else
   :class:`~sandan_geo.errors.InputError` naming the site).
2. From a point a fraction ``t`` along edge ``u → v``, the route runs on to ``v``
   (the rest of the edge, ``(1 - t)`` of it); into a point it comes from ``u``
   (``t`` of the edge). Two sites on one edge may also meet along it directly.
3. One search, :func:`scipy.sparse.csgraph.dijkstra` from a virtual node joined to
   every entry at its cost, bounded and widened four-fold until the answer lies
   within the bound (so it is exact); it is kept for the next site asked about, so
   checking a hub against n sites costs one search.
4. The value is ``snap_from_m + network_m + snap_to_m``, where ``network_m`` is
   the length along roads (partial edges included); ``minutes`` adds the snaps at
   ``connector_kph`` to the edges' travel times. ``Distance.detail`` reports each
   part.

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

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import shapely
from shapely import MultiPoint, Point
from shapely.geometry.base import BaseGeometry

from ._optional import require
from .crs import geodesic_m, segmentized, to_planar, to_storage
from .errors import GeometryError, InputError
from .measure import Distance
from .model import Site
from .roadcache import CACHE_ENV, road_cache_dir
from .roadload import (
    DRIVE_HIGHWAYS,
    load_roads,
    read_road_network,
    road_graph_from_lines,
    road_graph_from_osm,
)
from .roadnet import WEIGHTS, RoadNetwork, csgraph
from .roadsnap import EdgeHit, EdgeIndex

__all__ = [
    "CACHE_ENV",
    "DEFAULT_CONNECTOR_KPH",
    "DRIVE_HIGHWAYS",
    "Entry",
    "RoadMetric",
    "load_roads",
    "read_road_network",
    "road_cache_dir",
    "road_graph_from_lines",
    "road_graph_from_osm",
]

DEFAULT_CONNECTOR_KPH: float = 30.0
"""Speed (km/h) of the straight connector between a site and the road.

30 km/h is the limit on local streets under Korea's 안전속도 5030 policy; the
connector stands for the last stretch inside or beside a complex.
"""

Weight = Literal["length", "travel_time"]
_FIRST_BOUND_M = 20_000.0  # the first search reaches this far (or 3x the straight line)
_FIRST_BOUND_S = 1_200.0
_ON_OUTLINE_M = 0.01


@dataclass(frozen=True)
class Entry:
    """Where a site meets the road: a point on one directed edge.

    Attributes
    ----------
    edge
        The edge's index in the network (``tail → head``).
    tail, head
        The edge's end nodes (node ids).
    fraction
        Where the point lies, 0 at ``tail`` and 1 at ``head``, by length along the edge.
    snap_m
        GRS80 geodesic from the site's footprint to the point, metres (0 inside an extent).
    site_point, road_point
        The footprint's point the snap starts from and the point on the edge (lon, lat).
    """

    edge: int
    tail: Any
    head: Any
    fraction: float
    snap_m: float
    site_point: tuple[float, float]
    road_point: tuple[float, float]


@dataclass(frozen=True)
class _Found:
    """A kept search: costs and predecessors within ``bound`` (virtual root last)."""

    bound: float
    dist: np.ndarray
    pred: np.ndarray


class RoadMetric:
    """Distance and travel time between sites along a road network.

    Parameters
    ----------
    roads
        A :class:`~sandan_geo.roadnet.RoadNetwork`, or a :mod:`networkx` graph
        (``Graph``, ``DiGraph``, ``MultiGraph`` or ``MultiDiGraph``; an undirected
        graph is a two-way road network) with node attributes ``x``/``y`` (WGS84
        degrees) and edge attributes ``length`` (metres, required),
        ``travel_time`` (seconds) or else ``speed_kph``, and ``geometry`` (a
        lon/lat LineString from the edge's first node to its last). Of parallel
        edges the cheapest is used. A graph is converted to arrays once.
    max_snap_m
        Farthest a site may lie from the nearest road, metres.
    entry_points
        Most boundary points a site with an extent snaps from (besides its outline
        as a whole); 1 uses only the edge nearest the outline.
    weight
        What the route minimises: ``"length"`` (the shortest route, its length
        the value) or ``"travel_time"`` (the fastest route; needs speeds).
        ``value_m`` and ``minutes`` are both reported for the route chosen.
    connector_kph
        Speed of the straight connector between a site and the road.
    name
        The metric's name, under which :func:`sandan_geo.register_metric` files it.
    cache_size
        How many searches (one per source site) to keep.

    Raises
    ------
    SchemaError
        The network is empty, a node lacks ``x``/``y``, an edge lacks a usable
        ``length``, or ``weight="travel_time"`` and an edge has no speed.
    GeometryError
        Node coordinates are not longitude/latitude (a projected graph).
    InputError
        A bad parameter.

    Examples
    --------
    A site off the road joins it at the nearest point of the nearest edge (an edge
    is straight in EPSG:5179, as a road between two nodes runs on the ground):

    >>> import networkx as nx
    >>> from sandan_geo.model import Site
    >>> G = nx.Graph()
    >>> G.add_nodes_from([("w", {"x": 127.0, "y": 37.0}), ("e", {"x": 127.1, "y": 37.0})])
    >>> G.add_edge("w", "e", length=8900.0, speed_kph=80.0)
    >>> road = RoadMetric(G, max_snap_m=2000)
    >>> a = Site(key="a", name_ko="가", lon=127.05, lat=37.01)
    >>> b = Site(key="b", name_ko="나", lon=127.1, lat=37.0)
    >>> d = road.distance(a, b)
    >>> round(d.detail["snap_from_m"], 1), round(d.detail["network_m"], 1), round(d.value_m, 1)
    (1108.6, 4450.0, 5558.6)
    >>> far = Site(key="far", name_ko="먼곳", lon=127.0, lat=37.1)
    >>> road.distance(far, b)
    Traceback (most recent call last):
    ...
    sandan_geo.errors.InputError: site 'far': 먼곳 is 11,098 m from the nearest road, more than max_snap_m=2000 m; use road data that covers the site, or pass a larger max_snap_m
    """

    name: str

    def __init__(
        self,
        roads: RoadNetwork | nx.Graph,
        *,
        max_snap_m: float = 1000.0,
        entry_points: int = 8,
        weight: Weight = "length",
        connector_kph: float = DEFAULT_CONNECTOR_KPH,
        name: str = "road",
        cache_size: int = 8,
    ) -> None:
        _check_positive(max_snap_m, "max_snap_m", "metres, e.g. 1000")
        _check_positive(connector_kph, "connector_kph", "km/h, e.g. 30")
        if isinstance(entry_points, bool) or not isinstance(entry_points, int) or entry_points < 1:
            raise InputError(
                f"entry_points is {entry_points!r}",
                field="entry_points",
                hint="give a whole number ≥ 1",
            )
        if weight not in WEIGHTS:
            raise InputError(
                f"weight is {weight!r}", field="weight", hint=f"use one of: {', '.join(WEIGHTS)}"
            )
        if isinstance(roads, RoadNetwork):
            self.network = roads
        elif isinstance(roads, nx.Graph):
            self.network = RoadNetwork.from_networkx(roads)
        else:
            raise InputError(
                f"roads must be a RoadNetwork or a networkx graph, not {type(roads).__name__}",
                hint="build one with read_road_network, road_graph_from_osm or "
                "road_graph_from_lines",
            )
        self.name = name
        self.max_snap_m = float(max_snap_m)
        self.entry_points = entry_points
        self.weight: Weight = weight
        self.connector_kph = float(connector_kph)
        self.cache_size = max(int(cache_size), 1)
        self.network.weighted(weight)  # checks the weight against the edges now
        self.has_time = self.network.has_time
        self._index: EdgeIndex | None = None
        self._total: float | None = None
        self._searches: OrderedDict[tuple[tuple[int, float], ...], _Found] = OrderedDict()
        self._entry_cache: OrderedDict[tuple[Any, ...], tuple[Entry, ...]] = OrderedDict()

    def __repr__(self) -> str:
        return (
            f"RoadMetric(name={self.name!r}, nodes={self.network.n_nodes}, "
            f"edges={self.network.n_edges}, weight={self.weight!r}, "
            f"has_time={self.has_time})"
        )

    # ------------------------------------------------------------------ entries

    @property
    def edge_index(self) -> EdgeIndex:
        """The spatial index of the edges (built on first use)."""
        if self._index is None:
            self._index = EdgeIndex(self.network)
        return self._index

    def entries(self, site: Site) -> tuple[Entry, ...]:
        """Return where the site meets the road: points on edges, nearest first.

        Raises
        ------
        InputError
            No road within ``max_snap_m`` of the site.

        Examples
        --------
        >>> import networkx as nx
        >>> from sandan_geo.model import Site
        >>> G = nx.path_graph(3)
        >>> nx.set_node_attributes(G, {0: 127.0, 1: 127.01, 2: 127.02}, "x")
        >>> nx.set_node_attributes(G, 37.0, "y")
        >>> nx.set_edge_attributes(G, 890.0, "length")
        >>> s = Site(key="s", name_ko="단지", lon=127.015, lat=37.0)
        >>> [(e.tail, e.head, round(e.fraction, 6), round(e.snap_m, 1))
        ...  for e in RoadMetric(G).entries(s)]
        [(1, 2, 0.5, 0.0), (2, 1, 0.5, 0.0)]
        """
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

    def _find_entries(self, site: Site, fp: BaseGeometry) -> tuple[Entry, ...]:
        if fp.is_empty:
            raise GeometryError("the site's footprint is empty", site=site.key)
        index = self.edge_index
        found: list[tuple[EdgeHit, tuple[float, float], float]] = []
        if isinstance(fp, Point | MultiPoint):
            for x, y in shapely.get_coordinates(fp).tolist():
                for h in index.nearest_point(x, y):
                    found.append((h, (x, y), geodesic_m((x, y), h.lonlat)))
        else:
            planar = to_planar(segmentized(fp))
            shape_hits = index.nearest_to_shape(planar)
            hits = [(h, h.distance_m == 0.0) for h in shape_hits]
            n = self.entry_points - 1
            if n > 0:
                ring = planar.boundary
                pts = shapely.line_interpolate_point(ring, ring.length * np.arange(n) / n)
                for p in to_storage(MultiPoint(list(pts))).geoms:
                    hits.extend((h, False) for h in index.nearest_point(p.x, p.y))
            for h, crossing in hits:
                on = Point(h.lonlat)
                # Inside, or on the outline to float noise (a crossing's lon/lat point).
                if crossing or fp.covers(on) or planar.distance(to_planar(on)) < _ON_OUTLINE_M:
                    found.append((h, h.lonlat, 0.0))
                    continue
                line = shapely.shortest_line(planar, to_planar(Point(h.lonlat)))
                start = to_storage(Point(line.coords[0]))
                sp = (float(start.x), float(start.y))
                found.append((h, sp, geodesic_m(sp, h.lonlat)))
        if not found:
            raise InputError("the road network has no edge", site=site.key)
        best: dict[tuple[int, float], Entry] = {}
        net = self.network
        for h, sp, snap in found:
            k = (h.edge, round(h.fraction, 12))
            if k in best and best[k].snap_m <= snap:
                continue
            best[k] = Entry(
                edge=h.edge,
                tail=_plain(net.node_id[int(net.tails[h.edge])]),
                head=_plain(net.node_id[int(net.indices[h.edge])]),
                fraction=h.fraction,
                snap_m=snap,
                site_point=sp,
                road_point=h.lonlat,
            )
        entries = sorted(best.values(), key=lambda e: (e.snap_m, e.edge, e.fraction))
        near = [e for e in entries if e.snap_m <= self.max_snap_m]
        if not near:
            raise InputError(
                f"{site.name_ko} is {entries[0].snap_m:,.0f} m from the nearest road, more than "
                f"max_snap_m={self.max_snap_m:g} m",
                site=site.key,
                hint="use road data that covers the site, or pass a larger max_snap_m",
            )
        return tuple(near)

    # ------------------------------------------------------------------ costs

    def connector_cost(self, snap_m: float) -> float:
        """The cost (m or s, by ``weight``) of the straight connector from a site to the road."""
        return snap_m if self.weight == "length" else snap_m * 3.6 / self.connector_kph

    def _edge_cost(self, e: int) -> float:
        net = self.network
        return float(net.length_m[e] if self.weight == "length" else net.time_s[e])

    def leave_costs(self, entries: Sequence[Entry]) -> dict[int, tuple[float, Entry]]:
        """From a site onto the network: node index → (least cost to reach it, via which entry).

        From an entry a fraction ``t`` along ``u → v``: ``v`` at the connector plus
        ``(1 - t)`` of the edge; ``u`` at the connector when ``t`` is 0 (the site is at ``u``).
        """
        net = self.network
        out: dict[int, tuple[float, Entry]] = {}
        for e in entries:
            conn = self.connector_cost(e.snap_m)
            if e.fraction <= 0.0:  # at the tail node itself
                node, cost = int(net.tails[e.edge]), conn
            else:
                node = int(net.indices[e.edge])
                cost = conn + (1.0 - e.fraction) * self._edge_cost(e.edge)
            if cost < out.get(node, (math.inf, e))[0]:
                out[node] = (cost, e)
        return out

    def arrive_costs(self, entries: Sequence[Entry]) -> dict[int, tuple[float, Entry]]:
        """From the network into a site: node index → (least cost from it, via which entry)."""
        net = self.network
        out: dict[int, tuple[float, Entry]] = {}
        for e in entries:
            conn = self.connector_cost(e.snap_m)
            if e.fraction >= 1.0:  # at the head node itself
                node, cost = int(net.indices[e.edge]), conn
            else:
                node = int(net.tails[e.edge])
                cost = e.fraction * self._edge_cost(e.edge) + conn
            if cost < out.get(node, (math.inf, e))[0]:
                out[node] = (cost, e)
        return out

    def along_edge(
        self, ea: Sequence[Entry], eb: Sequence[Entry]
    ) -> tuple[float, Entry, Entry] | None:
        """The cheapest way between two sites along one edge they both meet, if any."""
        by_edge: dict[int, list[Entry]] = {}
        for e in eb:
            by_edge.setdefault(e.edge, []).append(e)
        best: tuple[float, Entry, Entry] | None = None
        for a in ea:
            for b in by_edge.get(a.edge, ()):
                cost = self.along_cost(a, b)
                if cost is not None and (best is None or cost < best[0]):
                    best = (cost, a, b)
        return best

    def along_cost(self, a: Entry, b: Entry) -> float | None:
        """The cost from entry ``a`` to entry ``b`` along their one edge (``None``: no such way).

        The connectors of both and the stretch of edge between them; ``None`` when
        the two lie on different edges or ``b`` comes before ``a``.
        """
        if a.edge != b.edge or b.fraction < a.fraction:
            return None
        return (
            self.connector_cost(a.snap_m)
            + (b.fraction - a.fraction) * self._edge_cost(a.edge)
            + self.connector_cost(b.snap_m)
        )

    # ------------------------------------------------------------------ search

    def augmented(self, starts: Sequence[dict[int, tuple[float, Entry]]]) -> Any:
        """The search matrix with one virtual node per start set (indices ``n, n+1, …``)."""
        sparse = require("scipy.sparse", "scipy", extra="roads")
        matrix, _ = self.network.weighted(self.weight)
        n, k = self.network.n_nodes, len(starts)
        cols = [node for s in starts for node in sorted(s)]
        costs = [s[node][0] for s in starts for node in sorted(s)]
        ptr = np.cumsum([0] + [len(s) for s in starts]) + matrix.indptr[-1]
        return sparse.csr_matrix(
            (
                np.concatenate([matrix.data, np.asarray(costs, dtype=np.float64)]),
                np.concatenate([matrix.indices, np.asarray(cols, dtype=np.int32)]),
                np.concatenate([matrix.indptr, ptr[1:]]),
            ),
            shape=(n + k, n + k),
        )

    def _search(self, start: dict[int, tuple[float, Entry]], need: float) -> _Found:
        """A search from ``start`` whose results are exact up to at least ``need``."""
        key = tuple(sorted((node, cost) for node, (cost, _) in start.items()))
        found = self._searches.get(key)
        if found is not None:
            self._searches.move_to_end(key)
            if found.bound >= need:
                return found
        bound = need
        aug = self.augmented([start])
        n = self.network.n_nodes
        dist, pred = csgraph().dijkstra(
            aug,
            directed=True,
            indices=[n],
            limit=bound if math.isfinite(bound) else np.inf,
            return_predecessors=True,
        )
        found = _Found(bound, dist[0], pred[0])
        self._searches[key] = found
        if len(self._searches) > self.cache_size:
            self._searches.popitem(last=False)
        return found

    def _first_bound(self, a: Site, b: Site, ea: Sequence[Entry], eb: Sequence[Entry]) -> float:
        straight = geodesic_m((a.lon, a.lat), (b.lon, b.lat))
        snaps = max(e.snap_m for e in ea) + max(e.snap_m for e in eb)
        if self.weight == "length":
            return max(3.0 * straight + snaps, _FIRST_BOUND_M)
        return max((3.0 * straight + snaps) * 3.6 / 60.0, _FIRST_BOUND_S)

    def distance(self, a: Site, b: Site) -> Distance:
        """Return the road distance (and travel time) from site ``a`` to site ``b``.

        The search from ``a`` is kept, so measuring a hub against many sites
        costs one search. ``detail`` holds ``snap_from_m``, ``snap_to_m``,
        ``network_m`` (metres along roads), ``network_minutes``, ``from_node`` and
        ``to_node`` (the first and last junction of the route; ``None`` when the
        two sites meet along one edge), ``from_edge``/``to_edge`` (the edges the
        sites snap onto, as node-id pairs) and ``from_fraction``/``to_fraction``,
        ``entries_from``, ``entries_to`` (how many entry points each site had)
        and ``weight``.

        Raises
        ------
        InputError
            A site is farther than ``max_snap_m`` from every road, or no road
            path joins the two sites.

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
        ea, eb = self.entries(a), self.entries(b)
        leave, arrive = self.leave_costs(ea), self.arrive_costs(eb)
        direct = self.along_edge(ea, eb)
        best, node = math.inf, -1
        found: _Found | None = None
        need = self._first_bound(a, b, ea, eb)
        while True:
            found = self._search(leave, need)
            best, node = math.inf, -1
            for v, (cost, _) in arrive.items():
                c = float(found.dist[v]) + cost
                if c < best:
                    best, node = c, v
            if direct is not None and direct[0] < best:  # a junction route wins a tie
                best, node = direct[0], -1
            if best <= found.bound or not math.isfinite(found.bound):
                break
            need = found.bound * 4.0
            if need > self._total_cost():
                need = math.inf
        if not math.isfinite(best):
            raise InputError(
                f"no road path from site '{a.key}' ({a.name_ko}) to site '{b.key}' ({b.name_ko})",
                site=b.key,
                hint="the roads near the two sites do not connect (an island, a one-way street, "
                "or a gap in the road data): check the road data or measure with another metric",
            )
        if node < 0:
            assert direct is not None
            _, start, end = direct
            return self._along_distance(a, b, start, end, ea, eb)
        return self._route_distance(a, b, found, node, leave, arrive[node][1], ea, eb)

    def _total_cost(self) -> float:
        """A cost no route exceeds: every edge once and two longest connectors (computed once)."""
        if self._total is None:
            matrix, _ = self.network.weighted(self.weight)
            self._total = float(matrix.data.sum()) + 2.0 * self.connector_cost(self.max_snap_m)
        return self._total

    # ------------------------------------------------------------------ routes

    def route_nodes(self, pred: np.ndarray, node: int) -> list[int]:
        """The node indices of a search's route to ``node``, first junction first."""
        n = self.network.n_nodes
        path = [node]
        while True:
            p = int(pred[path[-1]])
            if p < 0 or p >= n:
                break
            path.append(p)
        path.reverse()
        return path

    def _partial(
        self, e: Entry, start: float, stop: float
    ) -> tuple[float, float, list[tuple[float, float]]]:
        """Length, time and lon/lat vertices of edge ``e`` from fraction ``start`` to ``stop``."""
        net = self.network
        share = stop - start
        length = share * float(net.length_m[e.edge])
        seconds = share * float(net.time_s[e.edge])
        coords = net.edge_coords(e.edge)
        if share <= 0:
            return 0.0, 0.0, []
        # The edge's vertices strictly between the two points (by share of its lon/lat length).
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
        total = cum[-1] if cum[-1] > 0 else 1.0
        frac = cum / total
        inner = [
            (float(c[0]), float(c[1]))
            for c, f in zip(coords, frac, strict=True)
            if start < f < stop
        ]
        return length, seconds, inner

    def _route_distance(
        self,
        a: Site,
        b: Site,
        found: _Found,
        node: int,
        leave: dict[int, tuple[float, Entry]],
        end: Entry,
        ea: Sequence[Entry],
        eb: Sequence[Entry],
    ) -> Distance:
        net = self.network
        nodes = self.route_nodes(found.pred, node)
        start = leave[nodes[0]][1]
        length, seconds = 0.0, 0.0
        coords: list[tuple[float, float]] = [start.site_point, start.road_point]
        at_tail = start.fraction <= 0.0 and nodes[0] == int(net.tails[start.edge])
        if not at_tail:
            m, s, inner = self._partial(start, start.fraction, 1.0)
            length, seconds = m, s
            coords.extend(inner)
        coords.append((float(net.lon[nodes[0]]), float(net.lat[nodes[0]])))
        if len(nodes) > 1:
            edges = net.edge_between(self.weight, np.array(nodes[:-1]), np.array(nodes[1:]))
            for e in edges.tolist():
                length += float(net.length_m[e])
                seconds += float(net.time_s[e])
                pts = net.edge_coords(e)
                coords.extend((float(p[0]), float(p[1])) for p in pts[1:])
        at_head = end.fraction >= 1.0 and node == int(net.indices[end.edge])
        if not at_head:
            m, s, inner = self._partial(end, 0.0, end.fraction)
            length += m
            seconds += s
            coords.extend(inner)
        coords.extend([end.road_point, end.site_point])
        return self._result(
            a,
            b,
            start,
            end,
            length,
            seconds,
            coords,
            _plain(net.node_id[nodes[0]]),
            _plain(net.node_id[node]),
            ea,
            eb,
        )

    def _along_distance(
        self, a: Site, b: Site, start: Entry, end: Entry, ea: Sequence[Entry], eb: Sequence[Entry]
    ) -> Distance:
        m, s, inner = self._partial(start, start.fraction, end.fraction)
        coords = [start.site_point, start.road_point, *inner, end.road_point, end.site_point]
        return self._result(a, b, start, end, m, s, coords, None, None, ea, eb)

    def _result(
        self,
        a: Site,
        b: Site,
        start: Entry,
        end: Entry,
        network_m: float,
        network_s: float,
        coords: list[tuple[float, float]],
        from_node: Any,
        to_node: Any,
        ea: Sequence[Entry],
        eb: Sequence[Entry],
    ) -> Distance:
        snaps = start.snap_m + end.snap_m
        timed = self.has_time and math.isfinite(network_s)
        minutes = (network_s + snaps * 3.6 / self.connector_kph) / 60.0 if timed else None
        return Distance(
            metric=self.name,
            value_m=start.snap_m + network_m + end.snap_m,
            from_point=start.site_point,
            to_point=end.site_point,
            approximate=a.footprint_approximate or b.footprint_approximate,
            minutes=minutes,
            path=_dedupe(coords),
            detail={
                "snap_from_m": start.snap_m,
                "snap_to_m": end.snap_m,
                "network_m": network_m,
                "network_minutes": network_s / 60.0 if timed else None,
                "from_node": from_node,
                "to_node": to_node,
                "from_edge": (start.tail, start.head),
                "to_edge": (end.tail, end.head),
                "from_fraction": start.fraction,
                "to_fraction": end.fraction,
                "entries_from": len(ea),
                "entries_to": len(eb),
                "weight": self.weight,
            },
        )


def _check_positive(value: Any, name: str, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} is {value!r}, not a number", field=name, hint=f"give {unit}")
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} is {value}", field=name, hint=f"give a positive number of {unit}")


def _dedupe(points: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    out = [points[0]]
    for p in points[1:]:
        if p != out[-1]:
            out.append(p)
    return tuple(out)


def _plain(node: Any) -> Any:
    """A numpy scalar node id as a plain Python value (for JSON)."""
    return node.item() if isinstance(node, np.generic) else node
