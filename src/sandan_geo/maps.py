"""folium (Leaflet) maps of plans and their verdicts, online or fully offline.

A plan map shows the hub, linked complexes and linked zones (distinct symbols
and colours, with a legend), each site's extent (dashed where approximate), the
value-chain links as arrows with their relation, and, with a report, each
distance check as a line coloured pass/fail and labelled with value, limit and
metric, plus the accessibility limit around the hub (a geodesic circle for the
centroid metric, the area within the limit of the hub's extent for the
boundary metric). A layer control, a scale bar and a title come with it.

Safety: no user text (names, relations, industries, notes) is ever parsed as
HTML or JavaScript. Everything the map shows travels as JSON in a
``<script type="application/json">`` element (with ``<``, ``>``, ``&`` and the
line separators escaped) and is put on the page with ``textContent`` by this
module's own script, not with folium's ``Tooltip``/``Popup``, which insert text
into JavaScript template literals.

Offline: :func:`save_map` with ``offline=True`` (or a map made with
``offline=True``) writes one self-contained HTML file: Leaflet's script, style
and images are inlined from the installed ``xstatic-leaflet`` package, every
other external script or style is dropped, and the basemap is South Korea's
province and municipality outlines from :mod:`sandan_geo.basemap`.

Determinism: element ids are numbered in document order, so the same input
gives the same HTML bytes.

Examples
--------
>>> import sandan_geo as sg
>>> plan = sg.load_plan("daegu-2020")
>>> m = plan_map(plan, report=sg.check_plan(plan), offline=True)
>>> html = map_html(m)
>>> '<meta charset="utf-8">' in html and "cdn.jsdelivr" not in html
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from html import escape as html_escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import networkx as nx
import pyproj
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ._io import write_bytes_atomic
from .basemap import ATTRIBUTION, municipality_outlines, province_outlines
from .check import Report
from .crs import GEOD, apply_transform
from .errors import InputError, MissingDependencyError, OutputError, SandanGeoWarning
from .model import KIND_KO, ROLE_KO, Kind, Plan, PlanSite, Role, Site

if TYPE_CHECKING:
    from .rules import Check

__all__ = [
    "SandanMap",
    "map_html",
    "overview_map",
    "plan_map",
    "program_map",
    "save_map",
    "save_png",
    "sites_map",
]

ROLE_COLOURS = {"hub": "#d62728", "linked_complex": "#1f77b4", "linked_zone": "#2ca02c"}
PASS_COLOUR, FAIL_COLOUR, UNCERTAIN_COLOUR = "#1a9850", "#d73027", "#e6ab02"
LINK_COLOUR, LIMIT_COLOUR = "#7b3294", "#ff7f0e"
PLAN_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_COLOURS = {
    **ROLE_COLOURS,
    "pass": PASS_COLOUR,
    "fail": FAIL_COLOUR,
    "uncertain": UNCERTAIN_COLOUR,
    "link": LINK_COLOUR,
    "limit": LIMIT_COLOUR,
}
TILES = ("openstreetmap", "vworld", "none")
_VWORLD_URL = "https://api.vworld.kr/req/wmts/1.0.0/{key}/Base/{{z}}/{{y}}/{{x}}.png"
_VWORLD_ATTR = "VWorld (국토교통부 공간정보 오픈플랫폼)"
_DIGITS = 6  # ~0.1 m in coordinates sent to the page


# ---------------------------------------------------------------- geometry helpers


def _ll(lon: float, lat: float) -> list[float]:
    """Leaflet's [lat, lon] order, rounded."""
    return [round(lat, _DIGITS), round(lon, _DIGITS)]


def _geodesic_line(
    a: tuple[float, float], b: tuple[float, float], n: int = 24
) -> list[list[float]]:
    """Points along the geodesic from a to b (lon, lat), as Leaflet [lat, lon] pairs."""
    if a == b:
        return [_ll(*a), _ll(*b)]
    mids = GEOD.npts(a[0], a[1], b[0], b[1], n)
    return [_ll(*a), *(_ll(x, y) for x, y in mids), _ll(*b)]


def _arrow(a: tuple[float, float], b: tuple[float, float]) -> list[list[float]]:
    """A small arrowhead triangle at 60 % of the way from a to b, pointing at b."""
    az, _, dist = GEOD.inv(a[0], a[1], b[0], b[1])
    if dist == 0:
        return []
    tip_lon, tip_lat, back_az = GEOD.fwd(a[0], a[1], az, 0.6 * dist)
    size = min(900.0, max(200.0, 0.05 * dist))
    # pyproj returns the azimuth from the tip back to a; turn it round, barbs point back
    fwd_az = back_az + 180.0
    left = GEOD.fwd(tip_lon, tip_lat, fwd_az + 160.0, size)
    right = GEOD.fwd(tip_lon, tip_lat, fwd_az - 160.0, size)
    return [_ll(left[0], left[1]), _ll(tip_lon, tip_lat), _ll(right[0], right[1])]


def _aeqd(lon: float, lat: float) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m")
    fwd = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return fwd, back


def limit_area(
    footprint: BaseGeometry, centre: tuple[float, float], limit_m: float
) -> BaseGeometry:
    """The area within ``limit_m`` of ``footprint``, in lon/lat.

    Buffered in an azimuthal equidistant projection centred on ``centre`` (the
    hub's point), where distances from the centre are exact and distances from
    the rest of the footprint (a few km away) are off by well under 0.01 %:
    the outline is geodesically correct at map scale. For a point footprint
    this is the geodesic circle.

    Examples
    --------
    >>> from shapely import Point
    >>> area = limit_area(Point(128.5, 35.84), (128.5, 35.84), 7500)
    >>> from sandan_geo.crs import geodesic_m
    >>> x, y = area.exterior.coords[0]
    >>> round(geodesic_m((128.5, 35.84), (x, y)))
    7500
    """
    fwd, back = _aeqd(*centre)
    local = apply_transform(fwd, footprint)
    grown = local.buffer(limit_m, quad_segs=32)
    return apply_transform(back, grown)


# ---------------------------------------------------------------- data for the page


def _site_data(m: PlanSite) -> dict[str, Any]:
    s = m.site
    point_conf = None
    if s.parts:
        confs = [str(p.provenance.get("point", {}).get("confidence", "")) for p in s.parts]
        point_conf = ", ".join(sorted({c for c in confs if c})) or None
    return {
        "key": s.key,
        "name_ko": s.name_ko,
        "name_en": s.name_en,
        "role": m.role.value,
        "role_ko": ROLE_KO[m.role],
        "kind": s.kind.value if s.kind else None,
        "kind_ko": KIND_KO[s.kind] if s.kind else None,
        "function": m.function,
        "industries": list(m.industries),
        "area_km2": None if s.area_m2 is None else round(s.area_m2 / 1e6, 3),
        "province": s.province,
        "municipality": s.municipality,
        "parts": len(s.parts),
        "approximate": s.extent is None or s.extent_approximate,
        "point_confidence": point_conf,
        "latlon": _ll(s.lon, s.lat),
    }


def _extent_data(m: PlanSite) -> dict[str, Any] | None:
    s = m.site
    if s.extent is None:
        return None
    return {
        "key": s.key,
        "name_ko": s.name_ko,
        "role": m.role.value,
        "approximate": s.extent_approximate,
        "geometry": _rounded(mapping(s.extent)),
    }


def _rounded(geo: Any) -> Any:
    if isinstance(geo, dict):
        return {k: _rounded(v) for k, v in geo.items()}
    if isinstance(geo, list | tuple):
        return [_rounded(v) for v in geo]
    if isinstance(geo, float):
        return round(geo, _DIGITS)
    return geo


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def _check_label(c: Check) -> str:
    if c.value_km is not None and c.limit_km is not None:
        sign = "≤" if c.passed else ">"
        span = "" if c.range_km is None else f" [{c.range_km[0]:.1f}–{c.range_km[1]:.1f}]"
        return f"{c.value_km:.2f} km{span} {sign} {c.limit_km:g} km ({c.metric})"
    if c.minutes is not None and c.limit_minutes is not None:
        sign = "≤" if c.passed else ">"
        return f"{c.minutes:.1f} min {sign} {c.limit_minutes:g} min ({c.metric})"
    return c.note or ""


def _check_data(c: Check, names: dict[str, str]) -> dict[str, Any] | None:
    if c.from_point is None or c.to_point is None:
        return None
    line = [_ll(x, y) for x, y in c.path] if c.path else _geodesic_line(c.from_point, c.to_point)
    return {
        "from_name": names.get(c.from_, c.from_),
        "to_name": names.get(c.to, c.to),
        "rule": c.rule,
        "metric": c.metric,
        "value_km": c.value_km,
        "limit_km": c.limit_km,
        "margin_km": c.margin_km,
        "minutes": c.minutes,
        "passed": c.passed,
        "verdict": c.verdict,
        "range_km": None if c.range_km is None else [round(v, 6) for v in c.range_km],
        "approximate": c.approximate,
        "label": _check_label(c),
        "line": line,
    }


def _limit_data(plan: Plan, report: Report) -> list[dict[str, Any]]:
    """One limit shape per (metric, limit) of the hub-to-linked distance checks."""
    hub = plan.hub.site
    seen: set[tuple[str, float]] = set()
    out = []
    for c in report.checks:
        if c.limit_km is None or c.metric is None or c.from_ != hub.key:
            continue
        if (c.metric, c.limit_km) in seen:
            continue
        seen.add((c.metric, c.limit_km))
        if c.metric == "centroid":
            shape: BaseGeometry = limit_area(hub.point, (hub.lon, hub.lat), c.limit_km * 1000)
            what = f"centroid: {c.limit_km:g} km geodesic circle around the hub's point"
        elif c.metric == "boundary":
            shape = limit_area(hub.footprint, (hub.lon, hub.lat), c.limit_km * 1000)
            what = f"boundary: within {c.limit_km:g} km of the hub's extent"
        else:
            continue  # other metrics (road) draw their paths, not an area; no registry needed
        out.append(
            {
                "metric": c.metric,
                "limit_km": c.limit_km,
                "label": what,
                "geometry": _rounded(mapping(shapely.set_precision(shape, 1e-7))),
            }
        )
    return out


def _plan_data(
    plan: Plan,
    report: Report | None,
    colour: str | None,
    marks: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    members = {m.key: m for m in plan.sites}
    names = {m.key: m.site.name_ko for m in plan.sites}
    marks = marks or {}
    bridges = {tuple(x) for x in marks.get("bridges", ())}
    links = []
    for link in plan.links:
        a, b = members[link.source].site, members[link.target].site
        links.append(
            {
                "from_name": a.name_ko,
                "to_name": b.name_ko,
                "relation": link.relation,
                "line": _geodesic_line((a.lon, a.lat), (b.lon, b.lat)),
                "arrow": _arrow((a.lon, a.lat), (b.lon, b.lat)),
                "bridge": (link.source, link.target) in bridges,
            }
        )
    sites = [_site_data(m) for m in plan.sites]
    for site in sites:
        site["critical"] = site["key"] in marks.get("critical", ())
        site["size"] = marks.get("sizes", {}).get(site["key"])
        site["size_value"] = marks.get("values", {}).get(site["key"])
    data: dict[str, Any] = {
        "id": plan.id,
        "name": plan.name,
        "colour": colour,
        "size_by": marks.get("size_by"),
        "sites": sites,
        "extents": [e for e in (_extent_data(m) for m in plan.sites) if e is not None],
        "links": links,
        "checks": [],
        "limits": [],
        "verdict": None,
        "rules": [],
    }
    if report is not None:
        if report.plan != plan.id:
            raise InputError(
                f"the report is for plan '{report.plan}', not '{plan.id}'",
                hint="check the plan the report was made from",
            )
        data["checks"] = [
            d for d in (_check_data(c, names) for c in report.checks) if d is not None
        ]
        data["limits"] = _limit_data(plan, report)
        data["verdict"] = report.verdict.upper()
        data["rules"] = list(report.rules)
        data["rules_source"] = report.rules_source
    return data


_SIZE_PX = (14.0, 34.0)  # smallest and largest scaled symbol


def _scaled_sizes(values: Mapping[str, float]) -> dict[str, float]:
    """Symbol sizes (px) for values, linear from the smallest to the largest."""
    lo, hi = min(values.values()), max(values.values())
    a, b = _SIZE_PX
    if hi == lo:
        return {k: (a + b) / 2 for k in values}
    return {k: round(a + (v - lo) / (hi - lo) * (b - a), 1) for k, v in values.items()}


def _network_marks(plan: Plan, size_by: str | None) -> dict[str, Any]:
    """Critical sites, bridge links and (with ``size_by``) symbol sizes, from the network."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    from .network import analyze_network

    analysis = analyze_network(plan)
    sites = analysis.sites.set_index("key")
    marks: dict[str, Any] = {
        "critical": [str(k) for k in sites.index[sites["critical"].astype(bool)]],
        "bridges": [
            [str(r["from"]), str(r["to"])]
            for r in analysis.links.to_dict(orient="records")
            if bool(r["bridge"])
        ],
    }
    if size_by is not None:
        numeric = [
            str(c)
            for c in sites.columns
            if is_numeric_dtype(sites[c]) and not is_bool_dtype(sites[c])
        ]
        if size_by not in numeric:
            raise InputError(
                f"size_by {size_by!r} is not a numeric column of the network's sites",
                hint=f"use one of: {', '.join(numeric)}",
            )
        values = {str(k): float(v) for k, v in sites[size_by].items() if v == v and v is not None}
        if values:
            marks.update(size_by=size_by, values=values, sizes=_scaled_sizes(values))
    return marks


def _network_legend(plan_data: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    rows = []
    if any(s.get("critical") for d in plan_data for s in d["sites"]):
        rows.append({"kind": "critical", "colour": "#000", "label": "필수 거점 (critical site)"})
    if any(x.get("bridge") for d in plan_data for x in d["links"]):
        rows.append({"kind": "bridge", "colour": LINK_COLOUR, "label": "필수 연결 (bridge link)"})
    for d in plan_data:
        values = [s["size_value"] for s in d["sites"] if s.get("size_value") is not None]
        if d.get("size_by") and values:
            rows.append(
                {
                    "kind": "size",
                    "colour": "#555",
                    "label": f"크기 (size): {d['size_by']} {min(values):.3g}–{max(values):.3g}",
                }
            )
    return rows


def _bounds(plans: Sequence[Plan], extra: Iterable[BaseGeometry] = ()) -> list[list[float]]:
    geoms: list[BaseGeometry] = []
    for p in plans:
        for m in p.sites:
            geoms.append(m.site.extent if m.site.extent is not None else m.site.point)
    geoms.extend(extra)
    x0, y0, x1, y1 = shapely.GeometryCollection(geoms).bounds
    return [_ll(x0, y0), _ll(x1, y1)]


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside a <script> element: no tag, comment or CDATA can open."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# ---------------------------------------------------------------- the page's script


def _static(name: str) -> str:
    """A file of the page (its script and style) shipped in the package's ``static/``."""
    return (resources.files("sandan_geo") / "static" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _overlay_template() -> Template:
    """The overlay's template, read from the package on first use (no import-time I/O)."""
    template: Template = Template(
        "{% macro header(this, kwargs) %}<style>" + _static("map.css") + "</style>{% endmacro %}"
        "{% macro html(this, kwargs) %}"
        '<script type="application/json" id="{{ this.data_id }}">{{ this.payload }}</script>'
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}" + _static("map.js.jinja") + "{% endmacro %}"
    )
    return template


_LABELS = {
    "basemap": "행정구역 경계 (offline basemap)",
    "approx": "근사 경계 (approximate extent: equal-area disc)",
    "approx_short": "근사 (approx.)",
    "rule": "규칙 (rule)",
    "metric": "거리 기준 (metric)",
    "value": "거리 (distance)",
    "limit": "한도 (limit)",
    "margin": "여유 (margin)",
    "minutes": "소요시간 (time)",
    "result": "결과 (result)",
    "range": "범위 (range: data uncertainty)",
    "tiles_failed": "지도 타일을 불러올 수 없어 오프라인 기본도를 표시합니다 "
    "(tiles could not load: showing the offline basemap; make the map with --offline for "
    "closed networks)",
    "critical": "필수 거점 (critical: without it the value chain falls apart)",
    "critical_short": "필수 (critical)",
    "bridge": "필수 연결 (bridge: without it the value chain falls apart)",
    "role": "역할 (role)",
    "kind": "유형 (kind)",
    "function": "가치사슬 역할 (value-chain role)",
    "industries": "업종 (industries)",
    "area": "지정면적 (area)",
    "where": "위치 (location)",
    "parts": "구역 수 (parts)",
    "point_conf": "좌표 신뢰도 (point confidence)",
    "legend": "범례 (legend)",
    "layer_limits": "접근성 한도 (limit)",
    "layer_extents": "산단 경계 (extents)",
    "layer_links": "가치사슬 (value chain)",
    "layer_checks": "거리 검증 (checks)",
    "layer_sites": "산단·지역 (sites)",
}


class _Overlay(MacroElement):
    """Our data and script, added to a folium map."""

    def __init__(
        self,
        payload: dict[str, Any],
        tile_layers: list[tuple[str, folium.TileLayer]],
        basemap_bounds: tuple[float, float, float, float] | None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._template = _overlay_template()
        self._name = "SandanOverlay"
        self.payload_data = payload
        self.tile_layer_objs = tile_layers
        self.basemap_bounds = basemap_bounds  # None: provinces only (national overview)
        self.render_offline = False

    def render(self, **kwargs: Any) -> Any:
        self.data_id = f"sandan-data-{self._id}"
        self.data_id_js = json.dumps(self.data_id)
        tiles = [] if self.render_offline else self.tile_layer_objs
        payload = dict(self.payload_data)
        # the outlines: the map itself offline; online, a reserve shown if tiles cannot load
        payload["basemap"] = {
            "provinces": province_outlines(),
            "municipalities": None
            if self.basemap_bounds is None
            else municipality_outlines(self.basemap_bounds),
        }
        payload["basemap_fallback"] = bool(tiles)
        if not tiles:
            payload["attribution"] = ATTRIBUTION
        self.payload = _json_for_script(payload)
        self.tile_layers = [(json.dumps(label), layer.get_name()) for label, layer in tiles]
        return super().render(**kwargs)  # type: ignore[no-untyped-call]


class SandanMap(folium.Map):
    """A :class:`folium.Map` that remembers whether it is meant to work offline.

    Displayed in a notebook or saved with :meth:`save`, an offline map has its
    assets inlined (see :func:`map_html`).
    """

    offline: bool = False

    def _repr_html_(self, **kwargs: Any) -> str:
        """The map for a notebook: its page in a sandboxed iframe, online or offline.

        ``sandbox="allow-scripts"`` without ``allow-same-origin`` gives the map's
        page an origin of its own: its scripts run, but cannot reach the notebook
        page, its cookies or its kernel (folium's own iframe is not sandboxed).
        """
        import html as _html

        doc = map_html(self)
        return (
            '<div style="width:100%;height:600px"><iframe style="width:100%;height:100%;'
            'border:none" sandbox="allow-scripts" srcdoc="'
            + _html.escape(doc, quote=True)
            + '"></iframe></div>'
        )

    def save(self, outfile: Any, close_file: bool = True, **kwargs: Any) -> None:
        """Write the map as UTF-8 HTML (inlined assets when offline)."""
        save_map(self, outfile, offline=self.offline)


def _tile_layers(
    m: folium.Map, tiles: str | None, vworld_key: str | None, offline: bool
) -> list[tuple[str, folium.TileLayer]]:
    choice = "none" if offline else (tiles or "none").lower()
    if choice not in TILES:
        raise InputError(f"unknown tiles {tiles!r}", hint=f"use one of: {', '.join(TILES)}")
    if choice == "none":
        return []
    if choice == "openstreetmap":
        layer = folium.TileLayer("OpenStreetMap", name="OpenStreetMap")
        layer.add_to(m)
        return [("OpenStreetMap", layer)]
    key = vworld_key or os.environ.get("VWORLD_API_KEY")
    if not key:
        raise InputError(
            "VWorld tiles need an API key",
            hint="pass vworld_key= (CLI --vworld-key) or set VWORLD_API_KEY; "
            "keys are issued by the 공간정보 오픈플랫폼 (VWorld)",
        )
    if not re.fullmatch(r"[A-Za-z0-9-]{8,64}", key):
        raise InputError("the VWorld key has unexpected characters", hint="copy the key exactly")
    layer = folium.TileLayer(
        tiles=_VWORLD_URL.format(key=key), attr=_VWORLD_ATTR, name="VWorld", max_zoom=19
    )
    layer.add_to(m)
    return [("VWorld", layer)]


def _legend(
    has_checks: bool, has_limits: bool, any_approx: bool, any_official: bool
) -> list[dict[str, str]]:
    rows = [
        {"kind": "hub", "colour": ROLE_COLOURS["hub"], "label": "거점산단 (hub)"},
        {
            "kind": "linked_complex",
            "colour": ROLE_COLOURS["linked_complex"],
            "label": "연계산단 (linked complex)",
        },
        {
            "kind": "linked_zone",
            "colour": ROLE_COLOURS["linked_zone"],
            "label": "연계지역 (linked zone)",
        },
        {"kind": "link", "colour": LINK_COLOUR, "label": "가치사슬 → (value-chain link)"},
    ]
    if any_official:
        rows.append({"kind": "extent", "colour": "#555", "label": "경계 (official extent)"})
    if any_approx:
        rows.append({"kind": "approx", "colour": "#555", "label": "근사 경계 (approximate extent)"})
    if has_checks:
        rows.append({"kind": "pass", "colour": PASS_COLOUR, "label": "기준 충족 (check passes)"})
        rows.append({"kind": "fail", "colour": FAIL_COLOUR, "label": "기준 미달 (check fails)"})
        rows.append(
            {
                "kind": "uncertain",
                "colour": UNCERTAIN_COLOUR,
                "label": "판단 유보 (uncertain: the limit lies within the range)",
            }
        )
    if has_limits:
        rows.append({"kind": "limit", "colour": LIMIT_COLOUR, "label": "접근성 한도 (limit area)"})
    return rows


def _build(
    plans: Sequence[Plan],
    reports: Sequence[Report | None],
    *,
    title: str | None,
    tiles: str | None,
    vworld_key: str | None,
    offline: bool,
    m: folium.Map | None,
    overview: bool,
    group_by: str = "plan",
    marks: Sequence[Mapping[str, Any] | None] | None = None,
) -> folium.Map:
    if not plans:
        raise InputError("no plan to map", hint="give at least one plan")
    own = m is None
    if m is None:
        m = SandanMap(location=[36.3, 127.8], zoom_start=7, tiles=None, control_scale=True)
        m.offline = offline
    tile_layers = _tile_layers(m, tiles, vworld_key, offline) if own else []
    groups: list[str | None] = [
        str(p.meta.get("round") or str(p.meta.get("announced", "?"))[:4])
        if group_by == "year"
        else None
        for p in plans
    ]
    keys = sorted({g for g in groups if g is not None})
    colours: list[str | None] = []
    for i, g in enumerate(groups):
        n = keys.index(g) if g is not None else i
        colours.append(PLAN_COLOURS[n % len(PLAN_COLOURS)] if overview else None)
    marks = list(marks) if marks is not None else [None] * len(plans)
    plan_data = [
        _plan_data(p, r, c, k) for p, r, c, k in zip(plans, reports, colours, marks, strict=True)
    ]
    for d, g in zip(plan_data, groups, strict=True):
        d["group"] = g
    limit_shapes = [shapely.geometry.shape(x["geometry"]) for d in plan_data for x in d["limits"]]
    bounds = _bounds(plans, limit_shapes)
    if title is None:
        title = plans[0].name if len(plans) == 1 else f"{len(plans)} plans"
    return _render(m, tile_layers, plan_data, bounds, title, overview=overview)


def _render(
    m: folium.Map,
    tile_layers: list[tuple[str, Any]],
    plan_data: list[dict[str, Any]],
    bounds: list[list[float]],
    title: str,
    *,
    overview: bool,
) -> folium.Map:
    """Put the plans' data, legend and script on the map."""
    plans = plan_data
    subtitles = []
    for d in plan_data:
        if d["verdict"]:
            who = {"plan": "plan's own rule", "argument": "user's rule", "max_km": "user's limit"}
            src = who.get(d.get("rules_source", ""), "")
            subtitles.append(
                f"{d['id']}: {d['verdict']} — {'; '.join(d['rules'])}"
                + (f" ({src})" if src else "")
            )
        elif (len(plans) > 1 or overview) and len(plans) <= 8:
            subtitles.append(f"{d['id']}: {d['name']}")
    any_approx = any(x["approximate"] for d in plan_data for x in d["extents"])
    any_official = any(not x["approximate"] for d in plan_data for x in d["extents"])
    payload: dict[str, Any] = {
        "plans": plan_data,
        "bounds": bounds,
        "title": title,
        "subtitles": subtitles,
        "labels": _LABELS,
        "colours": _COLOURS,
        "legend": _legend(
            any(d["checks"] for d in plan_data),
            any(d["limits"] for d in plan_data),
            any_approx,
            any_official,
        )
        + _network_legend(plan_data),
        "basemap": None,
        "attribution": None,
        "overview": overview,
    }
    if overview:
        grey = "#616161"
        payload["legend"] = [
            {**row, "colour": grey} if row["kind"] in ROLE_COLOURS else row
            for row in payload["legend"]
        ] + [
            {"kind": "linked_complex", "colour": colour, "label": label}
            for label, colour in sorted(
                {d["group"] or d["id"]: d["colour"] for d in plan_data}.items()
            )
        ]
    (x0, y0), (x1, y1) = [(b[1], b[0]) for b in bounds]
    pad = 0.3
    basemap_bounds = None if overview else (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    _Overlay(payload, tile_layers, basemap_bounds).add_to(m)
    return m


def plan_map(
    plan: Plan,
    *,
    report: Report | None = None,
    m: folium.Map | None = None,
    tiles: str | None = "openstreetmap",
    vworld_key: str | None = None,
    offline: bool = False,
    title: str | None = None,
    size_by: str | None = None,
    network: bool = False,
) -> folium.Map:
    """Return a folium map of a plan, and of its verdict when a report is given.

    Parameters
    ----------
    plan
        The plan.
    report
        A :class:`~sandan_geo.Report` from :func:`~sandan_geo.check_plan`:
        adds the distance checks (pass/fail lines labelled with value, limit,
        metric) and the limit around the hub.
    m
        Draw on this map instead of a new one (its tiles are left as they are).
    tiles
        ``"openstreetmap"`` (default), ``"vworld"`` (needs ``vworld_key`` or
        the ``VWORLD_API_KEY`` environment variable) or ``"none"``/``None``
        (province and municipality outlines, drawn from installed data).
    vworld_key
        VWorld API key.
    offline
        Make a map that needs no network: no tiles, outlines basemap, assets
        inlined when saved or shown.
    title
        Title; the plan's name by default.
    size_by
        A numeric column of :func:`~sandan_geo.analyze_network`'s ``sites`` (e.g.
        ``"betweenness"``, ``"degree_out"``): site symbols are scaled by it and the
        legend says so. Implies ``network``.
    network
        Mark the value chain's critical sites (a ring) and bridge links (thick).

    Returns
    -------
    folium.Map
        A :class:`SandanMap`; it displays inline in a notebook.

    Raises
    ------
    InputError
        Unknown tiles, a missing or malformed VWorld key, a report for another
        plan, a ``size_by`` that is not a numeric column.

    Examples
    --------
    >>> import sandan_geo as sg
    >>> plan = sg.load_plan("jeonnam-2020")
    >>> m = plan_map(plan, report=sg.check_plan(plan), tiles="none")
    >>> "여수국가산업단지" in map_html(m)
    True
    >>> "betweenness" in map_html(plan_map(plan, size_by="betweenness", tiles="none"))
    True
    """
    marks = _network_marks(plan, size_by) if (network or size_by) else None
    return _build(
        [plan],
        [report],
        title=title,
        tiles=tiles,
        vworld_key=vworld_key,
        offline=offline,
        m=m,
        overview=False,
        marks=[marks],
    )


def sites_map(
    sites: Iterable[Site],
    *,
    tiles: str | None = "openstreetmap",
    vworld_key: str | None = None,
    offline: bool = False,
    title: str | None = None,
) -> folium.Map:
    """Return a map of many sites (thousands) drawn as one canvas layer.

    Each site is a small circle coloured by legal kind, with a tooltip (name and
    kind) made on hover; no per-site DOM element is created, so 10,000 sites
    open and pan smoothly (see ``docs/benchmarks-maps.md``).

    Examples
    --------
    >>> import sandan_geo as sg
    >>> m = sites_map(sg.builtin_sites().values(), offline=True, title="built-in sites")
    >>> "gumi" not in map_html(m) and "구미국가산업단지" in map_html(m)
    True
    """
    rows = []
    geoms: list[BaseGeometry] = []
    for s in sites:
        kind = s.kind.value if s.kind else "unknown"
        rows.append([*_ll(s.lon, s.lat), s.name_ko, kind, KIND_KO[s.kind] if s.kind else None])
        geoms.append(s.point)
    if not rows:
        raise InputError("no site to map", hint="give at least one site")
    m = SandanMap(location=[36.3, 127.8], zoom_start=7, tiles=None, control_scale=True)
    m.offline = offline
    tile_layers = _tile_layers(m, tiles, vworld_key, offline)
    x0, y0, x1, y1 = shapely.GeometryCollection(geoms).bounds
    kind_colours = {
        "national": "#d62728",
        "general": "#1f77b4",
        "urban_hightech": "#9467bd",
        "agro_industrial": "#8c564b",
        "zone": "#2ca02c",
        "unknown": "#555555",
    }
    payload: dict[str, Any] = {
        "plans": [],
        "points": {
            "rows": rows,
            "colours": kind_colours,
            "label": f"산단·지역 (sites, {len(rows)})",
        },
        "bounds": [_ll(x0, y0), _ll(x1, y1)],
        "title": title or f"{len(rows)} sites",
        "subtitles": [],
        "labels": _LABELS,
        "colours": _COLOURS,
        "legend": [
            {"kind": "linked_complex", "colour": c, "label": f"{KIND_KO[Kind(k)]} ({k})"}
            for k, c in kind_colours.items()
            if k != "unknown"
        ],
        "basemap": None,
        "attribution": None,
    }
    _Overlay(payload, tile_layers, None).add_to(m)
    return m


def program_map(
    G: nx.Graph | None = None,
    *,
    plans: Sequence[Plan | str] | None = None,
    tiles: str | None = "openstreetmap",
    vworld_key: str | None = None,
    offline: bool = False,
    title: str | None = None,
) -> folium.Map:
    """Return a map of the program as one network: each site once, sized by its plans.

    Draws :func:`~sandan_geo.program_graph` (of ``plans``, every built-in plan by
    default): a site shared by several plans is one symbol, scaled by how many
    plans hold it (its popup names them); every value-chain link once, with the
    plans it belongs to; the hub star for a site that was ever a hub.

    Examples
    --------
    >>> m = program_map(plans=["jeonnam-2020", "jeonnam-2023"], offline=True)
    >>> html = map_html(m, offline=True)
    >>> html.count('"key":"gwangyang"'), "n_plans" in html
    (1, True)
    """
    from .network import program_graph

    if G is None:
        G = program_graph(plans)
    if G.number_of_nodes() == 0:
        raise InputError("the program graph has no site", hint="give at least one plan")
    counts = {str(k): float(d.get("n_plans", 1)) for k, d in G.nodes(data=True)}
    sizes = _scaled_sizes(counts)
    sites: list[dict[str, Any]] = []
    for key, d in G.nodes(data=True):
        roles = set((d.get("roles") or {}).values())
        role = (
            Role.HUB
            if "hub" in roles
            else Role.LINKED_ZONE
            if d.get("kind") == "zone"
            else Role.LINKED_COMPLEX
        )
        kind = Kind(d["kind"]) if d.get("kind") else None
        sites.append(
            {
                "key": str(key),
                "name_ko": d.get("name_ko") or str(key),
                "name_en": None,
                "role": role.value,
                "role_ko": ROLE_KO[role],
                "kind": kind.value if kind else None,
                "kind_ko": KIND_KO[kind] if kind else None,
                "function": ", ".join(str(x) for x in d.get("plans", ())),
                "industries": [],
                "area_km2": None,
                "province": None,
                "municipality": None,
                "parts": 1,
                "approximate": True,
                "point_confidence": None,
                "latlon": _ll(float(d["lon"]), float(d["lat"])),
                "critical": False,
                "size": sizes[str(key)],
                "size_value": counts[str(key)],
            }
        )
    links: dict[tuple[str, str], list[str]] = {}
    for u, v, e in G.edges(data=True):
        if e.get("kind") != "link" or "plan" not in e:
            continue
        a, b = (e.get("from", u), e.get("to", v))
        links.setdefault((str(a), str(b)), []).append(str(e["plan"]))
    link_data = []
    for (a, b), plan_ids in links.items():
        pa, pb = G.nodes[a], G.nodes[b]
        start, end = (float(pa["lon"]), float(pa["lat"])), (float(pb["lon"]), float(pb["lat"]))
        link_data.append(
            {
                "from_name": pa.get("name_ko") or a,
                "to_name": pb.get("name_ko") or b,
                "relation": ", ".join(sorted(set(plan_ids))),
                "line": _geodesic_line(start, end),
                "arrow": _arrow(start, end),
                "bridge": False,
            }
        )
    data: dict[str, Any] = {
        "id": "program",
        "name": title or "program",
        "colour": None,
        "size_by": "n_plans",
        "sites": sites,
        "extents": [],
        "links": link_data,
        "checks": [],
        "limits": [],
        "verdict": None,
        "rules": [],
        "group": None,
    }
    points = [shapely.Point(float(d["lon"]), float(d["lat"])) for _, d in G.nodes(data=True)]
    x0, y0, x1, y1 = shapely.GeometryCollection(points).bounds
    m = SandanMap(location=[36.3, 127.8], zoom_start=7, tiles=None, control_scale=True)
    m.offline = offline
    tile_layers = _tile_layers(m, tiles, vworld_key, offline)
    n_plans = len(G.graph.get("plans", ()))
    return _render(
        m,
        tile_layers,
        [data],
        [_ll(x0, y0), _ll(x1, y1)],
        title or f"산업단지 대개조 program: {len(sites)} sites, {n_plans} plans",
        overview=False,
    )


def overview_map(
    plans: Sequence[Plan],
    *,
    reports: Sequence[Report | None] | None = None,
    tiles: str | None = "openstreetmap",
    vworld_key: str | None = None,
    offline: bool = False,
    title: str | None = None,
    group_by: str = "plan",
) -> folium.Map:
    """Return one map of several plans, each in its own colour and layer.

    With ``group_by="year"`` the layers and colours are per announcement year
    (the program's rounds) instead of per plan.

    Examples
    --------
    >>> import sandan_geo as sg
    >>> plans = [sg.load_plan(p) for p in sg.builtin_plan_ids()]
    >>> m = overview_map(plans, tiles="none", title="2020 산업단지 대개조")
    >>> map_html(m).count("gyeongbuk-2020") >= 1
    True
    """
    if group_by not in ("plan", "year"):
        raise InputError(f"group_by is {group_by!r}", hint="use 'plan' or 'year'")
    reps = list(reports) if reports is not None else [None] * len(plans)
    if len(reps) != len(plans):
        raise InputError(
            f"{len(plans)} plans but {len(reps)} reports", hint="give one report per plan"
        )
    return _build(
        list(plans),
        reps,
        title=title,
        tiles=tiles,
        vworld_key=vworld_key,
        offline=offline,
        m=None,
        overview=True,
        group_by=group_by,
    )


# ---------------------------------------------------------------- HTML


def _walk(e: Element) -> Iterable[Element]:
    yield e
    for child in list(e._children.values()):
        yield from _walk(child)


def _stabilise_ids(root: Element) -> None:
    """Number every element's id in document order, so output is deterministic."""
    counter = 0

    def visit(e: Element) -> None:
        nonlocal counter
        e._id = f"{counter:05d}"
        counter += 1
        for child in list(e._children.values()):
            visit(child)

    visit(root)


_LEAFLET_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*leaflet[^"]*\.css"\s*/?>')
_LEAFLET_JS = re.compile(r'<script src="https?://[^"]*/leaflet\.js"></script>')
_ANY_LINK = re.compile(r'<link rel="stylesheet" href="https?://[^"]*"\s*/?>\s*')
_ANY_SCRIPT = re.compile(r'<script src="https?://[^"]*"></script>\s*')


@lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    try:
        import xstatic.pkg.leaflet as xl
    except ImportError as err:
        raise MissingDependencyError(
            "offline maps need the xstatic-leaflet package: pip install xstatic-leaflet"
        ) from err
    base = Path(xl.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = base / match.group(1)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", data_uri, css)
    if "</script" in js.lower() or "</style" in css.lower():  # pragma: no cover - sanity
        raise MissingDependencyError("the installed Leaflet assets cannot be inlined safely")
    return js, css


def map_html(m: folium.Map, *, offline: bool | None = None) -> str:
    """Render a map to a complete HTML document (UTF-8, deterministic ids).

    Parameters
    ----------
    m
        A map from :func:`plan_map` or any folium map.
    offline
        Inline Leaflet and drop every other external script and style; by
        default, whatever the map was made for.

    Examples
    --------
    >>> import sandan_geo as sg
    >>> html = map_html(plan_map(sg.load_plan("daegu-2020"), offline=True))
    >>> html.count("<script src=")
    0
    """
    if offline is None:
        offline = bool(getattr(m, "offline", False))
    root = m.get_root()
    overlays = [e for e in _walk(root) if isinstance(e, _Overlay)]
    saved = dict(m._children)
    if offline:  # no tile can load offline: leave them out, the overlay draws outlines
        m._children = type(m._children)(
            (k, v) for k, v in saved.items() if not isinstance(v, folium.TileLayer)
        )
    for o in overlays:
        o.render_offline = offline
    try:
        _stabilise_ids(root)
        html = root.render()
    finally:
        m._children = type(m._children)(saved.items())
        for o in overlays:
            o.render_offline = False
    titles = [str(o.payload_data.get("title") or "") for o in overlays]
    page_title = html_escape(next((t for t in titles if t), "sandan-geo map"))
    html = html.replace(
        "<head>", f'<head>\n    <meta charset="utf-8">\n    <title>{page_title}</title>', 1
    )
    if not offline:  # Leaflet inlined all the same: with no network the page still draws
        js, css = _leaflet_assets()
        html = _LEAFLET_JS.sub(lambda _: "<script>" + js + "</script>", html, count=1)
        html = _LEAFLET_CSS.sub(lambda _: "<style>" + css + "</style>", html, count=1)
    if offline:
        js, css = _leaflet_assets()
        html = _LEAFLET_CSS.sub("", html, count=1)
        html = _ANY_LINK.sub("", html)
        html = _ANY_SCRIPT.sub("", html)
        html = html.replace(
            '<meta charset="utf-8">',
            '<meta charset="utf-8">\n    <style>'
            + css
            + "</style>\n    <script>"
            + js
            + "</script>",
            1,
        )
    return html


def save_map(m: folium.Map, path: str | os.PathLike[str], *, offline: bool | None = None) -> Path:
    """Write the map as a UTF-8 HTML file, atomically.

    Parameters
    ----------
    m
        The map.
    path
        Where to write; an existing file is replaced only when the new one is complete.
    offline
        See :func:`map_html`.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, sandan_geo as sg
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "daegu.html"
    >>> _ = save_map(plan_map(sg.load_plan("daegu-2020")), f, offline=True)
    >>> f.read_bytes()[:15]
    b'<!DOCTYPE html>'
    """
    return write_bytes_atomic(path, map_html(m, offline=offline).encode("utf-8"))


def find_chromium() -> str | None:
    """Return the path of a Chromium-family browser, or ``None``.

    ``SANDAN_GEO_CHROMIUM`` names one explicitly; otherwise ``chromium``,
    ``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` are
    looked up on ``PATH``.

    Examples
    --------
    >>> find_chromium() is None or Path(find_chromium()).exists()
    True
    """
    explicit = os.environ.get("SANDAN_GEO_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)
"""Flags :func:`save_png` starts Chromium with (and the browser tests reuse)."""

# save_png's Chromium reaches no network: every http(s)/ws request goes to a proxy
# that is not there (port 9, discard), loopback included (<-loopback> removes
# Chromium's implicit bypass for localhost), and no host name resolves. Only the
# file: page itself and its data: URLs load.
_NO_NETWORK_FLAGS = (
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pings",
    "--disable-domain-reliability",
)
NO_NETWORK_FLAGS = _NO_NETWORK_FLAGS  # public: the review PDF (review.py) prints with them


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def sandbox_flags() -> list[str]:
    """``--no-sandbox`` only when running as root, where Chromium refuses its sandbox.

    Chromium will not start its sandbox as root (CI and containers run as root);
    everywhere else the sandbox stays on.
    """
    return ["--no-sandbox"] if _is_root() else []


_INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _locked_html(html: str) -> str:
    """The page with a Content-Security-Policy that lets only its own scripts run.

    Scripts run only if they are the page's inline ``<script>`` elements as
    rendered (by hash): no event-handler attribute, ``javascript:`` URL, eval or
    remote script runs. Nothing is fetched but ``data:`` images and fonts; no
    frame, connection, form or base URL is allowed.
    """
    hashes = []
    for attrs, body in _INLINE_SCRIPT.findall(html):
        if "src=" in attrs.lower() or "application/json" in attrs.lower():
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    policy = (
        "default-src 'none'; script-src "
        + (" ".join(sorted(set(hashes))) or "'none'")
        + "; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
        "frame-src 'none'; form-action 'none'; base-uri 'none'"
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n    ' + meta, 1)


def save_png(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    width: int = 1400,
    height: int = 1000,
    wait_ms: int = 4000,
) -> Path:
    """Render the map to a PNG picture through headless Chromium.

    The page is rendered from its offline form, so tiles never delay it and no
    network is used; the basemap is the province and municipality outlines.

    Parameters
    ----------
    m
        The map.
    path
        The PNG file to write (atomically).
    width, height
        Picture size in pixels.
    wait_ms
        Virtual time given to the page to draw.

    Raises
    ------
    MissingDependencyError
        No Chromium found; the message says what to install.
    OutputError
        Chromium failed or the file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib, sandan_geo as sg
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "daegu.png"
    >>> if find_chromium():
    ...     _ = save_png(plan_map(sg.load_plan("daegu-2020"), offline=True), f)
    ...     assert f.read_bytes()[:4] == b"\\x89PNG"
    """
    browser = find_chromium()
    if browser is None:
        raise MissingDependencyError(
            "rendering a map to PNG needs Chromium: install it (Debian/Ubuntu: "
            "apt-get install chromium; or set SANDAN_GEO_CHROMIUM to a Chrome/Chromium binary)"
        )
    with tempfile.TemporaryDirectory(prefix="sandan-geo-png-") as tmp:
        page = Path(tmp) / "map.html"
        page.write_text(_locked_html(map_html(m, offline=True)), encoding="utf-8")
        shot = Path(tmp) / "map.png"
        cmd = [
            browser,
            *CHROMIUM_FLAGS,
            *_NO_NETWORK_FLAGS,
            *sandbox_flags(),
            f"--user-data-dir={tmp}/profile",
            f"--window-size={width},{height}",
            f"--virtual-time-budget={wait_ms}",
            f"--screenshot={shot}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
            if proc.returncode != 0 and b"sandbox" in proc.stderr.lower() and not _is_root():
                # A platform with no usable sandbox (e.g. a container without user
                # namespaces): render without it; the page is still locked down.
                warnings.warn(
                    "Chromium's sandbox is not available here; rendering the PNG without it",
                    SandanGeoWarning,
                    stacklevel=2,
                )
                proc = subprocess.run(
                    [*cmd[:1], "--no-sandbox", *cmd[1:]],
                    capture_output=True,
                    timeout=120,
                    check=False,
                )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise OutputError(f"{path}: Chromium could not render the map ({err})") from err
        if proc.returncode != 0 or not shot.exists():
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise OutputError(f"{path}: Chromium failed to render the map ({' '.join(tail)})")
        return write_bytes_atomic(path, shot.read_bytes())
