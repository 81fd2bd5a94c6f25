"""How far a measured distance can be from the true one, given what the data is.

A distance between two sites is measured on the data at hand: a representative
point that may be an estimate, an extent that may be an equal-area disc rather
than the real outline. This module gives each site an *uncertainty* in metres
under a metric, and turns a measured distance into a range ``[lo, hi]`` that
holds the true distance when each site's real point or outline lies within its
uncertainty of the one measured. The argument is the Hausdorff bound: if the
real footprint ``A'`` is within Hausdorff distance ``u_a`` of the measured
``A`` (and likewise ``B'`` of ``B``), then ``|d(A', B') - d(A, B)| <= u_a + u_b``
for the shortest gap between sets, and trivially for points.

Per site, the amounts come from the data, value by value:

- **a point** contributes :data:`POINT_UNCERTAINTY_M` for its provenance
  confidence (``high``/``medium``/``low``), or the ``uncertainty_m`` the user
  stated for the site; a user's own coordinates without either count as exact;
- **an approximate extent** (an equal-area disc of radius ``r`` around a point)
  contributes, per part, the point's amount plus :data:`DISC_HAUSDORFF_K` × ``r``,
  the share of the radius by which a real outline of that area departs from
  the disc (calibrated on real outlines: ``docs/uncertainty.md``);
- **an official outline** (attached from a boundary file) contributes nothing;
  a user-drawn outline contributes the ``uncertainty_m`` the user stated (0 by
  default).

The ``centroid`` metric uses the point amount, ``boundary`` and ``road`` the
footprint amount. For ``road`` the range is a floor on the real spread: moving
a site by ``u`` can change a network distance by more than ``u``.

Examples
--------
>>> from sandan_geo.model import Site
>>> s = Site(key="a", name_ko="가", lon=128.5, lat=35.84,
...          provenance={"point": {"source": "estimate", "confidence": "low"}})
>>> site_uncertainty_m(s, "centroid")
2000.0
>>> distance_range_m(5_000.0, 1_500.0, 0.0)
(3500.0, 6500.0)
>>> verdict_for((3_500.0, 6_500.0), 7_500.0)
'pass'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .model import Part, Site

__all__ = [
    "DISC_HAUSDORFF_K",
    "POINT_UNCERTAINTY_M",
    "VERDICTS",
    "distance_range_m",
    "footprint_uncertainty_m",
    "point_uncertainty_m",
    "site_uncertainty_m",
    "uncertainty_basis",
    "verdict_for",
]

POINT_UNCERTAINTY_M: Mapping[str, float] = MappingProxyType(
    {"high": 250.0, "medium": 800.0, "low": 2000.0}
)
"""Uncertainty (m) of a built-in point by its provenance confidence.

``high``: an official statistic or two independent sources agree on a point
inside the complex; ``medium``: one good source (a geocoded address of a firm
or office inside the complex); ``low``: an estimate from a district name or a
map reading. Checked against real outlines in ``docs/uncertainty.md``: the
built-in points found there lay 0.8 km (medium) and 1.7–2.1 km (low) from the
outline's representative point; ``high`` has no sample yet and takes a quarter
kilometre.
"""

DISC_HAUSDORFF_K = 1.5
"""Hausdorff distance between a real outline and the equal-area disc around its
representative point, as a share of the disc's radius: the 90th percentile (1.46,
rounded up) over 66 official outlines of 포항 and 경기 (``docs/uncertainty.md``,
``benchmarks/calibrate_extents.py``); with it the pair bound held for 98.9 % of 286
pairs within 20 km."""

VERDICTS = ("pass", "fail", "uncertain", "info")
"""The verdicts of a check: ``pass`` (even the far end of the range is within the
limit), ``fail`` (even the near end is beyond it), ``uncertain`` (the limit lies
inside the range) and ``info`` (a distance listed with no limit)."""

# Two geodesic computations of one distance agree to well under a micrometre.
_AT_LIMIT_M = 1e-6


def _disc_radius_m(area_m2: float | None) -> float:
    return math.sqrt(area_m2 / math.pi) if area_m2 else 0.0


def point_uncertainty_m(site: Site | Part, *, stated: float | None = None) -> float:
    """Uncertainty (m) of a site's or part's point.

    ``stated`` (the site's ``uncertainty_m``) wins; else the point's provenance
    confidence through :data:`POINT_UNCERTAINTY_M`; else 0 (a user's own point).

    Examples
    --------
    >>> from sandan_geo.model import Site
    >>> point_uncertainty_m(Site(key="a", name_ko="가", lon=127.0, lat=37.0))
    0.0
    """
    if stated is not None:
        return stated
    conf = site.point_confidence
    if conf is None:
        return 0.0
    return POINT_UNCERTAINTY_M.get(conf, POINT_UNCERTAINTY_M["low"])


def footprint_uncertainty_m(site: Site) -> float:
    """Uncertainty (m) of the footprint the boundary metric measures from.

    Official outline: 0. User-drawn outline: the stated ``uncertainty_m`` (0
    by default). Approximate discs: for each part, its point's amount plus
    :data:`DISC_HAUSDORFF_K` × the disc's radius; the site takes the largest
    (the Hausdorff distance between unions is at most the largest between
    their members). Points only: the largest point amount.

    Examples
    --------
    >>> import math
    >>> from sandan_geo.model import Site, equal_area_disc
    >>> s = Site(key="a", name_ko="가", lon=128.5, lat=35.84, area_m2=math.pi * 1e6,
    ...          extent=equal_area_disc(128.5, 35.84, math.pi * 1e6), extent_approximate=True)
    >>> s.extent_source, footprint_uncertainty_m(s) == DISC_HAUSDORFF_K * 1000.0
    ('approximate', True)
    """
    stated = site.uncertainty_m
    source = site.extent_source
    if source == "official":
        return 0.0
    if source == "user":
        return stated or 0.0
    if site.parts:
        amounts = []
        for part in site.parts:
            own = point_uncertainty_m(part, stated=stated)
            if source == "approximate" and part.boundary is None:
                own += DISC_HAUSDORFF_K * _disc_radius_m(part.area_m2)
            amounts.append(own)
        return max(amounts)
    own = point_uncertainty_m(site, stated=stated)
    if source == "approximate":
        own += DISC_HAUSDORFF_K * _disc_radius_m(site.area_m2)
    return own


def uncertainty_basis(metric: Any) -> str | None:
    """What a metric measures from: ``"point"``, ``"footprint"`` or ``None`` (unknown).

    A metric object may say so itself with an ``uncertainty_basis`` attribute.

    Examples
    --------
    >>> uncertainty_basis("centroid"), uncertainty_basis("boundary")
    ('point', 'footprint')
    """
    own = getattr(metric, "uncertainty_basis", None)
    if own in ("point", "footprint"):
        return str(own)
    name = metric if isinstance(metric, str) else getattr(metric, "name", None)
    return {"centroid": "point", "boundary": "footprint", "road": "footprint"}.get(str(name))


def site_uncertainty_m(site: Site, metric: Any) -> float | None:
    """Uncertainty (m) of a site under a metric (name or object); ``None`` if unknown.

    Examples
    --------
    >>> from sandan_geo.model import Site
    >>> s = Site(key="a", name_ko="가", lon=127.0, lat=37.0, attrs={"uncertainty_m": 200})
    >>> site_uncertainty_m(s, "centroid"), site_uncertainty_m(s, "boundary")
    (200.0, 200.0)
    """
    basis = uncertainty_basis(metric)
    if basis == "point":
        if site.extent_source == "official":
            return 0.0  # the point is the official outline's own
        return point_uncertainty_m(site, stated=site.uncertainty_m)
    if basis == "footprint":
        return footprint_uncertainty_m(site)
    return None


def distance_range_m(value_m: float, u_a: float, u_b: float) -> tuple[float, float]:
    """The range ``[lo, hi]`` (m) of the true distance: ``value ± (u_a + u_b)``, ``lo >= 0``.

    Examples
    --------
    >>> distance_range_m(1_000.0, 700.0, 600.0)
    (0.0, 2300.0)
    """
    spread = u_a + u_b
    return (max(0.0, value_m - spread), value_m + spread)


def verdict_for(range_m: tuple[float, float], limit_m: float) -> str:
    """``pass`` if ``hi <= limit``, ``fail`` if ``lo > limit``, else ``uncertain``.

    Examples
    --------
    >>> verdict_for((7_000.0, 8_000.0), 7_500.0), verdict_for((7_600.0, 8_000.0), 7_500.0)
    ('uncertain', 'fail')
    """
    lo, hi = range_m
    if hi <= limit_m + _AT_LIMIT_M:
        return "pass"
    if lo > limit_m + _AT_LIMIT_M:
        return "fail"
    return "uncertain"


PROVENANCE_NOTE = MappingProxyType(
    {
        "official": "official outline",
        "user": "outline drawn in the plan",
        "approximate": "approximate extent (equal-area disc)",
        "points": "parts' points only",
        "point": "point only",
    }
)
