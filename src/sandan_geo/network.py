"""The value chain as a network: what a plan cannot lose, what-if, the program as one graph.

:func:`analyze_network` measures one plan's value-chain graph
(:func:`~sandan_geo.plan_to_graph`): each site's degree, betweenness, hops and
distance from the hub, which sites are *critical* and which links are
*bridges*. :func:`what_if` drops and adds sites and links and tells what
changed: verdicts, measures, links lost. :func:`program_graph` joins many plans
(every built-in plan by default) into one graph of the national program and
:func:`program_summary` tells which sites several plans share, which are central
and how the program grew year by year.

Definitions (the value chain is taken as undirected: a supplier of the hub is
tied to it as much as a customer, as in the ``value_chain_connected`` rule):

critical site (핵심 결절 산단)
    An articulation point of the value chain: removing the site (and its links)
    splits the value chain into more pieces (:func:`networkx.articulation_points`).
bridge link (단절 연계)
    A link whose removal splits the value chain into more pieces
    (:func:`networkx.bridges`); a link given in both directions is never a bridge,
    since the other direction still ties the two sites.

Lengths are in kilometres under one named metric: every frame has a ``metric``
column (and ``.attrs["metric"]``), and the summary a ``metric`` entry, naming it.

Examples
--------
>>> from sandan_geo import load_plan
>>> a = analyze_network(load_plan("jeonnam-2020"))
>>> a.summary["critical"], a.metric
(('yeosu', 'yulchon1'), 'boundary')
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import networkx as nx
import pandas as pd

from .check import Report, check_plan
from .crs import m_to_km
from .errors import InputError, SchemaError, UnknownSiteError
from .graph import plan_to_graph
from .limits import check_limit_km
from .load import builtin_plan_ids, load_plan, load_sites
from .measure import DEFAULT_METRIC, Metric, get_metric
from .model import Kind, Link, Plan, PlanSite, Role, Site
from .pairs import pairs_within
from .textsafe import plain_text

__all__ = [
    "LINK_COLUMNS",
    "SITE_COLUMNS",
    "SUMMARY_KEYS",
    "NetworkAnalysis",
    "ProgramSummary",
    "WhatIf",
    "analyze_network",
    "plan_year",
    "program_graph",
    "program_key",
    "program_summary",
    "undirected_value_chain",
    "what_if",
]

SITE_COLUMNS: tuple[str, ...] = (
    "key",
    "name_ko",
    "role",
    "in_degree",
    "out_degree",
    "betweenness",
    "critical",
    "hops_from_hub",
    "distance_from_hub_km",
    "path_from_hub_km",
    "path_from_hub",
    "metric",
)
"""Columns of :attr:`NetworkAnalysis.sites`, in order."""

LINK_COLUMNS: tuple[str, ...] = ("from", "to", "relation", "length_km", "metric", "bridge")
"""Columns of :attr:`NetworkAnalysis.links`, in order."""

SUMMARY_KEYS: tuple[str, ...] = (
    "plan",
    "hub",
    "metric",
    "sites",
    "links",
    "components",
    "density",
    "total_link_km",
    "mean_link_km",
    "farthest_site",
    "farthest_from_hub_km",
    "unreachable",
    "critical",
    "bridges",
)
"""Keys of :attr:`NetworkAnalysis.summary`, in order."""

_TOLERANCE = 1e-9  # two computations of one float measure agree to well within this


# ---------------------------------------------------------------- one plan


@dataclass(frozen=True)
class NetworkAnalysis:
    """The network measures of one plan's value chain, from :func:`analyze_network`.

    Parameters
    ----------
    plan
        The plan id.
    hub
        The hub's key.
    metric
        The name of the metric every length (km) was measured with.
    sites
        One row per site, in plan order, columns :data:`SITE_COLUMNS`:
        ``key``, ``name_ko``, ``role``; ``in_degree`` and ``out_degree``
        (links into and out of the site); ``betweenness`` (betweenness
        centrality of the value chain taken as undirected, normalised to 0–1);
        ``critical`` (an articulation point: removing the site disconnects the
        value chain); ``hops_from_hub`` (links on the fewest-links path from the
        hub, links followed either way; ``<NA>`` when unreachable);
        ``distance_from_hub_km`` (straight from the hub under the metric, as the
        distance rules measure it; 0 for the hub); ``path_from_hub_km`` and
        ``path_from_hub`` (the shortest path along links by length: its length
        in km and its site keys; NaN and ``None`` when unreachable); ``metric``.
    links
        One row per link, in plan order, columns :data:`LINK_COLUMNS`: ``from``,
        ``to``, ``relation``, ``length_km`` (under the metric), ``metric`` and
        ``bridge`` (removing the link disconnects the value chain).
    summary
        Keys :data:`SUMMARY_KEYS`: ``plan``, ``hub``, ``metric``; ``sites``,
        ``links``; ``components`` (connected pieces of the undirected value
        chain); ``density`` (of the directed graph, :func:`networkx.density`);
        ``total_link_km`` and ``mean_link_km`` (``None`` without links);
        ``farthest_site`` and ``farthest_from_hub_km`` (straight from the hub;
        ``None`` for a plan of the hub alone); ``unreachable`` (sites with no
        path from the hub, plan order); ``critical`` (sites, plan order);
        ``bridges`` ((from, to) links, plan order).

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> a = analyze_network(load_plan("gwangju-2020"), metric="centroid")
    >>> a.links[["from", "to", "metric", "bridge"]].values.tolist()[0]
    ['gwangju_cheomdan', 'bitgreen', 'centroid', True]
    """

    plan: str
    hub: str
    metric: str
    sites: pd.DataFrame
    links: pd.DataFrame
    summary: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The analysis as plain JSON-ready data: ``summary``, ``sites``, ``links``.

        Examples
        --------
        >>> from sandan_geo import load_plan
        >>> d = analyze_network(load_plan("daegu-2020")).to_dict()
        >>> d["summary"]["critical"], len(d["sites"])
        (['seongseo'], 4)
        """
        return {
            "summary": _jsonable(dict(self.summary)),
            "sites": _jsonable(self.sites.to_dict(orient="records")),
            "links": _jsonable(self.links.to_dict(orient="records")),
        }


def undirected_value_chain(G: nx.DiGraph) -> nx.Graph:
    """The value chain of a plan graph taken as undirected (links followed either way).

    Each edge carries ``links``, the directed links it stands for (one, or two
    when a link is given in both directions).

    Examples
    --------
    >>> from sandan_geo import load_plan, plan_to_graph
    >>> U = undirected_value_chain(plan_to_graph(load_plan("daegu-2020")))
    >>> U.edges["seongseo", "seodaegu"]["links"]
    (('seodaegu', 'seongseo'),)
    """
    U = nx.Graph()
    U.add_nodes_from(G.nodes)
    for u, v in G.edges:
        if U.has_edge(u, v):
            U.edges[u, v]["links"] = (*U.edges[u, v]["links"], (u, v))
        else:
            U.add_edge(u, v, links=((u, v),))
    return U


def analyze_network(plan: Plan, *, metric: str | Metric = DEFAULT_METRIC) -> NetworkAnalysis:
    """Measure a plan's value chain as a network: what it cannot lose, how far each site is.

    The graph is :func:`~sandan_geo.plan_to_graph`'s; the structural measures
    (critical sites, bridges, betweenness, hops, components) take the value
    chain as undirected, so a supplier of the hub counts as tied to it.

    Parameters
    ----------
    plan
        The plan.
    metric
        The metric every length is measured with: ``"boundary"`` (default),
        ``"centroid"``, or a metric object (e.g. a road metric).

    Returns
    -------
    NetworkAnalysis
        ``sites`` and ``links`` frames and a ``summary`` mapping (see
        :class:`NetworkAnalysis` for every column and key).

    Raises
    ------
    RuleError
        Unknown metric.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> a = analyze_network(load_plan("daegu-2020"), metric="centroid")
    >>> a.sites[["key", "betweenness", "critical", "hops_from_hub"]].values.tolist()[:2]
    [['seongseo', 1.0, True, 0], ['seodaegu', 0.0, False, 1]]
    >>> a.summary["components"], a.summary["farthest_site"], round(a.summary["farthest_from_hub_km"], 2)
    (1, 'bukgu_belt', 13.0)

    Notes
    -----
    Each number is what networkx gives on ``plan_to_graph(plan)``:
    :func:`networkx.articulation_points`, :func:`networkx.bridges` and
    :func:`networkx.betweenness_centrality` (``normalized=True``) on the
    undirected graph, :func:`networkx.single_source_shortest_path_length` for
    hops, :func:`networkx.single_source_dijkstra` (weighted by link length) for
    paths, :func:`networkx.density` on the directed graph;
    ``tests/test_network.py`` recomputes them.

    See Also
    --------
    what_if : drop or add sites and links and see what changes.
    """
    m = get_metric(metric)
    G = plan_to_graph(plan)
    U = undirected_value_chain(G)
    sites = {s.key: s.site for s in plan.sites}
    hub = plan.hub.key
    lengths_m = {(ln.source, ln.target): _length_m(m, sites, ln) for ln in plan.links}
    for _, _, d in U.edges(data=True):
        d["length_m"] = min(lengths_m[link] for link in d["links"])
    critical = set(nx.articulation_points(U))
    bridge_edges = {frozenset(e) for e in nx.bridges(U)}
    betweenness = nx.betweenness_centrality(U, normalized=True)
    hops = nx.single_source_shortest_path_length(U, hub)
    path_m, paths = nx.single_source_dijkstra(U, hub, weight="length_m")
    from_hub_m = {
        key: 0.0 if key == hub else m.distance(sites[hub], site).value_m
        for key, site in sites.items()
    }
    site_rows = [
        {
            "key": s.key,
            "name_ko": s.site.name_ko,
            "role": s.role.value,
            "in_degree": G.in_degree(s.key),
            "out_degree": G.out_degree(s.key),
            "betweenness": float(betweenness[s.key]),
            "critical": s.key in critical,
            "hops_from_hub": hops.get(s.key, pd.NA),
            "distance_from_hub_km": m_to_km(from_hub_m[s.key]),
            "path_from_hub_km": m_to_km(path_m[s.key]) if s.key in path_m else math.nan,
            "path_from_hub": tuple(paths[s.key]) if s.key in paths else None,
            "metric": m.name,
        }
        for s in plan.sites
    ]
    sites_df = pd.DataFrame(site_rows, columns=list(SITE_COLUMNS))
    sites_df["hops_from_hub"] = sites_df["hops_from_hub"].astype("Int64")
    link_rows = [
        {
            "from": ln.source,
            "to": ln.target,
            "relation": ln.relation,
            "length_km": m_to_km(lengths_m[ln.source, ln.target]),
            "metric": m.name,
            "bridge": frozenset((ln.source, ln.target)) in bridge_edges
            and not G.has_edge(ln.target, ln.source),
        }
        for ln in plan.links
    ]
    links_df = pd.DataFrame(link_rows, columns=list(LINK_COLUMNS))
    for frame in (sites_df, links_df):
        frame.attrs.update({"plan": plan.id, "metric": m.name})
    total_km = float(links_df["length_km"].sum()) if len(links_df) else 0.0
    others = [k for k in sites if k != hub]
    farthest = max(others, key=lambda k: (from_hub_m[k], k)) if others else None
    summary: dict[str, Any] = {
        "plan": plan.id,
        "hub": hub,
        "metric": m.name,
        "sites": G.number_of_nodes(),
        "links": G.number_of_edges(),
        "components": nx.number_connected_components(U),
        "density": float(nx.density(G)),
        "total_link_km": total_km,
        "mean_link_km": total_km / len(links_df) if len(links_df) else None,
        "farthest_site": farthest,
        "farthest_from_hub_km": m_to_km(from_hub_m[farthest]) if farthest else None,
        "unreachable": tuple(k for k in sites if k not in hops),
        "critical": tuple(k for k in sites if k in critical),
        "bridges": tuple((r["from"], r["to"]) for r in link_rows if r["bridge"]),
    }
    return NetworkAnalysis(
        plan=plan.id,
        hub=hub,
        metric=m.name,
        sites=sites_df,
        links=links_df,
        summary=MappingProxyType(summary),
    )


def _length_m(metric: Metric, sites: Mapping[str, Site], link: Link) -> float:
    return metric.distance(sites[link.source], sites[link.target]).value_m


# ---------------------------------------------------------------- what-if


@dataclass(frozen=True)
class WhatIf:
    """What changes when sites or links are dropped or added, from :func:`what_if`.

    Parameters
    ----------
    before, after
        The plan as given and the changed plan (same id; ``after.meta["what_if"]``
        records the change).
    dropped, added
        Keys of the sites dropped and added.
    added_links
        Links added (given, or brought by an added plan file).
    lost_links
        Links that disappeared: those that touched a dropped site.
    checks
        The checks whose verdict changed, one row each: ``rule``, ``from``,
        ``to``, ``metric``, ``before`` and ``after`` (``pass``, ``fail``,
        ``uncertain``, ``info``, or ``None`` where the check does not exist on
        that side, e.g. for a dropped site), ``value_km_before``,
        ``value_km_after``, ``note`` (the changed plan's note).
    measures
        The network measures that changed, one row each: ``scope`` (``plan``,
        ``site`` or ``link``), ``item`` (``None``, a site key, or ``"from ->
        to"``), ``measure`` (a summary key, a site or a link column) and the
        ``before`` and ``after`` values. Lengths are km under :attr:`metric`.
        Sites and links on one side only are left out (see ``dropped``,
        ``added``, ``lost_links``).
    report_before, report_after
        The two check reports.
    analysis_before, analysis_after
        The two network analyses.
    metric
        The metric of the network measures.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> w = what_if(load_plan("daegu-2020"), drop=["seodaegu"])
    >>> w.lost_links[0].source, w.report_before.verdict, w.report_after.verdict
    ('seodaegu', 'uncertain', 'uncertain')
    """

    before: Plan
    after: Plan
    dropped: tuple[str, ...]
    added: tuple[str, ...]
    added_links: tuple[Link, ...]
    lost_links: tuple[Link, ...]
    checks: pd.DataFrame
    measures: pd.DataFrame
    report_before: Report
    report_after: Report
    analysis_before: NetworkAnalysis
    analysis_after: NetworkAnalysis
    metric: str

    @property
    def verdict(self) -> str:
        """The changed plan's verdict (``pass``, ``fail`` or ``uncertain``)."""
        return self.report_after.verdict

    def to_dict(self) -> dict[str, Any]:
        """The what-if as plain JSON-ready data.

        Examples
        --------
        >>> from sandan_geo import load_plan
        >>> d = what_if(load_plan("jeonnam-2020"), drop=["yulchon1"]).to_dict()
        >>> d["dropped"], d["verdict"]["after"], len(d["lost_links"])
        (['yulchon1'], 'fail', 2)
        """
        return _json_dict(
            {
                "plan": self.before.id,
                "name": self.before.name,
                "metric": self.metric,
                "dropped": list(self.dropped),
                "added": list(self.added),
                "added_links": [_link_dict(ln) for ln in self.added_links],
                "lost_links": [_link_dict(ln) for ln in self.lost_links],
                "verdict": {
                    "before": self.report_before.verdict,
                    "after": self.report_after.verdict,
                },
                "checks": self.checks.to_dict(orient="records"),
                "measures": self.measures.to_dict(orient="records"),
                "summary_before": dict(self.analysis_before.summary),
                "summary_after": dict(self.analysis_after.summary),
            }
        )

    def to_text(self) -> str:
        """The what-if for a terminal: one plain line per change.

        Examples
        --------
        >>> from sandan_geo import load_plan
        >>> text = what_if(load_plan("jeonnam-2020"), drop=["yulchon1"]).to_text()
        >>> "gwangyang: pass -> fail" in text
        True
        """
        p = plain_text
        lines = [f"what-if on {p(self.before.id)}  {p(self.before.name)}"]
        lines.extend(f"  {line}" for line in self._change_lines())
        a, b = self.analysis_before.summary, self.analysis_after.summary
        lines.append(
            f"  sites {a['sites']} -> {b['sites']}, links {a['links']} -> {b['links']}, "
            f"verdict {self.report_before.verdict} -> {self.report_after.verdict}"
        )
        for ln in self.lost_links:
            lines.append(f"  link gone: {_link_text(ln)}")
        lines.append(f"  checks whose verdict changed: {len(self.checks)}")
        for row in _records(self.checks):
            note = f"  ({p(row['note'])})" if row["note"] else ""
            lines.append(
                f"    {p(row['rule'])}  {p(row['from'])} -> {p(row['to'])}: "
                f"{row['before'] or 'none'} -> {row['after'] or 'none'}{note}"
            )
        lines.append(f"  measures that changed ({self.metric} metric for km): {len(self.measures)}")
        for row in _records(self.measures):
            where = row["scope"] if row["item"] is None else f"{row['scope']} {p(row['item'])}"
            lines.append(
                f"    {where}: {row['measure']} {_value_text(row['before'])} -> "
                f"{_value_text(row['after'])}"
            )
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """The what-if as Markdown: a heading, the change, two tables.

        Examples
        --------
        >>> from sandan_geo import load_plan
        >>> md = what_if(load_plan("jeonnam-2020"), drop=["yulchon1"]).to_markdown()
        >>> md.splitlines()[0]
        '## What-if: jeonnam-2020'
        """
        c = _md_cell
        lines = [f"## What-if: {c(self.before.id)}", "", f"{c(self.before.name)}", ""]
        lines.extend(f"- {c(line)}" for line in self._change_lines())
        for ln in self.lost_links:
            lines.append(f"- link gone: {c(_link_text(ln, '→'))}")
        lines.append(f"- verdict: {self.report_before.verdict} → **{self.report_after.verdict}**")
        lines += ["", "### Checks whose verdict changed", ""]
        lines += _md_table(
            ("rule", "from", "to", "before", "after", "note"),
            [
                (c(r["rule"]), c(r["from"]), c(r["to"]), r["before"] or "–", r["after"] or "–",
                 c(r["note"] or ""))
                for r in _records(self.checks)
            ],
        )  # fmt: skip
        lines += ["", f"### Measures that changed (km: {self.metric} metric)", ""]
        lines += _md_table(
            ("scope", "item", "measure", "before", "after"),
            [
                (r["scope"], c(r["item"] or ""), r["measure"], c(_value_text(r["before"])),
                 c(_value_text(r["after"])))
                for r in _records(self.measures)
            ],
        )  # fmt: skip
        return "\n".join(lines) + "\n"

    def _change_lines(self) -> list[str]:
        out = []
        if self.dropped:
            out.append("drop: " + ", ".join(self.dropped))
        if self.added:
            out.append("add: " + ", ".join(self.added))
        if self.added_links:
            out.append("add links: " + "; ".join(_link_text(ln) for ln in self.added_links))
        return [plain_text(x) for x in out] or ["no change"]


def what_if(
    plan: Plan,
    *,
    drop: Iterable[str] = (),
    add: Iterable[Site | PlanSite | str | os.PathLike[str]] = (),
    links: Iterable[Link | Mapping[str, Any]] = (),
    rules: Any = None,
    metric: str | Metric | None = None,
) -> WhatIf:
    """Drop and add sites and links, then tell what changes.

    Parameters
    ----------
    plan
        The plan to change.
    drop
        Keys of sites to drop; their links go with them. The hub cannot be dropped.
    add
        Sites to add: :class:`~sandan_geo.Site` objects (a linked zone when
        their kind is ``zone``, else a linked complex), :class:`~sandan_geo.PlanSite`
        objects (their own role), or paths of a sites file
        (:func:`~sandan_geo.load_sites`) or a plan file or built-in plan id
        (:func:`~sandan_geo.load_plan`): a plan brings its sites not yet in the
        plan (its hub as a linked site) and its links between sites of the
        changed plan. A site already in the plan is an error.
    links
        Links to add: :class:`~sandan_geo.Link` objects or mappings with
        ``from``, ``to`` and optionally ``relation``.
    rules
        Rules to check both plans with (as for :func:`~sandan_geo.check_plan`);
        default: the plan's own.
    metric
        Measure the distance rules with this metric instead of their own, and
        the network measures with it (default: :data:`~sandan_geo.measure.DEFAULT_METRIC`).

    Returns
    -------
    WhatIf
        The changed plan, the checks whose verdict changed, the measures that
        changed and the links that disappeared.

    Raises
    ------
    UnknownSiteError
        ``drop`` names a site that is not in the plan, or a link a site that is
        not in the changed plan.
    InputError
        Dropping the hub, adding a site twice, a bad link mapping, or a file
        that is neither a plan nor a sites file.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> w = what_if(load_plan("jeonnam-2020"), drop=["yulchon1"])
    >>> w.checks.loc[w.checks["after"] == "fail", ["rule", "to", "before"]].values.tolist()
    [['value_chain_connected', 'gwangyang', 'pass']]
    >>> [(ln.source, ln.target) for ln in w.lost_links]
    [('yeosu', 'yulchon1'), ('gwangyang', 'yulchon1')]
    >>> w2 = what_if(w.after, links=[{"from": "gwangyang", "to": "yeosu"}])
    >>> w2.verdict
    'uncertain'
    """
    drop_keys = _drop_keys(plan, drop)
    kept = tuple(m for m in plan.sites if m.key not in drop_keys)
    lost = tuple(ln for ln in plan.links if ln.source in drop_keys or ln.target in drop_keys)
    kept_links = tuple(ln for ln in plan.links if ln not in lost)
    new_members, brought = _added_members(plan, kept, add)
    members = (*kept, *new_members)
    keys = {m.key for m in members}
    existing = {(ln.source, ln.target) for ln in kept_links}
    given = [_as_link(x, i) for i, x in enumerate(links)]
    extra: list[Link] = []
    for ln in (*brought, *given):
        wanted = ln in given or (ln.source in keys and ln.target in keys)
        if wanted and (ln.source, ln.target) not in existing:
            extra.append(ln)
            existing.add((ln.source, ln.target))
    dropped = tuple(m.key for m in plan.sites if m.key in drop_keys)
    added = tuple(m.key for m in new_members)
    change = {
        "drop": list(dropped),
        "add": list(added),
        "links": [_link_dict(ln) for ln in extra],
    }
    after = replace(
        plan,
        sites=members,
        links=(*kept_links, *extra),
        meta={**dict(plan.meta), "what_if": change},
    )
    analysis_metric = metric if metric is not None else DEFAULT_METRIC
    report_before = check_plan(plan, rules, metric=metric)
    report_after = check_plan(after, rules, metric=metric)
    before_net = analyze_network(plan, metric=analysis_metric)
    after_net = analyze_network(after, metric=analysis_metric)
    return WhatIf(
        before=plan,
        after=after,
        dropped=dropped,
        added=added,
        added_links=tuple(extra),
        lost_links=lost,
        checks=_check_changes(report_before, report_after),
        measures=_measure_changes(before_net, after_net),
        report_before=report_before,
        report_after=report_after,
        analysis_before=before_net,
        analysis_after=after_net,
        metric=before_net.metric,
    )


def _drop_keys(plan: Plan, drop: Iterable[str]) -> set[str]:
    if isinstance(drop, str):
        drop = [drop]
    keys = [str(k) for k in drop]
    known = [m.key for m in plan.sites]
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise UnknownSiteError(
            f"cannot drop {', '.join(repr(k) for k in unknown)}: not in plan '{plan.id}' "
            f"(sites: {', '.join(known)})",
            site=unknown[0],
            hint="name sites by their key in the plan",
        )
    if plan.hub.key in keys:
        raise InputError(
            f"cannot drop '{plan.hub.key}': it is the hub of plan '{plan.id}'",
            site=plan.hub.key,
            hint="a plan has exactly one hub; drop linked sites only",
        )
    return set(keys)


def _role_for(site: Site) -> Role:
    return Role.LINKED_ZONE if site.kind is Kind.ZONE else Role.LINKED_COMPLEX


def _added_members(
    plan: Plan, kept: Sequence[PlanSite], add: Iterable[Any]
) -> tuple[list[PlanSite], list[Link]]:
    if isinstance(add, str | os.PathLike | Site | PlanSite):
        add = [add]
    taken = {m.key for m in kept}
    members: list[PlanSite] = []
    brought: list[Link] = []

    def put(member: PlanSite, *, strict: bool) -> None:
        if member.key in taken:
            if strict:
                raise InputError(
                    f"cannot add site '{member.key}': plan '{plan.id}' already has it",
                    site=member.key,
                    hint="drop it first, or add a site under another key (Site.renamed)",
                )
            return
        taken.add(member.key)
        members.append(member)

    for item in add:
        if isinstance(item, PlanSite):
            put(item, strict=True)
        elif isinstance(item, Site):
            put(PlanSite(item, _role_for(item)), strict=True)
        elif isinstance(item, str | os.PathLike):
            other = _plan_or_sites(item)
            if isinstance(other, Plan):
                for m in other.sites:
                    role = _role_for(m.site) if m.role is Role.HUB else m.role
                    put(replace(m, role=role), strict=False)
                brought.extend(other.links)
            else:
                for site in other.values():
                    put(PlanSite(site, _role_for(site)), strict=True)
        else:
            raise InputError(
                f"cannot add a {type(item).__name__}",
                hint="give Site or PlanSite objects, or the path of a sites or plan file",
            )
    return members, brought


def _plan_or_sites(source: str | os.PathLike[str]) -> Plan | dict[str, Site]:
    """A plan (file or built-in id), else a sites file; one error naming both tries."""
    if isinstance(source, str) and source in builtin_plan_ids():
        return load_plan(source)
    try:
        return load_plan(source)
    except InputError as plan_err:
        try:
            return load_sites(source)
        except InputError as sites_err:
            msg = (
                f"{os.fspath(source)} is neither a plan file nor a sites file; as a plan: "
                f"{_first_line(plan_err)}; as sites: {_first_line(sites_err)}"
            )
            raise InputError(
                msg,
                path=os.fspath(source),
                hint="a plan file has one site with role: hub; a sites file has no roles",
            ) from sites_err


def _first_line(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text if len(text) <= 300 else text[:299] + "…"


def _as_link(item: Link | Mapping[str, Any], i: int) -> Link:
    if isinstance(item, Link):
        return item
    if isinstance(item, Mapping):
        source = item.get("from", item.get("source"))
        target = item.get("to", item.get("target"))
        if isinstance(source, str) and isinstance(target, str):
            relation = item.get("relation")
            return Link(source, target, None if relation is None else str(relation))
        raise SchemaError(
            f"link {i + 1} {dict(item)!r} lacks 'from' and 'to' site keys",
            field="from",
            hint="give links as {'from': KEY, 'to': KEY, 'relation': TEXT}",
        )
    raise SchemaError(
        f"link {i + 1} is a {type(item).__name__}",
        hint="give Link objects or mappings {'from': KEY, 'to': KEY}",
    )


def _check_changes(before: Report, after: Report) -> pd.DataFrame:
    def index(report: Report) -> dict[tuple[str, str, str], Any]:
        return {(c.rule, c.from_, c.to): c for c in report.checks}

    a, b = index(before), index(after)
    rows = []
    for key in [*a, *(k for k in b if k not in a)]:
        ca, cb = a.get(key), b.get(key)
        va = ca.verdict if ca is not None else None
        vb = cb.verdict if cb is not None else None
        if va == vb:
            continue
        either = cb if cb is not None else ca
        rows.append(
            {
                "rule": key[0],
                "from": key[1],
                "to": key[2],
                "metric": either.metric if either is not None else None,
                "before": va,
                "after": vb,
                "value_km_before": ca.value_km if ca is not None else None,
                "value_km_after": cb.value_km if cb is not None else None,
                "note": cb.note if cb is not None else None,
            }
        )
    columns = [
        "rule",
        "from",
        "to",
        "metric",
        "before",
        "after",
        "value_km_before",
        "value_km_after",
        "note",
    ]
    return _frame(rows, columns, floats=("value_km_before", "value_km_after"))


_SITE_MEASURES = tuple(c for c in SITE_COLUMNS if c not in ("key", "name_ko", "role", "metric"))
_LINK_MEASURES = ("length_km", "bridge")


def _measure_changes(before: NetworkAnalysis, after: NetworkAnalysis) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for name in SUMMARY_KEYS[3:]:
        x, y = before.summary[name], after.summary[name]
        if _differs(x, y):
            rows.append({"scope": "plan", "item": None, "measure": name, "before": x, "after": y})
    a = before.sites.set_index("key")
    b = after.sites.set_index("key")
    for key in (k for k in a.index if k in b.index):
        for name in _SITE_MEASURES:
            x, y = _plain_value(a.at[key, name]), _plain_value(b.at[key, name])
            if _differs(x, y):
                rows.append(
                    {"scope": "site", "item": key, "measure": name, "before": x, "after": y}
                )
    la = before.links.set_index(["from", "to"])
    lb = after.links.set_index(["from", "to"])
    for pair in (p for p in la.index if p in lb.index):
        for name in _LINK_MEASURES:
            x, y = _plain_value(la.at[pair, name]), _plain_value(lb.at[pair, name])
            if _differs(x, y):
                rows.append(
                    {
                        "scope": "link",
                        "item": f"{pair[0]} -> {pair[1]}",
                        "measure": name,
                        "before": x,
                        "after": y,
                    }
                )
    return _frame(rows, ["scope", "item", "measure", "before", "after"])


def _plain_value(value: Any) -> Any:
    """A frame cell as a plain Python value: ``None`` for missing, bool/int/float unboxed."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, tuple):
        return value.item()
    return value


def _differs(x: Any, y: Any) -> bool:
    if isinstance(x, bool) or isinstance(y, bool):
        return bool(x != y)
    if isinstance(x, int | float) and isinstance(y, int | float):
        return not math.isclose(x, y, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)
    return bool(x != y)


def _link_dict(link: Link) -> dict[str, Any]:
    return {"from": link.source, "to": link.target, "relation": link.relation}


def _link_text(link: Link, arrow: str = "->") -> str:
    rel = f" ({link.relation})" if link.relation else ""
    return plain_text(f"{link.source} {arrow} {link.target}{rel}")


def _value_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, tuple):
        return "[" + ", ".join(_value_text(v) if not isinstance(v, str) else v for v in value) + "]"
    return plain_text(value)


def _md_cell(text: Any) -> str:
    import html

    return html.escape(plain_text(text), quote=False).replace("|", "\\|")


def _frame(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, floats: Sequence[str] = ()
) -> pd.DataFrame:
    """A frame whose text and mixed columns keep ``None`` (object dtype), ``floats`` as float."""
    frame = pd.DataFrame(list(rows), columns=list(columns), dtype=object)
    for name in floats:
        frame[name] = frame[name].astype(float)
    return frame


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table's lines, or ``None.`` when there is no row."""
    if not rows:
        return ["None."]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    out += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as mappings of plain values (``None`` for missing)."""
    return [
        {str(k): _plain_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]


def _json_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    """Plain JSON data: tuples as lists, missing values as ``None``, numpy scalars unboxed."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return _plain_value(value)


# ---------------------------------------------------------------- the program


def program_key(member: PlanSite) -> str:
    """The key a plan's site has in the program: its built-in ``ref`` when renamed, else its key.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> program_key(load_plan("jeonnam-2023").hub)
    'gwangyang'
    """
    ref = member.site.attrs.get("ref")
    return ref if isinstance(ref, str) and ref else member.key


def plan_year(plan: Plan) -> int | None:
    """The year of the round a plan was announced in (``meta["round"]``, else ``announced``).

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> plan_year(load_plan("busan-2023")), load_plan("busan-2023").meta["program_year"]
    (2023, 2024)
    """
    for value in (plan.meta.get("round"), str(plan.meta.get("announced") or "")[:4]):
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            continue
    return None


def program_graph(
    plans: Sequence[Plan | str] | None = None,
    *,
    proximity_km: float | None = None,
    metric: str | Metric = DEFAULT_METRIC,
) -> nx.MultiGraph:
    """Join plans into one graph of the national program: each site once, every link.

    Parameters
    ----------
    plans
        Plans, or built-in plan ids / plan file paths to load; default: every
        built-in plan (2019–2025).
    proximity_km
        Also join every two sites within this distance (km, under ``metric``)
        by a ``proximity`` edge (:func:`~sandan_geo.pairs_within`); default: none.
    metric
        The metric of the proximity edges: ``"boundary"`` (default) or ``"centroid"``.

    Returns
    -------
    networkx.MultiGraph
        Nodes keyed by program key (:func:`program_key`) with ``name_ko``,
        ``kind``, ``lon``, ``lat``, ``plans`` (ids, announcement order),
        ``roles`` (``{plan id: role}``), ``years`` (round years, sorted) and
        ``n_plans``. Edges: one per value-chain link of each plan, keyed by the
        plan id, with ``kind="link"``, ``from``, ``to`` (the link's direction),
        ``relation``, ``plan`` and ``year``; with ``proximity_km``, one per
        near pair, keyed ``"proximity"``, with ``kind="proximity"``,
        ``distance_km`` and ``metric``. Graph attributes: ``plans``,
        ``proximity_km``, ``metric``.

    Raises
    ------
    InputError
        A plan cannot be loaded.
    RuleError
        ``proximity_km`` is not a positive number of kilometres; unknown metric.

    Examples
    --------
    >>> G = program_graph()
    >>> G.nodes["gwangyang"]["roles"]
    {'jeonnam-2020': 'linked_complex', 'jeonnam-2023': 'hub'}
    >>> G.nodes["gwangyang"]["years"], G.graph["plans"][0]
    ((2020, 2023), 'chungju-2019')
    """
    loaded = [
        p if isinstance(p, Plan) else load_plan(p)
        for p in (builtin_plan_ids() if plans is None else plans)
    ]
    loaded = sorted(
        loaded, key=lambda p: (plan_year(p) is None, str(p.meta.get("announced") or ""), p.id)
    )
    m = get_metric(metric)
    if proximity_km is not None:
        proximity_km = check_limit_km(proximity_km, "proximity_km")
    G = nx.MultiGraph(
        plans=tuple(p.id for p in loaded),
        plan_years={p.id: plan_year(p) for p in loaded},
        proximity_km=proximity_km,
        metric=m.name,
    )
    sites: dict[str, Site] = {}
    for plan in loaded:
        year = plan_year(plan)
        keys = {s.key: program_key(s) for s in plan.sites}
        for member in plan.sites:
            key = keys[member.key]
            if key not in G:
                s = member.site
                sites[key] = s
                G.add_node(
                    key,
                    name_ko=s.name_ko,
                    kind=s.kind.value if s.kind else None,
                    lon=s.lon,
                    lat=s.lat,
                    plans=(),
                    roles={},
                    years=(),
                    n_plans=0,
                )
            d = G.nodes[key]
            if plan.id not in d["roles"]:
                d["plans"] = (*d["plans"], plan.id)
                d["roles"][plan.id] = member.role.value
                d["n_plans"] = len(d["plans"])
                if year is not None and year not in d["years"]:
                    d["years"] = tuple(sorted((*d["years"], year)))
        for ln in plan.links:
            G.add_edge(
                keys[ln.source],
                keys[ln.target],
                key=plan.id,
                kind="link",
                **{"from": keys[ln.source], "to": keys[ln.target]},
                relation=ln.relation,
                plan=plan.id,
                year=year,
            )
    if proximity_km is not None and len(sites) > 1:
        pairs = pairs_within(sites, proximity_km, metric=m.name, progress=False)
        pairs = pairs.astype({"a": str, "b": str}).sort_values(["a", "b"], kind="stable")
        for row in pairs.itertuples(index=False):
            G.add_edge(
                str(row.a),
                str(row.b),
                key="proximity",
                kind="proximity",
                distance_km=float(row.distance_km),  # type: ignore[arg-type]
                metric=m.name,
            )
    return G


@dataclass(frozen=True)
class ProgramSummary:
    """The program at a glance, from :func:`program_summary`.

    Parameters
    ----------
    plans
        The plan ids, announcement order.
    sites, links, proximity
        Number of sites (nodes), value-chain links and proximity edges.
    components
        Connected pieces of the whole program graph.
    shared
        Sites in several plans, most plans first: ``key``, ``name_ko``,
        ``n_plans``, ``plans``, ``roles`` (``"plan:role"`` texts), ``years``.
    central
        The most central sites: ``key``, ``name_ko``, ``degree`` (distinct
        neighbours), ``betweenness`` (normalised, of the program taken as a
        simple undirected graph, every edge kind), ``n_plans``; highest
        betweenness first, then degree, then key.
    by_year
        How the program grew, one row per round year: ``year``, ``plans`` (that
        year's ids), and for the program up to and including that year
        ``sites``, ``links``, ``components`` and ``largest_component`` (sites).
    proximity_km, metric
        The proximity edges' distance and metric (``None``: no proximity edges).

    Examples
    --------
    >>> s = program_summary()
    >>> int(s.shared.iloc[0]["n_plans"]), list(s.by_year["year"])[:2]
    (2, [2019, 2020])
    """

    plans: tuple[str, ...]
    sites: int
    links: int
    proximity: int
    components: int
    shared: pd.DataFrame
    central: pd.DataFrame
    by_year: pd.DataFrame
    proximity_km: float | None = None
    metric: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data.

        Examples
        --------
        >>> program_summary(["jeonnam-2020", "jeonnam-2023"]).to_dict()["shared"][0]["key"]
        'gwangyang'
        """
        return _json_dict(
            {
                "plans": list(self.plans),
                "sites": self.sites,
                "links": self.links,
                "proximity": self.proximity,
                "proximity_km": self.proximity_km,
                "metric": self.metric,
                "components": self.components,
                "shared": self.shared.to_dict(orient="records"),
                "central": self.central.to_dict(orient="records"),
                "by_year": self.by_year.to_dict(orient="records"),
            }
        )

    def to_text(self) -> str:
        """The summary for a terminal.

        Examples
        --------
        >>> print(program_summary(["jeonnam-2020", "jeonnam-2023"]).to_text().splitlines()[0])
        program: 2 plans, 6 sites, 6 links, 1 components
        """
        p = plain_text
        near = (
            f", {self.proximity} proximity edges within {self.proximity_km:g} km ({self.metric})"
            if self.proximity_km is not None
            else ""
        )
        lines = [
            f"program: {len(self.plans)} plans, {self.sites} sites, {self.links} links"
            f"{near}, {self.components} components"
        ]
        lines.append(f"sites in several plans: {len(self.shared)}")
        for row in _records(self.shared):
            lines.append(
                f"  {p(row['key']):<24} {p(row['name_ko'])}  {row['n_plans']} plans: "
                + ", ".join(p(r) for r in row["roles"])
            )
        lines.append("most central sites (betweenness, degree):")
        for row in _records(self.central):
            lines.append(
                f"  {p(row['key']):<24} {p(row['name_ko'])}  {row['betweenness']:.4f}  "
                f"{row['degree']}  ({row['n_plans']} plans)"
            )
        lines.append("by year (program so far: sites, links, components, largest):")
        for row in _records(self.by_year):
            lines.append(
                f"  {row['year']}  +{len(row['plans'])} plans  {row['sites']} sites  "
                f"{row['links']} links  {row['components']} components  "
                f"largest {row['largest_component']}"
            )
        return "\n".join(lines) + "\n"


def program_summary(
    G_or_plans: nx.MultiGraph | Sequence[Plan | str] | None = None, *, top: int = 10
) -> ProgramSummary:
    """Summarise the program graph: shared sites, central sites, growth by year.

    Parameters
    ----------
    G_or_plans
        A graph from :func:`program_graph`, or plans (ids, paths) to build one
        from; default: every built-in plan.
    top
        How many central sites to list.

    Returns
    -------
    ProgramSummary

    Examples
    --------
    >>> s = program_summary()
    >>> s.central.iloc[0]["key"], int(s.by_year.iloc[-1]["sites"]) == s.sites
    ('changwon', True)
    """
    G = (
        G_or_plans
        if isinstance(G_or_plans, nx.Graph)
        else program_graph(None if G_or_plans is None else list(G_or_plans))
    )
    simple = nx.Graph(G)
    betweenness = nx.betweenness_centrality(simple, normalized=True)
    shared_rows = [
        {
            "key": k,
            "name_ko": d.get("name_ko"),
            "n_plans": d.get("n_plans", 0),
            "plans": tuple(d.get("plans", ())),
            "roles": tuple(f"{pid}:{role}" for pid, role in d.get("roles", {}).items()),
            "years": tuple(d.get("years", ())),
        }
        for k, d in G.nodes(data=True)
        if d.get("n_plans", 0) > 1
    ]
    shared = pd.DataFrame(
        shared_rows, columns=["key", "name_ko", "n_plans", "plans", "roles", "years"]
    )
    shared = shared.sort_values(["n_plans", "key"], ascending=[False, True], kind="stable")
    central_rows = [
        {
            "key": k,
            "name_ko": G.nodes[k].get("name_ko"),
            "degree": simple.degree(k),
            "betweenness": float(betweenness[k]),
            "n_plans": G.nodes[k].get("n_plans", 0),
        }
        for k in G.nodes
    ]
    central = pd.DataFrame(
        central_rows, columns=["key", "name_ko", "degree", "betweenness", "n_plans"]
    )
    central = central.sort_values(
        ["betweenness", "degree", "key"], ascending=[False, False, True], kind="stable"
    ).head(top)
    plan_years: Mapping[str, int | None] = G.graph.get("plan_years") or {}
    year_rows = []
    for year in sorted({y for y in plan_years.values() if y is not None}):
        so_far = {pid for pid, y in plan_years.items() if y is not None and y <= year}
        sub = nx.Graph()
        sub.add_nodes_from(k for k, d in G.nodes(data=True) if so_far & set(d.get("plans", ())))
        n_links = 0
        for u, v, d in G.edges(data=True):
            if u not in sub or v not in sub:
                continue
            if d.get("kind") == "link" and d.get("plan") not in so_far:
                continue
            n_links += d.get("kind") == "link"
            sub.add_edge(u, v)
        comps = [len(c) for c in nx.connected_components(sub)]
        year_rows.append(
            {
                "year": year,
                "plans": tuple(pid for pid, y in plan_years.items() if y == year),
                "sites": sub.number_of_nodes(),
                "links": n_links,
                "components": len(comps),
                "largest_component": max(comps) if comps else 0,
            }
        )
    by_year = pd.DataFrame(
        year_rows, columns=["year", "plans", "sites", "links", "components", "largest_component"]
    )
    kinds = [d.get("kind") for _, _, d in G.edges(data=True)]
    return ProgramSummary(
        plans=tuple(G.graph.get("plans", ())),
        sites=G.number_of_nodes(),
        links=kinds.count("link"),
        proximity=kinds.count("proximity"),
        components=nx.number_connected_components(G),
        shared=shared.reset_index(drop=True),
        central=central.reset_index(drop=True),
        by_year=by_year,
        proximity_km=G.graph.get("proximity_km"),
        metric=G.graph.get("metric"),
    )
