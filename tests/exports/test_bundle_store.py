"""Bundles with the real store, the built-in forms and the ``kexie`` command."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles
from kexie.cli import main
from localdb import open_store
from localdb.demo import run_demo

TOWN, TOWN2, COUNTY, CITY = "330106002000", "330106004000", "330106000000", "330100000000"


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    """Inputs are read in this process (worker processes are tested on their own)."""
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _folder(root: Path, unit: str, records: int = 0, seed: int = 1) -> Path:
    folder = root / unit
    with open_store(folder) as store:
        store.set_unit(unit)
        store.set_clerk("测试员")
        if records:
            run_demo(store, records=records, seed=seed)
    return folder


@pytest.fixture(scope="module")
def towns(tmp_path_factory):
    root = tmp_path_factory.mktemp("stores")
    return [_folder(root, TOWN, 12, 1), _folder(root, TOWN2, 8, 2)]


def _carried(row: dict) -> dict:
    """A stored row as a bundle carries it ('exported' is a local note: it travels finalised)."""
    out = {k: v for k, v in row.items() if k not in ("_source",) and v not in (None, "")}
    if out.get("_status") == "exported":
        out["_status"] = "finalised"
    return out


def test_export_inspect_import_with_the_real_store(towns, tmp_path):
    out = tmp_path / "town.xlsx"
    with open_store(towns[0]) as store:
        summary = export_bundle(store, out)
        assert summary.counts["kexie_survey"] > 0
        forms = {f.form_id: f for f in store.forms()}
        sensitive = {q.name for f in forms.values() for q in f.walk() if q.sensitive}
        source = {
            fid: {r["_uuid"]: r for r in store.iter_rows(fid) if r["_status"] != "draft"}
            for fid in forms
        }
    result = inspect_bundle(out)
    assert result.valid, [f.message() for f in result.findings]
    assert result.unit == TOWN and result.sha256 == summary.sha256
    county = _folder(tmp_path, COUNTY)
    with open_store(county) as store:
        imp = import_bundle(store, out)
        assert not imp.refused and imp.added == sum(summary.counts.values())
        assert imp.backup is not None and imp.backup.exists()
        for fid, rows in source.items():
            got = {r["_uuid"]: r for r in store.iter_rows(fid)}
            for uuid, row in rows.items():
                want = {k: v for k, v in _carried(row).items() if k not in sensitive}
                have = {k: v for k, v in _carried(got[uuid]).items() if k in want or k in sensitive}
                assert {k: v for k, v in have.items() if k not in sensitive} == want
        again = import_bundle(store, out)
        assert again.added == 0 and not again.superseded and again.unchanged == imp.added


def test_three_level_merge_with_the_real_store(towns, tmp_path):
    bundles = []
    for folder in towns:
        with open_store(folder) as store:
            bundles.append(tmp_path / f"{store.unit_code}.xlsx")
            export_bundle(store, bundles[-1])
    county = _folder(tmp_path, COUNTY)
    with open_store(county) as store:
        c = merge_bundles(store, bundles, tmp_path / "county.xlsx")
        c2 = merge_bundles(store, bundles[::-1], tmp_path / "county2.xlsx")
    assert not c.refused and c.sha256 == c2.sha256
    city = _folder(tmp_path, CITY)
    with open_store(city) as store:
        m = merge_bundles(store, [tmp_path / "county.xlsx"], tmp_path / "city.xlsx")
    assert m.sha256 == c.sha256 and m.counts == c.counts
    result = inspect_bundle(tmp_path / "city.xlsx")
    assert result.valid and result.unit == CITY and set(result.contains) >= {TOWN, TOWN2, COUNTY}


def test_cli_round_trip(towns, tmp_path, capsys):
    data = tmp_path / "d"
    shutil.copytree(towns[0], data)
    out = tmp_path / "cli.xlsx"
    assert main(["--data", str(data), "export", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["unit"] == TOWN and report["counts"]["kexie_survey"] > 0
    assert set(report) >= {"valid", "unit", "contains", "counts", "sha256", "findings"}
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(out.read_bytes()[:5000])
    assert main(["inspect", str(broken)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["valid"] and report["findings"][0]["file"] == str(broken)
    county = _folder(tmp_path, COUNTY)
    assert main(["--data", str(county), "import", str(out)]) == 0
    capsys.readouterr()
    assert main(["--data", str(county), "merge", str(out), "--out", str(tmp_path / "m.xlsx")]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["counts"] == report_counts(out)
    outside = _folder(tmp_path, "120101001000")
    assert main(["--data", str(outside), "import", str(out)]) == 1
    assert "330106" in capsys.readouterr().err


def report_counts(path: Path) -> dict:
    return inspect_bundle(path).counts


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_merged_workbook_opens_in_libreoffice(towns, tmp_path):
    bundles = []
    for folder in towns:
        with open_store(folder) as store:
            bundles.append(tmp_path / f"{store.unit_code}.xlsx")
            export_bundle(store, bundles[-1])
    county = _folder(tmp_path, COUNTY)
    with open_store(county) as store:
        merge_bundles(store, bundles, tmp_path / "county.xlsx")
    result = inspect_bundle(tmp_path / "county.xlsx")
    outdir = tmp_path / "csv"
    # Filter options: UTF-8, every sheet to its own file (the last token, -1).
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(outdir), str(tmp_path / "county.xlsx")],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    for table, entry in result.manifest["tables"].items():
        if table.startswith("_"):
            continue
        with open(outdir / f"county-{entry['sheet']}.csv", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert len(rows) - 1 == entry["count"], table
        names = [n for n, _ in entry["columns"]]
        col = {n: i for i, n in enumerate(names)}
        uuids = {r[col["_uuid"]] for r in rows[1:]}
        assert len(uuids) == entry["count"]
        for name, total in entry["totals"].items():
            cells = [r[col[name]] for r in rows[1:] if col[name] < len(r) and r[col[name]] != ""]
            assert sum(float(c) for c in cells) == pytest.approx(float(total)), (table, name)
    with open(outdir / "county-封面.csv", encoding="utf-8") as fh:
        cover = list(csv.reader(fh))
    assert any(COUNTY in cell for row in cover for cell in row)


def test_import_registers_a_form_version_from_the_bundle(tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(
        Path(__file__).parents[2] / "forms" / "builtin" / "kexie_org_annual.xlsx"
    )
    ws = wb["settings"]
    col = [c.value for c in ws[1]].index("version") + 1
    ws.cell(row=2, column=col, value="2099.9")
    custom = tmp_path / "kexie_org_annual.xlsx"
    wb.save(custom)
    town = _folder(tmp_path, TOWN)
    with open_store(town) as store:
        store.add_form(custom)
        assert store.form("kexie_org_annual").version == "2099.9"
        store.nil_report("kexie_org_annual", period="2025")
        export_bundle(store, tmp_path / "v.xlsx")
    county = _folder(tmp_path, COUNTY)
    with open_store(county) as store:
        s = import_bundle(store, tmp_path / "v.xlsx")
        assert not s.refused and s.forms_added == ["kexie_org_annual 2099.9"] and s.added == 1
        assert store.form("kexie_org_annual", "2099.9").version == "2099.9"
