"""Tests of sandan_geo.candidates: the sites within reach of a hub."""

from __future__ import annotations

import pytest

from sandan_geo import builtin_sites, check_plan, load_plan
from sandan_geo.candidates import CANDIDATE_COLUMNS, candidates
from sandan_geo.errors import InputError, RuleError
from sandan_geo.measure import BoundaryMetric, CentroidMetric
from sandan_geo.model import Kind, Site

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
