"""Plan ↔ graph ↔ GeoDataFrames ↔ files, without loss."""

from __future__ import annotations

import networkx as nx
import pytest

from sandan_geo import (
    builtin_plan_ids,
    gdfs_to_graph,
    graph_to_gdfs,
    graph_to_plan,
    load_plan,
    measure,
    measure_links,
    plan_to_dict,
    plan_to_geojson,
    plan_to_graph,
    save_plan,
)


def graphs_equal(G: nx.DiGraph, H: nx.DiGraph) -> bool:
    if dict(G.graph) != dict(H.graph) or list(G.nodes) != list(H.nodes):
        return False
    for k in G.nodes:
        a, b = G.nodes[k], H.nodes[k]
        if set(a) != set(b):
            return False
        for attr in a:
            x, y = a[attr], b[attr]
            if attr == "geometry":
                if (x is None) != (y is None) or (x is not None and not x.equals_exact(y, 0)):
                    return False
            elif x != y:
                return False
    return sorted(G.edges(data=True)) == sorted(H.edges(data=True))


@pytest.mark.parametrize("plan_id", builtin_plan_ids())
def test_graph_gdf_round_trip_is_lossless(plan_id):
    G = measure_links(plan_to_graph(load_plan(plan_id)))
    nodes, edges = graph_to_gdfs(G)
    assert nodes.crs.to_epsg() == 4326 and len(nodes) == G.number_of_nodes()
    assert len(edges) == G.number_of_edges()
    H = gdfs_to_graph(nodes, edges)
    assert graphs_equal(G, H)


@pytest.mark.parametrize("plan_id", builtin_plan_ids())
def test_plan_graph_round_trip(plan_id):
    plan = load_plan(plan_id)
    assert graph_to_plan(plan_to_graph(plan)) == plan


def test_graph_shape_and_edge_distances():
    plan = load_plan("gwangju-2020")
    G = measure_links(plan_to_graph(plan))
    assert G.graph["plan"] == "gwangju-2020"
    assert G.nodes["gwangju_cheomdan"]["role"] == "hub"
    assert G.nodes["gwangju_cheomdan"]["geometry"] is not None
    e = G.edges["gwangju_cheomdan", "bitgreen"]
    assert e["relation"] == "전장부품·모듈 공급"
    hub, bit = plan.member("gwangju_cheomdan").site, plan.member("bitgreen").site
    assert e["distance_km_centroid"] == measure(hub, bit, metric="centroid").value_km
    assert e["distance_km_boundary"] <= e["distance_km_centroid"]


@pytest.mark.parametrize("plan_id", builtin_plan_ids())
@pytest.mark.parametrize("suffix", ["yaml", "geojson"])
def test_plan_file_round_trip(tmp_path, plan_id, suffix):
    plan = load_plan(plan_id)
    path = tmp_path / f"p.{suffix}"
    save_plan(plan, path)
    again = load_plan(path)
    assert plan_to_dict(again) == plan_to_dict(plan)
    assert again.sites == plan.sites and again.links == plan.links


def test_geojson_export_has_one_feature_per_site_with_required_properties():
    plan = load_plan("daegu-2020")
    fc = plan_to_geojson(plan)
    sites = [f for f in fc["features"] if f["geometry"]["type"] != "LineString"]
    assert [f["properties"]["key"] for f in sites] == [m.key for m in plan.sites]
    for f in sites:
        assert {"key", "name_ko", "role"} <= set(f["properties"])


def test_attached_official_boundaries_survive_a_save_and_load(tmp_path):
    import geopandas as gpd
    from shapely import box

    from sandan_geo import attach_boundaries

    gpkg = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(
        {"code": ["seongseo"]}, geometry=[box(128.47, 35.82, 128.53, 35.86)], crs="EPSG:4326"
    ).to_file(gpkg)
    plan = attach_boundaries(load_plan("daegu-2020"), gpkg, key_field="code")
    for suffix in ("yaml", "geojson"):
        path = tmp_path / f"p.{suffix}"
        save_plan(plan, path)
        site = load_plan(path).member("seongseo").site
        assert not site.extent_approximate
        assert site.extent.equals(plan.member("seongseo").site.extent)
        assert len(site.parts) == 5


def test_gis_plan_with_numeric_boolean_loads(tmp_path):
    import geopandas as gpd
    from shapely import Point, box

    path = tmp_path / "plan.gpkg"
    gpd.GeoDataFrame(
        {
            "key": ["h", "a"],
            "name": ["거점", "연계"],
            "role": ["hub", "linked_complex"],
            "extent_approximate": [0, 1],
        },
        geometry=[Point(128.5, 35.84), box(128.54, 35.87, 128.56, 35.89)],
        crs="EPSG:4326",
    ).to_file(path)
    plan = load_plan(path)
    assert plan.member("a").site.extent_approximate is True


def test_check_plan_measures_the_plans_own_sites_and_a_users_graph_its_nodes():
    from sandan_geo import check_plan, load_plan, plan_to_graph
    from sandan_geo.graph import node_site

    plan = load_plan("daegu-2020")
    direct = check_plan(plan, metric="centroid")
    G = plan_to_graph(plan)
    assert "plan_sites" not in G.graph  # a graph handed to a user is rebuilt from its nodes
    assert node_site(G, "seodaegu") == plan.member("seodaegu").site
    via_graph = check_plan(G, metric="centroid")
    assert [c.value_km for c in direct.checks] == [c.value_km for c in via_graph.checks]
    G.nodes["seodaegu"]["lon"] += 0.1  # the user moves a node: the check follows the node
    moved = {c.to: c.value_km for c in check_plan(G, metric="centroid").checks if c.value_km}
    assert moved["seodaegu"] != {c.to: c.value_km for c in direct.checks}["seodaegu"]
