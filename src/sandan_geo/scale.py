"""Pair searches over many sites, exact on the GRS80 geodesic.

:func:`pairs_within` finds every pair of sites within a distance, for
thousands to millions of sites; :func:`pairs_to_graph` turns the pairs into a
graph; :func:`candidates` ranks the sites within reach of one hub, the
question a planner asks before adding a linked complex to a plan.

Decisions are exact: a pair is returned if and only if its distance under the
named metric (``centroid`` or ``boundary``, as in :mod:`sandan_geo.measure`)
is at most the limit, limit included. "Exact" means agreement with the
reference computation on every pair: :meth:`pyproj.Geod.inv` on GRS80 for
``centroid``, :class:`~sandan_geo.measure.BoundaryMetric` for ``boundary``.

How the point search stays exact (see Notes of :func:`pairs_within` and
docs/benchmarks.md): points are placed in earth-centred (ECEF) coordinates on
GRS80, where the straight chord ``c`` between two points is never longer
than the geodesic ``s``, and, by Schur's comparison theorem applied to a
geodesic whose curvature is at most ``1 / (a (1 - e²))``, never shorter than
``2 R sin(s / 2R)`` with ``R = a (1 - e²)``. A k-d tree finds every chord
within the limit (so no pair is missed); chords short enough that even the
longest possible geodesic is within the limit are accepted outright; the few
in the thin band between are decided by :meth:`pyproj.Geod.inv` itself.

Examples
--------
>>> from sandan_geo import builtin_sites
>>> sites = builtin_sites()
>>> df = pairs_within(sites, 10, metric="centroid")
>>> list(df.columns), bool((df.distance_km <= 10).all())
(['a', 'b', 'distance_km', 'metric'], True)
"""

from __future__ import annotations

import contextlib
import json
import math
import mmap
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, overload

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .check import check_plan
from .crs import GEOD, PLANAR_CRS, SEGMENTIZE_DEG, STORAGE_CRS, geodesic_m, km_to_m, m_to_km
from .crs import _transformer as _crs_transformer
from .errors import (
    GeometryError,
    InputError,
    MissingDependencyError,
    OutputError,
    RuleError,
    SandanGeoWarning,
    SchemaError,
)
from .measure import BoundaryMetric, CentroidMetric, Metric, get_metric
from .measure import nearest_points_lonlat as _nearest_points_lonlat
from .model import Kind, Plan, PlanSite, Role, Site
from .rules import Rule, parse_rules

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CANDIDATE_COLUMNS",
    "PAIR_COLUMNS",
    "candidates",
    "pairs_to_graph",
    "pairs_within",
]

PAIR_COLUMNS: tuple[str, ...] = ("a", "b", "distance_km", "metric")
"""Columns of :func:`pairs_within`'s result, in order."""

CANDIDATE_COLUMNS: tuple[str, ...] = (
    "key",
    "name_ko",
    "kind",
    "distance_km",
    "metric",
    "shared_industries",
    "affinity",
)
"""Columns of :func:`candidates`' result, in order (``keeps_rules`` follows when a plan is given)."""

SitesInput: TypeAlias = "Iterable[Site] | Mapping[str, Site] | gpd.GeoDataFrame"

# --------------------------------------------------------------------------- constants

_A_M: float = float(GEOD.a)
_E2: float = float(GEOD.es)
_R_MIN_M: float = _A_M * (1.0 - _E2)
"""Smallest radius of curvature on GRS80 (meridional, at the equator), metres.

A geodesic's curvature in space equals the surface's normal curvature along
it, which lies between 1/N and 1/M and so never exceeds ``1 / _R_MIN_M``."""

_EP2: float = _E2 / (1.0 - _E2)
_TINY = float(np.finfo(float).tiny)

_SLACK_M = 1e-6
"""Allowance for float rounding of a computed chord (measured: below 1e-8 m)."""

_K_HI2: float = 1.0 / (_R_MIN_M * _R_MIN_M)
_K_LO2: float = (1.0 - _E2) / (_A_M * _A_M)
"""Squared bounds of GRS80's normal curvature, any point and direction: ``a/b²`` and ``b/a²``."""

_SHORT_CHORD_M = 3_500.0
"""Chords up to this length take ``c + c³ k²/24`` with ``k²`` the middle of its range.

The series' second term is then off by at most ``c³ (k_hi² - k_lo²) / 48``
(0.44 µm at 3.5 km) and the next term, ``3 k⁴ c⁵ / 640``, is under 1e-11 m."""

_SHORT_CUBE = (_K_LO2 + _K_HI2) / 48.0

_SERIES_MAX_M = 100_000.0
"""Longest chord whose geodesic value comes from the series; longer ones use Geod.inv."""

_SERIES_ERROR_M = 1e-6
"""Stated bound on |series - Geod.inv| for chords up to ``_SERIES_MAX_M`` (see Notes)."""

_RECHECK_M = 1e-3
"""Boundary pairs this close to the limit are re-measured with BoundaryMetric itself."""

_SCALE_MARGIN = 1e-4
"""Relative margin on the EPSG:5179 scale factor read off a grid (it varies < 0.3 %)."""

_MAX_KM = 600.0  # larger than South Korea: a limit above it is a unit mistake (as in rules)
_POINT_BLOCK = (4_096, 16_384)  # default sites per block, points: N/16 within these
_LINE_BATCH = 8_192  # candidate footprint pairs whose shortest lines exist at once
_FOOTPRINT_BLOCK = 512  # default sites per block, footprints (their candidates weigh more)
_ROW_GROUP_ROWS = 1 << 20
_COLUMN_START_BYTES = 1 << 16  # first size of a result column's memory map
_BATCH_PAIRS = 1 << 12  # candidate pairs refined at once: temporaries stay in the CPU cache
_METRIC_NAMES = ("boundary", "centroid")


# --------------------------------------------------------------------------- small helpers


def _require(module: str, package: str, extra: str = "scale") -> Any:
    """Import an optional module or raise MissingDependencyError naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        msg = (
            f"this needs the optional package '{package}'; install it with "
            f"pip install 'sandan-geo[{extra}]' (or pip install {package})"
        )
        raise MissingDependencyError(msg) from err


def _check_km(km: Any, name: str = "km") -> float:
    if isinstance(km, bool) or not isinstance(km, int | float | np.integer | np.floating):
        raise RuleError(f"{name} is {km!r}, not a number", field=name, hint="give kilometres")
    value = float(km)
    if not math.isfinite(value) or value <= 0:
        raise RuleError(
            f"{name} is {km}; a distance limit must be a positive number",
            field=name,
            hint="give kilometres, e.g. 7.5",
        )
    if value > _MAX_KM:
        raise RuleError(
            f"{name} is {value:g}, more than South Korea is wide",
            field=name,
            hint="give the limit in kilometres (7.5, not 7500)",
        )
    return value


def _metric_name(metric: Any) -> str:
    """Return 'centroid' or 'boundary' for the metrics the scalable search supports."""
    if isinstance(metric, CentroidMetric | BoundaryMetric):
        return metric.name
    if isinstance(metric, str) and metric in _METRIC_NAMES:
        return metric
    shown = metric if isinstance(metric, str) else getattr(metric, "name", metric)
    raise RuleError(
        f"unknown metric {shown!r} for a pair search",
        field="metric",
        hint="use 'centroid' or 'boundary'; measure other metrics (e.g. road) pair by pair "
        "with sandan_geo.measure",
    )


def _stderr_is_tty() -> bool:
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


@contextlib.contextmanager
def _progress(total: int, label: str, show: bool | None) -> Iterator[Callable[[int], None]]:
    """Yield an ``advance(n)`` callable; draws a click bar on stderr only when shown."""
    if show is None:
        show = _stderr_is_tty()
    if not show or total <= 1:
        yield lambda n: None
        return
    import click

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _codes_dtype(n: int) -> type[np.signedinteger[Any]]:
    """The integer type pandas uses for the codes of ``n`` categories (no copy on wrap)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n < np.iinfo(dtype).max:
            return dtype
    return np.int64


class _Column:
    """A 1-D array built by appending, holding no more memory than its values.

    The values live in an anonymous memory map: a page costs memory only once
    written, and the map grows and finally shrinks to fit with ``mremap``
    (:meth:`mmap.mmap.resize`), which moves no data. Where anonymous maps
    cannot be resized, full maps are kept as segments and gathered into one
    array at the end, each dropped as soon as it is copied (peak: the column
    plus one segment).

    Resizing is used on Linux only, on private maps: there ``mremap`` is
    documented to keep the data and zero-fill growth (a shared anonymous map
    grown this way faults with SIGBUS past its first size).

    Written for memory, and measured (``docs/benchmarks.md``): growing a numpy
    array with ``ndarray.resize`` (``realloc``) peaked at 2.4× the result of
    ``pairs_within`` for 10⁵ points, because glibc serves buffers under its
    adaptive mmap threshold from the heap, where growing copies and freed
    pages stay resident; a list of chunks concatenated at the end needs twice
    the result.
    """

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self.full: list[np.ndarray] = []  # only where maps cannot be resized
        self.map = _anonymous_map(_COLUMN_START_BYTES)
        self.view: np.ndarray | None = np.frombuffer(self.map, dtype=self.dtype)
        self.fill = 0  # values in the current map
        self.n = 0  # values in all

    def extend(self, values: np.ndarray) -> None:
        k = len(values)
        if self.view is None or self.fill + k > len(self.view):
            self._grow(self.fill + k)
        assert self.view is not None
        self.view[self.fill : self.fill + k] = values
        self.fill += k
        self.n += k

    def _grow(self, need: int) -> None:
        size = max(need, 2 * (len(self.map) // self.dtype.itemsize)) * self.dtype.itemsize
        self.view = None  # a map with a live buffer cannot be resized
        if _REMAP:
            self.map.resize(size)
        else:
            self.full.append(np.frombuffer(self.map, dtype=self.dtype, count=self.fill))
            self.map = _anonymous_map(size)
            self.fill = 0
        self.view = np.frombuffer(self.map, dtype=self.dtype)

    def finish(self) -> np.ndarray:
        """The values as one array. Call once: the column is spent afterwards."""
        if self.n == 0:
            return np.empty(0, dtype=self.dtype)
        self.view = None
        if not self.full:
            if _REMAP:
                self.map.resize(self.n * self.dtype.itemsize)  # give the spare pages back
            return np.frombuffer(self.map, dtype=self.dtype, count=self.n)
        parts = [*self.full, np.frombuffer(self.map, dtype=self.dtype, count=self.fill)]
        self.full = []
        del self.map
        out = np.empty(self.n, dtype=self.dtype)
        pos = 0
        parts.reverse()
        while parts:
            part = parts.pop()
            out[pos : pos + len(part)] = part
            pos += len(part)
            del part  # its map is released here
        return out


_REMAP = sys.platform.startswith("linux") and hasattr(mmap, "MAP_PRIVATE")


def _anonymous_map(size: int) -> mmap.mmap:
    """A private, zero-filled, writable anonymous memory map of ``size`` bytes."""
    if hasattr(mmap, "MAP_PRIVATE"):
        return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return mmap.mmap(-1, size)  # Windows: a private page-file section


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class _Table:
    """Sites flattened into arrays, in input order."""

    keys: pd.Index
    lon: np.ndarray
    lat: np.ndarray
    footprints: np.ndarray  # object array of lon/lat shapely geometries
    approximate: np.ndarray  # bool: the footprint is not an official outline

    @property
    def all_points(self) -> bool:
        return bool(np.all(shapely.get_type_id(self.footprints) == 0))


def _is_geodataframe(obj: Any) -> bool:
    gpd = sys.modules.get("geopandas")
    return gpd is not None and isinstance(obj, gpd.GeoDataFrame)


def _table(sites: Any) -> _Table:
    """Validate any accepted form of ``sites`` and flatten it."""
    if _is_geodataframe(sites):
        return _table_from_frame(sites)
    if isinstance(sites, Site):
        raise InputError(
            "sites is a single Site", hint="give several sites: a list, a mapping or a GeoDataFrame"
        )
    if isinstance(sites, str | bytes) or not isinstance(sites, Iterable | Mapping):
        raise InputError(
            f"sites is a {type(sites).__name__}",
            hint="give Site objects (a list or a mapping key -> Site) or a GeoDataFrame",
        )
    items = list(sites.items()) if isinstance(sites, Mapping) else [(None, s) for s in sites]
    problems: list[str] = []
    keys: list[str] = []
    chosen: list[Site] = []
    for n, (k, s) in enumerate(items):
        if not isinstance(s, Site):
            problems.append(f"item {n + 1} is a {type(s).__name__}, not a Site")
            continue
        keys.append(str(k) if k is not None else s.key)
        chosen.append(s)
    if not items:
        raise InputError("no sites given", hint="give at least one Site")
    problems.extend(_duplicate_problems(keys))
    bad = [k for k, s in zip(keys, chosen, strict=True) if not _finite_lonlat(s.lon, s.lat)]
    problems.extend(f"site '{k}' has no valid lon/lat" for k in bad)
    if problems:
        cls = SchemaError if not bad else GeometryError
        raise cls(
            problems[0],
            hint="give each site its own key and a WGS84 lon/lat",
            problems=problems,
        )
    footprints = np.empty(len(chosen), dtype=object)
    footprints[:] = [s.footprint for s in chosen]
    return _Table(
        keys=pd.Index(keys, dtype=object),
        lon=np.array([s.lon for s in chosen], dtype=float),
        lat=np.array([s.lat for s in chosen], dtype=float),
        footprints=footprints,
        approximate=np.array([s.footprint_approximate for s in chosen], dtype=bool),
    )


def _finite_lonlat(lon: float, lat: float) -> bool:
    return bool(math.isfinite(lon) and math.isfinite(lat) and -90 <= lat <= 90)


def _duplicate_problems(keys: Sequence[str] | pd.Index) -> list[str]:
    index = keys if isinstance(keys, pd.Index) else pd.Index(list(keys), dtype=object)
    if index.is_unique:
        return []
    counts = index.value_counts(sort=False)
    dupes = counts[counts > 1]
    return [f"site key '{k}' is used {int(n)} times" for k, n in dupes.items()]


def _table_from_frame(frame: gpd.GeoDataFrame) -> _Table:
    import warnings

    if len(frame) == 0:
        raise InputError("the GeoDataFrame has no rows", hint="give at least one site")
    if "key" not in frame.columns:
        cols = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        raise SchemaError(
            "the GeoDataFrame has no 'key' column",
            field="key",
            hint=f"add one, e.g. gdf['key'] = gdf.index.astype(str) (columns: {cols or 'none'})",
        )
    column = frame["key"]
    if column.isna().any():
        rows = [str(i) for i in frame.index[column.isna().to_numpy()][:5]]
        raise SchemaError(
            f"the 'key' column is empty in {int(column.isna().sum())} row(s) (index: {', '.join(rows)})",
            field="key",
            hint="give every row a key",
        )
    if column.dtype == object or not pd.api.types.is_string_dtype(column.dtype):
        column = column.astype(str)
    keys = pd.Index(column.to_numpy(dtype=object), dtype=object)
    problems = _duplicate_problems(keys)
    if problems:
        raise SchemaError(
            problems[0], field="key", hint="give each row its own key", problems=problems
        )
    if frame.crs is None:
        warnings.warn(
            "the GeoDataFrame has no CRS; assuming WGS84 lon/lat (EPSG:4326)",
            SandanGeoWarning,
            stacklevel=4,
        )
    elif not frame.crs.equals(STORAGE_CRS):
        frame = frame.to_crs(STORAGE_CRS)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        rows = [keys[i] for i in np.flatnonzero(empty)[:5]]
        raise GeometryError(
            f"{int(empty.sum())} row(s) have no geometry (keys: {', '.join(rows)})",
            field="geometry",
            hint="drop them or give each a point or polygon",
        )
    points = shapely.get_type_id(geoms) == 0
    if {"lon", "lat"} <= set(frame.columns):
        lon = frame["lon"].to_numpy(dtype=float)
        lat = frame["lat"].to_numpy(dtype=float)
    else:
        reps = geoms.copy()
        reps[~points] = shapely.point_on_surface(geoms[~points])
        lon, lat = shapely.get_x(reps), shapely.get_y(reps)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    if bad.any():
        rows = [keys[i] for i in np.flatnonzero(bad)[:5]]
        raise GeometryError(
            f"{int(bad.sum())} row(s) have no valid lon/lat (keys: {', '.join(rows)})",
            hint="give WGS84 degrees (EPSG:4326) or set the frame's CRS",
        )
    return _Table(
        keys=keys,
        lon=np.asarray(lon, dtype=float),
        lat=np.asarray(lat, dtype=float),
        footprints=geoms,
        approximate=np.zeros(len(keys), dtype=bool),
    )


# --------------------------------------------------------------------------- geodesy


def _ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
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


def _chord_accept_m(limit_m: float) -> float:
    """Largest chord whose geodesic is provably within ``limit_m`` (Schur bound)."""
    target = limit_m - _SLACK_M
    if target <= 0:
        return -1.0
    return 2.0 * _R_MIN_M * math.sin(target / (2.0 * _R_MIN_M)) - _SLACK_M


def _geodesic_from_chord(
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


def _geodesic_short(c: np.ndarray) -> np.ndarray:
    """Geodesic length (m) for chords ``c`` up to ``_SHORT_CHORD_M``: ``c + c³ k²/24``.

    ``k²`` is the middle of the range of GRS80's squared normal curvature, so
    no per-pair curvature is needed; the error is at most 0.44 µm at 3.5 km
    (see ``_SHORT_CHORD_M``), checked against Geod.inv in the tests.
    """
    out: np.ndarray = c + (c * c * c) * _SHORT_CUBE
    return out


def _kd_order(pts: np.ndarray, size: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Order points so that blocks of at most ``size`` consecutive points are compact.

    ``pts`` has shape ``(n, dims)``. Median splits along the widest axis (judged
    on a sample), as in a k-d tree's top levels; returns the permutation and
    the blocks' [start, end) ranges in permuted order.
    """
    n = len(pts)
    perm = np.arange(n)
    ranges: list[tuple[int, int]] = []
    stack = [(0, n)]
    while stack:
        s, e = stack.pop()
        if e - s <= size:
            ranges.append((s, e))
            continue
        idx = perm[s:e]
        sample = pts[idx[:: max(1, (e - s) // 4096)]]
        axis = int(np.argmax(sample.max(axis=0) - sample.min(axis=0)))
        half = (e - s) // 2
        perm[s:e] = idx[np.argpartition(pts[idx, axis], half)]
        stack.append((s + half, e))
        stack.append((s, s + half))
    return perm, ranges


def _block_pairs(lo: np.ndarray, hi: np.ndarray, reach: float) -> list[list[int]]:
    """For each block i, the blocks j > i whose boxes come within ``reach``."""
    gap = np.maximum(
        0.0, np.maximum(lo[None, :, :] - hi[:, None, :], lo[:, None, :] - hi[None, :, :])
    )
    near = (gap * gap).sum(axis=-1) <= reach * reach
    return [[int(j) for j in np.flatnonzero(near[i, i + 1 :]) + i + 1] for i in range(len(lo))]


# --------------------------------------------------------------------------- point engine


Chunk: TypeAlias = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(i, j, distance_m): input indices with i < j, and the distance in metres."""


def _search_basis(X: np.ndarray) -> np.ndarray:
    """Axes for the k-d tree's coordinates ``X @ basis``: the data's tangent plane, or ECEF.

    Orthogonal projection onto a plane never lengthens a vector, so the 2-D
    distance is at most the chord and a 2-D search with the chord's radius
    misses nothing. Over a region the size of Korea the plane is within a few
    degrees of every chord, so it adds few false candidates (they are dropped
    by the chord test); for data spread over more than 30° the 3-D
    coordinates are used as they are.
    """
    sample = X[:: max(1, len(X) // 20_000)]  # only efficiency depends on these estimates
    centre = sample.sum(axis=0)
    norm = float(np.linalg.norm(centre))
    if norm == 0.0:
        return np.eye(3)
    u = centre / norm
    cos_spread = float(np.min((sample @ u) / np.linalg.norm(sample, axis=1)))
    if cos_spread < math.cos(math.radians(30.0)):
        return np.eye(3)
    helper = np.array([0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(helper, u)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(u, e1)
    return np.column_stack([e1, e2])


def _point_chunks(
    lon: np.ndarray, lat: np.ndarray, limit_m: float, chunk_size: int, show: bool | None
) -> Iterator[Chunk]:
    """Yield every pair within ``limit_m`` (geodesic, inclusive), block by block."""
    spatial = _require("scipy.spatial", "scipy")
    X = _ecef(lon, lat)
    basis = _search_basis(X)
    order, ranges = _kd_order(X @ basis, chunk_size)
    cols = (X[order, 0], X[order, 1], X[order, 2])
    del X
    perm = order.astype(_codes_dtype(len(lon)))  # block position -> input index, as codes
    del order
    reach = limit_m + _SLACK_M
    accept = _chord_accept_m(limit_m)

    def coords(k: int) -> np.ndarray:
        """Block k's search coordinates (computed the same way each time)."""
        s, e = ranges[k]
        xyz = np.column_stack([cols[0][s:e], cols[1][s:e], cols[2][s:e]])
        out: np.ndarray = xyz @ basis
        return out

    boxes = [coords(k) for k in range(len(ranges))]
    lo = np.array([b.min(axis=0) for b in boxes])
    hi = np.array([b.max(axis=0) for b in boxes])
    del boxes
    cross = _block_pairs(lo, hi, reach)
    # Trees are built when first needed and dropped after their own block: with
    # blocks in k-d order only a front of them is alive at once.
    trees: dict[int, Any] = {}

    def tree(k: int) -> Any:
        if k not in trees:
            trees[k] = spatial.cKDTree(coords(k), balanced_tree=False, compact_nodes=False)
        return trees[k]

    def refine(ia: np.ndarray, ib: np.ndarray, sa: int, sb: int) -> Iterator[Chunk]:
        """Refine candidates given as positions within blocks starting at ``sa`` and ``sb``."""
        for k in range(0, len(ia), _BATCH_PAIRS):
            pa = ia[k : k + _BATCH_PAIRS].astype(np.intp)
            pb = ib[k : k + _BATCH_PAIRS].astype(np.intp)
            pa += sa
            pb += sb
            yield _refine_points(cols, perm, lon, lat, pa, pb, limit_m, reach, accept)

    with _progress(len(ranges), "pairs_within", show) as advance:
        for i, (s, _e) in enumerate(ranges):
            own = tree(i)
            pairs = own.query_pairs(reach, output_type="ndarray")
            yield from refine(pairs[:, 0], pairs[:, 1], s, s)
            del pairs
            for j in cross[i]:
                rec = own.sparse_distance_matrix(tree(j), reach, output_type="ndarray")
                yield from refine(rec["i"], rec["j"], s, ranges[j][0])
                del rec
            del own
            trees.pop(i)  # later blocks pair only with blocks after them
            advance(1)


def _refine_points(
    cols: tuple[np.ndarray, np.ndarray, np.ndarray],
    perm: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    ia: np.ndarray,
    ib: np.ndarray,
    limit_m: float,
    reach: float,
    accept: float,
) -> Chunk:
    """Decide candidate pairs (positions in block order) and give their geodesic lengths.

    Chord and series are symmetric in the two points, and Geod.inv runs from
    ``a`` (the earlier site in input order) to ``b``, so a pair's value does
    not depend on how the search found it.
    """
    x, y, z = cols
    # The chord, in place: (xb - xa)² + (yb - ya)² + (zb - za)², square-rooted.
    c = x[ib]
    c -= x[ia]
    c *= c
    t = y[ib]
    t -= y[ia]
    t *= t
    c += t
    t = z[ib]
    t -= z[ia]
    t *= t
    c += t
    del t
    np.sqrt(c, out=c)
    top = float(c.max()) if len(c) else 0.0
    dist = _geodesic_short(c)
    if not top <= _SHORT_CHORD_M:  # (a NaN takes the careful paths too)
        is_long = (c > _SHORT_CHORD_M) & (c <= reach)
        long = np.flatnonzero(is_long)
        if len(long):
            pa, pb = ia[long], ib[long]
            dist[long] = _geodesic_from_chord(x[pa], y[pa], z[pa], x[pb], y[pb], z[pb])[1]
    a = perm[ia]
    b = perm[ib]
    lo = np.minimum(a, b)
    np.maximum(a, b, out=b)
    a = lo
    sure = min(accept, _SERIES_MAX_M)  # chords up to this are in, with the value above
    if top <= sure:  # every pair accepted outright, the usual case
        return a, b, dist
    keep = c <= reach
    exact = keep & (c > sure)
    if exact.any():
        _, _, g = GEOD.inv(lon[a[exact]], lat[a[exact]], lon[b[exact]], lat[b[exact]])
        dist[exact] = g
        keep[exact] = g <= limit_m
    if keep.all():
        return a, b, dist
    return a[keep], b[keep], dist[keep]


# --------------------------------------------------------------------------- boundary engine


def _project(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Project an array of geometries exactly as :func:`sandan_geo.crs.to_planar` does one."""
    t = _crs_transformer(src, dst)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out: np.ndarray = shapely.transform(geoms, fn)
    return out


@lru_cache(maxsize=1)
def _planar_proj() -> Any:
    import pyproj

    return pyproj.Proj(PLANAR_CRS)


def _planar_scale_max(bounds: Sequence[float], limit_m: float) -> float:
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


class _Snapper:
    """Vectorised :func:`sandan_geo.measure._snap_vertex` over a fixed set of geometries."""

    def __init__(self, geoms: np.ndarray) -> None:
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        self.x = coords[:, 0]
        self.y = coords[:, 1]
        counts = np.bincount(owner, minlength=len(geoms))
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        self.count = counts.astype(np.intp)
        self.is_point = shapely.get_type_id(geoms) == 0

    def snap(self, g: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = x.copy()
        y = y.copy()
        pts = self.is_point[g]
        x[pts] = self.x[self.start[g[pts]]]
        y[pts] = self.y[self.start[g[pts]]]
        rest = np.flatnonzero(~pts & (self.count[g] > 0))
        step = 1 << 22  # expanded vertices per batch
        cum = np.cumsum(self.count[g[rest]])
        first = 0
        while first < len(rest):
            base = cum[first - 1] if first else 0
            last = int(np.searchsorted(cum, base + step, side="right"))
            last = max(last, first + 1)
            self._snap_batch(g, x, y, rest[first:last])
            first = last
        return x, y

    def _snap_batch(self, g: np.ndarray, x: np.ndarray, y: np.ndarray, ends: np.ndarray) -> None:
        lengths = self.count[g[ends]]
        offsets = np.cumsum(lengths) - lengths
        owner = np.repeat(np.arange(len(ends)), lengths)
        pos = np.arange(int(lengths.sum())) - np.repeat(offsets, lengths)
        vertex = np.repeat(self.start[g[ends]], lengths) + pos
        l1 = np.abs(self.x[vertex] - x[ends][owner]) + np.abs(self.y[vertex] - y[ends][owner])
        best = np.minimum.reduceat(l1, offsets)
        hit = l1 == best[owner]
        first_hit = np.flatnonzero(hit)
        _, where = np.unique(owner[first_hit], return_index=True)
        chosen = vertex[first_hit[where]]
        snap = best < 1e-9
        x[ends[snap]] = self.x[chosen[snap]]
        y[ends[snap]] = self.y[chosen[snap]]


def _boundary_values(
    footprints: np.ndarray,
    planar: np.ndarray,
    snapper: _Snapper,
    i: np.ndarray,
    j: np.ndarray,
    lines: np.ndarray | None = None,
) -> np.ndarray:
    """BoundaryMetric's value (m) for the pairs (i, j), vectorised step for step.

    ``lines``, if given, are the planar shortest lines between ``planar[i]``
    and ``planar[j]`` (computed by the caller to filter candidates).
    """
    out = np.zeros(len(i))
    rest = np.flatnonzero(~shapely.intersects(footprints[i], footprints[j]))
    if not len(rest):
        return out
    if lines is None:
        lines = shapely.shortest_line(planar[i[rest]], planar[j[rest]])
    else:
        lines = lines[rest]
    xy = shapely.get_coordinates(lines)
    t = _crs_transformer(PLANAR_CRS, STORAGE_CRS)
    lon, lat = t.transform(xy[:, 0], xy[:, 1])
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    # Each line has two vertices: on the first geometry, then on the second.
    px, py = snapper.snap(i[rest], lon[0::2], lat[0::2])
    qx, qy = snapper.snap(j[rest], lon[1::2], lat[1::2])
    _, _, dist = GEOD.inv(px, py, qx, qy)
    out[rest] = np.where((px == qx) & (py == qy), 0.0, dist)
    return out


def _boundary_scalar(a: BaseGeometry, b: BaseGeometry) -> float:
    """BoundaryMetric's value for two footprints, computed by measure itself."""
    p, q = _nearest_points_lonlat(a, b)
    return 0.0 if p == q else geodesic_m(p, q)


def _planar_footprints(footprints: np.ndarray) -> np.ndarray:
    """Footprints segmentized and projected to EPSG:5179 exactly as BoundaryMetric does."""
    return _project(shapely.segmentize(footprints, SEGMENTIZE_DEG), STORAGE_CRS, PLANAR_CRS)


def _lonlat_reach(bounds: Sequence[float], limit_m: float) -> tuple[float, float]:
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


def _boundary_chunks(
    table: _Table, limit_m: float, chunk_size: int, show: bool | None
) -> Iterator[Chunk]:
    """Yield every pair whose boundary gap is within ``limit_m`` (inclusive).

    Candidates come from an STRtree over the input outlines themselves (no
    copies), with each site's lon/lat box widened by :func:`_lonlat_reach`;
    only the footprints a block needs are segmentized and projected, then
    dropped, so memory does not grow with a projected copy of every outline.
    """
    footprints = table.footprints
    box = shapely.bounds(footprints)  # lon/lat, widened by the reach below
    total = (box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max())
    reach = limit_m * _planar_scale_max(total, limit_m) + 1.0
    dlat, dlon = _lonlat_reach(total, limit_m)
    tree = shapely.STRtree(footprints)
    box[:, 0] -= dlon
    box[:, 2] += dlon
    box[:, 1] -= dlat
    box[:, 3] += dlat
    perm, ranges = _kd_order((box[:, :2] + box[:, 2:]) * 0.5, chunk_size)
    with _progress(len(ranges), "pairs_within", show) as advance:
        for s, e in ranges:
            q = perm[s:e]
            inp, hit = tree.query(shapely.box(*box[q].T))
            i = q[inp]
            keep = hit > i
            i, j = i[keep].astype(np.intp), hit[keep].astype(np.intp)
            if len(i):
                need, back = np.unique(np.concatenate([i, j]), return_inverse=True)
                local = footprints[need]
                planar = _planar_footprints(local)
                snapper = _Snapper(local)
                # Shortest lines are GEOS objects: made a batch of candidates at a time.
                for k in range(0, len(i), _LINE_BATCH):
                    li = back[k : min(k + _LINE_BATCH, len(i))]
                    lj = back[len(i) + k : len(i) + min(k + _LINE_BATCH, len(i))]
                    lines = shapely.shortest_line(planar[li], planar[lj])
                    close = np.flatnonzero(shapely.length(lines) <= reach)
                    if not len(close):
                        continue
                    li, lj, lines = li[close], lj[close], lines[close]
                    dist = _boundary_values(local, planar, snapper, li, lj, lines)
                    del lines
                    near = np.flatnonzero(np.abs(dist - limit_m) <= _RECHECK_M)
                    for n in near:
                        dist[n] = _boundary_scalar(local[li[n]], local[lj[n]])
                    ok = dist <= limit_m
                    yield need[li[ok]], need[lj[ok]], dist[ok]
            advance(1)


# --------------------------------------------------------------------------- pairs_within


@overload
def pairs_within(
    sites: SitesInput,
    km: float,
    *,
    metric: str | Metric = ...,
    out: None = ...,
    chunk_size: int | None = ...,
    progress: bool | None = ...,
) -> pd.DataFrame: ...


@overload
def pairs_within(
    sites: SitesInput,
    km: float,
    *,
    metric: str | Metric = ...,
    out: str | os.PathLike[str],
    chunk_size: int | None = ...,
    progress: bool | None = ...,
) -> Path: ...


def pairs_within(
    sites: SitesInput,
    km: float,
    *,
    metric: str | Metric = "centroid",
    out: str | os.PathLike[str] | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | Path:
    """Find every pair of sites within ``km`` of each other under a named metric.

    Each unordered pair appears once, ``a`` before ``b`` in input order. A pair
    is included if and only if its distance is at most ``km`` (limit
    included), decided exactly: agreement with :meth:`pyproj.Geod.inv` on
    GRS80 (``centroid``) or :class:`~sandan_geo.measure.BoundaryMetric`
    (``boundary``) on every pair, however close to the limit.

    Parameters
    ----------
    sites
        Site objects (a sequence, or a mapping whose keys are used as the
        site keys), or a GeoDataFrame with a ``key`` column and point or
        polygon geometries in any CRS (reprojected to WGS84). For the
        ``centroid`` metric a frame's point is its ``lon``/``lat`` columns if
        present, else the geometry itself (points) or a point on its surface
        (polygons); a Site's point is its representative point.
    km
        The limit in kilometres, > 0 (and at most 600).
    metric
        ``"centroid"`` (geodesic between points) or ``"boundary"`` (gap
        between footprints; for sites without outlines this is the geodesic
        between their points).
    out
        A path ending ``.parquet``: stream the pairs there in row groups
        (needs pyarrow) instead of building them in memory, and return the
        path. The file is written under a temporary name and renamed into
        place when complete. Columns ``a``, ``b`` and ``metric`` are strings.
    chunk_size
        Sites per block of the spatial partition; by default, for points, a
        sixteenth of the sites between 4,096 and 16,384, and for footprints
        512 (their candidate pairs weigh more). Temporary memory is bounded
        by the pairs of one block; smaller blocks mean less memory and a
        little more overhead.
    progress
        Draw a progress bar on stderr; by default only when stderr is a terminal.

    Returns
    -------
    pandas.DataFrame or pathlib.Path
        Columns ``a``, ``b`` (site keys, categorical over all input keys),
        ``distance_km`` (float) and ``metric`` (categorical), one row per pair,
        grouped by spatial block (sort with ``sort_values(["a", "b"])`` for
        input order). ``attrs`` holds ``km``, ``metric`` and ``n_sites``.
        With ``out``, the path of the Parquet file.

    Raises
    ------
    RuleError
        ``km`` is not a positive number of kilometres, or the metric is not
        ``centroid`` or ``boundary``.
    InputError
        No sites; ``out`` does not end in ``.parquet``; ``chunk_size`` is
        not a positive integer.
    SchemaError
        Duplicate site keys; a GeoDataFrame without a ``key`` column.
    GeometryError
        A site without a valid lon/lat or geometry.
    MissingDependencyError
        scipy (and for ``out``, pyarrow) is not installed.
    OutputError
        The Parquet file cannot be written.

    Examples
    --------
    >>> from sandan_geo.model import Site
    >>> sites = [Site(key="a", name_ko="가", lon=128.50, lat=35.84),
    ...          Site(key="b", name_ko="나", lon=128.55, lat=35.88),
    ...          Site(key="c", name_ko="다", lon=129.30, lat=35.50)]
    >>> df = pairs_within(sites, 7.5)
    >>> df.astype({"a": str, "b": str}).round(3).to_dict("records")
    [{'a': 'a', 'b': 'b', 'distance_km': 6.332, 'metric': 'centroid'}]
    >>> import tempfile, pathlib, pandas as pd
    >>> path = pairs_within(sites, 100, out=pathlib.Path(tempfile.mkdtemp()) / "pairs.parquet")
    >>> len(pd.read_parquet(path))
    3

    Notes
    -----
    **Centroid (points).** Points go to GRS80 earth-centred coordinates.
    Let ``c`` be the straight chord and ``s`` the geodesic between two
    points. Always ``c <= s``. A geodesic's curvature in space is the
    surface's normal curvature along it, at most ``1/R`` with
    ``R = a (1 - e²) = 6 335 439 m``, so by Schur's comparison theorem
    ``c >= 2 R sin(s / 2R)``, i.e. ``s <= 2 R asin(c / 2R)`` (relative gap
    ``c² / 24R²``: 2.6e-6 at 50 km). A k-d tree, in blocks, returns every
    pair whose chord is ``<= limit + 1 µm``, so no pair is missed; it works
    on the earth-centred points projected orthogonally onto the tangent
    plane at the data's centre, which never lengthens a distance (the 3-D
    points themselves for data spread over more than 30°). Chords with
    ``2 R asin(c / 2R) <= limit - 1 µm`` are accepted outright; chords over
    ``limit + 1 µm`` are dropped; the rest (a band 1 mm wide at 10 km,
    0.13 m at 50 km) are decided by :meth:`pyproj.Geod.inv`, whose value is
    reported. The 1 µm allowances cover the float rounding of chords
    (measured below 1e-8 m).

    ``distance_km`` of an accepted pair comes from its chord. Up to 3.5 km it
    is ``c + c³ k²/24`` with ``k²`` the middle of the range of GRS80's squared
    normal curvature, ``[b²/a⁴, a²/b⁴]`` (error at most
    ``c³ (a²/b⁴ - b²/a⁴) / 48``, 0.44 µm). Longer chords use the arc-from-chord series
    ``s = c (1 + (k c)²/24 + 3 (k c)⁴/640)`` with ``k`` the normal curvature
    at the chord's midpoint in its direction, ``cos²α/M + sin²α/N``. With ``k``
    taken at the midpoint, the error is of fifth order in ``s`` (terms in
    ``k k'' s⁵`` and ``k⁴ s⁵``), about ``1e-32 s⁵`` metres: 0.1 µm at
    100 km. Validated against :meth:`pyproj.Geod.inv` on 8 million random
    pairs worldwide and in South Korea (``tests/test_scale.py`` repeats a
    sample): the largest difference is 9 nm up to 50 km and 0.26 µm up to
    100 km; the stated bound is 1 µm. Chords over 100 km use
    :meth:`pyproj.Geod.inv` for the value too.

    **Boundary (footprints).** A shapely STRtree over the footprints' own
    lon/lat outlines returns every pair whose boxes come within the degrees a
    curve of the limit's length can span (``L / (a (1 - e²))`` of latitude,
    ``L / (a cos φ_max)`` of longitude, plus 1e-6°). Block by block, the
    footprints involved are segmentized and projected to EPSG:5179 exactly as
    :class:`~sandan_geo.measure.BoundaryMetric` does, candidates whose planar
    gap exceeds ``limit · k_max + 1 m`` are dropped (``k_max`` is the
    projection's largest scale factor over the data; EPSG:5179 is conformal,
    so a planar gap is at most ``k_max`` times the geodesic), and each
    remaining pair is measured step for step as BoundaryMetric measures it
    (intersection, planar shortest line, back-projection, vertex snapping,
    Geod.inv). Pairs within 1 mm of the limit are measured again by the metric's own
    code, so value and decision are BoundaryMetric's.

    See Also
    --------
    pairs_to_graph : the pairs as a networkx graph.
    candidates : the sites within reach of one hub.
    """
    limit_km = _check_km(km)
    name = _metric_name(metric)
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise InputError(
            f"chunk_size is {chunk_size!r}", field="chunk_size", hint="give a positive integer"
        )
    target: Path | None = None
    if out is not None:
        target = Path(out)
        if target.suffix.lower() != ".parquet":
            raise InputError(
                f"out is '{target}', not a .parquet file",
                field="out",
                hint="give a path ending .parquet, or leave out unset for a DataFrame",
            )
    table = _table(sites)
    limit_m = km_to_m(limit_km)
    engine = "points" if name == "centroid" or table.all_points else "footprints"
    chunks = _engine_chunks(table, name, engine, limit_m, chunk_size, progress)
    meta = {"km": limit_km, "metric": name, "n_sites": len(table.keys)}
    if target is not None:
        return _write_parquet(target, chunks, table.keys, meta)
    return _assemble(chunks, table.keys, meta)


def _engine_chunks(
    table: _Table,
    metric: str,
    engine: str,
    limit_m: float,
    chunk_size: int | None,
    progress: bool | None,
) -> Iterator[Chunk]:
    """The pairs of ``table`` from one engine: ``"points"`` or ``"footprints"``.

    The footprint engine measures points as BoundaryMetric does (Geod.inv
    between them), the point engine from chords (within 1 µm of it), so a
    caller that splits a site set must use one engine for all the parts.
    """
    if engine == "points":
        lon, lat = _point_lonlat(table, metric)
        lo_block, hi_block = _POINT_BLOCK
        block = chunk_size or min(hi_block, max(lo_block, len(lon) // 16))
        return _point_chunks(lon, lat, limit_m, block, progress)
    return _boundary_chunks(table, limit_m, chunk_size or _FOOTPRINT_BLOCK, progress)


def _point_lonlat(table: _Table, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The lon/lat the point engine measures: centroids, or the (point) footprints."""
    if metric == "centroid":
        return table.lon, table.lat
    return shapely.get_x(table.footprints), shapely.get_y(table.footprints)


def _assemble(chunks: Iterator[Chunk], keys: pd.Index, meta: Mapping[str, Any]) -> pd.DataFrame:
    dtype = _codes_dtype(len(keys))
    col_a, col_b, col_d = _Column(dtype), _Column(dtype), _Column(np.float64)
    for i, j, d in chunks:
        col_a.extend(i)
        col_b.extend(j)
        col_d.extend(d)
    dist = col_d.finish()
    dist /= 1000.0
    cat = pd.CategoricalDtype(keys)  # keys are known unique; their Index caches that
    a = pd.Categorical.from_codes(col_a.finish(), dtype=cat, validate=False)
    b = pd.Categorical.from_codes(col_b.finish(), dtype=cat, validate=False)
    metric = pd.Categorical.from_codes(
        np.zeros(len(dist), dtype=np.int8),
        dtype=pd.CategoricalDtype([meta["metric"]]),
        validate=False,
    )
    df = pd.DataFrame({"a": a, "b": b, "distance_km": dist, "metric": metric}, copy=False)
    df.attrs.update(meta)
    return df


def _write_parquet(
    path: Path, chunks: Iterator[Chunk], keys: pd.Index, meta: Mapping[str, Any]
) -> Path:
    pa = _require("pyarrow", "pyarrow")
    pq = _require("pyarrow.parquet", "pyarrow")
    pc = _require("pyarrow.compute", "pyarrow")
    schema = pa.schema(
        [
            ("a", pa.string()),
            ("b", pa.string()),
            ("distance_km", pa.float64()),
            ("metric", pa.string()),
        ],
        metadata={b"sandan_geo": json.dumps(dict(meta)).encode()},
    )
    names = pa.array(keys.to_numpy(dtype=object), type=pa.string())
    metric = pa.array([meta["metric"]], type=pa.string())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    buffer: list[Any] = []
    rows = 0

    def flush(writer: Any) -> None:
        nonlocal rows
        if buffer:
            writer.write_table(pa.concat_tables(buffer))
            buffer.clear()
            rows = 0

    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for i, j, d in chunks:
                n = len(i)
                buffer.append(
                    pa.Table.from_arrays(
                        [
                            pc.take(names, pa.array(i)),
                            pc.take(names, pa.array(j)),
                            pa.array(d / 1000.0),
                            pc.take(metric, pa.array(np.zeros(n, dtype=np.int8))),
                        ],
                        schema=schema,
                    )
                )
                rows += n
                if rows >= _ROW_GROUP_ROWS:
                    flush(writer)
            flush(writer)
        os.replace(tmp, path)
    except OSError as err:
        raise OutputError(f"cannot write '{path}' ({err.strerror or err})") from err
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


# --------------------------------------------------------------------------- graph


def pairs_to_graph(df: pd.DataFrame, *, nodes: Iterable[str] | None = None) -> nx.Graph:
    """Turn a table of pairs into an undirected graph.

    Parameters
    ----------
    df
        Pairs with columns ``a``, ``b``, ``distance_km`` and ``metric``, as
        returned by :func:`pairs_within` (or read back from its Parquet file).
    nodes
        Site keys to include even when they have no pair (isolated nodes).

    Returns
    -------
    networkx.Graph
        One node per site key, one edge per pair with attributes
        ``distance_km`` (float) and ``metric`` (str). ``G.graph`` holds the
        frame's ``attrs`` (``km``, ``metric``, ``n_sites``) when present.

    Raises
    ------
    SchemaError
        A required column is missing.

    Examples
    --------
    >>> import networkx as nx
    >>> from sandan_geo.model import Site
    >>> sites = [Site(key="a", name_ko="가", lon=128.50, lat=35.84),
    ...          Site(key="b", name_ko="나", lon=128.55, lat=35.88),
    ...          Site(key="c", name_ko="다", lon=129.30, lat=35.50)]
    >>> G = pairs_to_graph(pairs_within(sites, 7.5), nodes=["a", "b", "c"])
    >>> sorted(sorted(c) for c in nx.connected_components(G))
    [['a', 'b'], ['c']]
    >>> round(G.edges["a", "b"]["distance_km"], 3), G.edges["a", "b"]["metric"]
    (6.332, 'centroid')
    """
    missing = [c for c in PAIR_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(
            f"the pairs table lacks column(s) {', '.join(missing)}",
            hint="give the result of pairs_within (columns a, b, distance_km, metric)",
        )
    G = nx.Graph()
    G.graph.update({str(k): v for k, v in df.attrs.items()})
    if nodes is not None:
        G.add_nodes_from(str(n) for n in nodes)
    a = df["a"].astype(str).to_numpy()
    b = df["b"].astype(str).to_numpy()
    d = df["distance_km"].to_numpy(dtype=float)
    m = df["metric"].astype(str).to_numpy()
    G.add_edges_from(
        (u, v, {"distance_km": float(x), "metric": str(k)})
        for u, v, x, k in zip(a, b, d, m, strict=True)
    )
    return G


# --------------------------------------------------------------------------- candidates


def _site_items(sites: Any) -> list[tuple[str, Site]]:
    if isinstance(sites, Site):
        raise InputError("sites is a single Site", hint="give a list or a mapping of sites")
    if isinstance(sites, Mapping):
        items = [(str(k), s) for k, s in sites.items()]
    elif isinstance(sites, Iterable) and not isinstance(sites, str | bytes):
        items = [(getattr(s, "key", ""), s) for s in sites]
    else:
        raise InputError(
            f"sites is a {type(sites).__name__}",
            hint="give Site objects: a list or a mapping key -> Site",
        )
    if not items:
        raise InputError("no sites given", hint="give at least one Site besides the hub")
    problems = [
        f"item {n + 1} is a {type(s).__name__}, not a Site"
        for n, (_, s) in enumerate(items)
        if not isinstance(s, Site)
    ]
    problems.extend(_duplicate_problems([k for k, _ in items]))
    if problems:
        raise SchemaError(
            problems[0], hint="give each Site once, under its own key", problems=problems
        )
    return items


def _industries(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        text = str(v).strip()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def _distance_rules(spec: Any) -> tuple[Rule, ...]:
    return tuple(r for r in parse_rules(spec) if r.type in ("max_distance", "max_travel_time"))


def candidates(
    hub: Site,
    sites: Iterable[Site] | Mapping[str, Site],
    max_km: float,
    *,
    metric: str | Metric = "boundary",
    industries: Iterable[str] | None = None,
    plan: Plan | None = None,
    rules: Any = None,
) -> pd.DataFrame:
    """Rank the sites within ``max_km`` of a hub, nearest first.

    A shortlist for a planner: which complexes and zones could join the hub's
    plan as linked sites, how far each is, and what industries it shares with
    the hub.

    Parameters
    ----------
    hub
        The hub site. It is never its own candidate.
    sites
        Sites to consider (a sequence, or a mapping whose keys are used as
        the site keys).
    max_km
        Reach in kilometres, > 0; a site at exactly ``max_km`` is included.
    metric
        ``"boundary"`` (default, as in the rule presets), ``"centroid"``, or
        any metric name or object (e.g. a road metric): the built-in two are
        computed in bulk, others site by site.
    industries
        Industries to match against; default: the hub's industries in
        ``plan`` (when given), else the hub site's own.
    plan
        A plan whose hub is ``hub``: adds the column ``keeps_rules`` and
        leaves out sites already in the plan.
    rules
        Rules for ``keeps_rules`` (a preset name, rules or rule mappings, as
        for :func:`~sandan_geo.check_plan`); default: the plan's own.

    Returns
    -------
    pandas.DataFrame
        One row per site within reach, sorted by ``distance_km`` then ``key``,
        with columns ``key``, ``name_ko``, ``kind`` (``Kind`` value or
        ``None``), ``distance_km``, ``metric`` (the metric's name),
        ``shared_industries`` (tuple, in the order of the reference list),
        ``affinity`` and, with ``plan``, ``keeps_rules`` (bool).

        ``affinity`` is the Jaccard index of the two industry sets,
        ``|shared| / |reference ∪ site's|``, from 0 (nothing in common, or
        no industries known) to 1 (the same industries); names are compared
        exactly after trimming spaces.

        ``keeps_rules`` tells whether the plan, with the site added as a
        linked complex (a linked zone when its kind is ``zone``), still
        passes its distance rules (``max_distance`` and
        ``max_travel_time``), checked with :func:`~sandan_geo.check_plan`.
        Only the distance rules are evaluated: a candidate has no value-chain
        link yet, so it could not satisfy ``value_chain_connected``. A plan
        that already fails a distance rule gives ``False`` for every site;
        a rule set without distance rules gives ``True``.

    Raises
    ------
    RuleError
        ``max_km`` is not a positive number, the metric is unknown, the plan
        states no rule and none are given, or ``rules`` without ``plan``.
    InputError
        No sites, duplicate keys, or ``hub`` is not the hub of ``plan``.

    Examples
    --------
    >>> from sandan_geo import builtin_sites, load_plan
    >>> sites = builtin_sites()
    >>> df = candidates(sites["seongseo"], sites, 20)
    >>> df[["key", "kind", "distance_km", "metric"]].round(1).head(2).to_dict("records")
    [{'key': 'seodaegu', 'kind': 'general', 'distance_km': 3.1, 'metric': 'boundary'}, {'key': 'daegu3', 'kind': 'general', 'distance_km': 7.1, 'metric': 'boundary'}]
    >>> plan = load_plan("daegu-2020")
    >>> ranked = candidates(plan.hub.site, sites, 20, plan=plan)
    >>> "seodaegu" in set(ranked.key), bool((ranked.keeps_rules == (ranked.distance_km <= 7.5)).all())
    (False, True)
    """
    limit_km = _check_km(max_km, "max_km")
    metric_obj = get_metric(metric)
    if not isinstance(hub, Site):
        raise InputError(f"hub is a {type(hub).__name__}, not a Site", hint="give a Site")
    if rules is not None and plan is None:
        raise RuleError("rules are given without a plan", hint="pass plan=... to get keeps_rules")
    items = _site_items(sites)
    exclude = {hub.key}
    reference: tuple[str, ...]
    checker: Callable[[Site], bool] | None = None
    if plan is not None:
        if plan.hub.key != hub.key:
            raise InputError(
                f"hub '{hub.key}' is not the hub of plan '{plan.id}' (its hub is '{plan.hub.key}')",
                hint="pass plan.hub.site as the hub",
            )
        exclude |= {m.key for m in plan.sites}
        checker = _rule_checker(plan, rules)
        reference = _industries(plan.hub.industries)
    else:
        reference = _industries(hub.industries)
    if industries is not None:
        if isinstance(industries, str):
            industries = [industries]
        reference = _industries(industries)
    pool = [(k, s) for k, s in items if k not in exclude]
    dist_m = _distances_from(hub, [s for _, s in pool], metric_obj, km_to_m(limit_km))
    ref = set(reference)
    rows = []
    for (key, site), d in zip(pool, dist_m, strict=True):
        if d is None or d > km_to_m(limit_km):
            continue
        own = set(_industries(site.industries))
        shared = tuple(x for x in reference if x in own)
        union = ref | own
        row: dict[str, Any] = {
            "key": key,
            "name_ko": site.name_ko,
            "kind": site.kind.value if site.kind else None,
            "distance_km": m_to_km(d),
            "metric": metric_obj.name,
            "shared_industries": shared,
            "affinity": len(shared) / len(union) if union else 0.0,
        }
        if checker is not None:
            row["keeps_rules"] = checker(site if site.key == key else site.renamed(key))
        rows.append(row)
    columns = list(CANDIDATE_COLUMNS) + (["keeps_rules"] if checker is not None else [])
    df = pd.DataFrame(rows, columns=columns)
    df = df.sort_values(["distance_km", "key"], kind="stable").reset_index(drop=True)
    df.attrs.update({"hub": hub.key, "max_km": limit_km, "metric": metric_obj.name})
    return df


def _rule_checker(plan: Plan, rules: Any) -> Callable[[Site], bool]:
    spec = rules if rules is not None else plan.rules
    if spec is None:
        raise RuleError(
            f"plan '{plan.id}' states no rule",
            hint="pass rules=... (e.g. 'daegu') to get keeps_rules",
        )
    distance_rules = _distance_rules(spec)

    def keeps(site: Site) -> bool:
        if not distance_rules:
            return True
        role = Role.LINKED_ZONE if site.kind is Kind.ZONE else Role.LINKED_COMPLEX
        extended = replace(plan, sites=(*plan.sites, PlanSite(site, role)))
        return check_plan(extended, list(distance_rules)).passed

    return keeps


def _distances_from(
    hub: Site, sites: Sequence[Site], metric: Metric, limit_m: float
) -> list[float | None]:
    """Distance (m) from the hub to each site; ``None`` where surely beyond ``limit_m``."""
    if not sites:
        return []
    if isinstance(metric, CentroidMetric):
        n = len(sites)
        _, _, d = GEOD.inv(
            np.full(n, hub.lon),
            np.full(n, hub.lat),
            np.array([s.lon for s in sites], dtype=float),
            np.array([s.lat for s in sites], dtype=float),
        )
        return [float(x) for x in d]
    if isinstance(metric, BoundaryMetric):
        footprints = np.empty(len(sites) + 1, dtype=object)
        footprints[:] = [hub.footprint, *(s.footprint for s in sites)]
        planar = _planar_footprints(footprints)
        reach = limit_m * _planar_scale_max(shapely.total_bounds(footprints), limit_m) + 1.0
        gap = shapely.distance(planar[0], planar[1:])
        near = np.flatnonzero(gap <= reach) + 1
        values = _boundary_values(
            footprints, planar, _Snapper(footprints), np.zeros(len(near), dtype=np.intp), near
        )
        out: list[float | None] = [None] * len(sites)
        for n, v in zip(near.tolist(), values.tolist(), strict=True):
            if abs(v - limit_m) <= _RECHECK_M:
                v = metric.distance(hub, sites[n - 1]).value_m
            out[n - 1] = v
        return out
    return [metric.distance(hub, s).value_m for s in sites]
