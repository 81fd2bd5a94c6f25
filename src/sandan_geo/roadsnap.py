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
        m = net.n_edges
        # Every edge's vertices: first node, interior vertices, last node.
        inner = np.diff(net.geom_ptr)
        counts = inner + 2
        starts = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        total = int(starts[-1])
        lon = np.empty(total)
        lat = np.empty(total)
        tails = net.tails
        lon[starts[:-1]] = net.lon[tails]
        lat[starts[:-1]] = net.lat[tails]
        lon[starts[1:] - 1] = net.lon[net.indices]
        lat[starts[1:] - 1] = net.lat[net.indices]
        if len(net.geom_xy):
            owner = np.repeat(np.arange(m), inner)
            pos = starts[:-1][owner] + 1 + (np.arange(len(owner)) - net.geom_ptr[:-1][owner])
            lon[pos] = net.geom_xy[:, 0]
            lat[pos] = net.geom_xy[:, 1]
        x, y = to_planar.transform(lon, lat)
        x = np.asarray(x)
        y = np.asarray(y)
        seg_ok = np.ones(max(total - 1, 0), dtype=bool)
        seg_ok[starts[1:-1] - 1] = False  # no segment from one edge's last vertex to the next's
        s0 = np.flatnonzero(seg_ok)
        seg_edge = np.repeat(np.arange(m), counts - 1)
        dx = x[s0 + 1] - x[s0]
        dy = y[s0 + 1] - y[s0]
        seg_len = np.hypot(dx, dy)
        # Planar length along the edge at each segment's start, and each edge's total.
        cum = np.cumsum(seg_len)
        before = cum - seg_len
        edge_first_seg = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(counts - 1, out=edge_first_seg[1:])
        offset = before[edge_first_seg[:-1]] if m else np.empty(0)
        self._edge_len = np.bincount(seg_edge, weights=seg_len, minlength=m)
        seg_at = before - offset[seg_edge]
        # Cut long segments into pieces of at most PIECE_M.
        pieces = np.maximum(np.ceil(seg_len / PIECE_M), 1).astype(np.int64)
        seg_of_piece = np.repeat(np.arange(len(s0)), pieces)
        k = np.arange(len(seg_of_piece)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        f0 = k / pieces[seg_of_piece]
        f1 = (k + 1) / pieces[seg_of_piece]
        base = s0[seg_of_piece]
        ddx, ddy = dx[seg_of_piece], dy[seg_of_piece]
        self._x0 = x[base] + f0 * ddx
        self._y0 = y[base] + f0 * ddy
        end = f1 >= 1.0  # the segment's own last vertex, exactly
        self._x1 = np.where(end, x[base + 1], x[base] + f1 * ddx)
        self._y1 = np.where(end, y[base + 1], y[base] + f1 * ddy)
        self._edge = seg_edge[seg_of_piece]
        self._at = seg_at[seg_of_piece] + f0 * seg_len[seg_of_piece]  # along the edge, m
        # Lon/lat of each piece's ends, to place a hit without a projection round trip.
        self._lon0 = lon[base] + f0 * (lon[base + 1] - lon[base])
        self._lat0 = lat[base] + f0 * (lat[base + 1] - lat[base])
        self._lon1 = np.where(end, lon[base + 1], lon[base] + f1 * (lon[base + 1] - lon[base]))
        self._lat1 = np.where(end, lat[base + 1], lat[base] + f1 * (lat[base + 1] - lat[base]))
        mid = np.column_stack([(self._x0 + self._x1) / 2, (self._y0 + self._y1) / 2])
        self._half = (
            float(np.max(np.hypot(self._x1 - self._x0, self._y1 - self._y0)) / 2)
            if len(mid)
            else 0.0
        )
        self._tree = spatial.cKDTree(mid) if len(mid) else None

    @property
    def n_pieces(self) -> int:
        """How many pieces the index holds."""
        return len(self._edge)

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
        x0, y0 = self._x0[cand], self._y0[cand]
        dx, dy = self._x1[cand] - x0, self._y1[cand] - y0
        ll = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(ll > 0, ((x - x0) * dx + (y - y0) * dy) / ll, 0.0)
        s = np.clip(s, 0.0, 1.0)
        d = np.hypot(x0 + s * dx - x, y0 + s * dy - y)
        return d, s

    def _hits(self, cand: np.ndarray, d: np.ndarray, s: np.ndarray, best: float) -> list[EdgeHit]:
        out: dict[int, EdgeHit] = {}
        order = np.lexsort((self._edge[cand], d))
        for j in order.tolist():
            if d[j] > best + _TIE_M:
                break
            piece = int(cand[j])
            e = int(self._edge[piece])
            if e in out:
                continue
            sj = float(s[j])
            length = float(self._edge_len[e])
            piece_len = math.hypot(
                self._x1[piece] - self._x0[piece], self._y1[piece] - self._y0[piece]
            )
            along = float(self._at[piece]) + sj * piece_len
            fraction = _fraction(along, length)
            lonlat = self._point(e, piece, sj, fraction)
            out[e] = EdgeHit(e, fraction, float(d[j]), lonlat)
        return list(out.values())

    def _point(self, e: int, piece: int, s: float, fraction: float) -> tuple[float, float]:
        net = self.net
        if fraction <= 0.0:
            u = int(net.tails[e])
            return (float(net.lon[u]), float(net.lat[u]))
        if fraction >= 1.0:
            v = int(net.indices[e])
            return (float(net.lon[v]), float(net.lat[v]))
        lon = self._lon0[piece] + s * (self._lon1[piece] - self._lon0[piece])
        lat = self._lat0[piece] + s * (self._lat1[piece] - self._lat0[piece])
        return (float(lon), float(lat))

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
        segs = shapely.linestrings(
            np.stack(
                [
                    np.column_stack([self._x0[cand], self._y0[cand]]),
                    np.column_stack([self._x1[cand], self._y1[cand]]),
                ],
                axis=1,
            )
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
        x0, y0 = self._x0[piece], self._y0[piece]
        dx, dy = self._x1[piece] - x0, self._y1[piece] - y0
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
            e = int(self._edge[piece])
            s = self._param(piece, px, py)
            piece_len = math.hypot(
                self._x1[piece] - self._x0[piece], self._y1[piece] - self._y0[piece]
            )
            along = float(self._at[piece]) + s * piece_len
            if e not in first or along < first[e][0]:
                first[e] = (along, piece, s)
            if e not in last or along > last[e][0]:
                last[e] = (along, piece, s)
        out: list[EdgeHit] = []
        for e in sorted(first):
            length = float(self._edge_len[e])
            for along, piece, s in sorted({first[e], last[e]}):
                fraction = _fraction(along, length)
                out.append(EdgeHit(e, fraction, 0.0, self._point(e, piece, s, fraction)))
        return out


def _fraction(along: float, length: float) -> float:
    """Where ``along`` metres lie on an edge of ``length``; within 1 mm of an end is the end."""
    if length <= 0 or along <= _END_M:
        return 0.0
    if along >= length - _END_M:
        return 1.0
    return along / length
