"""Plans as networkx directed graphs, and graphs as GeoDataFrames.

A plan becomes a :class:`networkx.DiGraph`:

- one node per site, keyed by site key, with the attributes in
  :data:`NODE_ATTRS` (``geometry`` is the extent, or ``None``);
- one edge per value-chain link, ``from`` → ``to``, with ``relation`` (and,
  after :func:`sandan_geo.measure_links`, ``distance_km_<metric>`` per metric);
- graph attributes ``plan``, ``name``, ``rules``, ``meta``, ``path`` and
  ``link_order`` (the links' (from, to) pairs in plan order).

:func:`graph_to_gdfs` and :func:`gdfs_to_graph` convert to and from a pair of
GeoDataFrames (nodes, edges) without loss; :func:`graph_to_plan` rebuilds the plan.

Examples
--------
>>> from sandan_geo import load_plan
>>> G = plan_to_graph(load_plan("daegu-2020"))
>>> G.nodes["seongseo"]["role"], G.graph["plan"]
('hub', 'daegu-2020')
>>> nodes, edges = graph_to_gdfs(G)
>>> H = gdfs_to_graph(nodes, edges)
>>> sorted(H.edges) == sorted(G.edges)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import networkx as nx
from shapely import LineString, Point

from .crs import STORAGE_CRS
from .errors import SchemaError
from .model import Kind, Link, Plan, PlanSite, Role, Site

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "NODE_ATTRS",
    "PLAN_SITES",
    "gdfs_to_graph",
    "graph_to_gdfs",
    "graph_to_plan",
    "node_site",
    "plan_to_graph",
    "with_plan_sites",
]

NODE_ATTRS: tuple[str, ...] = (
    "name_ko",
    "name_en",
    "kind",
    "role",
    "function",
    "industries",
    "site_industries",
    "lon",
    "lat",
    "geometry",
    "extent_approximate",
    "area_m2",
    "parts",
    "province",
    "municipality",
    "provenance",
    "attrs",
)
"""Node attributes, in column order. ``kind`` and ``role`` are plain strings;
``industries`` is the plan's list for the site (or the site's own), a tuple."""

_GRAPH_ATTRS = ("plan", "name", "rules", "meta", "path", "link_order")


def plan_to_graph(plan: Plan) -> nx.DiGraph:
    """Return the plan as a directed graph of sites and value-chain links.

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    networkx.DiGraph
        Nodes keyed by site key with :data:`NODE_ATTRS`; edges ``from`` → ``to``
        with ``relation`` and ``attrs``; graph attributes ``plan`` (the id),
        ``name``, ``rules``, ``meta``, ``path``, ``link_order``.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> G = plan_to_graph(load_plan("gwangju-2020"))
    >>> G.number_of_nodes(), G.edges["gwangju_cheomdan", "bitgreen"]["relation"]
    (3, '전장부품·모듈 공급')
    """
    G = nx.DiGraph(
        plan=plan.id,
        name=plan.name,
        rules=plan.rules,
        meta=dict(plan.meta),
        path=plan.path,
        link_order=[(link.source, link.target) for link in plan.links],
    )
    for m in plan.sites:
        G.add_node(m.key, **_node_attrs(m))
    for link in plan.links:
        G.add_edge(link.source, link.target, relation=link.relation, attrs=dict(link.attrs))
    return G


def _node_attrs(m: PlanSite) -> dict[str, Any]:
    s = m.site
    return {
        "name_ko": s.name_ko,
        "name_en": s.name_en,
        "kind": s.kind.value if s.kind else None,
        "role": m.role.value,
        "function": m.function,
        "industries": m.plan_industries,
        "site_industries": s.industries,
        "lon": s.lon,
        "lat": s.lat,
        "geometry": s.extent,
        "extent_approximate": s.extent_approximate,
        "area_m2": s.area_m2,
        "parts": s.parts,
        "province": s.province,
        "municipality": s.municipality,
        "provenance": dict(s.provenance),
        "attrs": dict(s.attrs),
    }


PLAN_SITES = "plan_sites"
"""Graph attribute holding the plan's own :class:`~sandan_geo.model.Site` objects, set by
:func:`with_plan_sites` on a graph nobody else holds (``check_plan`` does), so that rules
measure the plan's sites as they are instead of rebuilding one per pair."""


def with_plan_sites(G: nx.DiGraph, plan: Plan) -> nx.DiGraph:
    """Mark ``G`` (just built from ``plan``) with the plan's sites, for :func:`node_site`.

    Only for a graph made here and not handed out before: :func:`node_site` then
    trusts that the nodes still describe these sites.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> plan = load_plan("daegu-2020")
    >>> G = with_plan_sites(plan_to_graph(plan), plan)
    >>> node_site(G, "seongseo") is plan.member("seongseo").site
    True
    """
    G.graph[PLAN_SITES] = MappingProxyType({m.key: m.site for m in plan.sites})
    return G


def node_site(G: nx.DiGraph, key: str) -> Site:
    """The :class:`~sandan_geo.model.Site` of node ``key``: the plan's own, else rebuilt.

    A graph marked by :func:`with_plan_sites` gives the plan's site object; any
    other graph gets a site rebuilt from the node's attributes.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> G = plan_to_graph(load_plan("daegu-2020"))
    >>> node_site(G, "seongseo").name_ko
    '성서일반산업단지'
    """
    if key not in G:
        raise SchemaError(f"graph has no node '{key}'", site=key)
    own = G.graph.get(PLAN_SITES)
    if own is not None and key in own:
        return own[key]  # type: ignore[no-any-return]
    d = G.nodes[key]
    return Site(
        key=key,
        name_ko=d["name_ko"],
        lon=d["lon"],
        lat=d["lat"],
        name_en=d.get("name_en"),
        kind=Kind(d["kind"]) if d.get("kind") else None,
        industries=tuple(d.get("site_industries") or ()),
        extent=d.get("geometry"),
        extent_approximate=bool(d.get("extent_approximate")),
        area_m2=d.get("area_m2"),
        parts=tuple(d.get("parts") or ()),
        province=d.get("province"),
        municipality=d.get("municipality"),
        provenance=dict(d.get("provenance") or {}),
        attrs=dict(d.get("attrs") or {}),
    )


def graph_to_plan(G: nx.DiGraph) -> Plan:
    """Rebuild the plan a graph came from.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> plan = load_plan("incheon-2020")
    >>> graph_to_plan(plan_to_graph(plan)) == plan
    True
    """
    members = tuple(
        PlanSite(
            site=node_site(G, key),
            role=Role(d["role"]),
            function=d.get("function"),
            plan_industries=tuple(d.get("industries") or ()),
        )
        for key, d in G.nodes(data=True)
    )
    order = {(u, v): i for i, (u, v) in enumerate(G.graph.get("link_order") or ())}
    edges = sorted(G.edges(data=True), key=lambda e: order.get((e[0], e[1]), len(order)))
    links = tuple(
        Link(u, v, d.get("relation"), attrs=dict(d.get("attrs") or {})) for u, v, d in edges
    )
    return Plan(
        id=G.graph.get("plan", "plan"),
        name=G.graph.get("name", G.graph.get("plan", "plan")),
        sites=members,
        links=links,
        rules=G.graph.get("rules"),
        meta=dict(G.graph.get("meta") or {}),
        path=G.graph.get("path"),
    )


def graph_to_gdfs(G: nx.DiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Convert a plan graph to (nodes, edges) GeoDataFrames in EPSG:4326.

    ``nodes`` is indexed by site key; its geometry is the extent (``None`` where
    unknown) and the column ``point`` holds the representative point. ``edges``
    has a (``from``, ``to``) MultiIndex and a straight line between the two
    representative points as geometry; every edge attribute becomes a column.
    Graph attributes travel in ``nodes.attrs["graph"]``.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> nodes, edges = graph_to_gdfs(plan_to_graph(load_plan("daegu-2020")))
    >>> list(nodes.index[:2]), nodes.crs.to_epsg()
    (['seongseo', 'seodaegu'], 4326)
    """
    import geopandas as gpd
    import pandas as pd

    rows = [{"key": k, **{a: d.get(a) for a in NODE_ATTRS}} for k, d in G.nodes(data=True)]
    nodes = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["key", *NODE_ATTRS]).set_index("key"),
        geometry="geometry",
        crs=STORAGE_CRS,
    )
    nodes["point"] = gpd.GeoSeries(
        [Point(d["lon"], d["lat"]) for _, d in G.nodes(data=True)],
        index=nodes.index,
        crs=STORAGE_CRS,
    )
    edge_cols: list[str] = []
    for _, _, d in G.edges(data=True):
        edge_cols.extend(c for c in d if c not in edge_cols)
    edge_rows = []
    lines = []
    for u, v, d in G.edges(data=True):
        edge_rows.append({"from": u, "to": v, **{c: d.get(c) for c in edge_cols}})
        a, b = G.nodes[u], G.nodes[v]
        lines.append(LineString([(a["lon"], a["lat"]), (b["lon"], b["lat"])]))
    frame = pd.DataFrame(edge_rows, columns=["from", "to", *edge_cols])
    edges = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(lines, crs=STORAGE_CRS))
    edges = edges.set_index(["from", "to"])
    nodes.attrs["graph"] = {k: G.graph.get(k) for k in _GRAPH_ATTRS}
    edges.attrs["edge_columns"] = edge_cols
    return nodes, edges


def gdfs_to_graph(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> nx.DiGraph:
    """Rebuild a plan graph from :func:`graph_to_gdfs` output.

    Node attributes are the ``nodes`` columns of :data:`NODE_ATTRS`; edge
    attributes are the ``edges`` columns other than the line geometry. Frames in
    another CRS are reprojected to EPSG:4326.

    Examples
    --------
    >>> from sandan_geo import load_plan
    >>> G = plan_to_graph(load_plan("jeonnam-2020"))
    >>> H = gdfs_to_graph(*graph_to_gdfs(G))
    >>> dict(H.nodes(data="role")) == dict(G.nodes(data="role"))
    True
    """
    missing = [a for a in NODE_ATTRS if a != "geometry" and a not in nodes.columns]
    if missing:
        raise SchemaError(
            f"nodes frame lacks columns {missing}", hint="build it with graph_to_gdfs"
        )
    if nodes.crs is not None and nodes.crs.to_epsg() != 4326:
        nodes = nodes.to_crs(STORAGE_CRS)
    graph_attrs: Mapping[str, Any] = nodes.attrs.get("graph", {})
    G = nx.DiGraph(**{k: graph_attrs.get(k) for k in _GRAPH_ATTRS})
    for key, row in nodes.iterrows():
        attrs = {a: row.get(a) for a in NODE_ATTRS}
        attrs["geometry"] = row.geometry if row.geometry is not None else None
        for name in ("industries", "site_industries", "parts"):
            attrs[name] = tuple(attrs[name]) if attrs[name] is not None else ()
        for name in ("area_m2", "name_en", "function", "province", "municipality", "kind"):
            if _is_missing(attrs[name]):
                attrs[name] = None
        attrs["extent_approximate"] = bool(attrs["extent_approximate"])
        attrs["lon"], attrs["lat"] = float(attrs["lon"]), float(attrs["lat"])
        G.add_node(str(key), **attrs)
    edge_cols = edges.attrs.get("edge_columns") or [
        c for c in edges.columns if c != edges.geometry.name
    ]
    for (u, v), row in edges.iterrows():
        G.add_edge(str(u), str(v), **{c: _clean(row.get(c)) for c in edge_cols})
    return G


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _clean(value: Any) -> Any:
    return None if _is_missing(value) else value
