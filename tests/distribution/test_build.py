"""The real build: freeze the program, run every check of scripts/build_app.py on it (from a
copy, clean environment: every sub-command, the window offscreen and under Xvfb, merge with
worker processes), build the .deb and, as root on Debian, install, start and uninstall it.

About four minutes on two cores (PyInstaller ~40 s, the checks ~1 min, xz-compressing the .deb
~2 min). Marked ``build``: CI runs it; locally set KEXIE_BUILD_TEST=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.build]


def test_frozen_program_and_deb(tmp_path):
    pytest.importorskip("PyInstaller")
    args = [sys.executable, str(REPO / "scripts" / "build_app.py"), "--json", str(tmp_path / "r")]
    if shutil.which("dpkg-deb"):
        args.append("--deb")
        if os.geteuid() == 0 and shutil.which("dpkg"):
            args.append("--verify-deb")
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=1800)
    report_file = tmp_path / "r"
    assert report_file.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_file.read_text(encoding="utf-8"))
    failed = {c["what"]: c["detail"] for c in report["checks"] if not c["ok"]}
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False) + done.stdout[-2000:]
    names = {c["what"] for c in report["checks"]}
    assert "window (offscreen) reaches a usable main window" in names
    assert any(n.startswith("merge with 2 worker processes") for n in names)
    assert "workers exit when their merge is killed" in names
    if "--verify-deb" in args:
        assert "no file left after dpkg -r" in names
