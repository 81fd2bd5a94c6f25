"""Apply rules to a plan and collect the verdict.

:func:`check_plan` turns a plan (or its graph) and a rule set into a
:class:`Report`: one :class:`~sandan_geo.rules.Check` per (rule, site or link)
and an overall verdict. Which rules apply, in order of precedence: the
``rules`` argument; else ``max_km`` (an accessibility rule at that limit);
else the plan's own rules; else, for a plan that states no rule, its structural
rule (``value_chain_connected``) with each site's distance from the hub listed
as information. The report records whose rules they were.

Examples
--------
>>> from sandan_geo import load_plan
>>> report = check_plan(load_plan("daegu-2020"), metric="centroid")
>>> report.rules_source, report.checks[0].metric
('plan', 'centroid')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .errors import RuleError
from .graph import plan_to_graph, with_plan_sites
from .measure import DEFAULT_METRIC, Metric
from .model import Plan
from .rules import (
    Check,
    Rule,
    ValueChainConnected,
    accessibility_rules,
    hub_distances,
    parse_rules,
)

__all__ = ["Report", "check_plan"]


@dataclass(frozen=True)
class Report:
    """The verdict on one plan.

    Parameters
    ----------
    plan
        The plan id.
    plan_name
        The plan's name.
    checks
        One check per (rule, site or link), in rule order then plan order.
    rules
        Descriptions of the rules applied.
    rules_source
        Whose rules they were: ``"plan"`` (the plan's own), ``"argument"``
        (passed by the caller), ``"max_km"`` (a limit chosen by the caller) or
        ``"none"`` (the plan states no rule: structure checked, distances listed).
    site_names
        Korean name of each site key, for readable output.
    boundaries
        What attaching a boundary file did (``plan.meta["boundaries"]``, see
        :func:`~sandan_geo.attach_boundaries`), or ``None``.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> r = check_plan(load_plan("jeonnam-2020"), max_km=50)
    >>> r.passed, r.rules_source
    (True, 'max_km')
    """

    plan: str
    plan_name: str
    checks: tuple[Check, ...]
    rules: tuple[str, ...]
    rules_source: str
    site_names: Mapping[str, str] = field(default_factory=dict)
    boundaries: Mapping[str, Any] | None = None

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.passed)

    @property
    def verdict(self) -> str:
        """``fail`` if a check fails for certain, else ``uncertain`` if one is, else ``pass``.

        Examples
        --------
        >>> from sandan_geo import load_plan
        >>> check_plan(load_plan("jeonnam-2020"), max_km=50).verdict
        'pass'
        """
        verdicts = {c.verdict for c in self.checks}
        if "fail" in verdicts:
            return "fail"
        if "uncertain" in verdicts:
            return "uncertain"
        return "pass"


def check_plan(
    plan: Plan | nx.DiGraph,
    rules: Any = None,
    *,
    metric: str | Metric | None = None,
    max_km: float | None = None,
    metrics: Mapping[str, Metric] | None = None,
) -> Report:
    """Check a plan against rules and return the report.

    Parameters
    ----------
    plan
        A :class:`~sandan_geo.model.Plan` or its graph from
        :func:`~sandan_geo.plan_to_graph`.
    rules
        A preset name, a rule, a list of rules or rule mappings (see
        :func:`~sandan_geo.parse_rules`). Default: the plan's own rules.
    metric
        Measure every distance rule with this metric instead of its own.
    max_km
        Check accessibility within this limit (and value-chain connectivity)
        instead of the plan's rules. Not together with ``rules``.
    metrics
        Metric objects by name for this call (e.g. ``{"road": RoadMetric(G)}``), so
        that a plan's ``metric: road`` rule or ``metric="road"`` measures with that
        object without registering it globally (:func:`~sandan_geo.register_metric`).

    Returns
    -------
    Report

    Raises
    ------
    RuleError
        Both ``rules`` and ``max_km``, or a bad rule, limit or metric.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> plan = load_plan("daegu-2020")
    >>> r = check_plan(plan, [{"type": "max_distance", "km": 7.5, "metric": "centroid"}])
    >>> [(c.to, c.passed) for c in r.checks][:1]
    [('seodaegu', True)]
    >>> r = check_plan(load_plan("gyeongbuk-2020"))   # states no rule
    >>> r.rules_source, sorted({c.verdict for c in r.checks})
    ('none', ['info', 'pass'])
    """
    # a graph made here from a plan measures the plan's own sites (no rebuild per pair)
    G = plan if isinstance(plan, nx.DiGraph) else with_plan_sites(plan_to_graph(plan), plan)
    plan_id = G.graph.get("plan", "plan")
    if rules is not None and max_km is not None:
        raise RuleError("give either rules or max_km, not both")
    if isinstance(metric, str) and metrics and metric in metrics:
        metric = metrics[metric]
    source: str
    parsed: tuple[Rule, ...]
    if rules is not None:
        parsed, source = parse_rules(rules, metric=metric, metrics=metrics), "argument"
    elif max_km is not None:
        parsed = accessibility_rules(
            max_km, metric=metric if metric is not None else DEFAULT_METRIC
        )
        source = "max_km"
    elif G.graph.get("rules") is not None:
        try:
            parsed = parse_rules(G.graph["rules"], metric=metric, metrics=metrics)
        except RuleError as err:
            raise RuleError(f"plan '{plan_id}': {err}", path=G.graph.get("path")) from None
        source = "plan"
    else:
        parsed, source = (ValueChainConnected(),), "none"
    checks: list[Check] = []
    if source == "none":
        checks.extend(hub_distances(G, metric if metric is not None else DEFAULT_METRIC))
    for rule in parsed:
        checks.extend(rule.evaluate(G))
    return Report(
        plan=plan_id,
        plan_name=G.graph.get("name") or plan_id,
        checks=tuple(checks),
        rules=tuple(r.describe() for r in parsed),
        rules_source=source,
        site_names={k: d.get("name_ko") or k for k, d in G.nodes(data=True)},
        boundaries=(G.graph.get("meta") or {}).get("boundaries"),
    )
