"""Bundle tests: real stores (``bundle_fakes.RealStore``) are closed after each test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _close_real_stores():
    yield
    from bundle_fakes import RealStore

    RealStore.close_all()
