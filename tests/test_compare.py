"""compare: plans side by side, the sites they share, a site's history (values typed from
the built-in plans' site lists, not computed by the code under test)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import sandan_geo as sg
from sandan_geo.cli import cli


def test_shared_sites_of_the_jeonnam_rounds():
    shared = sg.shared_sites(["jeonnam-2020", "jeonnam-2023"])
    assert shared["gwangyang"] == [
        ("jeonnam-2020", "linked_complex"),
        ("jeonnam-2023", "hub"),
    ]
    assert all(len(v) >= 2 for v in shared.values())


def test_compare_plans_counts_and_names_the_metric_of_every_distance():
    frame = sg.compare_plans(["daegu-2020", "jeonnam-2020"], metrics=["centroid"])
    assert frame["id"].tolist() == ["daegu-2020", "jeonnam-2020"]
    assert frame["n_linked"].tolist() == [3, 3]
    assert {"max_km_centroid", "median_km_centroid"} <= set(frame.columns)
    assert not any(c.endswith("_boundary") for c in frame.columns)
    plan = sg.load_plan("daegu-2020")
    far = max(sg.measure(plan.hub.site, m.site, metric="centroid").value_km for m in plan.linked)
    assert frame.loc[0, "max_km_centroid"] == pytest.approx(far)


def test_site_history_by_key_and_by_name_agree():
    by_key = sg.site_history("gwangyang")
    by_name = sg.site_history("광양국가산업단지")
    assert by_key.equals(by_name)
    assert by_key["plan"].tolist() == ["jeonnam-2020", "jeonnam-2023"]


def test_compare_json_and_csv_agree(tmp_path):
    runner = CliRunner()
    args = ["compare", "daegu-2020", "jeonnam-2020", "--metric", "centroid"]
    rows = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    import pandas as pd

    out = tmp_path / "cmp.csv"
    assert runner.invoke(cli, [*args, "--format", "csv", "-o", str(out)]).exit_code == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["id"].tolist() == [r["id"] for r in rows]
    assert table["max_km_centroid"].tolist() == pytest.approx([r["max_km_centroid"] for r in rows])
