"""sandan_geo: geospatial network analysis of Korean industrial complexes (산업단지).

Load a plan (a hub complex with its linked complexes and zones), turn it into a
value-chain graph, measure distances under a named metric, check accessibility
rules, and report or map the verdict.

Examples
--------
>>> import sandan_geo as sg
>>> plan = sg.load_plan("daegu-2020")
>>> report = sg.check_plan(plan, metric="centroid")
>>> report.checks[0].metric
'centroid'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .candidates import candidates
from .check import Report, check_plan
from .compare import compare_plans, shared_sites, site_history
from .distributed import pairs_within_dask
from .errors import (
    GeometryError,
    InputError,
    MissingDependencyError,
    OutputError,
    RuleError,
    SandanGeoError,
    SandanGeoWarning,
    SchemaError,
    UnknownSiteError,
)
from .export import plan_to_dict, plan_to_geojson, save_plan
from .gisfile import GisTable, read_gis
from .graph import gdfs_to_graph, graph_to_gdfs, graph_to_plan, plan_to_graph
from .load import (
    builtin_plan_ids,
    builtin_sites,
    load_builtin,
    load_plan,
    load_rules_file,
    load_sites,
)
from .maps import (
    SandanMap,
    map_html,
    overview_map,
    plan_map,
    program_map,
    save_map,
    save_png,
    sites_map,
)
from .measure import (
    BoundaryMetric,
    CentroidMetric,
    Distance,
    Metric,
    get_metric,
    measure,
    measure_links,
    register_metric,
)
from .model import Kind, Link, Part, Plan, PlanSite, Role, Site
from .network import (
    NetworkAnalysis,
    ProgramSummary,
    WhatIf,
    analyze_network,
    program_graph,
    program_summary,
    what_if,
)
from .official import (
    attach_boundaries,
    describe_attach,
    find_site_key,
    normalize_name,
    read_official_sites,
)
from .pairs import pairs_to_graph, pairs_within
from .report import (
    to_csv,
    to_dataframe,
    to_dict,
    to_json,
    to_markdown,
    to_table,
    to_text,
    to_xlsx,
)
from .review import data_version, review_report, save_review
from .road import RoadMetric, load_roads, road_graph_from_lines, road_graph_from_osm
from .roadload import read_road_network
from .roadmatrix import road_matrix
from .roadnet import RoadNetwork
from .rules import (
    PRESETS,
    Check,
    MaxDistance,
    MaxTravelTime,
    Rule,
    ValueChainConnected,
    accessibility_rules,
    load_rules,
    parse_rules,
    register_rule_type,
)
from .uncertainty import (
    DISC_HAUSDORFF_K,
    POINT_UNCERTAINTY_M,
    distance_range_m,
    site_uncertainty_m,
    verdict_for,
)

try:
    __version__ = version("sandan-geo")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "DISC_HAUSDORFF_K",
    "POINT_UNCERTAINTY_M",
    "PRESETS",
    "BoundaryMetric",
    "CentroidMetric",
    "Check",
    "Distance",
    "GeometryError",
    "GisTable",
    "InputError",
    "Kind",
    "Link",
    "MaxDistance",
    "MaxTravelTime",
    "Metric",
    "MissingDependencyError",
    "NetworkAnalysis",
    "OutputError",
    "Part",
    "Plan",
    "PlanSite",
    "ProgramSummary",
    "Report",
    "RoadMetric",
    "RoadNetwork",
    "Role",
    "Rule",
    "RuleError",
    "SandanGeoError",
    "SandanGeoWarning",
    "SandanMap",
    "SchemaError",
    "Site",
    "UnknownSiteError",
    "ValueChainConnected",
    "WhatIf",
    "__version__",
    "accessibility_rules",
    "analyze_network",
    "attach_boundaries",
    "builtin_plan_ids",
    "builtin_sites",
    "candidates",
    "check_plan",
    "compare_plans",
    "data_version",
    "describe_attach",
    "distance_range_m",
    "find_site_key",
    "gdfs_to_graph",
    "get_metric",
    "graph_to_gdfs",
    "graph_to_plan",
    "load_builtin",
    "load_plan",
    "load_roads",
    "load_rules",
    "load_rules_file",
    "load_sites",
    "map_html",
    "measure",
    "measure_links",
    "normalize_name",
    "overview_map",
    "pairs_to_graph",
    "pairs_within",
    "pairs_within_dask",
    "parse_rules",
    "plan_map",
    "plan_to_dict",
    "plan_to_geojson",
    "plan_to_graph",
    "program_graph",
    "program_map",
    "program_summary",
    "read_gis",
    "read_official_sites",
    "read_road_network",
    "register_metric",
    "register_rule_type",
    "review_report",
    "road_graph_from_lines",
    "road_graph_from_osm",
    "road_matrix",
    "save_map",
    "save_plan",
    "save_png",
    "save_review",
    "shared_sites",
    "site_history",
    "site_uncertainty_m",
    "sites_map",
    "to_csv",
    "to_dataframe",
    "to_dict",
    "to_json",
    "to_markdown",
    "to_table",
    "to_text",
    "to_xlsx",
    "verdict_for",
    "what_if",
]
