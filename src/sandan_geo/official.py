"""Official boundary layers: attach real outlines to a plan's sites, or read them as sites.

The national industrial-complex boundary layer of 산업입지정보시스템 (``DAM_DAN``:
about 1,340 outlines, fields ``DAN_ID`` (the complex's code), ``DAN_NAME`` and
``DANJI_TYPE``, usually EPSG:5186 with CP949 attributes) is downloaded by
users; the library does not ship it. :func:`attach_boundaries` matches its
features to a plan's sites, in this order:

1. by site key, when ``key_field`` is given (a file of your own keyed by site key);
2. by code, when the file has a ``DAN_ID`` field: each built-in site records
   its code(s) (:attr:`~sandan_geo.model.Site.dan_ids`);
3. by name, for sites no code matched: Korean names normalised (spaces,
   punctuation, ``제1``/``1``, NFC) and compared whole, then without the kind
   suffix (``국가산업단지``, ``일반산업단지``, ...) when the kinds agree, the
   site's aliases and part names included. ``name_field`` chooses the field;
   else ``DAN_NAME``, ``단지명``, ``name_ko``, ``name`` are tried.

The result is never silent: the returned plan's ``meta["boundaries"]`` says
which sites got an official outline (and how they matched), which kept an
approximation, and how many features matched nothing; reports and the CLI
show it. A file that matches no site is an input error. :func:`read_official_sites`
reads the same layer as sites (key from ``DAN_ID``, Korean name, kind from
``DANJI_TYPE``, the real outline), which is what :func:`~sandan_geo.load_sites`
does with such a file.

Examples
--------
>>> normalize_name(" 구미 국가산업단지(제1단지) "), base_name("서대구일반산업단지")
('구미국가산업단지1단지', '서대구')
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .crs import (
    MAX_SEGMENTIZED_VERTICES,
    geodesic_m,
    in_korea_bbox,
    segmentized_size,
    to_planar,
)
from .errors import GeometryError, InputError, SandanGeoWarning, SchemaError
from .gisfile import read_gis, to_lonlat
from .model import KEY_PATTERN, Kind, Plan, Site, representative_lonlat

__all__ = [
    "DANJI_TYPE_KINDS",
    "NAME_FIELDS",
    "attach_boundaries",
    "base_name",
    "describe_attach",
    "find_site_key",
    "kind_from_danji_type",
    "normalize_name",
    "read_official_sites",
]

NAME_FIELDS = ("DAN_NAME", "단지명", "name_ko", "name", "NAME", "명칭")
"""Fields tried, in order, for complex names when ``name_field`` is not given."""

DANJI_TYPE_KINDS: Mapping[str, Kind] = {
    "1": Kind.NATIONAL,
    "2": Kind.GENERAL,
    "3": Kind.URBAN_HIGHTECH,
    "4": Kind.AGRO_INDUSTRIAL,
    "국가": Kind.NATIONAL,
    "일반": Kind.GENERAL,
    "지방": Kind.GENERAL,
    "도시첨단": Kind.URBAN_HIGHTECH,
    "첨단": Kind.URBAN_HIGHTECH,
    "농공": Kind.AGRO_INDUSTRIAL,
}
"""``DANJI_TYPE`` values and the kind each means: codes ``1``–``4`` and Korean words
(``국가산업단지``, ``일반산업단지`` and the like are read by their leading word)."""

# Kind suffixes, longest first, stripped by base_name.
_KIND_SUFFIXES: tuple[tuple[str, Kind | None], ...] = (
    ("도시첨단산업단지", Kind.URBAN_HIGHTECH),
    ("첨단산업단지", Kind.URBAN_HIGHTECH),
    ("국가산업단지", Kind.NATIONAL),
    ("일반산업단지", Kind.GENERAL),
    ("지방산업단지", Kind.GENERAL),
    ("농공단지", Kind.AGRO_INDUSTRIAL),
    ("산업단지", None),
    ("국가산단", Kind.NATIONAL),
    ("일반산단", Kind.GENERAL),
    ("산단", None),
)
_DROP = re.compile(r"[\s·ㆍ.,\-_()\[\]{}「」『』<>〈〉'\"㈜]+")
_DAN_ID_FIELDS = ("DAN_ID", "dan_id", "DANID")
_FAR_M = 5_000.0  # an attached outline farther than this (and 2 radii) from its site is suspect


def normalize_name(text: str) -> str:
    """A Korean name reduced for comparison: NFC, no spaces or punctuation, ``제1`` → ``1``.

    Examples
    --------
    >>> normalize_name("율촌 제1 일반산업단지") == normalize_name("율촌1일반산업단지")
    True
    """
    out = unicodedata.normalize("NFC", str(text)).strip().lower()
    out = _DROP.sub("", out)
    return re.sub(r"제(\d)", r"\1", out)


def _split_kind(name: str) -> tuple[str, Kind | None, bool]:
    norm = normalize_name(name)
    for suffix, kind in _KIND_SUFFIXES:
        if norm.endswith(suffix) and len(norm) > len(suffix):
            return norm[: -len(suffix)], kind, True
    return norm, None, False


def base_name(text: str) -> str:
    """The normalised name without its kind suffix (``국가산업단지``, ``농공단지``, ...).

    Examples
    --------
    >>> base_name("광양 국가산업단지"), base_name("여수·광양항 항만부지")
    ('광양', '여수광양항항만부지')
    """
    return _split_kind(text)[0]


def kind_from_danji_type(value: Any) -> Kind | None:
    """The site kind a ``DANJI_TYPE`` value means, ``None`` when it is not recognised.

    Examples
    --------
    >>> kind_from_danji_type("국가산업단지"), kind_from_danji_type(4), kind_from_danji_type("?")
    (<Kind.NATIONAL: 'national'>, <Kind.AGRO_INDUSTRIAL: 'agro_industrial'>, None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = normalize_name(str(value))
    if text.endswith(".0"):
        text = text[:-2]
    if text in DANJI_TYPE_KINDS:
        return DANJI_TYPE_KINDS[text]
    for word, kind in sorted(DANJI_TYPE_KINDS.items(), key=lambda kv: -len(kv[0])):
        if not word.isdigit() and text.startswith(word):
            return kind
    return None


def _field(frame: Any, wanted: str | None, candidates: Iterable[str]) -> str | None:
    columns = [str(c) for c in frame.columns if c != "geometry"]
    if wanted is not None:
        return wanted if wanted in columns else None
    for name in candidates:
        for c in columns:
            if c == name or c.lower() == name.lower():
                return c
    return None


def _fields_text(frame: Any) -> str:
    return ", ".join(str(c) for c in frame.columns if c != "geometry")


def _site_names(site: Site) -> list[str]:
    names = [site.name_ko]
    aliases = site.attrs.get("aliases")
    if isinstance(aliases, list | tuple):
        names += [str(a) for a in aliases]
    names += [p.name_ko for p in site.parts]
    return names


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _name_index(frame: Any, name_field: str, type_field: str | None) -> dict[str, Any]:
    """Normalised names and base names of the features, to their row labels."""
    full: dict[str, list[Any]] = {}
    base: dict[str, list[tuple[Any, Kind | None]]] = {}
    for label, value in frame[name_field].items():
        if not isinstance(value, str) or not value.strip():
            continue
        full.setdefault(normalize_name(value), []).append(label)
        stem, kind, _ = _split_kind(value)
        if type_field is not None and kind is None:
            kind = kind_from_danji_type(frame.at[label, type_field])
        base.setdefault(stem, []).append((label, kind))
    return {"full": full, "base": base}


def _match_by_name(site: Site, index: Mapping[str, Any]) -> list[Any]:
    labels: list[Any] = []
    for name in _site_names(site):
        labels += index["full"].get(normalize_name(name), [])
    if labels:
        return sorted(set(labels), key=str)
    for name in _site_names(site):
        stem, kind, had_suffix = _split_kind(name)
        kind = kind or site.kind
        hits = [
            label
            for label, k in index["base"].get(stem, [])
            if k is None or kind is None or k is kind or not had_suffix
        ]
        if len(hits) == 1:
            return hits
    return []


def _outline(geoms: Any, where: str, path: Path) -> Any:
    """Union of matched features in lon/lat, checked: polygonal, valid, inside Korea."""
    from shapely import MultiPolygon, Polygon

    kinds = sorted({"None" if g is None or g.is_empty else g.geom_type for g in geoms})
    odd = [k for k in kinds if k not in ("Polygon", "MultiPolygon")]
    if odd:
        raise GeometryError(
            f"{where}: boundary type is {odd[0]!r}"
            + (" (no geometry)" if odd[0] == "None" else ""),
            path=str(path),
            hint="give Polygon or MultiPolygon outlines",
        )
    try:
        geom = geoms.union_all()
    except Exception as err:  # GEOS topology errors
        raise GeometryError(
            f"{where}: cannot merge the outlines ({err})",
            path=str(path),
            hint="fix them in a GIS (e.g. QGIS 'Fix geometries')",
        ) from None
    if isinstance(geom, Polygon | MultiPolygon) is False or geom.is_empty:
        raise GeometryError(f"{where}: not a polygon", path=str(path), hint="give polygons")
    if not geom.is_valid or not all(g.is_valid for g in geoms):
        from shapely.validation import explain_validity

        bad = next((g for g in geoms if not g.is_valid), geom)
        raise GeometryError(
            f"{where}: not a valid polygon ({explain_validity(bad)})",
            path=str(path),
            hint="fix it in a GIS (e.g. QGIS 'Fix geometries') or shapely.make_valid",
        )
    if segmentized_size(geom) > MAX_SEGMENTIZED_VERTICES:
        raise GeometryError(
            f"{where}: outline has edges {geom.length * 111:,.0f} km long in all; an "
            "industrial complex is a few tens of km around",
            path=str(path),
            hint="check the file's CRS (.prj) and coordinates",
        )
    x0, y0, x1, y1 = geom.bounds
    if not (in_korea_bbox(x0, y0) and in_korea_bbox(x1, y1)):
        raise GeometryError(
            f"{where}: outline lies outside South Korea (bounds {x0:.3f}, {y0:.3f}, "
            f"{x1:.3f}, {y1:.3f})",
            path=str(path),
            hint="check the file's CRS (.prj): the national layer is EPSG:5186",
        )
    return geom


def _representative(geom: Any) -> tuple[float, float]:
    """The largest polygon's centroid if inside it, else a point on its surface."""
    from shapely import MultiPolygon

    if isinstance(geom, MultiPolygon):
        geom = max(geom.geoms, key=lambda g: to_planar(g).area)
    return representative_lonlat(geom)


def _gap_m(site: Site, outline: Any) -> float:
    """Planar (EPSG:5179) gap in metres from the site's point to an outline: a sanity check."""
    return float(to_planar(site.point).distance(to_planar(outline)))


def attach_boundaries(
    plan: Plan,
    path: str | os.PathLike[str],
    *,
    key_field: str | None = None,
    name_field: str | None = None,
    encoding: str | None = None,
    layer: str | int | None = None,
) -> Plan:
    """Replace sites' extents with official outlines from a boundary file.

    Matches features to sites by ``key_field`` when given, else by ``DAN_ID``
    code (when the file has that field), else by name (see the module
    docstring). Several features for one site (a complex in several parts) are
    merged. A matched site's extent becomes the outline (``extent_source``
    ``official``, no uncertainty) and its representative point the outline's
    (the largest part's centroid, or a point inside it); the old point is kept
    in ``attrs["point_before_boundaries"]``.

    Parameters
    ----------
    plan
        The plan to update (not modified; a new plan is returned).
    path
        The boundary layer: shapefile, GeoPackage, GeoJSON, zipped shapefile;
        any CRS (the national layer is EPSG:5186).
    key_field
        An attribute holding site keys, for a file keyed by site key.
    name_field
        The attribute holding complex names, when it is not one of
        :data:`NAME_FIELDS`.
    encoding
        Attribute encoding (e.g. ``"cp949"``). Without it, CP949 read as
        Latin-1 is detected and the file read again as CP949, with a warning.
    layer
        Layer name or index for multi-layer files.

    Returns
    -------
    Plan
        A new plan; ``meta["boundaries"]`` records what matched (see
        :func:`describe_attach`).

    Raises
    ------
    InputError
        The file cannot be read or has no CRS; a field named does not exist; a
        matched outline is invalid or outside Korea; or no feature matches any
        site (the message names the fields looked at).

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely import box
    >>> from sandan_geo import load_plan
    >>> plan = load_plan("daegu-2020")
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "b.gpkg"
    >>> gpd.GeoDataFrame({"DAN_NAME": ["서대구산업단지"]}, geometry=[box(128.54, 35.87, 128.56, 35.89)],
    ...                  crs="EPSG:4326").to_file(f)
    >>> new = attach_boundaries(plan, f)
    >>> new.member("seodaegu").site.extent_source, new.meta["boundaries"]["sites"]["seodaegu"]["by"]
    ('official', 'name')
    """
    p = Path(path)
    table = read_gis(p, encoding=encoding, layer=layer, what="boundary file")
    frame = to_lonlat(table.frame, p)
    fields_seen = _fields_text(frame)
    for wanted in (key_field, name_field):
        if wanted is not None and wanted not in frame.columns:
            raise SchemaError(
                f"no field '{wanted}'", path=str(p), field=wanted, hint=f"fields are: {fields_seen}"
            )
    code_field = None if key_field else _field(frame, None, _DAN_ID_FIELDS)
    names = None if key_field else _field(frame, name_field, NAME_FIELDS)
    type_field = _field(frame, None, ("DANJI_TYPE",))
    matches: dict[str, tuple[list[Any], str]] = {}
    if key_field is not None:
        keys = frame[key_field].map(_code)
        for m in plan.sites:
            labels = list(frame.index[keys == m.key])
            if labels:
                matches[m.key] = (labels, "key")
    else:
        if code_field is not None:
            codes = frame[code_field].map(_code)
            for m in plan.sites:
                site_codes = set(m.site.dan_ids)
                labels = list(frame.index[codes.isin(site_codes)]) if site_codes else []
                if labels:
                    matches[m.key] = (labels, "DAN_ID")
        if names is not None:
            index = _name_index(frame, names, type_field)
            for m in plan.sites:
                if m.key in matches:
                    continue
                labels = _match_by_name(m.site, index)
                if labels:
                    matches[m.key] = (labels, "name")
    if not matches:
        looked = (
            [f"site keys in field '{key_field}'"]
            if key_field
            else [f"DAN_ID codes in field '{code_field}'"] * (code_field is not None)
            + [f"names in field '{names}'"] * (names is not None)
        )
        raise InputError(
            f"no feature matches any site of plan '{plan.id}' (looked for "
            f"{' and '.join(looked) or 'a DAN_ID or name field, and found neither'})",
            path=str(p),
            hint=f"fields are: {fields_seen}; name the field with name_field= or key_field=, "
            "or check that the file covers the plan's region",
        )
    used: set[Any] = set()
    sites_summary: dict[str, dict[str, Any]] = {}
    members = []
    for m in plan.sites:
        if m.key not in matches:
            members.append(m)
            sites_summary[m.key] = {"status": m.site.extent_source}
            continue
        labels, how = matches[m.key]
        used.update(labels)
        rows = frame.loc[labels]
        where = f"site '{m.key}' ({m.site.name_ko}): features {', '.join(str(x) for x in labels)}"
        outline = _outline(rows.geometry, where, p)
        gap = _gap_m(m.site, outline)
        radius = math.sqrt(m.site.area_m2 / math.pi) if m.site.area_m2 else 0.0
        if gap > max(_FAR_M, 2.0 * radius):
            warnings.warn(
                f"{p}: the outline matched to site '{m.key}' ({m.site.name_ko}) by {how} lies "
                f"{gap / 1000:.1f} km from the site's point; check the match and the file's "
                "CRS (the national layer is EPSG:5186)",
                SandanGeoWarning,
                stacklevel=2,
            )
        lon, lat = _representative(outline)
        summary: dict[str, Any] = {"status": "official", "by": how, "features": len(labels)}
        if code_field is not None:
            summary["codes"] = sorted({_code(v) for v in rows[code_field]})
        if names is not None:
            summary["names"] = sorted({str(v) for v in rows[names] if isinstance(v, str)})
        summary["moved_m"] = round(geodesic_m((m.site.lon, m.site.lat), (lon, lat)), 1)
        sites_summary[m.key] = summary
        provenance = {
            **m.site.provenance,
            "extent": {"source": p.name, "matched_by": how, "official": True},
            "point": {
                "source": f"representative point of the official outline ({p.name})",
                "confidence": "high",
            },
        }
        attrs = {**m.site.attrs, "point_before_boundaries": [m.site.lon, m.site.lat]}
        site = replace(
            m.site,
            lon=lon,
            lat=lat,
            extent=outline,
            extent_approximate=False,
            provenance=provenance,
            attrs=attrs,
        )
        members.append(replace(m, site=site))
    record = {
        "file": p.name,
        "encoding": table.encoding,
        "encoding_guessed": table.guessed,
        "matched_by": "key_field" if key_field else ("DAN_ID" if code_field else "name"),
        "fields": {"key": key_field, "code": code_field, "name": names},
        "features": len(frame),
        "features_unmatched": len(frame) - len(used),
        "sites": sites_summary,
    }
    return replace(plan, sites=tuple(members), meta={**plan.meta, "boundaries": record})


def find_site_key(query: str, sites: Mapping[str, Site]) -> str:
    """The key of the site ``query`` names: a key, a Korean or English name, an alias, a part.

    Names are compared normalised (:func:`normalize_name`), then without the
    kind suffix when that leaves one site.

    Raises
    ------
    UnknownSiteError
        No site has that key or name; the message suggests the closest names.

    Examples
    --------
    >>> from sandan_geo import builtin_sites
    >>> find_site_key("광양 국가산업단지", builtin_sites()), find_site_key("gwangyang", builtin_sites())
    ('gwangyang', 'gwangyang')
    >>> find_site_key("광양국가산단지", builtin_sites())
    Traceback (most recent call last):
    ...
    sandan_geo.errors.UnknownSiteError: no site '광양국가산단지'; did you mean 광양국가산업단지 (gwangyang), ...
    """
    import difflib

    from .errors import UnknownSiteError

    if query in sites:
        return query
    wanted = normalize_name(query)
    names: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    for key, site in sites.items():
        for name in [*_site_names(site), site.name_en or "", key]:
            if name:
                names.setdefault(normalize_name(name), set()).add(key)
                bases.setdefault(base_name(name), set()).add(key)
    for index, probe in ((names, wanted), (bases, base_name(query))):
        hits = index.get(probe, set())
        if len(hits) == 1:
            return next(iter(hits))
    shown = {normalize_name(s.name_ko): f"{s.name_ko} ({k})" for k, s in sites.items()}
    shown.update({normalize_name(k): f"{sites[k].name_ko} ({k})" for k in sites})
    close = difflib.get_close_matches(wanted, list(shown), n=3, cutoff=0.5)
    hint = (
        f"did you mean {', '.join(dict.fromkeys(shown[c] for c in close))}?"
        if close
        else "list the sites with builtin_sites()"
    )
    raise UnknownSiteError(f"no site {query!r}", hint=hint)


def describe_attach(record: Mapping[str, Any]) -> str:
    """One line saying what an attach did, from a plan's ``meta["boundaries"]``.

    Examples
    --------
    >>> describe_attach({"file": "b.shp", "features": 3, "features_unmatched": 2,
    ...                  "sites": {"a": {"status": "official", "by": "DAN_ID"},
    ...                            "b": {"status": "approximate"}}})
    'b.shp: 1 of 2 sites got an official outline (a by DAN_ID); kept an approximation: b; 2 of 3 features matched no site'
    """
    sites = record.get("sites") or {}
    official = [k for k, v in sites.items() if v.get("status") == "official"]
    kept = [f"{k}" for k, v in sites.items() if v.get("status") != "official"]
    text = f"{record.get('file')}: {len(official)} of {len(sites)} sites got an official outline"
    if official:
        text += " (" + ", ".join(f"{k} by {sites[k].get('by')}" for k in official) + ")"
    if kept:
        text += "; kept an approximation: " + ", ".join(kept)
    text += (
        f"; {record.get('features_unmatched', 0):,} of {record.get('features', 0):,} "
        "features matched no site"
    )
    if record.get("encoding_guessed"):
        text += f"; attributes read as {record.get('encoding')} (guessed)"
    return text


def read_official_sites(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    layer: str | int | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
) -> dict[str, Site]:
    """Read a boundary layer (``DAM_DAN``) as sites: one per complex code, its real outline.

    Key: the ``DAN_ID`` code (``dan-`` in front when it is not a plain ASCII
    key); name from ``DAN_NAME`` (or ``name_field``); kind from ``DANJI_TYPE``;
    extent: the outline (several features with one code merged); point: the
    largest part's centroid, or a point inside it. Features with an invalid
    outline are repaired (``shapely.make_valid``) and counted in a warning.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely import box
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "DAM_DAN.gpkg"
    >>> gpd.GeoDataFrame({"DAN_ID": ["27140"], "DAN_NAME": ["서대구산업단지"], "DANJI_TYPE": ["일반"]},
    ...                  geometry=[box(128.54, 35.87, 128.56, 35.89)], crs="EPSG:4326").to_file(f)
    >>> s = read_official_sites(f)["27140"]
    >>> s.name_ko, s.kind.value, s.extent_source, s.dan_ids
    ('서대구산업단지', 'general', 'official', ('27140',))
    """
    import shapely

    p = Path(path)
    table = read_gis(p, encoding=encoding, layer=layer, what="boundary file")
    frame = to_lonlat(table.frame, p)
    codes_at = _field(frame, code_field, _DAN_ID_FIELDS)
    names_at = _field(frame, name_field, NAME_FIELDS)
    if codes_at is None or names_at is None:
        raise InputError(
            "not an official boundary layer: no "
            + " and no ".join(
                x
                for x, have in (("DAN_ID field", codes_at), ("name field", names_at))
                if have is None
            ),
            path=str(p),
            hint=f"fields are: {_fields_text(frame)}; name them with code_field= and name_field=",
        )
    type_at = _field(frame, None, ("DANJI_TYPE",))
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        frame.loc[invalid, "geometry"] = shapely.make_valid(frame.geometry[invalid].values)
        warnings.warn(
            f"{p}: repaired {int(invalid.sum())} invalid outline(s) with shapely.make_valid",
            SandanGeoWarning,
            stacklevel=2,
        )
    out: dict[str, Site] = {}
    codes = frame[codes_at].map(_code)
    for code, rows in frame.groupby(codes, sort=False):
        code = str(code)
        if not code:
            continue
        geom = shapely.union_all(shapely.get_parts(rows.geometry.values))
        polys = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
        if not polys:
            continue
        outline = shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
        lon, lat = _representative(outline)
        name = next((str(v) for v in rows[names_at] if isinstance(v, str) and v.strip()), code)
        kind = kind_from_danji_type(rows[type_at].iloc[0]) if type_at else None
        key = code if KEY_PATTERN.match(code) else f"dan-{len(out) + 1}"
        out[key] = Site(
            key=key,
            name_ko=name.strip(),
            lon=lon,
            lat=lat,
            kind=kind,
            extent=outline,
            extent_approximate=False,
            provenance={
                "extent": {"source": p.name, "official": True},
                "point": {"source": "representative point of the outline", "confidence": "high"},
            },
            attrs={"dan_id": [{"code": code, "source": p.name}]},
        )
    if not out:
        raise InputError("the layer holds no polygon with a code", path=str(p))
    return out
