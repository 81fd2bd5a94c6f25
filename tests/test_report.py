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


# ------------------------------------------------ compare and candidates as spreadsheets


def _read_sheet(path, suffix: str) -> pd.DataFrame:
    if suffix == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Korean as UTF-8
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    return pd.read_excel(path, keep_default_na=False, na_values=[""])


@pytest.mark.parametrize("how", ["suffix", "format"])
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_compare_spreadsheets_read_back_with_the_values_of_the_json(tmp_path, suffix, how):
    runner = CliRunner()
    args = ["compare", "jeonnam-2020", "jeonnam-2023", "daegu-2020"]
    want = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    out = tmp_path / f"compare.{suffix}"
    extra = ["--format", suffix] if how == "format" else []
    r = runner.invoke(cli, [*args, *extra, "-o", str(out)])
    assert r.exit_code == 0, r.output
    table = _read_sheet(out, suffix)
    assert list(table.columns) == list(want[0])
    assert {"max_km_centroid", "median_km_boundary"} <= set(table.columns)  # units named
    assert len(table) == len(want)
    for row, expected in zip(table.to_dict(orient="records"), want, strict=True):
        assert row["id"] == expected["id"] and row["hub"] == expected["hub"]
        assert row["n_linked"] == expected["n_linked"] and row["round"] == expected["round"]
        for col in ("max_km_centroid", "median_km_centroid", "max_km_boundary"):
            assert row[col] == pytest.approx(expected[col], abs=1e-9)
        shared = "" if pd.isna(row["shared_sites"]) else str(row["shared_sites"])
        assert shared.split() == expected["shared_sites"]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_candidates_spreadsheets_read_back_with_the_values_of_the_json(tmp_path, suffix):
    runner = CliRunner()
    args = ["candidates", "seongseo", "--max-km", "12", "--plan", "daegu-2020"]
    want = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)["candidates"]
    assert want, "the fixture should find candidates"
    out = tmp_path / f"candidates.{suffix}"
    r = runner.invoke(cli, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    table = _read_sheet(out, suffix)
    assert "distance_km" in table.columns and len(table) == len(want)
    for row, expected in zip(table.to_dict(orient="records"), want, strict=True):
        assert (row["key"], row["name_ko"], row["kind"], row["metric"]) == (
            expected["key"],
            expected["name_ko"],
            expected["kind"],
            expected["metric"],
        )
        assert row["distance_km"] == pytest.approx(expected["distance_km"], abs=1e-9)
        assert row["affinity"] == pytest.approx(expected["affinity"], abs=1e-9)
        assert bool(row["keeps_rules"]) == expected["keeps_rules"]
        shared = "" if pd.isna(row["shared_industries"]) else str(row["shared_industries"])
        assert [s for s in shared.split(";") if s] == expected["shared_industries"]


@pytest.mark.parametrize(
    "command", [["compare", "daegu-2020"], ["candidates", "seongseo", "--max-km", "5"]]
)
def test_compare_and_candidates_refuse_a_suffix_that_contradicts_the_format(tmp_path, command):
    r = CliRunner().invoke(cli, [*command, "--format", "csv", "-o", str(tmp_path / "t.xlsx")])
    assert r.exit_code == 2 and "says xlsx but --format says csv" in r.stderr
    assert list(tmp_path.iterdir()) == []
    r = CliRunner().invoke(cli, [*command, "--format", "xlsx"])
    assert r.exit_code == 2 and "give -o FILE.xlsx" in r.stderr


def test_compare_and_candidates_spreadsheets_neutralise_formulas(tmp_path):
    plan = {
        "id": "=1+2",
        "name": "@SUM(A1)",
        "sites": [
            {"key": "hub", "name": "+cmd", "role": "hub", "lon": 128.50, "lat": 35.84},
            {"key": "l1", "name": "연계", "role": "linked_complex", "lon": 128.55, "lat": 35.88},
        ],
    }
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "c.xlsx"
    r = CliRunner().invoke(cli, ["compare", str(plan_file), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pd.read_excel(out).loc[0, "id"] == "'=1+2"
