"""Reports as data and text: dict/JSON, DataFrame, Markdown and plain text.

This module formats; it computes nothing. The JSON shape is stable
(``schema: "sandan-geo/report/1"``) and documented in ``docs/reports.md``:
top-level ``plan``, ``plan_name``, ``passed``, ``rules``, ``rules_source`` and
``checks``, each check with ``rule``, ``rule_type``, ``from``, ``to``,
``metric``, ``value_km``, ``limit_km``, ``margin_km``, ``passed``,
``approximate``, ``from_point``, ``to_point`` (``[lon, lat]``), ``minutes``,
``limit_minutes`` and ``note``, and with the data's uncertainty ``verdict``
(``pass``/``fail``/``uncertain``/``info``), ``range_km`` (``[lo, hi]``, the
interval the true distance lies in), ``uncertainty_m`` (each end's share, m)
and ``from_extent``/``to_extent`` (``official``, ``user``, ``approximate``,
``points`` or ``point``); the top level also has ``verdict``. Kilometres are
rounded to the millimetre.

Examples
--------
>>> from sandan_geo import check_plan, load_plan
>>> report = check_plan(load_plan("jeonnam-2020"), metric="centroid")
>>> d = to_dict(report)
>>> lo, hi = d["checks"][0]["range_km"]
>>> d["plan"], d["checks"][0]["verdict"] in ("pass", "fail", "uncertain"), lo <= hi
('jeonnam-2020', True, True)
>>> "| 여수국가산업단지 |" in to_markdown(report)
True
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._io import json_text, spreadsheet_safe_frame
from .check import Report
from .official import describe_attach
from .rules import Check
from .textsafe import plain_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SCHEMA",
    "to_csv",
    "to_dataframe",
    "to_dict",
    "to_json",
    "to_markdown",
    "to_table",
    "to_text",
    "to_xlsx",
]

SCHEMA = "sandan-geo/report/1"
_KM_DIGITS = 6  # millimetres
_COLUMNS = [
    "plan",
    "rule",
    "rule_type",
    "from",
    "from_name",
    "to",
    "to_name",
    "metric",
    "value_km",
    "limit_km",
    "margin_km",
    "passed",
    "verdict",
    "range_lo_km",
    "range_hi_km",
    "from_extent",
    "to_extent",
    "approximate",
    "minutes",
    "limit_minutes",
    "from_point",
    "to_point",
    "note",
]


def _km(value: float | None) -> float | None:
    return None if value is None else round(value, _KM_DIGITS)


def _point(p: tuple[float, float] | None) -> list[float] | None:
    return None if p is None else [round(p[0], 7), round(p[1], 7)]


def _check_dict(report: Report, c: Check) -> dict[str, Any]:
    return {
        "rule": c.rule,
        "rule_type": c.rule_type,
        "from": c.from_,
        "from_name": report.site_names.get(c.from_, c.from_),
        "to": c.to,
        "to_name": report.site_names.get(c.to, c.to),
        "metric": c.metric,
        "value_km": _km(c.value_km),
        "limit_km": c.limit_km,
        "margin_km": _km(c.margin_km),
        "passed": c.passed,
        "verdict": c.verdict,
        "range_km": None if c.range_km is None else [_km(c.range_km[0]), _km(c.range_km[1])],
        "uncertainty_m": None
        if c.uncertainty_m is None
        else [round(c.uncertainty_m[0], 1), round(c.uncertainty_m[1], 1)],
        "from_extent": c.from_extent,
        "to_extent": c.to_extent,
        "approximate": c.approximate,
        "minutes": None if c.minutes is None else round(c.minutes, 3),
        "limit_minutes": c.limit_minutes,
        "from_point": _point(c.from_point),
        "to_point": _point(c.to_point),
        "note": c.note,
    }


def to_dict(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON-ready data.

    Examples
    --------
    >>> from sandan_geo import check_plan, load_plan
    >>> to_dict(check_plan(load_plan("daegu-2020")))["rules_source"]
    'plan'
    """
    return {
        "schema": SCHEMA,
        "plan": report.plan,
        "plan_name": report.plan_name,
        "passed": report.passed,
        "verdict": report.verdict,
        "rules": list(report.rules),
        "rules_source": report.rules_source,
        "boundaries": None if report.boundaries is None else dict(report.boundaries),
        "checks": [_check_dict(report, c) for c in report.checks],
    }


def to_json(report: Report | Sequence[Report], *, indent: int | None = 2) -> str:
    """Return the report (or a list of reports, as a JSON array) as JSON text.

    Non-ASCII text is kept as is (UTF-8); keys keep their documented order.

    Examples
    --------
    >>> import json
    >>> from sandan_geo import check_plan, load_plan
    >>> json.loads(to_json(check_plan(load_plan("daegu-2020"))))["passed"] in (True, False)
    True
    """
    data: Any = to_dict(report) if isinstance(report, Report) else [to_dict(r) for r in report]
    return json_text(data, indent=indent) + "\n"


def to_dataframe(report: Report | Sequence[Report]) -> pd.DataFrame:
    """Return one row per check, with the columns of the JSON checks plus ``plan``.

    Examples
    --------
    >>> from sandan_geo import check_plan, load_plan
    >>> df = to_dataframe(check_plan(load_plan("daegu-2020"), metric="centroid"))
    >>> list(df.columns[:4])
    ['plan', 'rule', 'rule_type', 'from']
    """
    import pandas as pd

    reports = [report] if isinstance(report, Report) else list(report)
    rows = []
    for r in reports:
        for c in r.checks:
            row = {"plan": r.plan, **_check_dict(r, c)}
            span = row.pop("range_km")
            row["range_lo_km"], row["range_hi_km"] = span if span else (None, None)
            rows.append(row)
    return pd.DataFrame(rows, columns=_COLUMNS)


def to_table(report: Report | Sequence[Report]) -> pd.DataFrame:
    """One row per check, flat, for spreadsheets: units in the column names, points as lon/lat.

    The columns of :func:`to_dataframe` with ``from_point``/``to_point`` split into
    ``from_lon``, ``from_lat``, ``to_lon``, ``to_lat`` and the plan's name added.

    Examples
    --------
    >>> from sandan_geo import check_plan, load_plan
    >>> t = to_table(check_plan(load_plan("daegu-2020")))
    >>> [c for c in t.columns if c.endswith("_km")]
    ['value_km', 'range_lo_km', 'range_hi_km', 'limit_km', 'margin_km']
    """
    import pandas as pd

    reports = [report] if isinstance(report, Report) else list(report)
    frame = to_dataframe(reports)
    names = {r.plan: r.plan_name for r in reports}
    frame.insert(1, "plan_name", frame["plan"].map(names))
    for end in ("from", "to"):
        points = frame.pop(f"{end}_point")
        frame[f"{end}_lon"] = [p[0] if p else None for p in points]
        frame[f"{end}_lat"] = [p[1] if p else None for p in points]
    order = [
        "plan", "plan_name", "rule", "rule_type", "from", "from_name", "to", "to_name",
        "metric", "value_km", "range_lo_km", "range_hi_km", "limit_km", "margin_km",
        "passed", "verdict", "from_extent", "to_extent", "approximate", "minutes",
        "limit_minutes", "from_lon", "from_lat", "to_lon", "to_lat", "note",
    ]  # fmt: skip
    return pd.DataFrame(frame[order])


def to_csv(report: Report | Sequence[Report]) -> str:
    """The checks as CSV for Excel: UTF-8 with a byte-order mark, one row per check.

    The BOM makes Excel read Korean text as UTF-8; text cells that a spreadsheet
    would take for a formula are neutralised (a leading ``'``).

    Examples
    --------
    >>> from sandan_geo import check_plan, load_plan
    >>> text = to_csv(check_plan(load_plan("daegu-2020")))
    >>> text[0] == "\ufeff", text.splitlines()[0][1:30]
    (True, 'plan,plan_name,rule,rule_type')
    """
    return "\ufeff" + spreadsheet_safe_frame(to_table(report)).to_csv(
        index=False, lineterminator="\r\n"
    )


def to_xlsx(report: Report | Sequence[Report]) -> bytes:
    """The checks as an Excel workbook (bytes): a header row, one row per check.

    Needs ``openpyxl``. Text cells are neutralised as in :func:`to_csv`.

    Examples
    --------
    >>> import io, pandas as pd
    >>> from sandan_geo import check_plan, load_plan
    >>> data = to_xlsx(check_plan(load_plan("daegu-2020")))
    >>> pd.read_excel(io.BytesIO(data)).loc[0, "to_name"]
    '서대구일반산업단지'
    """
    import importlib.util
    import io

    if importlib.util.find_spec("openpyxl") is None:
        from .errors import MissingDependencyError

        raise MissingDependencyError(
            "writing .xlsx needs openpyxl; pip install openpyxl (or write CSV)"
        )
    buffer = io.BytesIO()
    frame = spreadsheet_safe_frame(to_table(report))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        frame.to_excel(buffer, index=False, sheet_name="checks", engine="openpyxl")
    return buffer.getvalue()


def _md(text: Any) -> str:
    """User text made inert in Markdown (and the HTML it renders to)."""
    out = html.escape(plain_text(text), quote=True)
    return re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", out)


def _fmt_km(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


_VERDICT_WORD = {"pass": "pass", "fail": "FAIL", "uncertain": "UNCERTAIN", "info": "info"}


def _verdict_line(report: Report) -> str:
    if not report.checks:
        return "PASS (nothing to check: the plan has no linked site)"
    ruled = [c for c in report.checks if c.verdict != "info"]
    counts = {v: sum(c.verdict == v for c in ruled) for v in ("fail", "uncertain")}
    if report.verdict == "pass":
        text = "PASS"
    elif report.verdict == "fail":
        text = f"FAIL ({counts['fail']} of {len(ruled)} checks fail for certain"
        text += f", {counts['uncertain']} uncertain)" if counts["uncertain"] else ")"
    else:
        text = f"UNCERTAIN (no check fails for certain; {counts['uncertain']} of {len(ruled)} "
        text += "could go either way within the data's uncertainty)"
    if report.rules_source == "none":
        text += "; the plan states no distance rule: distances from the hub listed as information"
    return text


def _range(c: Check) -> str:
    return "–" if c.range_km is None else f"{c.range_km[0]:.2f}–{c.range_km[1]:.2f}"


def to_markdown(report: Report | Sequence[Report]) -> str:
    """Return the report as a Markdown section with a table of checks.

    User text (names, notes) is escaped so that it renders as text.

    Examples
    --------
    >>> from sandan_geo import check_plan, load_plan
    >>> md = to_markdown(check_plan(load_plan("daegu-2020"), metric="centroid"))
    >>> md.splitlines()[0]
    '## daegu-2020: 대구 산업단지 대개조 \\\\(2020\\\\)'
    """
    if not isinstance(report, Report):
        return "\n".join(to_markdown(r) for r in report)
    lines = [
        f"## {_md(report.plan)}: {_md(report.plan_name)}",
        "",
        f"**Verdict: {_verdict_line(report)}**. Rules ({report.rules_source}): "
        + "; ".join(f"`{plain_text(r).replace('`', '')}`" for r in report.rules),
        "",
        *(
            [f"Boundaries: {_md(describe_attach(report.boundaries))}", ""]
            if report.boundaries
            else []
        ),
        "| rule | from | to | metric | value (km) | range (km) | limit (km) | margin (km) "
        "| verdict |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in report.checks:
        word = _VERDICT_WORD[c.verdict]
        result = word if c.verdict in ("pass", "info") else f"**{word}**"
        if c.approximate:
            result += " (approx.)"
        value = _fmt_km(c.value_km) if c.value_km is not None else _md(c.note or "")
        margin = "–" if c.margin_km is None else f"{c.margin_km:+.3f}"
        lines.append(
            f"| {_md(c.rule_type)} | {_md(report.site_names.get(c.from_, c.from_))} "
            f"| {_md(report.site_names.get(c.to, c.to))} | {_md(c.metric or '–')} | {value} "
            f"| {_range(c)} | {_fmt_km(c.limit_km)} | {margin} | {result} |"
        )
    if any(c.approximate for c in report.checks):
        lines += [
            "",
            "_approx.: measured on an approximate extent or point (see the site's provenance). "
            "range: where the true distance lies given each point's confidence and each "
            "approximate extent; UNCERTAIN: the limit lies inside the range._",
        ]
    return "\n".join(lines) + "\n"


def to_text(report: Report | Sequence[Report]) -> str:
    """Return the report as plain text for a terminal or a log.

    Examples
    --------
    >>> from sandan_geo import check_plan, load_plan
    >>> text = to_text(check_plan(load_plan("jeonnam-2020"), max_km=30, metric="centroid"))
    >>> text.splitlines()[0]
    'jeonnam-2020  전남 산업단지 대개조 (2020): PASS'
    """
    if not isinstance(report, Report):
        return "\n".join(to_text(r) for r in report)
    lines = [
        f"{plain_text(report.plan)}  {plain_text(report.plan_name)}: {_verdict_line(report)}",
        f"  rules ({report.rules_source}): " + "; ".join(plain_text(r) for r in report.rules),
    ]
    if report.boundaries:
        lines.append(f"  boundaries: {plain_text(describe_attach(report.boundaries))}")
    for c in report.checks:
        mark = _VERDICT_WORD[c.verdict]
        a = plain_text(report.site_names.get(c.from_, c.from_))
        b = plain_text(report.site_names.get(c.to, c.to))
        span = "" if c.range_km is None else f", range {_range(c)} km"
        if c.value_km is not None and c.limit_km is not None:
            sign = "<=" if c.passed else ">"
            what = (
                f"{c.metric} {c.value_km:.3f} km {sign} {c.limit_km:g} km "
                f"(margin {c.margin_km:+.3f} km{span})"
            )
        elif c.value_km is not None and c.verdict == "info":
            what = f"{c.metric} {c.value_km:.3f} km (no limit{span})"
        elif c.minutes is not None and c.limit_minutes is not None:
            sign = "<=" if c.passed else ">"
            what = f"{c.metric} {c.minutes:.1f} min {sign} {c.limit_minutes:g} min"
        else:
            what = plain_text(c.note or "")
        approx = "  [approximate]" if c.approximate else ""
        lines.append(f"  {mark:<9} {c.rule_type:<22} {a} -> {b}: {what}{approx}")
    return "\n".join(lines) + "\n"
