"""Write plans back out: as plan mappings (YAML) and GeoJSON FeatureCollections.

What :func:`plan_to_geojson` and :func:`plan_to_dict` write loads back with
:func:`sandan_geo.load_plan` to an equal plan (sites, roles, links, rules, metadata).

Examples
--------
>>> from sandan_geo import load_plan
>>> fc = plan_to_geojson(load_plan("daegu-2020"))
>>> fc["type"], fc["features"][0]["properties"]["role"]
('FeatureCollection', 'hub')
"""

from __future__ import annotations

import json
import os
from typing import Any

import yaml
from shapely.geometry import mapping

from ._io import json_text, write_text_atomic
from .errors import OutputError
from .model import Part, Plan, PlanSite

__all__ = ["plan_to_dict", "plan_to_geojson", "save_plan"]


def _part_dict(p: Part) -> dict[str, Any]:
    out: dict[str, Any] = {"name_ko": p.name_ko, "lon": p.lon, "lat": p.lat}
    if p.name_en:
        out["name_en"] = p.name_en
    if p.area_m2 is not None:
        out["area_m2"] = p.area_m2
    if p.boundary is not None:
        out["boundary"] = _geom(p.boundary)
    if p.provenance:
        out["provenance"] = dict(p.provenance)
    return out


def _geom(g: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(mapping(g)))  # tuples → lists, plain JSON types
    return out


def _site_dict(m: PlanSite) -> dict[str, Any]:
    s = m.site
    out: dict[str, Any] = {"key": s.key, "name_ko": s.name_ko, "role": m.role.value}
    if s.name_en:
        out["name_en"] = s.name_en
    if s.kind:
        out["kind"] = s.kind.value
    if m.function:
        out["function"] = m.function
    if m.plan_industries:
        out["industries"] = list(m.plan_industries)
    if s.industries != m.plan_industries:
        out["site_industries"] = list(s.industries)
    out["lon"], out["lat"] = s.lon, s.lat
    if s.area_m2 is not None:
        out["area_m2"] = s.area_m2
    if s.parts:
        out["parts"] = [_part_dict(p) for p in s.parts]
    if s.extent is not None and not s.extent_approximate:
        out["boundary"] = _geom(s.extent)  # an official outline (e.g. attach_boundaries)
    elif s.extent is not None and not s.parts and not s.area_m2:
        out["boundary"] = _geom(s.extent)
        out["extent_approximate"] = True
    for name in ("province", "municipality"):
        if getattr(s, name):
            out[name] = getattr(s, name)
    if s.provenance:
        out["provenance"] = dict(s.provenance)
    if s.attrs:
        out["attrs"] = dict(s.attrs)
    return out


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Return the plan as a self-contained mapping in the plan-file form.

    Built-in sites are written out in full (no ``ref``), so the file stands alone.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> d = plan_to_dict(load_plan("daegu-2020"))
    >>> d["id"], d["sites"][0]["role"]
    ('daegu-2020', 'hub')
    >>> load_plan(d) == load_plan("daegu-2020")
    True
    """
    out: dict[str, Any] = {"id": plan.id, "name": plan.name}
    if plan.rules is not None:
        out["rules"] = plan.rules
    out.update({k: v for k, v in plan.meta.items()})
    out["sites"] = [_site_dict(m) for m in plan.sites]
    out["links"] = [
        {
            "from": link.source,
            "to": link.target,
            **({"relation": link.relation} if link.relation else {}),
            **({"attrs": dict(link.attrs)} if link.attrs else {}),
        }
        for link in plan.links
    ]
    return out


def plan_to_geojson(plan: Plan) -> dict[str, Any]:
    """Return the plan as a GeoJSON FeatureCollection that loads back as a plan.

    One feature per site (its extent, or its point where it has none) with
    ``key``, ``name_ko``, ``role`` and the other site fields as properties, the
    representative point as ``lon``/``lat``; one LineString per value-chain
    link with ``from``, ``to`` and ``relation``. Plan fields travel as
    foreign members (``id``, ``name``, ``rules``, ...).

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> fc = plan_to_geojson(load_plan("gwangju-2020"))
    >>> [f["geometry"]["type"] for f in fc["features"]][-1]
    'LineString'
    """
    d = plan_to_dict(plan)
    features: list[dict[str, Any]] = []
    by_key = {m.key: m for m in plan.sites}
    for entry in d["sites"]:
        m = by_key[entry["key"]]
        props = dict(entry)
        boundary = props.pop("boundary", None)
        geometry = boundary or {"type": "Point", "coordinates": [m.site.lon, m.site.lat]}
        if boundary is None and m.site.extent is not None and m.site.extent_approximate:
            props["extent_approximate"] = True
        if boundary is None:
            props.pop("lon")
            props.pop("lat")
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    for link in d["links"]:
        a, b = by_key[link["from"]].site, by_key[link["to"]].site
        features.append(
            {
                "type": "Feature",
                "properties": dict(link),
                "geometry": {"type": "LineString", "coordinates": [[a.lon, a.lat], [b.lon, b.lat]]},
            }
        )
    fc: dict[str, Any] = {"type": "FeatureCollection"}
    fc.update({k: v for k, v in d.items() if k not in ("sites", "links")})
    fc["features"] = features
    return fc


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> None:
    """Write the plan to ``path`` as YAML (``.yaml``/``.yml``) or GeoJSON (``.geojson``/``.json``).

    Written as UTF-8 through a temporary file: an error leaves an existing file as it was.

    Raises
    ------
    OutputError
        Unknown suffix, or the file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sandan_geo import load_plan
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "daegu.yaml"
    >>> save_plan(load_plan("daegu-2020"), f)
    >>> load_plan(f).hub.key
    'seongseo'
    """
    suffix = os.fspath(path).lower().rsplit(".", 1)[-1]
    if suffix in ("yaml", "yml"):
        text = yaml.safe_dump(plan_to_dict(plan), allow_unicode=True, sort_keys=False)
    elif suffix in ("geojson", "json"):
        text = json_text(plan_to_geojson(plan), indent=1) + "\n"
    else:
        raise OutputError(f"{path}: unknown plan suffix; use .yaml, .yml, .geojson or .json")
    write_text_atomic(path, text)
