"""Road metric benchmark: a synthetic grid of ~1e6 directed edges, a 4-site plan checked on it.

    python benchmarks/road_bench.py [--side 500] [--spacing-m 100] [--no-osm] [--no-pandana]

The grid has ``side`` x ``side`` nodes ``spacing_m`` apart near 대구 (side 500: 250,000
nodes, 998,000 directed edges); every 10th row and column is a 60 km/h arterial, the
rest 30 km/h streets. Steps timed (seconds, one run each, wall clock):

- ``osm_write``: the grid written as OSM XML (one way per row and column);
- ``osm_load_cold``: ``road_graph_from_osm`` with an empty cache (parse, filter,
  GRS80 lengths, speeds, cache entry written);
- ``osm_load_cached``: the same call again, the network read from the cache;
- ``nx_build``: the same graph built directly with networkx (the ``RoadMetric(G)``
  route for a graph you already have);
- ``metric_init``: ``RoadMetric(G)`` (node table, EPSG:5179 index, successor lists);
- ``check_cold``/``check_warm``: ``check_plan`` of a hub and three linked sites
  (7-20 km away) under ``max_distance(25 km, road)``, first and second time (the
  second reuses the hub's search);
- ``nx_dijkstra_full``: networkx ``single_source_dijkstra_path_length`` from the hub
  over the whole graph, for scale;
- ``pandana_build``/``pandana_query``: pandana's contraction hierarchies, if installed,
  on the same edges (lengths), and the three hub-to-site queries; their values are
  compared with the road metric's network lengths.

Prints one JSON object; record the figures in docs/roads.md with the machine line.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
from pyproj import Geod

import sandan_geo as sg
from sandan_geo.road import RoadMetric, road_graph_from_osm

GEOD = Geod(ellps="GRS80")
ORIGIN = (128.40, 35.70)


class Timer:
    def __init__(self) -> None:
        self.results: dict[str, float] = {}

    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        timer = self

        class _T:
            def __enter__(self) -> None:
                self.t0 = time.perf_counter()

            def __exit__(self, *exc: object) -> None:
                timer.results[name] = round(time.perf_counter() - self.t0, 3)
                print(f"  {name:<18} {timer.results[name]:8.3f} s", flush=True)

        return _T()


def grid_coords(side: int, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of node (i, j) = row i north, column j east, ~spacing_m apart."""
    lat0 = ORIGIN[1]
    dlat = spacing_m / 110_950.0
    dlon = spacing_m / (111_320.0 * np.cos(np.radians(lat0)))
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    return ORIGIN[0] + j.ravel() * dlon, lat0 + i.ravel() * dlat


def grid_edges(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges (u, v) by node index and their speed (km/h)."""
    idx = np.arange(side * side).reshape(side, side)
    east_u, east_v = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    north_u, north_v = idx[:-1, :].ravel(), idx[1:, :].ravel()
    rows = np.repeat(np.arange(side), side - 1)  # the row of each east edge
    cols = np.tile(np.arange(side), side - 1)  # the column of each north edge
    speed = np.concatenate(
        [np.where(rows % 10 == 0, 60.0, 30.0), np.where(cols % 10 == 0, 60.0, 30.0)]
    )
    return np.concatenate([east_u, north_u]), np.concatenate([east_v, north_v]), speed


def write_osm(path: Path, side: int, lon: np.ndarray, lat: np.ndarray) -> None:
    idx = np.arange(side * side).reshape(side, side)
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bench">\n')
        for k in range(side * side):
            f.write(f'<node id="{k + 1}" lat="{float(lat[k])!r}" lon="{float(lon[k])!r}"/>\n')
        way = 1
        for line, axis in [(idx[i, :], "row") for i in range(side)] + [
            (idx[:, j], "col") for j in range(side)
        ]:
            pos = int(line[0] // side if axis == "row" else line[0] % side)
            speed = 60 if pos % 10 == 0 else 30
            f.write(f'<way id="{way}">')
            f.write("".join(f'<nd ref="{k + 1}"/>' for k in line))
            f.write(f'<tag k="highway" v="residential"/><tag k="maxspeed" v="{speed}"/></way>\n')
            way += 1
        f.write("</osm>\n")


def nx_grid(side: int, lon: np.ndarray, lat: np.ndarray) -> nx.DiGraph:
    u, v, speed = grid_edges(side)
    _, _, length = GEOD.inv(lon[u], lat[u], lon[v], lat[v])
    G = nx.DiGraph()
    G.add_nodes_from((k + 1, {"x": float(lon[k]), "y": float(lat[k])}) for k in range(side * side))
    attrs = [
        {"length": float(d), "speed_kph": float(s), "travel_time": float(d) * 3.6 / float(s)}
        for d, s in zip(length, speed, strict=True)
    ]
    G.add_edges_from((int(a) + 1, int(b) + 1, d) for a, b, d in zip(u, v, attrs, strict=True))
    G.add_edges_from((int(b) + 1, int(a) + 1, d) for a, b, d in zip(u, v, attrs, strict=True))
    return G


def plan_on(side: int, spacing_m: float, lon: np.ndarray, lat: np.ndarray) -> sg.Plan:
    c = side // 2
    steps = {
        "hub": (c, c),
        "l1": (c + int(7000 / spacing_m) // 2, c + int(7000 / spacing_m) // 2),
        "l2": (c - int(12000 / spacing_m), c + 3),
        "l3": (c + 5, c - int(20000 / spacing_m) + 5),
    }
    members = []
    for key, (i, j) in steps.items():
        k = min(max(i, 0), side - 1) * side + min(max(j, 0), side - 1)
        # 40 m off the node, as a site beside the road would be.
        x, y, _ = GEOD.fwd(lon[k], lat[k], 45.0, 40.0)
        s = sg.Site(key=key, name_ko=key, lon=float(x), lat=float(y))
        members.append(sg.PlanSite(s, sg.Role.HUB if key == "hub" else sg.Role.LINKED_COMPLEX))
    links = tuple(sg.Link(m.key, "hub") for m in members[1:])
    return sg.Plan(id="bench", name="bench", sites=tuple(members), links=links)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=500)
    ap.add_argument("--spacing-m", type=float, default=100.0)
    ap.add_argument("--no-osm", action="store_true", help="skip the OSM XML load")
    ap.add_argument("--no-pandana", action="store_true")
    ap.add_argument("--output", help="also write the JSON here")
    args = ap.parse_args()
    side, spacing = args.side, args.spacing_m
    lon, lat = grid_coords(side, spacing)
    t = Timer()
    out: dict[str, object] = {
        "side": side,
        "spacing_m": spacing,
        "nodes": side * side,
        "directed_edges": 4 * side * (side - 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
        f"networkx {nx.__version__}, sandan_geo {sg.__version__}",
    }
    print(json.dumps({k: out[k] for k in ("nodes", "directed_edges")}), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_osm:
            osm = Path(tmp) / "grid.osm"
            with t("osm_write"):
                write_osm(osm, side, lon, lat)
            out["osm_mb"] = round(osm.stat().st_size / 1e6, 1)
            cache = Path(tmp) / "cache"
            with t("osm_load_cold"):
                G_osm = road_graph_from_osm(osm, cache_dir=cache)
            with t("osm_load_cached"):
                G_osm = road_graph_from_osm(osm, cache_dir=cache)
            assert G_osm.graph["cache"] == "hit"
            out["cache_mb"] = round(Path(G_osm.graph["cache_path"]).stat().st_size / 1e6, 1)
            del G_osm
        with t("nx_build"):
            G = nx_grid(side, lon, lat)
        with t("nx_pickle_load"):
            G = pickle.loads(pickle.dumps(G, protocol=pickle.HIGHEST_PROTOCOL))
        with t("metric_init"):
            road = RoadMetric(G)
        with t("metric_init_tt"):
            fast = RoadMetric(G, weight="travel_time", name="road_fastest")
        plan = plan_on(side, spacing, lon, lat)
        rules = [sg.MaxDistance(25, metric=road)]
        with t("check_cold"):
            report = sg.check_plan(plan, rules)
        with t("check_warm"):
            sg.check_plan(plan, rules)
        time_rules = [sg.MaxTravelTime(60, metric=fast)]
        with t("check_cold_tt"):
            report_tt = sg.check_plan(plan, time_rules)
        with t("check_warm_tt"):
            sg.check_plan(plan, time_rules)
        out["checks"] = [
            {
                "to": c.to,
                "shortest_km": round(c.value_km or 0, 3),
                "shortest_min": round(c.minutes or 0, 2),
                "fastest_km": round(f.value_km or 0, 3),
                "fastest_min": round(f.minutes or 0, 2),
            }
            for c, f in zip(report.checks, report_tt.checks, strict=True)
        ]
        hub_node = report.checks[0].detail["from_node"]
        with t("nx_dijkstra_full"):
            nx.single_source_dijkstra_path_length(G, hub_node, weight="length")
        if not args.no_pandana:
            try:
                import pandana
                import pandas as pd
            except ImportError:
                out["pandana"] = "not installed"
            else:
                # Contraction hierarchies on travel times: a plain grid measured by
                # length has no hierarchy to exploit and contracts very slowly.
                u, v, speed = grid_edges(side)
                _, _, length = GEOD.inv(lon[u], lat[u], lon[v], lat[v])
                ids = np.arange(side * side) + 1
                with t("pandana_build"):
                    net = pandana.Network(
                        pd.Series(lon, index=ids),
                        pd.Series(lat, index=ids),
                        pd.Series(u + 1),
                        pd.Series(v + 1),
                        pd.DataFrame({"travel_time": length * 3.6 / speed}),
                        twoway=True,
                    )
                pairs = [(c.detail["from_node"], c.detail["to_node"]) for c in report_tt.checks]
                with t("pandana_query"):
                    got = net.shortest_path_lengths([a for a, _ in pairs], [b for _, b in pairs])
                out["pandana_minus_road_s"] = [
                    round(float(g) - 60.0 * c.detail["network_minutes"], 3)
                    for g, c in zip(got, report_tt.checks, strict=True)
                ]
    out["seconds"] = t.results
    text = json.dumps(out, indent=2, ensure_ascii=False)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
