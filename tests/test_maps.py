"""Maps in a real headless Chromium: content, offline self-sufficiency, escaping, determinism.

Browser tests need Debian's `chromium` (CI installs it). Without it they skip, unless
SANDAN_GEO_REQUIRE_BROWSER=1 (set by CI), which turns a missing browser into a failure.
Screenshots of the built-in plans are kept in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sandan_geo as sg
from sandan_geo.maps import CHROMIUM_FLAGS, find_chromium, limit_area

ARTIFACTS = Path(__file__).parent / "artifacts"
BROWSER = find_chromium()


def _need_browser() -> None:
    if BROWSER is None:
        if os.environ.get("SANDAN_GEO_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required here (SANDAN_GEO_REQUIRE_BROWSER=1) but not found")
        pytest.skip("no Chromium installed")


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=BROWSER, args=list(CHROMIUM_FLAGS[1:]))
        yield b
        b.close()


class Page:
    """A loaded page and what happened while loading it."""

    def __init__(self, browser, path: Path, *, block_network: bool) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.add_init_script("window.__pwned = false;")

        def route(r):
            url = r.request.url
            if not url.startswith(("file:", "data:", "about:")):
                self.requests.append(url)
                if block_network:
                    return r.abort()
            return r.continue_()

        self.page.route("**/*", route)
        self.page.goto(path.as_uri())
        self.page.wait_for_timeout(600)

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def close(self) -> None:
        self.context.close()


def make_map(
    tmp_path: Path, plan_id: str, *, offline: bool = True, **kw
) -> tuple[Path, sg.Plan, sg.Report]:
    plan = sg.load_plan(plan_id)
    report = sg.check_plan(plan, **kw) if (plan.rules or kw) else None
    m = sg.plan_map(
        plan, report=report, offline=offline, tiles="none" if offline else "openstreetmap"
    )
    path = tmp_path / f"{plan_id}.html"
    sg.save_map(m, path, offline=offline)
    return path, plan, report


PLANS_2020 = [p for p in sg.builtin_plan_ids() if p.endswith("-2020")]


@pytest.mark.browser
@pytest.mark.parametrize("plan_id", PLANS_2020)
def test_offline_map_renders_everything_with_no_network(browser, tmp_path, plan_id):
    path, plan, report = make_map(tmp_path, plan_id, max_km=10)
    page = Page(browser, path, block_network=True)
    try:
        assert page.errors == []
        assert page.requests == [], "an offline map must make no network request"
        assert page.count(".sg-marker") == len(plan.sites)
        assert page.count("path.sg-link") == len(plan.links)
        assert page.count("path.sg-arrow") == len(plan.links)
        distance_checks = [c for c in report.checks if c.value_km is not None]
        assert page.count("path.sg-check") == len(distance_checks)
        assert page.count("path.sg-fail") == sum(not c.passed for c in distance_checks)
        assert page.count("path.sg-limit") == 1  # one metric, one limit
        with_extent = sum(m.site.extent is not None for m in plan.sites)
        assert page.count("path.sg-extent") >= with_extent
        assert page.count(".sg-legend") == 1
        assert page.count(".leaflet-control-layers") == 1
        assert page.count(".leaflet-control-scale") == 1
        assert plan.name in page.page.locator(".sg-title-box").inner_text()
        assert page.count("path.sg-basemap") > 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / f"{plan_id}.png"))
    finally:
        page.close()


@pytest.mark.browser
def test_online_map_asks_for_tiles_and_leaflet(browser, tmp_path):
    path, _, _ = make_map(tmp_path, "daegu-2020", offline=False)
    page = Page(browser, path, block_network=True)
    try:
        assert any("leaflet" in u for u in page.requests)
    finally:
        page.close()


PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "${alert(3)}",
    "`+alert(4)+`",
    "\\1\\u0041\\x41",
    "\u2028<!--<svg onload=alert(5)>",
    "'\"><iframe src=javascript:alert(6)>",
]


def hostile_plan() -> sg.Plan:
    sites = [
        {
            "key": "h",
            "name": PAYLOADS[0],
            "role": "hub",
            "lon": 128.50,
            "lat": 35.84,
            "industries": [PAYLOADS[2]],
            "name_en": PAYLOADS[3],
        },
        {
            "key": "a",
            "name": PAYLOADS[1],
            "role": "linked_complex",
            "lon": 128.55,
            "lat": 35.88,
            "area_m2": 1_000_000,
            "function": PAYLOADS[4],
        },
        {"key": "b", "name": PAYLOADS[5], "role": "linked_zone", "lon": 128.45, "lat": 35.80},
    ]
    links = [
        {"from": "a", "to": "h", "relation": PAYLOADS[6]},
        {"from": "b", "to": "h", "relation": PAYLOADS[2]},
    ]
    return sg.load_plan(
        {
            "id": "xss",
            "name": PAYLOADS[1] + PAYLOADS[2],
            "rules": "daegu",
            "sites": sites,
            "links": links,
        }
    )


@pytest.mark.browser
def test_hostile_text_shows_as_text_and_runs_nothing(browser, tmp_path):
    plan = hostile_plan()
    m = sg.plan_map(plan, report=sg.check_plan(plan), offline=True)
    path = tmp_path / "xss.html"
    sg.save_map(m, path)
    page = Page(browser, path, block_network=True)
    try:
        p = page.page
        assert page.errors == [] and page.dialogs == []
        assert p.evaluate("window.__pwned") is False
        assert p.locator("img[src=x]").count() == 0 and p.locator("iframe").count() == 0
        assert p.locator(".sg-title-box").inner_text().startswith(PAYLOADS[1] + PAYLOADS[2])
        # open each site's popup and each link's tooltip: the text must be there, verbatim
        shown = []
        for i in range(page.count(".sg-marker")):
            p.evaluate(
                "i => document.querySelectorAll('.sg-marker')[i]"
                ".dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                i,
            )
            p.wait_for_timeout(100)
            shown.extend(p.locator(".leaflet-popup-content").all_inner_texts())
        text = "\n".join(shown)
        for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], PAYLOADS[3], PAYLOADS[4]):
            assert payload in text
        assert p.evaluate("window.__pwned") is False and page.dialogs == []
    finally:
        page.close()


def test_html_escapes_script_breakouts_in_the_data():
    plan = hostile_plan()
    html = sg.map_html(sg.plan_map(plan, report=sg.check_plan(plan), offline=True))
    body = html.split('type="application/json"', 1)[1].split("</script>", 1)[0]
    assert "<" not in body and ">" not in body.split(">", 1)[1]
    assert html.count("</script>") == html.count("<script")


def test_same_input_gives_the_same_bytes(tmp_path):
    code = (
        "import sandan_geo as sg, sys; p = sg.load_plan('jeonnam-2020');"
        "sg.save_map(sg.plan_map(p, report=sg.check_plan(p)), sys.argv[1], offline=True)"
    )
    outs = []
    for i in range(2):
        out = tmp_path / f"m{i}.html"
        subprocess.run([sys.executable, "-c", code, str(out)], check=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    p = sg.load_plan("jeonnam-2020")
    assert sg.map_html(sg.plan_map(p)) == sg.map_html(sg.plan_map(p))


def test_html_is_utf8_with_meta_charset(tmp_path):
    path, _, _ = make_map(tmp_path, "daegu-2020")
    raw = path.read_bytes()
    assert b'<meta charset="utf-8">' in raw
    assert "성서일반산업단지".encode() in raw


def test_limit_shapes_are_geodesically_correct():
    from shapely import Point

    from sandan_geo.crs import geodesic_m

    hub = (128.5, 35.84)
    circle = limit_area(Point(*hub), hub, 7500.0)
    for x, y in list(circle.exterior.coords)[::7]:
        assert geodesic_m(hub, (x, y)) == pytest.approx(7500.0, abs=1.0)
    site = sg.load_plan("daegu-2020").hub.site
    area = limit_area(site.footprint, (site.lon, site.lat), 7500.0)
    from sandan_geo.measure import nearest_points_lonlat

    for x, y in list(area.exterior.coords)[::11]:
        p, q = nearest_points_lonlat(site.footprint, Point(x, y))
        assert geodesic_m(p, q) == pytest.approx(7500.0, rel=2e-3)


def test_vworld_needs_a_key_and_bad_tiles_are_refused(monkeypatch):
    plan = sg.load_plan("daegu-2020")
    monkeypatch.delenv("VWORLD_API_KEY", raising=False)
    with pytest.raises(sg.InputError, match="VWorld tiles need an API key"):
        sg.plan_map(plan, tiles="vworld")
    m = sg.plan_map(plan, tiles="vworld", vworld_key="ABCD-1234-EFGH")
    assert "api.vworld.kr/req/wmts/1.0.0/ABCD-1234-EFGH/Base/{z}/{y}/{x}.png" in sg.map_html(m)
    with pytest.raises(sg.InputError, match="unexpected characters"):
        sg.plan_map(plan, tiles="vworld", vworld_key="x');alert(1);//")
    with pytest.raises(sg.InputError, match="unknown tiles"):
        sg.plan_map(plan, tiles="google")


def test_overview_has_a_layer_per_plan(tmp_path):
    plans = [sg.load_plan(p) for p in sg.builtin_plan_ids()]
    html = sg.map_html(sg.overview_map(plans, offline=True))
    for p in plans:
        assert f'"id":"{p.id}"' in html


@pytest.mark.browser
def test_png_rendering(tmp_path):
    _need_browser()
    out = tmp_path / "daegu.png"
    sg.save_png(sg.plan_map(sg.load_plan("daegu-2020"), offline=True), out, width=800, height=600)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (800, 600)


def test_png_without_chromium_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDAN_GEO_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(sg.MissingDependencyError, match="apt-get install chromium"):
        sg.save_png(sg.plan_map(sg.load_plan("daegu-2020"), offline=True), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_cli_map(tmp_path):
    from click.testing import CliRunner

    from sandan_geo.cli import cli

    out = tmp_path / "j.html"
    r = CliRunner().invoke(cli, ["map", "jeonnam-2020", "--offline", "-o", str(out)])
    assert r.exit_code in (0, 1, 4), r.output
    assert "<script src=" not in out.read_text(encoding="utf-8")
    r = CliRunner().invoke(cli, ["map", "--all", "--offline", "--max-km", "10", "-o", str(out)])
    assert r.exit_code in (0, 1, 4)
    r = CliRunner().invoke(cli, ["map", "daegu-2020"])
    assert r.exit_code == 2 and "give -o" in r.output


@pytest.mark.browser
def test_overview_map_in_the_browser_has_one_layer_per_plan(browser, tmp_path):
    plans = [sg.load_plan(p) for p in ("daegu-2020", "jeonnam-2020", "gwangju-2020")]
    reports = [sg.check_plan(plans[0]), sg.check_plan(plans[1]), None]
    path = tmp_path / "overview.html"
    sg.save_map(sg.overview_map(plans, reports=reports, offline=True), path)
    page = Page(browser, path, block_network=True)
    try:
        assert page.errors == [] and page.requests == []
        labels = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert len(labels) == 1 + len(plans)  # the outlines basemap + one per plan
        assert page.count(".sg-marker") == sum(len(p.sites) for p in plans)
        assert page.count("path.sg-limit") == 2
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "overview.png"))
    finally:
        page.close()


@pytest.mark.browser
def test_sites_map_of_many_sites_renders(browser, tmp_path):
    import random

    rnd = random.Random(7)
    sites = [
        sg.Site(
            key=f"s{i}",
            name_ko=f"산단{i}",
            lon=rnd.uniform(126.6, 129.2),
            lat=rnd.uniform(35.0, 37.5),
        )
        for i in range(2000)
    ]
    path = tmp_path / "many.html"
    sg.save_map(sg.sites_map(sites, offline=True), path)
    page = Page(browser, path, block_network=True)
    try:
        assert page.errors == [] and page.requests == []
        assert page.count("canvas") >= 1
        assert page.count(".sg-marker") == 0  # one canvas layer, not 2,000 DOM markers
    finally:
        page.close()


@pytest.mark.browser
def test_every_builtin_plan_renders_in_the_rounds_overview(browser, tmp_path):
    plans = [sg.load_plan(p) for p in sg.builtin_plan_ids()]
    path = tmp_path / "rounds.html"
    sg.save_map(sg.overview_map(plans, group_by="year", offline=True), path)
    page = Page(browser, path, block_network=True)
    try:
        assert page.errors == [] and page.requests == []
        assert page.count(".sg-marker") == sum(len(p.sites) for p in plans)
        years = {str(p.meta["round"]) for p in plans}
        labels = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert {x.strip() for x in labels} >= years
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "rounds.png"))
    finally:
        page.close()


def test_rounds_overview_groups_layers_by_year():
    plans = [sg.load_plan(p) for p in ("jeonnam-2020", "jeonnam-2023", "gunsan-2019")]
    html = sg.map_html(sg.overview_map(plans, group_by="year", offline=True))
    for year in ('"group":"2019"', '"group":"2020"', '"group":"2023"'):
        assert year in html
    with pytest.raises(sg.InputError, match="group_by"):
        sg.overview_map(plans, group_by="region")
