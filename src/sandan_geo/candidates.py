"""Which sites could join a hub's plan: the sites within reach, nearest first.

:func:`candidates` asks the question a planner asks before adding a linked
complex to a plan. It sits above the checks: with a plan, it tells for each
site whether the plan would still pass its distance rules
(:func:`~sandan_geo.check_plan`), and it measures with the pair search's
bulk machinery (:mod:`sandan_geo.pairs`).

Examples
--------
>>> from sandan_geo import builtin_sites
>>> sites = builtin_sites()
>>> list(candidates(sites["seongseo"], sites, 5).key)
['seodaegu']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .check import check_plan
from .crs import GEOD, km_to_m, m_to_km
from .errors import InputError, RuleError, SchemaError
from .geodesy import planar_reach_m
from .measure import DEFAULT_METRIC, BoundaryMetric, CentroidMetric, Metric, Outlines, get_metric
from .model import Kind, Link, Plan, PlanSite, Role, Site
from .network import analyze_network
from .pairs import boundary_gaps_m, checked_max_km
from .road import RoadMetric
from .roadmatrix import road_matrix
from .rules import Rule, parse_rules
from .sitetable import duplicate_key_problems

__all__ = ["CANDIDATE_COLUMNS", "NETWORK_COLUMNS", "RANK_BY", "candidates"]

CANDIDATE_COLUMNS: tuple[str, ...] = (
    "key",
    "name_ko",
    "kind",
    "distance_km",
    "metric",
    "shared_industries",
    "affinity",
)
"""Columns of :func:`candidates`' result, in order (``keeps_rules`` follows when a plan is given)."""

NETWORK_COLUMNS: tuple[str, ...] = (
    "links_to",
    "critical",
    "reconnects",
    "mean_link_km_change",
    "adds_industries",
)
"""Columns :func:`candidates` adds with ``rank_by="network"``, in order, after ``keeps_rules``."""

RANK_BY: tuple[str, ...] = ("distance", "network")
"""The orders :func:`candidates` can rank by."""


def _site_items(sites: Any) -> list[tuple[str, Site]]:
    if isinstance(sites, Site):
        raise InputError("sites is a single Site", hint="give a list or a mapping of sites")
    if isinstance(sites, Mapping):
        items = [(str(k), s) for k, s in sites.items()]
    elif isinstance(sites, Iterable) and not isinstance(sites, str | bytes):
        items = [(getattr(s, "key", ""), s) for s in sites]
    else:
        raise InputError(
            f"sites is a {type(sites).__name__}",
            hint="give Site objects: a list or a mapping key -> Site",
        )
    if not items:
        raise InputError("no sites given", hint="give at least one Site besides the hub")
    problems = [
        f"item {n + 1} is a {type(s).__name__}, not a Site"
        for n, (_, s) in enumerate(items)
        if not isinstance(s, Site)
    ]
    problems.extend(duplicate_key_problems([k for k, _ in items]))
    if problems:
        raise SchemaError(
            problems[0], hint="give each Site once, under its own key", problems=problems
        )
    return items


def _industries(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        text = str(v).strip()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def _distance_rules(spec: Any) -> tuple[Rule, ...]:
    return tuple(r for r in parse_rules(spec) if r.type in ("max_distance", "max_travel_time"))


def candidates(
    hub: Site,
    sites: Iterable[Site] | Mapping[str, Site],
    max_km: float,
    *,
    metric: str | Metric = DEFAULT_METRIC,
    industries: Iterable[str] | None = None,
    plan: Plan | None = None,
    rules: Any = None,
    rank_by: str = "distance",
) -> pd.DataFrame:
    """Rank the sites within ``max_km`` of a hub, nearest first or by what they add.

    A shortlist for a planner: which complexes and zones could join the hub's
    plan as linked sites, how far each is, and what industries it shares with
    the hub; with ``rank_by="network"``, what each would add to the plan's
    value chain.

    Parameters
    ----------
    hub
        The hub site. It is never its own candidate.
    sites
        Sites to consider (a sequence, or a mapping whose keys are used as
        the site keys).
    max_km
        Reach in kilometres, > 0; a site at exactly ``max_km`` is included.
    metric
        ``"boundary"`` (default, as in the rule presets), ``"centroid"``, or
        any metric name or object (e.g. a road metric): the built-in two are
        computed in bulk, others site by site.
    industries
        Industries to match against; default: the hub's industries in
        ``plan`` (when given), else the hub site's own.
    plan
        A plan whose hub is ``hub``: adds the column ``keeps_rules`` and
        leaves out sites already in the plan.
    rules
        Rules for ``keeps_rules`` (a preset name, rules or rule mappings, as
        for :func:`~sandan_geo.check_plan`); default: the plan's own.
    rank_by
        ``"distance"`` (default): nearest first. ``"network"`` (needs
        ``plan``): by the network gain of adding each site, with the columns
        :data:`NETWORK_COLUMNS` (see Returns).

    Returns
    -------
    pandas.DataFrame
        One row per site within reach, sorted by ``distance_km`` then ``key``,
        with columns ``key``, ``name_ko``, ``kind`` (``Kind`` value or
        ``None``), ``distance_km``, ``metric`` (the metric's name),
        ``shared_industries`` (tuple, in the order of the reference list),
        ``affinity`` and, with ``plan``, ``keeps_rules`` (bool).

        ``affinity`` is the Jaccard index of the two industry sets,
        ``|shared| / |reference ∪ site's|``, from 0 (nothing in common, or
        no industries known) to 1 (the same industries); names are compared
        exactly after trimming spaces.

        ``keeps_rules`` tells whether the plan, with the site added as a
        linked complex (a linked zone when its kind is ``zone``), still
        passes its distance rules (``max_distance`` and
        ``max_travel_time``), checked with :func:`~sandan_geo.check_plan`.
        Only the distance rules are evaluated: a candidate has no value-chain
        link yet, so it could not satisfy ``value_chain_connected``. A plan
        that already fails a distance rule gives ``False`` for every site;
        a rule set without distance rules gives ``True``.

        With ``rank_by="network"`` each site is imagined in the plan (a
        linked complex, or a linked zone when its kind is ``zone``) with a
        link to every plan site within ``max_km`` of it under the metric (the
        hub always is), and the plan's network is analysed
        (:func:`~sandan_geo.analyze_network`, same metric) before and after:
        ``links_to`` (the plan sites it would link to, plan order),
        ``critical`` (it would be a critical site: removing it would split
        the value chain), ``reconnects`` (how many sites unreachable from the
        hub it would tie back), ``mean_link_km_change`` (mean link length
        after minus before, km under the metric; NaN when the plan had no
        link) and ``adds_industries`` (its industries no plan site has). Rows
        are sorted by ``reconnects`` (most first), ``critical`` (first),
        the number of industries added (most first), ``mean_link_km_change``
        (smallest first), then ``distance_km`` and ``key``.

    Raises
    ------
    RuleError
        ``max_km`` is not a positive number, the metric is unknown, the plan
        states no rule and none are given, or ``rules`` without ``plan``.
    InputError
        No sites, duplicate keys, ``hub`` is not the hub of ``plan``, an
        unknown ``rank_by``, or ``rank_by="network"`` without ``plan``.

    Examples
    --------
    >>> from sandan_geo import builtin_sites, load_plan
    >>> sites = builtin_sites()
    >>> df = candidates(sites["seongseo"], sites, 20)
    >>> df[["key", "kind", "distance_km", "metric"]].round(1).head(2).to_dict("records")
    [{'key': 'seodaegu', 'kind': 'general', 'distance_km': 3.1, 'metric': 'boundary'}, {'key': 'daegu3', 'kind': 'general', 'distance_km': 7.1, 'metric': 'boundary'}]
    >>> plan = load_plan("daegu-2020")
    >>> ranked = candidates(plan.hub.site, sites, 20, plan=plan)
    >>> "seodaegu" in set(ranked.key), bool((ranked.keeps_rules == (ranked.distance_km <= 7.5)).all())
    (False, True)
    >>> gain = candidates(plan.hub.site, sites, 20, plan=plan, rank_by="network")
    >>> gain[["key", "links_to", "critical", "reconnects"]].values.tolist()[0]
    ['seongju', ('seongseo',), False, 0]
    """
    limit_km = checked_max_km(max_km, caller="candidates")
    metric_obj = get_metric(metric)
    if not isinstance(hub, Site):
        raise InputError(f"hub is a {type(hub).__name__}, not a Site", hint="give a Site")
    if rules is not None and plan is None:
        raise RuleError("rules are given without a plan", hint="pass plan=... to get keeps_rules")
    if rank_by not in RANK_BY:
        raise InputError(
            f"rank_by is {rank_by!r}", field="rank_by", hint="use 'distance' or 'network'"
        )
    if rank_by == "network" and plan is None:
        raise InputError(
            "rank_by='network' needs a plan to measure the gain in",
            field="rank_by",
            hint="pass plan=... (the plan whose hub is hub)",
        )
    items = _site_items(sites)
    exclude = {hub.key}
    reference: tuple[str, ...]
    checker: Callable[[Site], bool] | None = None
    if plan is not None:
        if plan.hub.key != hub.key:
            raise InputError(
                f"hub '{hub.key}' is not the hub of plan '{plan.id}' (its hub is '{plan.hub.key}')",
                hint="pass plan.hub.site as the hub",
            )
        exclude |= {m.key for m in plan.sites}
        checker = _rule_checker(plan, rules)
        reference = _industries(plan.hub.industries)
    else:
        reference = _industries(hub.industries)
    if industries is not None:
        if isinstance(industries, str):
            industries = [industries]
        reference = _industries(industries)
    pool = [(k, s) for k, s in items if k not in exclude]
    dist_m = _distances_from(hub, [s for _, s in pool], metric_obj, km_to_m(limit_km))
    ref = set(reference)
    rows = []
    for (key, site), d in zip(pool, dist_m, strict=True):
        if d is None or d > km_to_m(limit_km):
            continue
        own = set(_industries(site.industries))
        shared = tuple(x for x in reference if x in own)
        union = ref | own
        row: dict[str, Any] = {
            "key": key,
            "name_ko": site.name_ko,
            "kind": site.kind.value if site.kind else None,
            "distance_km": m_to_km(d),
            "metric": metric_obj.name,
            "shared_industries": shared,
            "affinity": len(shared) / len(union) if union else 0.0,
        }
        own_site = site if site.key == key else site.renamed(key)
        if checker is not None:
            row["keeps_rules"] = checker(own_site)
        if rank_by == "network" and plan is not None:
            row.update(_network_gain(plan, own_site, metric_obj, km_to_m(limit_km)))
        rows.append(row)
    columns = list(CANDIDATE_COLUMNS) + (["keeps_rules"] if checker is not None else [])
    if rank_by == "network":
        columns += list(NETWORK_COLUMNS)
    df = pd.DataFrame(rows, columns=columns)
    if rank_by == "network":
        df["mean_link_km_change"] = df["mean_link_km_change"].astype(float)
        order = df.assign(
            _n_adds=df["adds_industries"].map(len),
            _not_critical=~df["critical"].astype(bool),
        ).sort_values(
            ["reconnects", "_not_critical", "_n_adds", "mean_link_km_change", "distance_km", "key"],
            ascending=[False, True, False, True, True, True],
            kind="stable",
            na_position="last",
        )
        df = df.loc[order.index].reset_index(drop=True)
    else:
        df = df.sort_values(["distance_km", "key"], kind="stable").reset_index(drop=True)
    df.attrs.update(
        {"hub": hub.key, "max_km": limit_km, "metric": metric_obj.name, "rank_by": rank_by}
    )
    return df


def _network_gain(plan: Plan, site: Site, metric: Metric, limit_m: float) -> dict[str, Any]:
    """What adding ``site`` (linked to every plan site within ``limit_m``) does to the network."""
    before = analyze_network(plan, metric=metric).summary
    links_to = tuple(
        m.key
        for m in plan.sites
        if m.role is Role.HUB or metric.distance(site, m.site).value_m <= limit_m
    )
    role = Role.LINKED_ZONE if site.kind is Kind.ZONE else Role.LINKED_COMPLEX
    extended = replace(
        plan,
        sites=(*plan.sites, PlanSite(site, role)),
        links=(*plan.links, *(Link(site.key, k, "candidate") for k in links_to)),
    )
    after = analyze_network(extended, metric=metric).summary
    had = {x for m in plan.sites for x in _industries(m.industries)}
    mean_before, mean_after = before["mean_link_km"], after["mean_link_km"]
    return {
        "links_to": links_to,
        "critical": site.key in after["critical"],
        "reconnects": len(before["unreachable"]) - len(after["unreachable"]),
        "mean_link_km_change": (
            mean_after - mean_before if mean_before is not None else float("nan")
        ),
        "adds_industries": tuple(x for x in _industries(site.industries) if x not in had),
    }


def _rule_checker(plan: Plan, rules: Any) -> Callable[[Site], bool]:
    spec = rules if rules is not None else plan.rules
    if spec is None:
        raise RuleError(
            f"plan '{plan.id}' states no rule",
            hint="pass rules=... (e.g. 'daegu') to get keeps_rules",
        )
    distance_rules = _distance_rules(spec)

    def keeps(site: Site) -> bool:
        if not distance_rules:
            return True
        role = Role.LINKED_ZONE if site.kind is Kind.ZONE else Role.LINKED_COMPLEX
        extended = replace(plan, sites=(*plan.sites, PlanSite(site, role)))
        return check_plan(extended, list(distance_rules)).passed

    return keeps


def _distances_from(
    hub: Site, sites: Sequence[Site], metric: Metric, limit_m: float
) -> list[float | None]:
    """Distance (m) from the hub to each site; ``None`` where surely beyond ``limit_m``."""
    if not sites:
        return []
    if isinstance(metric, CentroidMetric):
        n = len(sites)
        _, _, d = GEOD.inv(
            np.full(n, hub.lon),
            np.full(n, hub.lat),
            np.array([s.lon for s in sites], dtype=float),
            np.array([s.lat for s in sites], dtype=float),
        )
        return [float(x) for x in d]
    if isinstance(metric, BoundaryMetric):
        footprints = np.empty(len(sites) + 1, dtype=object)
        footprints[:] = [hub.footprint, *(s.footprint for s in sites)]
        outlines = Outlines(footprints)
        reach = planar_reach_m(shapely.total_bounds(footprints), limit_m)
        gap = shapely.distance(outlines.planar[0], outlines.planar[1:])
        near = np.flatnonzero(gap <= reach) + 1
        values = boundary_gaps_m(outlines, np.zeros(len(near), dtype=np.intp), near, limit_m)
        out: list[float | None] = [None] * len(sites)
        for n, v in zip(near.tolist(), values.tolist(), strict=True):
            out[n - 1] = v
        return out
    if isinstance(metric, RoadMetric):
        # One bounded search from the hub, as road_matrix runs it.
        found = road_matrix([hub, *sites], metric, max_km=m_to_km(limit_m), sources=[hub.key])
        assert isinstance(found, pd.DataFrame)
        by_key = dict(zip(found["b"], found["network_km"], strict=True))
        return [None if s.key not in by_key else km_to_m(float(by_key[s.key])) for s in sites]
    return [metric.distance(hub, s).value_m for s in sites]
