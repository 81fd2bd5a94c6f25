"""Finding the nearest point of the nearest road edge: the index sites snap with.

:class:`EdgeIndex` cuts every edge of a :class:`~sandan_geo.roadnet.RoadNetwork`
into pieces of at most :data:`PIECE_M` metres in EPSG:5179 and keeps the pieces'
midpoints in a :class:`scipy.spatial.cKDTree`. The nearest point of the whole
network to a query lies on some piece; every point of a piece is within half its
length of its midpoint, so the pieces whose midpoints lie within ``d + PIECE_M / 2``
of the query (``d`` an upper bound on the answer) hold it. The search is exact,
and memory stays at about 60 bytes per piece (a shapely ``STRtree`` of edge lines
needs a Python geometry per edge, several times that).

Examples
--------
>>> import networkx as nx
>>> from sandan_geo.roadnet import RoadNetwork
>>> G = nx.DiGraph()
>>> G.add_nodes_from([(1, {"x": 127.0, "y": 37.0}), (2, {"x": 127.01, "y": 37.0})])
>>> G.add_edge(1, 2, length=890.0)
>>> idx = EdgeIndex(RoadNetwork.from_networkx(G))
>>> hits = idx.nearest_point(127.005, 37.001)
>>> [(h.edge, round(h.fraction, 2), round(h.distance_m)) for h in hits]
[(0, 0.5, 111)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ._optional import require
from .crs import PLANAR_CRS, STORAGE_CRS, transformer
from .roadnet import RoadNetwork

__all__ = ["PIECE_M", "EdgeHit", "EdgeIndex"]

PIECE_M: float = 400.0
"""Longest piece of an edge in the index, metres (EPSG:5179)."""

_END_M = 0.001  # a point this near an edge's end is at its node (float noise)
_TIE_M = 0.01  # edges this much farther than the nearest are as near (a junction's edges)


@dataclass(frozen=True)
class EdgeHit:
    """A point on a directed edge near a query.

    Attributes
    ----------
    edge
        The edge's index in the network.
    fraction
        Where on the edge, 0 at its first node and 1 at its last, by length along it.
    distance_m
        Planar (EPSG:5179) distance from the query to the point, metres.
    lonlat
        The point, WGS84.
    """

    edge: int
    fraction: float
    distance_m: float
    lonlat: tuple[float, float]


class EdgeIndex:
    """A spatial index of a road network's edges (see the module's notes).

    Parameters
    ----------
    net
        The network.
    """

    def __init__(self, net: RoadNetwork) -> None:
        spatial = require("scipy.spatial", "scipy", extra="roads")
        self.net = net
        to_planar = transformer(STORAGE_CRS, PLANAR_CRS)
        nx_, ny_ = to_planar.transform(net.lon, net.lat)
        self._nx = np.asarray(nx_, dtype=np.float64)
        self._ny = np.asarray(ny_, dtype=np.float64)
        tails, heads = net.tails, net.indices
        straight = np.diff(net.geom_ptr) == 0
        # A two-way road is two directed edges on one line: index one (the one running
        # to the higher node), find the other when a site lands on it (_twin).
        indexed = ~straight | (tails <= heads) | ~self._has_back(straight)
        # Straight edges no longer than PIECE_M are indexed as themselves, their ends
        # read from the nodes (no copy); other edges as explicit pieces.
        e_straight = np.flatnonzero(indexed & straight)
        sx0, sy0 = self._nx[tails[e_straight]], self._ny[tails[e_straight]]
        sx1, sy1 = self._nx[heads[e_straight]], self._ny[heads[e_straight]]
        s_len = np.hypot(sx1 - sx0, sy1 - sy0)
        short = s_len <= PIECE_M
        self._s_edge = e_straight[short]
        self._ns = len(self._s_edge)
        long_e = e_straight[~short]
        seg_edge = [long_e]
        seg_at = [np.zeros(len(long_e))]
        seg_xy = [(sx0[~short], sy0[~short], sx1[~short], sy1[~short])]
        del sx0, sy0, sx1, sy1
        e_curved = np.flatnonzero(indexed & ~straight)
        self._curved_edges = e_curved
        self._curved_len = np.zeros(len(e_curved))
        if len(e_curved):
            cx0, cy0, cx1, cy1, c_edge, c_at, c_len = self._curved(e_curved, to_planar)
            seg_edge.append(c_edge)
            seg_at.append(c_at)
            seg_xy.append((cx0, cy0, cx1, cy1))
            self._curved_len = c_len
        edge = np.concatenate(seg_edge)
        at0 = np.concatenate(seg_at)
        x0 = np.concatenate([q[0] for q in seg_xy])
        y0 = np.concatenate([q[1] for q in seg_xy])
        x1 = np.concatenate([q[2] for q in seg_xy])
        y1 = np.concatenate([q[3] for q in seg_xy])
        seg_len = np.hypot(x1 - x0, y1 - y0)
        # Cut long segments into pieces of at most PIECE_M.
        pieces = np.maximum(np.ceil(seg_len / PIECE_M), 1).astype(np.int64)
        seg = np.repeat(np.arange(len(edge)), pieces)
        k = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        f0 = k / pieces[seg]
        f1 = (k + 1) / pieces[seg]
        dx, dy = (x1 - x0)[seg], (y1 - y0)[seg]
        end = f1 >= 1.0  # the segment's own last vertex, exactly
        self._x0 = x0[seg] + f0 * dx
        self._y0 = y0[seg] + f0 * dy
        self._x1 = np.where(end, x1[seg], x0[seg] + f1 * dx)
        self._y1 = np.where(end, y1[seg], y0[seg] + f1 * dy)
        self._e_edge = edge[seg]
        self._e_at = at0[seg] + f0 * seg_len[seg]
        n_all = self._ns + len(self._e_edge)
        mid = np.empty((n_all, 2))
        if self._ns:
            u, v = tails[self._s_edge], heads[self._s_edge]
            mid[: self._ns, 0] = (self._nx[u] + self._nx[v]) / 2
            mid[: self._ns, 1] = (self._ny[u] + self._ny[v]) / 2
        mid[self._ns :, 0] = (self._x0 + self._x1) / 2
        mid[self._ns :, 1] = (self._y0 + self._y1) / 2
        longest = [float(s_len[short].max()) if short.any() else 0.0]
        if len(self._e_edge):
            longest.append(float(np.hypot(self._x1 - self._x0, self._y1 - self._y0).max()))
        self._half = max(longest) / 2
        self._tree = spatial.cKDTree(mid, copy_data=False) if n_all else None

    def _has_back(self, straight: np.ndarray) -> np.ndarray:
        """Whether each straight edge u → v has a straight edge v → u beside it."""
        net = self.net
        tails, heads = net.tails, net.indices
        ip, ix = net.indptr, net.indices
        found = np.zeros(net.n_edges, dtype=bool)
        # Scan each v's edges for u, all edges at once (few edges per node).
        start, stop = ip[heads], ip[heads.astype(np.int64) + 1]
        left = np.flatnonzero(straight & (start < stop))
        k = 0
        while left.size:
            pos = start[left] + k
            hit = (ix[pos] == tails[left]) & straight[pos]
            found[left[hit]] = True
            left = left[~hit & (pos + 1 < stop[left])]
            k += 1
        return found

    def _twin(self, e: int) -> int:
        """The straight edge v → u beside the straight edge e = u → v, or -1."""
        net = self.net
        if net.geom_ptr[e + 1] > net.geom_ptr[e]:
            return -1
        u, v = int(net.tails[e]), int(net.indices[e])
        for j in range(int(net.indptr[v]), int(net.indptr[v + 1])):
            if int(net.indices[j]) == u and net.geom_ptr[j + 1] == net.geom_ptr[j]:
                return j
        return -1

    def _ends(self, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The planar ends (x0, y0, x1, y1) of pieces ``cand``."""
        net = self.net
        if self._ns == 0:
            j = cand
            return self._x0[j], self._y0[j], self._x1[j], self._y1[j]
        is_s = cand < self._ns
        e_s = self._s_edge[np.where(is_s, cand, 0)]
        u, v = net.tails[e_s], net.indices[e_s]
        j = np.where(is_s, 0, cand - self._ns)
        if len(self._e_edge) == 0:
            return self._nx[u], self._ny[u], self._nx[v], self._ny[v]
        return (
            np.where(is_s, self._nx[u], self._x0[j]),
            np.where(is_s, self._ny[u], self._y0[j]),
            np.where(is_s, self._nx[v], self._x1[j]),
            np.where(is_s, self._ny[v], self._y1[j]),
        )

    def _piece_edge(self, piece: int) -> int:
        if piece < self._ns:
            return int(self._s_edge[piece])
        return int(self._e_edge[piece - self._ns])

    def _piece_at(self, piece: int) -> float:
        return 0.0 if piece < self._ns else float(self._e_at[piece - self._ns])

    def _edge_len(self, e: int) -> float:
        """Planar length of edge ``e`` along its vertices."""
        net = self.net
        if net.geom_ptr[e + 1] == net.geom_ptr[e]:
            u, v = int(net.tails[e]), int(net.indices[e])
            return math.hypot(self._nx[v] - self._nx[u], self._ny[v] - self._ny[u])
        k = int(np.searchsorted(self._curved_edges, e))
        if k < len(self._curved_edges) and int(self._curved_edges[k]) == e:
            return float(self._curved_len[k])
        return float(np.hypot(*np.diff(self.net.edge_coords(e), axis=0).T).sum())

    def _curved(self, edges: np.ndarray, to_planar: Any) -> tuple[np.ndarray, ...]:
        """Segments of edges with interior vertices: ends, edge, offset along it, edge length."""
        net = self.net
        inner = np.diff(net.geom_ptr)[edges]
        counts = inner + 2
        starts = np.zeros(len(edges) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        total = int(starts[-1])
        x = np.empty(total)
        y = np.empty(total)
        x[starts[:-1]] = self._nx[net.tails[edges]]
        y[starts[:-1]] = self._ny[net.tails[edges]]
        x[starts[1:] - 1] = self._nx[net.indices[edges]]
        y[starts[1:] - 1] = self._ny[net.indices[edges]]
        owner = np.repeat(np.arange(len(edges)), inner)
        src = np.repeat(net.geom_ptr[:-1][edges], inner) + (
            np.arange(len(owner)) - np.repeat(np.cumsum(inner) - inner, inner)
        )
        rank = np.arange(len(owner)) - np.repeat(np.cumsum(inner) - inner, inner)
        pos = starts[:-1][owner] + 1 + rank
        gx, gy = to_planar.transform(net.geom_xy[src, 0], net.geom_xy[src, 1])
        x[pos] = gx
        y[pos] = gy
        ok = np.ones(total - 1, dtype=bool)
        ok[starts[1:-1] - 1] = False  # no segment from one edge's last vertex to the next's
        s0 = np.flatnonzero(ok)
        seg_owner = np.repeat(np.arange(len(edges)), counts - 1)
        seg_len = np.hypot(x[s0 + 1] - x[s0], y[s0 + 1] - y[s0])
        cum = np.cumsum(seg_len) - seg_len
        first = np.zeros(len(edges) + 1, dtype=np.int64)
        np.cumsum(counts - 1, out=first[1:])
        at = cum - cum[first[:-1]][seg_owner]
        length = np.bincount(seg_owner, weights=seg_len, minlength=len(edges))
        return x[s0], y[s0], x[s0 + 1], y[s0 + 1], edges[seg_owner], at, length

    @property
    def n_pieces(self) -> int:
        """How many pieces the index holds."""
        return self._ns + len(self._e_edge)

    def _candidates(self, x: float, y: float, radius: float | None = None) -> np.ndarray:
        if self._tree is None:
            return np.empty(0, dtype=np.int64)
        if radius is None:
            d, _ = self._tree.query([x, y], k=1)
            radius = float(d) + self._half
        found = self._tree.query_ball_point([x, y], radius + self._half + 1e-6)
        return np.asarray(sorted(found), dtype=np.int64)

    def _project(self, x: float, y: float, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance from (x, y) to each candidate piece and the parameter (0…1) on it."""
        x0, y0, x1, y1 = self._ends(cand)
        dx, dy = x1 - x0, y1 - y0
        ll = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(ll > 0, ((x - x0) * dx + (y - y0) * dy) / ll, 0.0)
        s = np.clip(s, 0.0, 1.0)
        d = np.hypot(x0 + s * dx - x, y0 + s * dy - y)
        return d, s

    def _hits(self, cand: np.ndarray, d: np.ndarray, s: np.ndarray, best: float) -> list[EdgeHit]:
        out: dict[int, EdgeHit] = {}
        edges = np.array([self._piece_edge(int(c)) for c in cand], dtype=np.int64)
        order = np.lexsort((edges, d))
        for j in order.tolist():
            if d[j] > best + _TIE_M:
                break
            piece = int(cand[j])
            e = int(edges[j])
            if e in out:
                continue
            along = self._piece_at(piece) + float(s[j]) * self._piece_len(piece)
            out[e] = self._hit(e, along, float(d[j]), piece, float(s[j]))
            twin = self._twin(e)
            if twin >= 0 and twin not in out:
                h = out[e]
                out[twin] = EdgeHit(twin, _reverse(h.fraction), h.distance_m, h.lonlat)
        return list(out.values())

    def _piece_len(self, piece: int) -> float:
        x0, y0, x1, y1 = self._ends(np.array([piece]))
        return float(np.hypot(x1[0] - x0[0], y1[0] - y0[0]))

    def _hit(self, e: int, along: float, dist: float, piece: int, s: float) -> EdgeHit:
        fraction = _fraction(along, self._edge_len(e))
        net = self.net
        if fraction <= 0.0:
            u = int(net.tails[e])
            lonlat = (float(net.lon[u]), float(net.lat[u]))
        elif fraction >= 1.0:
            v = int(net.indices[e])
            lonlat = (float(net.lon[v]), float(net.lat[v]))
        else:
            x0, y0, x1, y1 = (float(q[0]) for q in self._ends(np.array([piece])))
            px = x0 + s * (x1 - x0)
            py = y0 + s * (y1 - y0)
            lon, lat = transformer(PLANAR_CRS, STORAGE_CRS).transform(px, py)
            lonlat = (float(lon), float(lat))
        return EdgeHit(e, fraction, dist, lonlat)

    def nearest_point(self, lon: float, lat: float) -> list[EdgeHit]:
        """The nearest point of the network to (lon, lat): one hit per edge through it.

        Edges within 1 cm of the nearest (both directions of a two-way road, all
        edges at a junction) are all returned, nearest first.
        """
        x, y = transformer(STORAGE_CRS, PLANAR_CRS).transform(lon, lat)
        cand = self._candidates(float(x), float(y))
        if cand.size == 0:
            return []
        d, s = self._project(float(x), float(y), cand)
        return self._hits(cand, d, s, float(d.min()))

    def nearest_to_shape(self, planar: BaseGeometry) -> list[EdgeHit]:
        """The edges nearest to a planar (EPSG:5179) shape.

        Edges crossing the shape come twice: at the first and the last point of
        the edge inside it (distance 0), where a route arriving and a route leaving
        would join it. With none crossing, the nearest edges at their point
        nearest the shape.
        """
        if self._tree is None or planar.is_empty:
            return []
        c = planar.centroid
        reach = float(shapely.hausdorff_distance(planar, c))
        d0, _ = self._tree.query([c.x, c.y], k=1)
        cand = self._candidates(c.x, c.y, float(d0) + self._half + reach)
        if cand.size == 0:
            return []
        x0, y0, x1, y1 = self._ends(cand)
        segs = shapely.linestrings(
            np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
        )
        shapely.prepare(planar)
        crossing = shapely.intersects(segs, planar)
        if crossing.any():
            return self._inside(cand[crossing], segs[crossing], planar)
        d = shapely.distance(segs, planar)
        best = float(d.min())
        near = d <= best + _TIE_M
        s = np.zeros(len(cand))
        for j in np.flatnonzero(near).tolist():
            line = shapely.shortest_line(segs[j], planar)
            px, py = line.coords[0]
            s[j] = self._param(int(cand[j]), px, py)
        return self._hits(cand, np.where(near, d, np.inf), s, best)

    def _param(self, piece: int, px: float, py: float) -> float:
        x0, y0, x1, y1 = (float(q[0]) for q in self._ends(np.array([piece])))
        dx, dy = x1 - x0, y1 - y0
        ll = dx * dx + dy * dy
        return min(max(((px - x0) * dx + (py - y0) * dy) / ll, 0.0), 1.0) if ll > 0 else 0.0

    def _inside(self, pieces: np.ndarray, segs: np.ndarray, planar: BaseGeometry) -> list[EdgeHit]:
        """For each edge with pieces inside the shape: its first and last point inside."""
        parts = shapely.intersection(segs, planar)
        coords, owner = shapely.get_coordinates(parts, return_index=True)
        first: dict[int, tuple[float, int, float]] = {}
        last: dict[int, tuple[float, int, float]] = {}
        for (px, py), j in zip(coords.tolist(), owner.tolist(), strict=True):
            piece = int(pieces[j])
            e = self._piece_edge(piece)
            s = self._param(piece, px, py)
            along = self._piece_at(piece) + s * self._piece_len(piece)
            if e not in first or along < first[e][0]:
                first[e] = (along, piece, s)
            if e not in last or along > last[e][0]:
                last[e] = (along, piece, s)
        out: list[EdgeHit] = []
        for e in sorted(first):
            for along, piece, s in sorted({first[e], last[e]}):
                h = self._hit(e, along, 0.0, piece, s)
                out.append(h)
                twin = self._twin(e)
                if twin >= 0:
                    out.append(EdgeHit(twin, _reverse(h.fraction), 0.0, h.lonlat))
        return out


def _fraction(along: float, length: float) -> float:
    """Where ``along`` metres lie on an edge of ``length``; within 1 mm of an end is the end."""
    if length <= 0 or along <= _END_M:
        return 0.0
    if along >= length - _END_M:
        return 1.0
    return along / length


def _reverse(fraction: float) -> float:
    """The same point seen from the other direction of a two-way road."""
    return 0.0 if fraction >= 1.0 else 1.0 if fraction <= 0.0 else 1.0 - fraction
