"""Exact geodesy on GRS80 for the pair search: chords, their geodesic lengths, reach bounds.

Points are placed in earth-centred (ECEF) coordinates on GRS80, where the
straight chord ``c`` between two points is never longer than the geodesic
``s``, and, by Schur's comparison theorem applied to a geodesic whose
curvature is at most ``1 / (a (1 - e²))``, never shorter than
``2 R sin(s / 2R)`` with ``R = a (1 - e²)``. :func:`chord_accept_m` turns a
limit into the longest chord surely within it; :func:`geodesic_short` and
:func:`geodesic_from_chord` give a chord's geodesic length to within
:data:`SERIES_ERROR_M`. :func:`lonlat_reach` and :func:`planar_reach_m` bound
how far, in degrees and in EPSG:5179 metres, a curve of a given length can
reach. The proofs are in the Notes of :func:`sandan_geo.pairs_within` and in
docs/benchmarks.md.

Examples
--------
>>> import numpy as np
>>> from sandan_geo.crs import GEOD
>>> lon, lat = np.array([127.0, 127.05]), np.array([37.0, 37.02])
>>> X = ecef(lon, lat)
>>> c, s = geodesic_from_chord(*X[:1].T, *X[1:].T)
>>> abs(float(s[0]) - GEOD.inv(127.0, 37.0, 127.05, 37.02)[2]) < SERIES_ERROR_M
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from .crs import GEOD, PLANAR_CRS

__all__ = [
    "SERIES_ERROR_M",
    "SERIES_MAX_M",
    "SHORT_CHORD_M",
    "SLACK_M",
    "chord_accept_m",
    "ecef",
    "geodesic_from_chord",
    "geodesic_short",
    "lonlat_reach",
    "planar_reach_m",
    "planar_scale_max",
]

_A_M: float = float(GEOD.a)
_E2: float = float(GEOD.es)
_R_MIN_M: float = _A_M * (1.0 - _E2)
"""Smallest radius of curvature on GRS80 (meridional, at the equator), metres.

A geodesic's curvature in space equals the surface's normal curvature along
it, which lies between 1/N and 1/M and so never exceeds ``1 / _R_MIN_M``."""

_EP2: float = _E2 / (1.0 - _E2)
_TINY = float(np.finfo(float).tiny)

SLACK_M = 1e-6
"""Allowance for float rounding of a computed chord (measured: below 1e-8 m)."""

_K_HI2: float = 1.0 / (_R_MIN_M * _R_MIN_M)
_K_LO2: float = (1.0 - _E2) / (_A_M * _A_M)
"""Squared bounds of GRS80's normal curvature, any point and direction: ``a/b²`` and ``b/a²``."""

SHORT_CHORD_M = 3_500.0
"""Chords up to this length take ``c + c³ k²/24`` with ``k²`` the middle of its range.

The series' second term is then off by at most ``c³ (k_hi² - k_lo²) / 48``
(0.44 µm at 3.5 km) and the next term, ``3 k⁴ c⁵ / 640``, is under 1e-11 m."""

_SHORT_CUBE = (_K_LO2 + _K_HI2) / 48.0

SERIES_MAX_M = 100_000.0
"""Longest chord whose geodesic value comes from the series; longer ones use Geod.inv."""

SERIES_ERROR_M = 1e-6
"""Stated bound on |series - Geod.inv| for chords up to ``SERIES_MAX_M`` (Notes of ``pairs_within``)."""

_SCALE_MARGIN = 1e-4
"""Relative margin on the EPSG:5179 scale factor read off a grid (it varies < 0.3 %)."""


def ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates (metres) of points on the GRS80 surface (height 0)."""
    lam = np.radians(lon)
    phi = np.radians(lat)
    sin_phi = np.sin(phi)
    cos_phi = np.cos(phi)
    n = _A_M / np.sqrt(1.0 - _E2 * sin_phi * sin_phi)
    out = np.empty((len(lon), 3))
    out[:, 0] = n * cos_phi * np.cos(lam)
    out[:, 1] = n * cos_phi * np.sin(lam)
    out[:, 2] = n * (1.0 - _E2) * sin_phi
    return out


def chord_accept_m(limit_m: float) -> float:
    """Largest chord whose geodesic is provably within ``limit_m`` (Schur bound)."""
    target = limit_m - SLACK_M
    if target <= 0:
        return -1.0
    return 2.0 * _R_MIN_M * math.sin(target / (2.0 * _R_MIN_M)) - SLACK_M


def geodesic_from_chord(
    xa: np.ndarray,
    ya: np.ndarray,
    za: np.ndarray,
    xb: np.ndarray,
    yb: np.ndarray,
    zb: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Chord and geodesic length (m) between ECEF points a and b on the GRS80 surface.

    ``s = c (1 + (k c)² / 24 + 3 (k c)⁴ / 640)``: the arc-from-chord series of a
    curve of curvature ``k``, with ``k`` the normal curvature of GRS80 at the
    chord's midpoint in the chord's direction (Euler: ``cos²α / M + sin²α / N``,
    written ``(1 + e'² cos²φ cos²α) / N``). Taking ``k`` at the midpoint cancels
    the odd terms of the curvature's variation; what is left is of order ``s⁵``
    (see Notes of :func:`pairs_within`). Symmetric in a and b to the last bit.
    """
    dx = xb - xa
    dy = yb - ya
    dz = zb - za
    c = np.sqrt(dx * dx + dy * dy + dz * dz)
    # Twice the midpoint: only ratios of its coordinates are used below.
    mx = xa + xb
    my = ya + yb
    mz = za + zb
    rho = np.sqrt(mx * mx + my * my)
    q = (1.0 - _E2) * rho  # tan φ = mz / q (geodetic latitude of the point under the midpoint)
    h2 = mz * mz + q * q + _TINY
    w = 1.0 - _E2 * (mz * mz) / h2  # 1 - e² sin²φ
    east = mx * dy - my * dx  # chord component east, times |m|-ish scale
    north = q * rho * dz - mz * (mx * dx + my * dy)  # chord component north, times h
    north2 = north * north
    # e'² cos²φ cos²α, with cos²φ = q² / h² and cos²α = north² / (east² h² + north²)
    phi = (_EP2 * q * q) * north2 / (h2 * (east * east * h2 + north2) + _TINY)
    k_c = np.sqrt(w) * (1.0 + phi) * c / _A_M
    x = k_c * k_c
    s = c * (1.0 + x * (1.0 / 24.0 + x * (3.0 / 640.0)))
    return c, s


def geodesic_short(c: np.ndarray) -> np.ndarray:
    """Geodesic length (m) for chords ``c`` up to ``SHORT_CHORD_M``: ``c + c³ k²/24``.

    ``k²`` is the middle of the range of GRS80's squared normal curvature, so
    no per-pair curvature is needed; the error is at most 0.44 µm at 3.5 km
    (see ``SHORT_CHORD_M``), checked against Geod.inv in the tests.
    """
    out: np.ndarray = c + (c * c * c) * _SHORT_CUBE
    return out


@lru_cache(maxsize=1)
def _planar_proj() -> Any:
    import pyproj

    return pyproj.Proj(PLANAR_CRS)


def planar_scale_max(bounds: Sequence[float], limit_m: float) -> float:
    """Largest point scale factor of EPSG:5179 over ``bounds`` widened by ``limit_m``.

    EPSG:5179 is conformal, so a geodesic of length ``s`` maps to a curve no
    longer than ``k_max · s``, and the straight planar gap is shorter still.
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    pad_lat = limit_m / 110_000.0 + 0.01
    y0, y1 = max(y0 - pad_lat, -89.0), min(y1 + pad_lat, 89.0)
    pad_lon = limit_m / (110_000.0 * math.cos(math.radians(max(abs(y0), abs(y1))))) + 0.01
    lons, lats = np.meshgrid(np.linspace(x0 - pad_lon, x1 + pad_lon, 41), np.linspace(y0, y1, 41))
    f = _planar_proj().get_factors(lons.ravel(), lats.ravel())
    k = float(np.nanmax(np.concatenate([f.meridional_scale, f.parallel_scale])))
    return k * (1.0 + _SCALE_MARGIN)


def planar_reach_m(bounds: Sequence[float], limit_m: float) -> float:
    """A planar gap (EPSG:5179 metres) that no pair within ``limit_m`` over ``bounds`` exceeds.

    The limit times the projection's largest scale factor there, plus 1 m.

    Examples
    --------
    >>> 7_500.0 < planar_reach_m((124.5, 33.0, 132.0, 38.7), 7_500.0) < 7_520.0
    True
    """
    return limit_m * planar_scale_max(bounds, limit_m) + 1.0


def lonlat_reach(bounds: Sequence[float], limit_m: float) -> tuple[float, float]:
    """Degrees of latitude and longitude that a curve of ``limit_m`` can span over ``bounds``.

    Along any curve on GRS80, ``ds >= M dφ >= a (1 - e²) dφ`` and
    ``ds >= N cos φ dλ >= a cos φ dλ``, so a curve of length ``L`` changes
    latitude by at most ``L / (a (1 - e²))`` and longitude by at most
    ``L / (a cos φ_max)``, ``φ_max`` being the largest latitude it can reach.
    1e-6° (about 0.1 m) is added for rounding and for the millimetre by which
    a segmentized, projected outline can stray from the lon/lat one.
    """
    dlat = math.degrees(limit_m / _R_MIN_M)
    phi = max(abs(float(bounds[1])), abs(float(bounds[3]))) + dlat
    if phi >= 89.0:
        return dlat + 1e-6, 360.0
    dlon = math.degrees(limit_m / (_A_M * math.cos(math.radians(phi))))
    if float(bounds[0]) - dlon <= -180.0 or float(bounds[2]) + dlon >= 180.0:
        return dlat + 1e-6, 360.0  # reach may wrap the antimeridian: every longitude
    return dlat + 1e-6, dlon + 1e-6
