"""Coordinate reference systems, the geodesic, and unit conversion.

Storage is WGS84 longitude/latitude (EPSG:4326). Distances are measured in
metres: geodesic distances on the GRS80 ellipsoid with :class:`pyproj.Geod`,
planar geometry in EPSG:5179 (Korea 2000 / Unified CS). Kilometres appear only
at the user-facing boundary, converted here.

Examples
--------
>>> round(geodesic_m((128.5, 35.84), (128.5, 35.94)))
11096
>>> km_to_m(7.5), m_to_km(7500.0)
(7500.0, 7.5)
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import pyproj
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

__all__ = [
    "GEOD",
    "KOREA_BBOX",
    "MAX_SEGMENTIZED_VERTICES",
    "PLANAR_CRS",
    "SEGMENTIZE_DEG",
    "STORAGE_CRS",
    "apply_transform",
    "geodesic_lengths_m",
    "geodesic_m",
    "in_korea_bbox",
    "km_to_m",
    "m_to_km",
    "segmentized",
    "segmentized_size",
    "to_planar",
    "to_storage",
    "transformer",
]

STORAGE_CRS: str = "EPSG:4326"
"""CRS of every stored coordinate: WGS84 longitude, latitude."""

PLANAR_CRS: str = "EPSG:5179"
"""CRS for planar geometry in metres: Korea 2000 / Unified CS (UTM-K)."""

GEOD: Geod = Geod(ellps="GRS80")
"""The GRS80 ellipsoid's geodesic (GRS80 and WGS84 differ by 0.1 mm in semi-minor axis)."""

KOREA_BBOX: tuple[float, float, float, float] = (124.5, 33.0, 132.0, 38.7)
"""South Korea's bounding box (min lon, min lat, max lon, max lat), islands included."""


SEGMENTIZE_DEG: float = 0.002
"""Segments longer than this (degrees, about 200 m) are split before projecting, so that
a straight edge in lon/lat stays a faithful curve in EPSG:5179 (the boundary metric,
the road metric and the pair search all measure through it)."""

MAX_SEGMENTIZED_VERTICES: int = 1_000_000
"""Most vertices an outline may have once segmentized (about 2,000 km of edges): an
industrial complex is a few tens of km around; more is wrong data that would cost
gigabytes to measure."""


def segmentized_size(geom: BaseGeometry) -> int:
    """About how many vertices ``geom`` has once split to :data:`SEGMENTIZE_DEG`.

    Examples
    --------
    >>> from shapely import box
    >>> segmentized_size(box(127.0, 37.0, 127.01, 37.01))
    25
    """
    return int(shapely.get_num_coordinates(geom) + geom.length / SEGMENTIZE_DEG)


def segmentized(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` with edges split to :data:`SEGMENTIZE_DEG`, refused if that makes it huge.

    Raises
    ------
    GeometryError
        The outline would have more than :data:`MAX_SEGMENTIZED_VERTICES` vertices.

    Examples
    --------
    >>> from shapely import box
    >>> len(segmentized(box(127.0, 37.0, 127.01, 37.01)).exterior.coords)
    23
    """
    expected = segmentized_size(geom)
    if expected > MAX_SEGMENTIZED_VERTICES:
        from .errors import GeometryError

        raise GeometryError(
            f"an outline has edges {geom.length * 111:,.0f} km long in all (about "
            f"{expected:,.0f} vertices to measure); an industrial complex is a few tens of km "
            "around",
            hint="check the outline's coordinates and CRS",
        )
    return shapely.segmentize(geom, SEGMENTIZE_DEG)


def km_to_m(km: float) -> float:
    """Convert kilometres to metres.

    Examples
    --------
    >>> km_to_m(10)
    10000.0
    """
    return float(km) * 1000.0


def m_to_km(m: float) -> float:
    """Convert metres to kilometres.

    Examples
    --------
    >>> m_to_km(7500)
    7.5
    """
    return float(m) / 1000.0


def geodesic_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the GRS80 geodesic distance in metres between two (lon, lat) points.

    Examples
    --------
    >>> geodesic_m((127.0, 37.0), (127.0, 37.0))
    0.0
    """
    _, _, dist = GEOD.inv(a[0], a[1], b[0], b[1])
    return float(dist)


_THREAD_PAIRS = 20_000  # pairs per thread of geodesic_lengths_m (a few ms of work)


def geodesic_lengths_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Return the GRS80 geodesic distances in metres between many pairs of points.

    The same numbers as ``GEOD.inv(...)[2]``, computed in threads over slices of
    the arrays: pyproj releases Python's lock while it computes, so on two cores a
    road network's 5 million segments take half the time (1.3 s against 2.6 s,
    measured here on random segments of about 300 m).

    Examples
    --------
    >>> import numpy as np
    >>> d = geodesic_lengths_m(np.array([127.0, 127.0]), np.array([37.0, 37.0]),
    ...                        np.array([127.0, 127.01]), np.array([37.01, 37.0]))
    >>> d.round(1).tolist()
    [1109.8, 890.1]
    """
    x1, y1, x2, y2 = (np.ascontiguousarray(a, dtype=np.float64) for a in (lon1, lat1, lon2, lat2))
    n = len(x1)
    threads = min(os.cpu_count() or 1, max(1, n // _THREAD_PAIRS))
    if threads <= 1:
        return np.asarray(GEOD.inv(x1, y1, x2, y2)[2], dtype=np.float64)
    bounds = np.linspace(0, n, threads + 1).astype(int)
    out = np.empty(n, dtype=np.float64)

    def part(i: int) -> None:
        sl = slice(bounds[i], bounds[i + 1])
        out[sl] = GEOD.inv(x1[sl], y1[sl], x2[sl], y2[sl])[2]

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(part, range(threads)))
    return out


def in_korea_bbox(lon: float, lat: float) -> bool:
    """Tell whether (lon, lat) lies in South Korea's bounding box.

    Examples
    --------
    >>> in_korea_bbox(128.5, 35.8), in_korea_bbox(35.8, 128.5)
    (True, False)
    """
    x0, y0, x1, y1 = KOREA_BBOX
    return bool(x0 <= lon <= x1 and y0 <= lat <= y1)


@lru_cache(maxsize=8)
def transformer(src: str, dst: str) -> Transformer:
    """The (cached) transformer from CRS ``src`` to ``dst``, longitude/easting first.

    Examples
    --------
    >>> x, y = transformer(STORAGE_CRS, PLANAR_CRS).transform(127.5, 38.0)
    >>> round(x), round(y)
    (1000000, 2000000)
    """
    return Transformer.from_crs(src, dst, always_xy=True)


_G = TypeVar("_G", BaseGeometry, np.ndarray)


def apply_transform(t: Transformer, geom: _G) -> _G:
    """Apply transformer ``t`` to every coordinate of a geometry or an array of geometries.

    Examples
    --------
    >>> from shapely import Point
    >>> p = apply_transform(transformer(PLANAR_CRS, STORAGE_CRS), Point(1000000, 2000000))
    >>> round(p.x, 6), round(p.y, 6)
    (127.5, 38.0)
    """

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out: _G = shapely.transform(geom, fn)
    return out


def to_planar(geom: BaseGeometry, src: Any = STORAGE_CRS) -> BaseGeometry:
    """Project a geometry from ``src`` (WGS84 by default) to EPSG:5179 metres.

    Examples
    --------
    >>> from shapely import Point
    >>> p = to_planar(Point(127.5, 38.0))
    >>> round(p.x), round(p.y)
    (1000000, 2000000)
    """
    return apply_transform(transformer(str(pyproj.CRS(src)), PLANAR_CRS), geom)


def to_storage(geom: BaseGeometry, src: Any = PLANAR_CRS) -> BaseGeometry:
    """Project a geometry from ``src`` (EPSG:5179 by default) to WGS84 lon/lat.

    Examples
    --------
    >>> from shapely import Point
    >>> p = to_storage(Point(1000000, 2000000))
    >>> round(p.x, 6), round(p.y, 6)
    (127.5, 38.0)
    """
    return apply_transform(transformer(str(pyproj.CRS(src)), STORAGE_CRS), geom)
