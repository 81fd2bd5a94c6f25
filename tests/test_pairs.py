"""Tests of sandan_geo.pairs: exact pair searches, Parquet output, the pairs graph."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import clustered
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import MultiPoint, Point, box

from sandan_geo import pairs
from sandan_geo.crs import GEOD, PLANAR_CRS, STORAGE_CRS, to_storage
from sandan_geo.errors import (
    GeometryError,
    InputError,
    RuleError,
    SandanGeoWarning,
    SchemaError,
)
from sandan_geo.geodesy import SERIES_ERROR_M
from sandan_geo.measure import BoundaryMetric, CentroidMetric
from sandan_geo.model import Site
from sandan_geo.pairs import PAIR_COLUMNS, pairs_to_graph, pairs_within

gpd = pytest.importorskip("geopandas")
pytest.importorskip("scipy")

SERIES_BOUND_M = SERIES_ERROR_M  # the bound stated in pairs_within's Notes (1 µm)


# --------------------------------------------------------------------------- helpers


def sites_from(lon: np.ndarray, lat: np.ndarray, prefix: str = "s") -> list[Site]:
    return [
        Site(key=f"{prefix}{i}", name_ko=f"{prefix}{i}", lon=float(x), lat=float(y))
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]


def brute_points(lon: np.ndarray, lat: np.ndarray, limit_m: float) -> dict[tuple[int, int], float]:
    """Every pair i < j with Geod.inv distance <= limit_m, from i to j."""
    i, j = np.triu_indices(len(lon), k=1)
    _, _, d = GEOD.inv(lon[i], lat[i], lon[j], lat[j])
    keep = d <= limit_m
    return {(int(a), int(b)): float(x) for a, b, x in zip(i[keep], j[keep], d[keep], strict=True)}


def as_dict(df: pd.DataFrame, keys: list[str]) -> dict[tuple[int, int], float]:
    """Map (index of a, index of b) -> metres."""
    pos = {k: n for n, k in enumerate(keys)}
    return {
        (pos[a], pos[b]): d * 1000.0
        for a, b, d in zip(df["a"].astype(str), df["b"].astype(str), df["distance_km"], strict=True)
    }


def check_same(got: dict[tuple[int, int], float], want: dict[tuple[int, int], float]) -> None:
    assert set(got) == set(want), (
        sorted(set(got) - set(want))[:5],
        sorted(set(want) - set(got))[:5],
    )
    for k, v in want.items():
        assert got[k] == pytest.approx(v, abs=SERIES_BOUND_M)


# --------------------------------------------------------------------------- centroid / points


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 160),
    clusters=st.integers(1, 6),
    spread_km=st.floats(0.05, 30.0),
    km=st.floats(0.01, 60.0),
    chunk_size=st.sampled_from([1, 3, 16, 64, 16_384]),
)
def test_points_agree_with_brute_force_geod(
    seed: int, n: int, clusters: int, spread_km: float, km: float, chunk_size: int
) -> None:
    lon, lat = clustered(seed, n, clusters, spread_km)
    sites = sites_from(lon, lat)
    df = pairs_within(sites, km, chunk_size=chunk_size, metric="centroid")
    check_same(as_dict(df, [s.key for s in sites]), brute_points(lon, lat, km * 1000.0))


def test_pairs_at_the_limit_are_decided_exactly() -> None:
    rng = np.random.default_rng(7)
    for km in (0.2, 1.0, 7.5, 10.0, 50.0, 120.0):
        limit = km * 1000.0
        offsets = np.array([-1.0, -1e-3, -1e-6, 0.0, 1e-6, 1e-3, 1.0])
        m = 40
        lon0 = rng.uniform(125.0, 131.0, m)
        lat0 = rng.uniform(33.5, 38.2, m)
        az = rng.uniform(-180, 180, m)
        lons, lats = [], []
        for k in range(m):
            # One base point and its partners at limit + offset; bases are far apart.
            lon1, lat1, _ = GEOD.fwd(
                np.full(len(offsets), lon0[k]),
                np.full(len(offsets), lat0[k]),
                np.full(len(offsets), az[k]),
                limit + offsets,
            )
            lons += [lon0[k], *lon1]
            lats += [lat0[k], *lat1]
        lon, lat = np.array(lons), np.array(lats)
        sites = sites_from(lon, lat)
        got = as_dict(
            pairs_within(sites, km, chunk_size=17, metric="centroid"), [s.key for s in sites]
        )
        want = brute_points(lon, lat, limit)
        check_same(got, want)
        # The partners at limit - 1 m are always in, those at limit + 1 m always out.
        step = len(offsets) + 1
        for k in range(m):
            base = k * step
            assert (base, base + 1) in got
            assert (base, base + step - 1) not in got


def test_pair_exactly_at_the_limit_is_included() -> None:
    a = Site(key="a", name_ko="가", lon=127.0, lat=37.0)
    lon, lat, _ = GEOD.fwd(127.0, 37.0, 33.0, 7500.0)
    b = Site(key="b", name_ko="나", lon=float(lon), lat=float(lat))
    d = CentroidMetric().distance(a, b).value_m
    km = d / 1000.0
    while km * 1000.0 < d:  # the km whose metres equal the distance, to the last bit
        km = math.nextafter(km, math.inf)
    assert len(pairs_within([a, b], km, metric="centroid")) == (1 if km * 1000.0 >= d else 0)
    assert (
        len(pairs_within([a, b], math.nextafter(d, 0) / 1000.0 * (1 - 1e-12), metric="centroid"))
        == 0
    )


def test_pairs_are_unique_ordered_and_symmetric() -> None:
    lon, lat = clustered(3, 400, 3, 5.0)
    sites = sites_from(lon, lat)
    df = pairs_within(sites, 3.0, chunk_size=50, metric="centroid")
    assert list(df.columns) == list(PAIR_COLUMNS)
    codes = np.column_stack([df["a"].cat.codes, df["b"].cat.codes])
    assert np.all(codes[:, 0] < codes[:, 1])  # a before b in input order
    assert len({tuple(r) for r in codes}) == len(codes)  # no duplicates
    assert set(df["metric"]) == {"centroid"}
    # Reversing the input gives the same unordered pairs and the same distances.
    rev = pairs_within(sites[::-1], 3.0, chunk_size=50, metric="centroid")
    fwd = {
        frozenset((a, b)): d
        for a, b, d in zip(df.a.astype(str), df.b.astype(str), df.distance_km, strict=True)
    }
    bwd = {
        frozenset((a, b)): d
        for a, b, d in zip(rev.a.astype(str), rev.b.astype(str), rev.distance_km, strict=True)
    }
    assert fwd.keys() == bwd.keys()
    assert max(abs(fwd[k] - bwd[k]) for k in fwd) < 1e-12
    # A larger limit never drops a pair.
    assert set(fwd) <= {
        frozenset((a, b))
        for a, b in zip(
            *(pairs_within(sites, 3.5, metric="centroid")[c].astype(str) for c in "ab"), strict=True
        )
    }


def test_result_does_not_depend_on_chunk_size() -> None:
    lon, lat = clustered(5, 600, 4, 8.0)
    sites = sites_from(lon, lat)
    frames = [pairs_within(sites, 4.0, chunk_size=c, metric="centroid") for c in (7, 100, 16_384)]
    norm = [
        f.astype({"a": str, "b": str}).sort_values(["a", "b"]).reset_index(drop=True)
        for f in frames
    ]
    for other in norm[1:]:
        pd.testing.assert_frame_equal(norm[0], other)


def test_attrs_and_empty_result() -> None:
    sites = sites_from(np.array([127.0, 128.0]), np.array([37.0, 36.0]))
    df = pairs_within(sites, 1.0, metric="centroid")
    assert len(df) == 0 and list(df.columns) == list(PAIR_COLUMNS)
    assert df.attrs == {"km": 1.0, "metric": "centroid", "n_sites": 2}
    assert len(pairs_within(sites[:1], 1.0, metric="centroid")) == 0


# --------------------------------------------------------------------------- GeoDataFrame input


def test_geodataframe_points_any_crs() -> None:
    lon, lat = clustered(9, 300, 2, 3.0)
    keys = [f"k{i}" for i in range(len(lon))]
    frame = gpd.GeoDataFrame({"key": keys}, geometry=shapely.points(lon, lat), crs=STORAGE_CRS)
    want = pairs_within(frame, 2.0, metric="centroid")
    planar = frame.to_crs(PLANAR_CRS)
    got = pairs_within(planar, 2.0, metric="centroid")
    assert set(zip(got.a.astype(str), got.b.astype(str), strict=True)) == set(
        zip(want.a.astype(str), want.b.astype(str), strict=True)
    )
    check_same(as_dict(want, keys), brute_points(lon, lat, 2000.0))


def test_geodataframe_errors_and_warning() -> None:
    pts = shapely.points([127.0, 127.01], [37.0, 37.0])
    with pytest.raises(SchemaError, match="no 'key' column"):
        pairs_within(gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=pts, crs=4326), 1)
    with pytest.raises(SchemaError, match="'x' is used 2 times"):
        pairs_within(gpd.GeoDataFrame({"key": ["x", "x"]}, geometry=pts, crs=4326), 1)
    with pytest.raises(InputError, match="no rows"):
        pairs_within(gpd.GeoDataFrame({"key": []}, geometry=[], crs=4326), 1)
    with pytest.raises(GeometryError, match="no geometry"):
        pairs_within(gpd.GeoDataFrame({"key": ["a", "b"]}, geometry=[pts[0], None], crs=4326), 1)
    with pytest.warns(SandanGeoWarning, match="no CRS"):
        df = pairs_within(gpd.GeoDataFrame({"key": ["a", "b"]}, geometry=pts), 1, metric="centroid")
    assert len(df) == 1


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("km", [0, -1, float("nan"), float("inf"), True, "7.5", 7500])
def test_bad_km(km: object) -> None:
    sites = sites_from(np.array([127.0, 127.1]), np.array([37.0, 37.0]))
    with pytest.raises(RuleError, match="km is"):
        pairs_within(sites, km)  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    sites = sites_from(np.array([127.0, 127.1]), np.array([37.0, 37.0]))
    with pytest.raises(RuleError, match="unknown metric 'road'"):
        pairs_within(sites, 1, metric="road")
    with pytest.raises(InputError, match="no sites"):
        pairs_within([], 1)
    with pytest.raises(SchemaError, match="'s0' is used 2 times"):
        pairs_within([sites[0], sites[0]], 1)
    with pytest.raises(SchemaError, match="item 2 is a str"):
        pairs_within([sites[0], "s1"], 1)  # type: ignore[list-item]
    with pytest.raises(InputError, match="not a .parquet file"):
        pairs_within(sites, 1, out="pairs.csv")
    with pytest.raises(InputError, match="chunk_size"):
        pairs_within(sites, 1, chunk_size=0)
    with pytest.raises(InputError, match="single Site"):
        pairs_within(sites[0], 1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Parquet


def test_parquet_stream_round_trip(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr(pairs, "ROW_GROUP_ROWS", 500)  # several row groups
    lon, lat = clustered(21, 800, 3, 4.0)
    sites = sites_from(lon, lat)
    df = pairs_within(sites, 2.5, chunk_size=64, metric="centroid")
    path = pairs_within(
        sites, 2.5, chunk_size=64, out=tmp_path / "pairs.parquet", metric="centroid"
    )
    assert path == tmp_path / "pairs.parquet"
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    back = pd.read_parquet(path)
    expected = df.astype({"a": str, "b": str, "metric": str})
    pd.testing.assert_frame_equal(back.astype(expected.dtypes.to_dict()), expected)
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.parquet"]  # no temporary left


def test_parquet_unwritable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pyarrow")
    from sandan_geo.errors import OutputError

    sites = sites_from(np.array([127.0, 127.001]), np.array([37.0, 37.0]))
    with pytest.raises(OutputError, match="cannot write"):
        pairs_within(sites, 1, out=tmp_path / "missing" / "pairs.parquet")


# --------------------------------------------------------------------------- graph


def test_pairs_to_graph_components() -> None:
    lon, lat = clustered(4, 300, 5, 2.0)
    sites = sites_from(lon, lat)
    keys = [s.key for s in sites]
    df = pairs_within(sites, 1.5, metric="centroid")
    G = pairs_to_graph(df, nodes=keys)
    assert G.number_of_nodes() == len(keys) and G.number_of_edges() == len(df)
    H = nx.Graph()
    H.add_nodes_from(range(len(keys)))
    H.add_edges_from(brute_points(lon, lat, 1500.0))
    want = sorted(sorted(keys[i] for i in c) for c in nx.connected_components(H))
    assert sorted(sorted(c) for c in nx.connected_components(G)) == want
    *_, data = next(iter(G.edges(data=True)))
    assert set(data) == {"distance_km", "metric"} and data["metric"] == "centroid"
    assert G.graph["km"] == 1.5
    with pytest.raises(SchemaError, match="distance_km"):
        pairs_to_graph(df.drop(columns="distance_km"))


# --------------------------------------------------------------------------- boundary


def polygon_sites(seed: int, n: int) -> list[Site]:
    """Small polygons, some touching or overlapping, plus a point and a multipoint site."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        x = rng.uniform(127.0, 127.3)
        y = rng.uniform(36.0, 36.25)
        w, h = rng.uniform(0.002, 0.03, 2)
        geom = box(x, y, x + w, y + h)
        if k % 5 == 1:
            geom = shapely.buffer(Point(x, y), w, quad_segs=3)
        if k % 7 == 2:
            geom = shapely.MultiPolygon([geom, box(x + 0.05, y, x + 0.06, y + 0.01)])
        out.append(Site(key=f"p{k}", name_ko=f"p{k}", lon=x, lat=y, extent=geom))
    out.append(Site(key="pt", name_ko="pt", lon=127.15, lat=36.12))
    parts = MultiPoint([(127.2, 36.1), (127.21, 36.11)])
    from sandan_geo.model import Part

    out.append(
        Site(
            key="mp",
            name_ko="mp",
            lon=127.2,
            lat=36.1,
            parts=tuple(Part(f"{i}", p.x, p.y) for i, p in enumerate(parts.geoms)),
        )
    )
    # Two boxes sharing an edge (distance 0) and two with a known 1 km gap.
    out.append(
        Site(key="t1", name_ko="t1", lon=127.4, lat=36.0, extent=box(127.4, 36.0, 127.41, 36.01))
    )
    out.append(
        Site(key="t2", name_ko="t2", lon=127.41, lat=36.0, extent=box(127.41, 36.0, 127.42, 36.01))
    )
    return out


def brute_boundary(sites: list[Site], limit_m: float) -> dict[tuple[int, int], float]:
    m = BoundaryMetric()
    out = {}
    for i, j in itertools.combinations(range(len(sites)), 2):
        v = m.distance(sites[i], sites[j]).value_m
        if v <= limit_m:
            out[(i, j)] = v
    return out


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("km", [0.5, 3.0, 12.0])
def test_boundary_pairs_agree_with_boundary_metric(seed: int, km: float) -> None:
    sites = polygon_sites(seed, 30)
    df = pairs_within(sites, km, metric="boundary", chunk_size=8)
    got = as_dict(df, [s.key for s in sites])
    want = brute_boundary(sites, km * 1000.0)
    assert set(got) == set(want)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, abs=1e-9)
    assert set(df["metric"]) <= {"boundary"}


def test_boundary_limit_exactly_at_a_gap() -> None:
    a = Site(key="a", name_ko="가", lon=127.0, lat=37.0, extent=box(127.0, 37.0, 127.01, 37.01))
    b = Site(
        key="b", name_ko="나", lon=127.03, lat=37.0, extent=box(127.0213, 37.004, 127.03, 37.02)
    )
    gap = BoundaryMetric().distance(a, b).value_m
    km = gap / 1000.0
    while km * 1000.0 < gap:
        km = math.nextafter(km, math.inf)
    assert len(pairs_within([a, b], km, metric="boundary")) == 1
    assert len(pairs_within([a, b], (gap - 1e-3) / 1000.0, metric="boundary")) == 0
    assert len(pairs_within([a, b], (gap + 1.0) / 1000.0, metric="boundary")) == 1


def test_boundary_geodataframe_polygons_in_planar_crs() -> None:
    sites = polygon_sites(3, 25)[:25]
    frame = gpd.GeoDataFrame(
        {"key": [s.key for s in sites]}, geometry=[s.extent for s in sites], crs=STORAGE_CRS
    ).to_crs(PLANAR_CRS)
    got = pairs_within(frame, 2.0, metric="boundary")
    back = [
        Site(key=s.key, name_ko=s.key, lon=s.lon, lat=s.lat, extent=to_storage(g))
        for s, g in zip(sites, frame.geometry, strict=True)
    ]
    want = brute_boundary(back, 2000.0)
    assert set(as_dict(got, [s.key for s in sites])) == set(want)


def test_boundary_on_points_is_the_geodesic() -> None:
    lon, lat = clustered(8, 120, 2, 2.0)
    sites = sites_from(lon, lat)
    got = as_dict(pairs_within(sites, 1.0, metric="boundary"), [s.key for s in sites])
    check_same(got, brute_points(lon, lat, 1000.0))


# --------------------------------------------------------------------------- progress


def test_progress_quiet_off_a_terminal(capsys) -> None:  # type: ignore[no-untyped-def]
    lon, lat = clustered(2, 300, 2, 3.0)
    pairs_within(sites_from(lon, lat), 2.0, chunk_size=20, metric="centroid")
    assert capsys.readouterr().err == ""
    pairs_within(sites_from(lon, lat), 2.0, chunk_size=20, progress=True, metric="centroid")
    assert "pairs_within" in capsys.readouterr().err


# --------------------------------------------------------------------------- imports


def test_missing_optional_package_names_the_extra() -> None:
    from sandan_geo._optional import require
    from sandan_geo.errors import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"sandan-geo\[scale\]"):
        require("no_such_module_for_sandan_geo", "no-such-package", extra="scale")


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, sandan_geo.pairs, sandan_geo.scale; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- names


def test_max_km_by_keyword_and_km_deprecated() -> None:
    sites = sites_from(np.array([127.0, 127.05]), np.array([37.0, 37.0]))
    want = pairs_within(sites, 5.0, metric="centroid")
    got = pairs_within(sites, max_km=5.0, metric="centroid")
    pd.testing.assert_frame_equal(got, want)
    with pytest.warns(FutureWarning, match="use max_km") as record:
        old = pairs_within(sites, km=5.0, metric="centroid")
    assert record[0].filename == __file__  # the warning points at the caller's line
    pd.testing.assert_frame_equal(old, want)
    with pytest.raises(RuleError, match="max_km is None"):
        pairs_within(sites)
    assert len(pairs_within(sites, np.int64(5), metric="centroid")) == 1  # numpy numbers too


def test_default_metric_is_measure_default() -> None:
    from sandan_geo.measure import DEFAULT_METRIC

    a = Site(key="a", name_ko="가", lon=127.0, lat=37.0, extent=box(127.0, 37.0, 127.01, 37.01))
    b = Site(key="b", name_ko="나", lon=127.03, lat=37.0, extent=box(127.02, 37.0, 127.03, 37.01))
    df = pairs_within([a, b], 1.0)
    assert list(df["metric"].astype(str)) == [DEFAULT_METRIC] == ["boundary"]
    assert df.attrs["metric"] == DEFAULT_METRIC
    assert len(pairs_within([a, b], 1.0, metric="centroid")) == 0  # centroids are 2.7 km apart
