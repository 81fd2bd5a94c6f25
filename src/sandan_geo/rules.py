"""Rules a plan must meet, and the checks they produce.

A rule is any object with the :class:`Rule` protocol: a ``type`` name, a
``describe()`` text, ``with_metric(metric)`` and ``evaluate(G)`` returning
:class:`Check` records. Built in:

- :class:`MaxDistance` (``max_distance``): each linked site within ``km`` of the
  hub (``between="hub_to_linked"``), or each value-chain link within ``km``
  (``between="links"``), under a named metric. "Within" includes the limit:
  a distance equal to the limit passes.
- :class:`MaxTravelTime` (``max_travel_time``): the same in minutes, for
  metrics that report travel time (road).
- :class:`ValueChainConnected` (``value_chain_connected``): every linked site
  reachable from the hub along value-chain links.

Presets name the criteria of the 2020 selection: ``daegu`` (7.5 km) and
``jeonnam`` (10 km), each a ``max_distance`` under the boundary metric plus
``value_chain_connected``; :func:`accessibility_rules` builds the same for any
limit. Add rule types with :func:`register_rule_type`.

Examples
--------
>>> [r.describe() for r in parse_rules("daegu")]
['max_distance(7.5 km, boundary, hub_to_linked)', 'value_chain_connected']
>>> parse_rules([{"type": "max_distance", "km": 10, "metric": "centroid"}])[0].limit_km
10.0
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

import networkx as nx

from .crs import km_to_m, m_to_km
from .errors import RuleError
from .graph import node_site
from .limits import check_limit, check_limit_km
from .load import load_rules_file
from .measure import DEFAULT_METRIC, Distance, Metric, get_metric
from .model import Site
from .uncertainty import distance_range_m, site_uncertainty_m, verdict_for

__all__ = [
    "PRESETS",
    "Check",
    "MaxDistance",
    "MaxTravelTime",
    "Rule",
    "ValueChainConnected",
    "accessibility_rules",
    "hub_distances",
    "load_rules",
    "parse_rules",
    "register_rule_type",
]

# Two geodesic computations of one distance agree to well under a micrometre;
# a distance this close to the limit is treated as equal to it.
_AT_LIMIT_M = 1e-6
_BETWEEN = ("hub_to_linked", "links")
INFO_RULE_TYPE = "hub_distance"
"""Rule type of the distances listed as information when a plan states no distance rule."""


@dataclass(frozen=True)
class Check:
    """One rule applied to one site pair or link.

    ``value_km``, ``limit_km`` and ``margin_km`` are ``None`` for rules that
    measure nothing (``value_chain_connected``); ``margin_km`` is
    ``limit_km - value_km``, negative when the check fails. ``passed`` compares
    the measured value with the limit; ``verdict`` also weighs ``range_km``,
    the interval the true distance lies in given the data's uncertainty
    (:mod:`sandan_geo.uncertainty`): ``pass``, ``fail`` or ``uncertain``
    (``info`` for a distance listed with no limit). ``from_extent`` and
    ``to_extent`` say what each end was measured from (``official``, ``user``,
    ``approximate``, ``points`` or ``point``).

    Examples
    --------
    >>> c = Check("max_distance(7.5 km, boundary, hub_to_linked)", "max_distance",
    ...           "a", "b", "boundary", 3.2, 7.5, True)
    >>> c.margin_km, c.verdict
    (4.3, 'pass')
    >>> replace(c, range_km=(1.2, 7.9)).verdict
    'uncertain'
    """

    rule: str
    rule_type: str
    from_: str
    to: str
    metric: str | None
    value_km: float | None
    limit_km: float | None
    passed: bool
    from_point: tuple[float, float] | None = None
    to_point: tuple[float, float] | None = None
    approximate: bool = False
    minutes: float | None = None
    limit_minutes: float | None = None
    path: tuple[tuple[float, float], ...] | None = None
    note: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    range_km: tuple[float, float] | None = None
    from_extent: str | None = None
    to_extent: str | None = None
    uncertainty_m: tuple[float, float] | None = None

    @property
    def verdict(self) -> str:
        """``pass``, ``fail``, ``uncertain`` or ``info`` (see the class docstring)."""
        if self.rule_type == INFO_RULE_TYPE:
            return "info"
        if self.range_km is None or self.limit_km is None:
            return "pass" if self.passed else "fail"
        return verdict_for(
            (km_to_m(self.range_km[0]), km_to_m(self.range_km[1])), km_to_m(self.limit_km)
        )

    @property
    def margin_km(self) -> float | None:
        """``limit_km - value_km`` (km), rounded to the millimetre; ``None`` if not a distance."""
        if self.value_km is None or self.limit_km is None:
            return None
        return round(self.limit_km - self.value_km, 6)


@runtime_checkable
class Rule(Protocol):
    """What a rule must provide."""

    @property
    def type(self) -> str:
        """The rule type, e.g. ``"max_distance"``."""
        ...

    def describe(self) -> str:
        """A short text naming the rule and its parameters."""
        ...

    def with_metric(self, metric: str | Metric) -> Rule:
        """A copy measuring with ``metric`` (rules that measure nothing return themselves)."""
        ...

    def evaluate(self, G: nx.DiGraph) -> list[Check]:
        """Apply the rule to a plan graph; one check per site or link."""
        ...


def _pairs(G: nx.DiGraph, between: str) -> list[tuple[str, str]]:
    if between == "links":
        return list(G.edges)
    hubs = [k for k, role in G.nodes(data="role") if role == "hub"]
    if len(hubs) != 1:
        raise RuleError(f"plan graph has {len(hubs)} hubs; a plan has exactly one")
    hub = hubs[0]
    return [(hub, k) for k in G.nodes if k != hub]


@dataclass(frozen=True)
class MaxDistance:
    """Each pair must be within ``max_km`` (inclusive) under ``metric``.

    Parameters
    ----------
    max_km
        The limit in kilometres, > 0 (``km=`` is accepted for one release, with a
        ``FutureWarning``).
    metric
        Metric name or object; :data:`~sandan_geo.measure.DEFAULT_METRIC` by default.
    between
        ``"hub_to_linked"`` (each linked site to the hub) or ``"links"``
        (each value-chain link).

    Examples
    --------
    >>> MaxDistance(7.5).describe()
    'max_distance(7.5 km, boundary, hub_to_linked)'
    >>> MaxDistance(-1)
    Traceback (most recent call last):
    ...
    sandan_geo.errors.RuleError: max_km is -1; a limit must be a positive number; give kilometres, e.g. 7.5
    """

    max_km: float = None  # type: ignore[assignment]  # required; checked in __post_init__
    metric: str | Metric = DEFAULT_METRIC
    between: str = "hub_to_linked"
    km: InitVar[float | None] = None
    type: str = field(default="max_distance", init=False)

    def __post_init__(self, km: float | None) -> None:
        limit: Any = self.max_km
        if km is not None:
            warnings.warn(
                "MaxDistance(km=...) is deprecated; use max_km=...", FutureWarning, stacklevel=3
            )
            limit = km if limit is None else limit
        object.__setattr__(self, "max_km", check_limit_km(limit, "max_km"))
        get_metric(self.metric)
        if self.between not in _BETWEEN:
            raise RuleError(
                f"between is {self.between!r}",
                field="between",
                hint=f"use one of: {', '.join(_BETWEEN)}",
            )

    @property
    def limit_km(self) -> float:
        """The limit in km."""
        return self.max_km

    @property
    def metric_name(self) -> str:
        """The metric's name."""
        return get_metric(self.metric).name

    def describe(self) -> str:
        """Return e.g. ``max_distance(7.5 km, boundary, hub_to_linked)``."""
        return f"max_distance({self.max_km:g} km, {self.metric_name}, {self.between})"

    def with_metric(self, metric: str | Metric) -> MaxDistance:
        """Return a copy under ``metric``."""
        return replace(self, metric=metric)

    def evaluate(self, G: nx.DiGraph) -> list[Check]:
        """Measure each pair and compare it with the limit."""
        m = get_metric(self.metric)
        limit_m = km_to_m(self.max_km)
        out = []
        for u, v in _pairs(G, self.between):
            a, b = node_site(G, u), node_site(G, v)
            d = m.distance(a, b)
            out.append(self._check(u, v, d, limit_m, _spread(m, a, b, d)))
        return out

    def _check(self, u: str, v: str, d: Distance, limit_m: float, spread: dict[str, Any]) -> Check:
        return Check(
            rule=self.describe(),
            rule_type=self.type,
            from_=u,
            to=v,
            metric=d.metric,
            value_km=m_to_km(d.value_m),
            limit_km=self.max_km,
            passed=d.value_m <= limit_m + _AT_LIMIT_M,
            from_point=d.from_point,
            to_point=d.to_point,
            approximate=d.approximate,
            minutes=d.minutes,
            path=d.path,
            detail=dict(d.detail),
            **spread,
        )


def _spread(m: Metric, a: Site, b: Site, d: Distance) -> dict[str, Any]:
    """The uncertainty fields of a check measured with ``m`` between ``a`` and ``b``."""
    out: dict[str, Any] = {"from_extent": a.extent_source, "to_extent": b.extent_source}
    u_a, u_b = site_uncertainty_m(a, m), site_uncertainty_m(b, m)
    if u_a is None or u_b is None:
        return out
    lo, hi = distance_range_m(d.value_m, u_a, u_b)
    out["range_km"] = (m_to_km(lo), m_to_km(hi))
    out["uncertainty_m"] = (u_a, u_b)
    return out


def hub_distances(G: nx.DiGraph, metric: str | Metric | None = None) -> list[Check]:
    """Each site's distance from the hub, listed as information (no limit, verdict ``info``).

    What :func:`~sandan_geo.check_plan` reports for a plan that states no
    distance rule, so that every plan validates.

    Examples
    --------
    >>> from sandan_geo import load_plan, plan_to_graph
    >>> checks = hub_distances(plan_to_graph(load_plan("gwangju-2020")), "centroid")
    >>> checks[0].verdict, checks[0].metric, checks[0].range_km is not None
    ('info', 'centroid', True)
    """
    m = get_metric(metric)
    out = []
    for u, v in _pairs(G, "hub_to_linked"):
        a, b = node_site(G, u), node_site(G, v)
        d = m.distance(a, b)
        out.append(
            Check(
                rule=f"{INFO_RULE_TYPE}({m.name})",
                rule_type=INFO_RULE_TYPE,
                from_=u,
                to=v,
                metric=d.metric,
                value_km=m_to_km(d.value_m),
                limit_km=None,
                passed=True,
                from_point=d.from_point,
                to_point=d.to_point,
                approximate=d.approximate,
                minutes=d.minutes,
                path=d.path,
                note="information: the plan states no distance rule",
                detail=dict(d.detail),
                **_spread(m, a, b, d),
            )
        )
    return out


@dataclass(frozen=True)
class MaxTravelTime:
    """Each pair must be within ``minutes`` of travel under a metric that reports time.

    Examples
    --------
    >>> MaxTravelTime(15, metric="centroid").describe()
    'max_travel_time(15 min, centroid, hub_to_linked)'
    """

    minutes: float
    metric: str | Metric = "road"
    between: str = "hub_to_linked"
    type: str = field(default="max_travel_time", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "minutes", check_limit(self.minutes, "minutes", "minutes"))
        if self.between not in _BETWEEN:
            raise RuleError(f"between is {self.between!r}", field="between")

    def describe(self) -> str:
        """Return e.g. ``max_travel_time(15 min, road, hub_to_linked)``."""
        name = self.metric if isinstance(self.metric, str) else self.metric.name
        return f"max_travel_time({self.minutes:g} min, {name}, {self.between})"

    def with_metric(self, metric: str | Metric) -> MaxTravelTime:
        """Return a copy under ``metric``."""
        return replace(self, metric=metric)

    def evaluate(self, G: nx.DiGraph) -> list[Check]:
        """Measure each pair's travel time and compare it with the limit."""
        m = get_metric(self.metric)
        out = []
        for u, v in _pairs(G, self.between):
            a, b = node_site(G, u), node_site(G, v)
            d = m.distance(a, b)
            if d.minutes is None:
                raise RuleError(
                    f"metric '{m.name}' reports no travel time",
                    hint="use the road metric with road data that has speeds",
                )
            out.append(
                Check(
                    rule=self.describe(),
                    rule_type=self.type,
                    from_=u,
                    to=v,
                    metric=d.metric,
                    value_km=m_to_km(d.value_m),
                    limit_km=None,
                    passed=d.minutes <= self.minutes + 1e-9,
                    from_point=d.from_point,
                    to_point=d.to_point,
                    approximate=d.approximate,
                    minutes=d.minutes,
                    limit_minutes=self.minutes,
                    path=d.path,
                    detail=dict(d.detail),
                    from_extent=a.extent_source,
                    to_extent=b.extent_source,
                )
            )
        return out


@dataclass(frozen=True)
class ValueChainConnected:
    """Every linked site must be reachable from the hub along value-chain links.

    Links are followed in either direction by default (a supplier of the hub
    is tied to it as much as a customer); ``directed=True`` follows them only
    from supplier to customer.

    Examples
    --------
    >>> ValueChainConnected().describe(), ValueChainConnected(directed=True).describe()
    ('value_chain_connected', 'value_chain_connected(directed)')
    """

    directed: bool = False
    type: str = field(default="value_chain_connected", init=False)

    def describe(self) -> str:
        """Return ``value_chain_connected`` (with ``(directed)`` when directed)."""
        return "value_chain_connected(directed)" if self.directed else "value_chain_connected"

    def with_metric(self, metric: str | Metric) -> ValueChainConnected:
        """Return self: this rule measures no distance."""
        return self

    def evaluate(self, G: nx.DiGraph) -> list[Check]:
        """One check per linked site: is there a path from the hub?"""
        H = G if self.directed else G.to_undirected(as_view=True)
        pairs = _pairs(G, "hub_to_linked")
        if pairs and G.number_of_edges() == 0:
            note = (
                f"the plan has no value-chain links, so none of its {len(pairs)} linked sites "
                "is tied to the hub; add links (from, to, relation), or in a GeoJSON plan "
                "LineString features with 'from' and 'to' properties"
            )
            return [self._check(pairs[0][0], pairs[0][0], False, note)]
        # one breadth-first search from the hub (not one per site): linear in the plan's size
        parent = dict(nx.bfs_predecessors(H, pairs[0][0])) if pairs else {}
        return [
            self._check(hub, site, True, _path_note(parent, hub, site))
            if site in parent
            else self._check(hub, site, False, "no value-chain path from the hub")
            for hub, site in pairs
        ]

    def _check(self, hub: str, site: str, ok: bool, note: str) -> Check:
        return Check(
            rule=self.describe(),
            rule_type=self.type,
            from_=hub,
            to=site,
            metric=None,
            value_km=None,
            limit_km=None,
            passed=ok,
            note=note,
        )


_NOTE_HOPS = 8  # a path note names at most this many sites at each end


def _path_note(parent: Mapping[Any, Any], hub: str, site: str) -> str:
    """``hub → ... → site`` from BFS parents; a long path is shortened in the middle."""
    path = [site]
    while path[-1] != hub:
        path.append(parent[path[-1]])
    path.reverse()
    if len(path) > 2 * _NOTE_HOPS:
        hidden = len(path) - 2 * _NOTE_HOPS
        path = [*path[:_NOTE_HOPS], f"… {hidden:,} more …", *path[-_NOTE_HOPS:]]
    return " → ".join(path)


PRESETS: dict[str, float] = {"daegu": 7.5, "jeonnam": 10.0}
"""Preset accessibility limits (km) from the 2020 selection criteria (대구 7.5 km, 전남 10 km)."""


def accessibility_rules(
    max_km: float, *, metric: str | Metric = DEFAULT_METRIC, connected: bool = True
) -> tuple[Rule, ...]:
    """Build the rules of a "within ``max_km``" accessibility criterion.

    Parameters
    ----------
    max_km
        The limit (km).
    metric
        Metric name or object; ``"boundary"`` by default (docs/rules.md says why).
    connected
        Also require every linked site to be on the hub's value chain.

    Examples
    --------
    >>> [r.describe() for r in accessibility_rules(10, metric="centroid")]
    ['max_distance(10 km, centroid, hub_to_linked)', 'value_chain_connected']
    """
    rules: list[Rule] = [MaxDistance(max_km, metric=metric, between="hub_to_linked")]
    if connected:
        rules.append(ValueChainConnected())
    return tuple(rules)


RuleFactory = Callable[[Mapping[str, Any]], Rule]


def _max_distance(spec: Mapping[str, Any]) -> Rule:
    name = "max_km" if "max_km" in spec else "km"  # rule files say km: (max_km: works too)
    return MaxDistance(
        check_limit_km(spec.get(name), name),
        metric=spec.get("metric", DEFAULT_METRIC),
        between=spec.get("between", "hub_to_linked"),
    )


def _max_travel_time(spec: Mapping[str, Any]) -> Rule:
    return MaxTravelTime(
        spec.get("minutes"),  # type: ignore[arg-type]  # checked in __post_init__
        metric=spec.get("metric", "road"),
        between=spec.get("between", "hub_to_linked"),
    )


def _value_chain_connected(spec: Mapping[str, Any]) -> Rule:
    directed = spec.get("directed", False)
    if not isinstance(directed, bool):
        raise RuleError(f"directed is {directed!r}", field="directed", hint="give true or false")
    return ValueChainConnected(directed=directed)


_RULE_TYPES: dict[str, tuple[RuleFactory, frozenset[str]]] = {
    "max_distance": (_max_distance, frozenset({"km", "max_km", "metric", "between"})),
    "max_travel_time": (_max_travel_time, frozenset({"minutes", "metric", "between"})),
    "value_chain_connected": (_value_chain_connected, frozenset({"directed"})),
}


def register_rule_type(name: str, factory: RuleFactory, fields: Sequence[str] = ()) -> None:
    """Let rule files use ``{type: name, ...}`` for a rule of your own.

    Parameters
    ----------
    name
        The ``type`` value.
    factory
        Called with the rule's mapping; returns a :class:`Rule`.
    fields
        The fields the mapping may have besides ``type``.

    Examples
    --------
    >>> register_rule_type("value_chain_directed",
    ...                    lambda spec: ValueChainConnected(directed=True))
    >>> parse_rules([{"type": "value_chain_directed"}])[0].describe()
    'value_chain_connected(directed)'
    """
    _RULE_TYPES[name] = (factory, frozenset(fields))


def parse_rules(
    spec: Any,
    *,
    metric: str | Metric | None = None,
    metrics: Mapping[str, Metric] | None = None,
) -> tuple[Rule, ...]:
    """Turn a rule specification into rule objects.

    Parameters
    ----------
    spec
        A preset name (``"daegu"``, ``"jeonnam"``), a rule object, a mapping
        ``{type: ..., ...}``, or a list of any of these.
    metric
        When given, every distance rule measures with it instead.
    metrics
        Metric objects by name for this call only (e.g. ``{"road": RoadMetric(G)}``):
        a rule naming one measures with that object, whatever is registered globally.

    Raises
    ------
    RuleError
        Unknown preset or rule type, unknown fields, bad limits or metrics.

    Examples
    --------
    >>> [r.describe() for r in parse_rules("jeonnam", metric="centroid")]
    ['max_distance(10 km, centroid, hub_to_linked)', 'value_chain_connected']
    >>> parse_rules("busan")
    Traceback (most recent call last):
    ...
    sandan_geo.errors.RuleError: unknown preset 'busan'; presets: daegu, jeonnam; or give a list of rules
    """
    items = spec if isinstance(spec, list | tuple) else [spec]
    if not items:
        raise RuleError("the rule list is empty", hint="give a preset name or at least one rule")
    local = dict(metrics or {})
    if isinstance(metric, str) and metric in local:
        metric = local[metric]
    if metric is not None:
        get_metric(metric)
    rules: list[Rule] = []
    for i, item in enumerate(items):
        rules.extend(_parse_one(item, i, metric, local))
    if metric is not None:
        rules = [r.with_metric(metric) for r in rules]
    return tuple(rules)


def _parse_one(
    item: Any, i: int, metric: str | Metric | None = None, local: Mapping[str, Metric] | None = None
) -> list[Rule]:
    """One rule specification; ``metric`` replaces a mapping's own before it is checked."""
    if isinstance(item, str):
        if item not in PRESETS:
            raise RuleError(
                f"unknown preset {item!r}",
                hint=f"presets: {', '.join(sorted(PRESETS))}; or give a list of rules",
            )
        return list(accessibility_rules(PRESETS[item], metric=metric or DEFAULT_METRIC))
    if isinstance(item, Rule):
        return [item]
    if not isinstance(item, Mapping):
        raise RuleError(
            f"rule {i + 1} is a {type(item).__name__}",
            hint="give a mapping such as {type: max_distance, km: 7.5, metric: boundary}",
        )
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in _RULE_TYPES:
        known = ", ".join(sorted(_RULE_TYPES))
        raise RuleError(f"rule {i + 1}: unknown rule type {kind!r}", hint=f"use one of: {known}")
    factory, allowed = _RULE_TYPES[kind]
    if metric is not None and "metric" in allowed:
        # the override is checked, the rule's own metric need not exist (e.g. road, no roads)
        item = {**item, "metric": metric}
    elif local and isinstance(item.get("metric"), str) and item["metric"] in local:
        item = {**item, "metric": local[item["metric"]]}  # this call's metric object
    extra = sorted(str(k) for k in item if k != "type" and k not in allowed)
    if extra:
        raise RuleError(
            f"rule {i + 1} ({kind}): unknown field(s) {', '.join(extra)}",
            hint=f"allowed: {', '.join(sorted(allowed))}",
        )
    try:
        return [factory(item)]
    except RuleError as err:
        raise RuleError(f"rule {i + 1} ({kind}): {err}") from None


def load_rules(
    path: str | os.PathLike[str], *, metric: str | Metric | None = None
) -> tuple[Rule, ...]:
    """Read a rules file and parse its rules; every error names the file.

    Parameters
    ----------
    path
        A YAML or JSON rules file (see :func:`sandan_geo.load_rules_file`).
    metric
        When given, every distance rule measures with it instead.

    Raises
    ------
    InputError
        The file cannot be read; :class:`RuleError` for a rule that cannot be parsed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "rules.yaml"
    >>> _ = f.write_text("- {type: max_distance, km: 5, metric: centroid}\\n")
    >>> [r.describe() for r in load_rules(f)]
    ['max_distance(5 km, centroid, hub_to_linked)']
    """
    spec = load_rules_file(path)
    try:
        return parse_rules(spec, metric=metric)
    except RuleError as err:
        raise RuleError(str(err), path=os.fspath(path), field=err.field) from None
