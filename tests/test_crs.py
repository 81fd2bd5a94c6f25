"""crs: units, projections and the one segmentizing rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, Polygon, box

import sandan_geo as sg
from sandan_geo.crs import (
    MAX_SEGMENTIZED_VERTICES,
    SEGMENTIZE_DEG,
    geodesic_m,
    km_to_m,
    m_to_km,
    segmentized,
    segmentized_size,
    to_planar,
    to_storage,
)

lons = st.floats(min_value=124.6, max_value=131.9)
lats = st.floats(min_value=33.1, max_value=38.6)


@given(km=st.floats(min_value=0, max_value=1e4, allow_nan=False))
def test_km_and_m_round_trip(km):
    assert m_to_km(km_to_m(km)) == pytest.approx(km, rel=1e-15, abs=0)


@given(lon=lons, lat=lats)
def test_projection_round_trip_is_sub_millimetre(lon, lat):
    back = to_storage(to_planar(Point(lon, lat)))
    assert geodesic_m((lon, lat), (back.x, back.y)) < 1e-3


@given(lon=lons, lat=lats, w=st.floats(min_value=1e-4, max_value=0.5))
def test_segmentized_edges_are_short_and_the_size_estimate_holds(lon, lat, w):
    geom = box(lon, lat, lon + w, lat + w)
    out = segmentized(geom)
    coords = list(out.exterior.coords)
    longest = max(
        max(abs(a[0] - b[0]), abs(a[1] - b[1])) for a, b in zip(coords, coords[1:], strict=False)
    )
    assert longest <= SEGMENTIZE_DEG + 1e-12
    assert len(coords) <= segmentized_size(geom) + 1


def test_a_huge_outline_is_refused_before_it_is_built():
    ring = [(125.0 + 6.0 * i / 800, 38.0 if i % 2 else 34.5) for i in range(800)]
    geom = Polygon([*ring, (131.0, 34.0), (125.0, 34.0)])
    assert segmentized_size(geom) > MAX_SEGMENTIZED_VERTICES
    with pytest.raises(sg.GeometryError, match="km long in all"):
        segmentized(geom)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(0, 60),
    per_thread=st.integers(1, 25),
    seed=st.integers(0, 2**32 - 1),
)
def test_geodesic_lengths_in_threads_equal_one_call(n: int, per_thread: int, seed: int) -> None:
    import numpy as np

    from sandan_geo import crs

    rng = np.random.default_rng(seed)
    lon1, lon2 = 124 + 8 * rng.random(n), 124 + 8 * rng.random(n)
    lat1, lat2 = 33 + 6 * rng.random(n), 33 + 6 * rng.random(n)
    one = np.asarray(crs.GEOD.inv(lon1, lat1, lon2, lat2)[2])
    old = crs._THREAD_PAIRS
    crs._THREAD_PAIRS = per_thread  # slices of a few pairs, on every core
    try:
        many = crs.geodesic_lengths_m(lon1, lat1, lon2, lat2)
    finally:
        crs._THREAD_PAIRS = old
    assert np.array_equal(one, many)
