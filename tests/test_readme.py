"""The README: its verdict table is the tool's own output, and its examples run.

Regenerate the table after a data or code change with:  python tests/test_readme.py --write
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

import sandan_geo as sg

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- verdicts:start -->", "<!-- verdicts:end -->"


def verdict_table() -> str:
    rows = [
        "| plan | linked site | limit | centroid: km [range] verdict (margin) "
        "| boundary: km [range] verdict (margin) |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for pid in ("daegu-2020", "jeonnam-2020"):
        plan = sg.load_plan(pid)
        by_metric = {
            metric: {
                c.to: c
                for c in sg.check_plan(plan, metric=metric).checks
                if c.rule_type == "max_distance"
            }
            for metric in ("centroid", "boundary")
        }
        for m in plan.linked:
            cells = []
            for metric in ("centroid", "boundary"):
                c = by_metric[metric][m.key]
                verdict = {"pass": "pass", "fail": "**FAIL**", "uncertain": "*uncertain*"}
                lo, hi = c.range_km
                cells.append(
                    f"{c.value_km:.2f} [{lo:.2f}–{hi:.2f}] {verdict[c.verdict]} "
                    f"({c.margin_km:+.2f})"
                )
            limit = by_metric["centroid"][m.key].limit_km
            rows.append(f"| {pid} | {m.site.name_ko} | {limit:g} km | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


def current_block(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def test_readme_verdicts_are_the_tools_own_output():
    assert current_block(README.read_text(encoding="utf-8")) == verdict_table(), (
        "README verdict table is stale: run python tests/test_readme.py --write"
    )


def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "daegu.html").exists()


def test_readme_plan_example_loads_and_validates():
    block = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)[0]
    plan = sg.load_plan(yaml.safe_load(block))
    report = sg.check_plan(plan)
    assert report.rules_source == "plan" and {c.to for c in report.checks} == {"l1", "z1"}


if __name__ == "__main__" and "--write" in sys.argv:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{verdict_table()}\n{END}{tail}", encoding="utf-8")
    print("README verdict table updated")
