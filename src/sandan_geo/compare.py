"""Compare plans and follow one site across rounds.

A site can take different roles in different rounds: 광양국가산단 is a linked
complex in the 2020 전남 plan and the hub of the 2023 one. The functions here put
several plans side by side (:func:`compare_plans`), list the sites they share
(:func:`shared_sites`) and give every role a site has had in the built-in plans
(:func:`site_history`).

Sites are matched by key. A plan entry that renames a built-in site (``key``
different from ``ref``) is matched by its ``ref``.

Examples
--------
>>> from sandan_geo import load_plan
>>> plans = [load_plan("jeonnam-2020"), load_plan("jeonnam-2023")]
>>> shared_sites(plans)["gwangyang"]
[('jeonnam-2020', 'linked_complex'), ('jeonnam-2023', 'hub')]
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import pandas as pd

from .errors import UnknownSiteError
from .load import builtin_plan_ids, builtin_sites, load_plan
from .measure import Metric, get_metric
from .model import Plan, PlanSite
from .official import find_site_key

__all__ = ["compare_plans", "shared_sites", "site_history"]

DEFAULT_METRICS: tuple[str, ...] = ("centroid", "boundary")
"""The metrics :func:`compare_plans` reports, each in its own columns."""


def _site_key(member: PlanSite) -> str:
    """The built-in key a plan entry stands for (its ``ref`` when renamed)."""
    ref = member.site.attrs.get("ref")
    return ref if isinstance(ref, str) and ref else member.key


def _as_plans(plans: Sequence[Plan | str]) -> list[Plan]:
    return [p if isinstance(p, Plan) else load_plan(p) for p in plans]


def _announced(plan: Plan) -> str:
    value = plan.meta.get("announced")
    return str(value) if value is not None else ""


def _by_date(plans: Sequence[Plan]) -> list[Plan]:
    """Plans in announcement order (undated last), then by id; stable."""
    return sorted(plans, key=lambda p: (_announced(p) == "", _announced(p), p.id))


def shared_sites(plans: Sequence[Plan | str]) -> dict[str, list[tuple[str, str]]]:
    """Return the sites that appear in more than one of ``plans``.

    Parameters
    ----------
    plans
        Plans, or built-in plan ids / plan file paths to load.

    Returns
    -------
    dict[str, list[tuple[str, str]]]
        Site key → ``(plan id, role)`` for every plan that holds it, in
        announcement order. Keys are sorted; a site in one plan only is left out.

    Examples
    --------
    >>> shared = shared_sites(["gyeongnam-2021", "gyeongnam-2024", "gyeongnam-2025"])
    >>> shared["changwon"], shared["sacheon12"]
    ([('gyeongnam-2021', 'hub'), ('gyeongnam-2025', 'linked_complex')], [('gyeongnam-2021', 'linked_complex'), ('gyeongnam-2024', 'hub')])
    """
    seen: dict[str, list[tuple[str, str]]] = {}
    for plan in _by_date(_as_plans(plans)):
        for member in plan.sites:
            seen.setdefault(_site_key(member), []).append((plan.id, member.role.value))
    return {key: seen[key] for key in sorted(seen) if len({pid for pid, _ in seen[key]}) > 1}


def _hub_distances_km(plan: Plan, metric: Metric) -> list[float]:
    hub = plan.hub.site
    return [metric.distance(hub, m.site).value_km for m in plan.linked]


def compare_plans(
    plans: Sequence[Plan | str],
    *,
    metrics: Sequence[str | Metric] = DEFAULT_METRICS,
) -> pd.DataFrame:
    """Put plans side by side: one row per plan.

    Parameters
    ----------
    plans
        Plans, or built-in plan ids / plan file paths to load.
    metrics
        Metrics to measure hub-to-linked distances with; each gives two
        columns, ``max_km_<metric>`` and ``median_km_<metric>``.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``round``, ``announced``, ``hub``, ``n_linked``,
        ``industries`` (the plan's industries joined by ``"; "``), then the
        largest and median distance from the hub to each linked site, in km, under
        each metric (``NaN`` for a plan with no linked site), then
        ``shared_sites``: the sorted keys this plan shares with the other plans
        given. Rows are in the order given.

    Examples
    --------
    >>> frame = compare_plans(["jeonnam-2020", "jeonnam-2023"])
    >>> frame[["id", "hub", "n_linked"]].values.tolist()
    [['jeonnam-2020', 'yeosu', 3], ['jeonnam-2023', 'gwangyang', 3]]
    >>> [c for c in frame.columns if c.endswith("_boundary")]
    ['max_km_boundary', 'median_km_boundary']
    >>> frame.loc[1, "shared_sites"]
    ['gwangyang', 'yulchon1']
    >>> bool(frame.loc[0, "max_km_centroid"] >= frame.loc[0, "median_km_centroid"])
    True
    """
    loaded = _as_plans(plans)
    objs = [get_metric(m) for m in metrics]
    shared = shared_sites(loaded)
    rows: list[dict[str, object]] = []
    for plan in loaded:
        industries = plan.meta.get("industries") or plan.meta.get("main_industries") or ()
        row: dict[str, object] = {
            "id": plan.id,
            "round": plan.meta.get("round"),
            "announced": _announced(plan) or None,
            "hub": _site_key(plan.hub),
            "n_linked": len(plan.linked),
            "industries": "; ".join(str(i) for i in industries),
        }
        for metric in objs:
            values = _hub_distances_km(plan, metric)
            row[f"max_km_{metric.name}"] = max(values) if values else math.nan
            row[f"median_km_{metric.name}"] = statistics.median(values) if values else math.nan
        keys = {_site_key(m) for m in plan.sites}
        row["shared_sites"] = sorted(k for k in keys if k in shared)
        rows.append(row)
    columns = ["id", "round", "announced", "hub", "n_linked", "industries"]
    for metric in objs:
        columns += [f"max_km_{metric.name}", f"median_km_{metric.name}"]
    columns.append("shared_sites")
    return pd.DataFrame(rows, columns=columns)


def site_history(key: str, plans: Sequence[Plan | str] | None = None) -> pd.DataFrame:
    """Every plan a site is in, and its role there, in announcement order.

    Parameters
    ----------
    key
        A site key, e.g. ``"gwangyang"``.
    plans
        Plans to search (or ids / paths to load); every built-in plan by default.

    Returns
    -------
    pandas.DataFrame
        One row per plan holding the site: ``plan``, ``round``, ``announced``,
        ``program_year``, ``region``, ``role`` and ``hub`` (the plan's hub key).
        Empty (with these columns) when no plan holds the site.

    Raises
    ------
    UnknownSiteError
        ``key`` is neither a built-in site nor in any of ``plans``.

    Examples
    --------
    >>> site_history("gwangyang")[["plan", "role", "hub"]].values.tolist()
    [['jeonnam-2020', 'linked_complex', 'yeosu'], ['jeonnam-2023', 'hub', 'gwangyang']]
    >>> site_history("no_such_site")
    Traceback (most recent call last):
    ...
    sandan_geo.errors.UnknownSiteError: no site 'no_such_site' in the built-in sites or the plans given...
    """
    loaded = _as_plans(builtin_plan_ids() if plans is None else plans)
    rows: list[dict[str, object]] = []
    known = key in builtin_sites()
    hint = "list the sites with builtin_sites()"
    if not known and not any(_site_key(m) == key for plan in loaded for m in plan.sites):
        try:
            key = find_site_key(key, builtin_sites())  # a Korean name or an alias
            known = True
        except UnknownSiteError as err:
            hint = err.hint or hint
    for plan in _by_date(loaded):
        for member in plan.sites:
            if _site_key(member) != key:
                continue
            known = True
            rows.append(
                {
                    "plan": plan.id,
                    "round": plan.meta.get("round"),
                    "announced": _announced(plan) or None,
                    "program_year": plan.meta.get("program_year"),
                    "region": plan.meta.get("region"),
                    "role": member.role.value,
                    "hub": _site_key(plan.hub),
                }
            )
    if not known:
        raise UnknownSiteError(
            f"no site '{key}' in the built-in sites or the plans given",
            hint=hint,
        )
    columns = ["plan", "round", "announced", "program_year", "region", "role", "hub"]
    return pd.DataFrame(rows, columns=columns)
