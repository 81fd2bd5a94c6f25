"""check_plan: which rules apply, metrics passed as objects, no global state between callers."""

from __future__ import annotations

import networkx as nx
import pytest

import sandan_geo as sg
from sandan_geo.measure import METRICS


def two_site_plan(rules=None):
    return sg.load_plan(
        {
            "id": "p",
            "rules": rules,
            "sites": [
                {"key": "a", "name": "가", "role": "hub", "lon": 127.0, "lat": 37.0},
                {"key": "b", "name": "나", "role": "linked_complex", "lon": 127.01, "lat": 37.0},
            ],
            "links": [{"from": "b", "to": "a"}],
        }
    )


def road_metric() -> sg.RoadMetric:
    G = nx.DiGraph()
    G.add_nodes_from(
        [
            (1, {"x": 127.0, "y": 37.0}),
            (2, {"x": 127.005, "y": 37.004}),
            (3, {"x": 127.01, "y": 37.0}),
        ]
    )
    for u, v in ((1, 2), (2, 3)):
        G.add_edge(u, v, length=600.0, travel_time=40.0)
        G.add_edge(v, u, length=600.0, travel_time=40.0)
    return sg.RoadMetric(G)


def test_a_road_metric_object_works_without_being_registered():
    assert "road" not in METRICS
    road = road_metric()
    plan = two_site_plan([{"type": "max_distance", "km": 1.0, "metric": "road"}])
    with pytest.raises(sg.RuleError):
        sg.check_plan(plan)  # 'road' names nothing registered
    report = sg.check_plan(plan, metrics={"road": road})  # the plan's own road rule
    check = report.checks[0]
    assert check.metric == "road" and check.value_km == pytest.approx(1.2)
    assert check.verdict == "fail"  # 1.2 km by road > 1 km, exact points: no range
    by_object = sg.check_plan(plan, [{"type": "max_distance", "km": 2.0}], metric=road)
    assert by_object.checks[0].metric == "road" and by_object.verdict == "pass"
    # the map of a report measured with an unregistered metric object draws
    m = sg.plan_map(plan, report=report, offline=True)
    assert "road" in sg.map_html(m, offline=True)
    assert "road" not in METRICS  # nothing leaked into the registry


def test_the_cli_does_not_register_road_data_globally(tmp_path):
    from click.testing import CliRunner

    from sandan_geo.cli import cli

    roads = tmp_path / "roads.gpkg"
    import geopandas as gpd
    from shapely import LineString

    gpd.GeoDataFrame(
        {"highway": ["primary"]},
        geometry=[LineString([(127.0, 37.0), (127.005, 37.004), (127.01, 37.0)])],
        crs="EPSG:4326",
    ).to_file(roads)
    plan = tmp_path / "p.yaml"
    sg.save_plan(two_site_plan(), plan)
    r = CliRunner().invoke(
        cli, ["validate", str(plan), "--max-km", "5", "--metric", "road", "--roads", str(roads)]
    )
    assert r.exit_code == 0, r.output
    assert "road" not in METRICS
