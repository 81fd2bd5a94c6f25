"""Maps in a real headless Chromium: content, offline self-sufficiency, escaping, determinism.

Browser tests need Debian's `chromium` (CI installs it). Without it they skip, unless
SANDAN_GEO_REQUIRE_BROWSER=1 (set by CI), which turns a missing browser into a failure.
Screenshots of the built-in plans are kept in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
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

    def __init__(self, browser, path: Path, *, block_network: bool, viewport=(1400, 1000)) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
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
        for verdict in ("pass", "fail", "uncertain"):  # each check drawn in its verdict's style
            want = sum(c.verdict == verdict for c in distance_checks)
            assert page.count(f"path.sg-{verdict}") == want, verdict
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


# ------------------------------------------------ every text field of every map kind (issue 19)

# Each payload, if it were parsed as HTML, would set window.__pwned (or open a dialog);
# each must instead appear on the page as the literal text it is.
XSS_CORPUS = [
    "<img src=x onerror=\"window.__pwned='img'\">",
    "<svg onload=\"window.__pwned='svg'\">",
    "<details open ontoggle=\"window.__pwned='details'\">",
    "<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
    "<script>window.__pwned='script'</script>",
    "<a href=\"javascript:window.__pwned='url'\">javascript:window.__pwned='url'</a>",
    '"><b>굵게</b>',
    "대구 <i>성서</i>산단 &amp; '소재' \"공급\" · 전남",
]
_DANGEROUS = (
    "img[src=x], svg[onload], details, iframe, b, a[href^='javascript:'], "
    "[onerror], [onload], [ontoggle], [srcdoc]"
)
_COLLECT_TEXT = """() => {
  const maps = Object.keys(window).filter(k => k.startsWith("map_") && window[k] instanceof L.Map)
    .map(k => window[k]);
  const out = [];
  maps.forEach(m => m.eachLayer(l => {
    if (l.getTooltip && l.getTooltip()) {
      l.openTooltip(); const e = l.getTooltip().getElement(); if (e) { out.push(e.textContent); }
    }
    if (l.getPopup && l.getPopup()) {
      l.openPopup(); const e = l.getPopup().getElement(); if (e) { out.push(e.textContent); }
    }
  }));
  document.querySelectorAll(".leaflet-control-layers label, .sg-title-box, .sg-legend")
    .forEach(e => out.push(e.textContent));
  return {maps: maps.length, text: out.join("\\n")};
}"""


def _tagged(payload: str, field: str) -> str:
    return f"{payload} @{field}"


def _every_field_plan(payload: str, n: int) -> sg.Plan:
    """A plan whose every text field is ``payload`` tagged with the field's name."""

    def t(field: str) -> str:
        return _tagged(payload, f"{field}{n}")

    hub = {
        "key": "h",
        "name": t("hub_name"),
        "name_en": t("hub_name_en"),
        "role": "hub",
        "lon": 128.50 + n * 0.3,
        "lat": 35.84,
        "industries": [t("industry")],
        "function": t("function"),
        "province": t("province"),
        "municipality": t("municipality"),
    }
    linked = {
        "key": "a",
        "name": t("linked_name"),
        "role": "linked_complex",
        "lon": 128.55 + n * 0.3,
        "lat": 35.88,
        "area_m2": 1_000_000,
    }
    zone = {"key": "z", "name": t("zone_name"), "role": "linked_zone", "lon": 128.45 + n * 0.3,
            "lat": 35.80}  # fmt: skip
    return sg.load_plan(
        {
            "id": t("plan_id"),
            "name": t("plan_name"),
            "round": t("round"),
            "rules": "daegu",
            "sites": [hub, linked, zone],
            "links": [
                {"from": "a", "to": "h", "relation": t("relation")},
                {"from": "z", "to": "h", "relation": t("relation_zone")},
            ],
        }
    )


def _map_kinds(payload: str) -> dict[str, tuple[object, list[str]]]:
    """Each kind of map, made from hostile text, and the tagged fields it must show."""
    one, two = _every_field_plan(payload, 0), _every_field_plan(payload, 1)
    site_fields = ["hub_name", "hub_name_en", "industry", "function", "province",
                   "municipality", "linked_name", "zone_name", "relation", "relation_zone"]  # fmt: skip
    single = sg.plan_map(one, report=sg.check_plan(one), offline=True)
    overview = sg.overview_map(
        [one, two],
        reports=[sg.check_plan(one), None],
        offline=True,
        title=_tagged(payload, "title"),
    )
    by_year = sg.overview_map([one, two], group_by="year", offline=True)
    sites = sg.sites_map(
        [m.site for m in one.sites], offline=True, title=_tagged(payload, "sites_title")
    )
    return {
        "plan": (single, [f"{f}0" for f in [*site_fields, "plan_name", "plan_id"]]),
        "overview": (
            overview,
            ["title", *[f"{f}{n}" for f in ["plan_id", "plan_name", *site_fields] for n in (0, 1)]],
        ),
        "by_year": (by_year, [f"round{n}" for n in (0, 1)] + [f"{f}1" for f in site_fields]),
        "sites": (sites, ["sites_title", "hub_name0", "linked_name0", "zone_name0"]),
    }


@pytest.mark.browser
@pytest.mark.parametrize("payload", XSS_CORPUS, ids=range(len(XSS_CORPUS)))
def test_hostile_text_in_every_field_of_every_map_kind_runs_nothing(browser, tmp_path, payload):
    """Layer names, titles, legends, tooltips and popups show user text as text, in every map."""
    for kind, (m, fields) in _map_kinds(payload).items():
        path = tmp_path / f"{kind}.html"
        sg.save_map(m, path)
        page = Page(browser, path, block_network=True)
        try:
            p = page.page
            p.wait_for_timeout(200)  # let any onerror / ontoggle / iframe script fire
            assert p.evaluate("window.__pwned") is False, kind
            assert p.locator(_DANGEROUS).count() == 0, (kind, p.locator(_DANGEROUS).count())
            got = p.evaluate(_COLLECT_TEXT)
            assert got["maps"] == 1
            p.wait_for_timeout(200)
            assert p.evaluate("window.__pwned") is False, kind
            assert p.locator(_DANGEROUS).count() == 0, kind
            assert page.dialogs == [] and page.errors == [] and page.requests == [], kind
            for field in fields:
                assert _tagged(payload, field) in got["text"], (kind, field)
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


# ------------------------------------------------ notebooks and PNG rendering (issue 19)


def _with_script(m, script: str):
    """Add a script of the map's own (as a folium plugin would) to the page's body."""
    import folium

    m.get_root().html.add_child(folium.Element(f"<script>{script}</script>"))
    return m


@pytest.mark.browser
def test_notebook_iframe_is_sandboxed_from_the_notebook_page(browser, tmp_path):
    """A map shown inline (online or offline) runs its scripts but cannot touch the notebook."""
    plan = sg.load_plan("daegu-2020")
    for offline in (False, True):
        m = sg.plan_map(plan, offline=offline, tiles="none")
        _with_script(
            m, "try { parent.__reached = 'yes'; } catch (e) {} parent.postMessage('ran', '*');"
        )
        shown = m._repr_html_()
        assert shown.count("<iframe") == 1, offline
        assert 'sandbox="allow-scripts"' in shown and "allow-same-origin" not in shown, offline
        notebook = tmp_path / f"notebook-{offline}.html"
        notebook.write_text(
            '<!DOCTYPE html><html><head><meta charset="utf-8"><script>window.__msgs = [];'
            "addEventListener('message', function (e) { __msgs.push(String(e.data)); });"
            "</script></head><body>" + shown + "</body></html>",
            encoding="utf-8",
        )
        page = Page(browser, notebook, block_network=True)
        try:
            p = page.page
            p.wait_for_timeout(300)
            assert p.evaluate("window.__reached") is None, f"reached the notebook ({offline=})"
            assert p.evaluate("window.__msgs") == ["ran"]  # its scripts did run
        finally:
            page.close()


class _Listener:
    """A tiny HTTP server on loopback that records every request it gets."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.seen: list[str] = []
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page_fetches(self) -> tuple[str, str]:
        """A script and markup that try every way a page has to reach the listener."""
        base = f"http://127.0.0.1:{self.port}"
        script = (
            f"fetch('{base}/fetch').catch(function () {{}});"
            f"var x = new XMLHttpRequest(); x.open('GET', '{base}/xhr'); x.send();"
            f"new Image().src = '{base}/image';"
            f"try {{ new WebSocket('ws://127.0.0.1:{self.port}/ws'); }} catch (e) {{}}"
            f"navigator.sendBeacon('{base}/beacon', 'x');"
            f"fetch('http://localhost:{self.port}/by-name').catch(function () {{}});"
        )
        markup = f'<img src="{base}/img"><iframe src="{base}/frame"></iframe>'
        return script, markup

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = _Listener()
    yield server
    server.close()


@pytest.mark.browser
def test_png_rendering_reaches_no_network(tmp_path, listener):
    """A page that tries to reach a server on loopback while save_png renders it reaches nothing."""
    import folium

    _need_browser()
    script, markup = listener.page_fetches()
    m = sg.plan_map(sg.load_plan("daegu-2020"), offline=True)
    _with_script(m, script)
    m.get_root().html.add_child(folium.Element(markup))
    out = tmp_path / "daegu.png"
    sg.save_png(m, out, width=600, height=400, wait_ms=1500)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    time.sleep(0.5)
    assert listener.seen == []


@pytest.mark.browser
def test_png_chromium_flags_alone_block_the_network(tmp_path, listener):
    """Without the page's policy, the flags save_png starts Chromium with still block loopback."""
    from sandan_geo import maps

    _need_browser()
    script, markup = listener.page_fetches()
    page = tmp_path / "page.html"
    page.write_text(f"<!DOCTYPE html><body>{markup}<script>{script}</script>", encoding="utf-8")

    def render(*extra: str) -> None:
        cmd = [
            BROWSER,
            *CHROMIUM_FLAGS,
            *extra,
            *maps.sandbox_flags(),
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=1500",
            f"--screenshot={tmp_path / 'shot.png'}",
            page.as_uri(),
        ]
        subprocess.run(cmd, capture_output=True, timeout=120, check=True)
        time.sleep(0.5)

    render(*maps._NO_NETWORK_FLAGS)
    assert listener.seen == []
    render()  # the control: without them the same page does reach the listener
    assert listener.seen != []


@pytest.mark.browser
def test_png_page_policy_lets_the_map_draw_and_nothing_else_run(browser, tmp_path):
    """The locked-down page save_png renders still draws every marker, with no policy error."""
    from sandan_geo import maps

    plan = sg.load_plan("daegu-2020")
    m = sg.plan_map(plan, report=sg.check_plan(plan), offline=True)
    html = maps._locked_html(sg.map_html(m, offline=True))
    assert "Content-Security-Policy" in html and "unsafe-eval" not in html
    # an event handler that got into the page anyway does not run under the policy
    html = html.replace("<body>", "<body><img src=x onerror=\"window.__pwned='csp'\">", 1)
    path = tmp_path / "locked.html"
    path.write_text(html, encoding="utf-8")
    page = Page(browser, path, block_network=True)
    try:
        assert page.count(".sg-marker") == len(plan.sites)
        assert page.count("path.sg-check") >= 1
        assert page.page.evaluate("window.__pwned") is False
        assert [e for e in page.errors if "Content Security Policy" not in e] == []
        assert any("onerror" in e or "inline event handler" in e for e in page.errors)
    finally:
        page.close()


def test_png_keeps_the_sandbox_unless_root(monkeypatch):
    from sandan_geo import maps

    assert "--no-sandbox" not in maps.CHROMIUM_FLAGS
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert maps.sandbox_flags() == []
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert maps.sandbox_flags() == ["--no-sandbox"]


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


def test_the_page_script_and_style_come_from_the_package_files():
    from importlib import resources

    import sandan_geo as sg

    static = resources.files("sandan_geo") / "static"
    css = (static / "map.css").read_text(encoding="utf-8")
    js = (static / "map.js.jinja").read_text(encoding="utf-8")
    html = sg.map_html(sg.plan_map(sg.load_plan("daegu-2020")), offline=True)
    assert css.strip().splitlines()[0] in html
    # the script's template lines that hold no template tag appear as they are
    plain = [ln.strip() for ln in js.splitlines() if ln.strip() and "{" not in ln][:20]
    assert plain and all(ln in html for ln in plain)


@pytest.mark.browser
@pytest.mark.parametrize("plan_id", ["jeonnam-2020", "gyeongbuk-2020"])
def test_network_marks_and_size_by_are_drawn(browser, tmp_path, plan_id):
    plan = sg.load_plan(plan_id)
    analysis = sg.analyze_network(plan)
    m = sg.plan_map(plan, size_by="betweenness", offline=True, tiles="none")
    path = tmp_path / "net.html"
    sg.save_map(m, path, offline=True)
    page = Page(browser, path, block_network=True)
    try:
        assert page.errors == []
        critical = analysis.sites[analysis.sites["critical"]]
        assert page.count(".sg-marker.sg-critical") == len(critical)
        assert page.count("path.sg-bridge") == int(analysis.links["bridge"].sum())
        widths = page.page.eval_on_selector_all(
            ".sg-marker span", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert len(widths) == len(plan.sites)
        betweenness = analysis.sites["betweenness"].tolist()  # same order as the plan's sites
        top, low = betweenness.index(max(betweenness)), betweenness.index(min(betweenness))
        if max(betweenness) > min(betweenness):
            assert widths[top] > widths[low]
        legend = page.page.inner_text(".sg-legend")
        assert "betweenness" in legend
        assert ("critical" in legend) == bool(len(critical))
    finally:
        page.close()


def test_size_by_must_be_a_numeric_network_column():
    with pytest.raises(
        sg.InputError, match="size_by 'name_ko' is not a numeric column.*betweenness"
    ):
        sg.plan_map(sg.load_plan("daegu-2020"), size_by="name_ko", offline=True)


@pytest.mark.browser
def test_program_map_draws_each_site_once_sized_by_its_plans(browser, tmp_path):
    from click.testing import CliRunner

    from sandan_geo.cli import cli

    path = tmp_path / "program.html"
    r = CliRunner().invoke(cli, ["program", "--map", str(path), "--offline"])
    assert r.exit_code == 0, r.output
    G = sg.program_graph()
    page = Page(browser, path, block_network=True)
    try:
        assert page.errors == [] and page.requests == []
        assert page.count(".sg-marker") == G.number_of_nodes()  # shared sites drawn once
        links = {(d["from"], d["to"]) for _, _, d in G.edges(data=True) if d.get("kind") == "link"}
        assert page.count("path.sg-link") == len(links)
        widths = page.page.eval_on_selector_all(
            ".sg-marker span", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        n_plans = [d["n_plans"] for _, d in G.nodes(data=True)]
        assert widths[n_plans.index(max(n_plans))] > widths[n_plans.index(min(n_plans))]
        assert "n_plans" in page.page.inner_text(".sg-legend")
    finally:
        page.close()


# --------------------------------------------------------------------------- readable maps

BOXES = """sel => [...document.querySelectorAll(sel)].map(e => {
  const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent];
})"""


def _area(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _demo_map(tmp_path, plan_id, *, offline=True):
    """The map the demo draws: the plan's own rules where it states some."""
    plan = sg.load_plan(plan_id)
    report = sg.check_plan(plan) if plan.rules else None
    tiles = "none" if offline else "openstreetmap"
    m = sg.plan_map(plan, report=report, offline=offline, tiles=tiles)
    path = tmp_path / f"{plan_id}.html"
    sg.save_map(m, path, offline=offline)
    return path, plan, report


@pytest.mark.browser
@pytest.mark.parametrize("plan_id", PLANS_2020)
def test_site_names_and_distance_labels_cover_nothing_at_the_default_zoom(
    browser, tmp_path, plan_id
):
    path, plan, report = _demo_map(tmp_path, plan_id)
    page = Page(browser, path, block_network=True, viewport=(1400, 900))
    try:
        assert page.errors == []
        names = page.page.evaluate(f"({BOXES})('.sg-name')")
        assert sorted(n[4] for n in names) == sorted(m.site.name_ko for m in plan.sites)
        checks = page.page.evaluate(f"({BOXES})('.sg-check-label')")
        distance = [c for c in (report.checks if report else []) if c.value_km is not None]
        assert len(checks) == len(distance)
        for c in distance:  # each distance label names the site it belongs to
            assert any(report.site_names[c.to] in t[4] for t in checks), c.to
        labels = names + checks
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert _area(a, b) == 0, f"{a[4]!r} covers {b[4]!r}"
        assert page.page.title() == plan.name
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
@pytest.mark.parametrize("plan_id", ["gwangju-2020", "daegu-2020", "jeonnam-2020"])
def test_the_map_fits_its_sites_in_the_space_the_panels_leave(browser, tmp_path, plan_id, viewport):
    path, plan, _ = _demo_map(tmp_path, plan_id)
    page = Page(browser, path, block_network=True, viewport=viewport)
    try:
        markers = page.page.evaluate(f"({BOXES})('.sg-marker')")
        panels = page.page.evaluate(
            f"({BOXES})('.sg-title-box, .sg-legend, .leaflet-control-layers')"
        )
        assert len(markers) == len(plan.sites)
        w, h = viewport
        for m in markers:
            x, y = (m[0] + m[2]) / 2, (m[1] + m[3]) / 2
            assert 0 <= x <= w and 0 <= y <= h, "a site lies off screen"
            for p in panels:
                assert not (p[0] <= x <= p[2] and p[1] <= y <= p[3]), "a panel covers a site"
    finally:
        page.close()


@pytest.mark.browser
def test_failing_checks_lie_above_passing_ones_and_look_like_nothing_else(browser, tmp_path):
    path, _, _ = make_map(tmp_path, "daegu-2020", max_km=7.5, metric="centroid")
    page = Page(browser, path, block_network=True)
    try:
        order = page.page.eval_on_selector_all(
            "path.sg-check", "els => els.map(e => e.getAttribute('class'))"
        )
        ranks = [2 if "sg-fail" in c else 1 if "sg-uncertain" in c else 0 for c in order]
        assert ranks == sorted(ranks) and 2 in ranks  # drawn last = on top
        dashes = page.page.eval_on_selector_all(
            "path.sg-check, path.sg-extent, path.sg-limit",
            "els => els.map(e => [e.getAttribute('class'), e.getAttribute('stroke-dasharray')])",
        )
        check_dash = {d for c, d in dashes if "sg-check" in c}
        other_dash = {d for c, d in dashes if "sg-check" not in c}
        assert check_dash == {"1 8"} and not (check_dash & other_dash)
    finally:
        page.close()


@pytest.mark.browser
def test_an_online_map_with_no_network_shows_the_offline_basemap_and_says_so(browser, tmp_path):
    path, plan, _ = _demo_map(tmp_path, "daegu-2020", offline=False)
    html = path.read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" in html  # online: tiles are asked for
    page = Page(browser, path, block_network=True)
    try:
        page.page.wait_for_timeout(1500)
        assert [e for e in page.errors if "Failed to load resource" not in e] == []
        assert page.count(".sg-marker") == len(plan.sites)  # Leaflet ran: it is inlined
        assert page.count("path.sg-basemap") > 0
        assert "offline basemap" in page.page.inner_text(".sg-notice")
    finally:
        page.close()
