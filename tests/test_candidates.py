"""Tests of sandan_geo.candidates: the sites within reach of a hub."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from sandan_geo import analyze_network, builtin_sites, check_plan, load_plan
from sandan_geo.candidates import CANDIDATE_COLUMNS, NETWORK_COLUMNS, candidates
from sandan_geo.errors import InputError, RuleError
from sandan_geo.measure import BoundaryMetric, CentroidMetric
from sandan_geo.model import Kind, Link, Plan, PlanSite, Role, Site

pytest.importorskip("scipy")


def test_candidates_on_builtin_sites() -> None:
    sites = builtin_sites()
    hub = sites["seongseo"]
    df = candidates(hub, sites, 20)
    assert list(df.columns) == list(CANDIDATE_COLUMNS)
    assert "seongseo" not in set(df["key"])
    assert df["distance_km"].is_monotonic_increasing
    assert (df["distance_km"] <= 20).all() and set(df["metric"]) == {"boundary"}
    metric = BoundaryMetric()
    want = {
        k: metric.distance(hub, s).value_km
        for k, s in sites.items()
        if k != "seongseo" and metric.distance(hub, s).value_km <= 20
    }
    assert dict(zip(df["key"], df["distance_km"], strict=True)) == pytest.approx(want, abs=1e-12)
    cen = candidates(hub, sites, 20, metric="centroid")
    assert set(cen["metric"]) == {"centroid"}
    for k, d in zip(cen["key"], cen["distance_km"], strict=True):
        assert d == pytest.approx(CentroidMetric().distance(hub, sites[k]).value_km, abs=1e-12)
    assert set(df["key"]) >= {"seodaegu"}
    row = df.set_index("key").loc["seodaegu"]
    assert row["kind"] == "general" and row["shared_industries"] == () and row["affinity"] == 0.0


def test_candidates_keeps_rules_with_plan() -> None:
    sites = builtin_sites()
    plan = load_plan("daegu-2020")
    hub = plan.hub.site
    df = candidates(hub, sites, 20, plan=plan, rules="daegu")
    assert list(df.columns) == [*CANDIDATE_COLUMNS, "keeps_rules"]
    members = {m.key for m in plan.sites}
    assert not members & set(df["key"])
    base = check_plan(plan, [{"type": "max_distance", "km": 7.5, "metric": "boundary"}]).passed
    for key, d, keeps in zip(df["key"], df["distance_km"], df["keeps_rules"], strict=True):
        assert keeps == (base and d <= 7.5), key
    with pytest.raises(RuleError, match="without a plan"):
        candidates(hub, sites, 20, rules="daegu")
    with pytest.raises(InputError, match="not the hub of plan"):
        candidates(sites["gumi"], sites, 20, plan=plan)


def test_candidates_industries_and_affinity() -> None:
    hub = Site(key="h", name_ko="허브", lon=128.5, lat=35.84, industries=("기계", "자동차부품"))
    near = Site(
        key="n",
        name_ko="근처",
        lon=128.52,
        lat=35.85,
        industries=("자동차부품", "전자"),
        kind=Kind.GENERAL,
    )
    zone = Site(key="z", name_ko="구역", lon=128.51, lat=35.84, kind=Kind.ZONE)
    far = Site(key="f", name_ko="먼곳", lon=129.5, lat=35.84, industries=("기계",))
    df = candidates(hub, [hub, near, zone, far], 10, metric="centroid")
    assert list(df["key"]) == ["z", "n"]
    rec = df.set_index("key")
    assert rec.loc["n", "shared_industries"] == ("자동차부품",)
    assert rec.loc["n", "affinity"] == pytest.approx(1 / 3)
    assert rec.loc["z", "kind"] == "zone" and rec.loc["z", "affinity"] == 0.0
    given = candidates(hub, [near, zone], 10, metric="centroid", industries=["전자"])
    assert given.set_index("key").loc["n", "affinity"] == pytest.approx(1 / 2)


def test_candidates_errors_and_custom_metric() -> None:
    sites = builtin_sites()
    hub = sites["seongseo"]
    with pytest.raises(RuleError, match="max_km"):
        candidates(hub, sites, 0)
    with pytest.raises(RuleError, match="unknown metric"):
        candidates(hub, sites, 5, metric="teleport")
    with pytest.raises(InputError, match="no sites"):
        candidates(hub, [], 5)

    class Doubled:
        name = "doubled"

        def distance(self, a: Site, b: Site):  # type: ignore[no-untyped-def]
            d = CentroidMetric().distance(a, b)
            from dataclasses import replace

            return replace(d, metric=self.name, value_m=2 * d.value_m)

    df = candidates(hub, sites, 10, metric=Doubled())
    assert set(df["metric"]) <= {"doubled"}
    half = candidates(hub, sites, 5, metric="centroid")
    assert set(df["key"]) == set(half["key"])


def test_candidates_rank_by_network() -> None:
    hub = Site(key="h", name_ko="허브", lon=128.50, lat=35.84, industries=("기계",))
    cut_off = Site(key="a", name_ko="외딴", lon=128.60, lat=35.84, industries=("기계",))
    plan = Plan(
        id="p",
        name="예시",
        sites=(PlanSite(hub, Role.HUB), PlanSite(cut_off, Role.LINKED_COMPLEX)),
        rules=[{"type": "max_distance", "km": 20, "metric": "centroid"}],
    )
    # b sits between the hub and the cut-off site; c is nearer the hub but next to nothing else
    b = Site(key="b", name_ko="사이", lon=128.55, lat=35.85, industries=("전자", "기계"))
    c = Site(key="c", name_ko="근처", lon=128.49, lat=35.83, kind=Kind.ZONE)
    by_distance = candidates(hub, [b, c], 6, metric="centroid", plan=plan)
    assert list(by_distance["key"]) == ["c", "b"]
    ranked = candidates(hub, [b, c], 6, metric="centroid", plan=plan, rank_by="network")
    assert list(ranked.columns) == [*CANDIDATE_COLUMNS, "keeps_rules", *NETWORK_COLUMNS]
    assert list(ranked["key"]) == ["b", "c"] and ranked.attrs["rank_by"] == "network"
    row = ranked.set_index("key")
    assert row.at["b", "links_to"] == ("h", "a") and row.at["c", "links_to"] == ("h",)
    assert bool(row.at["b", "critical"]) and not bool(row.at["c", "critical"])
    assert row.at["b", "reconnects"] == 1 and row.at["c", "reconnects"] == 0
    assert row.at["b", "adds_industries"] == ("전자",) and row.at["c", "adds_industries"] == ()
    assert pd.isna(row.at["b", "mean_link_km_change"])  # the plan had no link to compare with
    # the gain is what analyze_network says of the plan with the site and its links added
    linked = replace(
        plan,
        sites=(*plan.sites, PlanSite(c, Role.LINKED_ZONE)),
        links=(Link("a", "h"),),
    )
    gain = candidates(hub, [b, c], 6, metric="centroid", plan=linked, rank_by="network")
    after = analyze_network(
        replace(
            linked,
            sites=(*linked.sites, PlanSite(b, Role.LINKED_COMPLEX)),
            links=(*linked.links, *(Link("b", k) for k in ("h", "a", "c"))),
        ),
        metric="centroid",
    )
    before = analyze_network(linked, metric="centroid")
    got = gain.set_index("key").loc["b"]
    assert got["links_to"] == ("h", "a", "c")
    assert got["mean_link_km_change"] == pytest.approx(
        after.summary["mean_link_km"] - before.summary["mean_link_km"], abs=1e-9
    )
    assert bool(got["critical"]) == ("b" in after.summary["critical"])


def test_candidates_rank_by_errors() -> None:
    sites = builtin_sites()
    with pytest.raises(InputError, match="needs a plan"):
        candidates(sites["seongseo"], sites, 10, rank_by="network")
    with pytest.raises(InputError, match="rank_by is 'gain'"):
        candidates(sites["seongseo"], sites, 10, rank_by="gain")
