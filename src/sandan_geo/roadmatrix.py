"""Road distances between many sites at once: a compiled road graph and ``road_matrix``.

:func:`compile_roads` turns a :class:`~sandan_geo.road.RoadMetric`'s graph into
arrays (node coordinates and :class:`scipy.sparse.csr_matrix` of edge lengths
and travel times; of parallel edges the shortest is kept), once per metric.
:meth:`CompiledRoads.search` runs :func:`scipy.sparse.csgraph.dijkstra` from
several nodes at once, bounded by a limit. :func:`road_matrix` measures every
ordered pair of sites within a bound by road with it.

A site enters the network exactly as in :meth:`RoadMetric.distance
<sandan_geo.road.RoadMetric.distance>` (the same entry nodes, snaps and
connector costs): one search per site starts from a virtual node joined to the
site's entry nodes by edges of their connector costs, so a pair's
``network_km`` is ``RoadMetric.distance(a, b).value_m / 1000``.

Examples
--------
>>> import networkx as nx
>>> from sandan_geo.model import Site
>>> from sandan_geo.road import RoadMetric
>>> G = nx.Graph()
>>> G.add_nodes_from([(1, {"x": 127.00, "y": 37.0}), (2, {"x": 127.01, "y": 37.0})])
>>> G.add_edge(1, 2, length=1200.0, speed_kph=60.0)
>>> a = Site(key="a", name_ko="가", lon=127.00, lat=37.0)
>>> b = Site(key="b", name_ko="나", lon=127.01, lat=37.0)
>>> m = road_matrix([a, b], RoadMetric(G))
>>> list(m.columns)
['a', 'b', 'network_km', 'minutes', 'straight_km', 'detour']
>>> [(r.a, r.b, r.network_km, r.minutes) for r in m.itertuples()]
[('a', 'b', 1.2, 1.2), ('b', 'a', 1.2, 1.2)]
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._optional import require
from .crs import geodesic_m, km_to_m, m_to_km
from .errors import InputError
from .limits import check_limit, check_limit_km
from .model import Plan, PlanSite, Site
from .road import RoadMetric, edge_values, load_roads

# scipy has no type stubs here: a ``scipy.sparse.csr_matrix`` is typed as this.
CSRMatrix = Any

__all__ = ["MATRIX_COLUMNS", "CompiledRoads", "compile_roads", "road_matrix"]

MATRIX_COLUMNS: tuple[str, ...] = ("a", "b", "network_km", "minutes", "straight_km", "detour")
"""The columns of :func:`road_matrix`'s table, in order."""

_CELLS_PER_BATCH = 20_000_000  # search rows x nodes held at once (about 240 MB)


def _csgraph() -> Any:
    return require("scipy.sparse.csgraph", "scipy", extra="scale")


@dataclass(frozen=True, eq=False)
class CompiledRoads:
    """A road graph as arrays: node coordinates and CSR matrices of edge costs.

    Build one with :func:`compile_roads`. Of parallel edges ``u → v`` the
    shortest (for ``length``) and the fastest (for ``travel_time``) are kept;
    an undirected graph has an edge each way. Explicitly stored zeros are edges
    of cost 0.

    Attributes
    ----------
    nodes
        The graph's node ids; node ``i`` of the arrays is ``nodes[i]``.
    index
        Node id → array index.
    lon, lat
        Node coordinates, WGS84 degrees.
    length
        ``csr_matrix`` of edge lengths, metres.
    travel_time
        ``csr_matrix`` of edge travel times, seconds; ``None`` when some edge has
        no travel time.
    time_of_shortest
        Aligned with ``length.data``: the travel time (s, NaN if none) of the
        parallel edge kept for ``length``, as the road metric reports it.
    length_of_fastest
        Aligned with ``length.data``: the length (m) of the fastest parallel edge
        (NaN where an edge has no time).
    """

    nodes: tuple[Hashable, ...]
    index: Mapping[Hashable, int]
    lon: np.ndarray
    lat: np.ndarray
    length: CSRMatrix
    travel_time: CSRMatrix | None
    time_of_shortest: np.ndarray
    length_of_fastest: np.ndarray

    @property
    def n_nodes(self) -> int:
        """How many nodes the graph has."""
        return len(self.nodes)

    def matrix(self, weight: str) -> CSRMatrix:
        """Return the CSR matrix for ``weight`` (``"length"`` or ``"travel_time"``).

        Raises
        ------
        InputError
            ``weight`` is unknown, or ``"travel_time"`` on a graph without times.
        """
        if weight == "length":
            return self.length
        if weight == "travel_time":
            if self.travel_time is None:
                raise InputError(
                    "the road graph has edges without a travel time",
                    field="weight",
                    hint="give edges speed_kph or travel_time, or use weight='length'",
                )
            return self.travel_time
        raise InputError(
            f"weight is {weight!r}", field="weight", hint="use 'length' or 'travel_time'"
        )

    def search(
        self,
        sources: Sequence[Hashable],
        *,
        weight: str = "length",
        limit: float | None = None,
    ) -> np.ndarray:
        """Return the least cost from each source node to every node (a row per source).

        One :func:`scipy.sparse.csgraph.dijkstra` call from all ``sources``;
        a node farther than ``limit`` (or unreachable) costs ``inf``.

        Parameters
        ----------
        sources
            Node ids of the graph.
        weight
            ``"length"`` (metres) or ``"travel_time"`` (seconds).
        limit
            Stop each search beyond this cost; ``None`` searches the whole graph.

        Raises
        ------
        InputError
            A source is not a node of the graph, or a bad ``weight``.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.DiGraph()
        >>> G.add_nodes_from((n, {"x": 127.0 + n / 100, "y": 37.0}) for n in range(3))
        >>> G.add_edge(0, 1, length=5.0)
        >>> G.add_edge(1, 2, length=7.0)
        >>> compile_roads(G).search([0, 1]).tolist()
        [[0.0, 5.0, 12.0], [inf, 0.0, 7.0]]
        >>> compile_roads(G).search([0], limit=6.0).tolist()
        [[0.0, 5.0, inf]]
        """
        matrix = self.matrix(weight)
        missing = [s for s in sources if s not in self.index]
        if missing:
            raise InputError(
                f"{len(missing)} source(s) are not road nodes (e.g. {missing[0]!r})",
                hint="pass node ids of the road graph",
            )
        idx = np.array([self.index[s] for s in sources], dtype=np.int64)
        if idx.size == 0:
            return np.empty((0, self.n_nodes))
        out: np.ndarray = _csgraph().dijkstra(
            matrix, directed=True, indices=idx, limit=np.inf if limit is None else float(limit)
        )
        return out


_COMPILED: weakref.WeakKeyDictionary[RoadMetric, CompiledRoads] = weakref.WeakKeyDictionary()


def compile_roads(roads: RoadMetric | nx.Graph) -> CompiledRoads:
    """Return the road graph as a :class:`CompiledRoads`; built once per metric.

    Parameters
    ----------
    roads
        A :class:`~sandan_geo.road.RoadMetric` (its graph is compiled once and
        kept while the metric lives) or a networkx graph as ``RoadMetric`` takes
        one (compiled anew at every call).

    Raises
    ------
    MissingDependencyError
        scipy is not installed (``pip install 'sandan-geo[scale]'``).
    SchemaError, GeometryError, InputError
        As :class:`~sandan_geo.road.RoadMetric` for a bad graph.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"x": 127.0, "y": 37.0}), ("b", {"x": 127.01, "y": 37.0})])
    >>> G.add_edge("a", "b", length=890.0, speed_kph=20.0)
    0
    >>> G.add_edge("a", "b", length=1500.0, speed_kph=80.0)
    1
    >>> c = compile_roads(G)
    >>> c.nodes, c.length.toarray().tolist(), c.travel_time.toarray().tolist()
    (('a', 'b'), [[0.0, 890.0], [0.0, 0.0]], [[0.0, 67.5], [0.0, 0.0]])
    """
    if isinstance(roads, RoadMetric):
        hit = _COMPILED.get(roads)
        if hit is None:
            hit = _compile(roads.G)
            _COMPILED[roads] = hit
        return hit
    RoadMetric(roads)  # validates the graph as the metric would
    return _compile(roads)


def _edge_values(data: Mapping[str, Any]) -> tuple[float, float]:
    """:func:`road.edge_values` with NaN for a missing time (array-friendly)."""
    length, t = edge_values(data)
    return length, math.nan if t is None else t


def _compile(G: nx.Graph) -> CompiledRoads:
    sparse = require("scipy.sparse", "scipy", extra="scale")
    nodes = tuple(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    lon = np.array([float(G.nodes[n]["x"]) for n in nodes])
    lat = np.array([float(G.nodes[n]["y"]) for n in nodes])
    multi = G.is_multigraph()
    indptr = [0]
    cols: list[int] = []
    len_min: list[float] = []
    time_min: list[float] = []
    time_at_len: list[float] = []
    len_at_time: list[float] = []
    for u in nodes:
        row: list[tuple[int, float, float, float, float]] = []
        for v, data in G.adj[u].items():
            values = [_edge_values(d) for d in (data.values() if multi else (data,))]
            # The first of the cheapest, as min() picks it in RoadMetric's route walk.
            shortest = min(values, key=lambda lt: lt[0])
            timed = [lt for lt in values if not math.isnan(lt[1])]
            fastest = min(timed, key=lambda lt: lt[1]) if timed else (math.nan, math.nan)
            row.append((index[v], shortest[0], fastest[1], shortest[1], fastest[0]))
        row.sort(key=lambda r: r[0])
        for j, lm, tm, tal, lat_ in row:
            cols.append(j)
            len_min.append(lm)
            time_min.append(tm)
            time_at_len.append(tal)
            len_at_time.append(lat_)
        indptr.append(len(cols))
    n = len(nodes)
    ip = np.array(indptr, dtype=np.int64)
    ix = np.array(cols, dtype=np.int64)
    shape = (n, n)
    length = sparse.csr_matrix((np.array(len_min, dtype=float), ix, ip), shape=shape)
    times = np.array(time_min, dtype=float)
    travel_time = (
        None if np.isnan(times).any() else sparse.csr_matrix((times, ix.copy(), ip.copy()), shape)
    )
    return CompiledRoads(
        nodes=nodes,
        index=index,
        lon=lon,
        lat=lat,
        length=length,
        travel_time=travel_time,
        time_of_shortest=np.array(time_at_len, dtype=float),
        length_of_fastest=np.array(len_at_time, dtype=float),
    )


def _route(
    node: int,
    pred: np.ndarray,
    root: int,
    memo: dict[int, tuple[float, float, int]],
    edge: Callable[[int, int], tuple[float, float]],
) -> tuple[float, float, int]:
    """Length (m), time (s) and entry node of the route to ``node`` in a search tree.

    Adds edge by edge from the entry node (the node after the virtual ``root``),
    in the order RoadMetric's route walk adds them; ``memo`` keeps every node's
    answer for the next target of the same search.
    """
    trail: list[int] = []
    while node not in memo and int(pred[node]) != root:
        trail.append(node)
        node = int(pred[node])
    if node not in memo:
        memo[node] = (0.0, 0.0, node)
    for v in reversed(trail):
        u = int(pred[v])
        m_u, s_u, start = memo[u]
        e_len, e_time = edge(u, v)
        memo[v] = (m_u + e_len, s_u + e_time, start)
        node = v
    return memo[node]


def _as_metric(roads: RoadMetric | nx.Graph | str | os.PathLike[str]) -> RoadMetric:
    if isinstance(roads, RoadMetric):
        return roads
    if isinstance(roads, nx.Graph):
        return RoadMetric(roads)
    if isinstance(roads, str | os.PathLike):
        return RoadMetric(load_roads(roads))
    raise InputError(
        f"roads must be a RoadMetric, a networkx graph or a path, not {type(roads).__name__}",
        field="roads",
        hint="pass RoadMetric(G), a road graph, or a road file such as roads.osm",
    )


def _as_sites(sites: Plan | Iterable[Site | PlanSite]) -> list[Site]:
    items = sites.sites if isinstance(sites, Plan) else sites
    out: list[Site] = []
    seen: set[str] = set()
    for item in items:
        s = item.site if isinstance(item, PlanSite) else item
        if not isinstance(s, Site):
            raise InputError(
                f"a site must be a Site or PlanSite, not {type(s).__name__}",
                field="sites",
                hint="pass Sites, PlanSites or a Plan",
            )
        if s.key in seen:
            raise InputError(f"site key {s.key!r} appears twice", site=s.key, field="key")
        seen.add(s.key)
        out.append(s)
    return out


def road_matrix(
    sites: Plan | Iterable[Site | PlanSite],
    roads: RoadMetric | nx.Graph | str | os.PathLike[str],
    *,
    max_km: float | None = None,
    max_minutes: float | None = None,
) -> pd.DataFrame:
    """Return every ordered pair of sites within the bound by road, with distances and times.

    Each site is searched from once (all sites at once, in batches, with
    :func:`scipy.sparse.csgraph.dijkstra` on the compiled graph), entering the
    network at the same entry nodes with the same connector costs as
    :meth:`RoadMetric.distance <sandan_geo.road.RoadMetric.distance>`, so each
    row's ``network_km`` is that method's ``value_m / 1000`` (the route's length
    for the metric's ``weight``: the shortest or the fastest route).

    Parameters
    ----------
    sites
        Sites, PlanSites or a Plan; keys must be unique.
    roads
        A :class:`~sandan_geo.road.RoadMetric` (reuse one: its compiled graph is
        kept), a networkx road graph, or a road file read with
        :func:`~sandan_geo.road.load_roads`.
    max_km
        Keep pairs at most this far by road (snaps included); ``None``: no bound.
    max_minutes
        Keep pairs at most this many minutes apart; needs travel times.

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (site keys, ``a`` ≠ ``b``), ``network_km``,
        ``minutes`` (``None`` when the roads have no times), ``straight_km``
        (GRS80 geodesic between the sites' points) and ``detour``
        (``network_km / straight_km``; NaN for sites on one point). Pairs with
        no road path between them are left out. Rows are ordered by ``a`` then
        ``b`` in the order the sites were given.

    Raises
    ------
    InputError
        A site farther than the metric's ``max_snap_m`` from every road node,
        duplicate keys, or ``max_minutes`` on roads without times.
    RuleError
        A limit that is not a positive number.
    MissingDependencyError
        scipy is not installed (``pip install 'sandan-geo[scale]'``).

    Examples
    --------
    Three sites on a road 1 km per step; the bound keeps the near pairs:

    >>> import networkx as nx
    >>> from sandan_geo.model import Site
    >>> G = nx.path_graph(3)
    >>> nx.set_node_attributes(G, {0: 127.0, 1: 127.0112, 2: 127.0224}, "x")
    >>> nx.set_node_attributes(G, 37.0, "y")
    >>> nx.set_edge_attributes(G, 1000.0, "length")
    >>> sites = [Site(key=k, name_ko=k, lon=x, lat=37.0)
    ...          for k, x in (("s0", 127.0), ("s1", 127.0112), ("s2", 127.0224))]
    >>> m = road_matrix(sites, G, max_km=1.5)
    >>> list(zip(m["a"], m["b"], m["network_km"]))
    [('s0', 's1', 1.0), ('s1', 's0', 1.0), ('s1', 's2', 1.0), ('s2', 's1', 1.0)]
    >>> m["minutes"].tolist()
    [None, None, None, None]
    """
    metric = _as_metric(roads)
    site_list = _as_sites(sites)
    max_m = None if max_km is None else km_to_m(check_limit_km(max_km))
    max_min = None if max_minutes is None else check_limit(max_minutes, "max_minutes", "minutes")
    if max_min is not None and not metric.has_time:
        raise InputError(
            "max_minutes needs travel times, and some road edges have none",
            field="max_minutes",
            hint="give edges speed_kph or travel_time (or load roads with fallback_kph), "
            "or bound by max_km",
        )
    compiled = compile_roads(metric)
    weight = metric.weight
    cost_matrix = compiled.matrix(weight)
    by_length = weight == "length"
    kph = metric.connector_kph
    connector = metric.connector_cost  # the metric's own cost: results stay equal to distance()

    entries = [metric.entries(s) for s in site_list]
    n, k = compiled.n_nodes, len(site_list)
    # A virtual node per site, joined to its entry nodes at their connector costs.
    extra_cols = [compiled.index[node] for es in entries for node, _ in es]
    extra_cost = [connector(snap) for es in entries for _, snap in es]
    extra_ptr = np.cumsum([0] + [len(es) for es in entries]) + cost_matrix.indptr[-1]
    sparse = require("scipy.sparse", "scipy", extra="scale")
    aug = sparse.csr_matrix(
        (
            np.concatenate([cost_matrix.data, np.array(extra_cost, dtype=float)]),
            np.concatenate([cost_matrix.indices, np.array(extra_cols, dtype=np.int64)]),
            np.concatenate([cost_matrix.indptr, extra_ptr[1:]]),
        ),
        shape=(n + k, n + k),
    )
    limit = np.inf
    if by_length and max_m is not None:
        limit = max_m * (1 + 1e-9)
    elif not by_length and max_min is not None:
        limit = max_min * 60.0 * (1 + 1e-9)
    # Edge values along a route, as RoadMetric's route walk adds them.
    length_data = compiled.length.data if by_length else compiled.length_of_fastest
    if by_length:
        time_data = compiled.time_of_shortest
    else:
        assert compiled.travel_time is not None  # the metric checked its graph
        time_data = compiled.travel_time.data
    indptr, indices = compiled.length.indptr, compiled.length.indices

    def edge(u: int, v: int) -> tuple[float, float]:
        lo, hi = int(indptr[u]), int(indptr[u + 1])
        j = lo + int(np.searchsorted(indices[lo:hi], v))
        return float(length_data[j]), float(time_data[j])

    rows: list[tuple[Any, ...]] = []
    batch = max(1, _CELLS_PER_BATCH // (n + k))
    dijkstra = _csgraph().dijkstra
    for first in range(0, k, batch):
        chunk = np.arange(first, min(first + batch, k)) + n
        dist, pred = dijkstra(
            aug, directed=True, indices=chunk, limit=limit, return_predecessors=True
        )
        for r, i in enumerate(range(first, first + len(chunk))):
            d_row, p_row = dist[r], pred[r]
            root = n + i
            memo: dict[int, tuple[float, float, int]] = {}  # node -> (m, s, entry)

            snaps_a = {compiled.index[node]: snap for node, snap in entries[i]}
            sa = site_list[i]
            for j, sb in enumerate(site_list):
                if j == i:
                    continue
                best, best_node, best_snap = math.inf, -1, 0.0
                for node, snap in entries[j]:
                    c = float(d_row[compiled.index[node]]) + connector(snap)
                    if c < best:
                        best, best_node, best_snap = c, compiled.index[node], snap
                if best_node < 0:
                    continue
                net_m, net_s, start = _route(best_node, p_row, root, memo, edge)
                value_m = snaps_a[start] + net_m + best_snap
                minutes = None
                if metric.has_time:
                    snaps = snaps_a[start] + best_snap
                    minutes = (net_s + snaps * 3.6 / kph) / 60.0
                if max_m is not None and value_m > max_m:
                    continue
                if max_min is not None and minutes is not None and minutes > max_min:
                    continue
                straight = geodesic_m((sa.lon, sa.lat), (sb.lon, sb.lat))
                rows.append(
                    (
                        sa.key,
                        sb.key,
                        m_to_km(value_m),
                        minutes,
                        m_to_km(straight),
                        value_m / straight if straight > 0 else math.nan,
                    )
                )
    frame = pd.DataFrame(rows, columns=list(MATRIX_COLUMNS))
    if metric.has_time:
        frame["minutes"] = frame["minutes"].astype(float)
    else:
        frame["minutes"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame
