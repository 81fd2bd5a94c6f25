#!/usr/bin/env python3
"""Set up and run sandan_geo with nothing but Python.

    python3 tasks.py demo    # venv + install + validate and map the built-in 2020 plans → out/
    python3 tasks.py test    # venv + install with test extras + ruff + mypy + pytest
    python3 tasks.py wheelhouse [DIR] [--platform P] [--python X.Y]
                             # on a connected machine: every wheel the demo needs → DIR
    python3 tasks.py demo --wheelhouse DIR
                             # on a closed network: install from DIR only, then the demo

Both create (or reuse) a virtual environment in .venv/ (or $SANDAN_GEO_VENV) and install
the project into it with a plain, non-editable ``pip install .``, so what runs is what
users get. With a wheelhouse (``--wheelhouse DIR`` or $SANDAN_GEO_WHEELHOUSE) nothing is
fetched: pip runs with ``--no-index --find-links DIR``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("SANDAN_GEO_VENV") or ROOT / ".venv")
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
OUT = ROOT / "out"
PLANS_2020 = ("gyeongbuk-2020", "gwangju-2020", "daegu-2020", "incheon-2020", "jeonnam-2020")


def run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


def _option(name: str) -> str | None:
    """The value of ``--name VALUE`` among the arguments, removed from them."""
    if name in sys.argv:
        i = sys.argv.index(name)
        if i + 1 < len(sys.argv):
            value = sys.argv[i + 1]
            del sys.argv[i : i + 2]
            return value
        sys.exit(f"{name} needs a value")
    return None


def _wheelhouse() -> Path | None:
    given = _option("--wheelhouse") or os.environ.get("SANDAN_GEO_WHEELHOUSE")
    if not given:
        return None
    folder = Path(given).resolve()
    if not any(folder.glob("sandan_geo-*.whl")):
        sys.exit(f"{folder}: no sandan_geo wheel here; build it with `python3 tasks.py wheelhouse`")
    return folder


def setup(extra: str = "", wheelhouse: Path | None = None) -> None:
    offline = ["--no-index", "--find-links", str(wheelhouse)] if wheelhouse else []
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        if not wheelhouse:
            run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
    if wheelhouse:  # the project's own wheel from the wheelhouse, nothing from an index
        target = "sandan-geo" + (f"[{extra}]" if extra else "")
    else:
        target = f".[{extra}]" if extra else "."
    run(PY, "-m", "pip", "install", "-q", "--no-warn-script-location", *offline, target)


def wheelhouse() -> int:
    """Download every wheel the demo needs (for a platform and Python) and build ours."""
    import tomllib

    args = [a for a in sys.argv[2:] if not a.startswith("--")]
    platform = _option("--platform")
    python = _option("--python") or f"{sys.version_info.major}.{sys.version_info.minor}"
    dest = Path(args[0] if args else "wheelhouse").resolve()
    dest.mkdir(parents=True, exist_ok=True)
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    target = ["--platform", platform] if platform else []
    run(
        sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
        "--python-version", python, *target, "-d", dest, *deps,
    )  # fmt: skip
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dest, ROOT)
    wheels = sorted(p.name for p in dest.glob("*.whl"))
    print(f"{len(wheels)} wheels in {dest} for Python {python} {platform or '(this platform)'}")
    print(f"copy {dest.name}/ and this folder to the closed network, then run:")
    print(f"  python3 tasks.py demo --wheelhouse {dest.name}")
    return 0


def demo() -> int:
    setup(wheelhouse=_wheelhouse())
    OUT.mkdir(exist_ok=True)
    cli = BIN / "sandan-geo"
    run(cli, "plans")
    worst = 0
    for metric in ("centroid", "boundary"):
        for plan in ("daegu-2020", "jeonnam-2020"):
            for fmt, suffix in (("text", "txt"), ("json", "json"), ("markdown", "md")):
                code = run(
                    cli,
                    "-q",
                    "validate",
                    plan,
                    "--metric",
                    metric,
                    "--format",
                    fmt,
                    "-o",
                    OUT / f"{plan}.{metric}.{suffix}",
                    check=False,
                )
                if code in (2, 3):  # 1 a check fails, 4 uncertain: results, not errors
                    return code
                worst = max(worst, code)
            print((OUT / f"{plan}.{metric}.txt").read_text(encoding="utf-8"))
    # All five 2020 plans, including the three that state no rule, at a limit chosen here
    code = run(
        cli,
        "-q",
        "validate",
        *PLANS_2020,
        "--max-km",
        "10",
        "--metric",
        "boundary",
        "--format",
        "markdown",
        "-o",
        OUT / "all-2020.max10km.boundary.md",
        check=False,
    )
    if code in (2, 3):  # 1 a check fails, 4 uncertain: results, not errors
        return code
    for plan in PLANS_2020:
        # plans that state no rule are drawn without checks; daegu/jeonnam with their own
        code = run(cli, "-q", "map", plan, "--offline", "-o", OUT / f"{plan}.html", check=False)
        if code in (2, 3):  # 1 a check fails, 4 uncertain: results, not errors
            return code
    code = run(
        cli,
        "-q",
        "map",
        *PLANS_2020,
        "--offline",
        "--title",
        "2020 산업단지 대개조",
        "-o",
        OUT / "overview-2020.html",
        check=False,
    )
    if code in (2, 3):  # 1 a check fails, 4 uncertain: results, not errors
        return code
    # Every round 2019-2025, one layer per year
    code = run(
        cli,
        "-q",
        "map",
        "--all",
        "--by-year",
        "--offline",
        "--no-check",
        "--title",
        "산업단지 대개조 · 경쟁력강화사업지구 2019–2025",
        "-o",
        OUT / "rounds-2019-2025.html",
        check=False,
    )
    if code in (2, 3):  # 1 a check fails, 4 uncertain: results, not errors
        return code
    # The program 2019-2025 as one network: shared sites, central sites, growth, and its map
    code = run(
        cli,
        "-q",
        "program",
        "--map",
        OUT / "program-2019-2025.html",
        "--offline",
        "-o",
        OUT / "program-2019-2025.txt",
        check=False,
    )
    if code in (2, 3):
        return code
    # The review report of 대구 and 전남 2020 for a committee: HTML (offline) and A4 PDF
    for suffix in ("html", "pdf"):
        code = run(
            cli,
            "-q",
            "report",
            "daegu-2020",
            "jeonnam-2020",
            "-o",
            OUT / f"review-2020.{suffix}",
            check=False,
        )
        if code == 3 and suffix == "pdf":  # no Chromium: the HTML is there, say so and go on
            print(
                "review-2020.pdf skipped: printing a PDF needs Chromium (apt-get install chromium)"
            )
        elif code in (2, 3):  # 1 a check fails, 4 uncertain: results, not errors
            return code
    print(f"\nreports and maps are in {OUT}/ (exit code of the checks: {worst})")
    return 0


def _has_map_command(cli: Path) -> bool:
    return (
        subprocess.run([str(cli), "map", "--help"], capture_output=True, check=False).returncode
        == 0
    )


def test() -> int:
    setup("test")
    run(PY, "-m", "ruff", "check", "src", "tests", "tasks.py")
    run(PY, "-m", "ruff", "format", "--check", "src", "tests", "tasks.py")
    run(PY, "-m", "mypy")
    env_args = sys.argv[2:]
    return run(PY, "-m", "pytest", "--pyargs", "sandan_geo", "tests", *env_args, check=False)


def main() -> int:
    tasks = {"demo": demo, "test": test, "wheelhouse": wheelhouse}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        print(__doc__)
        return 2
    try:
        return tasks[sys.argv[1]]()
    except subprocess.CalledProcessError as err:
        return err.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
