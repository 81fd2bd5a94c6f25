"""Road distances between many sites at once: ``road_matrix``.

:func:`road_matrix` measures every ordered pair of sites within a bound by road.
Sites snap onto the road exactly as :meth:`RoadMetric.distance
<sandan_geo.road.RoadMetric.distance>` snaps them (the same entries and costs),
and the searches are the metric's: :func:`scipy.sparse.csgraph.dijkstra` from a
virtual node per site, many sites per call, bounded by the limit. The route's
other measure (its travel time when the route is the shortest, its length when
it is the fastest) is summed along each search tree with NumPy by pointer
doubling, without a Python step per node, so a pair's values are those of
``RoadMetric.distance``.

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

import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._io import parquet_target, replaced_atomically
from ._optional import require
from .crs import GEOD, km_to_m
from .errors import InputError
from .limits import check_limit, check_limit_km
from .model import Plan, PlanSite, Site
from .progress import Progress
from .road import Entry, RoadMetric
from .roadload import read_road_network
from .roadnet import RoadNetwork, csgraph

__all__ = ["MATRIX_COLUMNS", "road_matrix"]

MATRIX_COLUMNS: tuple[str, ...] = ("a", "b", "network_km", "minutes", "straight_km", "detour")
"""The columns of :func:`road_matrix`'s table, in order."""

# Search rows per scipy call: scipy fills a dense row of every node per source, and
# measured on a 10^6-edge grid, 4-16 rows per call cost 1.6 ms a row, 80 rows 6.5 ms
# (the rows no longer stay in cache). At most _CELLS_PER_BATCH cells per call.
_ROWS_PER_BATCH = 16
_CELLS_PER_BATCH = 16_000_000


def _as_metric(roads: RoadMetric | RoadNetwork | nx.Graph | str | os.PathLike[str]) -> RoadMetric:
    if isinstance(roads, RoadMetric):
        return roads
    if isinstance(roads, RoadNetwork | nx.Graph):
        return RoadMetric(roads)
    if isinstance(roads, str | os.PathLike):
        return RoadMetric(read_road_network(roads))
    raise InputError(
        f"roads must be a RoadMetric, a RoadNetwork, a networkx graph or a path, "
        f"not {type(roads).__name__}",
        field="roads",
        hint="pass RoadMetric(net), a road network, or a road file such as roads.osm.pbf",
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


def _all_entries(metric: RoadMetric, sites: Sequence[Site]) -> list[tuple[Entry, ...]]:
    """Every site's entries; one error naming every site off the road."""
    out: list[tuple[Entry, ...]] = []
    far: list[tuple[Site, InputError]] = []
    for s in sites:
        try:
            out.append(metric.entries(s))
        except InputError as err:
            far.append((s, err))
            out.append(())
    if far:
        if len(far) == 1:
            raise far[0][1]
        shown = "; ".join(f"'{s.key}' ({s.name_ko})" for s, _ in far[:10])
        more = f" and {len(far) - 10} more" if len(far) > 10 else ""
        raise InputError(
            f"{len(far)} sites are farther than max_snap_m={metric.max_snap_m:g} m from every "
            f"road: {shown}{more}",
            site=far[0][0].key,
            hint="use road data that covers the sites, pass a larger max_snap_m, "
            "or leave those sites out",
        )
    return out


class _Targets:
    """All sites' arrival costs as flat arrays, grouped by site."""

    def __init__(self, metric: RoadMetric, entries: Sequence[tuple[Entry, ...]]) -> None:
        node: list[int] = []
        cost: list[float] = []
        other: list[float] = []
        site: list[int] = []
        self.entry: list[Entry] = []
        for j, es in enumerate(entries):
            for v, (c, e) in sorted(metric.arrive_costs(es).items()):
                node.append(v)
                cost.append(c)
                other.append(_other_into(metric, e, v))
                site.append(j)
                self.entry.append(e)
        self.node = np.asarray(node, dtype=np.int64)
        self.cost = np.asarray(cost, dtype=np.float64)
        self.other = np.asarray(other, dtype=np.float64)
        self.site = np.asarray(site, dtype=np.int64)
        self.point = np.array([e.site_point for e in self.entry], dtype=np.float64).reshape(-1, 2)


def _other_weight(metric: RoadMetric) -> np.ndarray:
    net = metric.network
    return net.time_s if metric.weight == "length" else net.length_m


def _conn_other(metric: RoadMetric, snap_m: float) -> float:
    return snap_m * 3.6 / metric.connector_kph if metric.weight == "length" else snap_m


def _other_from(metric: RoadMetric, e: Entry, node: int) -> float:
    """The other measure of leaving a site through entry ``e`` onto ``node``."""
    net = metric.network
    share = 0.0 if node == int(net.tails[e.edge]) and e.fraction <= 0.0 else 1.0 - e.fraction
    return _conn_other(metric, e.snap_m) + share * float(_other_weight(metric)[e.edge])


def _other_into(metric: RoadMetric, e: Entry, node: int) -> float:
    """The other measure of arriving from ``node`` into a site through entry ``e``."""
    net = metric.network
    share = 0.0 if node == int(net.indices[e.edge]) and e.fraction >= 1.0 else e.fraction
    return share * float(_other_weight(metric)[e.edge]) + _conn_other(metric, e.snap_m)


def _tree_sums(
    metric: RoadMetric,
    dist: np.ndarray,
    pred: np.ndarray,
    root: int,
    start_other: dict[int, float],
    nodes: np.ndarray,
    where: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The other measure along the search tree to each of ``nodes``, and each route's first node.

    Pointer doubling over the settled nodes: each round adds the sum held by a
    node's current ancestor and jumps to that ancestor's ancestor, so a route of
    d edges takes log2(d) rounds of array operations.
    """
    n = metric.network.n_nodes
    settled = np.flatnonzero(np.isfinite(dist[:n]))
    if settled.size == 0:
        return np.full(len(nodes), np.nan), np.full(len(nodes), -1)
    where[settled] = np.arange(settled.size)
    parent = pred[settled].astype(np.int64)
    from_root = (parent == root) | (parent < 0) | (parent >= n)
    value = np.empty(settled.size, dtype=np.float64)
    inner = ~from_root
    if inner.any():
        edges = metric.network.edge_between(metric.weight, parent[inner], settled[inner])
        value[inner] = _other_weight(metric)[edges]
    value[from_root] = [start_other.get(int(v), 0.0) for v in settled[from_root].tolist()]
    # acc[v]: the sum from v up to (not including) its ancestor anc[v]; -1: the root.
    # top[v]: v's highest ancestor found so far (the route's first node, at the end).
    acc = value
    anc = np.where(from_root, -1, where[np.where(from_root, 0, parent)])
    top = np.where(from_root, np.arange(settled.size), anc)
    while True:
        live = anc >= 0
        if not live.any():
            break
        up = np.where(live, anc, 0)
        acc = np.where(live, acc + acc[up], acc)
        top = np.where(live, top[up], top)
        anc = np.where(live, anc[up], -1)
    at = where[nodes]
    out: np.ndarray = acc[at]
    first: np.ndarray = settled[top[at]]
    where[settled] = -1
    return out, first


def _pairs(
    metric: RoadMetric,
    sites: Sequence[Site],
    entries: Sequence[tuple[Entry, ...]],
    rows: Sequence[int],
    bound: float,
    progress: bool | None,
) -> Iterator[pd.DataFrame]:
    """Batches of result rows for the source sites ``rows``."""
    net = metric.network
    n = net.n_nodes
    targets = _Targets(metric, entries)
    by_edge: dict[int, list[tuple[int, Entry]]] = {}
    for j, es in enumerate(entries):
        for e in es:
            by_edge.setdefault(e.edge, []).append((j, e))
    keys = [s.key for s in sites]
    by_length = metric.weight == "length"
    batch = max(1, min(_ROWS_PER_BATCH, _CELLS_PER_BATCH // (n + len(rows) + 1)))
    where = np.full(n, -1, dtype=np.int64)  # scratch for _tree_sums, reset after each use
    dijkstra = csgraph().dijkstra
    all_starts = [metric.leave_costs(entries[i]) for i in rows]
    aug = metric.augmented(all_starts)  # one virtual root per source, n + its position
    with Progress("road matrix", unit="sites", total=len(rows), enabled=progress) as bar:
        for first in range(0, len(rows), batch):
            chunk = list(rows[first : first + batch])
            starts = all_starts[first : first + batch]
            roots = np.arange(n + first, n + first + len(chunk))
            dist, pred = dijkstra(
                aug,
                directed=True,
                indices=roots,
                limit=bound * (1 + 1e-9) if math.isfinite(bound) else np.inf,
                return_predecessors=True,
            )
            out_a: list[np.ndarray] = []
            out_b: list[np.ndarray] = []
            out_cost: list[np.ndarray] = []
            out_other: list[np.ndarray] = []
            ends: list[np.ndarray] = []  # route ends: lon, lat from and to
            for r, i in enumerate(chunk):
                d_row = dist[r]
                cost = d_row[targets.node] + targets.cost
                order = np.lexsort((cost, targets.site))
                s_sorted = targets.site[order]
                firsts = np.ones(len(order), dtype=bool)
                firsts[1:] = s_sorted[1:] != s_sorted[:-1]
                pick = order[firsts]
                site_j = targets.site[pick]
                best = cost[pick]
                node = targets.node[pick]
                t_other = targets.other[pick]
                best_full = np.full(len(sites), np.inf)
                best_full[site_j] = best
                via_node = np.full(len(sites), -1, dtype=np.int64)
                via_node[site_j] = node
                end_other = np.full(len(sites), np.nan)
                end_other[site_j] = t_other
                # The route's two ends (footprint points), for the straight line.
                end_pt = np.full((len(sites), 2), np.nan)
                end_pt[site_j] = targets.point[pick]
                start_pt = np.full((len(sites), 2), np.nan)
                direct_other = np.full(len(sites), np.nan)
                for ea in entries[i]:
                    for j, eb in by_edge.get(ea.edge, ()):
                        c = None if j == i else metric.along_cost(ea, eb)
                        if c is None:
                            continue
                        if c < best_full[j]:  # as RoadMetric.distance: a junction route wins a tie
                            best_full[j] = c
                            via_node[j] = -1
                            start_pt[j] = ea.site_point
                            end_pt[j] = eb.site_point
                            direct_other[j] = (
                                _conn_other(metric, ea.snap_m)
                                + (eb.fraction - ea.fraction)
                                * float(_other_weight(metric)[ea.edge])
                                + _conn_other(metric, eb.snap_m)
                            )
                keep = np.isfinite(best_full) & (best_full <= bound * (1 + 1e-12))
                keep[i] = False
                js = np.flatnonzero(keep)
                if js.size:
                    other = np.where(via_node[js] < 0, direct_other[js], np.nan)
                    routed = via_node[js] >= 0
                    if routed.any():
                        start_other = {
                            v: _other_from(metric, e, v) for v, (_, e) in starts[r].items()
                        }
                        sums, firsts_at = _tree_sums(
                            metric,
                            d_row,
                            pred[r],
                            n + first + r,
                            start_other,
                            via_node[js][routed],
                            where,
                        )
                        other[routed] = sums + end_other[js][routed]
                        first_nodes = np.array(sorted(starts[r]), dtype=np.int64)
                        first_pts = np.array(
                            [starts[r][v][1].site_point for v in first_nodes.tolist()]
                        ).reshape(-1, 2)
                        start_pt[js[routed]] = first_pts[np.searchsorted(first_nodes, firsts_at)]
                    out_a.append(np.full(js.size, i, dtype=np.int64))
                    out_b.append(js)
                    out_cost.append(best_full[js])
                    out_other.append(other)
                    ends.append(np.hstack([start_pt[js], end_pt[js]]))
                bar.advance()
            if not out_a:
                continue
            ia, ib = np.concatenate(out_a), np.concatenate(out_b)
            cost, other = np.concatenate(out_cost), np.concatenate(out_other)
            if by_length:
                value_m, seconds = cost, other
            else:
                value_m, seconds = other, cost
            xy = np.vstack(ends)
            _, _, straight = GEOD.inv(xy[:, 0], xy[:, 1], xy[:, 2], xy[:, 3])
            straight = np.asarray(straight, dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                detour = np.where(straight > 0, value_m / straight, np.nan)
            frame = pd.DataFrame(
                {
                    "a": [keys[k] for k in ia.tolist()],
                    "b": [keys[k] for k in ib.tolist()],
                    "network_km": value_m / 1000.0,
                    "minutes": seconds / 60.0 if metric.has_time else np.nan,
                    "straight_km": straight / 1000.0,
                    "detour": detour,
                }
            )
            yield frame


def road_matrix(
    sites: Plan | Iterable[Site | PlanSite],
    roads: RoadMetric | RoadNetwork | nx.Graph | str | os.PathLike[str],
    *,
    max_km: float | None = None,
    max_minutes: float | None = None,
    sources: Iterable[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | Path:
    """Return every ordered pair of sites within the bound by road, with distances and times.

    Sites snap onto the road as :meth:`RoadMetric.distance
    <sandan_geo.road.RoadMetric.distance>` snaps them, and each source site is
    searched from once (many at a time, :func:`scipy.sparse.csgraph.dijkstra`,
    bounded by the limit), so each row's ``network_km`` and ``minutes`` are that
    method's (for the metric's ``weight``: the shortest or the fastest route).

    Parameters
    ----------
    sites
        Sites, PlanSites or a Plan; keys must be unique.
    roads
        A :class:`~sandan_geo.road.RoadMetric` (reuse one: its searches and
        spatial index are kept), a :class:`~sandan_geo.roadnet.RoadNetwork`, a
        networkx road graph, or a road file read with
        :func:`~sandan_geo.roadload.read_road_network`.
    max_km
        Keep pairs at most this far by road (snaps included); ``None``: no bound.
        With ``weight="length"`` it also bounds the searches.
    max_minutes
        Keep pairs at most this many minutes apart; needs travel times. With
        ``weight="travel_time"`` it bounds the searches.
    sources
        Keys of the sites to measure from (default: every site); targets are
        always every site.
    out
        A path ending ``.parquet``: write the rows there (in row groups, one per
        batch of searches; the file appears complete or not at all) and return
        the path.
    progress
        Show progress on standard error; ``None``: only on a terminal.

    Returns
    -------
    pandas.DataFrame or pathlib.Path
        Columns ``a``, ``b`` (site keys, ``a`` ≠ ``b``), ``network_km``,
        ``minutes`` (NaN when the roads have no times), ``straight_km`` (GRS80
        geodesic between the route's two ends, the footprint points the snaps start
        from: the sites' points, or the nearest points of their outlines) and ``detour`` (``network_km /
        straight_km``; NaN for sites on one point). Pairs with no road path
        between them are left out. Rows are ordered by ``a`` then ``b`` in the
        order the sites were given. ``attrs`` holds the metric, the bounds and
        ``n_sites``.

    Raises
    ------
    InputError
        Sites farther than the metric's ``max_snap_m`` from every road (all named
        in one message), duplicate keys, an unknown source key,
        ``max_minutes`` on roads without times, or ``out`` not ``.parquet``.
    RuleError
        A limit that is not a positive number.

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
    >>> bool(m["minutes"].isna().all())
    True
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
    target = parquet_target(out)
    index = {s.key: i for i, s in enumerate(site_list)}
    if sources is None:
        rows = list(range(len(site_list)))
    else:
        wanted = list(sources)
        unknown = [k for k in wanted if k not in index]
        if unknown:
            raise InputError(
                f"source site {unknown[0]!r} is not among the sites",
                site=str(unknown[0]),
                field="sources",
                hint="name sources by the keys of the sites given",
            )
        rows = [index[k] for k in wanted]
    entries = _all_entries(metric, site_list)
    if metric.weight == "length":
        bound = math.inf if max_m is None else max_m
    else:
        bound = math.inf if max_min is None else max_min * 60.0
    meta = {
        "metric": metric.name,
        "weight": metric.weight,
        "max_km": max_km,
        "max_minutes": max_minutes,
        "n_sites": len(site_list),
    }
    batches = _filtered(_pairs(metric, site_list, entries, rows, bound, progress), max_m, max_min)
    if target is not None:
        return _write_parquet(target, batches, meta)
    frames = list(batches)
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype=float) for c in MATRIX_COLUMNS})
    )
    if not frames:
        frame = frame.astype({"a": object, "b": object})
    frame.attrs.update(meta)
    return frame


def _filtered(
    batches: Iterator[pd.DataFrame], max_m: float | None, max_min: float | None
) -> Iterator[pd.DataFrame]:
    for frame in batches:
        keep = np.ones(len(frame), dtype=bool)
        if max_m is not None:
            keep &= frame["network_km"].to_numpy() * 1000.0 <= max_m * (1 + 1e-12)
        if max_min is not None:
            keep &= frame["minutes"].to_numpy() <= max_min * (1 + 1e-12)
        if keep.any():
            yield frame[keep].reset_index(drop=True)


def _write_parquet(path: Path, batches: Iterator[pd.DataFrame], meta: dict[str, Any]) -> Path:
    pa = require("pyarrow", "pyarrow", extra="scale")
    pq = require("pyarrow.parquet", "pyarrow", extra="scale")
    schema = pa.schema(
        [
            ("a", pa.string()),
            ("b", pa.string()),
            ("network_km", pa.float64()),
            ("minutes", pa.float64()),
            ("straight_km", pa.float64()),
            ("detour", pa.float64()),
        ],
        metadata={b"sandan_geo": json.dumps(meta).encode()},
    )
    with replaced_atomically(path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for frame in batches:
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
    return path
