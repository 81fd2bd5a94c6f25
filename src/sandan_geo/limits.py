"""Limits a user gives (kilometres, minutes): one home for checking them.

Rules, :func:`~sandan_geo.check_plan` and the pair search all take a distance
limit in kilometres; each checks it here, so the message is the same wherever
the limit came from.

Examples
--------
>>> check_limit_km(7.5)
7.5
"""

from __future__ import annotations

import math
from typing import Any

from .errors import RuleError

__all__ = ["MAX_LIMIT_KM", "check_limit", "check_limit_km"]

MAX_LIMIT_KM = 600.0
"""Larger than South Korea is wide: a limit above it is a unit mistake (metres for km)."""


def check_limit(value: Any, name: str, unit: str) -> float:
    """A positive, finite number, or a :class:`~sandan_geo.errors.RuleError` naming ``name``.

    Examples
    --------
    >>> check_limit(15, "minutes", "minutes")
    15.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(f"{name} is {value!r}, not a number", field=name, hint=f"give {unit}")
    try:
        number = float(value)
    except OverflowError:
        raise RuleError(
            f"{name} is an integer too large for a number",
            field=name,
            hint=f"give {unit}, e.g. 7.5",
        ) from None
    if not math.isfinite(number) or number <= 0:
        raise RuleError(
            f"{name} is {value}; a limit must be a positive number",
            field=name,
            hint=f"give {unit}, e.g. 7.5",
        )
    return number


def check_limit_km(value: Any, name: str = "max_km") -> float:
    """A distance limit checked: a number of kilometres, > 0 and at most 600.

    The one home of this check: rules, :func:`~sandan_geo.check_plan` and the
    pair search all call it.

    Examples
    --------
    >>> check_limit_km(7.5)
    7.5
    >>> check_limit_km(7500)
    Traceback (most recent call last):
    ...
    sandan_geo.errors.RuleError: max_km is 7500.0, more than South Korea is wide; give the limit in kilometres (7.5, not 7500)
    """
    km = check_limit(value, name, "kilometres")
    if km > MAX_LIMIT_KM:
        raise RuleError(
            f"{name} is {km}, more than South Korea is wide",
            field=name,
            hint="give the limit in kilometres (7.5, not 7500)",
        )
    return km
