"""Distances between sites, in metres, by a named metric.

Two metrics are built in; any object with the :class:`Metric` protocol (a
``name`` and a ``distance(a, b)`` method) can be passed wherever a metric name
is accepted, which is how the road metric plugs in.

``centroid``
    GRS80 geodesic distance between the two sites' representative points
    (:class:`pyproj.Geod`). The representative point is a point inside the
    developed area, not necessarily the geometric centroid.
``boundary``
    Shortest gap between the two footprints (extent; else the parts' points;
    else the representative point), 0 where they touch or overlap. The nearest
    pair of points is found in EPSG:5179 and the distance between them is then
    measured as a GRS80 geodesic, so the projection's scale error (up to
    0.1 % in South Korea) does not enter the value; only the choice of the pair
    does, which is a second-order effect (see ``tests/test_measure.py``).

Examples
--------
>>> from sandan_geo.model import Site
>>> a = Site(key="a", name_ko="가", lon=128.50, lat=35.84)
>>> b = Site(key="b", name_ko="나", lon=128.55, lat=35.88)
>>> d = measure(a, b, metric="centroid")
>>> d.metric, round(d.value_km, 3)
('centroid', 6.332)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import networkx as nx
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from .crs import (
    GEOD,
    PLANAR_CRS,
    SEGMENTIZE_DEG,
    STORAGE_CRS,
    apply_transform,
    geodesic_m,
    m_to_km,
    segmentized,
    transformer,
)
from .errors import RuleError
from .graph import node_site
from .model import Site

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "BoundaryMetric",
    "CentroidMetric",
    "Distance",
    "Metric",
    "Outlines",
    "boundary_gap_m",
    "get_metric",
    "measure",
    "measure_links",
    "nearest_points_lonlat",
    "planar_outlines",
    "register_metric",
]

DEFAULT_METRIC = "boundary"
"""The metric of the presets, of ``max_distance`` and of the pair search when none is named
(see docs/rules.md)."""


@dataclass(frozen=True)
class Distance:
    """A measured distance and how it was measured.

    Parameters
    ----------
    metric
        Name of the metric that produced it.
    value_m
        The distance in metres.
    from_point, to_point
        The (lon, lat) points it was measured between.
    approximate
        True when either end is an approximate point or extent.
    minutes
        Travel time, for metrics that know one (road); else ``None``.
    path
        The (lon, lat) vertices of the measured path, for metrics that follow
        one (road); else ``None``.
    detail
        Anything else a metric reports (e.g. road nodes and snapping distances).

    Examples
    --------
    >>> Distance("centroid", 7500.0, (128.5, 35.84), (128.58, 35.84)).value_km
    7.5
    """

    metric: str
    value_m: float
    from_point: tuple[float, float]
    to_point: tuple[float, float]
    approximate: bool = False
    minutes: float | None = None
    path: tuple[tuple[float, float], ...] | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def value_km(self) -> float:
        """The distance in kilometres."""
        return m_to_km(self.value_m)


@runtime_checkable
class Metric(Protocol):
    """What a metric must provide: a name and a distance between two sites."""

    name: str

    def distance(self, a: Site, b: Site) -> Distance:
        """Return the distance from site ``a`` to site ``b``."""
        ...


class CentroidMetric:
    """Geodesic distance between representative points (GRS80).

    Examples
    --------
    >>> from sandan_geo.model import Site
    >>> a = Site(key="a", name_ko="가", lon=127.0, lat=37.0)
    >>> b = Site(key="b", name_ko="나", lon=127.0, lat=37.1)
    >>> round(CentroidMetric().distance(a, b).value_m, 1)
    11097.9
    """

    name = "centroid"

    def distance(self, a: Site, b: Site) -> Distance:
        """Return the geodesic distance between the representative points."""
        return Distance(
            metric=self.name,
            value_m=geodesic_m((a.lon, a.lat), (b.lon, b.lat)),
            from_point=(a.lon, a.lat),
            to_point=(b.lon, b.lat),
            approximate=a.point_approximate or b.point_approximate,
        )


class BoundaryMetric:
    """Shortest geodesic gap between two sites' footprints; 0 where they meet.

    Examples
    --------
    >>> from sandan_geo.model import Site
    >>> from shapely import box
    >>> a = Site(key="a", name_ko="가", lon=127.005, lat=37.005, extent=box(127.0, 37.0, 127.01, 37.01))
    >>> b = Site(key="b", name_ko="나", lon=127.025, lat=37.005, extent=box(127.02, 37.0, 127.03, 37.01))
    >>> round(BoundaryMetric().distance(a, b).value_m, 1)
    890.0
    """

    name = "boundary"

    def distance(self, a: Site, b: Site) -> Distance:
        """Return the geodesic length of the shortest line between the footprints."""
        p, q = nearest_points_lonlat(a.footprint, b.footprint)
        return Distance(
            metric=self.name,
            value_m=_gap_m(p, q),
            from_point=p,
            to_point=q,
            approximate=a.footprint_approximate or b.footprint_approximate,
        )


def boundary_gap_m(a: BaseGeometry, b: BaseGeometry) -> float:
    """The boundary metric's value (m) between two lon/lat footprints; 0 where they meet.

    Examples
    --------
    >>> from shapely import box
    >>> round(boundary_gap_m(box(127.0, 37.0, 127.01, 37.01), box(127.02, 37.0, 127.03, 37.01)), 1)
    890.0
    """
    return _gap_m(*nearest_points_lonlat(a, b))


def _gap_m(p: tuple[float, float], q: tuple[float, float]) -> float:
    return 0.0 if p == q else geodesic_m(p, q)


def nearest_points_lonlat(
    a: BaseGeometry, b: BaseGeometry
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return the nearest pair of points of two lon/lat geometries, found in EPSG:5179.

    Where the geometries touch or overlap, both points are the same point of
    their intersection. Otherwise the points are those :class:`Outlines`
    finds for the pair (the one implementation of the boundary metric).

    Raises
    ------
    GeometryError
        An outline would have more than
        :data:`~sandan_geo.crs.MAX_SEGMENTIZED_VERTICES` vertices once segmentized.

    Examples
    --------
    >>> from shapely import Point
    >>> nearest_points_lonlat(Point(127.0, 37.0), Point(127.1, 37.0))
    ((127.0, 37.0), (127.1, 37.0))
    """
    if not a.is_valid:  # loaders refuse invalid outlines; sites built in code may have them
        a = shapely.make_valid(a)
    if not b.is_valid:
        b = shapely.make_valid(b)
    if a.intersects(b):
        shared = a.intersection(b)
        pt = shared.representative_point() if not shared.is_empty else a.representative_point()
        return (pt.x, pt.y), (pt.x, pt.y)
    pair = np.empty(2, dtype=object)
    pair[:] = [a, b]
    planar = np.empty(2, dtype=object)
    planar[:] = [_to_planar(segmentized(a)), _to_planar(segmentized(b))]  # size-checked
    px, py, qx, qy = Outlines(pair, planar=planar).nearest_points(_FIRST, _SECOND)
    return (float(px[0]), float(py[0])), (float(qx[0]), float(qy[0]))


_FIRST = np.zeros(1, dtype=np.intp)
_SECOND = np.ones(1, dtype=np.intp)


def _to_planar(geoms: Any) -> Any:
    return apply_transform(transformer(STORAGE_CRS, PLANAR_CRS), geoms)


def planar_outlines(footprints: np.ndarray) -> np.ndarray:
    """Lon/lat footprints split to :data:`~sandan_geo.crs.SEGMENTIZE_DEG` and projected to EPSG:5179.

    What the boundary metric measures between, for an array of footprints at once.

    Examples
    --------
    >>> from shapely import Point
    >>> [round(c) for c in planar_outlines(np.array([Point(127.5, 38.0)]))[0].coords[0]]
    [1000000, 2000000]
    """
    out: np.ndarray = _to_planar(shapely.segmentize(footprints, SEGMENTIZE_DEG))
    return out


class Outlines:
    """The boundary metric for many pairs of footprints at once, vectorised.

    The one implementation of :class:`BoundaryMetric`'s value: the scalar
    :func:`nearest_points_lonlat` calls it for one pair, the pair search
    (:func:`~sandan_geo.pairs_within`) for thousands. For a pair that does
    not intersect: the planar shortest line between the segmentized,
    projected footprints, its ends projected back to lon/lat and snapped to an
    input vertex where the round trip nearly hit one, then the GRS80 geodesic
    between them.

    Parameters
    ----------
    footprints
        Lon/lat shapely geometries (an object array), valid.
    planar
        ``planar_outlines(footprints)``, if the caller already has it.

    Examples
    --------
    >>> from shapely import box
    >>> fps = np.array([box(127.0, 37.0, 127.01, 37.01), box(127.02, 37.0, 127.03, 37.01)])
    >>> Outlines(fps).gaps_m(np.array([0, 0]), np.array([1, 0])).round(1).tolist()
    [890.0, 0.0]
    """

    def __init__(self, footprints: np.ndarray, *, planar: np.ndarray | None = None) -> None:
        self.footprints = footprints
        self.planar = planar_outlines(footprints) if planar is None else planar
        coords, owner = shapely.get_coordinates(footprints, return_index=True)
        self._x = coords[:, 0]
        self._y = coords[:, 1]
        counts = np.bincount(owner, minlength=len(footprints))
        self._start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        self._count = counts.astype(np.intp)
        self._is_point = shapely.get_type_id(footprints) == 0

    def gaps_m(self, i: np.ndarray, j: np.ndarray, lines: np.ndarray | None = None) -> np.ndarray:
        """The boundary distance (m) for the pairs ``(i, j)``; 0 where they intersect.

        ``lines``, if given, are the planar shortest lines between
        ``planar[i]`` and ``planar[j]`` (computed by the caller to filter
        candidates).
        """
        out = np.zeros(len(i))
        rest = np.flatnonzero(~shapely.intersects(self.footprints[i], self.footprints[j]))
        if not len(rest):
            return out
        px, py, qx, qy = self.nearest_points(
            i[rest], j[rest], None if lines is None else lines[rest]
        )
        _, _, dist = GEOD.inv(px, py, qx, qy)
        out[rest] = np.where((px == qx) & (py == qy), 0.0, dist)
        return out

    def nearest_points(
        self, i: np.ndarray, j: np.ndarray, lines: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lon, lat of the nearest points on ``i`` and on ``j``, for pairs that do not intersect."""
        if lines is None:
            lines = shapely.shortest_line(self.planar[i], self.planar[j])
        xy = shapely.get_coordinates(lines)
        lon, lat = transformer(PLANAR_CRS, STORAGE_CRS).transform(xy[:, 0], xy[:, 1])
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        # Each line has two vertices: on the first geometry, then on the second.
        px, py = self._snap(i, lon[0::2], lat[0::2])
        qx, qy = self._snap(j, lon[1::2], lat[1::2])
        return px, py, qx, qy

    def _snap(self, g: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Put back an input vertex where the round trip through EPSG:5179 nearly hit one.

        A point projected there and back differs from the original by ~1e-12°;
        snapping keeps reported points equal to the user's own vertices. A
        point footprint is its own nearest point.
        """
        x = x.copy()
        y = y.copy()
        pts = self._is_point[g]
        x[pts] = self._x[self._start[g[pts]]]
        y[pts] = self._y[self._start[g[pts]]]
        rest = np.flatnonzero(~pts & (self._count[g] > 0))
        step = 1 << 22  # expanded vertices per batch
        cum = np.cumsum(self._count[g[rest]])
        first = 0
        while first < len(rest):
            base = cum[first - 1] if first else 0
            last = int(np.searchsorted(cum, base + step, side="right"))
            last = max(last, first + 1)
            self._snap_batch(g, x, y, rest[first:last])
            first = last
        return x, y

    def _snap_batch(self, g: np.ndarray, x: np.ndarray, y: np.ndarray, ends: np.ndarray) -> None:
        lengths = self._count[g[ends]]
        offsets = np.cumsum(lengths) - lengths
        owner = np.repeat(np.arange(len(ends)), lengths)
        pos = np.arange(int(lengths.sum())) - np.repeat(offsets, lengths)
        vertex = np.repeat(self._start[g[ends]], lengths) + pos
        l1 = np.abs(self._x[vertex] - x[ends][owner]) + np.abs(self._y[vertex] - y[ends][owner])
        best = np.minimum.reduceat(l1, offsets)
        hit = l1 == best[owner]
        first_hit = np.flatnonzero(hit)
        _, where = np.unique(owner[first_hit], return_index=True)
        chosen = vertex[first_hit[where]]
        snap = best < 1e-9
        x[ends[snap]] = self._x[chosen[snap]]
        y[ends[snap]] = self._y[chosen[snap]]


METRICS: dict[str, Metric] = {"centroid": CentroidMetric(), "boundary": BoundaryMetric()}
"""Metrics known by name. Add your own with :func:`register_metric`."""


def register_metric(metric: Metric) -> Metric:
    """Make ``metric`` available by its name everywhere a metric name is accepted.

    Examples
    --------
    >>> class Manhattan:
    ...     name = "manhattan_demo"
    ...     def distance(self, a, b):
    ...         raise NotImplementedError
    >>> register_metric(Manhattan()).name in METRICS
    True
    >>> del METRICS["manhattan_demo"]
    """
    if not isinstance(metric, Metric):
        raise RuleError(
            f"{metric!r} is not a metric", hint="give an object with .name and .distance(a, b)"
        )
    METRICS[metric.name] = metric
    return metric


def get_metric(metric: str | Metric | None) -> Metric:
    """Return the metric object for a name (or the object itself).

    Raises
    ------
    RuleError
        Unknown metric name; the message lists the known ones.

    Examples
    --------
    >>> get_metric("centroid").name
    'centroid'
    >>> get_metric(None).name
    'boundary'
    """
    if metric is None:
        return METRICS[DEFAULT_METRIC]
    if isinstance(metric, str):
        try:
            return METRICS[metric]
        except KeyError:
            known = ", ".join(sorted(METRICS))
            hint = f"use one of: {known}"
            if metric == "road":
                hint = "the road metric needs road data: pass a RoadMetric built from a road file"
            raise RuleError(f"unknown metric {metric!r}", field="metric", hint=hint) from None
    if isinstance(metric, Metric):
        return metric
    raise RuleError(f"metric {metric!r} is neither a name nor a metric object", field="metric")


def measure(a: Site, b: Site, *, metric: str | Metric | None = None) -> Distance:
    """Measure the distance from site ``a`` to site ``b``.

    Parameters
    ----------
    a, b
        The two sites.
    metric
        ``"centroid"``, ``"boundary"`` (default) or a :class:`Metric` object.

    Returns
    -------
    Distance
        In metres (``value_m``; ``value_km`` too), naming its metric and the
        two points it was measured between.

    Examples
    --------
    >>> from sandan_geo import builtin_sites
    >>> s = builtin_sites()
    >>> d = measure(s["seongseo"], s["seodaegu"], metric="boundary")
    >>> d.metric, d.value_km < measure(s["seongseo"], s["seodaegu"], metric="centroid").value_km
    ('boundary', True)
    """
    return get_metric(metric).distance(a, b)


def measure_links(
    G: nx.DiGraph, *, metrics: Iterable[str | Metric] = ("centroid", "boundary")
) -> nx.DiGraph:
    """Annotate every value-chain edge of ``G`` with its distance under each metric.

    Sets edge attributes ``distance_km_<metric>`` (float, km) in place.

    Parameters
    ----------
    G
        A plan graph from :func:`sandan_geo.plan_to_graph`.
    metrics
        Metric names or objects.

    Returns
    -------
    networkx.DiGraph
        ``G`` itself, for chaining.

    Examples
    --------
    >>> from sandan_geo import load_plan, plan_to_graph
    >>> G = measure_links(plan_to_graph(load_plan("daegu-2020")))
    >>> sorted(k for k in G.edges["seodaegu", "seongseo"] if k.startswith("distance"))
    ['distance_km_boundary', 'distance_km_centroid']
    """
    objs = [get_metric(m) for m in metrics]
    for u, v, data in G.edges(data=True):
        a, b = node_site(G, u), node_site(G, v)
        for m in objs:
            data[f"distance_km_{m.name}"] = m.distance(a, b).value_km
    return G
