"""The import log (导入记录): every import and merge attempt, accepted or refused, is recorded
in the database (file name, SHA-256 of the file, unit, outcome, reasons) and listed by
``kexie imports``; the export journal keeps marking and file in step."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import localdb
from exports import export_bundle, import_bundle, merge_bundles
from tests.conftest import REPO

TOWN, TOWN2, COUNTY = "330106002", "330106004", "330106"


@pytest.fixture(autouse=True)
def _in_process(monkeypatch):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _town(folder: Path, unit: str, out: Path, n: int = 3) -> Path:
    import random

    from forms.builtin.samples import sample_answers

    rng = random.Random(n)
    with localdb.open_store(folder) as store:
        store.set_unit(unit)
        for _ in range(n):
            answers, expl = sample_answers("kexie_survey", rng, unit_code=store.unit_code,
                                           period=None)  # fmt: skip
            store.save("kexie_survey", answers, explanations=expl, status="finalised")
        export_bundle(store, out)
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_import_attempt_is_logged(tmp_path):
    good = _town(tmp_path / "t", TOWN, tmp_path / "good.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    with localdb.open_store(tmp_path / "c") as county:
        county.set_unit(COUNTY)
        assert import_bundle(county, good).refused == []
        assert import_bundle(county, bad).refused
        rows = county.journal.transfers()
    refused, accepted = rows  # newest first
    assert accepted["kind"] == "import" and accepted["outcome"] == "accepted"
    assert accepted["name"] == "good.xlsx" and accepted["file_sha256"] == _sha(good)
    assert accepted["unit"] == "330106002000" and accepted["bundle_sha256"]
    assert accepted["details"]["added"] == 3
    assert refused["outcome"] == "refused" and refused["file_sha256"] == _sha(bad)
    assert refused["reasons"][0]["code"] == "bundle.file.truncated"
    assert "bad.xlsx" in refused["reasons"][0]["message"]


def test_every_merge_input_is_logged(tmp_path):
    a = _town(tmp_path / "a", TOWN, tmp_path / "a.xlsx")
    b = _town(tmp_path / "b", TOWN2, tmp_path / "b.xlsx", n=2)
    again = tmp_path / "a-again.xlsx"
    shutil.copy(a, again)
    outside = _town(tmp_path / "o", "330102", tmp_path / "outside.xlsx", n=1)
    with localdb.open_store(tmp_path / "c") as county:
        county.set_unit(COUNTY)
        s = merge_bundles(county, [a, b, again, outside], tmp_path / "m.xlsx")
        assert s.refused and s.skipped_same
        rows = {r["name"]: r for r in county.journal.transfers()}
    assert {n: r["outcome"] for n, r in rows.items()} == {
        "a.xlsx": "accepted", "b.xlsx": "accepted", "a-again.xlsx": "skipped",
        "outside.xlsx": "refused",
    }  # fmt: skip
    assert all(r["kind"] == "merge" for r in rows.values())
    assert rows["outside.xlsx"]["reasons"][0]["code"] == "bundle.import.outside"
    assert rows["b.xlsx"]["unit"] == "330106004000" and rows["b.xlsx"]["file_sha256"] == _sha(b)


def test_kexie_imports_lists_the_log(tmp_path):
    good = _town(tmp_path / "t", TOWN, tmp_path / "good.xlsx")
    evil = tmp_path / "evil\u202egpj.xlsx"
    evil.write_bytes(b"nothing")
    data = tmp_path / "c"
    with localdb.open_store(data) as county:
        county.set_unit(COUNTY)
        import_bundle(county, good)
        import_bundle(county, evil)

    def kexie(*args):
        out = subprocess.run([sys.executable, "-m", "kexie", "--data", str(data), *args],
                             capture_output=True, text=True, cwd=REPO, check=True)  # fmt: skip
        return out.stdout

    text = kexie("--lang", "en", "imports")
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert "refused" in lines[0] and "evil\\u202egpj.xlsx" in lines[0] and "\u202e" not in text
    assert "not an Excel workbook" in lines[0]  # the reason, in the language asked for
    assert "accepted" in lines[1] and "good.xlsx" in lines[1] and _sha(good)[:12] in lines[1]
    rows = json.loads(kexie("imports", "--json"))
    assert [r["outcome"] for r in rows] == ["refused", "accepted"]


def test_import_warnings_reach_the_cli(tmp_path):
    import zipfile

    good = _town(tmp_path / "t", TOWN, tmp_path / "good.xlsx")
    macro = tmp_path / "macro.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(macro, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr("xl/vbaProject.bin", b"\0" * 64)
    data = tmp_path / "c"
    with localdb.open_store(data) as county:
        county.set_unit(COUNTY)
    out = subprocess.run([sys.executable, "-m", "kexie", "--data", str(data), "--lang", "en",
                          "import", str(macro)], capture_output=True, text=True, cwd=REPO)  # fmt: skip
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert [w["code"] for w in summary["warnings"]] == ["bundle.warn.macros_dropped"]
    assert "macros" in out.stderr and "vbaProject.bin" in out.stderr
