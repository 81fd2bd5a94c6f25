"""The documentation builds, its code runs and its printed figures are current.

- ``mkdocs build --strict`` succeeds (offline).
- Every fenced ``python`` block in ``docs/*.md`` runs, page by page, in a fresh
  namespace with a temporary working folder in which ``docs/examples`` is the
  repository's own folder. A block whose first line is
  ``# docs-test: skip-if-no-maps`` runs only once ``sandan_geo.plan_map`` exists.
- Output pasted into a page sits between ``<!-- docs-gen: SPEC -->`` and
  ``<!-- /docs-gen -->`` (optionally inside a code fence). SPEC ``stdout`` is
  what the python block just before it prints; SPEC ``sandan-geo ARGS`` is
  what that command prints (run in-process with click's test runner). Both must match what the code prints today.
  After a deliberate change, refresh them with ``python tests/test_docs.py --update``.
- The example plan and rules files in ``docs/examples`` load and validate.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import sandan_geo as sg

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
PAGES = sorted(DOCS.glob("*.md"))
SKIP_IF_NO_MAPS = "# docs-test: skip-if-no-maps"
HAS_MAPS = hasattr(sg, "plan_map")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_GEN_OPEN = re.compile(r"^<!-- docs-gen: (?P<spec>.+?) -->\s*$")
_GEN_CLOSE = "<!-- /docs-gen -->"


# --------------------------------------------------------------------------- page parsing


@dataclass
class Code:
    """A fenced python block."""

    line: int  # 1-based line of the opening fence
    source: str
    maps_only: bool


@dataclass
class Generated:
    """Output pasted between docs-gen markers."""

    line: int
    spec: str
    start: int  # 0-based index of the first content line
    end: int  # 0-based index of the closing marker
    content: str
    fence: tuple[str, str] | None  # (opening, closing) fence lines, if wrapped


def parse_page(text: str) -> list[Code | Generated]:
    """Return the python blocks and generated regions of a page, in order."""
    lines = text.splitlines()
    items: list[Code | Generated] = []
    i = 0
    while i < len(lines):
        gen = _GEN_OPEN.match(lines[i])
        if gen:
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip() == _GEN_CLOSE), None
            )
            if end is None:
                raise AssertionError(f"line {i + 1}: docs-gen region is not closed")
            body = lines[i + 1 : end]
            fence = None
            if len(body) >= 2 and _FENCE.match(body[0]) and body[-1].strip().startswith("```"):
                fence = (body[0], body[-1])
                body = body[1:-1]
            items.append(Generated(i + 1, gen["spec"].strip(), i + 1, end, "\n".join(body), fence))
            i = end + 1
            continue
        m = _FENCE.match(lines[i])
        if m:
            indent, marker = m["indent"], m["fence"]
            info = m["info"].strip().lstrip("{").lstrip(".")
            lang = info.split()[0].lower() if info.split() else ""
            j = i + 1
            while j < len(lines) and not (
                lines[j].strip().startswith(marker) and lines[j].strip().strip(marker[0]) == ""
            ):
                j += 1
            if lang in ("python", "py"):
                body = [
                    ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[i + 1 : j]
                ]
                source = "\n".join(body) + "\n"
                first = body[0].strip() if body else ""
                items.append(Code(i + 1, source, first == SKIP_IF_NO_MAPS))
            i = j + 1
            continue
        i += 1
    return items


def run_cli(spec: str) -> str:
    """Run ``sandan-geo ARGS`` (in this process, in the current folder); return its stdout."""
    from click.testing import CliRunner

    from sandan_geo.cli import cli

    args = shlex.split(spec)
    assert args[0] == "sandan-geo", f"unknown docs-gen spec {spec!r}"
    result = CliRunner().invoke(cli, args[1:], prog_name="sandan-geo")
    assert result.exit_code in (0, 1, 4), f"`{spec}` exited {result.exit_code}: {result.output}"
    return result.stdout


def _work_folder(folder: Path) -> Path:
    """A working folder in which docs/examples is the repository's folder."""
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    link = folder / "docs" / "examples"
    if not link.exists():
        try:
            link.symlink_to(EXAMPLES, target_is_directory=True)
        except OSError:  # no symlinks (Windows without privilege): copy instead
            import shutil

            shutil.copytree(EXAMPLES, link)
    return folder


@contextlib.contextmanager
def _registries_restored():
    """Undo register_metric / register_rule_type calls made by a page."""
    measure = importlib.import_module("sandan_geo.measure")
    rules = importlib.import_module("sandan_geo.rules")
    metrics, rule_types = dict(measure.METRICS), dict(rules._RULE_TYPES)
    try:
        yield
    finally:
        measure.METRICS.clear()
        measure.METRICS.update(metrics)
        rules._RULE_TYPES.clear()
        rules._RULE_TYPES.update(rule_types)


def run_page(page: Path, folder: Path) -> list[tuple[Generated, str | None]]:
    """Run a page's python blocks; return each generated region with today's output.

    The output is ``None`` where it cannot be produced here (maps not yet available).
    """
    items = parse_page(page.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": "__docs__"}
    last_stdout: str | None = None
    results: list[tuple[Generated, str | None]] = []
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with _registries_restored():
            for item in items:
                if isinstance(item, Code):
                    if item.maps_only and not HAS_MAPS:
                        last_stdout = None
                        continue
                    out = io.StringIO()
                    code = compile(item.source, f"{page.name}:{item.line}", "exec")
                    try:
                        with contextlib.redirect_stdout(out):
                            exec(code, namespace)
                    except Exception as err:
                        raise AssertionError(
                            f"{page.name} line {item.line}: the python block raised "
                            f"{type(err).__name__}: {err}"
                        ) from err
                    last_stdout = out.getvalue()
                elif item.spec == "stdout":
                    results.append((item, last_stdout))
                else:
                    results.append((item, run_cli(item.spec)))
    finally:
        os.chdir(cwd)
    return results


def _same(a: str, b: str) -> bool:
    return a.strip("\n").rstrip() == b.strip("\n").rstrip()


# --------------------------------------------------------------------------- tests


def test_mkdocs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    config, site = str(ROOT / "mkdocs.yml"), str(tmp_path / "site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", config, "-d", site],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "examples" / "my-plan.yaml").exists()


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_code_runs_and_output_is_current(page, tmp_path):
    stale = []
    for gen, output in run_page(page, _work_folder(tmp_path)):
        if output is None:
            continue
        if not _same(gen.content, output):
            stale.append(f"line {gen.line} ({gen.spec})")
    assert not stale, (
        f"{page.name}: pasted output differs from what the code prints today at "
        f"{', '.join(stale)}; check the change, then run `python tests/test_docs.py --update`"
    )


def test_snippets_name_existing_files():
    for page in PAGES:
        for name in re.findall(r'--8<-- "([^"]+)"', page.read_text(encoding="utf-8")):
            assert (ROOT / name).is_file(), f"{page.name}: snippet {name} not found"


def test_api_page_names_every_public_name():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [n for n in sg.__all__ if n != "__version__" and not re.search(rf"\b{n}\b", text)]
    assert not missing, f"docs/api.md does not list: {', '.join(missing)}"


def _example_plans():
    return sorted(EXAMPLES.glob("*.geojson")) + [
        p for p in sorted(EXAMPLES.glob("*.yaml")) if "sites" in (_yaml(p) or {})
    ]


def _example_rules():
    return [p for p in sorted(EXAMPLES.glob("*.yaml")) if "sites" not in (_yaml(p) or {})]


def _yaml(path: Path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else None


@pytest.mark.parametrize("path", _example_plans(), ids=lambda p: p.name)
def test_example_plan_loads_and_validates(path):
    plan = sg.load_plan(path)
    for metric in ("centroid", "boundary"):
        report = sg.check_plan(plan, metric=metric)
        assert report.checks
        assert {c.metric for c in report.checks if c.value_km is not None} == {metric}


@pytest.mark.parametrize("path", _example_rules(), ids=lambda p: p.name)
def test_example_rules_file_parses_and_applies(path):
    rules = sg.parse_rules(sg.load_rules_file(path))
    assert rules
    report = sg.check_plan(sg.load_plan(EXAMPLES / "my-plan.yaml"), rules)
    assert report.rules_source == "argument"


def test_example_plan_yaml_and_geojson_are_the_same_plan():
    a = sg.load_plan(EXAMPLES / "my-plan.yaml")
    b = sg.load_plan(EXAMPLES / "my-plan.geojson")
    assert (a.id, a.name, a.rules, dict(a.meta)) == (b.id, b.name, b.rules, dict(b.meta))
    assert [(m.key, m.role) for m in a.sites] == [(m.key, m.role) for m in b.sites]
    for metric in ("centroid", "boundary"):
        ra, rb = sg.check_plan(a, metric=metric), sg.check_plan(b, metric=metric)
        assert [(c.to, c.passed) for c in ra.checks] == [(c.to, c.passed) for c in rb.checks]
        for ca, cb in zip(ra.checks, rb.checks, strict=True):
            if ca.value_km is not None:
                assert ca.value_km == pytest.approx(cb.value_km, abs=1e-6)


# --------------------------------------------------------------------------- update mode


def update_pages() -> int:
    """Rewrite every docs-gen region with today's output; return the number changed."""
    import tempfile

    changed = 0
    for page in PAGES:
        with tempfile.TemporaryDirectory() as tmp:
            results = run_page(page, _work_folder(Path(tmp)))
        lines = page.read_text(encoding="utf-8").splitlines()
        before = changed
        for gen, output in reversed(results):
            if output is None or _same(gen.content, output):
                continue
            body = output.strip("\n").rstrip().splitlines()
            if gen.fence:
                body = [gen.fence[0], *body, gen.fence[1]]
            lines[gen.start : gen.end] = body
            changed += 1
            print(f"updated {page.relative_to(ROOT)} line {gen.line}: {gen.spec}")
        if changed > before:
            page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_docs.py --update")
    print(f"{update_pages()} region(s) updated")
