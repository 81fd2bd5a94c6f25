"""Map scale benchmark: a map of N sites, its HTML size, load and pan time in headless Chromium.

    python benchmarks/map_bench.py [--n 10000]

Compares sandan_geo.sites_map (one canvas layer, tooltips made on hover) with the plain-folium
anchor (one folium.CircleMarker + Tooltip per site). Writes docs/benchmarks-maps.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import folium
import numpy as np

import sandan_geo as sg
from sandan_geo.maps import CHROMIUM_FLAGS, find_chromium

ROOT = Path(__file__).resolve().parents[1]


def synthetic_sites(n: int, seed: int = 20200508) -> list[sg.Site]:
    """Clustered sites inside South Korea's mainland box, reproducible."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([126.5, 34.8], [129.3, 37.6], size=(40, 2))
    which = rng.integers(0, len(centres), n)
    pts = centres[which] + rng.normal(0, 0.08, size=(n, 2))
    kinds = list(sg.Kind)
    return [
        sg.Site(
            key=f"s{i}", name_ko=f"산단 {i}", lon=float(x), lat=float(y), kind=kinds[i % len(kinds)]
        )
        for i, (x, y) in enumerate(pts)
    ]


def folium_anchor(sites: list[sg.Site]) -> folium.Map:
    m = folium.Map(location=[36.3, 127.8], zoom_start=7, tiles=None)
    for s in sites:
        folium.CircleMarker([s.lat, s.lon], radius=4, tooltip=s.name_ko).add_to(m)
    return m


def measure_page(browser, path: Path, repeats: int = 3) -> dict[str, float]:
    loads, pans = [], []
    for _ in range(repeats):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route(
            "**/*", lambda r: r.abort() if r.request.url.startswith("http") else r.continue_()
        )
        t0 = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        loads.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        page.evaluate(
            """() => new Promise(r => {
                 const m = Object.values(window).find(v => v && v._leaflet_id && v.panBy);
                 if (!m) { r(); return; }
                 m.panBy([300, 200], {animate: false});
                 requestAnimationFrame(() => requestAnimationFrame(r));
               })"""
        )
        pans.append(time.perf_counter() - t0)
        page.close()
    return {"load_s": statistics.median(loads), "pan_s": statistics.median(pans)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    sites = synthetic_sites(args.n)
    browser_path = find_chromium()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ours = sg.sites_map(sites, offline=True)
        ours_path = Path(tmp) / "ours.html"
        sg.save_map(ours, ours_path)
        results["sandan_geo.sites_map (offline)"] = {
            "build_s": time.perf_counter() - t0,
            "html_mb": ours_path.stat().st_size / 1e6,
        }
        t0 = time.perf_counter()
        anchor = folium_anchor(sites)
        anchor_path = Path(tmp) / "anchor.html"
        sg.save_map(anchor, anchor_path, offline=True)
        results["folium: one CircleMarker+Tooltip per site"] = {
            "build_s": time.perf_counter() - t0,
            "html_mb": anchor_path.stat().st_size / 1e6,
        }
        if browser_path:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=browser_path, args=list(CHROMIUM_FLAGS[1:]))
                results["sandan_geo.sites_map (offline)"].update(measure_page(b, ours_path))
                results["folium: one CircleMarker+Tooltip per site"].update(
                    measure_page(b, anchor_path)
                )
                b.close()
    lines = [
        "# Benchmarks: maps of many sites",
        "",
        f"Command: `python benchmarks/map_bench.py --n {args.n}`. Machine: {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}, folium {folium.__version__}, "
        f"headless Chromium ({browser_path or 'not found'}), network blocked.",
        "",
        f"{args.n:,} clustered synthetic sites. Load = navigation to the `load` event plus two "
        "animation frames (median of 3); pan = `panBy(300, 200)` plus two frames.",
        "",
        "| map | build (s) | HTML (MB) | load (s) | pan (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['build_s']:.2f} | {r['html_mb']:.2f} | "
            f"{r.get('load_s', float('nan')):.2f} | {r.get('pan_s', float('nan')):.3f} |"
        )
    (ROOT / "docs" / "benchmarks-maps.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ROOT / "benchmarks" / "map_results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
