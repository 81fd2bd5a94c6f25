"""Sites, in any form the pair search accepts, checked and flattened into arrays.

:func:`site_table` takes Site objects (a sequence or a mapping key -> Site)
or a GeoDataFrame with a ``key`` column, reports every problem it finds, and
returns a :class:`SiteTable`: keys, lon/lat and footprints as arrays, in input
order.

Examples
--------
>>> from sandan_geo.model import Site
>>> t = site_table([Site(key="a", name_ko="가", lon=128.5, lat=35.84)])
>>> list(t.keys), t.lon.tolist(), t.all_points
(['a'], [128.5], True)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
import shapely

from .crs import STORAGE_CRS
from .errors import GeometryError, InputError, SandanGeoWarning, SchemaError
from .model import Site

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "SiteTable",
    "SitesInput",
    "duplicate_key_problems",
    "site_table",
    "site_table_from_frame",
]

SitesInput: TypeAlias = "Iterable[Site] | Mapping[str, Site] | gpd.GeoDataFrame"
"""What the pair search accepts as sites."""


@dataclass(frozen=True)
class SiteTable:
    """Sites flattened into arrays, in input order."""

    keys: pd.Index
    lon: np.ndarray
    lat: np.ndarray
    footprints: np.ndarray  # object array of lon/lat shapely geometries
    approximate: np.ndarray  # bool: the footprint is not an official outline

    @property
    def all_points(self) -> bool:
        """Every footprint is a single point."""
        return bool(np.all(shapely.get_type_id(self.footprints) == 0))

    def point_lonlat(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """The lon/lat the point engine measures: centroids, or the (point) footprints."""
        if metric == "centroid":
            return self.lon, self.lat
        return shapely.get_x(self.footprints), shapely.get_y(self.footprints)


def _is_geodataframe(obj: Any) -> bool:
    gpd = sys.modules.get("geopandas")
    return gpd is not None and isinstance(obj, gpd.GeoDataFrame)


def site_table(sites: Any) -> SiteTable:
    """Validate any accepted form of ``sites`` (:data:`SitesInput`) and flatten it.

    Raises
    ------
    InputError
        No sites, or not a collection of sites.
    SchemaError
        Duplicate keys, an item that is not a Site, a frame without ``key``.
    GeometryError
        A site without a valid lon/lat or geometry.
    """
    if _is_geodataframe(sites):
        return site_table_from_frame(sites)
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
    problems.extend(duplicate_key_problems(keys))
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
    return SiteTable(
        keys=pd.Index(keys, dtype=object),
        lon=np.array([s.lon for s in chosen], dtype=float),
        lat=np.array([s.lat for s in chosen], dtype=float),
        footprints=footprints,
        approximate=np.array([s.footprint_approximate for s in chosen], dtype=bool),
    )


def _finite_lonlat(lon: float, lat: float) -> bool:
    return bool(math.isfinite(lon) and math.isfinite(lat) and -90 <= lat <= 90)


def duplicate_key_problems(keys: Sequence[str] | pd.Index) -> list[str]:
    """One message per key used more than once, e.g. ``site key 'a' is used 2 times``."""
    index = keys if isinstance(keys, pd.Index) else pd.Index(list(keys), dtype=object)
    if index.is_unique:
        return []
    counts = index.value_counts(sort=False)
    dupes = counts[counts > 1]
    return [f"site key '{k}' is used {int(n)} times" for k, n in dupes.items()]


def site_table_from_frame(frame: gpd.GeoDataFrame) -> SiteTable:
    """Validate a GeoDataFrame of sites (a ``key`` column, any CRS) and flatten it."""
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
    problems = duplicate_key_problems(keys)
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
    return SiteTable(
        keys=keys,
        lon=np.asarray(lon, dtype=float),
        lat=np.asarray(lat, dtype=float),
        footprints=geoms,
        approximate=np.zeros(len(keys), dtype=bool),
    )
