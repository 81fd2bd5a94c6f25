"""The review report: one self-contained HTML (or A4 PDF) document for a committee.

:func:`review_report` gathers, for each plan, what a committee reads in a meeting:
the plan and its region, the rules and the metric each uses, a verdict table per
metric asked (통과 / 미달 / 판단 유보, with value, limit, margin and range), the
map, the value chain (who supplies what to whom), each site's data provenance and
confidence, what the data cannot tell, and the tool version, data version and
date. Several plans go into one document, a summary table first.

The HTML makes no network request: each map is the offline map
(:func:`~sandan_geo.map_html` with ``offline=True``) in a sandboxed
``<iframe srcdoc=...>``. :func:`save_review` writes it, or prints an A4 PDF
through headless Chromium with the network blocked (the PDF shows each map as
a picture rendered by :func:`~sandan_geo.save_png`).

Every user string (plan and site names, relations, provenance) is escaped with
:func:`html.escape`. The same input and ``date`` give the same bytes.

Examples
--------
>>> import sandan_geo as sg
>>> doc = review_report("daegu-2020", maps=False, date="2020-05-08")
>>> doc.startswith("<!DOCTYPE html>"), "판단 유보" in doc, "2020-05-08" in doc
(True, True, True)
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import os
import subprocess
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ._io import write_bytes_atomic
from .check import Report, check_plan
from .errors import InputError, MissingDependencyError, OutputError, SandanGeoWarning
from .load import load_plan
from .maps import (
    CHROMIUM_FLAGS,
    NO_NETWORK_FLAGS,
    find_chromium,
    map_html,
    plan_map,
    sandbox_flags,
    save_png,
)
from .model import ROLE_KO, Plan
from .official import describe_attach
from .rules import Check

__all__ = ["LANGS", "data_version", "review_report", "save_review"]

LANGS = ("ko", "en")
"""Languages of the review report."""

_TEXT: Mapping[str, Mapping[str, str]] = {
    "ko": {
        "title": "산업단지 대개조 계획 검토 보고서",
        "summary": "요약",
        "date": "작성일",
        "tool": "도구",
        "data": "데이터 버전",
        "disclaimer": "이 판정은 공개 자료에 대한 도구의 해석이며 위원회의 판단이 아닙니다.",
        "plan": "계획",
        "region": "지역",
        "hub": "거점산단",
        "linked": "연계 사이트",
        "announced": "발표일",
        "source": "계획 자료",
        "builtin": "내장 자료",
        "file": "파일",
        "rules": "적용 기준",
        "rule": "기준",
        "rules_source": "기준의 출처",
        "metric": "거리 기준",
        "verdicts": "판정",
        "overall": "종합 판정",
        "from": "출발",
        "to": "도착",
        "value": "값 (km)",
        "limit": "한도 (km)",
        "margin": "여유 (km)",
        "range": "범위 (km)",
        "verdict": "판정",
        "map": "지도",
        "map_caption": "거점산단, 연계 사이트, 거리 한도와 판정선 ({metric} 기준).",
        "chain": "가치사슬 (누가 무엇을 누구에게)",
        "supplier": "공급하는 곳",
        "what": "무엇을",
        "receiver": "받는 곳",
        "basis": "근거",
        "inferred": "자료에서 추정한 연결",
        "no_links": "계획에 가치사슬 연결이 없습니다.",
        "provenance": "자료의 출처와 신뢰도",
        "site": "사이트",
        "role": "역할",
        "point_conf": "대표 지점 신뢰도",
        "extent": "경계",
        "prov": "출처",
        "cannot": "자료로 알 수 없는 것",
        "method": (
            "모든 거리에는 범위 [하한–상한]가 붙습니다. 근사 경계는 지정면적과 같은 넓이의 원이고 "
            "많은 대표 지점은 추정치이므로, 각 끝의 불확실성(근사 원 반지름의 보정된 비율과 "
            "대표 지점의 신뢰도에 따른 거리)을 더한 구간 안에 실제 거리가 있습니다. 범위 전체가 "
            "한도 이내면 통과, 범위 전체가 한도 밖이면 미달, 한도가 범위 안에 있으면 판단 유보입니다 "
            "(방법: 문서 docs/uncertainty.md). 공식 경계 파일(DAM_DAN)을 붙이면 판정이 확정됩니다."
        ),
        "approx_sites": "근사 경계로 측정한 사이트",
        "estimated_points": "대표 지점이 추정치(신뢰도 낮음)인 사이트",
        "uncertain_checks": "자료의 불확실성 안에서 어느 쪽으로도 갈 수 있는 판정",
        "no_rule": "계획이 거리 기준을 밝히지 않았습니다: 거점산단에서의 거리는 참고로만 표시합니다.",
        "inferred_links": "보도자료 문장에서 추정한 가치사슬 연결",
        "nothing_unknown": "알려진 한계가 없습니다.",
        "boundaries": "공식 경계",
        "contents": "차례",
        "none": "없음",
        "of": "건 중",
        "km": "km",
        "min": "분",
        "checks_count": "판정 {n}건",
    },
    "en": {
        "title": "Industrial complex transformation plans: review report",
        "summary": "Summary",
        "date": "Date",
        "tool": "Tool",
        "data": "Data version",
        "disclaimer": "These verdicts are the tool's reading of public data, not the committee's.",
        "plan": "Plan",
        "region": "Region",
        "hub": "Hub complex",
        "linked": "Linked sites",
        "announced": "Announced",
        "source": "Plan data",
        "builtin": "built-in data",
        "file": "file",
        "rules": "Rules",
        "rule": "Rule",
        "rules_source": "Whose rules",
        "metric": "Metric",
        "verdicts": "Verdicts",
        "overall": "Overall verdict",
        "from": "From",
        "to": "To",
        "value": "Value (km)",
        "limit": "Limit (km)",
        "margin": "Margin (km)",
        "range": "Range (km)",
        "verdict": "Verdict",
        "map": "Map",
        "map_caption": "Hub, linked sites, the distance limit and the check lines ({metric} metric).",
        "chain": "Value chain (who supplies what to whom)",
        "supplier": "Supplier",
        "what": "What",
        "receiver": "Receiver",
        "basis": "Basis",
        "inferred": "link inferred from the sources",
        "no_links": "The plan has no value-chain link.",
        "provenance": "Data provenance and confidence",
        "site": "Site",
        "role": "Role",
        "point_conf": "Point confidence",
        "extent": "Extent",
        "prov": "Sources",
        "cannot": "What the data cannot tell",
        "method": (
            "Every distance comes with a range [lo–hi]. The built-in extents are approximations "
            "(a disc of the designated area) and many points are estimates, so the true distance "
            "lies within the measured one widened by each end's uncertainty (a calibrated share "
            "of the disc's radius plus the point's confidence). Pass: even the upper end is "
            "within the limit; fail: even the lower end is beyond it; uncertain: the limit lies "
            "inside the range (method: docs/uncertainty.md). Attaching the official boundary "
            "layer (DAM_DAN) settles them."
        ),
        "approx_sites": "Sites measured on an approximate extent",
        "estimated_points": "Sites whose point is an estimate (low confidence)",
        "uncertain_checks": "Checks that could go either way within the data's uncertainty",
        "no_rule": "The plan states no distance rule: distances from the hub are information only.",
        "inferred_links": "Value-chain links inferred from the press release's wording",
        "nothing_unknown": "No known limitation.",
        "boundaries": "Official boundaries",
        "contents": "Contents",
        "none": "none",
        "of": "of",
        "km": "km",
        "min": "min",
        "checks_count": "{n} checks",
    },
}

_VERDICTS = {
    "ko": {"pass": "통과", "fail": "미달", "uncertain": "판단 유보", "info": "참고"},
    "en": {"pass": "pass", "fail": "fail", "uncertain": "uncertain", "info": "info"},
}
_METRICS = {
    "ko": {"centroid": "대표점 간 거리", "boundary": "경계 간 최단 거리", "road": "도로 거리"},
    "en": {"centroid": "between points", "boundary": "between extents", "road": "by road"},
}
_RULES_SOURCE = {
    "ko": {
        "plan": "계획이 밝힌 기준",
        "argument": "검토자가 지정한 기준",
        "max_km": "검토자가 지정한 거리 한도",
        "none": "기준 없음",
    },
    "en": {
        "plan": "the plan's own",
        "argument": "given by the reviewer",
        "max_km": "a limit chosen by the reviewer",
        "none": "none stated",
    },
}
_RULE_TYPES = {
    "ko": {
        "max_distance": "거리 한도",
        "max_travel_time": "이동 시간 한도",
        "value_chain_connected": "가치사슬 연결",
        "hub_distance": "거점과의 거리",
    },
    "en": {
        "max_distance": "distance limit",
        "max_travel_time": "travel-time limit",
        "value_chain_connected": "value chain connected",
        "hub_distance": "distance from the hub",
    },
}
_CONFIDENCE = {
    "ko": {"high": "높음", "medium": "보통", "low": "낮음", None: "밝혀지지 않음"},
    "en": {"high": "high", "medium": "medium", "low": "low", None: "not stated"},
}
_EXTENT = {
    "ko": {
        "official": "공식 경계",
        "user": "계획에 그린 경계",
        "approximate": "근사 (면적이 같은 원)",
        "points": "부분 지점들",
        "point": "대표 지점",
    },
    "en": {
        "official": "official outline",
        "user": "outline drawn in the plan",
        "approximate": "approximate (equal-area discs)",
        "points": "the parts' points",
        "point": "the point only",
    },
}

_CSS = """
@page { size: A4; margin: 15mm; }
html { font-family: "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "Apple SD Gothic Neo",
  "NanumGothic", sans-serif; font-size: 10.5pt; color: #222; line-height: 1.45; }
body { max-width: 190mm; margin: 0 auto; padding: 8mm 4mm; }
h1 { font-size: 18pt; margin: 0 0 4pt; }
h2 { font-size: 14pt; border-bottom: 1.5pt solid #444; padding-bottom: 2pt; margin-top: 14pt; }
h3 { font-size: 11.5pt; margin: 12pt 0 4pt; break-after: avoid; }
p.meta, p.note, figcaption { color: #555; font-size: 9pt; }
p.disclaimer { font-size: 9pt; border-left: 3pt solid #999; padding-left: 6pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; font-size: 9pt; }
th, td { border: 0.5pt solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 1pt 10pt; margin: 4pt 0; }
dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
.v-pass { color: #1a7f37; font-weight: bold; } .v-fail { color: #c62828; font-weight: bold; }
.v-uncertain { color: #9a6700; font-weight: bold; } .v-info { color: #555; }
figure.map { margin: 6pt 0; break-inside: avoid; }
figure.map iframe { width: 100%; height: 120mm; border: 0.5pt solid #999; }
figure.map img { width: 100%; border: 0.5pt solid #999; }
section.plan + section.plan { break-before: page; }
table.provenance td:nth-child(1) { width: 20%; }
table.provenance td:nth-child(2), table.provenance td:nth-child(3) { white-space: nowrap; }
table.provenance td:nth-child(4) { width: 14%; }
table.summary td:nth-child(1) { width: 28%; } th { white-space: nowrap; }
ul.unknown li { margin-bottom: 2pt; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; } }
""".strip()


# ---------------------------------------------------------------- small helpers


def _e(value: Any) -> str:
    """User text as HTML text (quotes escaped too, so it is safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _tool_version() -> str:
    try:
        return version("sandan-geo")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0+unknown"


def _geodata_dir() -> Any:
    """The installed built-in data folder, else the source tree's ``geodata/``."""
    packaged = resources.files("sandan_geo") / "geodata"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "geodata"


def data_version() -> str:
    """Return a short hash of the built-in data (``geodata/sites.yaml`` and every plan).

    The SHA-256 of each file's name and bytes, in name order, cut to 12 hex digits:
    it changes whenever a site or a built-in plan changes.

    Examples
    --------
    >>> v = data_version()
    >>> len(v), all(c in "0123456789abcdef" for c in v)
    (12, True)
    """
    base = _geodata_dir()
    files = [("sites.yaml", base / "sites.yaml")]
    plans = base / "plans"
    files += sorted((f"plans/{e.name}", e) for e in plans.iterdir() if e.name.endswith(".yaml"))
    digest = hashlib.sha256()
    for name, entry in files:
        data = entry.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:12]


def _date_text(date: _dt.date | str | None) -> str:
    if date is None:
        return _dt.date.today().isoformat()
    if isinstance(date, _dt.date):
        return date.isoformat()
    try:
        return _dt.date.fromisoformat(str(date)).isoformat()
    except ValueError as err:
        msg = f"date {date!r} is not a date; give it as YYYY-MM-DD, e.g. 2020-05-08"
        raise InputError(msg, field="date", hint="YYYY-MM-DD") from err


def _km(value: float | None, fmt: str = ".2f") -> str:
    return "–" if value is None else format(value, fmt)


def _verdict_cell(verdict: str, lang: str) -> str:
    return f'<span class="v-{_e(verdict)}">{_e(_VERDICTS[lang].get(verdict, verdict))}</span>'


def _metric_name(metric: str | None, lang: str) -> str:
    if metric is None:
        return "–"
    label = _METRICS[lang].get(metric)
    return f"{_e(metric)} ({_e(label)})" if label else _e(metric)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """A table from already-escaped cells; a cell starting with ``\\x00num`` is right-aligned."""
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th>{h}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for cell in row:
            if cell.startswith("\0num"):
                out.append(f'<td class="num">{cell[4:]}</td>')
            else:
                out.append(f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _num(text: str) -> str:
    return "\0num" + text


# ---------------------------------------------------------------- inputs


def _plans(
    plans: Plan | str | os.PathLike[str] | Sequence[Plan | str | os.PathLike[str]],
) -> list[Plan]:
    items = [plans] if isinstance(plans, Plan | str | os.PathLike) else list(plans)
    if not items:
        raise InputError("no plan to review", hint="give at least one plan or built-in plan id")
    return [p if isinstance(p, Plan) else load_plan(p) for p in items]


def _reports(
    plans: Sequence[Plan],
    reports: Sequence[Report | Sequence[Report]] | None,
    *,
    metric: str | None,
    metrics: Sequence[str] | None,
    max_km: float | None,
    rules: Any,
) -> list[list[Report]]:
    if reports is not None:
        given = [[r] if isinstance(r, Report) else list(r) for r in reports]
        if len(given) != len(plans):
            msg = f"{len(given)} reports for {len(plans)} plans; give one (or a list) per plan"
            raise InputError(msg, field="reports")
        return given
    names: list[str | None] = list(metrics) if metrics else [metric]
    return [[check_plan(p, rules, metric=m, max_km=max_km) for m in names] for p in plans]


# ---------------------------------------------------------------- sections


def _counts(report: Report, lang: str) -> str:
    ruled = [c for c in report.checks if c.verdict != "info"]
    parts = []
    for v in ("pass", "fail", "uncertain"):
        n = sum(c.verdict == v for c in ruled)
        if n:
            parts.append(f"{_e(_VERDICTS[lang][v])} {n}")
    return ", ".join(parts) or _e(_VERDICTS[lang]["info"])


def _report_metric(report: Report) -> str | None:
    found = sorted({c.metric for c in report.checks if c.metric and c.value_km is not None})
    return ", ".join(found) if found else None


def _summary(plans: Sequence[Plan], reports: Sequence[Sequence[Report]], lang: str) -> str:
    t = _TEXT[lang]
    rows = []
    for i, (plan, rs) in enumerate(zip(plans, reports, strict=True), start=1):
        verdicts = "<br>".join(
            f"{_metric_name(_report_metric(r), lang)}: {_verdict_cell(r.verdict, lang)} "
            f"({_counts(r, lang)})"
            for r in rs
        )
        rows.append(
            [
                f'<a href="#plan-{i}">{_e(plan.name)}</a><br><small>{_e(plan.id)}</small>',
                _e(_region(plan, lang) or "–"),
                _e(plan.hub.site.name_ko),
                _num(str(len(plan.linked))),
                verdicts,
            ]
        )
    head = [t["plan"], t["region"], t["hub"], t["linked"], t["verdicts"]]
    return f"<h2>{t['summary']}</h2>" + _table(head, rows, "summary")


def _region(plan: Plan, lang: str) -> str | None:
    meta = plan.meta
    if lang == "en" and meta.get("region_en"):
        return str(meta["region_en"])
    value = meta.get("region")
    return None if value is None else str(value)


def _facts(plan: Plan, lang: str) -> str:
    t = _TEXT[lang]
    hub = plan.hub.site
    items = [(t["region"], _e(_region(plan, lang) or "–"))]
    items.append((t["hub"], f"{_e(hub.name_ko)} ({_e(hub.key)})"))
    linked = ", ".join(f"{_e(m.site.name_ko)} ({_e(_role(m.role, lang))})" for m in plan.linked)
    items.append((t["linked"], linked or "–"))
    if plan.meta.get("announced"):
        items.append((t["announced"], _e(plan.meta["announced"])))
    if plan.path:
        data = Path(plan.path)
        digest = hashlib.sha256(data.read_bytes()).hexdigest()[:12] if data.is_file() else "?"
        items.append((t["source"], f"{t['file']} {_e(data.name)} (sha256 {digest})"))
    else:
        items.append((t["source"], f"{t['builtin']} ({_e(data_version())})"))
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _role(role: Any, lang: str) -> str:
    return ROLE_KO.get(role, str(role)) if lang == "ko" else str(role.value)


def _rules_section(reports: Sequence[Report], lang: str) -> str:
    t = _TEXT[lang]
    rows = []
    seen: set[tuple[str, str]] = set()
    for r in reports:
        for rule in r.rules:
            metrics = sorted({c.metric for c in r.checks if c.rule == rule and c.metric})
            key = (rule, ",".join(metrics))
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                [
                    f"<code>{_e(rule)}</code>",
                    "<br>".join(_metric_name(m, lang) for m in metrics) or "–",
                    _e(_RULES_SOURCE[lang].get(r.rules_source, r.rules_source)),
                ]
            )
    out = f"<h3>{t['rules']}</h3>" + _table([t["rule"], t["metric"], t["rules_source"]], rows)
    if any(r.rules_source == "none" for r in reports):
        out += f'<p class="note">{t["no_rule"]}</p>'
    boundaries = next((r.boundaries for r in reports if r.boundaries), None)
    if boundaries:
        out += f'<p class="note">{t["boundaries"]}: {_e(describe_attach(boundaries))}</p>'
    return out


def _value_cell(c: Check, lang: str) -> str:
    if c.value_km is not None:
        return _num(_km(c.value_km))
    if c.minutes is not None:
        return _num(f"{c.minutes:.1f} {_TEXT[lang]['min']}")
    return _e(c.note or "–")


def _limit_cell(c: Check, lang: str) -> str:
    if c.limit_km is not None:
        return _num(f"{c.limit_km:g}")
    if c.limit_minutes is not None:
        return _num(f"{c.limit_minutes:g} {_TEXT[lang]['min']}")
    return _num("–")


def _checks_section(report: Report, lang: str) -> str:
    t = _TEXT[lang]
    names = report.site_names
    rows = []
    for c in report.checks:
        rows.append(
            [
                _e(_RULE_TYPES[lang].get(c.rule_type, c.rule_type)),
                _e(names.get(c.from_, c.from_)),
                _e(names.get(c.to, c.to)),
                _metric_name(c.metric, lang),
                _value_cell(c, lang),
                _limit_cell(c, lang),
                _num("–" if c.margin_km is None else f"{c.margin_km:+.2f}"),
                _num("–" if c.range_km is None else f"{c.range_km[0]:.2f}–{c.range_km[1]:.2f}"),
                _verdict_cell(c.verdict, lang),
            ]
        )
    head = [
        t["rule"], t["from"], t["to"], t["metric"], t["value"], t["limit"], t["margin"],
        t["range"], t["verdict"],
    ]  # fmt: skip
    metric = _report_metric(report)
    title = f"{t['verdicts']}: {_metric_name(metric, lang)}" if metric else t["verdicts"]
    return (
        f"<h3>{title}</h3>"
        f"<p>{t['overall']}: {_verdict_cell(report.verdict, lang)} "
        f"({t['checks_count'].format(n=len(report.checks))}: {_counts(report, lang)})</p>"
        + _table(head, rows, "checks")
    )


def _map_section(plan: Plan, report: Report, lang: str, png: bytes | None) -> str:
    t = _TEXT[lang]
    caption = t["map_caption"].format(metric=_e(_report_metric(report) or "–"))
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        body = f'<img alt="{_e(plan.name)}" src="data:image/png;base64,{data}">'
    else:
        doc = map_html(plan_map(plan, report=report, offline=True), offline=True)
        body = (
            f'<iframe title="{_e(plan.name)}" sandbox="allow-scripts" '
            f'srcdoc="{html.escape(doc, quote=True)}"></iframe>'
        )
    return (
        f'<h3>{t["map"]}</h3><figure class="map">{body}<figcaption>{caption}</figcaption></figure>'
    )


def _chain_section(plan: Plan, lang: str) -> str:
    t = _TEXT[lang]
    if not plan.links:
        return f"<h3>{t['chain']}</h3><p>{t['no_links']}</p>"
    names = {m.site.key: m.site.name_ko for m in plan.sites}
    rows = []
    for link in plan.links:
        basis = link.attrs.get("basis")
        note = f"<br><small>({t['inferred']})</small>" if link.attrs.get("inferred") else ""
        rows.append(
            [
                _e(names.get(link.source, link.source)),
                _e(link.relation or "–"),
                _e(names.get(link.target, link.target)),
                (_e(basis) if basis else "–") + note,
            ]
        )
    head = [t["supplier"], t["what"], t["receiver"], t["basis"]]
    return f"<h3>{t['chain']}</h3>" + _table(head, rows, "chain")


def _provenance_text(prov: Mapping[str, Any]) -> str:
    lines = []
    for key, value in prov.items():
        if isinstance(value, Mapping):
            inner = "; ".join(f"{_e(k)}: {_e(v)}" for k, v in value.items())
            lines.append(f"<b>{_e(key)}</b>: {inner}")
        else:
            lines.append(f"<b>{_e(key)}</b>: {_e(value)}")
    return "<br>".join(lines) or "–"


def _provenance_section(plan: Plan, lang: str) -> str:
    t = _TEXT[lang]
    rows = []
    for m in plan.sites:
        s = m.site
        rows.append(
            [
                f"{_e(s.name_ko)}<br><small>{_e(s.key)}</small>",
                _e(_role(m.role, lang)),
                _e(_CONFIDENCE[lang].get(s.point_confidence, s.point_confidence)),
                _e(_EXTENT[lang].get(s.extent_source, s.extent_source)),
                f"<small>{_provenance_text(s.provenance)}</small>",
            ]
        )
    head = [t["site"], t["role"], t["point_conf"], t["extent"], t["prov"]]
    return f"<h3>{t['provenance']}</h3>" + _table(head, rows, "provenance")


def _unknown_section(plan: Plan, reports: Sequence[Report], lang: str) -> str:
    t = _TEXT[lang]
    items = []
    approx = [m.site.name_ko for m in plan.sites if m.site.extent_source == "approximate"]
    if approx:
        items.append(f"{t['approx_sites']}: " + ", ".join(_e(n) for n in approx))
    estimated = [m.site.name_ko for m in plan.sites if m.site.point_confidence == "low"]
    if estimated:
        items.append(f"{t['estimated_points']}: " + ", ".join(_e(n) for n in estimated))
    for r in reports:
        unsure = [c for c in r.checks if c.verdict == "uncertain"]
        if unsure:
            names = r.site_names
            pairs = ", ".join(
                f"{_e(names.get(c.from_, c.from_))} → {_e(names.get(c.to, c.to))}" for c in unsure
            )
            metric = _e(_report_metric(r) or "–")
            items.append(f"{t['uncertain_checks']} ({metric}): {pairs}")
    inferred = [link for link in plan.links if link.attrs.get("inferred")]
    if inferred:
        items.append(f"{t['inferred_links']}: {len(inferred)}")
    if any(r.rules_source == "none" for r in reports):
        items.append(t["no_rule"])
    body = (
        '<ul class="unknown">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
        if items
        else f"<p>{t['nothing_unknown']}</p>"
    )
    return f'<h3>{t["cannot"]}</h3>{body}<p class="note">{t["method"]}</p>'


# ---------------------------------------------------------------- the document


def _document(
    plans: Sequence[Plan],
    reports: Sequence[Sequence[Report]],
    *,
    lang: str,
    date: str,
    maps: bool,
    pictures: Sequence[bytes | None] | None = None,
) -> str:
    if lang not in _TEXT:
        msg = f"lang {lang!r} is not a report language; use one of {', '.join(LANGS)}"
        raise InputError(msg, field="lang", hint="lang='ko' (default) or lang='en'")
    t = _TEXT[lang]
    tool = _tool_version()
    data = data_version()
    stamp = f"{t['date']} {_e(date)} · {t['tool']} sandan-geo {_e(tool)} · {t['data']} {_e(data)}"
    title = f"{t['title']}: " + ", ".join(p.name for p in plans)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="sandan-geo {_e(tool)}">',
        f"<title>{_e(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        '<header class="cover">',
        f"<h1>{t['title']}</h1>",
        f'<p class="meta">{stamp}</p>',
        f'<p class="disclaimer">{t["disclaimer"]}</p>',
        _summary(plans, reports, lang),
        "</header>",
    ]
    for i, (plan, rs) in enumerate(zip(plans, reports, strict=True), start=1):
        out.append(f'<section class="plan" id="plan-{i}">')
        out.append(f"<h2>{i}. {_e(plan.name)} <small>({_e(plan.id)})</small></h2>")
        out.append(_facts(plan, lang))
        out.append(_rules_section(rs, lang))
        out.extend(_checks_section(r, lang) for r in rs)
        if maps:
            png = pictures[i - 1] if pictures is not None else None
            out.append(_map_section(plan, rs[0], lang, png))
        out.append(_chain_section(plan, lang))
        out.append(_provenance_section(plan, lang))
        out.append(_unknown_section(plan, rs, lang))
        out.append("</section>")
    out += [f'<footer><p class="meta">{stamp}</p></footer>', "</body>", "</html>", ""]
    return "\n".join(out)


def review_report(
    plans: Plan | str | os.PathLike[str] | Sequence[Plan | str | os.PathLike[str]],
    *,
    reports: Sequence[Report | Sequence[Report]] | None = None,
    lang: str = "ko",
    metric: str | None = None,
    metrics: Sequence[str] | None = None,
    max_km: float | None = None,
    rules: Any = None,
    maps: bool = True,
    date: _dt.date | str | None = None,
) -> str:
    """Return the review report of one or several plans as one self-contained HTML document.

    For each plan: its name and region, the rules and the metric each uses, a
    verdict table per metric (통과 / 미달 / 판단 유보, or pass / fail / uncertain
    in English, with value, limit, margin and range in km), the live offline
    map, the value chain, each site's provenance and confidence, and what the
    data cannot tell. A summary table of every plan comes first; the tool
    version, the data version (:func:`data_version`) and the date head the page.
    The document makes no network request.

    Parameters
    ----------
    plans
        A plan, a built-in plan id or a plan file, or several of them.
    reports
        The checks to show, one :class:`~sandan_geo.Report` (or a list, one
        per metric) per plan; default: checked here with ``rules``,
        ``metric``/``metrics`` and ``max_km``.
    lang
        ``"ko"`` (default) or ``"en"``.
    metric
        Measure every distance rule with this metric (``"centroid"``,
        ``"boundary"``); default: each rule's own.
    metrics
        Several metrics, one verdict table each, e.g. ``("centroid", "boundary")``.
    max_km
        Check accessibility within this limit (km) instead of the plans' rules.
    rules
        Rules to apply instead of each plan's own (see :func:`~sandan_geo.check_plan`).
    maps
        Include each plan's map (in a sandboxed ``<iframe srcdoc>``).
    date
        The date printed on the report (a :class:`datetime.date` or
        ``"YYYY-MM-DD"``); default: today. Everything else is fixed by the
        input, so the same input and date give the same bytes.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        An unknown ``lang``, a bad ``date``, or ``reports`` not matching ``plans``.

    Examples
    --------
    >>> doc = review_report(["daegu-2020", "jeonnam-2020"], metrics=("centroid", "boundary"),
    ...                     maps=False, date="2020-05-08")
    >>> doc.count('<section class="plan"'), "미달" in doc, "@page { size: A4" in doc
    (2, True, True)
    >>> "Uncertain" in review_report("daegu-2020", lang="en", maps=False).title()
    True

    See Also
    --------
    save_review : write it as HTML, or print it to an A4 PDF.
    """
    loaded = _plans(plans)
    checked = _reports(loaded, reports, metric=metric, metrics=metrics, max_km=max_km, rules=rules)
    return _document(loaded, checked, lang=lang, date=_date_text(date), maps=maps)


# ---------------------------------------------------------------- PDF


_PRINT_POLICY = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "script-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "connect-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'\">"
)


def _print_pdf(doc: str, path: str | os.PathLike[str], *, live_maps: bool) -> Path:
    browser = find_chromium()
    if browser is None:
        raise MissingDependencyError(
            "writing the review as PDF needs Chromium: install it (Debian/Ubuntu: "
            "apt-get install chromium fonts-noto-cjk; or set SANDAN_GEO_CHROMIUM to a "
            "Chrome/Chromium binary), or write .html"
        )
    if not live_maps:  # nothing on the page runs or loads: lock it down
        doc = doc.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n' + _PRINT_POLICY, 1)
    with tempfile.TemporaryDirectory(prefix="sandan-geo-pdf-") as tmp:
        page = Path(tmp) / "review.html"
        page.write_text(doc, encoding="utf-8")
        out = Path(tmp) / "review.pdf"
        cmd = [
            browser,
            *CHROMIUM_FLAGS,
            *NO_NETWORK_FLAGS,
            *sandbox_flags(),
            f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={6000 if live_maps else 1000}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=180, check=False)
            if (
                proc.returncode != 0
                and b"sandbox" in proc.stderr.lower()
                and "--no-sandbox" not in cmd
            ):
                warnings.warn(
                    "Chromium's sandbox is not available here; printing the PDF without it",
                    SandanGeoWarning,
                    stacklevel=3,
                )
                proc = subprocess.run(
                    [*cmd[:1], "--no-sandbox", *cmd[1:]],
                    capture_output=True,
                    timeout=180,
                    check=False,
                )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise OutputError(f"{path}: Chromium could not print the review ({err})") from err
        if proc.returncode != 0 or not out.exists() or out.read_bytes()[:5] != b"%PDF-":
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise OutputError(f"{path}: Chromium failed to print the review ({' '.join(tail)})")
        return write_bytes_atomic(path, out.read_bytes())


def _map_pictures(plans: Sequence[Plan], reports: Sequence[Sequence[Report]]) -> list[bytes | None]:
    pictures: list[bytes | None] = []
    with tempfile.TemporaryDirectory(prefix="sandan-geo-review-") as tmp:
        for i, (plan, rs) in enumerate(zip(plans, reports, strict=True)):
            shot = Path(tmp) / f"map-{i}.png"
            save_png(plan_map(plan, report=rs[0], offline=True), shot, width=1000, height=700)
            pictures.append(shot.read_bytes())
    return pictures


def save_review(
    html_or_plans: str | Plan | os.PathLike[str] | Sequence[Plan | str | os.PathLike[str]],
    path: str | os.PathLike[str],
    *,
    reports: Sequence[Report | Sequence[Report]] | None = None,
    lang: str = "ko",
    metric: str | None = None,
    metrics: Sequence[str] | None = None,
    max_km: float | None = None,
    rules: Any = None,
    maps: bool = True,
    date: _dt.date | str | None = None,
) -> Path:
    """Write a review report as HTML or, by the suffix ``.pdf``, as an A4 PDF.

    Given plans, the report is made as by :func:`review_report` (the keyword
    options are its own); given the HTML of :func:`review_report`, that
    document is written or printed as it is. The PDF comes from headless
    Chromium with every network request blocked; made from plans, its maps
    are pictures (:func:`~sandan_geo.save_png`) and the page runs no script.

    Parameters
    ----------
    html_or_plans
        A document from :func:`review_report` (a string starting with
        ``<!DOCTYPE html>``), or the plans (objects, built-in ids or files).
    path
        The file to write (atomically): ``.html``/``.htm`` or ``.pdf``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    MissingDependencyError
        A PDF was asked for and no Chromium is installed; the message says what
        to install.
    OutputError
        Chromium failed, or the file cannot be written.
    InputError
        The suffix is neither HTML nor PDF.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "review.html"
    >>> _ = save_review("daegu-2020", f, maps=False, date="2020-05-08")
    >>> f.read_bytes()[:15]
    b'<!DOCTYPE html>'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        msg = f"{path}: a review is written as .html or .pdf, not {suffix or 'no suffix'!r}"
        raise InputError(msg, path=str(path), hint="name the file review.html or review.pdf")
    given = isinstance(html_or_plans, str) and html_or_plans.lstrip().lower().startswith(
        "<!doctype html"
    )
    if given:
        assert isinstance(html_or_plans, str)
        if suffix == ".pdf":
            return _print_pdf(html_or_plans, path, live_maps="<iframe" in html_or_plans)
        return write_bytes_atomic(path, html_or_plans.encode("utf-8"))
    loaded = _plans(html_or_plans)
    checked = _reports(loaded, reports, metric=metric, metrics=metrics, max_km=max_km, rules=rules)
    day = _date_text(date)
    if suffix != ".pdf":
        doc = _document(loaded, checked, lang=lang, date=day, maps=maps)
        return write_bytes_atomic(path, doc.encode("utf-8"))
    if find_chromium() is None:
        return _print_pdf("", path, live_maps=False)  # raises, naming what to install
    pictures = _map_pictures(loaded, checked) if maps else None
    doc = _document(loaded, checked, lang=lang, date=day, maps=maps, pictures=pictures)
    return _print_pdf(doc, path, live_maps=False)
