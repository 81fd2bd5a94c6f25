"""Verdicts with their uncertainty: ranges, three-way verdicts, per-site amounts, exit codes."""

from __future__ import annotations

import json
import math

import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, affinity, box

import sandan_geo as sg
from sandan_geo.cli import cli
from sandan_geo.crs import to_planar
from sandan_geo.model import Part, Site, equal_area_disc
from sandan_geo.uncertainty import (
    DISC_HAUSDORFF_K,
    POINT_UNCERTAINTY_M,
    distance_range_m,
    footprint_uncertainty_m,
    site_uncertainty_m,
    verdict_for,
)

metres = st.floats(min_value=0.0, max_value=50_000.0, allow_nan=False)


@given(value=metres, u_a=metres, u_b=metres)
def test_range_holds_the_value_is_symmetric_and_never_negative(value, u_a, u_b):
    lo, hi = distance_range_m(value, u_a, u_b)
    assert 0.0 <= lo <= value <= hi
    assert distance_range_m(value, u_b, u_a) == (lo, hi)
    assert hi - value == pytest.approx(u_a + u_b)


@given(value=metres, spread=metres, limits=st.lists(metres, min_size=2, max_size=6))
def test_verdict_is_monotone_in_the_limit(value, spread, limits):
    order = {"fail": 0, "uncertain": 1, "pass": 2}
    span = distance_range_m(value, spread, 0.0)
    verdicts = [order[verdict_for(span, limit)] for limit in sorted(limits)]
    assert verdicts == sorted(verdicts)  # a larger limit never makes a verdict worse


@given(value=metres, limit=st.floats(min_value=1.0, max_value=50_000.0))
def test_without_uncertainty_the_verdict_is_the_plain_comparison(value, limit):
    expected = "pass" if value <= limit + 1e-6 else "fail"
    assert verdict_for(distance_range_m(value, 0.0, 0.0), limit) == expected


@settings(max_examples=60, deadline=None)
@given(
    aspect=st.floats(min_value=1.0, max_value=6.0),
    angle=st.floats(min_value=0.0, max_value=180.0),
    gap=st.floats(min_value=0.0, max_value=20_000.0),
)
def test_the_hausdorff_bound_holds_for_a_real_shape_and_its_disc(aspect, angle, gap):
    # a rectangle (the "real" outline) and the equal-area disc around its centre, in metres
    area = 2_000_000.0
    w = math.sqrt(area * aspect)
    real = affinity.rotate(box(-w / 2, -area / w / 2, w / 2, area / w / 2), angle)
    disc = Point(0, 0).buffer(math.sqrt(area / math.pi), 256)
    other = Point(math.sqrt(area) * aspect + gap, 0).buffer(300.0)
    h = shapely.hausdorff_distance(real, disc, densify=0.02)
    assert abs(real.distance(other) - disc.distance(other)) <= h + 1e-6


def test_per_site_amounts_come_from_the_data():
    low = Site(
        key="a",
        name_ko="가",
        lon=128.5,
        lat=35.84,
        provenance={"point": {"source": "estimate", "confidence": "low"}},
    )
    assert site_uncertainty_m(low, "centroid") == POINT_UNCERTAINTY_M["low"]
    mine = Site(key="b", name_ko="나", lon=128.5, lat=35.84)
    assert site_uncertainty_m(mine, "centroid") == 0.0  # a user's own point is exact
    disc = Site(
        key="c",
        name_ko="다",
        lon=128.5,
        lat=35.84,
        area_m2=4e6,
        extent=equal_area_disc(128.5, 35.84, 4e6),
        extent_approximate=True,
    )
    r = math.sqrt(4e6 / math.pi)
    assert footprint_uncertainty_m(disc) == pytest.approx(DISC_HAUSDORFF_K * r)
    drawn = Site(
        key="d",
        name_ko="라",
        lon=128.5,
        lat=35.84,
        extent=box(128.49, 35.83, 128.51, 35.85),
        attrs={"uncertainty_m": 120},
    )
    assert (drawn.extent_source, footprint_uncertainty_m(drawn)) == ("user", 120.0)
    parts = Site.from_parts(
        "e",
        "마",
        [
            Part("1", 128.5, 35.84, area_m2=1e6, provenance={"point": {"confidence": "high"}}),
            Part("2", 128.6, 35.84, area_m2=9e6, provenance={"point": {"confidence": "low"}}),
        ],
    )
    big = POINT_UNCERTAINTY_M["low"] + DISC_HAUSDORFF_K * math.sqrt(9e6 / math.pi)
    assert footprint_uncertainty_m(parts) == pytest.approx(big)  # the largest part's amount
    assert site_uncertainty_m(parts, "my-metric") is None  # unknown metric: no range


def test_builtin_checks_carry_range_verdict_and_extent_sources():
    report = sg.check_plan(sg.load_plan("daegu-2020"), metric="boundary")
    for c in report.checks:
        if c.rule_type != "max_distance":
            continue
        lo, hi = c.range_km
        assert lo <= c.value_km <= hi and hi > lo  # built-in discs are never exact
        assert (c.from_extent, c.to_extent) == ("approximate", "approximate")
        expected = "pass" if hi <= c.limit_km else "fail" if lo > c.limit_km else "uncertain"
        assert c.verdict == expected
    assert report.verdict in ("pass", "fail", "uncertain")


def test_a_user_plan_with_exact_points_gets_plain_verdicts_and_exit_codes(tmp_path):
    def plan_file(km, uncertainty=0):
        path = tmp_path / f"p{km}-{uncertainty}.yaml"
        path.write_text(
            f"id: p\nrules: [{{type: max_distance, km: {km}, metric: centroid}}]\nsites:\n"
            f"  - {{key: h, name: 거점, role: hub, lon: 128.5, lat: 35.84, uncertainty_m: {uncertainty}}}\n"
            "  - {key: l, name: 연계, role: linked_complex, lon: 128.55, lat: 35.88}\n"
            "links:\n  - {from: h, to: l}\n",
            encoding="utf-8",
        )
        return str(path)

    runner = CliRunner()
    # the two points are 6.332 km apart (centroid)
    assert runner.invoke(cli, ["validate", plan_file(7)]).exit_code == 0
    assert runner.invoke(cli, ["validate", plan_file(6)]).exit_code == 1
    r = runner.invoke(cli, ["validate", plan_file(6, 500), "--format", "json"])
    assert r.exit_code == 4  # fails on the value, but the limit lies inside the range
    report = json.loads(r.stdout)
    check = report["checks"][0]
    assert (report["verdict"], check["verdict"], check["passed"]) == (
        "uncertain",
        "uncertain",
        False,
    )
    assert check["range_km"] == pytest.approx([5.832, 6.832], abs=1e-3)
    text = runner.invoke(cli, ["validate", plan_file(6, 500)]).stdout
    assert "UNCERTAIN" in text and "range 5.83–6.83 km" in text
    frame = sg.to_dataframe(sg.check_plan(sg.load_plan(plan_file(6, 500))))
    assert frame.loc[0, ["range_lo_km", "range_hi_km"]].tolist() == pytest.approx(
        [5.832, 6.832], abs=1e-3
    )
    assert "| 5.83–6.83 |" in sg.to_markdown(sg.check_plan(sg.load_plan(plan_file(6, 500))))


def test_the_disc_amount_is_at_least_what_a_square_needs():
    # a square departs from its equal-area disc by (sqrt(pi/2) - 1) r; real outlines more
    square = box(0, 0, 1000, 1000)
    disc = Point(500, 500).buffer(math.sqrt(1e6 / math.pi), 512)
    ratio = shapely.hausdorff_distance(square, disc, densify=0.01) / math.sqrt(1e6 / math.pi)
    assert ratio == pytest.approx(math.sqrt(math.pi / 2) - 1, abs=2e-3)
    assert ratio < DISC_HAUSDORFF_K
    assert to_planar(equal_area_disc(128.5, 35.84, 1e6)).area == pytest.approx(1e6, rel=2e-3)
