"""A road network held as arrays: node coordinates and a CSR adjacency of edge costs.

:class:`RoadNetwork` is what the road loaders build and what the road metric
searches. It holds no Python object per node or edge: node ids and WGS84
coordinates are arrays, the edges are a compressed sparse row (CSR) adjacency
(``indptr``, ``indices``) with each edge's length (metres) and free-flow travel
time (seconds, NaN where unknown), and an edge's interior vertices (for drawing
and snapping) are slices of one coordinate array. A network of 10⁷ directed
edges takes about 0.5 GB.

Shortest paths run in compiled code, :func:`scipy.sparse.csgraph.dijkstra`,
bounded by a limit (:meth:`RoadNetwork.search`). Parallel edges stay in the
network; a search uses the cheapest of them for its weight
(:meth:`RoadNetwork.weighted`).

A networkx graph converts both ways: :meth:`RoadNetwork.from_networkx` (any graph
:class:`~sandan_geo.road.RoadMetric` accepts) and :meth:`RoadNetwork.to_networkx`.

Examples
--------
>>> import networkx as nx
>>> G = nx.DiGraph()
>>> G.add_nodes_from((n, {"x": 127.0 + n / 100, "y": 37.0}) for n in range(3))
>>> G.add_edge(0, 1, length=890.0, speed_kph=60.0)
>>> G.add_edge(1, 2, length=890.0, speed_kph=30.0)
>>> net = RoadNetwork.from_networkx(G)
>>> net.n_nodes, net.n_edges, net.indptr.tolist(), net.indices.tolist()
(3, 2, [0, 1, 2, 2], [1, 2])
>>> net.search([0]).tolist()
[[0.0, 890.0, 1780.0]]
>>> net.search([0], weight="travel_time").round(1).tolist()
[[0.0, 53.4, 160.2]]
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from ._optional import require
from .errors import GeometryError, InputError, SchemaError

__all__ = ["WEIGHTS", "RoadNetwork"]

WEIGHTS: tuple[str, ...] = ("length", "travel_time")
"""What a road search can minimise: metres or seconds."""

# scipy has no type stubs here: a ``scipy.sparse.csr_matrix`` is typed as this.
CSRMatrix = Any


def csgraph() -> Any:
    """:mod:`scipy.sparse.csgraph`, or :class:`MissingDependencyError` naming the install."""
    return require("scipy.sparse.csgraph", "scipy", extra="roads")


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network as arrays.

    Build one with :func:`~sandan_geo.read_road_network` (from a file),
    :meth:`from_networkx` or :meth:`from_arrays`. Node ``i`` of every array is
    the node whose id is ``node_id[i]``; edge ``e`` runs from the node whose
    ``indptr`` range holds ``e`` to ``indices[e]``.

    Attributes
    ----------
    node_id
        Node ids (OSM node ids, a road file's node codes, or a graph's nodes).
    lon, lat
        Node coordinates, WGS84 degrees.
    indptr
        ``int64``, ``n_nodes + 1``: the edges leaving node ``i`` are
        ``indptr[i]:indptr[i + 1]``, ordered by head node.
    indices
        ``int32``, the head node of each edge.
    length_m
        Each edge's length along the road, metres (GRS80 geodesic for the loaders).
    time_s
        Each edge's free-flow travel time, seconds; NaN where the edge has no speed.
    geom_ptr, geom_xy
        Edge ``e``'s interior vertices (lon, lat), between its end nodes, are
        ``geom_xy[geom_ptr[e]:geom_ptr[e + 1]]``; empty for a straight edge.
    way
        Each edge's source feature: the OSM way id, or the road file's row.
    meta
        Where the network came from (``source``, ``source_sha256``, ``cache``, ...).
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    geom_ptr: np.ndarray
    geom_xy: np.ndarray
    way: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_arrays(
        cls,
        node_id: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        tail: np.ndarray,
        head: np.ndarray,
        length_m: np.ndarray,
        time_s: np.ndarray | None = None,
        *,
        geom_ptr: np.ndarray | None = None,
        geom_xy: np.ndarray | None = None,
        way: np.ndarray | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> RoadNetwork:
        """Build a network from node arrays and an edge list (tail, head by node index).

        Edges are sorted into CSR order (by tail, then head, stably). Lengths and
        times are checked: finite and ≥ 0 (a time may be NaN: unknown).

        Raises
        ------
        SchemaError
            No node, a bad length or time, or an edge naming a missing node.
        GeometryError
            Coordinates that are not longitude/latitude.

        Examples
        --------
        >>> import numpy as np
        >>> net = RoadNetwork.from_arrays(np.array([10, 20]), np.array([127.0, 127.01]),
        ...                               np.array([37.0, 37.0]), np.array([1, 0]),
        ...                               np.array([0, 1]), np.array([890.0, 890.0]))
        >>> net.indptr.tolist(), net.indices.tolist(), bool(np.isnan(net.time_s).all())
        ([0, 1, 2], [1, 0], True)
        """
        n = len(node_id)
        lon = np.ascontiguousarray(lon, dtype=np.float64)
        lat = np.ascontiguousarray(lat, dtype=np.float64)
        _check_nodes(lon, lat, meta)
        tail, head = np.asarray(tail), np.asarray(head)  # any integer type, kept (no copy)
        if tail.dtype.kind not in "iu" or head.dtype.kind not in "iu":
            tail, head = tail.astype(np.int64), head.astype(np.int64)
        m = len(tail)
        length = np.asarray(length_m, dtype=np.float64)
        times = np.full(m, np.nan) if time_s is None else np.asarray(time_s, dtype=np.float64)
        if not (len(head) == m == len(length) == len(times)):
            raise SchemaError("edge arrays differ in length", hint="give one value per edge")
        if m and (tail.min() < 0 or head.min() < 0 or max(tail.max(), head.max()) >= n):
            raise SchemaError("an edge names a node that is not in the network")
        bad = ~(np.isfinite(length) & (length >= 0)) | (np.isfinite(times) & (times < 0))
        bad |= np.isinf(times)
        if bad.any():
            raise SchemaError(
                f"{int(bad.sum())} road edge(s) have no usable length or travel time "
                f"(e.g. edge {int(np.flatnonzero(bad)[0])})",
                field="length",
                hint="give every edge a length in metres ≥ 0 and a travel time ≥ 0 (or none)",
            )
        # By tail, then head, stably: one int64 key sorts twice as fast as lexsort's two.
        key = tail.astype(np.int64)  # in place after this copy: 80 MB each at 10^7 edges
        key *= max(n, 1)
        key += head
        order = np.argsort(key, kind="stable")
        del key
        if geom_ptr is None or geom_xy is None:
            gptr = np.zeros(m + 1, dtype=np.int64)
            gxy = np.empty((0, 2), dtype=np.float64)
        else:
            gptr, gxy = _take_ranges(np.asarray(geom_ptr), np.asarray(geom_xy), order)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
        return cls(
            node_id=np.asarray(node_id),
            lon=lon,
            lat=lat,
            indptr=indptr,
            indices=head[order].astype(np.int32),
            length_m=length[order],
            time_s=times[order],
            geom_ptr=gptr,
            geom_xy=gxy,
            way=(np.full(m, -1, dtype=np.int64) if way is None else np.asarray(way)[order]),
            meta=dict(meta or {}),
        )

    @classmethod
    def from_networkx(cls, G: nx.Graph) -> RoadNetwork:
        """Convert a networkx road graph (as :class:`~sandan_geo.road.RoadMetric` takes one).

        Reads node ``x``/``y`` (WGS84 degrees); edge ``length`` (m), then
        ``travel_time`` (s) or ``speed_kph``, and ``geometry`` (a lon/lat
        LineString; its interior vertices are kept, oriented from the edge's first
        node). An undirected graph gives an edge each way.

        Raises
        ------
        SchemaError
            No node, a node without ``x``/``y``, an edge without a usable length.
        GeometryError
            Projected coordinates.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.Graph()
        >>> G.add_nodes_from([("a", {"x": 127.0, "y": 37.0}), ("b", {"x": 127.1, "y": 37.0})])
        >>> G.add_edge("a", "b", length=8900.0)
        >>> net = RoadNetwork.from_networkx(G)
        >>> net.node_id.tolist(), net.n_edges
        (['a', 'b'], 2)
        """
        if not isinstance(G, nx.Graph):
            raise InputError(
                f"a road graph must be a networkx graph, not {type(G).__name__}",
                hint="build one with read_road_network or road_graph_from_osm",
            )
        nodes = list(G.nodes)
        if not nodes:
            raise SchemaError(
                "the road graph has no nodes", hint="load a road file that covers the sites"
            )
        index = {n: i for i, n in enumerate(nodes)}
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
        _check_nodes(xs, ys, G.graph)
        tails: list[int] = []
        heads: list[int] = []
        lengths: list[float] = []
        times: list[float] = []
        gptr: list[int] = [0]
        gxy: list[tuple[float, float]] = []
        bad: list[str] = []
        directed = G.is_directed()
        multi = G.is_multigraph()
        for item in G.edges(keys=True, data=True) if multi else G.edges(data=True):
            u, v, data = item[0], item[1], item[-1]
            try:
                length, t = _edge_values(data)
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                bad.append(f"({u!r}, {v!r})")
                continue
            if not (math.isfinite(length) and length >= 0) or not (
                math.isnan(t) or (math.isfinite(t) and t >= 0)
            ):
                bad.append(f"({u!r}, {v!r})")
                continue
            inner = _inner_vertices(data.get("geometry"), (xs[index[u]], ys[index[u]]))
            for a, b, pts in (
                ((u, v, inner), (v, u, inner[::-1])) if not directed else ((u, v, inner),)
            ):
                tails.append(index[a])
                heads.append(index[b])
                lengths.append(length)
                times.append(t)
                gxy.extend(pts)
                gptr.append(len(gxy))
        if bad:
            raise SchemaError(
                f"{len(bad)} road edge(s) have no usable 'length' or speed "
                f"(e.g. {', '.join(bad[:3])})",
                field="length",
                hint="give every edge a length in metres ≥ 0 and, for times, a speed_kph > 0 "
                "or a travel_time in seconds",
            )
        ids = np.empty(len(nodes), dtype=object)
        ids[:] = nodes
        try:  # plain ints or strings as a typed array (ids as the graph had them)
            typed = np.array(nodes)
            plain = typed.ndim == 1 and typed.dtype.kind in "iuU"
            if plain and typed.tolist() == nodes:
                ids = typed
        except (ValueError, TypeError):  # pragma: no cover - mixed ids
            pass
        return cls.from_arrays(
            ids,
            xs,
            ys,
            np.array(tails, dtype=np.int64),
            np.array(heads, dtype=np.int64),
            np.array(lengths, dtype=np.float64),
            np.array(times, dtype=np.float64),
            geom_ptr=np.array(gptr, dtype=np.int64),
            geom_xy=np.array(gxy, dtype=np.float64).reshape(-1, 2),
            meta={k: v for k, v in G.graph.items() if isinstance(k, str)},
        )

    # ------------------------------------------------------------------ reading

    @property
    def n_nodes(self) -> int:
        """How many nodes."""
        return len(self.lon)

    @property
    def n_edges(self) -> int:
        """How many directed edges (a two-way road counts twice)."""
        return len(self.indices)

    @property
    def has_time(self) -> bool:
        """Whether every edge has a travel time."""
        key = "has_time"
        if key not in self._memo:
            self._memo[key] = bool(self.n_edges == 0 or np.isfinite(self.time_s).all())
        return bool(self._memo[key])

    @property
    def tails(self) -> np.ndarray:
        """Each edge's first node (index), ``int32``."""
        key = "tails"
        if key not in self._memo:
            self._memo[key] = np.repeat(
                np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr)
            )
        out: np.ndarray = self._memo[key]
        return out

    def index_of(self, node: Hashable) -> int:
        """The array index of node id ``node``.

        Raises
        ------
        InputError
            No such node.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.path_graph(["p", "q"])
        >>> nx.set_node_attributes(G, {"p": 127.0, "q": 127.1}, "x")
        >>> nx.set_node_attributes(G, 37.0, "y")
        >>> nx.set_edge_attributes(G, 1.0, "length")
        >>> RoadNetwork.from_networkx(G).index_of("q")
        1
        """
        key = "index"
        if key not in self._memo:
            self._memo[key] = {_plain(n): i for i, n in enumerate(self.node_id.tolist())}
        hit = self._memo[key].get(_plain(node))
        if hit is None:
            raise InputError(f"{node!r} is not a node of the road network", field="node")
        return int(hit)

    def edge_coords(self, e: int) -> np.ndarray:
        """Edge ``e``'s vertices, first node to last, as an ``(k, 2)`` lon/lat array."""
        u, v = int(self.tails[e]), int(self.indices[e])
        inner = self.geom_xy[self.geom_ptr[e] : self.geom_ptr[e + 1]]
        return np.vstack([[self.lon[u], self.lat[u]], inner, [self.lon[v], self.lat[v]]])

    def weighted(self, weight: str) -> tuple[CSRMatrix, np.ndarray]:
        """The search matrix for ``weight`` and, per entry, the edge it stands for.

        Of parallel edges ``u → v`` the cheapest for ``weight`` is kept (the first
        of equals). Built once per weight.

        Raises
        ------
        InputError
            An unknown weight, or ``"travel_time"`` with edges that have no time.
        """
        if weight not in WEIGHTS:
            raise InputError(
                f"weight is {weight!r}", field="weight", hint="use 'length' or 'travel_time'"
            )
        if weight == "travel_time" and not self.has_time:
            missing = int((~np.isfinite(self.time_s)).sum())
            raise SchemaError(
                f"{missing} road edge(s) have neither 'travel_time' nor 'speed_kph'",
                field="speed_kph",
                hint="give edges speeds (or load the roads with fallback_kph), "
                "or use weight='length'",
            )
        key = ("weighted", weight)
        if key not in self._memo:
            self._memo[key] = self._collapse(weight)
        matrix, edges = self._memo[key]
        return matrix, edges

    def _collapse(self, weight: str) -> tuple[CSRMatrix, np.ndarray]:
        sparse = require("scipy.sparse", "scipy", extra="roads")
        cost = self.length_m if weight == "length" else self.time_s
        tails, heads = self.tails, self.indices
        n = self.n_nodes
        # Edges are in CSR order (by tail, then head), so parallel edges sit together.
        same = np.zeros(self.n_edges, dtype=bool)
        if self.n_edges > 1:
            same[1:] = (tails[1:] == tails[:-1]) & (heads[1:] == heads[:-1])
        if not same.any():  # no parallel edges: the network's own arrays, no copy
            keep = np.arange(self.n_edges, dtype=np.int64)
            matrix = sparse.csr_matrix(
                (cost.astype(np.float64, copy=False), heads, self.indptr), shape=(n, n)
            )
            return matrix, keep
        group = np.cumsum(~same) - 1
        order = np.lexsort((np.arange(self.n_edges), cost, group))  # cheapest first, then first
        first = np.ones(len(order), dtype=bool)
        first[1:] = group[order][1:] != group[order][:-1]
        keep = np.sort(order[first])
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tails[keep], minlength=n), out=indptr[1:])
        matrix = sparse.csr_matrix(
            (cost[keep].astype(np.float64), heads[keep].astype(np.int32), indptr), shape=(n, n)
        )
        return matrix, keep.astype(np.int64)

    def edge_between(self, weight: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The edge a search by ``weight`` takes from ``u`` to ``v`` (arrays of node indices).

        Raises
        ------
        InputError
            No edge joins some ``u`` to its ``v``.
        """
        matrix, edges = self.weighted(weight)
        ip, ix = matrix.indptr, matrix.indices
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        # Scan each row from its start, all rows at once: a road node has few edges, so
        # this takes a few vectorised steps (measured 5x faster than a global binary
        # search over every edge's (u, v) key on a 10^5-edge street graph).
        start, stop = ip[u], ip[u + 1]
        j = np.full(len(u), -1, dtype=np.int64)
        left = np.flatnonzero(start < stop)
        k = 0
        while left.size:
            pos = start[left] + k
            hit = ix[pos] == v[left]
            j[left[hit]] = pos[hit]
            left = left[~hit & (pos + 1 < stop[left])]
            k += 1
        if (j < 0).any():
            raise InputError("no road edge joins some pair of nodes asked about")
        out: np.ndarray = edges[j]
        return out

    # ------------------------------------------------------------------ searching

    def search(
        self,
        sources: Sequence[int] | np.ndarray,
        *,
        weight: str = "length",
        limit: float | None = None,
    ) -> np.ndarray:
        """Return the least cost from each source node (an index) to every node.

        One :func:`scipy.sparse.csgraph.dijkstra` call from all sources, a row
        each; a node beyond ``limit`` or unreachable costs ``inf``.

        Parameters
        ----------
        sources
            Node indices (``0 … n_nodes - 1``); :meth:`index_of` turns an id into one.
        weight
            ``"length"`` (metres) or ``"travel_time"`` (seconds).
        limit
            Stop each search beyond this cost; ``None`` searches the whole network.

        Raises
        ------
        InputError
            A source out of range, or a bad weight.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.DiGraph()
        >>> G.add_nodes_from((n, {"x": 127.0 + n / 100, "y": 37.0}) for n in range(3))
        >>> G.add_edge(0, 1, length=5.0)
        >>> G.add_edge(1, 2, length=7.0)
        >>> net = RoadNetwork.from_networkx(G)
        >>> net.search([0, 1]).tolist()
        [[0.0, 5.0, 12.0], [inf, 0.0, 7.0]]
        >>> net.search([0], limit=6.0).tolist()
        [[0.0, 5.0, inf]]
        """
        matrix, _ = self.weighted(weight)
        idx = np.asarray(sources, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_nodes):
            raise InputError(
                f"a source index is outside 0…{self.n_nodes - 1}",
                hint="pass node indices; RoadNetwork.index_of turns a node id into one",
            )
        if idx.size == 0:
            return np.empty((0, self.n_nodes))
        out: np.ndarray = csgraph().dijkstra(
            matrix, directed=True, indices=idx, limit=np.inf if limit is None else float(limit)
        )
        return out.reshape(idx.size, self.n_nodes)

    # ------------------------------------------------------------------ export

    def to_networkx(self) -> nx.MultiDiGraph:
        """Return the network as a :class:`networkx.MultiDiGraph` (every edge kept).

        Nodes carry ``x``, ``y``; edges ``length``, ``travel_time`` and
        ``speed_kph`` (where known), ``osmid`` or ``row`` (the source feature) and
        ``geometry`` (a lon/lat LineString) where the edge has interior vertices.
        ``G.graph`` holds :attr:`meta` and ``crs``.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.DiGraph()
        >>> G.add_nodes_from([(1, {"x": 127.0, "y": 37.0}), (2, {"x": 127.01, "y": 37.0})])
        >>> G.add_edge(1, 2, length=890.0, speed_kph=60.0)
        >>> H = RoadNetwork.from_networkx(G).to_networkx()
        >>> sorted(H.edges[1, 2, 0].items())
        [('length', 890.0), ('speed_kph', 60.0), ('travel_time', 53.4)]
        """
        from shapely import LineString

        H = nx.MultiDiGraph(**{"crs": "EPSG:4326", **dict(self.meta)})
        ids = [_plain(n) for n in self.node_id.tolist()]
        H.add_nodes_from(
            (n, {"x": x, "y": y})
            for n, x, y in zip(ids, self.lon.tolist(), self.lat.tolist(), strict=True)
        )
        way_key = "osmid" if self.meta.get("kind") == "osm" else "row"
        tails = self.tails.tolist()
        for e, (u, v) in enumerate(zip(tails, self.indices.tolist(), strict=True)):
            data: dict[str, Any] = {"length": float(self.length_m[e])}
            t = float(self.time_s[e])
            if math.isfinite(t):
                data["travel_time"] = t
                if t > 0:
                    data["speed_kph"] = data["length"] * 3.6 / t
            w = int(self.way[e])
            if w >= 0:
                data[way_key] = w
            if self.geom_ptr[e + 1] > self.geom_ptr[e]:
                data["geometry"] = LineString(self.edge_coords(e))
            H.add_edge(ids[u], ids[v], **data)
        return H


# --------------------------------------------------------------------------- helpers


def _plain(node: Any) -> Any:
    return node.item() if isinstance(node, np.generic) else node


def _edge_values(data: Mapping[str, Any]) -> tuple[float, float]:
    """An edge's length (m) and travel time (s; NaN without a speed)."""
    length = float(data["length"])
    t = data.get("travel_time")
    if t is not None:
        return length, float(t)
    speed = data.get("speed_kph")
    if speed is None:
        return length, math.nan
    return length, length * 3.6 / float(speed)


def _inner_vertices(geom: Any, start: tuple[float, float]) -> list[tuple[float, float]]:
    """A LineString's interior vertices, oriented to begin near ``start``."""
    if geom is None or not hasattr(geom, "coords"):
        return []
    pts = [(float(c[0]), float(c[1])) for c in geom.coords]
    if len(pts) < 3:
        return []
    d0 = (pts[0][0] - start[0]) ** 2 + (pts[0][1] - start[1]) ** 2
    d1 = (pts[-1][0] - start[0]) ** 2 + (pts[-1][1] - start[1]) ** 2
    if d1 < d0:
        pts.reverse()
    return pts[1:-1]


def _take_ranges(
    ptr: np.ndarray, xy: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reorder the ragged ranges ``xy[ptr[i]:ptr[i+1]]`` by ``order``."""
    counts = np.diff(ptr)[order]
    new_ptr = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_ptr[1:])
    if counts.sum() == 0:
        return new_ptr, np.empty((0, 2), dtype=np.float64)
    starts = ptr[:-1][order]
    take = np.repeat(starts - new_ptr[:-1], counts) + np.arange(int(new_ptr[-1]))
    return new_ptr, np.ascontiguousarray(xy[take], dtype=np.float64)


def _check_nodes(lon: np.ndarray, lat: np.ndarray, meta: Mapping[str, Any] | None) -> None:
    if len(lon) == 0:
        raise SchemaError(
            "the road graph has no nodes", hint="load a road file that covers the sites"
        )
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise SchemaError(
            "road node coordinates are not all numbers",
            field="x",
            hint="give every node x (longitude) and y (latitude) in WGS84 degrees",
        )
    if not (np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)):
        crs = (meta or {}).get("crs")
        raise GeometryError(
            f"road node coordinates are not longitude/latitude (x up to "
            f"{np.nanmax(np.abs(lon)):.0f}" + (f", graph crs {crs}" if crs else "") + ")",
            field="x",
            hint="give nodes in WGS84 degrees, e.g. osmnx.project_graph(G, to_latlong=True)",
        )
