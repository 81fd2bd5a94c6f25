"""limits: one check for every distance limit a user gives."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sandan_geo as sg
from sandan_geo.limits import MAX_LIMIT_KM, check_limit_km


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_limit_is_accepted_exactly_when_it_is_a_positive_finite_number_up_to_600(value):
    ok = math.isfinite(value) and 0 < value <= MAX_LIMIT_KM
    if ok:
        assert check_limit_km(value) == value
    else:
        with pytest.raises(sg.RuleError, match="max_km"):
            check_limit_km(value)


@pytest.mark.parametrize("value", ["7.5", None, True, [7.5], 10**400])
def test_non_numbers_are_refused_by_name(value):
    with pytest.raises(sg.RuleError, match="^my_limit is"):
        check_limit_km(value, "my_limit")


def test_every_entry_point_uses_the_same_check():
    plan = sg.load_plan("daegu-2020")
    for call in (
        lambda: sg.check_plan(plan, max_km=-1),
        lambda: sg.MaxDistance(-1),
        lambda: sg.accessibility_rules(-1),
        lambda: sg.pairs_within([plan.hub.site], -1),
    ):
        with pytest.raises(sg.RuleError, match="a limit must be a positive number"):
            call()
