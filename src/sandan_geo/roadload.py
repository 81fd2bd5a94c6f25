"""Reading road files into a :class:`~sandan_geo.roadnet.RoadNetwork`, streamed.

:func:`read_road_network` reads an OpenStreetMap file (``.osm``, ``.osm.bz2``,
``.osm.pbf``) in one streamed pass of libosmium (through pyosmium, the ``osmium``
package) that runs in a child process and hands over the roads as text, parsed in
bulk into arrays (:mod:`sandan_geo.osmways`). A file of road lines (the national 표준노드링크 ``MOCT_LINK``, a
GeoPackage, shapefile, ...) is read with pyogrio, only the fields needed. On a
terminal a progress line shows how far it got. Networks are cached on disk,
keyed by the file's content (:mod:`sandan_geo.roadcache`).

How the OSM reader builds the network (the rules osmnx's ``graph_from_xml``
follows, and ``tests/test_roadload.py`` holds it to them):

- a way is a road if its ``highway`` is in ``highways`` and its ``access`` is not
  ``no``/``private`` and it is not ``area=yes``;
- ``oneway`` of ``yes``/``true``/``1``/``-1``/``reverse`` (and roundabouts) makes
  it one-way, against the drawing for ``-1``/``reverse``; other ways run both ways;
- each pair of consecutive nodes is an edge whose length is the GRS80 geodesic;
- only the largest weakly connected piece is kept unless ``retain_all``;
- speeds come from ``maxspeed`` (``mph`` converted, lane values ``|`` averaged; 0,
  negative, over 300 or words are ignored with a warning naming the ways); an edge
  without one gets ``hwy_speeds[class]``, else the mean of its class's edges,
  else ``fallback_kph``, else the mean of the classes' means.

Examples
--------
A one-way street of two blocks (drawn north to south, ``oneway=-1``) and a footway:

>>> import pathlib, tempfile
>>> osm = pathlib.Path(tempfile.mkdtemp()) / "oneway.osm"
>>> nodes = "".join(f'<node id="{i}" lat="{37.0 + i / 100}" lon="127.0"/>' for i in range(3))
>>> _ = osm.write_text(f'''<osm version="0.6">{nodes}
...   <way id="7"><nd ref="2"/><nd ref="1"/><nd ref="0"/>
...     <tag k="highway" v="residential"/><tag k="oneway" v="-1"/></way>
...   <way id="8"><nd ref="0"/><nd ref="2"/><tag k="highway" v="footway"/></way>
... </osm>''')
>>> net = read_road_network(osm, cache=False, fallback_kph=30)
>>> ids = net.node_id.tolist()
>>> [(ids[u], ids[v]) for u, v in zip(net.tails.tolist(), net.indices.tolist())]
[(0, 1), (1, 2)]
>>> net.length_m.round(1).tolist(), net.has_time
([1109.8, 1109.8], True)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import shapely
from shapely import LineString

from ._optional import require
from .crs import GEOD, STORAGE_CRS, geodesic_lengths_m
from .errors import (
    GeometryError,
    InputError,
    MissingDependencyError,
    SandanGeoWarning,
    SchemaError,
)
from .osmways import NO_COORD, OsmWays, read_osm_ways
from .progress import Progress
from .roadcache import cached_network
from .roadnet import RoadNetwork, csgraph

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DRIVE_HIGHWAYS",
    "MAX_ROAD_REFS",
    "load_roads",
    "read_road_network",
    "road_graph_from_lines",
    "road_graph_from_osm",
]

DRIVE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
    }
)
"""OSM ``highway`` values kept by default: roads open to cars.

The same classes as osmnx's ``network_type="drive"``: footways, paths, tracks,
service roads (parking aisles, driveways) and roads under construction are left out.
"""

MAX_ROAD_REFS: int = 400_000_000
"""Most way-node references of drivable roads read from one OSM file.

About 16 bytes each while reading (6.4 GB at the bound); South Korea's whole
drivable network has about 10⁷. A file past it (or a compressed file that
expands to one) is refused rather than filling memory: clip it first
(``osmium extract --bbox``)."""

_OSM_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".xml.bz2", ".osm.gz", ".osm.pbf", ".pbf")
_LINE_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".sqlite")
_SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_COORD_DIGITS = 7  # line endpoints equal to 1e-7 degrees (~1 cm) are one node


# --------------------------------------------------------------------------- the entry point


def read_road_network(
    path: str | os.PathLike[str],
    *,
    highways: Collection[str] | None = DRIVE_HIGHWAYS,
    hwy_speeds: Mapping[str, float] | None = None,
    fallback_kph: float | None = None,
    retain_all: bool = False,
    layer: str | int | None = None,
    speed_field: str | None = None,
    length_field: str | None = None,
    node_fields: tuple[str, str] | None = None,
    directed: bool = False,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> RoadNetwork:
    """Read a road file into a :class:`~sandan_geo.roadnet.RoadNetwork`, choosing by suffix.

    OpenStreetMap (``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``):
    streamed with pyosmium (see the module's notes for the rules). Road lines
    (``.gpkg``, ``.shp``, ``.geojson``, ``.json``, ``.fgb``, ``.gml``, ``.sqlite``):
    read with pyogrio, each line an edge from its first vertex to its last.
    The result is cached under :func:`~sandan_geo.roadcache.road_cache_dir`,
    keyed by the file's SHA-256 and the options; ``meta`` records ``source``,
    ``source_sha256``, ``cache`` and ``cache_path``.

    Parameters
    ----------
    path
        The road file (for a shapefile, its ``.shp``).
    highways
        OSM: ``highway`` values to keep; ``None`` keeps every way with one.
    hwy_speeds
        OSM: speed (km/h) per highway class for roads without ``maxspeed``.
    fallback_kph
        Speed for roads with none (OSM: classes with no ``maxspeed`` anywhere
        and not in ``hwy_speeds``; lines: rows with no valid speed).
    retain_all
        OSM: keep every disconnected piece, not only the largest.
    layer, speed_field, length_field, node_fields, directed
        Road lines: the layer; the field with the speed limit in km/h
        (``MAX_SPD``); a field with the length in metres (default: the GRS80
        length of the line); ``(from_field, to_field)`` node ids (default
        ``F_NODE``/``T_NODE`` when both exist, else the lines' endpoints to 1e-7°);
        whether a line runs only from its first vertex to its last
        (``MOCT_LINK`` stores one link per direction).
    cache, cache_dir
        Use the disk cache; its folder.
    progress
        Show a progress line on standard error; ``None``: only on a terminal.

    Raises
    ------
    InputError
        The file is missing or unreadable, has no drivable road, lacks a named
        field, or has more than :data:`MAX_ROAD_REFS` road node references.
    MissingDependencyError
        pyosmium is not installed (``pip install 'sandan-geo[roads]'``), or no
        Python interpreter can be started to run libosmium's pass in.

    Examples
    --------
    >>> read_road_network("roads.csv")
    Traceback (most recent call last):
    ...
    sandan_geo.errors.InputError: roads.csv: cannot tell the road file's format from its suffix; give .osm, .xml, .osm.bz2, .xml.bz2, .osm.gz, .osm.pbf, .pbf (OpenStreetMap) or .gpkg, .shp, .geojson, .json, .fgb, .gml, .sqlite (road lines)
    """
    name = Path(path).name.lower()
    if name.endswith(_OSM_SUFFIXES):
        p = _existing(path)
        params: dict[str, Any] = {
            "highways": None if highways is None else sorted(highways),
            "hwy_speeds": None if hwy_speeds is None else sorted(hwy_speeds.items()),
            "fallback_kph": fallback_kph,
            "retain_all": retain_all,
        }
        return cached_network(
            p,
            [p],
            "osm",
            params,
            lambda: _read_osm(
                p,
                highways=highways,
                hwy_speeds=hwy_speeds,
                fallback_kph=fallback_kph,
                retain_all=retain_all,
                progress=progress,
            ),
            cache=cache,
            cache_dir=cache_dir,
        )
    if name.endswith(_LINE_SUFFIXES):
        p = _existing(path)
        files = [p]
        if p.suffix.lower() == ".shp":
            files = [p.with_suffix(s) for s in _SHAPEFILE_SIDECARS if p.with_suffix(s).is_file()]
        params = {
            "layer": layer,
            "speed_field": speed_field,
            "length_field": length_field,
            "node_fields": node_fields,
            "directed": directed,
            "fallback_kph": fallback_kph,
        }
        return cached_network(
            p,
            files,
            "lines",
            params,
            lambda: _read_lines_network(
                p,
                layer=layer,
                speed_field=speed_field,
                length_field=length_field,
                node_fields=node_fields,
                directed=directed,
                fallback_kph=fallback_kph,
                progress=progress,
            ),
            cache=cache,
            cache_dir=cache_dir,
        )
    raise _unknown_format(path)


def _unknown_format(path: str | os.PathLike[str]) -> InputError:
    return InputError(
        "cannot tell the road file's format from its suffix",
        path=str(path),
        hint=f"give {', '.join(_OSM_SUFFIXES)} (OpenStreetMap) or "
        f"{', '.join(_LINE_SUFFIXES)} (road lines)",
    )


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError("road file not found", path=str(p), hint="check the path")
    return p


# --------------------------------------------------------------------------- OpenStreetMap


def _read_osm(
    p: Path,
    *,
    highways: Collection[str] | None,
    hwy_speeds: Mapping[str, float] | None,
    fallback_kph: float | None,
    retain_all: bool,
    progress: bool | None,
) -> RoadNetwork:
    with Progress(f"reading {p.name}", unit="roads", enabled=progress) as bar:
        ways = read_osm_ways(p, highways=highways, limit=MAX_ROAD_REFS, progress=bar)
        bar.set("building the network")
        return _osm_network(p, ways, hwy_speeds, fallback_kph, retain_all)


def _osm_network(
    p: Path,
    ways: OsmWays,
    hwy_speeds: Mapping[str, float] | None,
    fallback_kph: float | None,
    retain_all: bool,
) -> RoadNetwork:
    if ways.bad_speed:
        unique = sorted(set(ways.bad_speed))
        shown = ", ".join(str(w) for w in unique[:10]) + (" …" if len(unique) > 10 else "")
        warnings.warn(
            f"{p.name}: way(s) {shown}: maxspeed gives no usable speed (0, negative, over "
            "300 or not a number); those roads take their class's speed",
            SandanGeoWarning,
            stacklevel=5,
        )
    ref = ways.ref
    if ref.size == 0:
        raise SchemaError(
            "the OSM file has no drivable road",
            path=str(p),
            field="highway",
            hint="it needs ways tagged highway= (roads open to cars); "
            "pass highways=None to keep all",
        )
    x, y, start = ways.x, ways.y, ways.start
    n_ways = len(start) - 1
    way_of = np.repeat(np.arange(n_ways, dtype=np.int32), np.diff(start))
    # Segments: consecutive references within a way.
    last = np.zeros(ref.size, dtype=bool)
    last[start[1:] - 1] = True
    seg = np.flatnonzero(~last)
    a, b = seg, seg + 1
    seg_way = way_of[a]
    # A reference to a node missing from the file has no location: drop its segments.
    valid = (x != NO_COORD) & (y != NO_COORD)
    ok = valid[a] & valid[b] & (ref[a] != ref[b])
    a, b, seg_way = a[ok], b[ok], seg_way[ok]
    if a.size == 0:
        raise SchemaError(
            "the OSM file has no drivable road with two located nodes",
            path=str(p),
            field="highway",
            hint="check that the extract holds the ways' nodes",
        )
    # Nodes: the distinct ids among the references (fewer than the edges' ends), then
    # only those that end a segment.
    ids, inverse = np.unique(ref, return_inverse=True)
    at = np.empty(len(ids), dtype=np.int64)
    at[inverse] = np.arange(ref.size)  # a reference of each node (all share its location)
    seg_a, seg_b = inverse[a], inverse[b]
    used = np.zeros(len(ids), dtype=bool)
    used[seg_a] = True
    used[seg_b] = True
    number = np.cumsum(used) - 1
    node_id = ids[used]
    lon = x[at[used]] / 1e7
    lat = y[at[used]] / 1e7
    seg_a = number[seg_a].astype(np.int32)
    seg_b = number[seg_b].astype(np.int32)
    # Lengths once per segment (a two-way road's two edges share one), GRS80.
    seg_len = geodesic_lengths_m(lon[seg_a], lat[seg_a], lon[seg_b], lat[seg_b])
    del ids, inverse, at, used, number, a, b, way_of, valid, ok, last, seg
    if not retain_all:  # pieces of the segments are the edges' weakly connected pieces
        keep_nodes = _largest_weak_piece(len(node_id), seg_a, seg_b)
        if keep_nodes is not None:
            new = (np.cumsum(keep_nodes) - 1).astype(np.int32)
            kept = keep_nodes[seg_a]
            seg_a, seg_b = new[seg_a[kept]], new[seg_b[kept]]
            seg_len, seg_way = seg_len[kept], seg_way[kept]
            node_id, lon, lat = node_id[keep_nodes], lon[keep_nodes], lat[keep_nodes]
    oneway = ways.oneway[seg_way]
    fwd = oneway >= 0
    back = oneway <= 0
    tail = np.concatenate([seg_a[fwd], seg_b[back]])
    head = np.concatenate([seg_b[fwd], seg_a[back]])
    length = np.concatenate([seg_len[fwd], seg_len[back]])
    edge_way = np.concatenate([seg_way[fwd], seg_way[back]])
    del seg_a, seg_b, seg_len, seg_way, oneway, fwd, back
    speed = _impute_speeds(p, ways, edge_way, hwy_speeds, fallback_kph)
    if speed is None:
        time_s = np.full(len(length), np.nan)
    else:  # in place: at 10^7 edges each temporary is 80 MB
        time_s = np.multiply(length, 3.6)
        time_s /= speed
        del speed
    way = ways.way_id[edge_way]
    del edge_way
    return RoadNetwork.from_arrays(
        node_id,
        lon,
        lat,
        tail,
        head,
        length,
        time_s,
        way=way,
        meta={"kind": "osm", "crs": STORAGE_CRS},
    )


def _largest_weak_piece(n: int, tail: np.ndarray, head: np.ndarray) -> np.ndarray | None:
    """A mask of the nodes of the largest weakly connected piece; ``None`` if all one piece."""
    sparse = require("scipy.sparse", "scipy", extra="roads")
    graph = sparse.coo_matrix(
        (np.ones(len(tail), dtype=np.int8), (tail, head)), shape=(n, n)
    ).tocsr()
    count, labels = csgraph().connected_components(graph, directed=True, connection="weak")
    if count <= 1:
        return None
    biggest = int(np.argmax(np.bincount(labels)))
    mask: np.ndarray = labels == biggest
    return mask


def _impute_speeds(
    p: Path,
    ways: OsmWays,
    edge_way: np.ndarray,
    hwy_speeds: Mapping[str, float] | None,
    fallback_kph: float | None,
) -> np.ndarray | None:
    """Each edge's speed (km/h) by the module's rules; ``None`` (and a warning) if none is known."""
    speed = ways.speed[edge_way]
    klass_names = ways.names
    klass = ways.klass[edge_way]
    known = np.isfinite(speed)
    if known.all():
        return np.asarray(speed, dtype=np.float64)
    sums = np.bincount(klass[known], weights=speed[known], minlength=len(klass_names))
    counts = np.bincount(klass[known], minlength=len(klass_names))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    user = dict(hwy_speeds or {})
    for i, name in enumerate(klass_names):
        if name in user:
            means[i] = float(user[name])
    if fallback_kph is not None:
        means = np.where(np.isnan(means), float(fallback_kph), means)
    if np.isnan(means).all():
        warnings.warn(
            f"{p.name}: no road has a maxspeed tag, so travel times are unknown; "
            "pass hwy_speeds or fallback_kph to have them",
            SandanGeoWarning,
            stacklevel=5,
        )
        return None
    means = np.where(np.isnan(means), np.nanmean(means), means)
    out: np.ndarray = np.where(known, speed, means[klass])
    return out


# --------------------------------------------------------------------------- road lines


_PAGE = 100_000  # features read at a time from a file of road lines


def _lines_info(p: Path, layer: str | int | None) -> tuple[list[str], int, Any]:
    """The file's fields, feature count and CRS, without reading its features."""
    import pyogrio

    try:
        info = pyogrio.read_info(p, layer=layer)
    except Exception as err:  # pyogrio raises its own errors for unreadable files
        raise InputError(
            f"cannot read road lines ({err})", path=str(p), hint="give a GeoPackage or shapefile"
        ) from err
    return [str(c) for c in info["fields"]], int(info.get("features") or 0), info.get("crs")


def _read_page(
    p: Path, layer: str | int | None, columns: Sequence[str], skip: int, count: int
) -> gpd.GeoDataFrame:
    """Features ``skip`` to ``skip + count`` (pyogrio), in WGS84."""
    import geopandas as gpd

    try:
        gdf = gpd.read_file(
            p,
            layer=layer,
            columns=list(columns),
            engine="pyogrio",
            skip_features=skip,
            max_features=count,
        )
    except Exception as err:  # pyogrio raises its own errors for unreadable files
        raise InputError(
            f"cannot read road lines ({err})", path=str(p), hint="give a GeoPackage or shapefile"
        ) from err
    if gdf.crs is None:
        if len(gdf):
            x0, y0, x1, y1 = gdf.total_bounds
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                raise GeometryError(
                    "the road file has no CRS and its coordinates are not degrees",
                    path=str(p),
                    hint="give it a CRS (a .prj beside a shapefile), e.g. EPSG:5179",
                )
        return gdf.set_crs(STORAGE_CRS)
    return gdf.to_crs(STORAGE_CRS)


def _as_lines(geom: Any) -> list[LineString]:
    """A feature's road line(s): one line, or the parts of a multi-line that do not join.

    Parts that do not join end to end stay separate roads: joining them would add a
    straight segment that is no road (a shortcut across a river, say).
    """
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, LineString):
        return [geom]
    if geom.geom_type == "MultiLineString":
        merged = shapely.line_merge(geom)
        if isinstance(merged, LineString):
            return [merged]
        return [
            g for g in shapely.get_parts(merged) if isinstance(g, LineString) and not g.is_empty
        ]
    return []


class _Lines:
    """Road lines read page by page, as flat arrays (see :func:`_lines_network`)."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.coords: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.geodesic: list[np.ndarray] = []
        self.stated: list[np.ndarray] = []
        self.speed: list[np.ndarray] = []
        self.from_id: list[np.ndarray] = []
        self.to_id: list[np.ndarray] = []
        self.split: list[int] = []
        self.skipped = 0

    def add(
        self,
        gdf: gpd.GeoDataFrame,
        offset: int,
        node_fields: tuple[str, str] | None,
        speed_field: str | None,
        length_field: str | None,
    ) -> int:
        import pandas as pd

        rows, good = _line_rows(gdf, node_fields, self, offset)
        if not rows:
            return 0
        idx = np.asarray(rows, dtype=np.int64)
        lines = np.array(good, dtype=object)
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        self.rows.append(idx + offset)
        self.coords.append(coords)
        self.counts.append(np.bincount(owner, minlength=len(lines)))
        self.geodesic.append(_geodesic_lengths(lines))
        if length_field is not None:
            self.stated.append(gdf[length_field].to_numpy(dtype=float)[idx])
        if speed_field is not None:
            raw = pd.to_numeric(gdf[speed_field], errors="coerce")
            self.speed.append(np.asarray(raw, dtype=float)[idx])
        if node_fields is not None:
            self.from_id.append(gdf[node_fields[0]].to_numpy()[idx])
            self.to_id.append(gdf[node_fields[1]].to_numpy()[idx])
        return len(rows)


def _read_lines_network(
    p: Path,
    *,
    layer: str | int | None,
    speed_field: str | None,
    length_field: str | None,
    node_fields: tuple[str, str] | None,
    directed: bool,
    fallback_kph: float | None,
    progress: bool | None,
) -> RoadNetwork:
    fields, total, crs = _lines_info(p, layer)
    if node_fields is None and {"F_NODE", "T_NODE"} <= set(fields):
        node_fields = ("F_NODE", "T_NODE")
    named = [f for f in (speed_field, length_field, *(node_fields or ())) if f is not None]
    missing = [f for f in named if f not in fields]
    if missing:
        raise SchemaError(
            f"the road file has no field(s) {', '.join(missing)}",
            path=str(p),
            field=missing[0],
            hint=f"its fields are: {', '.join(fields)}",
        )
    if crs is None:
        warnings.warn(
            f"{p.name} has no CRS; assuming WGS84 longitude/latitude",
            SandanGeoWarning,
            stacklevel=5,
        )
    acc = _Lines()
    bar = Progress(f"reading {p.name}", unit="features", total=total or None, enabled=progress)
    with bar:
        offset = 0
        while True:
            page = _read_page(p, layer, named, offset, _PAGE)
            acc.add(page, offset, node_fields, speed_field, length_field)
            offset += len(page)
            bar.advance(len(page))
            if len(page) < _PAGE:
                break
        bar.set("building the network")
        _warn_lines(p, acc, node_fields)
        return _lines_network(
            p, acc, speed_field, length_field, node_fields, directed, fallback_kph
        )


def _line_rows(
    gdf: gpd.GeoDataFrame, node_fields: tuple[str, str] | None, acc: _Lines, offset: int
) -> tuple[list[int], list[LineString]]:
    """A page's road lines and their rows in it; notes multi-lines and skipped features."""
    rows: list[int] = []
    good: list[LineString] = []
    geoms = gdf.geometry.to_numpy()
    simple = shapely.get_type_id(geoms) == 1  # LineString
    for i, g in enumerate(geoms):
        if simple[i] and not g.is_empty:
            rows.append(i)
            good.append(g)
            continue
        parts = _as_lines(g)
        if not parts:
            acc.skipped += 1
            continue
        if len(parts) > 1:
            acc.split.append(offset + i)
            if node_fields is not None:  # which part joins which node cannot be told
                continue
        rows.extend([i] * len(parts))
        good.extend(parts)
    return rows, good


def _warn_lines(p: Path, acc: _Lines, node_fields: tuple[str, str] | None) -> None:
    if not acc.rows:
        raise SchemaError("the road file has no lines", path=str(p), hint="give road lines")
    if acc.skipped:
        warnings.warn(
            f"{p.name}: {acc.skipped} feature(s) are not lines and were skipped",
            SandanGeoWarning,
            stacklevel=6,
        )
    if acc.split:
        split = acc.split
        shown = ", ".join(str(i + 1) for i in split[:10]) + (" …" if len(split) > 10 else "")
        what = (
            "skipped (with node fields, which part joins which node cannot be told)"
            if node_fields is not None
            else "kept as separate roads, not joined by a straight segment"
        )
        warnings.warn(
            f"{p.name}: feature(s) {shown}: multi-lines whose parts do not join; {what}",
            SandanGeoWarning,
            stacklevel=6,
        )


def _lines_network(
    p: Path,
    acc: _Lines,
    speed_field: str | None,
    length_field: str | None,
    node_fields: tuple[str, str] | None,
    directed: bool,
    fallback_kph: float | None,
) -> RoadNetwork:
    row_arr = np.concatenate(acc.rows)
    coords = np.vstack(acc.coords)
    counts = np.concatenate(acc.counts)
    one_part = len(np.unique(row_arr)) == len(row_arr)
    if length_field is not None and (node_fields is not None or one_part):
        lengths = np.concatenate(acc.stated)
    else:  # a feature's stated length cannot be shared among its parts: measure them
        lengths = np.concatenate(acc.geodesic)
    speeds = _speeds(
        np.concatenate(acc.speed) if speed_field is not None else None,
        len(row_arr),
        speed_field,
        fallback_kph,
        p,
    )
    ends = np.cumsum(counts)
    begins = ends - counts
    first_xy = coords[begins]
    last_xy = coords[ends - 1]
    both_xy = np.vstack([first_xy, last_xy])
    if node_fields is not None:
        all_ids = np.concatenate([np.concatenate(acc.from_id), np.concatenate(acc.to_id)])
        if all_ids.dtype == object:
            all_ids = all_ids.astype(str)
        node_id, first, inverse = np.unique(all_ids, return_index=True, return_inverse=True)
        lon, lat = both_xy[first, 0], both_xy[first, 1]
    else:
        keys = np.round(both_xy, _COORD_DIGITS)
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(first, kind="stable")  # number nodes by first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        inverse = rank[inverse]
        first = first[order]
        node_id = np.arange(len(first), dtype=np.int64)
        lon, lat = both_xy[first, 0], both_xy[first, 1]
    m = len(row_arr)
    tail, head = inverse[:m], inverse[m:]
    interior = np.ones(len(coords), dtype=bool)
    interior[begins] = False
    interior[ends - 1] = False
    inner_counts = np.maximum(counts - 2, 0)
    gptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(inner_counts, out=gptr[1:])
    gxy = coords[interior]
    time_s = None if speeds is None else lengths * 3.6 / speeds
    if not directed:
        rev_xy = _reversed_ranges(gptr, gxy)
        tail, head = np.concatenate([tail, head]), np.concatenate([head, tail])
        lengths = np.concatenate([lengths, lengths])
        time_s = None if time_s is None else np.concatenate([time_s, time_s])
        gptr = np.concatenate([gptr, gptr[1:] + gptr[-1]])
        gxy = np.vstack([gxy, rev_xy])
        row_arr = np.concatenate([row_arr, row_arr])
    return RoadNetwork.from_arrays(
        node_id,
        lon,
        lat,
        tail,
        head,
        lengths,
        time_s,
        geom_ptr=gptr,
        geom_xy=gxy,
        way=row_arr,
        meta={"kind": "lines", "crs": STORAGE_CRS},
    )


def _reversed_ranges(ptr: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Each range ``xy[ptr[i]:ptr[i+1]]`` reversed in place of itself."""
    if len(xy) == 0:
        return xy.copy()
    counts = np.diff(ptr)
    starts = np.repeat(ptr[:-1], counts)
    ends = np.repeat(ptr[1:], counts)
    k = np.arange(len(xy))
    out: np.ndarray = xy[starts + ends - 1 - k]
    return out


def _geodesic_lengths(lines: np.ndarray) -> np.ndarray:
    """GRS80 length of each line, all segments in one vectorised call."""
    coords, index = shapely.get_coordinates(lines, return_index=True)
    same = index[1:] == index[:-1]
    seg = geodesic_lengths_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    seg = np.where(same, seg, 0.0)
    out = np.zeros(len(lines))
    np.add.at(out, index[:-1], seg)
    return out


def _speeds(
    raw: np.ndarray | None,
    n: int,
    speed_field: str | None,
    fallback_kph: float | None,
    p: Path,
) -> np.ndarray | None:
    if speed_field is None or raw is None:
        return None if fallback_kph is None else np.full(n, float(fallback_kph))
    valid = np.isfinite(raw) & (raw > 0)
    if valid.all():
        return raw
    if fallback_kph is not None:
        fill = float(fallback_kph)
    elif valid.any():
        fill = float(raw[valid].mean())
    else:
        warnings.warn(
            f"{p.name}: field {speed_field} has no valid speed, so travel times are unknown; "
            "pass fallback_kph to have them",
            SandanGeoWarning,
            stacklevel=6,
        )
        return None
    out: np.ndarray = np.where(valid, raw, fill)
    return out


# --------------------------------------------------------------------------- networkx views


def road_graph_from_osm(
    path: str | os.PathLike[str],
    *,
    highways: Collection[str] | None = DRIVE_HIGHWAYS,
    hwy_speeds: Mapping[str, float] | None = None,
    fallback_kph: float | None = None,
    retain_all: bool = False,
    simplify: bool = False,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> nx.MultiDiGraph:
    """Load an OpenStreetMap file as a networkx road graph (the export of :func:`read_road_network`).

    The same reading as :func:`read_road_network`, then
    :meth:`RoadNetwork.to_networkx <sandan_geo.roadnet.RoadNetwork.to_networkx>`:
    nodes with ``x``, ``y``; edges with ``length`` (GRS80 geodesic, m),
    ``speed_kph`` and ``travel_time`` (s) where known, and ``osmid`` (the way).
    ``G.graph`` records ``source``, ``source_sha256``, ``cache`` and
    ``cache_path``. For many sites, pass :func:`read_road_network`'s network to
    :class:`~sandan_geo.road.RoadMetric` instead: it holds no Python object per node.

    ``simplify`` merges chains of degree-2 nodes with osmnx (smaller, but sites
    then snap only onto the merged edges' straight chords' vertices).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> osm = pathlib.Path(tempfile.mkdtemp()) / "tiny.osm"
    >>> _ = osm.write_text('''<osm version="0.6">
    ...   <node id="1" lat="37.0" lon="127.0"/><node id="2" lat="37.0" lon="127.01"/>
    ...   <way id="9"><nd ref="1"/><nd ref="2"/>
    ...     <tag k="highway" v="primary"/><tag k="maxspeed" v="60"/></way>
    ... </osm>''')
    >>> G = road_graph_from_osm(osm, cache=False)
    >>> e = G.edges[1, 2, 0]
    >>> len(G), G.number_of_edges(), round(e["length"], 3), round(e["travel_time"], 3)
    (2, 2, 890.117, 53.407)
    """
    if Path(path).name.lower().endswith(_LINE_SUFFIXES):
        raise InputError(
            "not an OpenStreetMap file", path=str(path), hint="use road_graph_from_lines"
        )
    net = read_road_network(
        path,
        highways=highways,
        hwy_speeds=hwy_speeds,
        fallback_kph=fallback_kph,
        retain_all=retain_all,
        cache=cache,
        cache_dir=cache_dir,
        progress=progress,
    )
    G = net.to_networkx()
    if simplify:
        G = _simplify(G)
    return G


def _simplify(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    try:
        import osmnx as ox
    except ImportError as err:
        raise MissingDependencyError(
            "simplify=True needs the osmnx package; install it with "
            "pip install 'sandan-geo[roads]' (or pip install osmnx)"
        ) from err
    for _, _, d in G.edges(data=True):
        d.setdefault("osmid", -1)
    H: nx.MultiDiGraph = ox.simplify_graph(G)
    for _, _, d in H.edges(data=True):
        for key in ("length", "travel_time"):
            if isinstance(d.get(key), list):
                d[key] = float(sum(d[key]))
        if "geometry" in d:
            d["length"] = float(GEOD.geometry_length(d["geometry"]))
    return H


def road_graph_from_lines(
    path: str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    speed_field: str | None = None,
    length_field: str | None = None,
    node_fields: tuple[str, str] | None = None,
    directed: bool = False,
    fallback_kph: float | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> nx.MultiDiGraph:
    """Load a file of road lines as a networkx road graph (the export of :func:`read_road_network`).

    Each line is an edge from its first vertex to its last; see
    :func:`read_road_network` for the options. Edges carry ``length``, ``row``
    (the feature's index), ``geometry`` where the line has interior vertices,
    and ``speed_kph``/``travel_time`` with speeds.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "links.gpkg"
    >>> gpd.GeoDataFrame({"F_NODE": ["A", "B"], "T_NODE": ["B", "C"], "MAX_SPD": [60, 80]},
    ...                  geometry=[LineString([(127.0, 37.0), (127.01, 37.0)]),
    ...                            LineString([(127.01, 37.0), (127.02, 37.0)])],
    ...                  crs="EPSG:4326").to_file(f)
    >>> G = road_graph_from_lines(f, speed_field="MAX_SPD", directed=True, cache=False)
    >>> sorted(G.nodes), [round(d["length"], 1) for _, _, d in G.edges(data=True)]
    (['A', 'B', 'C'], [890.1, 890.1])
    """
    if not Path(path).name.lower().endswith(_LINE_SUFFIXES):
        raise InputError(
            "not a file of road lines",
            path=str(path),
            hint=f"give {', '.join(_LINE_SUFFIXES)}, or use road_graph_from_osm",
        )
    net = read_road_network(
        path,
        layer=layer,
        speed_field=speed_field,
        length_field=length_field,
        node_fields=node_fields,
        directed=directed,
        fallback_kph=fallback_kph,
        cache=cache,
        cache_dir=cache_dir,
        progress=progress,
    )
    return net.to_networkx()


def load_roads(path: str | os.PathLike[str], **kwargs: Any) -> nx.MultiDiGraph:
    """Load a road graph as networkx, choosing the reader by the file's suffix.

    ``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.pbf``: :func:`road_graph_from_osm`;
    ``.gpkg``, ``.shp``, ``.geojson``, ``.json``, ``.fgb``, ``.gml``, ``.sqlite``:
    :func:`road_graph_from_lines`. Keyword arguments go to the reader. For
    large networks use :func:`read_road_network` (arrays, no networkx).

    Raises
    ------
    InputError
        Another suffix, or whatever the reader raises.

    Examples
    --------
    >>> load_roads("roads.csv")
    Traceback (most recent call last):
    ...
    sandan_geo.errors.InputError: roads.csv: cannot tell the road file's format from its suffix; give .osm, .xml, .osm.bz2, .xml.bz2, .osm.gz, .osm.pbf, .pbf (OpenStreetMap) or .gpkg, .shp, .geojson, .json, .fgb, .gml, .sqlite (road lines)
    """
    name = Path(path).name.lower()
    if name.endswith(_OSM_SUFFIXES):
        return road_graph_from_osm(path, **kwargs)
    if name.endswith(_LINE_SUFFIXES):
        return road_graph_from_lines(path, **kwargs)
    raise _unknown_format(path)
