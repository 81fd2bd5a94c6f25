"""The review report: every check with its verdict word, escaping, no network, determinism, PDF.

The PDF tests need Debian's `chromium` (CI installs it); without it they skip, unless
SANDAN_GEO_REQUIRE_BROWSER=1 (set by CI), which turns a missing browser into a failure.
"""

from __future__ import annotations

import html
import os
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

import sandan_geo as sg
from sandan_geo.cli import cli
from sandan_geo.maps import find_chromium
from sandan_geo.review import LANGS

PLANS = ("daegu-2020", "jeonnam-2020")
METRICS = ("centroid", "boundary")
DATE = "2020-05-08"
PAYLOAD = "<img src=x onerror=alert(1)>"
KO = {"pass": "통과", "fail": "미달", "uncertain": "판단 유보", "info": "참고"}
EN = {"pass": "pass", "fail": "fail", "uncertain": "uncertain", "info": "info"}


def _need_browser() -> None:
    if find_chromium() is None:
        if os.environ.get("SANDAN_GEO_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required here (SANDAN_GEO_REQUIRE_BROWSER=1) but not found")
        pytest.skip("no Chromium installed")


class _Tables(HTMLParser):
    """The text of every cell of every ``<table class="checks">``, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_checks = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._in_checks = ("class", "checks") in attrs
        elif self._in_checks and tag == "tr":
            self.rows.append([])
        elif self._in_checks and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_checks = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _check_rows(doc: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(doc)
    return [row for row in parser.rows if row]  # header rows have no <td>


@pytest.fixture(scope="module")
def reports() -> list[list[sg.Report]]:
    return [[sg.check_plan(sg.load_plan(p), metric=m) for m in METRICS] for p in PLANS]


@pytest.fixture(scope="module")
def doc(reports) -> str:
    return sg.review_report(list(PLANS), reports=reports, date=DATE)


def test_every_check_of_every_plan_is_there_with_its_korean_verdict(doc, reports):
    rows = _check_rows(doc)
    want = [(r.site_names[c.to], KO[c.verdict]) for rs in reports for r in rs for c in r.checks]
    assert [(row[2], row[-1]) for row in rows] == want
    values = [c.value_km for rs in reports for r in rs for c in r.checks]
    for row, value in zip(rows, values, strict=True):
        if value is not None:
            assert row[4] == f"{value:.2f}"
    assert {"통과", "미달", "판단 유보"} <= {row[-1] for row in rows}
    assert doc.count('<section class="plan"') == len(PLANS)
    assert doc.index('class="summary"') < doc.index('<section class="plan"')  # summary first


def test_the_report_has_what_a_committee_reads(doc):
    assert '<html lang="ko">' in doc and "<title>" in doc
    assert "대구광역시" in doc and "전라남도" in doc  # regions
    assert "max_distance(7.5 km, centroid, hub_to_linked)" in doc  # the rules and metrics
    assert "산업용섬유·소재 공급" in doc  # the value chain
    assert "part 서대구일반산업단지 (see parts)" in doc  # provenance
    assert "근사 (면적이 같은 원)" in doc and "낮음" in doc  # extent source, confidence
    assert "docs/uncertainty.md" in doc  # what the data cannot tell, and how it is handled
    assert f"sandan-geo {html.escape(sg.__version__)}" in doc
    assert sg.data_version() in doc and DATE in doc
    assert "@page { size: A4; margin: 15mm; }" in doc and "Noto Sans CJK KR" in doc
    assert doc.count('sandbox="allow-scripts" srcdoc="') == len(PLANS)


def test_same_input_and_date_give_the_same_bytes(doc, reports):
    again = sg.review_report(list(PLANS), reports=reports, date=DATE)
    assert again.encode("utf-8") == doc.encode("utf-8")
    other_day = sg.review_report(list(PLANS), reports=reports, date="2021-01-01")
    assert other_day != doc and other_day.replace("2021-01-01", DATE) == doc


_REMOTE = re.compile(r"""\b(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def test_no_remote_url_anywhere_in_the_page_or_its_maps(doc):
    frames = [html.unescape(m) for m in re.findall(r'srcdoc="([^"]*)"', doc)]
    assert len(frames) == len(PLANS)
    for page in [doc, *frames]:
        # Leaflet's own attribution anchor is a link a reader may click, not a request
        page = page.replace('<a href="https://leafletjs.com"', "<a")
        assert not _REMOTE.search(page)
        assert "<script src=" not in page and "@import" not in page
        assert not re.search(r"url\(\s*['\"]?https?:", page)
    assert "<script" not in re.sub(r'srcdoc="[^"]*"', "", doc)  # the report itself runs nothing


def _hostile_plan() -> sg.Plan:
    return sg.load_plan(
        {
            "id": "hostile",
            "name": f"계획 {PAYLOAD}",
            "region": f"지역 {PAYLOAD}",
            "rules": [{"type": "max_distance", "km": 5, "metric": "centroid"}],
            "sites": [
                {"key": "h", "name": f"거점 {PAYLOAD}", "role": "hub", "lon": 128.5, "lat": 35.84},
                {
                    "key": "l",
                    "name": f'연계 "{PAYLOAD}',
                    "role": "linked_complex",
                    "lon": 128.55,
                    "lat": 35.88,
                },
            ],
            "links": [{"from": "l", "to": "h", "relation": f"부품 {PAYLOAD}"}],
        }
    )


def test_user_text_is_escaped_everywhere():
    doc = sg.review_report(_hostile_plan(), date=DATE)
    outside_maps = re.sub(r'srcdoc="[^"]*"', "", doc)
    assert PAYLOAD not in doc  # nowhere, not even inside the map's srcdoc
    assert "<img" not in outside_maps
    escaped = html.escape(PAYLOAD)
    assert f"계획 {escaped}" in outside_maps  # plan name
    assert f"지역 {escaped}" in outside_maps  # region
    assert f"거점 {escaped}" in outside_maps  # site name
    assert f"연계 &quot;{escaped}" in outside_maps  # a quote cannot end an attribute
    assert f"부품 {escaped}" in outside_maps  # relation
    # the map inside the iframe is a document of its own: one escaping level deeper
    frame = html.unescape(re.search(r'srcdoc="([^"]*)"', doc).group(1))
    assert PAYLOAD not in frame


def test_english_with_lang_en(reports):
    doc = sg.review_report(list(PLANS), reports=reports, lang="en", date=DATE, maps=False)
    assert '<html lang="en">' in doc and "review report" in doc
    rows = _check_rows(doc)
    want = [EN[c.verdict] for rs in reports for r in rs for c in r.checks]
    assert [row[-1] for row in rows] == want
    assert "판단 유보" not in doc and "미달" not in doc
    assert "What the data cannot tell" in doc and "Value chain" in doc
    assert "<iframe" not in doc  # maps=False
    assert set(LANGS) == {"ko", "en"}


def test_metrics_option_gives_one_table_per_metric():
    doc = sg.review_report("daegu-2020", metrics=METRICS, maps=False, date=DATE)
    assert doc.count('<table class="checks">') == 2
    one = sg.review_report("daegu-2020", maps=False, date=DATE)  # the plan's own rules
    assert one.count('<table class="checks">') == 1


def test_bad_arguments_are_input_errors(tmp_path):
    with pytest.raises(sg.InputError, match="lang 'fr'"):
        sg.review_report("daegu-2020", lang="fr", maps=False)
    with pytest.raises(sg.InputError, match="YYYY-MM-DD"):
        sg.review_report("daegu-2020", date="May 8", maps=False)
    with pytest.raises(sg.InputError, match="1 reports for 2 plans"):
        sg.review_report(list(PLANS), reports=[sg.check_plan(sg.load_plan("daegu-2020"))])
    with pytest.raises(sg.InputError, match=r"\.html or \.pdf"):
        sg.save_review("daegu-2020", tmp_path / "review.docx", maps=False)


def test_save_review_writes_html_from_plans_or_from_a_document(tmp_path, doc):
    a = sg.save_review(doc, tmp_path / "a.html")
    assert a.read_bytes() == doc.encode("utf-8")
    b = sg.save_review("daegu-2020", tmp_path / "b.html", maps=False, date=DATE)
    assert b.read_text(encoding="utf-8") == sg.review_report("daegu-2020", maps=False, date=DATE)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.browser
def test_pdf_from_plans_has_pages_and_no_live_map(tmp_path, reports):
    _need_browser()
    out = sg.save_review(list(PLANS), tmp_path / "review.pdf", reports=reports, date=DATE)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and _pages(data) >= 2  # a page per plan at least


@pytest.mark.browser
def test_cli_writes_the_pdf(tmp_path):
    _need_browser()
    out = tmp_path / "review.pdf"
    r = CliRunner().invoke(
        cli, ["report", *PLANS, "--metric", "centroid", "--lang", "en", "-o", str(out)]
    )
    assert r.exit_code == 1, r.output  # 대구's 북구 혁신경제벨트 fails for certain by centroid
    assert out.read_bytes().startswith(b"%PDF-") and _pages(out.read_bytes()) >= 1


def test_cli_report_exit_codes(tmp_path, monkeypatch):
    runner = CliRunner()
    out = tmp_path / "review.html"
    base = ["report", "daegu-2020", "--no-map", "--date", DATE, "-o", str(out)]
    r = runner.invoke(cli, [*base, "--metric", "centroid"])
    assert r.exit_code == 1, r.output  # a check fails for certain: a result, not an error
    assert "미달" in out.read_text(encoding="utf-8")
    r = runner.invoke(cli, base)  # the plan's own rules (boundary): uncertain
    assert r.exit_code == 4, r.output
    r = runner.invoke(cli, [*base, "--max-km", "50"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, [*base, "--metric", "centroid", "--metric", "boundary", "--lang", "en"])
    assert r.exit_code == 1 and out.read_text(encoding="utf-8").count('class="checks"') == 2
    r = runner.invoke(cli, ["report", "daegu-2020", "-o", str(tmp_path / "review.txt")])
    assert r.exit_code == 2 and ".html or .pdf" in r.stderr
    r = runner.invoke(cli, ["report", "no-such-plan", "-o", str(out)])
    assert r.exit_code == 2
    r = runner.invoke(cli, [*base, "--date", "yesterday"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.stderr


def test_cli_pdf_without_chromium_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDAN_GEO_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "review.pdf"
    r = CliRunner().invoke(cli, ["report", "daegu-2020", "-o", str(out)])
    assert r.exit_code == 3, r.output
    assert "apt-get install chromium" in r.stderr and not out.exists()
    with pytest.raises(sg.MissingDependencyError, match="Chromium"):
        sg.save_review("daegu-2020", out, maps=False)
