"""Pair searches over site sets partitioned across a dask cluster.

:func:`pairs_within_dask` runs :func:`sandan_geo.pairs_within` on a
`dask-geopandas <https://dask-geopandas.readthedocs.io>`_ GeoDataFrame, one
strip of sites at a time, and gives the same pairs with the same distances,
to the last bit. Reach for it when the sites, or their pairs, outgrow one
machine, or when a cluster is at hand; on one machine the plain
:func:`~sandan_geo.pairs_within` is faster (``docs/benchmarks.md``
measures by how much), and its ``out=`` option already streams a result
larger than memory to Parquet.

How the split stays exact. Every site gets an interval on one axis: for
points, the projection of its earth-centred (ECEF) position on a fixed unit
vector; for footprints, its x extent in EPSG:5179. A projection never
lengthens a distance, so two sites within the limit have intervals at most
``R`` apart, with ``R`` the limit (plus 1 µm) for points, and for footprints
the same planar reach the one-machine search uses (the limit times
EPSG:5179's largest scale factor over the data, plus 1 m). The axis is cut
into strips at quantiles of the interval starts. A site belongs to the strip
holding its interval's start; strip ``k`` is searched with every site whose
interval comes within ``R`` of it (widened by the widest interval), and keeps
the pairs whose earlier site (in input order) belongs to it. So every pair
is found in exactly one strip, with both its sites present, and each strip
measures it exactly as the one-machine search does. The engine (points or
footprints) is chosen once for the whole set, as the one-machine search
would choose it.

dask-geopandas' own ``sjoin(predicate="dwithin")`` is not used: in
dask-geopandas 0.5 it drops the ``distance`` argument.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from ._optional import require
from .crs import km_to_m
from .errors import InputError, SchemaError
from .geodesy import SLACK_M, ecef, planar_reach_m
from .measure import DEFAULT_METRIC, planar_outlines
from .pairs import PAIR_COLUMNS, checked_max_km, engine_chunks, pair_metric_name
from .sitetable import site_table_from_frame

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd
    import geopandas as gpd

__all__ = ["pairs_within_dask"]

_SAMPLE = 1_000
"""Interval starts each partition contributes to the choice of strip edges."""

_POS = "_sandan_geo_pos"  # global row number, carried with each site into its strips
_LO, _HI = "_sandan_geo_lo", "_sandan_geo_hi"  # its interval on the strip axis, metres
_OWN = "_sandan_geo_own"  # in a strip: the site starts there


def pairs_within_dask(
    sites: Any,
    max_km: float | None = None,
    *,
    km: float | None = None,
    metric: str = DEFAULT_METRIC,
    strips: int | None = None,
) -> dd.DataFrame:
    """Every pair of sites within ``max_km``, computed strip by strip on dask.

    The same pairs as :func:`sandan_geo.pairs_within` on the whole
    set, with the same ``distance_km`` to the last bit and ``a`` before
    ``b`` in input order (partition by partition, row by row); only the
    row order differs. Nothing is computed until the result is (the input
    is read twice: to size it and cut the strips, then to search).

    Parameters
    ----------
    sites
        A ``dask_geopandas.GeoDataFrame`` with a ``key`` column, or a
        ``geopandas.GeoDataFrame`` (split into ``strips`` partitions), as
        :func:`~sandan_geo.pairs_within` takes it.
    max_km
        The limit in kilometres, > 0 (and at most 600).
    km
        Deprecated name of ``max_km``, accepted for one release with a
        ``FutureWarning``.
    metric
        ``"boundary"`` (default, :data:`~sandan_geo.measure.DEFAULT_METRIC`)
        or ``"centroid"``.
    strips
        Strips to cut the sites into, one task each; by default the number
        of input partitions. More strips mean smaller tasks and more sites
        searched twice near the cuts.

    Returns
    -------
    dask.dataframe.DataFrame
        Columns ``a``, ``b`` (site keys, strings), ``distance_km`` and
        ``metric`` (categorical), one partition per strip. ``.compute()`` gives a pandas
        DataFrame; sort by ``["a", "b"]`` to compare with the one-machine
        result (whose ``a`` and ``b`` are categorical).

    Raises
    ------
    RuleError
        ``max_km`` or ``metric`` is not valid.
    InputError
        ``sites`` is not a GeoDataFrame; ``strips`` is not a positive integer.
    SchemaError
        No ``key`` column, or a key used twice (anywhere in the set).
    GeometryError
        A site without a valid lon/lat or geometry (raised when computed).
    MissingDependencyError
        dask-geopandas or scipy is not installed.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> frame = gpd.GeoDataFrame(
    ...     {"key": ["a", "b", "c"]},
    ...     geometry=shapely.points([128.50, 128.55, 129.30], [35.84, 35.88, 35.50]),
    ...     crs="EPSG:4326")
    >>> pairs = pairs_within_dask(frame, 7.5, metric="centroid", strips=2)
    >>> pairs.compute(scheduler="sync").round(3).to_dict("records")
    [{'a': 'a', 'b': 'b', 'distance_km': 6.332, 'metric': 'centroid'}]
    """
    dask = require("dask", "dask", extra="dask")
    dd_ = require("dask.dataframe", "dask", extra="dask")
    dgpd = require("dask_geopandas", "dask-geopandas", extra="dask")
    require("scipy.spatial", "scipy", extra="dask")
    limit_km = checked_max_km(max_km, km, caller="pairs_within_dask")
    name = pair_metric_name(metric)
    if strips is not None and (
        isinstance(strips, bool) or not isinstance(strips, int) or strips < 1
    ):
        raise InputError(f"strips is {strips!r}", field="strips", hint="give a positive integer")
    gpd = require("geopandas", "geopandas", extra="scale")
    if isinstance(sites, gpd.GeoDataFrame):
        sites = dgpd.from_geopandas(sites, npartitions=strips or 1, sort=False)
    if not isinstance(sites, dgpd.GeoDataFrame):
        raise InputError(
            f"sites is a {type(sites).__name__}",
            hint="give a dask_geopandas.GeoDataFrame (or a geopandas one) with a 'key' column",
        )
    if "key" not in sites.columns:
        raise SchemaError(
            "the GeoDataFrame has no 'key' column",
            field="key",
            hint="add one, e.g. ddf['key'] = ddf.index.astype(str)",
        )
    limit_m = km_to_m(limit_km)
    parts = sites.to_delayed()
    delayed = dask.delayed

    # Pass 1: sizes, extents, key hashes and a sample of positions, per partition.
    stats = dask.compute([delayed(_stats)(p, name) for p in parts])[0]
    n = sum(s["n"] for s in stats)
    if n == 0:
        raise InputError("no sites given", hint="give at least one site")
    hashes = np.concatenate([s["hashes"] for s in stats])
    if len(np.unique(hashes)) != n:  # a repeated key, or (rarely) two keys with one hash
        counts = sites["key"].astype(str).value_counts().compute()
        dupes = counts[counts > 1]
        if len(dupes):
            problems = [f"site key '{k}' is used {int(c)} times" for k, c in dupes.items()]
            raise SchemaError(
                problems[0], field="key", hint="give each row its own key", problems=problems
            )
    offsets = np.concatenate([[0], np.cumsum([s["n"] for s in stats])]).tolist()
    stats = [s for s in stats if s["n"]]  # empty partitions (after a filter) say nothing more
    all_points = all(s["all_points"] for s in stats)
    engine = "points" if name == "centroid" or all_points else "footprints"
    if engine == "points":
        lon0 = math.radians(sum(s["lon_sum"] for s in stats) / n)
        axis = np.array([-math.sin(lon0), math.cos(lon0), 0.0])  # east at the mean longitude
        reach = limit_m + SLACK_M
        lon = np.concatenate([s["lon"] for s in stats])
        lat = np.concatenate([s["lat"] for s in stats])
        starts = ecef(lon, lat) @ axis
        widest = 0.0
    else:
        axis = np.zeros(3)
        bounds = _union_bounds([s["bounds"] for s in stats])
        reach = planar_reach_m(bounds, limit_m)
        starts = np.concatenate([s["x0"] for s in stats])
        widest = max(s["widest"] for s in stats)
    count = strips or len(parts)
    cuts: Any = np.unique(np.quantile(starts, np.arange(1, count) / count)) if count > 1 else []
    edges = [-math.inf, *(float(c) for c in cuts), math.inf]

    # Pass 2, lazy: each partition's intervals once; one task per strip, fed by the
    # sites of every partition whose interval meets the strip's window.
    placed = [delayed(_place)(p, offsets[i], name, engine, axis) for i, p in enumerate(parts)]
    tasks = []
    for k in range(len(edges) - 1):
        lo, hi = edges[k], edges[k + 1]
        window = (lo - reach, hi + widest + reach)
        picked = [delayed(_select)(q, window, (lo, hi)) for q in placed]
        tasks.append(delayed(_strip_pairs)(picked, name, engine, limit_m))
    result: dd.DataFrame = dd_.from_delayed(tasks, meta=_empty(name), verify_meta=False)
    return result


def _stats(part: gpd.GeoDataFrame, metric: str) -> dict[str, Any]:
    """Size, extent, key hashes and a sample of interval starts of one partition."""
    if len(part) == 0:
        return {"n": 0, "all_points": True, "hashes": np.empty(0, dtype=np.uint64)}
    table = site_table_from_frame(part)
    step = max(1, len(table.keys) // _SAMPLE)
    out: dict[str, Any] = {
        "n": len(table.keys),
        "all_points": table.all_points,
        "hashes": pd.util.hash_array(table.keys.to_numpy(dtype=object)),
        "bounds": tuple(float(v) for v in shapely.total_bounds(table.footprints)),
        "lon_sum": float(np.sum(table.lon)),
    }
    if metric == "centroid" or table.all_points:
        lon, lat = table.point_lonlat(metric)
        out["lon"], out["lat"] = lon[::step], lat[::step]
    if metric == "boundary":
        box = shapely.bounds(planar_outlines(table.footprints))
        out["x0"] = np.sort(box[:, 0])[::step]
        out["widest"] = float(np.max(box[:, 2] - box[:, 0]))
    return out


def _union_bounds(boxes: Sequence[Any]) -> tuple[float, float, float, float]:
    arr = np.array(boxes, dtype=float)
    return (
        float(arr[:, 0].min()),
        float(arr[:, 1].min()),
        float(arr[:, 2].max()),
        float(arr[:, 3].max()),
    )


def _place(
    part: gpd.GeoDataFrame, offset: int, metric: str, engine: str, axis: np.ndarray
) -> gpd.GeoDataFrame:
    """The partition with each site's global row and its interval on the strip axis (m)."""
    out = part.copy()
    if len(part) == 0:
        out[_POS] = np.empty(0, dtype=np.int64)
        out[_LO] = out[_HI] = np.empty(0)
        return out
    table = site_table_from_frame(part)
    if engine == "points":
        p = ecef(*table.point_lonlat(metric)) @ axis
        lo, hi = p, p
    else:
        box = shapely.bounds(planar_outlines(table.footprints))
        lo, hi = box[:, 0], box[:, 2]
    out[_POS] = offset + np.arange(len(part))
    out[_LO] = lo
    out[_HI] = hi
    return out


def _select(
    placed: gpd.GeoDataFrame, window: tuple[float, float], own: tuple[float, float]
) -> gpd.GeoDataFrame:
    """The sites whose interval meets ``window``; ``_own`` marks those starting in ``own``."""
    lo = placed[_LO].to_numpy()
    hi = placed[_HI].to_numpy()
    rows = np.flatnonzero((lo <= window[1]) & (hi >= window[0]))
    out = placed.iloc[rows].copy()
    out[_OWN] = (lo[rows] >= own[0]) & (lo[rows] < own[1])
    return out


def _strip_pairs(
    picked: list[gpd.GeoDataFrame], metric: str, engine: str, limit_m: float
) -> pd.DataFrame:
    frames = [f for f in picked if len(f)]
    if not frames:
        return _empty(metric)
    local = pd.concat(frames).sort_values(_POS, kind="stable")
    own = local[_OWN].to_numpy()
    if not own.any():
        return _empty(metric)
    table = site_table_from_frame(local.drop(columns=[_POS, _LO, _HI, _OWN]))
    a_parts, b_parts, d_parts = [], [], []
    for i, j, d in engine_chunks(table, metric, engine, limit_m, None, False):
        keep = own[i]  # i is the earlier site: the pair belongs to i's strip
        a_parts.append(i[keep])
        b_parts.append(j[keep])
        d_parts.append(d[keep])
    if not a_parts:
        return _empty(metric)
    a = np.concatenate(a_parts)
    b = np.concatenate(b_parts)
    keys = pd.array(table.keys.array, dtype=str)
    return _frame(keys.take(a), keys.take(b), np.concatenate(d_parts) / 1000.0, metric)


def _frame(a: Any, b: Any, distance_km: np.ndarray, metric: str) -> pd.DataFrame:
    """The result's columns and dtypes, for a strip's pairs or for none (the dask meta)."""
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "distance_km": distance_km,
            "metric": pd.Categorical.from_codes(
                np.zeros(len(distance_km), dtype=np.int8), dtype=pd.CategoricalDtype([metric])
            ),
        },
        columns=list(PAIR_COLUMNS),
    )


def _empty(metric: str) -> pd.DataFrame:
    none = pd.array([], dtype=str)
    return _frame(none, none, np.empty(0), metric)
