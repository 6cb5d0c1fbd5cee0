"""Shared fixtures. GUI tests live in tests/gui and run offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests: profiles ci / dev / long (see tests/profiles.py).
import tests.profiles  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "xlsform-corpus"


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Every test starts in the default language (Chinese) and leaves it that way."""
    import i18n

    i18n.set_language("zh_CN")
    yield
    i18n.set_language("zh_CN")


@pytest.fixture
def corpus() -> Path:
    """The shared XLSForm corpus (skips when the checkout has no ../shared)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/xlsform-corpus is not beside this checkout")
    return CORPUS
