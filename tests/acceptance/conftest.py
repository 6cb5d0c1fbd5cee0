"""Acceptance run (issues 10, 13, 14): real division trees (``kexie units``), real stores in one
data folder per unit, the real CLI (``kexie.cli.main``), bundles read back with calamine."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
