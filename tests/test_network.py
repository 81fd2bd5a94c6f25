"""Tests of sandan_geo.network: every measure is recomputed with networkx directly."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sandan_geo as sg
from sandan_geo.errors import InputError, SchemaError, UnknownSiteError
from sandan_geo.model import Kind, Link, Plan, PlanSite, Role, Site
from sandan_geo.network import LINK_COLUMNS, SITE_COLUMNS, SUMMARY_KEYS

PLANS_2020 = [pid for pid in sg.builtin_plan_ids() if pid.endswith("-2020")]


def _components(G: nx.Graph) -> int:
    return nx.number_connected_components(G)


def assert_matches_networkx(plan: Plan, metric: str) -> sg.NetworkAnalysis:
    """analyze_network(plan) equals networkx on plan_to_graph(plan), and the definitions hold."""
    a = sg.analyze_network(plan, metric=metric)
    G = sg.plan_to_graph(plan)
    U = G.to_undirected()
    hub = plan.hub.key
    sites = a.sites.set_index("key")
    links = a.links.set_index(["from", "to"])
    assert list(a.sites.columns) == list(SITE_COLUMNS)
    assert list(a.links.columns) == list(LINK_COLUMNS)
    assert tuple(a.summary) == SUMMARY_KEYS
    assert list(sites.index) == [m.key for m in plan.sites]
    assert set(a.sites["metric"]) <= {metric} and set(a.links["metric"]) <= {metric}
    assert a.summary["metric"] == a.metric == metric == a.sites.attrs["metric"]

    # structure: networkx on the undirected value chain
    critical = set(nx.articulation_points(U))
    assert {k for k in sites.index if sites.at[k, "critical"]} == critical
    assert set(a.summary["critical"]) == critical
    betweenness = nx.betweenness_centrality(U, normalized=True)
    for k in sites.index:
        assert sites.at[k, "betweenness"] == pytest.approx(betweenness[k], abs=1e-12)
        assert sites.at[k, "in_degree"] == G.in_degree(k)
        assert sites.at[k, "out_degree"] == G.out_degree(k)
    hops = nx.single_source_shortest_path_length(U, hub)
    for k in sites.index:
        got = sites.at[k, "hops_from_hub"]
        assert (got is pd.NA and k not in hops) or got == hops[k], k
    nx_bridges = {frozenset(e) for e in nx.bridges(U)}
    for (u, v), row in links.iterrows():
        assert row["bridge"] == (frozenset((u, v)) in nx_bridges and not G.has_edge(v, u))
    assert a.summary["components"] == nx.number_connected_components(U)
    assert a.summary["density"] == pytest.approx(nx.density(G), abs=1e-15)
    assert a.summary["sites"] == G.number_of_nodes()
    assert a.summary["links"] == G.number_of_edges()
    assert a.summary["unreachable"] == tuple(k for k in G.nodes if k not in hops)

    # the definitions themselves: removal splits the value chain, and nothing else does
    base = _components(U)
    for k in G.nodes:
        H = U.copy()
        H.remove_node(k)
        assert (_components(H) > base - (U.degree(k) == 0)) == (k in critical), k
    for u, v in G.edges:
        H = G.copy()
        H.remove_edge(u, v)
        assert (_components(H.to_undirected()) > base) == bool(links.at[(u, v), "bridge"])

    # lengths: the metric, measured directly
    members = {m.key: m.site for m in plan.sites}
    for (u, v), row in links.iterrows():
        want = sg.measure(members[u], members[v], metric=metric).value_km
        assert row["length_km"] == pytest.approx(want, abs=1e-9)
    for k in sites.index:
        want = 0.0 if k == hub else sg.measure(members[hub], members[k], metric=metric).value_km
        assert sites.at[k, "distance_from_hub_km"] == pytest.approx(want, abs=1e-9)
    W = nx.Graph()
    W.add_nodes_from(G.nodes)
    for (u, v), row in links.iterrows():
        old = W.edges[u, v]["w"] if W.has_edge(u, v) else math.inf
        W.add_edge(u, v, w=min(old, row["length_km"]))
    path_km = nx.single_source_dijkstra_path_length(W, hub, weight="w")
    for k in sites.index:
        got = sites.at[k, "path_from_hub_km"]
        if k in path_km:
            assert got == pytest.approx(path_km[k], abs=1e-9)
            path = sites.at[k, "path_from_hub"]
            assert path[0] == hub and path[-1] == k
            assert sum(W.edges[p, q]["w"] for p, q in zip(path, path[1:], strict=False)) == (
                pytest.approx(got, abs=1e-9)
            )
        else:
            assert math.isnan(got) and sites.at[k, "path_from_hub"] is None
    total = float(a.links["length_km"].sum())
    assert a.summary["total_link_km"] == pytest.approx(total, abs=1e-9)
    if len(a.links):
        assert a.summary["mean_link_km"] == pytest.approx(total / len(a.links), abs=1e-9)
    else:
        assert a.summary["mean_link_km"] is None
    others = a.sites[a.sites["key"] != hub]
    if len(others):
        assert a.summary["farthest_from_hub_km"] == pytest.approx(
            others["distance_from_hub_km"].max(), abs=1e-12
        )
    return a


@pytest.mark.parametrize("metric", ["centroid", "boundary"])
@pytest.mark.parametrize("pid", PLANS_2020)
def test_2020_plans_match_networkx(pid: str, metric: str) -> None:
    assert_matches_networkx(sg.load_plan(pid), metric)


def test_known_2020_structure() -> None:
    jeonnam = sg.analyze_network(sg.load_plan("jeonnam-2020"))
    assert jeonnam.summary["critical"] == ("yeosu", "yulchon1")
    assert jeonnam.summary["bridges"] == (
        ("yeosu", "yulchon1"),
        ("gwangyang", "yulchon1"),
        ("yeosu_gwangyang_port", "yeosu"),
    )
    assert jeonnam.sites.set_index("key").at["gwangyang", "hops_from_hub"] == 2
    gb = sg.analyze_network(sg.load_plan("gyeongbuk-2020"))
    assert set(gb.summary["critical"]) == {"gimcheon1", "gumi"}


@st.composite
def random_plans(draw: st.DrawFn) -> Plan:
    n = draw(st.integers(1, 8))
    points = draw(
        st.lists(
            st.tuples(st.floats(126.6, 129.3), st.floats(34.8, 37.6)),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    keys = [f"s{i}" for i in range(n)]
    members = tuple(
        PlanSite(
            Site(key=k, name_ko=f"단지{i}", lon=lon, lat=lat),
            Role.HUB if i == 0 else Role.LINKED_COMPLEX,
        )
        for i, (k, (lon, lat)) in enumerate(zip(keys, points, strict=True))
    )
    pairs = [(a, b) for a in keys for b in keys if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=12)) if pairs else []
    links = tuple(Link(a, b, "r") for a, b in chosen)
    return Plan(id="random", name="무작위", sites=members, links=links)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=random_plans(), metric=st.sampled_from(["centroid", "boundary"]))
def test_random_plans_match_networkx(plan: Plan, metric: str) -> None:
    assert_matches_networkx(plan, metric)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=random_plans(), data=st.data())
def test_what_if_drop_removes_exactly_the_touching_links(plan: Plan, data: st.DataObject) -> None:
    linked = [m.key for m in plan.linked]
    drop = data.draw(st.lists(st.sampled_from(linked), unique=True) if linked else st.just([]))
    w = sg.what_if(plan, drop=drop, metric="centroid")
    assert {m.key for m in w.after.sites} == {m.key for m in plan.sites} - set(drop)
    lost = {(ln.source, ln.target) for ln in w.lost_links}
    assert lost == {
        (ln.source, ln.target) for ln in plan.links if {ln.source, ln.target} & set(drop)
    }
    assert [ln for ln in plan.links if (ln.source, ln.target) not in lost] == list(w.after.links)
    assert_matches_networkx(w.after, "centroid")
    if not drop:
        assert w.checks.empty and w.measures.empty


def test_what_if_jeonnam_drop_yulchon1() -> None:
    plan = sg.load_plan("jeonnam-2020")
    w = sg.what_if(plan, drop=["yulchon1"])
    assert w.dropped == ("yulchon1",) and w.added == ()
    assert [(ln.source, ln.target) for ln in w.lost_links] == [
        ("yeosu", "yulchon1"),
        ("gwangyang", "yulchon1"),
    ]
    assert w.report_before.verdict == "uncertain" and w.verdict == "fail"
    changed = {(r["rule"], r["to"]): (r["before"], r["after"]) for r in w.checks.to_dict("records")}
    assert changed[("value_chain_connected", "gwangyang")] == ("pass", "fail")
    assert changed[("value_chain_connected", "yulchon1")] == ("pass", None)
    assert all(b != a for b, a in changed.values())
    m = {
        (r["scope"], r["item"], r["measure"]): (r["before"], r["after"])
        for r in w.measures.to_dict("records")
    }
    assert m[("plan", None, "components")] == (1, 2)
    assert m[("plan", None, "unreachable")] == ((), ("gwangyang",))
    assert m[("site", "yeosu", "critical")] == (True, False)
    assert w.after.meta["what_if"]["drop"] == ["yulchon1"]
    assert w.before is plan and w.after.id == plan.id
    text = w.to_text()
    assert "yeosu -> gwangyang: pass -> fail" in text and "link gone: gwangyang -> yulchon1" in text
    md = w.to_markdown()
    assert "| value_chain_connected | yeosu | gwangyang | pass | fail |" in md
    d = w.to_dict()
    assert d["verdict"] == {"before": "uncertain", "after": "fail"}
    assert d["summary_after"]["unreachable"] == ["gwangyang"]
    import json

    json.dumps(d, allow_nan=False)  # plain JSON: no NaN, no tuples, no numpy


def test_what_if_add_sites_and_links() -> None:
    plan = sg.load_plan("jeonnam-2020")
    near = Site(key="new1", name_ko="신규산단", lon=127.70, lat=34.85, kind=Kind.GENERAL)
    zone = Site(key="zone1", name_ko="신규지역", lon=127.72, lat=34.86, kind=Kind.ZONE)
    w = sg.what_if(
        plan,
        add=[near, zone],
        links=[Link("new1", "yeosu", "부품"), {"from": "zone1", "to": "new1", "relation": "물류"}],
        metric="centroid",
    )
    roles = {m.key: m.role for m in w.after.sites}
    assert roles["new1"] is Role.LINKED_COMPLEX and roles["zone1"] is Role.LINKED_ZONE
    assert [(ln.source, ln.target) for ln in w.added_links] == [
        ("new1", "yeosu"),
        ("zone1", "new1"),
    ]
    assert w.added == ("new1", "zone1") and not w.lost_links
    after = assert_matches_networkx(w.after, "centroid")
    assert after.sites.set_index("key").at["zone1", "hops_from_hub"] == 2
    assert "new1" in after.summary["critical"]


def test_what_if_add_from_files(tmp_path: Path) -> None:
    plan = sg.load_plan("jeonnam-2020")
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(
        "sites:\n  - {key: extra, name: 추가단지, lon: 127.65, lat: 34.90, kind: general}\n",
        encoding="utf-8",
    )
    w = sg.what_if(plan, add=[sites_file], links=[{"from": "extra", "to": "yulchon1"}])
    assert w.added == ("extra",) and w.after.member("extra").role is Role.LINKED_COMPLEX
    # a plan brings its new sites (its hub as a linked site) and the links among them
    w2 = sg.what_if(plan, add=["jeonnam-2023"])
    other = sg.load_plan("jeonnam-2023")
    new = {m.key for m in other.sites} - {m.key for m in plan.sites}
    assert set(w2.added) == new
    assert all(m.role is not Role.HUB for m in w2.after.sites if m.key in new)
    keys = {m.key for m in w2.after.sites}
    assert list(w2.added_links) == [
        ln for ln in other.links if ln.source in keys and ln.target in keys and ln not in plan.links
    ]
    assert w2.added_links
    bad = tmp_path / "bad.yaml"
    bad.write_text("nothing: here\n", encoding="utf-8")
    with pytest.raises(InputError, match="neither a plan file nor a sites file"):
        sg.what_if(plan, add=[bad])


def test_what_if_errors() -> None:
    plan = sg.load_plan("jeonnam-2020")
    with pytest.raises(InputError, match="it is the hub"):
        sg.what_if(plan, drop=["yeosu"])
    with pytest.raises(UnknownSiteError, match="'nowhere': not in plan 'jeonnam-2020'"):
        sg.what_if(plan, drop=["nowhere"])
    with pytest.raises(InputError, match="already has it"):
        sg.what_if(plan, add=[plan.member("gwangyang").site])
    with pytest.raises(SchemaError, match="lacks 'from' and 'to'"):
        sg.what_if(plan, links=[{"from": "yeosu"}])
    with pytest.raises(UnknownSiteError, match="'to' names site 'ghost'"):
        sg.what_if(plan, links=[{"from": "yeosu", "to": "ghost"}])
    with pytest.raises(InputError, match="cannot add a int"):
        sg.what_if(plan, add=[3])  # type: ignore[list-item]


def test_what_if_rules_and_metric() -> None:
    plan = sg.load_plan("daegu-2020")
    w = sg.what_if(plan, drop=["bukgu_belt"], rules="daegu", metric="centroid")
    assert w.metric == "centroid" and w.analysis_after.metric == "centroid"
    gone = w.checks[w.checks["to"] == "bukgu_belt"]
    assert set(gone["before"]) == {"fail", "pass"} and set(gone["after"].map(str)) == {"None"}
    assert (gone["metric"].dropna() == "centroid").all()
    assert w.report_before.verdict == "fail" and w.verdict == "uncertain"


# ---------------------------------------------------------------- the program


def _program_key(m: PlanSite) -> str:
    ref = m.site.attrs.get("ref")
    return ref if isinstance(ref, str) and ref else m.key


def test_program_graph_holds_every_plan() -> None:
    plans = [sg.load_plan(pid) for pid in sg.builtin_plan_ids()]
    G = sg.program_graph()
    assert isinstance(G, nx.MultiGraph)
    assert set(G.nodes) == {_program_key(m) for p in plans for m in p.sites}
    links = [(d["plan"], d["from"], d["to"]) for _, _, d in G.edges(data=True)]
    assert sorted(links) == sorted(
        (p.id, _program_key(p.member(ln.source)), _program_key(p.member(ln.target)))
        for p in plans
        for ln in p.links
    )
    for p in plans:
        for m in p.sites:
            d = G.nodes[_program_key(m)]
            assert d["roles"][p.id] == m.role.value and p.id in d["plans"]
            assert int(p.meta["round"]) in d["years"]
    assert {k for k, d in G.nodes(data=True) if d["n_plans"] > 1} == set(sg.shared_sites(plans))
    assert min(y for _, d in G.nodes(data=True) for y in d["years"]) == 2019
    assert max(y for _, d in G.nodes(data=True) for y in d["years"]) == 2025


def test_program_proximity_edges_are_pairs_within() -> None:
    G = sg.program_graph(proximity_km=5, metric="centroid")
    near = {
        frozenset((u, v)): d["distance_km"]
        for u, v, d in G.edges(data=True)
        if d["kind"] == "proximity"
    }
    sites = {k: sg.builtin_sites()[k] for k in G.nodes if k in sg.builtin_sites()}
    assert len(sites) == G.number_of_nodes()
    want = sg.pairs_within(sites, 5, metric="centroid")
    assert set(near) == {frozenset((str(a), str(b))) for a, b in zip(want.a, want.b, strict=True)}
    for a, b, km in zip(want.a, want.b, want.distance_km, strict=True):
        assert near[frozenset((str(a), str(b)))] == pytest.approx(km, abs=1e-12)
        assert km <= 5


def test_program_summary_matches_networkx() -> None:
    G = sg.program_graph()
    s = sg.program_summary(G, top=5)
    simple = nx.Graph(G)
    bc = nx.betweenness_centrality(simple, normalized=True)
    assert len(s.central) == 5
    assert list(s.central["betweenness"]) == pytest.approx(sorted(bc.values(), reverse=True)[:5])
    for row in s.central.itertuples():
        assert row.betweenness == pytest.approx(bc[row.key]) and row.degree == simple.degree(
            row.key
        )
    assert s.components == nx.number_connected_components(G)
    assert set(s.shared["key"]) == set(sg.shared_sites(sg.builtin_plan_ids()))
    assert list(s.by_year["year"]) == list(range(2019, 2026))
    assert sum(len(p) for p in s.by_year["plans"]) == len(sg.builtin_plan_ids())
    last = s.by_year.iloc[-1]
    assert (last["sites"], last["links"], last["components"]) == (s.sites, s.links, s.components)
    for row in s.by_year.itertuples():  # the program up to that year, rebuilt from its plans
        ids = [p for p in G.graph["plans"] if G.graph["plan_years"][p] <= row.year]
        H = nx.Graph(sg.program_graph(ids))
        assert (row.sites, row.components) == (
            H.number_of_nodes(),
            nx.number_connected_components(H),
        )
        assert row.largest_component == max(len(c) for c in nx.connected_components(H))
    assert s.by_year["sites"].is_monotonic_increasing
    same = sg.program_summary(sg.builtin_plan_ids(), top=5)
    assert same.to_dict() == s.to_dict()
    text = s.to_text()
    assert text.startswith(f"program: 29 plans, {s.sites} sites") and "gwangyang" in text


def test_program_of_two_rounds() -> None:
    s = sg.program_summary(["jeonnam-2020", "jeonnam-2023"])
    assert list(s.shared["key"]) == ["gwangyang", "yulchon1"]
    assert s.shared.set_index("key").at["gwangyang", "roles"] == (
        "jeonnam-2020:linked_complex",
        "jeonnam-2023:hub",
    )
    assert s.components == 1 and s.central.iloc[0]["key"] == "gwangyang"


def test_program_inputs_and_errors() -> None:
    plan = sg.load_plan("daegu-2020")
    G = sg.program_graph([plan, replace(plan, id="daegu-copy", meta={"round": 2030})])
    assert G.nodes["seongseo"]["years"] == (2020, 2030)
    assert G.number_of_edges() == 2 * len(plan.links)
    with pytest.raises(sg.RuleError):
        sg.program_graph([plan], proximity_km=-1)
    with pytest.raises(InputError):
        sg.program_graph(["no-such-plan"])


# ---------------------------------------------------------------- the command line
# (here rather than in tests/test_cli.py, which another change is editing)


def _run(*args: str):
    from click.testing import CliRunner

    from sandan_geo.cli import cli

    return CliRunner().invoke(cli, list(args), prog_name="sandan-geo")


def test_cli_whatif(tmp_path: Path) -> None:
    import json

    r = _run("whatif", "jeonnam-2020", "--drop", "yulchon1")
    assert r.exit_code == 1, r.output  # the changed plan fails for certain: 광양 is cut off
    assert "value_chain_connected  yeosu -> gwangyang: pass -> fail" in r.stdout
    r = _run(
        "whatif",
        "jeonnam-2020",
        "--drop",
        "yulchon1",
        "--link",
        "gwangyang:yeosu",
        "--format",
        "json",
    )
    assert r.exit_code == 4, r.output
    doc = json.loads(r.stdout)
    assert doc["added_links"] == [{"from": "gwangyang", "to": "yeosu", "relation": None}]
    assert doc["verdict"] == {"before": "uncertain", "after": "uncertain"}
    out = tmp_path / "whatif.md"
    r = _run("-q", "whatif", "jeonnam-2020", "--drop", "gwangyang", "-o", str(out))
    assert r.exit_code == 4 and out.read_text(encoding="utf-8").startswith(
        "## What-if: jeonnam-2020"
    )
    r = _run("whatif", "jeonnam-2020", "--drop", "yeosu")
    assert r.exit_code == 2 and r.stderr.startswith("sandan-geo: error: ") and "hub" in r.stderr
    assert r.stderr.count("\n") == 1
    r = _run("whatif", "jeonnam-2020")
    assert r.exit_code == 2 and "--drop KEY" in r.stderr
    r = _run("whatif", "jeonnam-2020", "--link", "yeosu")
    assert r.exit_code == 2 and "FROM:TO" in r.stderr
    r = _run("whatif", "jeonnam-2020", "--drop", "gwangyang", "--metric", "nope")
    assert r.exit_code == 2 and "unknown metric" in r.stderr


def test_cli_program() -> None:
    import json

    r = _run("program", "--top", "3")
    assert r.exit_code == 0, r.output
    assert r.stdout == sg.program_summary(top=3).to_text()
    r = _run("program", "jeonnam-2020", "jeonnam-2023", "--proximity-km", "5", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    want = sg.program_summary(sg.program_graph(["jeonnam-2020", "jeonnam-2023"], proximity_km=5))
    assert doc == json.loads(json.dumps(want.to_dict()))
    assert doc["proximity_km"] == 5 and doc["proximity"] > 0
    r = _run("program", "--proximity-km", "0")
    assert r.exit_code == 2 and "proximity_km" in r.stderr
    r = _run("program", "no-such-plan")
    assert r.exit_code == 2 and "no-such-plan" in r.stderr
