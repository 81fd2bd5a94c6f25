"""Tests of sandan_geo.geodesy: chords, their geodesic lengths, reach bounds."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sandan_geo.crs import GEOD
from sandan_geo.geodesy import (
    SERIES_ERROR_M,
    SHORT_CHORD_M,
    ecef,
    geodesic_from_chord,
    geodesic_short,
    lonlat_reach,
    planar_reach_m,
    planar_scale_max,
)


def geodesic_pairs(
    seed: int, n: int, max_m: float
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Random pairs up to ``max_m`` apart, in South Korea then worldwide: lon1, lat1, lon2,
    lat2 and their Geod.inv distance."""
    rng = np.random.default_rng(seed)
    for lo, hi in ((124.5, 132.0), (-180.0, 180.0)):
        lon1 = rng.uniform(lo, hi, n)
        lat1 = rng.uniform(33.0, 38.7, n) if lo > 0 else rng.uniform(-89.9, 89.9, n)
        dist = rng.uniform(0, max_m, n)
        lon2, lat2, _ = GEOD.fwd(lon1, lat1, rng.uniform(-180, 180, n), dist)
        _, _, s = GEOD.inv(lon1, lat1, lon2, lat2)
        yield lon1, lat1, lon2, lat2, s


def test_series_matches_geod_within_stated_bound() -> None:
    for lon1, lat1, lon2, lat2, s in geodesic_pairs(11, 200_000, 100_000.0):
        a, b = ecef(lon1, lat1), ecef(lon2, lat2)
        c, est = geodesic_from_chord(*a.T, *b.T)
        assert np.max(np.abs(est - s)) < SERIES_ERROR_M
        assert np.all(c <= s + 1e-7)  # the chord never exceeds the geodesic (to rounding)
        assert np.array_equal(est, geodesic_from_chord(*b.T, *a.T)[1])  # symmetric


def test_short_chord_value_matches_geod_within_its_bound() -> None:
    # Chords up to 3.5 km skip the per-pair curvature: c + c³k²/24 with k² mid-range.
    for lon1, lat1, lon2, lat2, s in geodesic_pairs(12, 200_000, 3_600.0):
        c, _ = geodesic_from_chord(*ecef(lon1, lat1).T, *ecef(lon2, lat2).T)
        short = c <= SHORT_CHORD_M
        assert short.mean() > 0.9
        err = np.abs(geodesic_short(c[short]) - s[short])
        assert np.max(err) < 0.5e-6  # stated: 0.44 µm at 3.5 km, plus rounding


def test_lonlat_reach_covers_every_geodesic_of_the_limit() -> None:
    # A geodesic of length <= L from any point stays within the lon/lat reach for L
    # computed over the box of its start: the boundary search's candidate bound.
    rng = np.random.default_rng(21)
    n = 100_000
    for lon_lo, lon_hi, lat_lo, lat_hi in ((124.5, 132.0, 33.0, 38.7), (-170, 170, -80, 80)):
        lon1 = rng.uniform(lon_lo, lon_hi, n)
        lat1 = rng.uniform(lat_lo, lat_hi, n)
        L = 10_000.0 * rng.uniform(0.1, 5.0)
        lon2, lat2, _ = GEOD.fwd(lon1, lat1, rng.uniform(-180, 180, n), rng.uniform(0, L, n))
        dlat, dlon = lonlat_reach((lon1.min(), lat1.min(), lon1.max(), lat1.max()), L)
        assert np.all(np.abs(lat2 - lat1) <= dlat)
        assert dlon < 360.0
        assert np.all(np.abs(lon2 - lon1) <= dlon)
    # Near the antimeridian the reach covers every longitude.
    assert lonlat_reach((179.99, 10.0, 180.0, 10.1), 5_000.0)[1] == 360.0


def test_planar_reach_is_the_scaled_limit_plus_a_metre() -> None:
    korea = (124.5, 33.0, 132.0, 38.7)
    k = planar_scale_max(korea, 7_500.0)
    assert 1.0 < k < 1.003  # EPSG:5179 over South Korea
    assert planar_reach_m(korea, 7_500.0) == 7_500.0 * k + 1.0
