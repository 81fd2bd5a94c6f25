"""The sandan-geo command: exit codes, formats, one-line errors, atomic output."""

from __future__ import annotations

import json
import subprocess
import sys

import pyproj
import pytest
import shapely
from click.testing import CliRunner

import sandan_geo as sg
from sandan_geo.cli import cli


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_plans_lists_the_five_2020_plans(run):
    r = run("plans")
    assert r.exit_code == 0
    for pid in ("gyeongbuk-2020", "gwangju-2020", "daegu-2020", "incheon-2020", "jeonnam-2020"):
        assert pid in r.output


def test_validate_json_contract(run):
    r = run("validate", "jeonnam-2020", "--format", "json", "--metric", "centroid")
    assert r.exit_code in (0, 1, 4)
    data = json.loads(r.stdout)
    assert {"plan", "passed", "checks"} <= set(data)
    assert data["plan"] == "jeonnam-2020"
    for c in data["checks"]:
        assert {"rule", "from", "to", "metric", "value_km", "limit_km", "passed"} <= set(c)
    assert r.exit_code == {"pass": 0, "fail": 1, "uncertain": 4}[data["verdict"]]
    assert data["passed"] == all(c["passed"] for c in data["checks"])


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (
            lambda: shapely.errors.GEOSException("TopologyException: side location conflict"),
            2,
            "a geometry in the input cannot be processed (TopologyException",
        ),
        (
            lambda: pyproj.exceptions.CRSError("Invalid projection"),
            2,
            "a coordinate reference system in the input cannot be used",
        ),
        (lambda: MemoryError(), 3, "not enough memory for this input"),
    ],
    ids=["geos", "proj", "memory"],
)
def test_geos_proj_and_memory_errors_are_one_line_not_tracebacks(run, raised, code, message):
    class Exploding:
        name = "exploding"

        def distance(self, a, b):
            raise raised()

    import importlib

    measure = importlib.import_module("sandan_geo.measure")

    sg.register_metric(Exploding())
    try:
        r = run("validate", "daegu-2020", "--metric", "exploding")
    finally:
        measure.METRICS.pop("exploding", None)
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output and r.stderr.count("\n") == 1
    assert r.stderr.startswith("sandan-geo: error: ") and message in r.stderr


def test_exit_code_follows_the_verdict(run):
    assert run("validate", "daegu-2020", "--max-km", "100").exit_code == 0
    assert run("validate", "daegu-2020", "--max-km", "0.01", "--metric", "centroid").exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "nowhere-2020"], "no such file or built-in plan"),
        (["validate", "daegu-2020", "--metric", "euclid"], "unknown metric 'euclid'"),
        (["validate", "daegu-2020", "--rules", "busan"], "neither a preset nor a file"),
        (["validate", "daegu-2020", "--max-km", "-3"], "positive"),
        (["show", "missing.yaml"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run, args, message):
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.output


def test_output_file_is_written_atomically_and_not_clobbered_on_error(run, tmp_path):
    out = tmp_path / "report.md"
    r = run("validate", "daegu-2020", "--format", "markdown", "-o", str(out))
    assert r.exit_code in (0, 1, 4)
    good = out.read_text(encoding="utf-8")
    assert good.startswith("## daegu-2020")
    r = run("validate", "daegu-2020", "--metric", "euclid", "-o", str(out))
    assert r.exit_code == 2
    assert out.read_text(encoding="utf-8") == good
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_unwritable_output_is_exit_3(run, tmp_path):
    r = run("validate", "daegu-2020", "-o", str(tmp_path / "no" / "such" / "dir.txt"))
    assert r.exit_code == 3
    assert "does not exist" in r.stderr


def test_show_geojson_has_site_features(run):
    r = run("show", "incheon-2020", "--format", "geojson")
    assert r.exit_code == 0
    fc = json.loads(r.stdout)
    keys = [f["properties"]["key"] for f in fc["features"] if f["geometry"]["type"] != "LineString"]
    assert keys[0] == "namdong" and len(keys) == 4
    assert all(
        "name_ko" in f["properties"] and "role" in f["properties"]
        for f in fc["features"]
        if f["geometry"]["type"] != "LineString"
    )


def test_show_text_and_all(run):
    r = run("show", "daegu-2020")
    assert r.exit_code == 0 and "성서일반산업단지" in r.output
    r = run("validate", "--all", "--max-km", "200", "--format", "json")
    assert r.exit_code == 0
    from sandan_geo import builtin_plan_ids

    assert len(json.loads(r.stdout)) == len(builtin_plan_ids())


def test_python_dash_m_and_version():
    r = subprocess.run(
        [sys.executable, "-m", "sandan_geo", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0 and "sandan-geo" in r.stdout


def test_utf8_output_whatever_the_locale(tmp_path):
    out = tmp_path / "r.txt"
    env = {"PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": ""}
    r = subprocess.run(
        [sys.executable, "-m", "sandan_geo", "validate", "daegu-2020", "-o", str(out)],
        capture_output=True,
        env=env,
        check=False,
    )
    assert r.returncode in (0, 1, 4), r.stderr
    assert "성서" in out.read_text(encoding="utf-8")


def test_boundaries_option_attaches_official_outlines(run, tmp_path):
    import geopandas as gpd
    from shapely import box

    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(
        {"code": ["daegu3"]}, geometry=[box(128.56, 35.88, 128.59, 35.90)], crs="EPSG:4326"
    ).to_file(path)
    r = run(
        "validate",
        "daegu-2020",
        "--format",
        "json",
        "--boundaries",
        str(path),
        "--key-field",
        "code",
    )
    checks = {
        c["to"]: c for c in json.loads(r.stdout)["checks"] if c["rule_type"] == "max_distance"
    }
    assert checks["daegu3"]["approximate"] is True  # the hub is still approximate
    r2 = run("validate", "daegu-2020", "--format", "json")
    before = {
        c["to"]: c for c in json.loads(r2.stdout)["checks"] if c["rule_type"] == "max_distance"
    }
    assert checks["daegu3"]["value_km"] != before["daegu3"]["value_km"]
    r3 = run("validate", "daegu-2020", "--boundaries", str(path))
    assert r3.exit_code == 2 and "--key-field" in r3.output


def test_compare_and_site_commands(run):
    r = run("compare", "jeonnam-2020", "jeonnam-2023")
    assert r.exit_code == 0
    assert "shared with the other plans: gwangyang, yulchon1" in r.output
    assert "max centroid" in r.output and "max boundary" in r.output
    r = run("compare", "jeonnam-2020", "jeonnam-2023", "--format", "json")
    assert [row["hub"] for row in json.loads(r.stdout)] == ["yeosu", "gwangyang"]
    r = run("site", "gwangyang")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert any("jeonnam-2020" in x and "linked_complex" in x for x in lines)
    assert any("jeonnam-2023" in x and " hub " in x for x in lines)
    r = run("site", "no_such_site")
    assert r.exit_code == 2 and "no site 'no_such_site'" in r.stderr


def test_candidates_command(run):
    r = run("candidates", "yeosu", "--max-km", "12", "--metric", "centroid", "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["metric"] == "centroid" and data["hub"] == "yeosu"
    keys = [c["key"] for c in data["candidates"]]
    assert keys[:3] == ["yeosu_gwangyang_port", "gwangyang", "yulchon1"]
    assert all(c["distance_km"] <= 12 for c in data["candidates"])
    r = run("candidates", "seongseo", "--max-km", "10")
    assert r.exit_code == 0 and r.output.startswith("Sites within 10 km of 성서일반산업단지")
    r = run("candidates", "nowhere", "--max-km", "3")
    assert r.exit_code == 2 and "no site 'nowhere'" in r.stderr
    r = run("candidates", "seongseo", "--max-km", "-1")
    assert r.exit_code == 2
