#!/usr/bin/env python3
"""Set up and run sandan_geo with nothing but Python.

    python3 tasks.py demo    # venv + install + validate and map the built-in 2020 plans → out/
    python3 tasks.py test    # venv + install with test extras + ruff + mypy + pytest

Both create (or reuse) a virtual environment in .venv/ and install the project
into it with a plain, non-editable ``pip install .``, so what runs is what users get.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
OUT = ROOT / "out"
PLANS_2020 = ("gyeongbuk-2020", "gwangju-2020", "daegu-2020", "incheon-2020", "jeonnam-2020")


def run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


def setup(extra: str = "") -> None:
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    run(PY, "-m", "pip", "install", "-q", "--no-warn-script-location", target)


def demo() -> int:
    setup()
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
    tasks = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        print(__doc__)
        return 2
    try:
        return tasks[sys.argv[1]]()
    except subprocess.CalledProcessError as err:
        return err.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
