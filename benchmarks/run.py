"""Benchmark ``sandan_geo.pairs_within`` against common pair-search anchors.

One command, from the repository root::

    python benchmarks/run.py            # full: points up to 1e6, polygons up to 1e5
    python benchmarks/run.py --quick    # points up to 1e5, polygons up to 1e4

Data are reproducible clustered synthetic sites (numpy seed 2020) inside South
Korea's bounding box; the reach ``km`` shrinks as ``1/sqrt(N)`` so that the
mean number of neighbours per site stays roughly constant across sizes. Each
method is timed in this process (median of 5 rounds after a warm-up on tiny
data; each round runs every method once); peak memory is measured in a fresh child process per method and size
(Linux ``VmHWM`` after resetting it through ``/proc/self/clear_refs``, minus
the resident size before the call; ``tracemalloc``'s peak alongside).

Results go to ``benchmarks/results.json`` and into ``docs/benchmarks.md``
between the ``results`` markers (the text around them is kept).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
SEED = 2020
BUDGET_S = 60.0  # skip a method whose run is expected to take longer than this
SLOW_S = 10.0  # a method whose first run takes longer than this runs once
QUICK_S = 1.0  # when every method's first run is quicker than this...
QUICK_ROUNDS = 15  # ...each runs this many rounds (tens of ms vary by tens of percent here)
KM_AT_1000 = 10.0  # reach at N = 1000; km = KM_AT_1000 * sqrt(1000 / N)

sys.path.insert(0, str(ROOT / "src"))


# --------------------------------------------------------------------------- data


def korea_bbox() -> tuple[float, float, float, float]:
    from sandan_geo.crs import KOREA_BBOX

    return KOREA_BBOX


def clustered_points(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """``n`` lon/lat points: 60 Gaussian clusters (4-25 km) plus 10 % uniform background."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = korea_bbox()
    k = 60
    cx = rng.uniform(x0 + 1.0, x1 - 1.5, k)
    cy = rng.uniform(y0 + 1.0, y1 - 0.8, k)
    weights = rng.pareto(1.2, k) + 1.0
    weights /= weights.sum()
    sigma_km = rng.uniform(4.0, 25.0, k)
    label = rng.choice(k, n, p=weights)
    lat = cy[label] + rng.normal(0.0, 1.0, n) * sigma_km[label] / 111.0
    lon = cx[label] + rng.normal(0.0, 1.0, n) * sigma_km[label] / (111.0 * np.cos(np.radians(lat)))
    background = rng.random(n) < 0.1
    lon[background] = rng.uniform(x0, x1, int(background.sum()))
    lat[background] = rng.uniform(y0, y1, int(background.sum()))
    np.clip(lon, x0, x1, out=lon)
    np.clip(lat, y0, y1, out=lat)
    return lon, lat


def km_for(n: int) -> float:
    return round(KM_AT_1000 * (1000.0 / n) ** 0.5, 4)


def clustered_polygons(n: int, km: float, seed: int = SEED) -> np.ndarray:
    """Irregular 12-gons around the clustered points, radius 5-25 % of ``km``."""
    import shapely

    from sandan_geo.crs import PLANAR_CRS, STORAGE_CRS
    from sandan_geo.crs import transformer as _transformer

    lon, lat = clustered_points(n, seed)
    rng = np.random.default_rng(seed + 1)
    to_planar = _transformer(STORAGE_CRS, PLANAR_CRS)
    to_lonlat = _transformer(PLANAR_CRS, STORAGE_CRS)
    x, y = to_planar.transform(lon, lat)
    m = 12
    angle = np.sort(rng.uniform(0, 2 * np.pi, (n, m)), axis=1)
    radius = (rng.uniform(0.05, 0.25, n) * km * 1000.0)[:, None] * rng.uniform(0.6, 1.0, (n, m))
    px = np.asarray(x)[:, None] + radius * np.cos(angle)
    py = np.asarray(y)[:, None] + radius * np.sin(angle)
    plon, plat = to_lonlat.transform(px.ravel(), py.ravel())
    ring = np.stack([np.reshape(plon, (n, m)), np.reshape(plat, (n, m))], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    geoms = np.asarray(shapely.polygons(ring))
    bad = ~shapely.is_valid(geoms)  # a rare near-degenerate spike: use its hull instead
    geoms[bad] = shapely.convex_hull(geoms[bad])
    return geoms


@dataclass
class Data:
    kind: str  # "points" or "polygons"
    n: int
    km: float
    lon: np.ndarray
    lat: np.ndarray
    geoms: np.ndarray  # lon/lat shapely geometries
    frame: Any  # GeoDataFrame with a key column (EPSG:4326)


def make_data(kind: str, n: int) -> Data:
    import geopandas as gpd
    import shapely

    km = km_for(n)
    if kind == "points":
        lon, lat = clustered_points(n)
        geoms = np.asarray(shapely.points(lon, lat))
    else:
        geoms = clustered_polygons(n, km)
        reps = shapely.point_on_surface(geoms)
        lon, lat = shapely.get_x(reps), shapely.get_y(reps)
    frame = gpd.GeoDataFrame(
        {"key": np.char.add("s", np.arange(n).astype(str))}, geometry=geoms, crs="EPSG:4326"
    )
    return Data(kind, n, km, np.asarray(lon), np.asarray(lat), geoms, frame)


# --------------------------------------------------------------------------- methods
# Each method returns (i, j, distance_m) with i < j (input indices), or ours: a DataFrame.

Result = tuple[np.ndarray, np.ndarray, np.ndarray]


def _planar_xy(data: Data) -> np.ndarray:
    from sandan_geo.crs import PLANAR_CRS, STORAGE_CRS
    from sandan_geo.crs import transformer as _transformer

    x, y = _transformer(STORAGE_CRS, PLANAR_CRS).transform(data.lon, data.lat)
    return np.column_stack([x, y])


def _k_max() -> float:
    from sandan_geo.geodesy import planar_scale_max as _planar_scale_max

    return _planar_scale_max(korea_bbox(), 0.0)


def m_ours(data: Data) -> Any:
    from sandan_geo.pairs import pairs_within

    metric = "centroid" if data.kind == "points" else "boundary"
    return pairs_within(data.frame, data.km, metric=metric, progress=False)


def m_ckdtree_planar(data: Data) -> Result:
    from scipy.spatial import cKDTree

    xy = _planar_xy(data)
    pairs = cKDTree(xy).query_pairs(data.km * 1000.0, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
    return i, j, d


def m_ckdtree_geod(data: Data) -> Result:
    from scipy.spatial import cKDTree

    from sandan_geo.crs import GEOD

    limit = data.km * 1000.0
    xy = _planar_xy(data)
    pairs = cKDTree(xy).query_pairs(limit * _k_max() + 1e-3, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    del pairs
    _, _, d = GEOD.inv(data.lon[i], data.lat[i], data.lon[j], data.lat[j])
    keep = d <= limit
    return i[keep], j[keep], d[keep]


def m_sindex_dwithin(data: Data) -> Result:
    import shapely

    limit = data.km * 1000.0
    planar = data.frame.to_crs("EPSG:5179")
    left, right = planar.sindex.query(planar.geometry, predicate="dwithin", distance=limit)
    keep = left < right
    i, j = left[keep], right[keep]
    geoms = np.asarray(planar.geometry.values)
    d = shapely.distance(geoms[i], geoms[j])
    return i, j, d


def m_balltree_haversine(data: Data) -> Result:
    from sklearn.neighbors import BallTree

    radius = 6_371_008.8  # mean Earth radius (m): a sphere, not GRS80
    pts = np.radians(np.column_stack([data.lat, data.lon]))
    tree = BallTree(pts, metric="haversine")
    nb, dist = tree.query_radius(pts, r=data.km * 1000.0 / radius, return_distance=True)
    counts = np.fromiter((len(x) for x in nb), dtype=np.intp, count=len(nb))
    i = np.repeat(np.arange(len(nb)), counts)
    j = np.concatenate(nb) if len(nb) else np.empty(0, dtype=np.intp)
    d = np.concatenate(dist) * radius if len(nb) else np.empty(0)
    keep = i < j
    return i[keep], j[keep], d[keep]


def m_libpysal_distanceband(data: Data) -> Result:
    import warnings

    from libpysal.weights import DistanceBand

    xy = _planar_xy(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(
            xy, threshold=data.km * 1000.0, binary=False, alpha=1.0, silence_warnings=True
        )
    sp = w.sparse.tocoo()
    keep = sp.row < sp.col
    return sp.row[keep], sp.col[keep], sp.data[keep]


def m_boundarymetric_loop(data: Data) -> Result:
    """Exact but naive: STRtree candidates, then BoundaryMetric pair by pair."""
    import shapely

    from sandan_geo.measure import BoundaryMetric
    from sandan_geo.model import Site

    limit = data.km * 1000.0
    planar = data.frame.to_crs("EPSG:5179")
    left, right = planar.sindex.query(
        planar.geometry, predicate="dwithin", distance=limit * _k_max() + 1.0
    )
    keep = left < right
    sites = [
        Site(key=str(k), name_ko=str(k), lon=float(x), lat=float(y), extent=g)
        for k, x, y, g in zip(data.frame["key"], data.lon, data.lat, data.geoms, strict=True)
    ]
    metric = BoundaryMetric()
    out_i, out_j, out_d = [], [], []
    for a, b in zip(left[keep], right[keep], strict=True):
        v = metric.distance(sites[a], sites[b]).value_m
        if v <= limit:
            out_i.append(a)
            out_j.append(b)
            out_d.append(v)
    del shapely
    return np.array(out_i, dtype=np.intp), np.array(out_j, dtype=np.intp), np.array(out_d)


METHODS: dict[str, dict[str, tuple[Callable[[Data], Any], bool, str]]] = {
    # name: (function, exact?, description)
    "points": {
        "sandan_geo.pairs_within": (m_ours, True, "ECEF k-d tree + Schur band + Geod.inv"),
        "cKDTree EPSG:5179": (m_ckdtree_planar, False, "scipy cKDTree.query_pairs, planar"),
        "cKDTree + Geod.inv": (
            m_ckdtree_geod,
            True,
            "planar query inflated by k_max, Geod.inv on all",
        ),
        "geopandas sindex dwithin": (m_sindex_dwithin, False, "STRtree dwithin on EPSG:5179"),
        "sklearn BallTree haversine": (m_balltree_haversine, False, "sphere R=6371008.8 m"),
        "libpysal DistanceBand": (m_libpysal_distanceband, False, "planar EPSG:5179"),
    },
    "polygons": {
        "sandan_geo.pairs_within": (m_ours, True, "STRtree + vectorised BoundaryMetric"),
        "geopandas sindex dwithin": (m_sindex_dwithin, False, "STRtree dwithin on EPSG:5179"),
        "sindex + BoundaryMetric loop": (m_boundarymetric_loop, True, "exact, pair by pair"),
    },
}
MEMORY_METHODS = {"sandan_geo.pairs_within", "cKDTree EPSG:5179", "cKDTree + Geod.inv"}
OURS = "sandan_geo.pairs_within"


def as_arrays(result: Any) -> Result:
    if isinstance(result, tuple):
        return result
    a = result["a"].cat.codes.to_numpy().astype(np.int64)
    b = result["b"].cat.codes.to_numpy().astype(np.int64)
    return a, b, result["distance_km"].to_numpy() * 1000.0


def result_bytes(result: Any) -> int:
    """Bytes the result keeps alive, each buffer once.

    Arrays: their buffers. A DataFrame: each column's values or categorical
    codes, plus each distinct categories Index once, with its strings and hash
    table (the site keys are part of the result).
    """
    if isinstance(result, tuple):
        return int(sum(x.nbytes for x in result))
    import pandas as pd

    total = 0
    seen: set[int] = set()
    for name in result.columns:
        col = result[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            total += col.cat.codes.to_numpy().nbytes
            cats = col.dtype.categories
            if id(cats) not in seen:
                seen.add(id(cats))
                total += int(cats.memory_usage(deep=True))
        else:
            total += col.to_numpy().nbytes
    return total


def pair_codes(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    return np.sort(i.astype(np.int64) * n + j.astype(np.int64))


# --------------------------------------------------------------------------- measuring


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def memory_child(kind: str, n: int, name: str) -> dict[str, Any]:
    """Run one method once in this (fresh) process and report its peak memory."""
    fn = METHODS[kind][name][0]
    fn(make_data(kind, 200))  # import everything the method needs
    data = make_data(kind, n)
    gc.collect()
    base = _status("VmRSS")
    reset = True
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        reset = False
    result = fn(data)
    peak_rss = _status("VmHWM") - base if reset else None
    size = result_bytes(result)
    del result
    gc.collect()
    tracemalloc.start()
    fn(data)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"peak_rss_bytes": peak_rss, "peak_traced_bytes": traced_peak, "result_bytes": size}


def measure_memory(kind: str, n: int, name: str) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, "--_memory", kind, str(n), name]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as err:
        print(f"    memory: failed ({err})", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    import importlib.metadata as md

    import pyproj
    import shapely

    def mem_total() -> int | None:
        with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
        return None

    def cpu_model() -> str:
        with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        return platform.processor() or "unknown"

    versions = {}
    for pkg in (
        "numpy",
        "scipy",
        "pandas",
        "shapely",
        "pyproj",
        "geopandas",
        "pyarrow",
        "scikit-learn",
        "libpysal",
        "networkx",
        "sandan-geo",
    ):
        with contextlib.suppress(md.PackageNotFoundError):
            versions[pkg] = md.version(pkg)
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu_model(),
        "ram_bytes": mem_total(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "geos": shapely.geos_version_string,
        "proj": pyproj.proj_version_str,
        "versions": versions,
    }


def run(kind: str, sizes: list[int], repeat: int, memory: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    last: dict[str, tuple[int, float]] = {}
    for fn, _, _ in METHODS[kind].values():  # warm-up: imports, caches
        with contextlib.suppress(Exception):
            fn(make_data(kind, 200))
    for n in sizes:
        data = make_data(kind, n)
        print(f"{kind} N={n:,} km={data.km}", file=sys.stderr)
        exact_codes: np.ndarray | None = None
        active: dict[str, dict[str, Any]] = {}
        for name, (_fn, exact, _) in METHODS[kind].items():
            row: dict[str, Any] = {"kind": kind, "n": n, "km": data.km, "method": name}
            row["exact"] = exact
            rows.append(row)
            if name in last:
                n0, t0 = last[name]
                expected = t0 * (n / n0) * 1.3
                if expected > BUDGET_S:
                    row["skipped"] = f"expected ~{expected:.0f} s > {BUDGET_S:.0f} s"
                    print(f"  {name}: skipped ({row['skipped']})", file=sys.stderr)
                    continue
            active[name] = row
        # Round-robin: each round runs every method once, so a slow spell of a shared
        # machine falls on all of them alike, and each round starts one method later, so
        # no method always follows the same one (a method leaves the heap, caches and
        # page tables behind it). A method slower than SLOW_S runs once.
        times: dict[str, list[float]] = {name: [] for name in active}
        names = list(active)
        rounds = repeat
        round_ = 0
        while round_ < rounds:
            if round_ == 1 and max(t[0] for t in times.values()) < QUICK_S:
                # Sub-second sizes: more rounds, steadier medians.
                rounds = max(repeat, QUICK_ROUNDS)
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                row = active[name]
                if round_ and times[name][0] > SLOW_S:
                    continue
                fn = METHODS[kind][name][0]
                gc.collect()
                t0 = time.perf_counter()
                result = fn(data)
                times[name].append(time.perf_counter() - t0)
                if not times[name][1:]:  # its first run
                    i, j, _d = as_arrays(result)
                    codes = pair_codes(i, j, n)
                    if name == OURS:
                        exact_codes = codes
                    row["pairs"] = len(codes)
                    if exact_codes is not None:
                        row["missing"] = len(np.setdiff1d(exact_codes, codes, assume_unique=True))
                        row["extra"] = len(np.setdiff1d(codes, exact_codes, assume_unique=True))
                    del i, j, _d, codes
                del result
            round_ += 1
        for name, row in active.items():
            t = statistics.median(times[name])
            last[name] = (n, t)
            row.update({"time_s": t, "runs": len(times[name])})
            if memory and name in MEMORY_METHODS:
                mem = measure_memory(kind, n, name)
                if mem:
                    row.update(mem)
            print(
                f"  {name}: {t:.3f} s, {row['pairs']:,} pairs"
                + (f", missing {row['missing']}, extra {row['extra']}" if "missing" in row else ""),
                file=sys.stderr,
            )
        ours = next(r for r in rows if r["n"] == n and r["kind"] == kind and r["method"] == OURS)
        for r in rows:
            if r["n"] == n and r["kind"] == kind and "time_s" in r:
                r["ratio_to_ours"] = r["time_s"] / ours["time_s"]
    return rows


# --------------------------------------------------------------------------- report


def _mb(x: float | None) -> str:
    return "–" if x is None else f"{x / 2**20:,.1f}"


def _fmt_time(t: float) -> str:
    return f"{t:.3f}" if t < 10 else f"{t:.1f}"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        START,
        "",
        f"Run: `python benchmarks/run.py{' --quick' if results['quick'] else ''}` on "
        f"{results['date']} ({results['elapsed_s']:.0f} s in all).",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"Python {m['python']}, {m['platform']}; GEOS {m['geos']}, PROJ {m['proj']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + ".",
        "",
    ]
    for kind in ("points", "polygons"):
        rows = [r for r in results["rows"] if r["kind"] == kind]
        if not rows:
            continue
        metric = "centroid" if kind == "points" else "boundary"
        lines += [
            f"### {kind.capitalize()} ({metric} metric)",
            "",
            "| N | km | method | exact | time (s) | × ours | pairs | missing | extra |",
            "| ---: | ---: | --- | :---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows:
            if "skipped" in r:
                lines.append(
                    f"| {r['n']:,} | {r['km']:g} | {r['method']} | {'yes' if r['exact'] else 'no'} "
                    f"| skipped: {r['skipped']} | | | | |"
                )
                continue
            lines.append(
                f"| {r['n']:,} | {r['km']:g} | {r['method']} | {'yes' if r['exact'] else 'no'} "
                f"| {_fmt_time(r['time_s'])} | {r.get('ratio_to_ours', 1.0):.2f} | {r['pairs']:,} "
                f"| {r.get('missing', 0):,} | {r.get('extra', 0):,} |"
            )
        lines.append("")
        mem = [r for r in rows if r.get("result_bytes") is not None and "skipped" not in r]
        if mem:
            lines += [
                f"Peak memory ({kind}; MiB above the resident size before the call):",
                "",
                "| N | method | result | peak RSS | × result | peak traced | × result |",
                "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
            ]
            for r in mem:
                size = r["result_bytes"] or 1
                rss = r.get("peak_rss_bytes")
                traced = r.get("peak_traced_bytes")
                lines.append(
                    f"| {r['n']:,} | {r['method']} | {_mb(size)} | {_mb(rss)} | "
                    f"{'–' if rss is None else f'{rss / size:.2f}'} | {_mb(traced)} | "
                    f"{'–' if traced is None else f'{traced / size:.2f}'} |"
                )
            lines.append("")
    lines += [*targets(results["rows"]), "", END]
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]]) -> list[str]:
    out = ["### Targets", ""]
    pts = [r for r in rows if r["kind"] == "points" and r["n"] >= 10_000 and "time_s" in r]
    for n in sorted({r["n"] for r in pts}):
        by = {r["method"]: r for r in pts if r["n"] == n}
        ours = by.get(OURS)
        if ours is None:
            continue
        planar = by.get("cKDTree EPSG:5179")
        geod = by.get("cKDTree + Geod.inv")
        if planar:
            ratio = ours["time_s"] / planar["time_s"]
            out.append(
                f"- N = {n:,}: exact pairs_within takes {ratio:.2f}× the inexact planar cKDTree "
                f"(target ≤ 2×): **{'met' if ratio <= 2 else 'not met'}**."
            )
        if geod:
            ratio = geod["time_s"] / ours["time_s"]
            out.append(
                f"- N = {n:,}: pairs_within is {ratio:.2f}× faster than cKDTree + Geod.inv "
                f"(target ≥ 5×): **{'met' if ratio >= 5 else 'not met'}**."
            )
        if ours.get("peak_rss_bytes") is not None:
            ratio = ours["peak_rss_bytes"] / ours["result_bytes"]
            out.append(
                f"- N = {n:,}: peak memory {ratio:.2f}× the result (RSS; target ≤ 1.5×): "
                f"**{'met' if ratio <= 1.5 else 'not met'}**."
            )
    return out


def write_doc(text: str, start: str = START, end: str = END, heading: str = "## Results") -> None:
    """Put ``text`` (which carries its markers) in place of the doc's ``start``…``end``.

    Without those markers, ``text`` is appended under ``heading`` (if any).
    """
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if start in doc and end in doc:
        head, rest = doc.split(start, 1)
        _, tail = rest.split(end, 1)
        doc = head + text + tail
    else:
        doc = doc.rstrip() + "\n\n" + (heading + "\n\n" if heading else "") + text + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a minute or two)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (median per method)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory child runs")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--_memory", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._memory:
        kind, n, name = args._memory
        print(json.dumps(memory_child(kind, int(n), name)))
        return 0
    started = time.perf_counter()
    points = [1_000, 10_000, 100_000] + ([] if args.quick else [1_000_000])
    polygons = [1_000, 10_000] + ([] if args.quick else [100_000])
    rows = run("points", points, args.repeat, not args.no_memory)
    rows += run("polygons", polygons, args.repeat, not args.no_memory)
    results = {
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%d"),
        "elapsed_s": time.perf_counter() - started,
        "seed": SEED,
        "km_at_1000": KM_AT_1000,
        "machine": machine(),
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.no_doc:
        write_doc(markdown(results))
    print(f"wrote {RESULTS.relative_to(ROOT)}" + ("" if args.no_doc else " and docs/benchmarks.md"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
