"""The data model: sites, plans and value-chain links.

A :class:`Site` is a place (an industrial complex or a linked zone) with a
representative point and, where known, an extent. A :class:`Plan` puts sites in
roles (one hub, linked complexes, linked zones) and ties them with value-chain
:class:`Link` objects. A site's role belongs to the plan (:class:`PlanSite`), not
to the site, so one site can be linked in one plan and the hub of another.

All objects are frozen dataclasses; coordinates are WGS84 longitude/latitude.

Examples
--------
>>> hub = Site(key="hub1", name_ko="거점산단", lon=128.50, lat=35.84)
>>> l1 = Site(key="l1", name_ko="연계산단", lon=128.55, lat=35.88)
>>> plan = Plan(id="my-plan", name="예시",
...             sites=(PlanSite(hub, Role.HUB), PlanSite(l1, Role.LINKED_COMPLEX)),
...             links=(Link("hub1", "l1", "부품 공급"),))
>>> plan.hub.site.key, [m.site.key for m in plan.linked]
('hub1', ['l1'])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

from shapely import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from .crs import to_planar, to_storage
from .errors import InputError, SchemaError, UnknownSiteError

__all__ = [
    "Kind",
    "Link",
    "Part",
    "Plan",
    "PlanSite",
    "Role",
    "Site",
    "equal_area_disc",
    "representative_lonlat",
]

Extent: TypeAlias = Polygon | MultiPolygon

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
"""What a site key may be: a short ASCII identifier (letters, digits, ``_``, ``-``, ``.``)."""


class Kind(StrEnum):
    """Legal kind of a site (산업입지법 classes, plus ``zone`` for non-complex areas)."""

    NATIONAL = "national"  # 국가산업단지
    GENERAL = "general"  # 일반산업단지
    URBAN_HIGHTECH = "urban_hightech"  # 도시첨단산업단지
    AGRO_INDUSTRIAL = "agro_industrial"  # 농공단지
    ZONE = "zone"  # 연계지역: port land, innovation belt, free economic zone, ...


class Role(StrEnum):
    """Role of a site in one plan."""

    HUB = "hub"  # 거점산단
    LINKED_COMPLEX = "linked_complex"  # 연계산단
    LINKED_ZONE = "linked_zone"  # 연계지역


ROLE_KO: Mapping[Role, str] = MappingProxyType(
    {Role.HUB: "거점산단", Role.LINKED_COMPLEX: "연계산단", Role.LINKED_ZONE: "연계지역"}
)
KIND_KO: Mapping[Kind, str] = MappingProxyType(
    {
        Kind.NATIONAL: "국가산업단지",
        Kind.GENERAL: "일반산업단지",
        Kind.URBAN_HIGHTECH: "도시첨단산업단지",
        Kind.AGRO_INDUSTRIAL: "농공단지",
        Kind.ZONE: "연계지역",
    }
)


def representative_lonlat(geom: BaseGeometry) -> tuple[float, float]:
    """A site's point for an outline: its centroid if inside it, else a point on its surface.

    Rounded to 7 decimals (about 1 cm).

    Examples
    --------
    >>> from shapely import box
    >>> representative_lonlat(box(127.0, 37.0, 127.02, 37.02))
    (127.01, 37.01)
    """
    centroid = geom.centroid
    p = centroid if geom.contains(centroid) else geom.representative_point()
    return (round(p.x, 7), round(p.y, 7))


def equal_area_disc(lon: float, lat: float, area_m2: float, *, segments: int = 64) -> Polygon:
    """Return a disc of ``area_m2`` square metres centred on (lon, lat), in lon/lat.

    The disc is built in EPSG:5179 and projected back, so its true area is
    ``area_m2`` within the projection's area scale (under 0.2 % in South Korea).
    Used to approximate a site's extent when no official boundary is at hand.

    Parameters
    ----------
    lon, lat
        Centre in WGS84 degrees.
    area_m2
        Area in square metres, > 0.
    segments
        Number of vertices on the circle.

    Returns
    -------
    shapely.Polygon
        The disc in WGS84 lon/lat.

    Examples
    --------
    >>> from sandan_geo.crs import to_planar
    >>> disc = equal_area_disc(128.5, 35.84, 1_000_000)
    >>> round(to_planar(disc).area / 1e6, 2)
    1.0
    """
    if not (area_m2 > 0 and math.isfinite(area_m2)):
        raise SchemaError(
            f"area_m2 is {area_m2!r}", field="area_m2", hint="give a positive area in m²"
        )
    centre = to_planar(Point(lon, lat))
    # A regular n-gon of circumradius r has area n r² sin(2π/n) / 2: solve for r.
    n = segments
    radius = math.sqrt(2.0 * area_m2 / (n * math.sin(2.0 * math.pi / n)))
    ring = [
        (
            centre.x + radius * math.cos(2.0 * math.pi * i / n),
            centre.y + radius * math.sin(2.0 * math.pi * i / n),
        )
        for i in range(n)
    ]
    disc = to_storage(Polygon(ring))
    assert isinstance(disc, Polygon)
    return disc


def _confidence(sources: Sequence[Mapping[str, Any]]) -> str | None:
    """The first point confidence stated in ``sources`` (provenance mappings)."""
    for prov in sources:
        point = prov.get("point") if isinstance(prov, Mapping) else None
        if isinstance(point, Mapping) and point.get("confidence"):
            return str(point["confidence"]).lower()
    return None


@dataclass(frozen=True)
class Part:
    """One detached part of a site (a 단지 or 차 of a complex, an institution of a zone).

    Parameters
    ----------
    name_ko
        Korean name of the part, e.g. ``"제5단지"``.
    lon, lat
        A representative point of the part, WGS84 degrees.
    area_m2
        Designated area in m², ``None`` where no source gives it.
    boundary
        The part's official outline, if one is at hand.
    name_en
        English name, optional.
    provenance
        Where ``lon``/``lat`` and ``area_m2`` come from, and how sure they are.

    Examples
    --------
    >>> Part("제5단지", 128.45, 36.17, area_m2=9_339_000).approximate_extent().geom_type
    'Polygon'
    """

    name_ko: str
    lon: float
    lat: float
    area_m2: float | None = None
    boundary: Extent | None = None
    name_en: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def point(self) -> Point:
        """The part's representative point."""
        return Point(self.lon, self.lat)

    @property
    def point_confidence(self) -> str | None:
        """Confidence of the part's point from its provenance, ``None`` where none is stated."""
        return _confidence([self.provenance])

    def approximate_extent(self) -> Extent | None:
        """Return the official boundary, else an equal-area disc, else ``None``."""
        if self.boundary is not None:
            return self.boundary
        if self.area_m2:
            return equal_area_disc(self.lon, self.lat, self.area_m2)
        return None


@dataclass(frozen=True)
class Site:
    """A place that can take part in a plan: an industrial complex or a zone.

    Parameters
    ----------
    key
        Stable ASCII identifier, e.g. ``"seongseo"``.
    name_ko
        Korean name, e.g. ``"성서일반산업단지"``.
    lon, lat
        Representative point (inside the developed area), WGS84 degrees.
    name_en
        English name.
    kind
        Legal kind; ``None`` where unknown.
    industries
        Main industries, Korean.
    extent
        Polygon or multipolygon outline; ``None`` where unknown.
    extent_approximate
        True when ``extent`` is an approximation (e.g. equal-area discs), not an
        official boundary.
    area_m2
        Designated area in m² (all parts), ``None`` where no source gives it.
    parts
        Detached parts, each with its own point, area and provenance.
    province, municipality
        Administrative units (시·도, 시·군·구) of the representative point.
    provenance
        Sources and confidence of the point, area and extent.
    attrs
        Any other facts (status flags, aliases, notes).

    Examples
    --------
    >>> s = Site(key="hub1", name_ko="거점산단", lon=128.5, lat=35.84)
    >>> s.point.wkt, s.footprint.geom_type
    ('POINT (128.5 35.84)', 'Point')
    """

    key: str
    name_ko: str
    lon: float
    lat: float
    name_en: str | None = None
    kind: Kind | None = None
    industries: tuple[str, ...] = ()
    extent: Extent | None = None
    extent_approximate: bool = False
    area_m2: float | None = None
    parts: tuple[Part, ...] = ()
    province: str | None = None
    municipality: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def point(self) -> Point:
        """The representative point as a shapely Point (lon, lat)."""
        return Point(self.lon, self.lat)

    @property
    def point_approximate(self) -> bool:
        """True when the representative point is an estimate (confidence ``low``).

        Read from ``attrs["point_approximate"]`` if set, else from the
        provenance of the part whose point is the representative point, else
        from ``provenance["point"]``.
        """
        if "point_approximate" in self.attrs:
            return bool(self.attrs["point_approximate"])
        return self.point_confidence == "low"

    @property
    def point_confidence(self) -> str | None:
        """Confidence of the representative point: ``"high"``, ``"medium"``, ``"low"`` or ``None``.

        ``None`` when no provenance states one (a user's own coordinates). Read
        from the part whose point is the representative point, else from
        ``provenance["point"]``.

        Examples
        --------
        >>> Site(key="a", name_ko="가", lon=127.0, lat=37.0).point_confidence is None
        True
        """
        sources = [p.provenance for p in self.parts if (p.lon, p.lat) == (self.lon, self.lat)]
        sources.append(self.provenance)
        return _confidence(sources)

    @property
    def dan_ids(self) -> tuple[str, ...]:
        """The official complex codes (``DAN_ID`` of the national boundary layer ``DAM_DAN``).

        Read from ``attrs["dan_id"]``: a code, a list of codes, or a list of
        mappings with a ``code`` (and its ``source`` and ``confidence``). Empty
        for zones and for sites whose code is not known.

        Examples
        --------
        >>> Site(key="a", name_ko="가", lon=127.0, lat=37.0,
        ...      attrs={"dan_id": [{"code": "200140", "source": "S1"}]}).dan_ids
        ('200140',)
        """
        raw = self.attrs.get("dan_id")
        items = raw if isinstance(raw, list | tuple) else [raw] if raw is not None else []
        codes = []
        for item in items:
            code = item.get("code") if isinstance(item, Mapping) else item
            if isinstance(code, str | int) and not isinstance(code, bool) and str(code).strip():
                codes.append(str(code).strip())
        return tuple(codes)

    @property
    def uncertainty_m(self) -> float | None:
        """The uncertainty of the site's location the user stated (metres), else ``None``.

        Read from ``attrs["uncertainty_m"]`` (field ``uncertainty_m`` of a plan's site).

        Examples
        --------
        >>> Site(key="a", name_ko="가", lon=127.0, lat=37.0, attrs={"uncertainty_m": 300}).uncertainty_m
        300.0
        """
        value = self.attrs.get("uncertainty_m")
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        return None

    @property
    def extent_source(self) -> str:
        """Where the footprint comes from: ``official``, ``user``, ``approximate``, ``points`` or ``point``.

        ``official``: an outline attached from a boundary file
        (:func:`~sandan_geo.attach_boundaries`); ``user``: an outline drawn in
        the plan; ``approximate``: equal-area discs; ``points``/``point``: no
        extent, only the parts' points or the representative point.

        Examples
        --------
        >>> Site(key="a", name_ko="가", lon=127.0, lat=37.0).extent_source
        'point'
        """
        if self.extent is None:
            return "points" if len(self.parts) > 1 else "point"
        if self.extent_approximate:
            return "approximate"
        extent_prov = self.provenance.get("extent")
        if isinstance(extent_prov, Mapping) and extent_prov.get("official"):
            return "official"
        return "user"

    @property
    def footprint(self) -> BaseGeometry:
        """What the boundary metric measures from.

        The extent where there is one; else the parts' points (a zone made of
        institutions); else the representative point.
        """
        if self.extent is not None:
            return self.extent
        if len(self.parts) > 1:
            return MultiPoint([p.point for p in self.parts])
        return self.point

    @property
    def footprint_approximate(self) -> bool:
        """True when :attr:`footprint` is not an official outline."""
        return self.extent is None or self.extent_approximate

    @classmethod
    def from_parts(cls, key: str, name_ko: str, parts: Sequence[Part], **kwargs: Any) -> Site:
        """Build a site whose extent is the union of its parts' extents.

        Parts with an official ``boundary`` contribute it; parts with only an
        area contribute an equal-area disc, and the site is then flagged
        ``extent_approximate``. The representative point defaults to the largest
        part's point; the area defaults to the sum of the parts' areas when every
        part has one.

        Examples
        --------
        >>> a = Part("1차", 128.50, 35.84, area_m2=2_000_000)
        >>> b = Part("5차", 128.45, 35.87, area_m2=1_000_000)
        >>> s = Site.from_parts("s", "성서", [a, b])
        >>> s.extent.geom_type, s.extent_approximate, s.area_m2, (s.lon, s.lat)
        ('MultiPolygon', True, 3000000.0, (128.5, 35.84))
        """
        parts = tuple(parts)
        if not parts:
            raise SchemaError("a site built from parts needs at least one part", site=key)
        pieces = [p.approximate_extent() for p in parts]
        shapes = [g for g in pieces if g is not None]
        extent: Extent | None = None
        if shapes:
            merged = unary_union(shapes)
            extent = merged if isinstance(merged, MultiPolygon | Polygon) else None
        approximate = any(p.boundary is None for p in parts) or len(shapes) < len(parts)
        largest = max(parts, key=lambda p: p.area_m2 or 0.0)
        areas = [p.area_m2 for p in parts]
        total = float(sum(a for a in areas if a)) if all(areas) else None
        kwargs.setdefault("lon", largest.lon)
        kwargs.setdefault("lat", largest.lat)
        kwargs.setdefault("area_m2", total)
        return cls(
            key=key,
            name_ko=name_ko,
            extent=extent,
            extent_approximate=approximate,
            parts=parts,
            **kwargs,
        )

    def renamed(self, key: str) -> Site:
        """Return a copy of the site under another key (a plan-local alias).

        Examples
        --------
        >>> Site(key="a", name_ko="가", lon=127.0, lat=37.0).renamed("b").key
        'b'
        """
        return replace(self, key=key)


@dataclass(frozen=True)
class PlanSite:
    """A site in the role it plays in one plan.

    Parameters
    ----------
    site
        The site.
    role
        Hub, linked complex or linked zone in this plan.
    function
        Its role in the value chain as the plan's source states it,
        e.g. ``"전장부품·모듈 공급"``.
    plan_industries
        The industries the plan names for this site; :attr:`industries` falls
        back to the site's own when the plan names none.

    Examples
    --------
    >>> s = Site(key="a", name_ko="가", lon=127.0, lat=37.0, industries=("기계",))
    >>> PlanSite(s, Role.HUB).industries
    ('기계',)
    """

    site: Site
    role: Role
    function: str | None = None
    plan_industries: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The site's key."""
        return self.site.key

    @property
    def industries(self) -> tuple[str, ...]:
        """Industries named by the plan, else the site's own."""
        return self.plan_industries or self.site.industries


@dataclass(frozen=True)
class Link:
    """A value-chain link: ``source`` supplies or serves ``target``.

    Parameters
    ----------
    source, target
        Site keys. In files these are the fields ``from`` and ``to``.
    relation
        What flows, in words, e.g. ``"전장부품 공급"``.
    attrs
        Any other facts about the link.

    Examples
    --------
    >>> Link("hub1", "l1", "부품 공급")
    Link(source='hub1', target='l1', relation='부품 공급', attrs={})
    """

    source: str
    target: str
    relation: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A proposal: one hub, its linked complexes and zones, and value-chain links.

    Construction checks the plan's invariants and raises an :class:`InputError`
    subclass listing every problem: exactly one hub, unique site keys, links
    between existing and distinct sites, no duplicate links.

    Parameters
    ----------
    id
        Plan identifier, e.g. ``"daegu-2020"``.
    name
        Human-readable name.
    sites
        The sites in their roles.
    links
        Value-chain links between site keys.
    rules
        The plan's own rule specification (a preset name or a list of rule
        mappings), or ``None`` when the plan states no rule.
    meta
        Anything else: region, year, targets, criteria, sources.
    path
        The file the plan was read from, if any.

    Raises
    ------
    SchemaError
        No hub, several hubs, duplicate keys or links, a link to itself.
    UnknownSiteError
        A link names a site that is not in the plan.
    """

    id: str
    name: str
    sites: tuple[PlanSite, ...]
    links: tuple[Link, ...] = ()
    rules: Any = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None

    def __post_init__(self) -> None:
        problems: list[tuple[type[InputError], str]] = []
        hubs = [m.key for m in self.sites if m.role is Role.HUB]
        if not hubs:
            problems.append(
                (SchemaError, "no site has role 'hub'; mark exactly one site role: hub")
            )
        elif len(hubs) > 1:
            problems.append(
                (
                    SchemaError,
                    f"{len(hubs)} sites have role 'hub' ({', '.join(hubs)}); a plan has exactly "
                    "one hub: make the others linked_complex or linked_zone",
                )
            )
        seen: set[str] = set()
        for m in self.sites:
            if m.key in seen:
                problems.append(
                    (SchemaError, f"site key '{m.key}' is used twice; give each site its own key")
                )
            seen.add(m.key)
        pairs: set[tuple[str, str]] = set()
        # the known keys, shown once (the first unknown name) and at most 20 of them
        shown = sorted(seen)
        known: str | None = ", ".join(shown[:20]) + (
            f", … {len(shown) - 20:,} more" if len(shown) > 20 else ""
        )
        for i, link in enumerate(self.links):
            where = f"link {i + 1} ({link.source} -> {link.target})"
            for end, name in (("from", link.source), ("to", link.target)):
                if name not in seen:
                    listed = f" (sites: {known or 'none'})" if known is not None else ""
                    known = None
                    problems.append(
                        (
                            UnknownSiteError,
                            f"{where}: '{end}' names site '{name}', which is not in the plan"
                            + listed,
                        )
                    )
            if link.source == link.target:
                problems.append(
                    (SchemaError, f"{where}: links a site to itself; link two different sites")
                )
            if (link.source, link.target) in pairs:
                problems.append(
                    (
                        SchemaError,
                        f"{where}: the same link is given twice; put both relations in one "
                        "'relation' text",
                    )
                )
            pairs.add((link.source, link.target))
        if problems:
            kind = problems[0][0]
            raise kind(problems[0][1], path=self.path, problems=[t for _, t in problems])

    @property
    def hub(self) -> PlanSite:
        """The hub (거점산단)."""
        return next(m for m in self.sites if m.role is Role.HUB)

    @property
    def linked(self) -> tuple[PlanSite, ...]:
        """The linked complexes and zones, in plan order."""
        return tuple(m for m in self.sites if m.role is not Role.HUB)

    def member(self, key: str) -> PlanSite:
        """Return the plan site with ``key``.

        Raises
        ------
        UnknownSiteError
            No site in the plan has that key.
        """
        for m in self.sites:
            if m.key == key:
                return m
        keys = ", ".join(m.key for m in self.sites)
        raise UnknownSiteError(f"no site '{key}' in plan '{self.id}' (sites: {keys})")
