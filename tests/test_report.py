"""Reports as spreadsheets: CSV for Excel and XLSX, read back with pandas to the JSON's values."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

import sandan_geo as sg
from sandan_geo.cli import cli


def _json_rows(stdout: str) -> list[dict]:
    data = json.loads(stdout)
    reports = data if isinstance(data, list) else [data]
    return [c | {"plan": r["plan"]} for r in reports for c in r["checks"]]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_spreadsheets_read_back_with_the_values_of_the_json(tmp_path, suffix):
    runner = CliRunner()
    args = ["validate", "daegu-2020", "jeonnam-2020", "--metric", "boundary"]
    rows = _json_rows(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    out = tmp_path / f"review.{suffix}"
    r = runner.invoke(cli, [*args, "-o", str(out)])  # the suffix chooses the format
    assert r.exit_code in (0, 1, 4), r.output
    if suffix == "csv":
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Korean as UTF-8
        table = pd.read_csv(out, encoding="utf-8-sig")
    else:
        table = pd.read_excel(out)
    assert len(table) == len(rows)
    assert {"value_km", "range_lo_km", "range_hi_km", "limit_km", "margin_km"} <= set(table)
    for row, want in zip(table.to_dict(orient="records"), rows, strict=True):
        assert (row["plan"], row["from"], row["to"], row["to_name"]) == (
            want["plan"],
            want["from"],
            want["to"],
            want["to_name"],
        )
        assert row["verdict"] == want["verdict"] and bool(row["passed"]) == want["passed"]
        for col in ("value_km", "limit_km", "margin_km"):
            if want[col] is None:
                assert pd.isna(row[col])
            else:
                assert row[col] == pytest.approx(want[col], abs=1e-9)
        if want["range_km"] is not None:
            assert [row["range_lo_km"], row["range_hi_km"]] == pytest.approx(want["range_km"])


def test_an_output_suffix_that_contradicts_the_format_is_refused(tmp_path):
    r = CliRunner().invoke(
        cli, ["validate", "daegu-2020", "--format", "json", "-o", str(tmp_path / "r.xlsx")]
    )
    assert r.exit_code == 2 and "says xlsx but --format says json" in r.stderr
    assert list(tmp_path.iterdir()) == []
    r = CliRunner().invoke(cli, ["validate", "daegu-2020", "--format", "xlsx"])
    assert r.exit_code == 2 and "give -o FILE.xlsx" in r.stderr


def test_spreadsheet_text_cells_cannot_run_formulas():
    plan = sg.load_plan(
        {
            "id": '=HYPERLINK("http://example.invalid")',
            "rules": [{"type": "max_distance", "km": 5, "metric": "centroid"}],
            "sites": [
                {"key": "h", "name": "@SUM(1)", "role": "hub", "lon": 128.5, "lat": 35.84},
                {"key": "l", "name": "+cmd", "role": "linked_complex", "lon": 128.55, "lat": 35.88},
            ],
            "links": [{"from": "h", "to": "l"}],
        }
    )
    report = sg.check_plan(plan)
    table = pd.read_csv(io.StringIO(sg.to_csv(report)[1:]))
    assert table.loc[0, "plan"] == '\'=HYPERLINK("http://example.invalid")'
    assert table.loc[0, "from_name"] == "'@SUM(1)" and table.loc[0, "to_name"] == "'+cmd"
    assert table.loc[0, "margin_km"] < 0 and table["margin_km"].dtype == float  # numbers stay
    sheet = pd.read_excel(io.BytesIO(sg.to_xlsx(report)))
    assert sheet.loc[0, "from_name"] == "'@SUM(1)"
