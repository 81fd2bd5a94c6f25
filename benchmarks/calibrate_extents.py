"""Calibrate the equal-area-disc extent approximation against real complex outlines.

    python benchmarks/calibrate_extents.py PATH [PATH ...] [--source TEXT ...]
        [--name-field F] [--id-field F] [--encoding cp949] [--out FILE]

Without an official boundary the library approximates a site's extent by a disc of
the site's area, radius ``r = sqrt(area / π)``, around its representative point
(``sandan_geo.model.equal_area_disc``: a regular 64-gon whose area equals the site
area). The ``boundary`` metric is the shortest gap between two extents. For any sets,
``|d(A, B) - d(A', B')| <= H(A, A') + H(B, B')`` with ``H`` the Hausdorff distance, so
the error a disc brings to a gap is bounded by the discs' Hausdorff distances to the
true outlines. This script measures ``H / r`` on real outlines so that the per-site
extent uncertainty can be published as ``k * r`` with a calibrated ``k``.

Method
------
1. Read each PATH (any vector file pyogrio reads: shapefile with ``--encoding cp949``,
   GeoJSON, GeoPackage) and project it to EPSG:5179 (metres). Rows whose multipart
   geometry is a plain list of rings (some converters write each ring, holes included,
   as its own polygon) are rebuilt with even-odd filling; the count is reported.
2. Per site (the whole row): area ``A``, ``r = sqrt(A / π)``, Polsby-Popper compactness
   ``4πA / P²``, and ``H(outline, disc)`` for the equal-area disc centred at the
   outline's ``representative_point()`` and at its centroid.
3. Per part (the row exploded into its polygons, as the library gives each listed
   part its own disc): the same figures for each part with the part's own area; and,
   per multipart site, ``H(outline, union of the per-part discs)``.
4. Pairs: every pair of sites whose true gap is at most ``--max-pair-km`` (20 km), or
   a seeded random sample of ``--max-pairs`` of them. For each pair the true gap
   ``d`` and the gap between the two representative-point discs ``d'`` are computed;
   the error ``d' - d`` is compared with the bound ``k (r_a + r_b)`` for ``k`` at the
   90th and 95th percentile of the per-site ``H / r``, and with the exact bound
   ``H_a + H_b`` (a sanity check of the theory: it must never be exceeded).
5. Optionally (``--sites``, default geodata/sites.yaml) sample outlines that are
   built-in sites or parts (matched by DAN_ID or by name) are compared with the
   built-in point: distance from our point to the outline's representative point and
   whether it falls inside the outline, and ``H(outline, disc at our point with our
   area)``, grouped by the point's confidence.

Hausdorff distances use ``shapely.hausdorff_distance(a, b, densify=0.05)``: GEOS's
discrete Hausdorff distance over the two boundaries with every segment split into 20
pieces, which is the true (continuous) Hausdorff distance of the boundaries up to
1/40 of the longest segment. For connected, hole-free compact sets the Hausdorff
distance of the filled regions never exceeds that of their boundaries, so the figures
are, if anything, conservative. Gaps are planar EPSG:5179 distances; over the 20 km
considered here they differ from geodesic ones by well under 0.1 %.

Writes the figures to ``--out`` (default benchmarks/calibration_results.json) and
prints a short Markdown summary. The outline files are not part of the repository
(licence unknown): pass their paths.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import yaml
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

PLANAR_CRS = "EPSG:5179"
DENSIFY = 0.05
SEGMENTS = 64
AREA_CLASSES: tuple[tuple[str, float, float], ...] = (
    ("< 0.3 km²", 0.0, 0.3e6),
    ("0.3–3 km²", 0.3e6, 3e6),
    ("≥ 3 km²", 3e6, math.inf),
)
PERCENTILES: tuple[int, ...] = (50, 75, 90, 95)
NAME_FIELDS: tuple[str, ...] = ("DAN_NAME", "name", "NAME", "단지명")
ID_FIELDS: tuple[str, ...] = ("DAN_ID", "id", "ID")
# Official DAN_IDs whose DAM_DAN name differs from the built-in name: DAN_ID -> (site key,
# part name or None for a single-part site).
DAN_ID_MATCHES: dict[str, tuple[str, str | None]] = {
    "141011": ("banwol_sihwa", "시화국가산업단지"),  # 반월특수(시화)
    "141012": ("banwol_sihwa", "반월국가산업단지"),  # 반월특수(안산신도시)
    "147040": ("pohang", None),  # 포항
    "241080": ("seongnam_general", None),  # 성남
}
_SUFFIX = re.compile(r"(국가산업단지|일반산업단지|도시첨단산업단지|산업단지|농공단지|\s)")


@dataclass
class Outline:
    """One sample outline (a file row) in EPSG:5179."""

    source: int
    ident: str
    name: str
    geom: Polygon | MultiPolygon
    repaired: bool = False
    parts: list[Polygon] = field(default_factory=list)


def disc(center: Point, area: float, segments: int = SEGMENTS) -> Polygon:
    """Regular ``segments``-gon of area ``area`` centred on ``center`` (planar metres)."""
    n = segments
    radius = math.sqrt(2.0 * area / (n * math.sin(2.0 * math.pi / n)))
    angles = 2.0 * math.pi * np.arange(n) / n
    return Polygon(
        np.column_stack((center.x + radius * np.cos(angles), center.y + radius * np.sin(angles)))
    )


def hausdorff(a: BaseGeometry, b: BaseGeometry) -> float:
    """Hausdorff distance of two geometries' boundaries, densified (see module doc)."""
    return float(shapely.hausdorff_distance(a, b, densify=DENSIFY))


def equal_area_radius(area: float) -> float:
    """Radius of the circle of area ``area``."""
    return math.sqrt(area / math.pi)


def compactness(geom: BaseGeometry) -> float:
    """Polsby-Popper compactness 4πA/P² (1 for a circle)."""
    return 4.0 * math.pi * geom.area / geom.length**2 if geom.length > 0 else float("nan")


def polygons_of(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons of a (multi)polygon."""
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if isinstance(geom, MultiPolygon):
        return [p for p in geom.geoms if not p.is_empty]
    return [p for p in getattr(geom, "geoms", []) if isinstance(p, Polygon) and not p.is_empty]


def repair_ring_list(geom: BaseGeometry) -> tuple[Polygon | MultiPolygon, bool]:
    """Rebuild a multipolygon written as a list of rings (holes as polygons) by even-odd fill."""
    parts = polygons_of(geom)
    if len(parts) < 2:
        return shapely.make_valid(geom) if not geom.is_valid else geom, False
    overlap = sum(p.area for p in parts) - shapely.union_all(parts).area
    if overlap <= 1e-6 * sum(p.area for p in parts):
        return geom, False
    filled: BaseGeometry = parts[0]
    for p in parts[1:]:
        filled = filled.symmetric_difference(p)
    out = shapely.union_all(polygons_of(filled))
    return out, True


def first_field(
    columns: Iterable[str], wanted: str | None, candidates: Sequence[str]
) -> str | None:
    """The field to use: ``wanted`` if given, else the first candidate present."""
    cols = list(columns)
    if wanted:
        if wanted not in cols:
            raise SystemExit(f"field {wanted!r} not in {cols}")
        return wanted
    return next((c for c in candidates if c in cols), None)


def read_outlines(
    paths: Sequence[str], encoding: str | None, name_field: str | None, id_field: str | None
) -> list[Outline]:
    """Read every path, project to EPSG:5179 and return the polygon rows."""
    out: list[Outline] = []
    for i, path in enumerate(paths):
        kwargs: dict[str, Any] = {"engine": "pyogrio"}
        if encoding:
            kwargs["encoding"] = encoding
        gdf = gpd.read_file(path, **kwargs)
        if gdf.crs is None:
            raise SystemExit(f"{path}: no CRS; give a file with a .prj / crs member")
        gdf = gdf.to_crs(PLANAR_CRS)
        nf = first_field(gdf.columns, name_field, NAME_FIELDS)
        idf = first_field(gdf.columns, id_field, ID_FIELDS)
        for j, row in gdf.iterrows():
            g = row.geometry
            if g is None or g.is_empty or g.area <= 0:
                continue
            geom, repaired = repair_ring_list(g)
            if not geom.is_valid:
                geom = shapely.union_all(polygons_of(shapely.make_valid(geom)))
            ident = str(row[idf]) if idf else f"{i}:{j}"
            name = str(row[nf]) if nf else ident
            out.append(Outline(i, ident, name, geom, repaired, polygons_of(geom)))
    return out


def percentiles(values: Sequence[float]) -> dict[str, float | int]:
    """n, median, p75, p90, p95, max and mean of ``values``."""
    arr = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if arr.size == 0:
        return {"n": 0}
    res: dict[str, float | int] = {"n": int(arr.size)}
    for q in PERCENTILES:
        res["median" if q == 50 else f"p{q}"] = round(float(np.percentile(arr, q)), 4)
    res["max"] = round(float(arr.max()), 4)
    res["mean"] = round(float(arr.mean()), 4)
    return res


def area_class(area: float) -> str:
    """Label of the area class ``area`` falls in."""
    return next(label for label, lo, hi in AREA_CLASSES if lo <= area < hi)


def measure(geom: BaseGeometry) -> dict[str, Any]:
    """Area, r, compactness and H/r at the representative point and centroid of one outline."""
    area = float(geom.area)
    r = equal_area_radius(area)
    rep = geom.representative_point()
    cen = geom.centroid
    h_rep = hausdorff(geom, disc(rep, area))
    h_cen = hausdorff(geom, disc(cen, area))
    return {
        "area_m2": round(area, 1),
        "r_m": round(r, 1),
        "compactness": round(compactness(geom), 4),
        "h_rep_m": round(h_rep, 1),
        "h_centroid_m": round(h_cen, 1),
        "ratio_rep": round(h_rep / r, 4),
        "ratio_centroid": round(h_cen / r, 4),
    }


def by_class(rows: Sequence[dict[str, Any]], key: str, min_n: int = 5) -> dict[str, Any]:
    """Percentiles of ``key`` per area class (classes with fewer than ``min_n`` rows noted)."""
    res: dict[str, Any] = {}
    for label, lo, hi in AREA_CLASSES:
        vals = [r[key] for r in rows if lo <= r["area_m2"] < hi]
        res[label] = (
            percentiles(vals) if len(vals) >= min_n else {"n": len(vals), "note": "too few"}
        )
    return res


def pair_check(
    outlines: Sequence[Outline],
    site_rows: Sequence[dict[str, Any]],
    ks: dict[str, float],
    max_km: float,
    max_pairs: int,
    seed: int,
) -> dict[str, Any]:
    """True gap vs representative-point-disc gap for pairs within ``max_km``."""
    discs = [disc(o.geom.representative_point(), o.geom.area) for o in outlines]
    cand: list[tuple[int, int, float]] = []
    for i, j in itertools.combinations(range(len(outlines)), 2):
        d = outlines[i].geom.distance(outlines[j].geom)
        if d <= max_km * 1000.0:
            cand.append((i, j, d))
    n_within = len(cand)
    if len(cand) > max_pairs:
        cand = random.Random(seed).sample(cand, max_pairs)
    errs: list[float] = []
    needed: list[float] = []
    exceed = dict.fromkeys(ks, 0)
    exceed_h = 0
    overlap_true = 0
    for i, j, d in cand:
        dd = discs[i].distance(discs[j])
        err = dd - d
        rs = site_rows[i]["r_m"] + site_rows[j]["r_m"]
        hs = site_rows[i]["h_rep_m"] + site_rows[j]["h_rep_m"]
        errs.append(err)
        needed.append(abs(err) / rs)
        overlap_true += d == 0.0
        for name, k in ks.items():
            exceed[name] += abs(err) > k * rs + 1e-6
        exceed_h += abs(err) > hs + 0.5  # 0.5 m: rounding of the stored H
    n = len(cand)
    return {
        "pairs_within_max_km": n_within,
        "pairs_checked": n,
        "pairs_touching_or_overlapping": overlap_true,
        "abs_error_m": percentiles([abs(e) for e in errs]),
        "signed_error_m_mean": round(float(np.mean(errs)), 1) if errs else None,
        "k_needed_per_pair": percentiles(needed),
        "share_exceeding_k_bound": {
            name: {
                "k": round(k, 4),
                "exceeding": exceed[name],
                "share": round(exceed[name] / n, 4) if n else None,
            }
            for name, k in ks.items()
        },
        "exceeding_exact_bound_Ha_plus_Hb": exceed_h,
    }


def norm(name: str) -> str:
    """Name with complex-type suffixes and spaces removed, for matching."""
    return _SUFFIX.sub("", name)


def site_points(sites_path: Path) -> list[dict[str, Any]]:
    """Built-in sites and parts: key, part, name, lon, lat, area, point confidence."""
    doc = yaml.safe_load(sites_path.read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = []
    for s in doc["sites"]:
        conf = (s.get("provenance") or {}).get("point", {}).get("confidence")
        rows.append(
            {
                "key": s["key"],
                "part": None,
                "name": s["name_ko"],
                "lon": s["lon"],
                "lat": s["lat"],
                "area_m2": s.get("area_m2"),
                "confidence": conf,
            }
        )
        for p in s.get("parts") or []:
            pconf = (p.get("provenance") or {}).get("point", {}).get("confidence")
            rows.append(
                {
                    "key": s["key"],
                    "part": p["name_ko"],
                    "name": p["name_ko"],
                    "lon": p["lon"],
                    "lat": p["lat"],
                    "area_m2": p.get("area_m2"),
                    "confidence": pconf,
                }
            )
    return rows


def match_sites(outlines: Sequence[Outline], sites_path: Path) -> dict[str, Any]:
    """Compare built-in points (and discs) with the sample outlines they describe."""
    pts = site_points(sites_path)
    to_planar = Transformer.from_crs("EPSG:4326", PLANAR_CRS, always_xy=True)
    by_norm: dict[str, list[dict[str, Any]]] = {}
    for p in pts:
        by_norm.setdefault(norm(p["name"]), []).append(p)
    matches: list[dict[str, Any]] = []
    for o in outlines:
        found: list[dict[str, Any]] = []
        if o.ident in DAN_ID_MATCHES:
            key, part = DAN_ID_MATCHES[o.ident]
            site_rows = [p for p in pts if p["key"] == key]
            has_parts = any(p["part"] for p in site_rows)
            found = [
                p
                for p in site_rows
                if (
                    p["part"] == part
                    if part
                    else (p["part"] is None if not has_parts else p["part"] == p["name"])
                )
            ][:1]
            if not found and site_rows:
                found = site_rows[:1]
        else:
            found = by_norm.get(norm(o.name), [])[:1]
        for p in found:
            x, y = to_planar.transform(p["lon"], p["lat"])
            ours = Point(x, y)
            rep = o.geom.representative_point()
            true_area = float(o.geom.area)
            area = float(p["area_m2"]) if p["area_m2"] else true_area
            r = equal_area_radius(area)
            h = hausdorff(o.geom, disc(ours, area))
            matches.append(
                {
                    "sample_id": o.ident,
                    "sample_name": o.name,
                    "site_key": p["key"],
                    "part": p["part"],
                    "point_confidence": p["confidence"],
                    "point_to_rep_point_m": round(ours.distance(rep), 1),
                    "point_to_outline_m": round(ours.distance(o.geom), 1),
                    "point_inside_outline": bool(o.geom.contains(ours)),
                    "our_area_m2": p["area_m2"],
                    "true_area_m2": round(true_area, 1),
                    "area_ratio_ours_to_true": round(area / true_area, 4),
                    "scope_mismatch": not 2 / 3 <= area / true_area <= 1.5,
                    "r_m": round(r, 1),
                    "h_our_disc_m": round(h, 1),
                    "h_our_disc_over_r": round(h / r, 4),
                    "h_disc_at_true_rep_point_m": round(hausdorff(o.geom, disc(rep, area)), 1),
                }
            )
    groups: dict[str, Any] = {}
    for conf in ("high", "medium", "low"):
        rows = [m for m in matches if m["point_confidence"] == conf and not m["scope_mismatch"]]
        if rows:
            groups[conf] = {
                "n": len(rows),
                "points_outside_outline": sum(not m["point_inside_outline"] for m in rows),
                "point_to_rep_point_m": percentiles([m["point_to_rep_point_m"] for m in rows]),
                "h_our_disc_over_r": percentiles([m["h_our_disc_over_r"] for m in rows]),
            }
    return {
        "matches": matches,
        "by_point_confidence": groups,
        "note": (
            "our area missing -> the outline's area is used; scope_mismatch (our area outside "
            "2/3..3/2 of the outline's) means the outline is not the same extent as the built-in "
            "part, and the row is left out of by_point_confidence"
        ),
    }


def markdown(res: dict[str, Any]) -> str:
    """Short Markdown summary of the results."""
    s = res["per_site"]["ratio_rep"]
    c = res["per_site"]["ratio_centroid"]
    p = res["per_part"]["ratio_rep"]
    lines = [
        "## Equal-area disc vs real outline: H / r",
        "",
        f"Sample: {res['sample']['n_outlines']} outlines ({res['sample']['n_parts']} parts).",
        "",
        "| unit | n | median | p75 | p90 | p95 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, d in (("site, rep. point", s), ("site, centroid", c), ("part, rep. point", p)):
        lines.append(
            f"| {label} | {d['n']} | {d['median']} | {d['p75']} | {d['p90']} | {d['p95']} | {d['max']} |"
        )
    lines += [
        "",
        "| area class (site, rep. point) | n | median | p90 | max |",
        "|---|---|---|---|---|",
    ]
    for label, d in res["per_site"]["ratio_rep_by_area_class"].items():
        if "median" in d:
            lines.append(f"| {label} | {d['n']} | {d['median']} | {d['p90']} | {d['max']} |")
        else:
            lines.append(f"| {label} | {d['n']} | – | – | – |")
    pc = res["pairs"]
    lines += [
        "",
        f"Pairs within {res['method']['max_pair_km']} km: {pc['pairs_checked']} checked; "
        f"|gap error| median {pc['abs_error_m'].get('median')} m, p95 {pc['abs_error_m'].get('p95')} m, "
        f"max {pc['abs_error_m'].get('max')} m.",
    ]
    for name, d in pc["share_exceeding_k_bound"].items():
        lines.append(
            f"- k = {name} ({d['k']}): {d['exceeding']} pairs ({d['share']:.1%}) exceed k·(r_a + r_b)"
        )
    lines.append(
        f"- exact bound H_a + H_b exceeded: {pc['exceeding_exact_bound_Ha_plus_Hb']} pairs"
    )
    rc = res["recommendation"]
    lines.append(
        f"\nRecommended k: **{rc['k']}** (conservative {rc['k_conservative']}). {rc['why']}."
    )
    sm = res.get("built_in_sites")
    if sm and sm["matches"]:
        lines += [
            "",
            "| built-in site | part | conf. | point→rep. pt (m) | inside | H/r (our disc) |",
            "|---|---|---|---|---|---|",
        ]
        for m in sm["matches"]:
            lines.append(
                f"| {m['site_key']} | {m['part'] or ''} | {m['point_confidence']} | {m['point_to_rep_point_m']} | "
                f"{'yes' if m['point_inside_outline'] else 'no'} | {m['h_our_disc_over_r']} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help="outline files (shapefile, GeoJSON, GeoPackage)")
    ap.add_argument(
        "--source", action="append", default=[], help="description of each PATH, in order"
    )
    ap.add_argument("--name-field", default=None, help="name column (default: DAN_NAME, name)")
    ap.add_argument("--id-field", default=None, help="id column (default: DAN_ID, id)")
    ap.add_argument("--encoding", default=None, help="attribute encoding, e.g. cp949")
    ap.add_argument("--max-pair-km", type=float, default=20.0)
    ap.add_argument("--max-pairs", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument(
        "--sites", default=str(Path(__file__).resolve().parents[1] / "geodata" / "sites.yaml")
    )
    ap.add_argument("--no-sites", action="store_true", help="skip the built-in site comparison")
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "calibration_results.json")
    )
    args = ap.parse_args(argv)

    outlines = read_outlines(args.paths, args.encoding, args.name_field, args.id_field)
    if len(outlines) < 2:
        raise SystemExit("need at least two outlines")
    site_rows = [
        {"id": o.ident, "name": o.name, "n_parts": len(o.parts), **measure(o.geom)}
        for o in outlines
    ]
    part_rows: list[dict[str, Any]] = []
    multi_rows: list[dict[str, Any]] = []
    for o in outlines:
        for k, part in enumerate(o.parts):
            part_rows.append({"id": o.ident, "part": k, **measure(part)})
        if len(o.parts) > 1:
            union = shapely.union_all([disc(pp.representative_point(), pp.area) for pp in o.parts])
            h = hausdorff(o.geom, union)
            r = equal_area_radius(o.geom.area)
            multi_rows.append(
                {
                    "id": o.ident,
                    "name": o.name,
                    "n_parts": len(o.parts),
                    "h_part_discs_m": round(h, 1),
                    "ratio_part_discs": round(h / r, 4),
                    "ratio_single_disc": next(
                        s["ratio_rep"] for s in site_rows if s["id"] == o.ident
                    ),
                }
            )

    ratios = [r["ratio_rep"] for r in site_rows]
    k90, k95 = float(np.percentile(ratios, 90)), float(np.percentile(ratios, 95))
    k_rec, k_cons = math.ceil(k90 * 20) / 20, math.ceil(k95 * 20) / 20
    ks = {"p90": k90, "p95": k95, "recommended": k_rec, "conservative": k_cons}
    pairs = pair_check(outlines, site_rows, ks, args.max_pair_km, args.max_pairs, args.seed)
    share = {name: d["share"] for name, d in pairs["share_exceeding_k_bound"].items()}
    rec = {
        "k": k_rec,
        "k_conservative": k_cons,
        "why": (
            f"k = p90 of per-site H/r at the representative point ({k90:.3f}) rounded up to "
            f"0.05: 90 % of sites lie within k*r of their disc, and only {share['recommended']:.1%} "
            f"of pairs within {args.max_pair_km:g} km have a gap error above k*(r_a + r_b), because "
            "the bound adds two sites' worst cases. k_conservative = p95 rounded up "
            f"({k95:.3f} -> {k_cons}): {share['conservative']:.1%} of pairs exceed; use it for "
            "one-sided claims about a single site. Both assume the point is the outline's "
            "representative point; a wrong point adds its offset (see built_in_sites)"
        ),
    }
    sources = [
        {
            "path": Path(p).name,
            "description": (args.source[i] if i < len(args.source) else None),
            "n_outlines": sum(o.source == i for o in outlines),
            "n_ring_lists_rebuilt": sum(o.source == i and o.repaired for o in outlines),
        }
        for i, p in enumerate(args.paths)
    ]
    res: dict[str, Any] = {
        "sample": {
            "sources": sources,
            "n_outlines": len(outlines),
            "n_parts": len(part_rows),
            "n_multipart_outlines": len(multi_rows),
            "area_m2": percentiles([r["area_m2"] for r in site_rows]),
        },
        "method": {
            "crs": PLANAR_CRS,
            "disc": f"regular {SEGMENTS}-gon of the outline's area (as sandan_geo.model.equal_area_disc)",
            "r": "sqrt(area / pi)",
            "hausdorff": (
                f"shapely.hausdorff_distance(outline, disc, densify={DENSIFY}): discrete Hausdorff "
                "distance of the boundaries with each segment split into 20; equals the true "
                "Hausdorff distance of the boundaries up to 1/40 of the longest segment, and bounds "
                "the Hausdorff distance of the filled regions from above"
            ),
            "centres": "representative_point() (the library's choice) and centroid",
            "compactness": "Polsby-Popper 4*pi*A/P^2",
            "pairs": "sites whose true gap <= max_pair_km; error = disc gap - true gap (planar)",
            "max_pair_km": args.max_pair_km,
            "seed": args.seed,
        },
        "per_site": {
            "ratio_rep": percentiles(ratios),
            "ratio_centroid": percentiles([r["ratio_centroid"] for r in site_rows]),
            "ratio_rep_by_area_class": by_class(site_rows, "ratio_rep"),
            "compactness": percentiles([r["compactness"] for r in site_rows]),
            "corr_ratio_vs_compactness": round(
                float(np.corrcoef([r["compactness"] for r in site_rows], ratios)[0, 1]), 3
            ),
            "rows": site_rows,
        },
        "per_part": {
            "ratio_rep": percentiles([r["ratio_rep"] for r in part_rows]),
            "ratio_centroid": percentiles([r["ratio_centroid"] for r in part_rows]),
            "ratio_rep_by_area_class": by_class(part_rows, "ratio_rep"),
            "multipart_sites_union_of_part_discs": multi_rows,
        },
        "pairs": pairs,
        "recommendation": rec,
    }
    if not args.no_sites and Path(args.sites).exists():
        res["built_in_sites"] = match_sites(outlines, Path(args.sites))
    Path(args.out).write_text(
        json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
