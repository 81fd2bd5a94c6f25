"""The house matches its plan: docs/architecture.md's floors against the code's imports.

Every module of the package is on the page; no module imports one on a higher floor;
no module imports a private (``_x``) name of another module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "sandan_geo"
PAGE = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\| *(\d+) *\| *`([a-z_]+)\.py` *\|", re.M)


def floors() -> dict[str, int]:
    return {name: int(floor) for floor, name in ROW.findall(PAGE.read_text(encoding="utf-8"))}


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported, line) for every relative import of the package."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.append((node.module.split(".")[0], [a.name for a in node.names], node.lineno))
            else:  # from . import x
                out.extend((a.name, [], node.lineno) for a in node.names)
    return out


def test_every_module_is_on_the_page():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__main__"}
    assert modules == set(floors()), (
        f"not on the page: {sorted(modules - set(floors()))}; "
        f"on the page but gone: {sorted(set(floors()) - modules)}"
    )


def test_no_import_runs_up_a_floor_and_no_private_name_crosses_a_module():
    floor = floors()
    wrong = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in ("__main__", "__init__"):
            continue
        for module, names, line in imports(path):
            if floor[module] > floor[path.stem]:
                wrong.append(
                    f"{path.name}:{line} imports {module} (floor {floor[module]} > "
                    f"{floor[path.stem]})"
                )
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private:
                wrong.append(f"{path.name}:{line} imports private {', '.join(private)} of {module}")
    assert not wrong, "\n".join(wrong)
