"""Roads at national scale: loading, searching and a site matrix against the anchors.

One command, from the repository root, with the project's environment::

    python benchmarks/road_scale_bench.py                       # 1e5, 1e6, 1e7; grid and planar
    python benchmarks/road_scale_bench.py --sizes 1e5 --kinds grid   # a quick look
    python benchmarks/road_scale_bench.py --update-docs         # also rewrite the docs table

Networks are synthetic and reproducible (numpy seed 2020), counted in directed edges
(a two-way segment counts 2), and placed in South Korea around (127.5° E, 36.0° N):

- ``grid``: side × side nodes about 320 m apart, one OSM way per row and per column;
  every 10th row/column an arterial (``primary`` 80 km/h or ``secondary`` 60 km/h),
  the rest ``tertiary`` 50, ``unclassified`` 40 or ``residential`` 30. All two-way.
- ``planar``: a "street-like random planar graph": uniform random points over the
  same kind of area, Delaunay-triangulated (``scipy.spatial.Delaunay``); its
  minimum spanning tree is kept (so the graph stays connected) and random
  non-tree edges shorter than the 80th percentile of Delaunay edge lengths are
  added until the mean degree is 3, like a street network. The edges are cut into
  short chains (1-8 edges), one OSM way each; about a third of the non-tree chains
  are one-way (``residential``), and one chain in eight is an arterial.

Each network is written as OSM PBF with pyosmium (coordinates to 7 decimals), and as
OSM XML where osmnx runs. Files are cached in ``--scratch`` (default
``/tmp/sg-roadbench``) by kind, size and generator version, so re-runs skip generation.

Every measured step runs in a fresh child process, one at a time, so that its peak
memory is its own: ``peak_mb`` is Linux ``VmHWM`` of the child (MiB) plus the peak of
the child's own largest child (sandan_geo's OSM reader runs libosmium's pass in a
process of its own; ``own_peak_mb`` and ``child_peak_mb`` apart), and ``maxrss_mb``
is ``getrusage(RUSAGE_SELF).ru_maxrss`` of the same process (which, after ``exec``, can
also include the parent's resident size at the fork; the parent stays small). Steps:

- ``bare``: ``for obj in osmium.FileProcessor(path)``, counting objects by type;
- ``bare_loc``: pyosmium's minimum work to get road geometry: ``FileProcessor`` of nodes
  and ways ``.with_locations()``, only ways passed on, and ``n.lon, n.lat`` of every
  node reference of every way;
- ``osmnx``: ``osmnx.graph_from_xml(xml, simplify=False, retain_all=True)``;
- ``ours_load``: ``sandan_geo.read_road_network(path, cache=False)``;
- ``ours_cache``: ``read_road_network(path, cache_dir=tmp)`` twice (write, then hit);
- ``ours_search``: ``net.search([i])`` and ``net.search([i], limit=30000)`` from 5 nodes;
- ``networkx``: an ``nx.DiGraph`` with ``length`` weights built from the network's
  CSR arrays (timed apart), then ``single_source_dijkstra_path_length`` from the same
  5 nodes, whole graph and ``cutoff=30000``; values compared with ours;
- ``pandana``: ``pandana.Network(x, y, from, to, lengths, twoway=False)`` (contraction
  hierarchies), ``get_node_ids`` for the 1,000 sites, ``shortest_path_lengths`` for
  all 1,000 × 1,000 pairs, pairs within 30 km kept; in its own virtualenv
  (``--pandana-python``);
- ``ours_main``: load, ``road_matrix(sites, RoadMetric(net), max_km=30)`` for the
  1,000 sites (metric included), then a 4-site plan checked under
  ``MaxDistance(25, metric=RoadMetric(net))``, cold and warm; its peak is the
  memory figure of the targets.

Results go to ``--output`` (JSON, written after every network) and, with
``--update-docs``, into ``docs/benchmarks.md`` between the ``roadscale`` markers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Roads at national scale"
START, END = "<!-- roadscale:start -->", "<!-- roadscale:end -->"
SEED = 2020
GEN_VERSION = 3  # bump when the generators change: cached files are keyed by it
CENTER = (127.5, 36.0)  # lon, lat: a 10^7-edge grid (506 km square) stays in South Korea
SPACING_M = 320.0
M_PER_DEG_LAT = 110_950.0  # near 36° N
M_PER_DEG_LON_EQ = 111_320.0
N_SITES = 1000
MATRIX_KM = 30.0
SEARCH_LIMIT_M = 30_000.0
N_SOURCES = 5
MARK = "@@RESULT@@ "
DEFAULT_PANDANA_PY = "/tmp/sg-pandana-venv/bin/python"


class Timer:
    """Wall-clock seconds of named steps, printed as they finish."""

    def __init__(self) -> None:
        self.results: dict[str, float] = {}

    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        timer = self

        class _T:
            def __enter__(self) -> None:
                self.t0 = time.perf_counter()

            def __exit__(self, *exc: object) -> None:
                timer.results[name] = round(time.perf_counter() - self.t0, 4)
                print(f"    {name:<22} {timer.results[name]:9.3f} s", file=sys.stderr, flush=True)

        return _T()


# --------------------------------------------------------------------------- memory


def _status_kb(field: str) -> int | None:
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def peak_mb() -> float | None:
    kb = _status_kb("VmHWM")
    return None if kb is None else round(kb / 1024, 1)


def maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def children_mb() -> float:
    """The largest resident size of any finished child of this process (MiB)."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def mem() -> dict[str, float | None]:
    """``peak_mb``: this process's ``VmHWM`` plus its largest child's peak.

    sandan_geo's OSM reader runs libosmium's pass in a child process; the sum is
    an upper bound on the two together (the child ends before the network is built).
    """
    own, child = peak_mb(), children_mb()
    total = None if own is None else round(own + child, 1)
    return {"peak_mb": total, "own_peak_mb": own, "child_peak_mb": child, "maxrss_mb": maxrss_mb()}


# --------------------------------------------------------------------------- generators


def m_per_deg_lon(lat: np.ndarray | float) -> np.ndarray | float:
    return M_PER_DEG_LON_EQ * np.cos(np.radians(lat))


def to_local(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres east/north of CENTER (each point's own parallel scale): for snapping only."""
    return (lon - CENTER[0]) * m_per_deg_lon(lat), (lat - CENTER[1]) * M_PER_DEG_LAT


def from_local(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = CENTER[1] + y / M_PER_DEG_LAT
    return CENTER[0] + x / m_per_deg_lon(lat), lat


def round7(a: np.ndarray) -> np.ndarray:
    """As a PBF stores it: an integer number of 1e-7 degrees."""
    return np.rint(a * 1e7) / 1e7


def _pick(rng: np.random.Generator, options: list[tuple[str, int]], p: list[float], n: int):  # type: ignore[no-untyped-def]
    k = rng.choice(len(options), size=n, p=p)
    return [options[i] for i in k.tolist()]


LOCAL = [("tertiary", 50), ("unclassified", 40), ("residential", 30)]
LOCAL_P = [0.25, 0.25, 0.5]


def grid_network(size: int, rng: np.random.Generator) -> dict[str, Any]:
    """Side × side grid with 4·side·(side-1) ≈ ``size`` directed edges."""
    side = round((1 + math.sqrt(1 + size)) / 2)
    half = (side - 1) / 2
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    y = (i.ravel() - half) * SPACING_M
    x = (j.ravel() - half) * SPACING_M
    lon, lat = from_local(x, y)
    idx = np.arange(side * side).reshape(side, side)
    flat = np.concatenate([idx.ravel(), idx.T.ravel()])  # rows (west→east), then columns
    offsets = np.arange(0, 2 * side * side + 1, side, dtype=np.int64)
    tags: list[dict[str, str]] = []
    local = _pick(rng, LOCAL, LOCAL_P, 2 * side)
    for k in range(2 * side):
        pos = k % side  # row number, then column number
        if pos % 10 == 0:
            hw, speed = ("primary", 80) if pos % 20 == 0 else ("secondary", 60)
        else:
            hw, speed = local[k]
        tags.append({"highway": hw, "maxspeed": str(speed)})
    return {"lon": lon, "lat": lat, "flat": flat, "offsets": offsets, "tags": tags, "side": side}


def _chains(n: int, u: np.ndarray, v: np.ndarray, rng: np.random.Generator, max_len: int = 8):  # type: ignore[no-untyped-def]
    """Cut undirected edges (u, v) into paths of 1..max_len edges; each edge used once."""
    m = len(u)
    ends = np.concatenate([u, v])
    other_all = np.concatenate([v, u])
    eid_all = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(ends, kind="stable")
    ptr = np.searchsorted(ends[order], np.arange(n + 1)).tolist()
    inc = eid_all[order].tolist()
    other = other_all[order].tolist()
    ul, vl = u.tolist(), v.tolist()
    want = rng.integers(1, max_len + 1, m).tolist()
    used = bytearray(m)
    flat: list[int] = []
    offsets = [0]
    for e in rng.permutation(m).tolist():
        if used[e]:
            continue
        used[e] = 1
        a, cur = ul[e], vl[e]
        chain = [a, cur]
        seen = {a, cur}
        goal = want[e]
        while len(chain) - 1 < goal:
            step = -1
            for k in range(ptr[cur], ptr[cur + 1]):
                if not used[inc[k]] and other[k] not in seen:
                    step = k
                    break
            if step < 0:
                break
            used[inc[step]] = 1
            cur = other[step]
            chain.append(cur)
            seen.add(cur)
        flat.extend(chain)
        offsets.append(len(flat))
    return np.asarray(flat, dtype=np.int64), np.asarray(offsets, dtype=np.int64)


def planar_network(size: int, rng: np.random.Generator) -> dict[str, Any]:
    """A street-like random planar graph with about ``size`` directed edges."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import Delaunay

    # Mean degree 3 → 1.5 n undirected edges; ~10 % of them one-way → ~2.85 n directed.
    n_target = size / 2.85
    side_m = math.sqrt(size / 4) * SPACING_M  # the area of a grid of the same size
    n = int(rng.poisson(n_target))
    xy = rng.uniform(-side_m / 2, side_m / 2, (n, 2))
    lon, lat = from_local(xy[:, 0], xy[:, 1])
    lon, lat = round7(lon), round7(lat)
    _, first = np.unique(np.column_stack([lon, lat]), axis=0, return_index=True)
    first.sort()
    xy, lon, lat = xy[first], lon[first], lat[first]
    n = len(lon)
    tri = Delaunay(xy).simplices
    e = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    e.sort(axis=1)
    e = np.unique(e[:, 0].astype(np.int64) * n + e[:, 1])
    u, v = e // n, e % n
    del tri, e
    d = np.hypot(xy[u, 0] - xy[v, 0], xy[u, 1] - xy[v, 1])
    mst = minimum_spanning_tree(coo_matrix((d, (u, v)), shape=(n, n)).tocsr()).tocoo()
    tu = np.minimum(mst.row, mst.col).astype(np.int64)
    tv = np.maximum(mst.row, mst.col).astype(np.int64)
    is_tree = np.isin(u * n + v, tu * n + tv)
    pool = np.flatnonzero(~is_tree & (d <= np.quantile(d, 0.8)))
    n_extra = max(0, min(len(pool), round(1.5 * n) - len(tu)))
    extra = np.sort(rng.choice(pool, n_extra, replace=False))
    flat_t, off_t = _chains(n, tu, tv, rng)
    flat_x, off_x = _chains(n, u[extra], v[extra], rng)
    flat = np.concatenate([flat_t, flat_x])
    offsets = np.concatenate([off_t, off_x[1:] + off_t[-1]])
    n_t, n_x = len(off_t) - 1, len(off_x) - 1
    tags: list[dict[str, str]] = []
    local = _pick(rng, LOCAL, LOCAL_P, n_t + n_x)
    art = rng.random(n_t + n_x)
    one = rng.random(n_x)
    for k in range(n_t + n_x):
        if k >= n_t and one[k - n_t] < 0.33:
            tags.append({"highway": "residential", "maxspeed": "30", "oneway": "yes"})
        elif art[k] < 0.125:
            hw, speed = ("primary", 80) if art[k] < 0.05 else ("secondary", 60)
            tags.append({"highway": hw, "maxspeed": str(speed)})
        else:
            hw, speed = local[k]
            tags.append({"highway": hw, "maxspeed": str(speed)})
    return {"lon": lon, "lat": lat, "flat": flat, "offsets": offsets, "tags": tags}


def directed_edges(net: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tail, head (node indices) and way index of every directed edge."""
    flat, off = net["flat"], net["offsets"]
    n_ways = len(off) - 1
    lens = np.diff(off)
    way_of = np.repeat(np.arange(n_ways), lens)
    pos = np.arange(len(flat))
    last = np.zeros(len(flat), dtype=bool)
    last[off[1:] - 1] = True
    a = pos[~last]
    tail, head, way = flat[a], flat[a + 1], way_of[a]
    twoway = np.array([t.get("oneway") != "yes" for t in net["tags"]])
    back = twoway[way]
    return (
        np.concatenate([tail, head[back]]),
        np.concatenate([head, tail[back]]),
        np.concatenate([way, way[back]]),
    )


def write_pbf(path: Path, net: dict[str, Any]) -> None:
    import osmium
    from osmium.osm import mutable

    tmp = path.with_suffix(".tmp.pbf")
    tmp.unlink(missing_ok=True)
    w = osmium.SimpleWriter(str(tmp))
    try:
        for k, (x, y) in enumerate(zip(net["lon"].tolist(), net["lat"].tolist(), strict=True)):
            w.add_node(mutable.Node(id=k + 1, location=(x, y)))
        flat, off = net["flat"], net["offsets"]
        for k, tags in enumerate(net["tags"]):
            refs = (flat[off[k] : off[k + 1]] + 1).tolist()
            w.add_way(mutable.Way(id=k + 1, nodes=refs, tags=tags))
    finally:
        w.close()
    tmp.rename(path)


def pick_sites(
    lon: np.ndarray, lat: np.ndarray, tail: np.ndarray, head: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """N_SITES points 20-200 m off a random road segment, inside the network's box."""
    x, y = to_local(lon, lat)
    mx, my = (x[tail] + x[head]) / 2, (y[tail] + y[head]) / 2
    inner = np.flatnonzero(
        (mx > x.min() + 500) & (mx < x.max() - 500) & (my > y.min() + 500) & (my < y.max() - 500)
    )
    e = rng.choice(inner, N_SITES, replace=False)
    t = rng.uniform(0.1, 0.9, N_SITES)
    px = x[tail[e]] + t * (x[head[e]] - x[tail[e]])
    py = y[tail[e]] + t * (y[head[e]] - y[tail[e]])
    dx, dy = x[head[e]] - x[tail[e]], y[head[e]] - y[tail[e]]
    norm = np.hypot(dx, dy)
    off = rng.uniform(20.0, 200.0, N_SITES) * rng.choice([-1.0, 1.0], N_SITES)
    slon, slat = from_local(px - dy / norm * off, py + dx / norm * off)
    return round7(slon), round7(slat)


def pick_plan(lon: np.ndarray, lat: np.ndarray) -> dict[str, list[float]]:
    """A hub near the centre and three linked sites 7, 12 and 18 km away, 40 m off a node."""
    x, y = to_local(lon, lat)
    out: dict[str, list[float]] = {}
    for key, (ex, ey) in {
        "hub": (0.0, 0.0),
        "l1": (4950.0, 4950.0),
        "l2": (0.0, 12000.0),
        "l3": (-18000.0, 0.0),
    }.items():
        k = int(np.argmin((x - ex) ** 2 + (y - ey) ** 2))
        slon, slat = from_local(np.array([x[k] + 28.0]), np.array([y[k] + 28.0]))
        out[key] = [float(round7(slon)[0]), float(round7(slat)[0])]
    return out


def generate(kind: str, size: int, folder: Path) -> dict[str, Any]:
    from pyproj import Geod

    t0 = time.perf_counter()
    rng = np.random.default_rng([SEED, size, 0 if kind == "grid" else 1])
    net = grid_network(size, rng) if kind == "grid" else planar_network(size, rng)
    net["lon"], net["lat"] = round7(net["lon"]), round7(net["lat"])
    tail, head, _ = directed_edges(net)
    lon, lat = net["lon"], net["lat"]
    _, _, length = Geod(ellps="GRS80").inv(lon[tail], lat[tail], lon[head], lat[head])
    order = np.lexsort((head, tail))
    tail, head, length = tail[order], head[order], np.asarray(length)[order]
    x, y = to_local(lon, lat)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(
        folder / "gen.npz",
        lon=lon,
        lat=lat,
        x=x,
        y=y,
        tail=tail.astype(np.int64),
        head=head.astype(np.int64),
        length=length,
    )
    slon, slat = pick_sites(lon, lat, tail, head, rng)
    sx, sy = to_local(slon, slat)
    plan = pick_plan(lon, lat)
    np.savez(folder / "sites.npz", lon=slon, lat=slat, x=sx, y=sy)
    write_pbf(folder / "net.osm.pbf", net)
    meta = {
        "kind": kind,
        "size": size,
        "nodes": len(lon),
        "directed_edges": len(tail),
        "ways": int(len(net["offsets"]) - 1),
        "oneway_ways": int(sum(t.get("oneway") == "yes" for t in net["tags"])),
        "mean_degree_undirected": round(
            2
            * np.unique(np.minimum(tail, head) * len(lon) + np.maximum(tail, head)).size
            / len(lon),
            3,
        ),
        "area_km": [
            round(float((x.max() - x.min()) / 1000), 1),
            round(float((y.max() - y.min()) / 1000), 1),
        ],
        "bbox": [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())],
        "pbf_mb": round((folder / "net.osm.pbf").stat().st_size / 1e6, 2),
        "plan": plan,
        "generate_s": round(time.perf_counter() - t0, 2),
        "gen_version": GEN_VERSION,
    }
    if kind == "grid":
        meta["side"] = net["side"]
    (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def to_xml(pbf: Path, xml: Path) -> dict[str, Any]:
    import osmium

    t0 = time.perf_counter()
    tmp = xml.with_suffix(".tmp.osm")
    tmp.unlink(missing_ok=True)
    w = osmium.SimpleWriter(str(tmp))
    try:
        for obj in osmium.FileProcessor(str(pbf)):
            if obj.is_node():
                w.add_node(obj)
            elif obj.is_way():
                w.add_way(obj)
    finally:
        w.close()
    tmp.rename(xml)
    return {"xml_mb": round(xml.stat().st_size / 1e6, 1), "s": round(time.perf_counter() - t0, 2)}


# --------------------------------------------------------------------------- child steps


def step_bare(a: dict[str, Any]) -> dict[str, Any]:
    import osmium

    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    for obj in osmium.FileProcessor(a["pbf"]):
        t = obj.type_str()
        counts[t] = counts.get(t, 0) + 1
    s = time.perf_counter() - t0
    total = sum(counts.values())
    return {"s": round(s, 4), "objects": counts, "objects_per_s": round(total / s), **mem()}


def step_bare_loc(a: dict[str, Any]) -> dict[str, Any]:
    import osmium

    t0 = time.perf_counter()
    fp = (
        osmium.FileProcessor(a["pbf"], osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    ways = refs = 0
    acc = 0.0
    for w in fp:
        ways += 1
        for n in w.nodes:
            acc += n.lon + n.lat
            refs += 1
    s = time.perf_counter() - t0
    return {"s": round(s, 4), "ways": ways, "refs": refs, "refs_per_s": round(refs / s), **mem()}


def step_osmnx(a: dict[str, Any]) -> dict[str, Any]:
    import osmnx as ox

    t0 = time.perf_counter()
    G = ox.graph_from_xml(a["xml"], simplify=False, retain_all=True)
    s = time.perf_counter() - t0
    return {"s": round(s, 4), "nodes": G.number_of_nodes(), "edges": G.number_of_edges(), **mem()}


def _sources(n: int) -> list[int]:
    rng = np.random.default_rng(SEED + 7)
    return sorted(rng.choice(n, N_SOURCES, replace=False).tolist())


def step_ours_load(a: dict[str, Any]) -> dict[str, Any]:
    # Module imports are not part of loading: the bare pass imports osmium before its
    # timer too.
    import osmium  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401

    import sandan_geo as sg

    base = mem()
    t0 = time.perf_counter()
    net = sg.read_road_network(a["pbf"], cache=False)
    s = time.perf_counter() - t0
    return {
        "s": round(s, 4),
        "n_nodes": int(net.n_nodes),
        "n_edges": int(net.n_edges),
        "base_mb": base["peak_mb"],
        **mem(),
    }


def step_ours_cache(a: dict[str, Any]) -> dict[str, Any]:
    import sandan_geo as sg

    tmp = tempfile.mkdtemp(prefix="sg-roadcache-")
    try:
        t0 = time.perf_counter()
        net = sg.read_road_network(a["pbf"], cache_dir=tmp)
        s_write = time.perf_counter() - t0
        first = dict(net.meta).get("cache")
        del net
        t0 = time.perf_counter()
        net = sg.read_road_network(a["pbf"], cache_dir=tmp)
        s_hit = time.perf_counter() - t0
        meta = dict(net.meta)
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        return {
            "write_s": round(s_write, 4),
            "hit_s": round(s_hit, 4),
            "first": first,
            "second": meta.get("cache"),
            "cache_mb": round(size / 1e6, 1),
            **mem(),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def step_ours_search(a: dict[str, Any]) -> dict[str, Any]:
    import sandan_geo as sg

    net = sg.read_road_network(a["pbf"], cache=False)
    after_load = mem()
    src = _sources(net.n_nodes)
    full: list[float] = []
    cut: list[float] = []
    rows_full, rows_cut = [], []
    for i in src:
        t0 = time.perf_counter()
        r = net.search([i])
        full.append(time.perf_counter() - t0)
        rows_full.append(np.asarray(r)[0])
        t0 = time.perf_counter()
        r = net.search([i], limit=SEARCH_LIMIT_M)
        cut.append(time.perf_counter() - t0)
        rows_cut.append(np.asarray(r)[0])
    np.savez(
        a["dump"],
        indptr=np.asarray(net.indptr),
        indices=np.asarray(net.indices),
        length=np.asarray(net.length_m),
        node_id=np.asarray(net.node_id),
        sources=np.asarray(src),
        full=np.vstack(rows_full),
        cut=np.vstack(rows_cut),
    )
    return {
        "sources": src,
        "full_s": [round(t, 4) for t in full],
        "cut_s": [round(t, 4) for t in cut],
        "full_median_s": round(float(np.median(full)), 4),
        "cut_median_s": round(float(np.median(cut)), 4),
        "reached_full": int(np.isfinite(rows_full[0]).sum()),
        "reached_cut": int(np.isfinite(rows_cut[0]).sum()),
        "after_load": after_load,
        **mem(),
    }


def step_networkx(a: dict[str, Any]) -> dict[str, Any]:
    import networkx as nx

    dump = a.get("dump")
    if dump and Path(dump).is_file():
        d = np.load(dump)
        indptr, indices, length = d["indptr"], d["indices"], d["length"]
        tail = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        head, n, src = indices, len(indptr) - 1, d["sources"].tolist()
        origin = "ours"
    else:
        d = np.load(a["gen"])
        tail, head, length = d["tail"], d["head"], d["length"]
        n, src, origin = len(d["lon"]), _sources(len(d["lon"])), "generator"
    base = mem()
    t0 = time.perf_counter()
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(
        zip(tail.tolist(), head.tolist(), length.tolist(), strict=True), weight="length"
    )
    build = time.perf_counter() - t0
    del tail, head, length
    full: list[float] = []
    cut: list[float] = []
    diff_full: list[float] = []
    diff_cut: list[float] = []
    mismatch = 0
    for k, s in enumerate(src):
        t0 = time.perf_counter()
        r = nx.single_source_dijkstra_path_length(G, s, weight="length")
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rc = nx.single_source_dijkstra_path_length(G, s, cutoff=SEARCH_LIMIT_M, weight="length")
        cut.append(time.perf_counter() - t0)
        if origin == "ours":
            for got, ours, diffs in ((r, d["full"][k], diff_full), (rc, d["cut"][k], diff_cut)):
                arr = np.full(n, np.inf)
                arr[np.fromiter(got.keys(), dtype=np.int64, count=len(got))] = np.fromiter(
                    got.values(), dtype=float, count=len(got)
                )
                fin = np.isfinite(arr)
                mismatch += int((fin != np.isfinite(ours)).sum())
                both = fin & np.isfinite(ours)
                diffs.append(float(np.abs(arr[both] - ours[both]).max()) if both.any() else 0.0)
    out: dict[str, Any] = {
        "graph_from": origin,
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "build_s": round(build, 4),
        "sources": src,
        "full_s": [round(t, 4) for t in full],
        "cut_s": [round(t, 4) for t in cut],
        "full_median_s": round(float(np.median(full)), 4),
        "cut_median_s": round(float(np.median(cut)), 4),
        "base_mb": base["peak_mb"],
        **mem(),
    }
    if origin == "ours":
        out["max_abs_diff_full_m"] = max(diff_full)
        out["max_abs_diff_cut_m"] = max(diff_cut)
        out["reach_mismatches"] = mismatch
    return out


def step_pandana(a: dict[str, Any]) -> dict[str, Any]:
    import pandana
    import pandas as pd

    g = np.load(a["gen"])
    s = np.load(a["sites"])
    x, y, tail, head, length = g["x"], g["y"], g["tail"], g["head"], g["length"]
    base = mem()
    t0 = time.perf_counter()
    net = pandana.Network(
        pd.Series(x),
        pd.Series(y),
        pd.Series(tail),
        pd.Series(head),
        pd.DataFrame({"length": length}),
        twoway=False,
    )
    t1 = time.perf_counter()
    nodes = np.asarray(net.get_node_ids(pd.Series(s["x"]), pd.Series(s["y"])))
    k = len(nodes)
    orig, dest = np.repeat(nodes, k), np.tile(nodes, k)
    d = np.asarray(net.shortest_path_lengths(orig, dest, imp_name="length"), dtype=float)
    d = d.reshape(k, k)
    keep = (d <= MATRIX_KM * 1000.0) & ~np.eye(k, dtype=bool)
    rows = int(keep.sum())
    t2 = time.perf_counter()
    snap = np.hypot(x[nodes] - s["x"], y[nodes] - s["y"])
    np.savez(a["out"], d=d, snap=snap, nodes=nodes)
    with_snap = d + snap[:, None] + snap[None, :]
    return {
        "build_s": round(t1 - t0, 4),
        "query_s": round(t2 - t1, 4),
        "total_s": round(t2 - t0, 4),
        "rows_within": rows,
        "rows_within_with_snaps": int(
            ((with_snap <= MATRIX_KM * 1000.0) & ~np.eye(k, dtype=bool)).sum()
        ),
        "unreachable_pairs": int((d > 4e6).sum()),
        "pandana": pandana.__version__,
        "threads_env": os.environ.get("OMP_NUM_THREADS"),
        "base_mb": base["peak_mb"],
        **mem(),
    }


def _plan(sg: Any, coords: dict[str, list[float]]) -> Any:
    members = []
    for key, (x, y) in coords.items():
        site = sg.Site(key=key, name_ko=key, lon=x, lat=y)
        role = sg.Role.HUB if key == "hub" else sg.Role.LINKED_COMPLEX
        members.append(sg.PlanSite(site, role))
    links = tuple(sg.Link(m.key, "hub") for m in members[1:])
    return sg.Plan(id="bench", name="bench", sites=tuple(members), links=links)


def step_ours_main(a: dict[str, Any]) -> dict[str, Any]:
    import sandan_geo as sg

    t = Timer()
    s = np.load(a["sites"])
    sites = [
        sg.Site(key=f"s{k:04d}", name_ko=f"부지{k}", lon=float(x), lat=float(y))
        for k, (x, y) in enumerate(zip(s["lon"].tolist(), s["lat"].tolist(), strict=True))
    ]
    plan = _plan(sg, a["plan"])
    base = mem()
    with t("load"):
        net = sg.read_road_network(a["pbf"], cache=False)
    after_load = mem()
    with t("matrix"):
        with t("matrix_metric"):
            metric = sg.RoadMetric(net)
        m = sg.road_matrix(sites, metric, max_km=MATRIX_KM)
    after_matrix = mem()
    a_idx = np.array([int(k[1:]) for k in m["a"]], dtype=np.int32)
    b_idx = np.array([int(k[1:]) for k in m["b"]], dtype=np.int32)
    np.savez(a["out"], a=a_idx, b=b_idx, km=m["network_km"].to_numpy(dtype=float))
    rows = len(m)
    del m, metric
    with t("check_metric"):
        road = sg.RoadMetric(net)
    rules = [sg.MaxDistance(25, metric=road)]
    with t("check_cold"):
        report = sg.check_plan(plan, rules)
    with t("check_warm"):
        sg.check_plan(plan, rules)
    checks = [
        {"to": c.to, "km": None if c.value_km is None else round(c.value_km, 3), "passed": c.passed}
        for c in report.checks
    ]
    return {
        "seconds": t.results,
        "matrix_rows": rows,
        "checks": checks,
        "base_mb": base["peak_mb"],
        "after_load": after_load,
        "after_matrix": after_matrix,
        **mem(),
    }


def step_probe(a: dict[str, Any]) -> dict[str, Any]:
    import sandan_geo as sg

    missing = [
        name
        for name in ("read_road_network", "RoadNetwork", "RoadMetric", "road_matrix", "check_plan")
        if not hasattr(sg, name)
    ]
    return {
        "ok": not missing,
        "missing": missing,
        "version": getattr(sg, "__version__", None),
        "file": sg.__file__,
    }


def step_generate(a: dict[str, Any]) -> dict[str, Any]:
    return generate(a["kind"], int(a["size"]), Path(a["folder"]))


def step_to_xml(a: dict[str, Any]) -> dict[str, Any]:
    return to_xml(Path(a["pbf"]), Path(a["xml"]))


def step_versions(a: dict[str, Any]) -> dict[str, Any]:
    import importlib.metadata as md

    out = {}
    for pkg in a["packages"]:
        with contextlib.suppress(md.PackageNotFoundError):
            out[pkg] = md.version(pkg)
    return out


STEPS = {
    "generate": step_generate,
    "to_xml": step_to_xml,
    "bare": step_bare,
    "bare_loc": step_bare_loc,
    "osmnx": step_osmnx,
    "ours_load": step_ours_load,
    "ours_cache": step_ours_cache,
    "ours_search": step_ours_search,
    "networkx": step_networkx,
    "pandana": step_pandana,
    "ours_main": step_ours_main,
    "probe": step_probe,
    "versions": step_versions,
}


def child_main(step: str, args_json: str) -> int:
    try:
        out = STEPS[step](json.loads(args_json))
    except BaseException:  # report anything, including MemoryError, to the parent
        out = {"error": traceback.format_exc()}
    sys.stdout.write("\n" + MARK + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------- parent


def run_child(
    step: str, args: dict[str, Any], *, python: str, timeout: float, log: Path
) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    cmd = [python, str(Path(__file__).resolve()), "--child", step, json.dumps(args)]
    t0 = time.perf_counter()
    print(f"  [{step}] ...", file=sys.stderr, flush=True)
    try:
        with log.open("a", encoding="utf-8") as err:
            err.write(f"\n=== {time.strftime('%H:%M:%S')} {step} {json.dumps(args)}\n")
            err.flush()
            proc = subprocess.run(
                cmd,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                timeout=timeout,
                check=False,
                env=env,
            )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "timed_out": True}
    wall = round(time.perf_counter() - t0, 2)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            out = json.loads(line[len(MARK) :])
            out["wall_s"] = wall
            if "error" in out:
                print(f"  [{step}] FAILED:\n{out['error']}", file=sys.stderr, flush=True)
            else:
                print(f"  [{step}] done in {wall} s", file=sys.stderr, flush=True)
            return out
    return {"error": f"exit code {proc.returncode}, no result (killed? see {log})", "wall_s": wall}


def _timeout(run: dict[str, Any], step: str) -> float | None:
    s = run["steps"].get(step) or {}
    return s.get("timeout_s") if s.get("timed_out") else None


def machine(pandana_py: str | None, log: Path) -> dict[str, Any]:
    import importlib.metadata as md

    def mem_total() -> int | None:
        kb = None
        with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    kb = int(line.split()[1])
        return None if kb is None else kb * 1024

    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for pkg in ("numpy", "scipy", "pandas", "pyproj", "osmium", "osmnx", "networkx", "sandan-geo"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions[pkg] = md.version(pkg)
    if pandana_py and Path(pandana_py).exists():
        got = run_child(
            "versions",
            {"packages": ["pandana", "numpy", "pandas"]},
            python=pandana_py,
            timeout=120,
            log=log,
        )
        got.pop("wall_s", None)
        if "error" not in got:
            versions.update(
                {f"{k} (pandana venv)" if k != "pandana" else k: v for k, v in got.items()}
            )
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu,
        "ram_bytes": mem_total(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def machine_line(m: dict[str, Any]) -> str:
    v = ", ".join(f"{k} {x}" for k, x in m["versions"].items())
    return (
        f"{m['nproc']} CPU ({m['cpu']}), {m['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"Python {m['python']}, {m['platform']}; {v}."
    )


def parse_sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def size_label(n: int) -> str:
    e = math.log10(n)
    if abs(e - round(e)) > 1e-9:
        return f"{n:,}"
    return "10" + str(round(e)).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def _get(run: dict[str, Any], step: str, key: str) -> Any:
    s = run["steps"].get(step) or {}
    if "error" in s or "not_run" in s:
        return None
    cur: Any = s
    for part in key.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def compare_matrix(folder: Path) -> dict[str, Any] | None:
    """20 of our pairs against pandana's node-to-node values (and with straight snaps added)."""
    ours_f, pan_f = folder / "ours_matrix.npz", folder / "pandana_matrix.npz"
    if not (ours_f.is_file() and pan_f.is_file()):
        return None
    o, p = np.load(ours_f), np.load(pan_f)
    if len(o["a"]) == 0:
        return {"pairs": 0}
    rng = np.random.default_rng(SEED + 11)
    pick = np.sort(rng.choice(len(o["a"]), min(20, len(o["a"])), replace=False))
    a, b, km = o["a"][pick], o["b"][pick], o["km"][pick]
    raw = p["d"][a, b] / 1000.0
    snapped = raw + (p["snap"][a] + p["snap"][b]) / 1000.0
    # Over every pair we return: the same comparison, summarised.
    all_raw = p["d"][o["a"], o["b"]] / 1000.0
    all_snapped = all_raw + (p["snap"][o["a"]] + p["snap"][o["b"]]) / 1000.0
    return {
        "sample": [
            {
                "a": int(x),
                "b": int(y),
                "ours_km": round(float(k), 4),
                "pandana_km": round(float(r), 4),
                "pandana_plus_snaps_km": round(float(s), 4),
            }
            for x, y, k, r, s in zip(a, b, km, raw, snapped, strict=True)
        ],
        "sample_max_abs_diff_km": round(float(np.abs(km - raw).max()), 4),
        "sample_max_abs_diff_with_snaps_km": round(float(np.abs(km - snapped).max()), 4),
        "all_pairs": len(o["a"]),
        "all_median_diff_km": round(float(np.median(o["km"] - all_raw)), 4),
        "all_median_abs_diff_with_snaps_km": round(
            float(np.median(np.abs(o["km"] - all_snapped))), 4
        ),
        "all_max_abs_diff_with_snaps_km": round(float(np.abs(o["km"] - all_snapped).max()), 4),
        "ours_below_pandana_plus_snaps": int((o["km"] < all_snapped - 1e-6).sum()),
    }


def ratios(run: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "load_vs_bare": ratio(_get(run, "ours_load", "s"), _get(run, "bare", "s")),
        "load_vs_bare_loc": ratio(_get(run, "ours_load", "s"), _get(run, "bare_loc", "s")),
        "load_vs_osmnx": ratio(_get(run, "osmnx", "s"), _get(run, "ours_load", "s")),
        "networkx_vs_ours_search_full": ratio(
            _get(run, "networkx", "full_median_s"), _get(run, "ours_search", "full_median_s")
        ),
        "networkx_vs_ours_search_30km": ratio(
            _get(run, "networkx", "cut_median_s"), _get(run, "ours_search", "cut_median_s")
        ),
        "pandana_vs_ours_matrix": ratio(
            _get(run, "pandana", "total_s"), _get(run, "ours_main", "seconds.matrix")
        ),
        "peak_mb_main": _get(run, "ours_main", "peak_mb"),
    }
    # A pandana run stopped at its time limit gives a lower bound.
    out["pandana_vs_ours_matrix_at_least"] = ratio(
        _timeout(run, "pandana"), _get(run, "ours_main", "seconds.matrix")
    )
    return out


def targets(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in runs:
        rt, kind, size = r["ratios"], r["kind"], r["size"]
        if rt.get("load_vs_bare") is not None:
            out.append(
                {
                    "kind": kind,
                    "size": size,
                    "target": "cold load ≤ 3× the bare pyosmium pass",
                    "measured": rt["load_vs_bare"],
                    "met": rt["load_vs_bare"] <= 3.0,
                }
            )
        if size == 1_000_000 and rt.get("networkx_vs_ours_search_full") is not None:
            out.append(
                {
                    "kind": kind,
                    "size": size,
                    "target": "single-source search ≥ 10× faster than networkx Dijkstra",
                    "measured": rt["networkx_vs_ours_search_full"],
                    "met": rt["networkx_vs_ours_search_full"] >= 10.0,
                }
            )
        if rt.get("pandana_vs_ours_matrix") is not None:
            out.append(
                {
                    "kind": kind,
                    "size": size,
                    "target": "1,000 × 1,000 matrix faster end to end than pandana",
                    "measured": rt["pandana_vs_ours_matrix"],
                    "met": rt["pandana_vs_ours_matrix"] > 1.0,
                }
            )
        elif rt.get("pandana_vs_ours_matrix_at_least") is not None:
            out.append(
                {
                    "kind": kind,
                    "size": size,
                    "target": "1,000 × 1,000 matrix faster end to end than pandana",
                    "measured": rt["pandana_vs_ours_matrix_at_least"],
                    "lower_bound": True,
                    "met": rt["pandana_vs_ours_matrix_at_least"] > 1.0,
                }
            )
        if size >= 10_000_000 and rt.get("peak_mb_main") is not None:
            out.append(
                {
                    "kind": kind,
                    "size": size,
                    "target": "peak memory (load + metric + matrix) < 2,048 MiB",
                    "measured": rt["peak_mb_main"],
                    "met": rt["peak_mb_main"] < 2048.0,
                }
            )
    return out


# --------------------------------------------------------------------------- markdown


def _fmt_s(x: Any) -> str:
    if x is None:
        return "–"
    x = float(x)
    if x >= 100:
        return f"{x:,.0f} s"
    if x >= 10:
        return f"{x:.1f} s"
    if x >= 0.1:
        return f"{x:.2f} s"
    return f"{x * 1000:.1f} ms"


def _fmt_mb(x: Any) -> str:
    return "–" if x is None else f"{float(x):,.0f} MiB"


def _cell(run: dict[str, Any] | None, step: str, time_key: str = "s", peak: bool = True) -> str:
    if run is None:
        return ""
    s = run["steps"].get(step)
    if s is None:
        return "not run"
    if "not_run" in s:
        why = s["not_run"]
        if why.startswith("above --skip-"):  # "above --skip-osmnx-above 1e+06"
            return f"not run (over {size_label(int(float(why.split()[-1])))} edges)"
        return f"not run: {why}"
    if s.get("timed_out"):
        return f"stopped after {s.get('timeout_s', 0):,.0f} s"
    if "error" in s:
        first = s["error"].strip().splitlines()[-1][:80]
        return f"failed: {first}"
    parts = [_fmt_s(_get(run, step, time_key))]
    if peak:
        parts.append(_fmt_mb(s.get("peak_mb")))
    return " · ".join(parts)


def _count(x: Any) -> str:
    return "–" if x is None else f"{int(x):,}"


def _r(x: Any, digits: int = 2) -> str:
    return "–" if x is None else f"{float(x):.{digits}f}×"


def size_table(by_kind: dict[str, dict[str, Any]], cols: list[str]) -> list[str]:
    """One size's table: a row per figure, a column per kind of network."""
    lines = ["| | " + " | ".join(cols) + " |", "| --- | " + " | ".join("---:" for _ in cols) + " |"]

    def row(label: str, fn: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(fn(by_kind[k]) for k in cols) + " |")

    row("nodes", lambda r: _count(r["meta"]["nodes"]))
    row("directed edges", lambda r: _count(r["meta"]["directed_edges"]))
    row("OSM ways", lambda r: _count(r["meta"]["ways"]))
    row("area (km)", lambda r: "{} × {}".format(*r["meta"]["area_km"]))
    row("PBF (MB)", lambda r: f"{r['meta']['pbf_mb']:.2f}")
    row("mean degree (undirected)", lambda r: str(r["meta"].get("mean_degree_undirected") or "–"))
    row("bare pyosmium pass", lambda r: _cell(r, "bare"))
    row(
        "· objects per second",
        lambda r: _count(_get(r, "bare", "objects_per_s")),
    )
    row("bare pass with locations", lambda r: _cell(r, "bare_loc"))
    row("osmnx `graph_from_xml`", lambda r: _cell(r, "osmnx"))
    row("**ours: cold load**", lambda r: _cell(r, "ours_load"))
    row(
        "ours: cache write / hit",
        lambda r: (
            f"{_fmt_s(_get(r, 'ours_cache', 'write_s'))} / {_fmt_s(_get(r, 'ours_cache', 'hit_s'))}"
            if _get(r, "ours_cache", "hit_s") is not None
            else _cell(r, "ours_cache", "hit_s")
        ),
    )
    row("networkx: build DiGraph", lambda r: _cell(r, "networkx", "build_s", peak=False))
    row(
        "networkx Dijkstra, whole graph (median of 5)",
        lambda r: _cell(r, "networkx", "full_median_s"),
    )
    row(
        "**ours: search, whole graph** (median of 5)",
        lambda r: _cell(r, "ours_search", "full_median_s"),
    )
    row(
        "networkx Dijkstra, 30 km cutoff",
        lambda r: _cell(r, "networkx", "cut_median_s", peak=False),
    )
    row("ours: search, 30 km limit", lambda r: _cell(r, "ours_search", "cut_median_s", peak=False))
    row(
        "· largest difference ours − networkx (m)",
        lambda r: (
            "–"
            if _get(r, "networkx", "max_abs_diff_full_m") is None
            else f"{max(_get(r, 'networkx', 'max_abs_diff_full_m'), _get(r, 'networkx', 'max_abs_diff_cut_m')):.1e}"
        ),
    )
    row(
        "ours: plan check cold / warm",
        lambda r: (
            f"{_fmt_s(_get(r, 'ours_main', 'seconds.check_cold'))} / "
            f"{_fmt_s(_get(r, 'ours_main', 'seconds.check_warm'))}"
            if _get(r, "ours_main", "seconds.check_cold") is not None
            else _cell(r, "ours_main")
        ),
    )
    row("pandana: contraction build", lambda r: _cell(r, "pandana", "build_s", peak=False))
    row("pandana: 1,000 × 1,000 queries", lambda r: _cell(r, "pandana", "query_s", peak=False))
    row("**pandana: matrix end to end**", lambda r: _cell(r, "pandana", "total_s"))
    row(
        "**ours: matrix end to end** (metric + `road_matrix`)",
        lambda r: _cell(r, "ours_main", "seconds.matrix", peak=False),
    )
    row(
        "· pairs within 30 km: ours / pandana (+ snaps)",
        lambda r: (
            f"{_count(_get(r, 'ours_main', 'matrix_rows'))} / "
            f"{_count(_get(r, 'pandana', 'rows_within_with_snaps'))}"
        ),
    )
    row(
        "· median \\|ours − pandana + snaps\\| (m)",
        lambda r: (
            "–"
            if not r.get("matrix_compare")
            or "all_median_abs_diff_with_snaps_km" not in r["matrix_compare"]
            else f"{r['matrix_compare']['all_median_abs_diff_with_snaps_km'] * 1000:.1f}"
        ),
    )
    row(
        "**ours: load + matrix + check, peak**",
        lambda r: (
            _fmt_mb(_get(r, "ours_main", "peak_mb"))
            if _get(r, "ours_main", "peak_mb") is not None
            else _cell(r, "ours_main")
        ),
    )
    row("load: ours / bare pass", lambda r: _r(r["ratios"].get("load_vs_bare")))
    row("load: ours / bare pass with locations", lambda r: _r(r["ratios"].get("load_vs_bare_loc")))
    row("load: osmnx / ours", lambda r: _r(r["ratios"].get("load_vs_osmnx"), 1))
    row("search: networkx / ours", lambda r: _r(r["ratios"].get("networkx_vs_ours_search_full"), 1))
    row(
        "matrix: pandana / ours",
        lambda r: (
            _r(r["ratios"].get("pandana_vs_ours_matrix"))
            if r["ratios"].get("pandana_vs_ours_matrix_at_least") is None
            else "> " + _r(r["ratios"]["pandana_vs_ours_matrix_at_least"])
        ),
    )
    return lines


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Run: `{results['command']}` on {results['date']} ({results['total_s']:.0f} s in all).",
        "",
        f"Machine: {machine_line(results['machine'])}",
        "",
        "Cells are wall-clock time · peak resident memory of the step's process (`VmHWM`, "
        "MiB) plus that of its largest child process (sandan_geo's OSM reader runs "
        "libosmium's pass in one), an upper bound on both together. A dash: not measured.",
    ]
    runs = results["runs"]
    kinds = [k for k in ("grid", "planar") if any(r["kind"] == k for r in runs)]
    for size in sorted({r["size"] for r in runs}):
        by_kind = {r["kind"]: r for r in runs if r["size"] == size}
        cols = [k for k in kinds if k in by_kind]
        lines += ["", f"### {size_label(size)} directed edges", ""]
        lines += size_table(by_kind, cols)
    lines += ["", "### Targets", ""]
    tg = results.get("targets") or []
    if not tg:
        lines.append("- No target could be measured in this run (see the tables).")
    for t in tg:
        word = "**met**" if t["met"] else "**not met**"
        mib = "memory" in t["target"]
        val = f"{t['measured']:,.0f} MiB" if mib else f"{t['measured']:.2f}×"
        if t.get("lower_bound"):
            val = f"at least {val} (pandana stopped at its time limit)"
        lines.append(f"- {size_label(t['size'])} {t['kind']}: {t['target']}: {val}, {word}.")
    return "\n".join(lines)


SKELETON = f"""
{SECTION}

Results of `benchmarks/road_scale_bench.py` (see the script's docstring).

{START}
{END}
"""


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if SECTION not in doc:
        doc = doc.rstrip("\n") + "\n" + SKELETON
    head, sep, rest = doc.partition(START)
    if not sep or END not in rest:
        raise SystemExit(f"{DOC}: markers {START} … {END} not found in '{SECTION}'")
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{START}\n\n{text}\n\n{END}{tail}", encoding="utf-8")


# --------------------------------------------------------------------------- main


ALL_STEPS = [
    "bare",
    "bare_loc",
    "osmnx",
    "ours_load",
    "ours_cache",
    "ours_search",
    "networkx",
    "pandana",
    "ours_main",
]
OURS = {"ours_load", "ours_cache", "ours_search", "ours_main"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1], argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e5,1e6,1e7", help="directed edges, comma-separated")
    ap.add_argument("--kinds", default="grid,planar")
    ap.add_argument("--skip-osmnx-above", type=float, default=1e6)
    ap.add_argument("--skip-networkx-above", type=float, default=1e7)
    ap.add_argument(
        "--skip-pandana-above",
        type=float,
        default=1e6,
        help="pandana's contraction alone passes --pandana-timeout above 10^6 edges here",
    )
    ap.add_argument("--steps", default=",".join(ALL_STEPS), help="which steps to run")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the other steps' results of each network from the existing --output",
    )
    ap.add_argument("--output", default=str(ROOT / "benchmarks" / "road_scale_results.json"))
    ap.add_argument("--scratch", default="/tmp/sg-roadbench")
    ap.add_argument("--pandana-python", default=DEFAULT_PANDANA_PY)
    ap.add_argument("--step-timeout", type=float, default=1800.0, help="seconds per step")
    ap.add_argument(
        "--pandana-timeout",
        type=float,
        default=600.0,
        help="seconds for the pandana step (its contraction of a grid grows fast)",
    )
    ap.add_argument("--update-docs", action="store_true")
    ap.add_argument("--docs-only", action="store_true", help="rewrite the docs from --output")
    args = ap.parse_args(argv)
    out_path = Path(args.output)
    if args.docs_only:
        results = json.loads(out_path.read_text(encoding="utf-8"))
        write_doc(markdown(results))
        return 0

    t_all = time.perf_counter()
    scratch = Path(args.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    log = scratch / "children.log"
    py = sys.executable
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = set(steps) - set(ALL_STEPS)
    if unknown:
        ap.error(f"unknown steps: {', '.join(sorted(unknown))}")
    previous: dict[tuple[str, int], dict[str, Any]] = {}
    if args.merge and out_path.is_file():
        for r in json.loads(out_path.read_text(encoding="utf-8")).get("runs", []):
            previous[(r["kind"], r["size"])] = r
    pandana_ok = Path(args.pandana_python).exists()
    probe = run_child("probe", {}, python=py, timeout=300, log=log)
    ours_ok = bool(probe.get("ok"))
    if not ours_ok:
        print(f"sandan_geo's road API is not there yet: {probe}", file=sys.stderr)
    results: dict[str, Any] = {
        "command": "python benchmarks/road_scale_bench.py " + " ".join(argv),
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(args.pandana_python if pandana_ok else None, log),
        "settings": {
            "center_lonlat": CENTER,
            "grid_spacing_m": SPACING_M,
            "sites": N_SITES,
            "matrix_km": MATRIX_KM,
            "search_limit_m": SEARCH_LIMIT_M,
            "sources": N_SOURCES,
            "seed": SEED,
            "gen_version": GEN_VERSION,
            "probe": probe,
        },
        "runs": [],
    }
    sizes = parse_sizes(args.sizes)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    for size in sizes:
        for kind in kinds:
            print(f"\n== {kind} {size:,} directed edges", file=sys.stderr, flush=True)
            folder = scratch / f"{kind}-{size}-v{GEN_VERSION}"
            meta_f = folder / "meta.json"
            if meta_f.is_file():
                meta = json.loads(meta_f.read_text(encoding="utf-8"))
                meta["cached"] = True
            else:
                meta = run_child(
                    "generate",
                    {"kind": kind, "size": size, "folder": str(folder)},
                    python=py,
                    timeout=args.step_timeout,
                    log=log,
                )
                if "error" in meta:
                    results["runs"].append({"kind": kind, "size": size, "error": meta["error"]})
                    continue
                meta["cached"] = False
            pbf, xml = folder / "net.osm.pbf", folder / "net.osm"
            gen, sites = folder / "gen.npz", folder / "sites.npz"
            run: dict[str, Any] = previous.get((kind, size), {})
            run.update({"kind": kind, "size": size, "meta": meta})
            run.setdefault("steps", {})
            for step in steps:
                a: dict[str, Any] = {"pbf": str(pbf)}
                python = py
                if step == "osmnx":
                    if size > args.skip_osmnx_above:
                        run["steps"][step] = {
                            "not_run": f"above --skip-osmnx-above {args.skip_osmnx_above:.0e}"
                        }
                        continue
                    if not xml.is_file():
                        got = run_child(
                            "to_xml",
                            {"pbf": str(pbf), "xml": str(xml)},
                            python=py,
                            timeout=args.step_timeout,
                            log=log,
                        )
                        meta["xml_mb"] = got.get("xml_mb")
                    meta["xml_mb"] = round(xml.stat().st_size / 1e6, 1) if xml.is_file() else None
                    a = {"xml": str(xml)}
                elif step in OURS and not ours_ok:
                    run["steps"][step] = {
                        "not_run": "sandan_geo has no " + ", ".join(probe.get("missing", ["?"]))
                    }
                    continue
                elif step == "networkx":
                    if size > args.skip_networkx_above:
                        run["steps"][step] = {
                            "not_run": f"above --skip-networkx-above {args.skip_networkx_above:.0e}"
                        }
                        continue
                    dump = folder / "ours_search.npz"
                    fresh = "ours_search" in steps and "error" not in run["steps"].get(
                        "ours_search", {"error": 1}
                    )
                    a = {"gen": str(gen), "dump": str(dump) if fresh and dump.is_file() else None}
                elif step == "pandana":
                    if not pandana_ok:
                        run["steps"][step] = {"not_run": f"no {args.pandana_python}"}
                        continue
                    if size > args.skip_pandana_above:
                        run["steps"][step] = {
                            "not_run": f"above --skip-pandana-above {args.skip_pandana_above:.0e}"
                        }
                        continue
                    python = args.pandana_python
                    a = {
                        "gen": str(gen),
                        "sites": str(sites),
                        "out": str(folder / "pandana_matrix.npz"),
                    }
                elif step == "ours_search":
                    a["dump"] = str(folder / "ours_search.npz")
                elif step == "ours_main":
                    a.update(
                        {
                            "sites": str(sites),
                            "plan": meta["plan"],
                            "out": str(folder / "ours_matrix.npz"),
                        }
                    )
                limit = args.pandana_timeout if step == "pandana" else args.step_timeout
                got = run_child(step, a, python=python, timeout=limit, log=log)
                if got.get("timed_out"):
                    got["timeout_s"] = limit
                run["steps"][step] = got
            for stale in ("ours_search.npz",):
                (folder / stale).unlink(missing_ok=True)
            run["matrix_compare"] = compare_matrix(folder)
            run["ratios"] = ratios(run)
            loaded = run["steps"].get("ours_load", {})
            if "n_edges" in loaded:
                run["edges_match"] = {
                    "ours_nodes": loaded["n_nodes"],
                    "ours_edges": loaded["n_edges"],
                    "same_as_generator": loaded["n_nodes"] == meta["nodes"]
                    and loaded["n_edges"] == meta["directed_edges"],
                }
            results["runs"].append(run)
            results["targets"] = targets(results["runs"])
            results["total_s"] = round(time.perf_counter() - t_all, 1)
            out_path.write_text(
                json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    if args.merge:  # keep networks measured before and not re-run now
        done = {(r["kind"], r["size"]) for r in results["runs"]}
        results["runs"] += [r for k, r in previous.items() if k not in done]
        results["runs"].sort(key=lambda r: (r["size"], r["kind"]))
    results["targets"] = targets([r for r in results["runs"] if "ratios" in r])
    results["total_s"] = round(time.perf_counter() - t_all, 1)
    out_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(results))
    if args.update_docs:
        write_doc(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
