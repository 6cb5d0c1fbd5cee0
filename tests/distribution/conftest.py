"""The distribution tests. ``build``-marked tests freeze the whole program (minutes on two cores):
they run under CI (``CI`` set) or when ``KEXIE_BUILD_TEST=1``, and are skipped otherwise so that
a local run of the suite stays about a minute."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CI") or os.environ.get("KEXIE_BUILD_TEST") == "1":
        return
    skip = pytest.mark.skip(reason="builds the frozen program: set KEXIE_BUILD_TEST=1 (CI does)")
    for item in items:
        if "build" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def build_app():
    """scripts/build_app.py as a module (it imports only the standard library)."""
    spec = importlib.util.spec_from_file_location("build_app", REPO / "scripts" / "build_app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_app"] = module
    spec.loader.exec_module(module)
    return module
