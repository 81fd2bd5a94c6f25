"""The model's invariants and their messages: every problem listed, each line bounded."""

from __future__ import annotations

import pytest

import sandan_geo as sg


def chain_plan(n: int, *, missing: int = 0) -> dict:
    sites = [{"key": "hub", "name": "거점", "role": "hub", "lon": 128.0, "lat": 36.0}]
    sites += [
        {
            "key": f"s{i}",
            "name": f"연계{i}",
            "role": "linked_complex",
            "lon": 128.0 + 1e-4 * i,
            "lat": 36.0,
        }
        for i in range(n)
    ]
    links = [{"from": "hub", "to": "s0"}] + [
        {"from": f"s{i}", "to": f"s{i + 1}"} for i in range(n - 1)
    ]
    links += [{"from": "hub", "to": f"missing{i}"} for i in range(missing)]
    return {"id": "chain", "sites": sites, "links": links}


def test_many_links_to_missing_sites_give_one_bounded_line_and_every_problem():
    with pytest.raises(sg.UnknownSiteError) as info:
        sg.load_plan(chain_plan(300, missing=6000))
    err = info.value
    assert len(err.problems) == 6000  # all kept for programs
    assert len(str(err)) < 1200  # one readable line, not 400 MB
    assert str(err).count("(sites: ") == 1 and "… 281 more" in str(err)
    assert "… and 5,9" in str(err)


def test_a_long_value_chain_gives_short_path_notes():
    report = sg.check_plan(sg.load_plan(chain_plan(400)), max_km=500, metric="centroid")
    notes = [c.note for c in report.checks if c.rule_type == "value_chain_connected"]
    assert len(notes) == 400 and all(len(n) < 300 for n in notes)
    assert notes[-1].startswith("hub → s0 → s1") and notes[-1].endswith("s398 → s399")
    assert "… 385 more …" in notes[-1]
    assert notes[2] == "hub → s0 → s1 → s2"
