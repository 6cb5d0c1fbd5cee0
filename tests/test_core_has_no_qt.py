"""forms/, localdb/, exports/ and i18n/ must run on a machine with no display: no Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORE = ("forms", "localdb", "exports", "i18n", "kexie")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_sources_never_import_qt_or_desktop():
    offenders = []
    for package in CORE:
        for path in (REPO / package).rglob("*.py"):
            forbidden = {"PySide6", "PyQt5", "PyQt6", "shiboken6", "desktop"}
            if path == REPO / "kexie" / "cli.py":
                forbidden.discard("desktop")  # opens the window lazily when no sub-command is given
            bad = _imports(path) & forbidden
            if bad:
                offenders.append(f"{path.relative_to(REPO)}: {sorted(bad)}")
    assert offenders == []


def test_importing_the_core_loads_no_qt():
    code = (
        "import sys, forms, forms.model, localdb, exports, i18n, kexie.cli;"
        "kexie.cli.build_parser();"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
