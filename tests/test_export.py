"""export: plans written back lose nothing (round trips through YAML and GeoJSON)."""

from __future__ import annotations

import pytest

import sandan_geo as sg


@pytest.mark.parametrize("suffix", ["yaml", "geojson"])
@pytest.mark.parametrize("plan_id", ["daegu-2020", "incheon-2020", "jeonnam-2023"])
def test_a_saved_plan_loads_back_equal(tmp_path, plan_id, suffix):
    plan = sg.load_plan(plan_id)
    path = tmp_path / f"plan.{suffix}"
    sg.save_plan(plan, path)
    back = sg.load_plan(path)
    assert [m.key for m in back.sites] == [m.key for m in plan.sites]
    assert [(m.role, m.site.name_ko) for m in back.sites] == [
        (m.role, m.site.name_ko) for m in plan.sites
    ]
    assert [(x.source, x.target, x.relation) for x in back.links] == [
        (x.source, x.target, x.relation) for x in plan.links
    ]
    for a, b in zip(plan.sites, back.sites, strict=True):
        assert a.site.dan_ids == b.site.dan_ids  # official codes survive the trip
        assert a.site.extent_source == b.site.extent_source
        if a.site.extent is not None:
            assert b.site.extent is not None
            assert a.site.extent.symmetric_difference(b.site.extent).area < 1e-10


def test_json_output_never_holds_nan(tmp_path):
    plan = sg.load_plan("daegu-2020")
    path = tmp_path / "plan.geojson"
    sg.save_plan(plan, path)
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
