"""Rules: limits, the inclusive boundary, presets, parsing errors, monotonicity."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan_geo import (
    MaxDistance,
    RuleError,
    ValueChainConnected,
    accessibility_rules,
    check_plan,
    load_plan,
    parse_rules,
)
from sandan_geo.crs import GEOD


def plan_at(distance_m: float, *, az: float = 63.0) -> dict:
    lon, lat, _ = GEOD.fwd(128.5, 35.84, az, distance_m)
    return {
        "id": "edge",
        "sites": [
            {"key": "h", "name": "거점", "role": "hub", "lon": 128.5, "lat": 35.84},
            {"key": "l", "name": "연계", "role": "linked_complex", "lon": lon, "lat": lat},
        ],
        "links": [{"from": "h", "to": "l"}],
    }


@pytest.mark.parametrize(("offset_m", "passes"), [(-0.001, True), (0.0, True), (0.001, False)])
def test_centroid_limit_is_inclusive_to_the_millimetre(offset_m, passes):
    plan = load_plan(plan_at(7500.0 + offset_m))
    report = check_plan(plan, [{"type": "max_distance", "km": 7.5, "metric": "centroid"}])
    (check,) = report.checks
    assert check.passed is passes
    assert check.value_km == pytest.approx(7.5 + offset_m / 1000, abs=1e-9)
    assert check.limit_km == 7.5
    assert check.margin_km == pytest.approx(-offset_m / 1000, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(dist=st.floats(100, 30_000), limit=st.floats(0.1, 40), extra=st.floats(0, 40))
def test_a_check_that_passes_at_a_limit_passes_at_every_larger_limit(dist, limit, extra):
    plan = load_plan(plan_at(dist))
    for metric in ("centroid", "boundary"):
        low = check_plan(plan, [MaxDistance(limit, metric=metric)])
        high = check_plan(plan, [MaxDistance(limit + extra, metric=metric)])
        if low.passed:
            assert high.passed


@pytest.mark.parametrize("km", [0, -1, float("nan"), float("inf"), "7.5", True])
def test_bad_limits_are_refused(km):
    with pytest.raises(RuleError, match="km is"):
        parse_rules([{"type": "max_distance", "km": km}])


def test_absurd_limit_names_the_unit_mistake():
    with pytest.raises(RuleError, match="7.5, not 7500"):
        MaxDistance(7500)


def test_presets_are_explicit_about_metric():
    (dist, conn) = parse_rules("daegu")
    assert isinstance(dist, MaxDistance) and dist.max_km == 7.5 and dist.metric_name == "boundary"
    assert isinstance(conn, ValueChainConnected)
    assert parse_rules("jeonnam")[0].max_km == 10.0
    assert [r.describe() for r in accessibility_rules(3, metric="centroid")] == [
        "max_distance(3 km, centroid, hub_to_linked)",
        "value_chain_connected",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("busan", "unknown preset 'busan'"),
        ([{"type": "min_distance", "km": 1}], "unknown rule type 'min_distance'"),
        ([{"type": "max_distance", "km": 1, "metric": "euclid"}], "unknown metric 'euclid'"),
        ([{"type": "max_distance", "km": 1, "between": "all"}], "between is 'all'"),
        ([{"type": "max_distance", "km": 1, "kms": 2}], "unknown field"),
        ([], "empty"),
        ([3], "rule 1 is a int"),
    ],
)
def test_rule_parsing_errors_say_what_and_how(spec, message):
    with pytest.raises(RuleError, match=message):
        parse_rules(spec)


def test_value_chain_connected_flags_an_unlinked_site():
    doc = plan_at(1000)
    doc["sites"].append(
        {"key": "z", "name": "외딴", "role": "linked_zone", "lon": 128.52, "lat": 35.85}
    )
    report = check_plan(load_plan(doc), [ValueChainConnected()])
    verdicts = {c.to: c.passed for c in report.checks}
    assert verdicts == {"l": True, "z": False}
    assert report.passed is False


def test_value_chain_follows_links_both_ways_unless_directed():
    doc = plan_at(1000)
    doc["links"] = [{"from": "l", "to": "h", "relation": "부품 공급"}]
    plan = load_plan(doc)
    assert check_plan(plan, [ValueChainConnected()]).passed
    assert not check_plan(plan, [ValueChainConnected(directed=True)]).passed


def test_links_rule_checks_each_link():
    doc = plan_at(5000)
    report = check_plan(load_plan(doc), [MaxDistance(4, metric="centroid", between="links")])
    (c,) = report.checks
    assert (c.from_, c.to, c.passed) == ("h", "l", False)
    assert c.margin_km == pytest.approx(-1.0, abs=1e-6)


def test_plan_without_rules_needs_a_limit_and_says_whose_limit_it_was():
    plan = load_plan({**plan_at(1000), "rules": None})
    listed = check_plan(plan)  # no rule stated: structure checked, distances listed
    assert listed.rules_source == "none" and listed.rules == ("value_chain_connected",)
    info = [c for c in listed.checks if c.rule_type == "hub_distance"]
    assert [c.to for c in info] == ["l"] and info[0].verdict == "info"
    assert info[0].metric == "boundary" and info[0].limit_km is None
    assert check_plan(plan, metric="centroid").checks[0].metric == "centroid"
    assert check_plan(plan, max_km=2).rules_source == "max_km"
    assert check_plan(plan, "daegu").rules_source == "argument"
    with pytest.raises(RuleError, match="not both"):
        check_plan(plan, "daegu", max_km=3)


def test_hub_only_plan_has_nothing_to_check_and_says_so():
    from sandan_geo import to_text

    plan = load_plan({"id": "solo", "sites": [plan_at(1)["sites"][0]]})
    report = check_plan(plan, max_km=5)
    assert report.checks == () and report.passed
    assert "nothing to check" in to_text(report)


def test_km_is_renamed_max_km_with_a_warning_for_one_release():
    assert MaxDistance(7.5) == MaxDistance(max_km=7.5)
    with pytest.warns(FutureWarning, match="use max_km"):
        old = MaxDistance(km=7.5)
    assert old == MaxDistance(max_km=7.5)
    assert old.max_km == 7.5
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert replace(old, metric="centroid").max_km == 7.5  # no warning on copies
    with pytest.raises(RuleError, match="max_km is 7500.0, more than South Korea is wide"):
        MaxDistance(max_km=7500)
    # rule files keep their field name, and say it in errors
    with pytest.raises(RuleError, match="km is -2"):
        parse_rules([{"type": "max_distance", "km": -2}])
    assert (
        parse_rules([{"type": "max_distance", "max_km": 3}])[0]
        .describe()
        .startswith("max_distance(3 km")
    )
