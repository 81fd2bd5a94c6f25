"""Every pair of sites within a distance, exact on the GRS80 geodesic.

:func:`pairs_within` finds every pair of sites within a distance, for
thousands to millions of sites; :func:`pairs_to_graph` turns the pairs into a
graph. Two engines do the work: one for points (earth-centred chords, a k-d
tree, :mod:`sandan_geo.geodesy`), one for footprints (an STRtree and
:class:`sandan_geo.measure.Outlines`, the boundary metric vectorised).

Decisions are exact: a pair is returned if and only if its distance under the
named metric (``centroid`` or ``boundary``, as in :mod:`sandan_geo.measure`)
is at most the limit, limit included. "Exact" means agreement with the
reference computation on every pair: :meth:`pyproj.Geod.inv` on GRS80 for
``centroid``, :class:`~sandan_geo.measure.BoundaryMetric` for ``boundary``.

How the point search stays exact (see Notes of :func:`pairs_within` and
docs/benchmarks.md): a k-d tree finds every chord within the limit (so no
pair is missed); chords short enough that even the longest possible geodesic
is within the limit are accepted outright; the few in the thin band between
are decided by :meth:`pyproj.Geod.inv` itself.

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
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias, overload

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ._io import parquet_target, replaced_atomically
from ._optional import require
from .columns import Column
from .crs import GEOD, km_to_m
from .errors import InputError, RuleError, SchemaError
from .geodesy import (
    SERIES_MAX_M,
    SHORT_CHORD_M,
    SLACK_M,
    chord_accept_m,
    ecef,
    geodesic_from_chord,
    geodesic_short,
    lonlat_reach,
    planar_reach_m,
)
from .limits import check_limit_km
from .measure import (
    DEFAULT_METRIC,
    BoundaryMetric,
    CentroidMetric,
    Metric,
    Outlines,
    boundary_gap_m,
)
from .road import RoadMetric
from .roadmatrix import road_matrix
from .sitetable import SitesInput, SiteTable, site_table

__all__ = [
    "PAIR_COLUMNS",
    "RECHECK_M",
    "ROW_GROUP_ROWS",
    "Chunk",
    "boundary_gaps_m",
    "checked_max_km",
    "engine_chunks",
    "pair_metric_name",
    "pairs_to_graph",
    "pairs_within",
]

PAIR_COLUMNS: tuple[str, ...] = ("a", "b", "distance_km", "metric")
"""Columns of :func:`pairs_within`'s result, in order."""

RECHECK_M = 1e-3
"""Boundary pairs this close to the limit are re-measured by BoundaryMetric's own scalar path."""

ROW_GROUP_ROWS = 1 << 20
"""Rows per Parquet row group when :func:`pairs_within` streams to a file."""

_POINT_BLOCK = (4_096, 16_384)  # default sites per block, points: N/16 within these
_LINE_BATCH = 8_192  # candidate footprint pairs whose shortest lines exist at once
_FOOTPRINT_BLOCK = 512  # default sites per block, footprints (their candidates weigh more)
_BATCH_PAIRS = 1 << 12  # candidate pairs refined at once: temporaries stay in the CPU cache
_METRIC_NAMES = ("boundary", "centroid")

Chunk: TypeAlias = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(i, j, distance_m): input indices with i < j, and the distance in metres."""


# --------------------------------------------------------------------------- arguments


def checked_max_km(max_km: Any, km: Any = None, *, caller: str) -> float:
    """The distance limit of a pair search, checked: kilometres, > 0 and at most 600.

    ``km`` is the limit's name before ``max_km``: accepted for one release,
    with a ``FutureWarning`` pointing at the caller's line (``max_km`` wins
    when both are given). numpy scalars are taken as the numbers they hold.

    Raises
    ------
    RuleError
        Not a positive number of kilometres (see :func:`sandan_geo.limits.check_limit_km`).

    Examples
    --------
    >>> checked_max_km(7.5, caller="pairs_within")
    7.5
    """
    if km is not None:
        warnings.warn(
            f"{caller}(km=...) is deprecated; use max_km=...", FutureWarning, stacklevel=3
        )
        if max_km is None:
            max_km = km
    if isinstance(max_km, np.generic):
        max_km = max_km.item()
    return check_limit_km(max_km, "max_km")


def pair_metric_name(metric: Any) -> str:
    """Return ``"centroid"`` or ``"boundary"``, the metrics the pair search computes in bulk.

    Raises
    ------
    RuleError
        Any other metric (e.g. road), with a hint to measure it pair by pair.

    Examples
    --------
    >>> pair_metric_name(BoundaryMetric()), pair_metric_name("centroid")
    ('boundary', 'centroid')
    """
    if isinstance(metric, CentroidMetric | BoundaryMetric):
        return metric.name
    if isinstance(metric, str) and metric in _METRIC_NAMES:
        return metric
    shown = metric if isinstance(metric, str) else getattr(metric, "name", metric)
    raise RuleError(
        f"unknown metric {shown!r} for a pair search",
        field="metric",
        hint="use 'centroid', 'boundary' or a RoadMetric object; measure other metrics "
        "pair by pair with sandan_geo.measure",
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


# --------------------------------------------------------------------------- point engine


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
    spatial = require("scipy.spatial", "scipy", extra="scale")
    X = ecef(lon, lat)
    basis = _search_basis(X)
    order, ranges = _kd_order(X @ basis, chunk_size)
    cols = (X[order, 0], X[order, 1], X[order, 2])
    del X
    perm = order.astype(_codes_dtype(len(lon)))  # block position -> input index, as codes
    del order
    reach = limit_m + SLACK_M
    accept = chord_accept_m(limit_m)

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
    dist = geodesic_short(c)
    if not top <= SHORT_CHORD_M:  # (a NaN takes the careful paths too)
        is_long = (c > SHORT_CHORD_M) & (c <= reach)
        long = np.flatnonzero(is_long)
        if len(long):
            pa, pb = ia[long], ib[long]
            dist[long] = geodesic_from_chord(x[pa], y[pa], z[pa], x[pb], y[pb], z[pb])[1]
    a = perm[ia]
    b = perm[ib]
    lo = np.minimum(a, b)
    np.maximum(a, b, out=b)
    a = lo
    sure = min(accept, SERIES_MAX_M)  # chords up to this are in, with the value above
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


def boundary_gaps_m(
    outlines: Outlines,
    i: np.ndarray,
    j: np.ndarray,
    limit_m: float,
    lines: np.ndarray | None = None,
) -> np.ndarray:
    """BoundaryMetric's value (m) for the pairs ``(i, j)`` of ``outlines``.

    Computed in bulk by :meth:`~sandan_geo.measure.Outlines.gaps_m`; pairs
    within :data:`RECHECK_M` of ``limit_m`` are measured again by
    :func:`~sandan_geo.measure.boundary_gap_m` (which also repairs invalid
    outlines), so value and decision there are BoundaryMetric's own.
    """
    dist = outlines.gaps_m(i, j, lines)
    for n in np.flatnonzero(np.abs(dist - limit_m) <= RECHECK_M):
        dist[n] = boundary_gap_m(outlines.footprints[i[n]], outlines.footprints[j[n]])
    return dist


def _boundary_chunks(
    table: SiteTable, limit_m: float, chunk_size: int, show: bool | None
) -> Iterator[Chunk]:
    """Yield every pair whose boundary gap is within ``limit_m`` (inclusive).

    Candidates come from an STRtree over the input outlines themselves (no
    copies), with each site's lon/lat box widened by :func:`lonlat_reach`;
    only the footprints a block needs are segmentized and projected, then
    dropped, so memory does not grow with a projected copy of every outline.
    """
    footprints = table.footprints
    box = shapely.bounds(footprints)  # lon/lat, widened by the reach below
    total = (box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max())
    reach = planar_reach_m(total, limit_m)
    dlat, dlon = lonlat_reach(total, limit_m)
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
                outlines = Outlines(footprints[need])
                # Shortest lines are GEOS objects: made a batch of candidates at a time.
                for k in range(0, len(i), _LINE_BATCH):
                    li = back[k : min(k + _LINE_BATCH, len(i))]
                    lj = back[len(i) + k : len(i) + min(k + _LINE_BATCH, len(i))]
                    lines = shapely.shortest_line(outlines.planar[li], outlines.planar[lj])
                    close = np.flatnonzero(shapely.length(lines) <= reach)
                    if not len(close):
                        continue
                    li, lj, lines = li[close], lj[close], lines[close]
                    dist = boundary_gaps_m(outlines, li, lj, limit_m, lines)
                    del lines
                    ok = dist <= limit_m
                    yield need[li[ok]], need[lj[ok]], dist[ok]
            advance(1)


@overload
def pairs_within(
    sites: SitesInput,
    max_km: float | None = ...,
    *,
    km: float | None = ...,
    metric: str | Metric = ...,
    out: None = ...,
    chunk_size: int | None = ...,
    progress: bool | None = ...,
) -> pd.DataFrame: ...


@overload
def pairs_within(
    sites: SitesInput,
    max_km: float | None = ...,
    *,
    km: float | None = ...,
    metric: str | Metric = ...,
    out: str | os.PathLike[str],
    chunk_size: int | None = ...,
    progress: bool | None = ...,
) -> Path: ...


def pairs_within(
    sites: SitesInput,
    max_km: float | None = None,
    *,
    km: float | None = None,
    metric: str | Metric = DEFAULT_METRIC,
    out: str | os.PathLike[str] | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | Path:
    """Find every pair of sites within ``max_km`` of each other under a named metric.

    Each unordered pair appears once, ``a`` before ``b`` in input order. A pair
    is included if and only if its distance is at most ``max_km`` (limit
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
    max_km
        The limit in kilometres, > 0 (and at most 600).
    km
        Deprecated name of ``max_km``, accepted for one release with a
        ``FutureWarning``.
    metric
        ``"boundary"`` (default, :data:`~sandan_geo.measure.DEFAULT_METRIC`:
        the gap between footprints; for sites without outlines this is the
        geodesic between their points) or ``"centroid"`` (geodesic between
        representative points).
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
        ``max_km`` is not a positive number of kilometres, or the metric is not
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
    >>> df = pairs_within(sites, 7.5, metric="centroid")
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
    limit_km = checked_max_km(max_km, km, caller="pairs_within")
    if isinstance(metric, RoadMetric):
        return _road_pairs(sites, limit_km, metric, out, progress)
    name = pair_metric_name(metric)
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise InputError(
            f"chunk_size is {chunk_size!r}", field="chunk_size", hint="give a positive integer"
        )
    target = parquet_target(out)
    table = site_table(sites)
    limit_m = km_to_m(limit_km)
    engine = "points" if name == "centroid" or table.all_points else "footprints"
    chunks = engine_chunks(table, name, engine, limit_m, chunk_size, progress)
    meta = {"km": limit_km, "metric": name, "n_sites": len(table.keys)}
    if target is not None:
        return _write_parquet(target, chunks, table.keys, meta)
    return _assemble(chunks, table.keys, meta)


def engine_chunks(
    table: SiteTable,
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
        lon, lat = table.point_lonlat(metric)
        lo_block, hi_block = _POINT_BLOCK
        block = chunk_size or min(hi_block, max(lo_block, len(lon) // 16))
        return _point_chunks(lon, lat, limit_m, block, progress)
    return _boundary_chunks(table, limit_m, chunk_size or _FOOTPRINT_BLOCK, progress)


def _assemble(chunks: Iterator[Chunk], keys: pd.Index, meta: Mapping[str, Any]) -> pd.DataFrame:
    dtype = _codes_dtype(len(keys))
    col_a, col_b, col_d = Column(dtype), Column(dtype), Column(np.float64)
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
    pa = require("pyarrow", "pyarrow", extra="scale")
    pq = require("pyarrow.parquet", "pyarrow", extra="scale")
    pc = require("pyarrow.compute", "pyarrow", extra="scale")
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
    buffer: list[Any] = []
    rows = 0

    def flush(writer: Any) -> None:
        nonlocal rows
        if buffer:
            writer.write_table(pa.concat_tables(buffer))
            buffer.clear()
            rows = 0

    with replaced_atomically(path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
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
            if rows >= ROW_GROUP_ROWS:
                flush(writer)
        flush(writer)
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
    >>> G = pairs_to_graph(pairs_within(sites, 7.5, metric="centroid"), nodes=["a", "b", "c"])
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


def _road_pairs(
    sites: SitesInput,
    limit_km: float,
    metric: RoadMetric,
    out: str | os.PathLike[str] | None,
    progress: bool | None,
) -> pd.DataFrame | Path:
    """:func:`pairs_within` by road: each unordered pair once, both directions' distances.

    Road distances differ by direction on one-way roads, so a pair is kept when either
    direction is within the limit; ``distance_km`` is ``a → b`` and
    ``distance_back_km`` is ``b → a`` (NaN beyond the limit or without a path).
    """
    target = parquet_target(out)
    if isinstance(sites, Mapping):
        site_list = list(sites.values())
    elif isinstance(sites, pd.DataFrame):
        raise InputError(
            "a road pair search takes Site objects, not a GeoDataFrame",
            field="sites",
            hint="read the sites with sandan_geo.load_sites, or pass a list of Sites",
        )
    else:
        site_list = list(sites)
    ordered = road_matrix(site_list, metric, max_km=limit_km, progress=progress)
    assert isinstance(ordered, pd.DataFrame)
    keys = [s.key for s in site_list]
    rank = {k: i for i, k in enumerate(keys)}
    there: dict[tuple[str, str], float] = {}
    for a, b, d in zip(ordered["a"], ordered["b"], ordered["network_km"], strict=True):
        there[a, b] = float(d)
    pairs = sorted(
        {(a, b) if rank[a] < rank[b] else (b, a) for a, b in there},
        key=lambda p: (rank[p[0]], rank[p[1]]),
    )
    cat = pd.CategoricalDtype(keys)
    frame = pd.DataFrame(
        {
            "a": pd.Categorical([a for a, _ in pairs], dtype=cat),
            "b": pd.Categorical([b for _, b in pairs], dtype=cat),
            "distance_km": [there.get((a, b), math.nan) for a, b in pairs],
            "distance_back_km": [there.get((b, a), math.nan) for a, b in pairs],
            "metric": pd.Categorical([metric.name] * len(pairs)),
        }
    )
    frame.attrs.update({"km": limit_km, "metric": metric.name, "n_sites": len(keys)})
    if target is None:
        return frame
    with replaced_atomically(target) as tmp:
        frame.astype({"a": str, "b": str, "metric": str}).to_parquet(tmp, index=False)
    return target
