"""The Qt binding in use must not lose references to None/True/False.

PySide6-Essentials 6.12.0 on Python 3.11 returns ``None`` from every void method without a new
reference, so after a few thousand calls Python aborts ("deallocating None"); pyproject.toml
excludes that version. This test guards the environment the app actually runs in.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QCheckBox, QLineEdit


def test_void_calls_keep_references_to_none_and_bools(qtbot):
    edit, check = QLineEdit(), QCheckBox()
    qtbot.addWidget(edit)
    qtbot.addWidget(check)
    before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(500):
        edit.setEnabled(True)
        edit.setText("x")
        check.setChecked(True)
        check.isChecked()
    after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    assert all(abs(a - b) < 50 for a, b in zip(after, before, strict=True)), (before, after)
