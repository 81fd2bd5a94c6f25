"""pairs_within_dask (issue 7, item 6): the same pairs as the one-machine search.

Runs on a local dask.distributed cluster (threads, no network) and on dask's
synchronous scheduler; compares every pair and every distance, bit for bit,
with sandan_geo.pairs_within on the whole set.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import clustered as clustered_in
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan_geo import pairs_within, pairs_within_dask
from sandan_geo.crs import STORAGE_CRS
from sandan_geo.errors import InputError, MissingDependencyError, SchemaError

gpd = pytest.importorskip("geopandas")
dask_geopandas = pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")
pytest.importorskip("scipy")


def clustered(seed: int, n: int, clusters: int, spread_km: float) -> tuple[np.ndarray, np.ndarray]:
    return clustered_in(seed, n, clusters, spread_km, centres=(126.0, 34.5, 129.5, 37.8))


def frame_of(geoms: np.ndarray, prefix: str = "s") -> gpd.GeoDataFrame:
    keys = [f"{prefix}{i:05d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"key": keys}, geometry=geoms, crs=STORAGE_CRS)


def polygons(seed: int, n: int, km: float) -> np.ndarray:
    """Irregular polygons (and every fifth site a point) around clustered centres."""
    lon, lat = clustered(seed, n, 6, 8.0)
    rng = np.random.default_rng(seed + 100)
    out = []
    for k, (x, y) in enumerate(zip(lon, lat, strict=True)):
        if k % 5 == 0:
            out.append(shapely.Point(x, y))
            continue
        r = rng.uniform(0.05, 0.4) * km / 111.0
        ang = np.sort(rng.uniform(0, 2 * math.pi, 7))
        ring = np.column_stack(
            [x + r * np.cos(ang) / math.cos(math.radians(y)), y + r * np.sin(ang)]
        )
        out.append(shapely.Polygon(ring).convex_hull)
    return np.asarray(out, dtype=object)


def one_machine(frame: gpd.GeoDataFrame, km: float, metric: str) -> pd.DataFrame:
    df = pairs_within(frame, km, metric=metric)
    df = df.astype({"a": str, "b": str, "metric": str})
    return df.sort_values(["a", "b"]).reset_index(drop=True)


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same rows, and the same distances to the last bit."""
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def sorted_pairs(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype({"a": str, "b": str, "metric": str})
    return df.sort_values(["a", "b"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's own deprecation noise
        with distributed.Client(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as c:
            yield c


def test_points_on_a_local_cluster_are_identical(client) -> None:  # type: ignore[no-untyped-def]
    lon, lat = clustered(12, 6000, 4, 10.0)
    frame = frame_of(shapely.points(lon, lat))
    want = one_machine(frame, 3.0, "centroid")
    parts = dask_geopandas.from_geopandas(frame, npartitions=4, sort=False)
    lazy = pairs_within_dask(parts, 3.0, strips=6, metric="centroid")
    got = sorted_pairs(lazy.compute())
    assert len(want) > 10_000  # dense enough that many pairs straddle the strip cuts
    assert_same(got, want)


def test_footprints_on_a_local_cluster_are_identical(client) -> None:  # type: ignore[no-untyped-def]
    frame = frame_of(polygons(3, 900, 2.0))
    want = one_machine(frame, 2.0, "boundary")
    parts = dask_geopandas.from_geopandas(frame, npartitions=3, sort=False)
    got = sorted_pairs(pairs_within_dask(parts, 2.0, metric="boundary", strips=4).compute())
    assert len(want) > 1_000
    assert_same(got, want)


@settings(max_examples=12, deadline=None)
@given(strips=st.integers(1, 9), npartitions=st.integers(1, 5), km=st.sampled_from([0.7, 4.0]))
def test_any_split_gives_the_one_machine_pairs(strips: int, npartitions: int, km: float) -> None:
    lon, lat = clustered(5, 800, 3, 6.0)
    frame = frame_of(shapely.points(lon, lat))
    want = one_machine(frame, km, "centroid")
    parts = dask_geopandas.from_geopandas(frame, npartitions=npartitions, sort=False)
    got = pairs_within_dask(parts, km, strips=strips, metric="centroid").compute(scheduler="sync")
    assert_same(sorted_pairs(got), want)


def test_pairs_keep_input_order_across_partitions() -> None:
    # Keys in reverse alphabetical order: 'a' must be the earlier row, not the smaller key.
    lon, lat = clustered(7, 300, 2, 3.0)
    frame = frame_of(shapely.points(lon, lat))
    frame["key"] = [f"k{999 - i:03d}" for i in range(len(frame))]
    parts = dask_geopandas.from_geopandas(frame, npartitions=3, sort=False)
    got = pairs_within_dask(parts, 2.0, strips=3, metric="centroid").compute(scheduler="sync")
    row = {k: i for i, k in enumerate(frame["key"])}
    assert len(got) > 0
    assert all(row[a] < row[b] for a, b in zip(got["a"], got["b"], strict=True))


def test_projected_input_gives_the_same_pairs() -> None:
    # Both paths reproject the same EPSG:5179 frame to lon/lat: identical to the bit.
    lon, lat = clustered(8, 500, 2, 4.0)
    projected = frame_of(shapely.points(lon, lat)).to_crs("EPSG:5179")
    want = one_machine(projected, 2.5, "centroid")
    parts = dask_geopandas.from_geopandas(projected, npartitions=2, sort=False)
    got = pairs_within_dask(parts, 2.5, strips=3, metric="centroid").compute(scheduler="sync")
    assert len(want) > 100
    assert_same(sorted_pairs(got), want)


def test_empty_partitions_are_skipped() -> None:
    # A filter leaves whole partitions empty, as reading and filtering Parquet does.
    lon, lat = clustered(13, 1200, 3, 5.0)
    frame = frame_of(shapely.points(lon, lat))
    frame = frame.iloc[np.argsort(lon, kind="stable")].reset_index(drop=True)  # west to east
    parts = dask_geopandas.from_geopandas(frame, npartitions=6, sort=False)
    east = parts[parts.geometry.x > float(np.median(lon))]
    kept = frame[frame.geometry.x > float(np.median(lon))]
    for metric in ("centroid", "boundary"):
        got = pairs_within_dask(east, 2.0, metric=metric, strips=4).compute(scheduler="sync")
        assert_same(sorted_pairs(got), one_machine(kept, 2.0, metric))


def test_boundary_on_points_only_uses_the_point_engine_everywhere() -> None:
    lon, lat = clustered(14, 700, 2, 4.0)
    frame = frame_of(shapely.points(lon, lat))
    parts = dask_geopandas.from_geopandas(frame, npartitions=3, sort=False)
    got = pairs_within_dask(parts, 1.5, metric="boundary", strips=4).compute(scheduler="sync")
    assert len(got) > 100
    assert_same(sorted_pairs(got), one_machine(frame, 1.5, "boundary"))


def test_a_strip_of_points_among_footprints_uses_the_footprint_engine() -> None:
    # Points only in the west, polygons in the east: the western strips hold points only,
    # and must still measure as BoundaryMetric does (Geod.inv), like the whole set does.
    lon, lat = clustered(15, 400, 1, 4.0)
    west = shapely.points(lon - lon.mean() + 124.8, lat)  # polygons lie east of 125.5°E
    east = polygons(16, 400, 2.0)
    assert shapely.total_bounds(east)[0] > 125.5
    frame = frame_of(np.concatenate([np.asarray(west, dtype=object), east]))
    parts = dask_geopandas.from_geopandas(frame, npartitions=2, sort=False)
    got = pairs_within_dask(parts, 2.0, metric="boundary", strips=6).compute(scheduler="sync")
    want = one_machine(frame, 2.0, "boundary")
    assert (want["a"] < "s00400").sum() > 100  # many point-point pairs in the west
    assert_same(sorted_pairs(got), want)


def test_geopandas_input_is_split_into_strips() -> None:
    lon, lat = clustered(9, 400, 2, 4.0)
    frame = frame_of(shapely.points(lon, lat))
    got = pairs_within_dask(frame, 1.5, strips=3, metric="centroid")
    assert got.npartitions == 3
    assert_same(sorted_pairs(got.compute(scheduler="sync")), one_machine(frame, 1.5, "centroid"))


def test_a_key_repeated_in_another_partition_is_an_error() -> None:
    lon, lat = clustered(10, 40, 1, 2.0)
    frame = frame_of(shapely.points(lon, lat))
    frame.loc[35, "key"] = frame.loc[2, "key"]
    parts = dask_geopandas.from_geopandas(frame, npartitions=4, sort=False)
    with pytest.raises(SchemaError, match=r"site key 's00002' is used 2 times"):
        pairs_within_dask(parts, 1.0)


def test_bad_arguments_are_named() -> None:
    frame = frame_of(shapely.points([127.0, 127.01], [37.0, 37.0]))
    with pytest.raises(InputError, match="strips"):
        pairs_within_dask(frame, 1.0, strips=0)
    with pytest.raises(InputError, match="list"):
        pairs_within_dask([1, 2], 1.0)
    with pytest.raises(SchemaError, match="no 'key' column"):
        pairs_within_dask(frame.drop(columns="key"), 1.0)
    with pytest.raises(InputError, match="km"):
        pairs_within_dask(frame, -1.0)


def test_missing_dask_names_the_extra() -> None:
    from sandan_geo._optional import require

    with pytest.raises(MissingDependencyError, match=r"sandan-geo\[dask\]"):
        require("no_such_module_for_sandan_geo", "dask-geopandas", extra="dask")


def test_max_km_default_metric_and_km_deprecated() -> None:
    lon, lat = clustered(10, 200, 2, 3.0)
    frame = frame_of(shapely.points(lon, lat))
    got = pairs_within_dask(frame, max_km=1.5, strips=2).compute(scheduler="sync")
    assert set(got["metric"].astype(str)) <= {"boundary"}  # measure.DEFAULT_METRIC
    assert_same(sorted_pairs(got), one_machine(frame, 1.5, "boundary"))
    with pytest.warns(FutureWarning, match="use max_km"):
        old = pairs_within_dask(frame, km=1.5, strips=2).compute(scheduler="sync")
    assert_same(sorted_pairs(old), sorted_pairs(got))
