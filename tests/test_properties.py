"""Properties of random valid plans (issue 9), checked with hypothesis.

A plan is a hub and 1–6 linked sites inside South Korea, each a bare point, a
point with an area (an equal-area disc) or a point inside a random star-shaped
polygon, tied by random value-chain links. For every such plan:

- distances are non-negative and symmetric under the centroid and boundary metrics;
- the boundary distance never exceeds the centroid distance (each point lies in its extent);
- a check that passes at a limit passes at every larger limit;
- plan → graph → GeoDataFrames → graph → plan is lossless;
- plan → file (YAML, GeoJSON) → plan is lossless (compared with ``plan_to_dict``).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sandan_geo as sg
from sandan_geo.crs import GEOD

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Mostly land, well inside the loader's bounding box (lon 124.5–132, lat 33–38.7).
LON = st.floats(126.8, 129.2, allow_nan=False)
LAT = st.floats(34.9, 37.6, allow_nan=False)
# Printable user text: letters, digits, punctuation, symbols and spaces (no control characters).
TEXT = st.text(
    st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s)


@st.composite
def star_polygon(draw: Any, lon: float, lat: float) -> dict[str, Any]:
    """A simple polygon around (lon, lat), star-shaped from it, 3–9 vertices, 150 m–3 km."""
    n = draw(st.integers(3, 9))
    turn = draw(st.floats(0, 360))
    ring = []
    for i in range(n):
        jitter = draw(st.floats(-0.2, 0.2))  # every gap < 180°: the point stays inside
        azimuth = turn + (i + 0.5 + jitter) * 360.0 / n
        radius = draw(st.floats(150, 3000))
        x, y, _ = GEOD.fwd(lon, lat, azimuth, radius)
        ring.append([x, y])
    ring = ring[::-1]  # fwd azimuths turn clockwise; GeoJSON exteriors go anticlockwise
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


@st.composite
def site_entry(draw: Any, key: str, role: str) -> dict[str, Any]:
    lon, lat = draw(LON), draw(LAT)
    entry: dict[str, Any] = {"key": key, "name": draw(TEXT), "role": role, "lon": lon, "lat": lat}
    shape = draw(st.sampled_from(["point", "disc", "polygon"]))
    if shape == "disc":
        entry["area_m2"] = draw(st.floats(1e5, 2e7))
    elif shape == "polygon":
        entry["boundary"] = draw(star_polygon(lon, lat))
        if draw(st.booleans()):
            entry["area_m2"] = draw(st.floats(1e5, 2e7))
    if draw(st.booleans()):
        entry["industries"] = draw(st.lists(TEXT, max_size=3))
    if draw(st.booleans()):
        entry["function"] = draw(TEXT)
    return entry


@st.composite
def plan_dicts(draw: Any) -> dict[str, Any]:
    """A valid plan mapping: a hub, 1–6 linked sites, random links between distinct sites."""
    n = draw(st.integers(1, 6))
    keys = ["hub", *[f"s{i}" for i in range(1, n + 1)]]
    sites = [draw(site_entry("hub", "hub"))]
    for k in keys[1:]:
        sites.append(draw(site_entry(k, draw(st.sampled_from(["linked_complex", "linked_zone"])))))
    pairs = [(a, b) for a in keys for b in keys if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 10)))
    links = []
    for a, b in chosen:
        link: dict[str, Any] = {"from": a, "to": b}
        if draw(st.booleans()):
            link["relation"] = draw(TEXT)
        links.append(link)
    doc: dict[str, Any] = {"id": "random-plan", "name": draw(TEXT), "sites": sites, "links": links}
    if draw(st.booleans()):
        doc["rules"] = draw(st.sampled_from(["daegu", "jeonnam"]))
    return doc


def _pairs(plan: sg.Plan) -> list[tuple[sg.Site, sg.Site]]:
    return [(a.site, b.site) for a, b in itertools.combinations(plan.sites, 2)]


# --------------------------------------------------------------------------- distances


@SETTINGS
@given(doc=plan_dicts())
def test_distances_are_non_negative_and_symmetric(doc):
    plan = sg.load_plan(doc)
    for a, b in _pairs(plan):
        for metric in ("centroid", "boundary"):
            ab = sg.measure(a, b, metric=metric).value_m
            ba = sg.measure(b, a, metric=metric).value_m
            assert ab >= 0 and math.isfinite(ab)
            assert ab == pytest.approx(ba, rel=1e-9, abs=1e-6), (metric, a.key, b.key)


@SETTINGS
@given(doc=plan_dicts())
def test_boundary_never_exceeds_centroid_when_points_lie_in_their_extents(doc):
    plan = sg.load_plan(doc)
    for m in plan.sites:
        s = m.site
        assert s.extent is None or s.extent.contains(s.point), s.key  # holds by construction
    for a, b in _pairs(plan):
        boundary = sg.measure(a, b, metric="boundary").value_m
        centroid = sg.measure(a, b, metric="centroid").value_m
        assert boundary <= centroid * (1 + 1e-9) + 1e-6, (a.key, b.key, boundary, centroid)


# --------------------------------------------------------------------------- limits


@SETTINGS
@given(
    doc=plan_dicts(),
    limit=st.floats(0.05, 150),
    extra=st.floats(0, 150),
    between=st.sampled_from(["hub_to_linked", "links"]),
)
def test_a_check_that_passes_at_a_limit_passes_at_every_larger_limit(doc, limit, extra, between):
    plan = sg.load_plan(doc)
    for metric in ("centroid", "boundary"):
        low = sg.check_plan(plan, [sg.MaxDistance(limit, metric=metric, between=between)])
        high = sg.check_plan(plan, [sg.MaxDistance(limit + extra, metric=metric, between=between)])
        assert [(c.from_, c.to) for c in low.checks] == [(c.from_, c.to) for c in high.checks]
        for lo, hi in zip(low.checks, high.checks, strict=True):
            assert lo.value_km == hi.value_km
            if lo.passed:
                assert hi.passed, (metric, lo.from_, lo.to, lo.value_km, limit, extra)


# --------------------------------------------------------------------------- round trips


def _graphs_equal(G: nx.DiGraph, H: nx.DiGraph) -> None:
    assert dict(G.graph) == dict(H.graph)
    assert list(G.nodes) == list(H.nodes)
    for k in G.nodes:
        a, b = G.nodes[k], H.nodes[k]
        assert set(a) == set(b), k
        for attr, x in a.items():
            y = b[attr]
            if attr == "geometry":
                assert (x is None) == (y is None), k
                assert x is None or x.equals_exact(y, 0), k
            else:
                assert x == y, (k, attr, x, y)
    assert sorted(G.edges(data=True)) == sorted(H.edges(data=True))


@SETTINGS
@given(doc=plan_dicts())
def test_graph_and_geodataframes_round_trip_without_loss(doc):
    plan = sg.load_plan(doc)
    G = sg.plan_to_graph(plan)
    nodes, edges = sg.graph_to_gdfs(G)
    assert len(nodes) == G.number_of_nodes() and len(edges) == G.number_of_edges()
    H = sg.gdfs_to_graph(nodes, edges)
    _graphs_equal(G, H)
    again = sg.graph_to_plan(H)
    assert again.sites == plan.sites
    assert sorted(again.links, key=_link_key) == sorted(plan.links, key=_link_key)
    assert (again.id, again.name, again.rules, again.meta, again.path) == (
        plan.id,
        plan.name,
        plan.rules,
        plan.meta,
        plan.path,
    )


def _link_key(link: sg.Link) -> tuple[str, str]:
    return (link.source, link.target)


def test_graph_round_trip_keeps_the_order_of_links():
    plan = sg.load_plan(
        {
            "id": "order",
            "sites": [
                {"key": "hub", "name": "거점", "role": "hub", "lon": 128.50, "lat": 35.84},
                {
                    "key": "s1",
                    "name": "연계",
                    "role": "linked_complex",
                    "lon": 128.55,
                    "lat": 35.88,
                },
            ],
            "links": [{"from": "s1", "to": "hub"}, {"from": "hub", "to": "s1"}],
        }
    )
    G = sg.plan_to_graph(plan)
    assert sg.graph_to_plan(G) == plan
    assert sg.graph_to_plan(sg.gdfs_to_graph(*sg.graph_to_gdfs(G))) == plan


@SETTINGS
@given(doc=plan_dicts())
def test_plan_yaml_file_round_trip_is_lossless(doc, tmp_path):
    plan = sg.load_plan(doc)
    path = tmp_path / "plan.yaml"
    sg.save_plan(plan, path)
    again = sg.load_plan(path)
    assert sg.plan_to_dict(again) == sg.plan_to_dict(plan)
    assert again.sites == plan.sites and again.links == plan.links


# A polygon site whose point is not the polygon's own representative point.
_POLYGON_SITE = {
    "id": "p",
    "name": "p",
    "sites": [
        {"key": "hub", "name": "거점", "role": "hub", "lon": 128.5, "lat": 35.84},
        {
            "key": "s1",
            "name": "연계",
            "role": "linked_complex",
            "lon": 128.545,
            "lat": 35.875,
            "boundary": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [128.54, 35.87],
                        [128.56, 35.87],
                        [128.56, 35.89],
                        [128.54, 35.89],
                        [128.54, 35.87],
                    ]
                ],
            },
        },
    ],
    "links": [],
}


@SETTINGS
@given(doc=plan_dicts())
@example(doc=_POLYGON_SITE)
def test_plan_geojson_file_round_trip_is_lossless(doc, tmp_path):
    plan = sg.load_plan(doc)
    path = tmp_path / "plan.geojson"
    sg.save_plan(plan, path)
    again = sg.load_plan(path)
    assert sg.plan_to_dict(again) == sg.plan_to_dict(plan)
    assert again.sites == plan.sites and again.links == plan.links


@SETTINGS
@given(doc=plan_dicts())
def test_plan_geojson_file_round_trip_keeps_keys_roles_links_and_extents(doc, tmp_path):
    """What the GeoJSON round trip keeps today, so that part stays covered meanwhile."""
    plan = sg.load_plan(doc)
    path = tmp_path / "plan.geojson"
    sg.save_plan(plan, path)
    again = sg.load_plan(path)
    assert [(m.key, m.role, m.site.name_ko) for m in again.sites] == [
        (m.key, m.role, m.site.name_ko) for m in plan.sites
    ]
    assert again.links == plan.links
    for a, b in zip(plan.sites, again.sites, strict=True):
        assert (a.site.extent is None) == (b.site.extent is None)
        if a.site.extent is not None:
            assert a.site.extent.equals_exact(b.site.extent, 1e-9)
