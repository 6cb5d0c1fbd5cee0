"""Broken and hostile files: each gets a clear, located message, fast, with bounded memory,
the database unchanged and no temporary file left behind."""

from __future__ import annotations

import shutil
import struct
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from bundle_fakes import FakeStore, RealStore, survey_form

from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles

TOWN, COUNTY = "110101001000", "110101000000"


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    """Inputs are read in this process (worker processes are tested on their own)."""
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


@pytest.fixture
def good(tmp_path) -> Path:
    town = RealStore(TOWN)
    for i in range(5):
        town.add("t_survey", {"age": 30 + i, "note": f"备注{i}", "income": 1.5})
    town.add("t_report", {"activities": 4, "registered": 10}, period="2026-01")
    out = tmp_path / "src" / "good.xlsx"
    out.parent.mkdir()
    export_bundle(town, out)
    return out


def _rewrite(src: Path, dst: Path, fn) -> Path:
    """Copy a zip, passing every (name, bytes) through ``fn`` (returning new bytes or None)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = fn(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def _data_part(path: Path, marker: bytes = "备注0".encode()) -> str:
    with zipfile.ZipFile(path) as zf:
        return next(
            n for n in zf.namelist() if n.startswith("xl/worksheets/") and marker in zf.read(n)
        )


def _in_sheet(path: Path, dst: Path, old: bytes, new: bytes) -> Path:
    part = _data_part(path)
    return _rewrite(path, dst, lambda n, d: d.replace(old, new, 1) if n == part else d)


def _assert_refused(path: Path, code: str, tmp_path: Path) -> None:
    """inspect: invalid with ``code``; import: refused, store unchanged; no temp files."""
    start = time.perf_counter()
    result = inspect_bundle(path)
    assert time.perf_counter() - start < 5
    assert not result.valid
    codes = [f.code for f in result.findings]
    assert code in codes, codes
    finding = next(f for f in result.findings if f.code == code)
    assert finding.location.file == str(path)
    assert path.name in finding.message() and finding.fix, finding.message()
    county = RealStore(COUNTY)
    before = county.snapshot()
    summary = import_bundle(county, path)
    assert summary.refused and code in [p.code for p in summary.refused]
    assert county.snapshot() == before and county.backups == []
    (tmp_path / "out").mkdir(exist_ok=True)
    merged = merge_bundles(county, [path], tmp_path / "out" / "m.xlsx")
    assert merged.refused and merged.counts == {}
    leftovers = [p for p in tmp_path.rglob(".kexie-*")]
    assert leftovers == []


def test_valid_bundle_passes(good):
    assert inspect_bundle(good).valid


def test_truncated(good, tmp_path):
    bad = tmp_path / "truncated.xlsx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _assert_refused(bad, "bundle.file.truncated", tmp_path)


@pytest.mark.parametrize(("content", "code"), [
    (b"", "bundle.file.empty"),
    (b"<html><body>not a workbook</body></html>", "bundle.file.not_xlsx"),
    (b"name,age\n\xe5\xbc\xa0,3\n", "bundle.file.not_xlsx"),
])  # fmt: skip
def test_not_a_zip(tmp_path, content, code):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(content)
    _assert_refused(bad, code, tmp_path)


def test_encrypted_workbook(tmp_path):
    # An encrypted .xlsx is an OLE2 compound file with an "EncryptedPackage" stream.
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + "EncryptedPackage".encode("utf-16-le")
    )
    bad = tmp_path / "secret.xlsx"
    bad.write_bytes(ole + b"\0" * 4000)
    _assert_refused(bad, "bundle.file.encrypted", tmp_path)


def test_legacy_xls(tmp_path):
    bad = tmp_path / "old.xls"
    bad.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le") + b"\0" * 5000
    )
    _assert_refused(bad, "bundle.file.legacy_xls", tmp_path)


def test_zip_bomb_by_ratio(good, tmp_path):
    part = _data_part(good)
    filler = b" " * (40 * 1024 * 1024)
    bad = _rewrite(good, tmp_path / "bomb.xlsx",
                   lambda n, d: d.replace(b"</worksheet>", filler + b"</worksheet>") if n == part else d)  # fmt: skip
    assert bad.stat().st_size < 1024 * 1024
    _assert_refused(bad, "bundle.zip.bomb", tmp_path)


def test_zip_bomb_declared_size(good, tmp_path):
    bad = tmp_path / "declared.xlsx"
    data = bytearray(good.read_bytes())
    at = data.find(b"PK\x01\x02")  # first central directory entry: claim 4 GB uncompressed
    struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)
    bad.write_bytes(bytes(data))
    _assert_refused(bad, "bundle.zip.bomb", tmp_path)


ENTITY_BOMB = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
               b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>')  # fmt: skip
EXTERNAL = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype", [ENTITY_BOMB, EXTERNAL], ids=["entity-bomb", "external"])
def test_dtd_refused(good, tmp_path, doctype):
    part = _data_part(good)
    bad = _rewrite(good, tmp_path / "dtd.xlsx", lambda n, d: d.replace(b"?>", b"?>" + doctype, 1)
                   if n == part else d)  # fmt: skip
    _assert_refused(bad, "bundle.xml.doctype", tmp_path)


@pytest.mark.parametrize("ref", [b"A1048577", b"XFE2"])
def test_cells_beyond_excel_limits(good, tmp_path, ref):
    cell = b'<c r="' + ref + b'"><v>1</v></c>'
    bad = _in_sheet(good, tmp_path / "far.xlsx", b"</row>", cell + b"</row>")
    _assert_refused(bad, "bundle.xml.beyond_limits", tmp_path)


def test_formula_cells(good, tmp_path):
    bad = _in_sheet(good, tmp_path / "formula.xlsx", b"</row>",
                    b'<c r="ZZ1"><f>HYPERLINK("http://evil","x")</f><v>0</v></c></row>')  # fmt: skip
    _assert_refused(bad, "bundle.check.formula", tmp_path)


def test_raw_control_character(good, tmp_path):
    bad = _in_sheet(good, tmp_path / "ctrl.xlsx", "备注0".encode(), "备注\x01".encode())
    _assert_refused(bad, "bundle.xml.control_chars", tmp_path)


def _edit(src: Path, dst: Path, sheet: str, fn) -> Path:
    wb = openpyxl.load_workbook(src)
    fn(wb[sheet])
    wb.save(dst)
    return dst


def test_tampered_manifest(good, tmp_path):
    def change_unit(ws):
        for row in ws.iter_rows():
            if row[0].value == "unit_name":
                row[1].value = '"别的单位"'

    bad = _edit(good, tmp_path / "manifest.xlsx", "_manifest", change_unit)
    _assert_refused(bad, "bundle.check.manifest_tampered", tmp_path)


def test_tampered_data(good, tmp_path):
    def change_age(ws):
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.value == 31:
                    cell.value = 131

    bad = _edit(good, tmp_path / "data.xlsx", "测试调查", change_age)
    _assert_refused(bad, "bundle.check.hash", tmp_path)


def test_duplicate_uuids(good, tmp_path):
    def duplicate(ws):
        ws.append([c.value for c in ws[2]])

    bad = _edit(good, tmp_path / "dup.xlsx", "测试调查", duplicate)
    _assert_refused(bad, "bundle.check.duplicate_uuid", tmp_path)


def test_future_period(tmp_path):
    town = RealStore(TOWN)
    town.add("t_report", {"activities": 1}, period="2099-01")
    bad = tmp_path / "future.xlsx"
    export_bundle(town, bad)
    _assert_refused(bad, "bundle.check.future_period", tmp_path)


def test_unknown_form_version(tmp_path):
    town = FakeStore(TOWN, forms=[survey_form("1"), survey_form("2")])
    town._forms["t_survey"] = {"1": survey_form("1"), "2": survey_form("2")}
    town.add("t_survey", {"age": 3})
    path = tmp_path / "v2.xlsx"
    export_bundle(town, path)
    assert inspect_bundle(path).valid  # a fine bundle...
    county = FakeStore(COUNTY)  # ...of a version this installation does not know
    summary = import_bundle(county, path)
    assert [p.code for p in summary.refused] == ["bundle.import.unknown_form"]
    assert "2" in summary.refused[0].message() and county.tables == {}


def test_write_error_leaves_no_file(tmp_path, monkeypatch):
    town = RealStore(TOWN)
    town.add("t_survey", {"age": 1})
    out = tmp_path / "o.xlsx"
    out.write_bytes(b"previous")
    from exports import xlsx_stream

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx_stream, "splice", boom)
    from i18n.errors import BundleError

    with pytest.raises(BundleError) as err:
        export_bundle(town, out)
    assert err.value.code == "fault.disk_full"  # names the folder that is full
    assert str(tmp_path) in err.value.message()
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.xlsx"]


def test_copy_of_valid_bundle_still_valid(good, tmp_path):
    copy = tmp_path / "copy.xlsx"
    shutil.copy(good, copy)
    assert inspect_bundle(copy).sha256 == inspect_bundle(good).sha256


def test_newer_format_version_asks_to_update(good, tmp_path):
    def bump(ws):
        for row in ws.iter_rows():
            if row[0].value == "format_version":
                row[1].value = "99"

    bad = _edit(good, tmp_path / "newer.xlsx", "_manifest", bump)
    result = inspect_bundle(bad)
    assert not result.valid and result.findings[0].code == "bundle.manifest.newer"
    assert "99" in result.findings[0].message()


def test_tampered_form_definition(tmp_path):
    import base64

    from bundle_fakes import survey_form

    town = FakeStore(TOWN)
    form = survey_form()
    definition = tmp_path / "t_survey.xlsx"
    openpyxl.Workbook().save(definition)
    form.source = str(definition)
    town._forms["t_survey"] = {"1": form}
    town.add("t_survey", {"age": 1})
    path = tmp_path / "f.xlsx"
    export_bundle(town, path)
    assert inspect_bundle(path).valid

    def alter(ws):
        cell = ws.cell(row=2, column=4)
        cell.value = base64.b64encode(b"not the definition").decode()

    bad = _edit(path, tmp_path / "f2.xlsx", "_forms", alter)
    _assert_refused(bad, "bundle.check.form_missing", tmp_path)


@pytest.mark.parametrize("ref", [b"A1048577", b"XFE9", b"ZZZZ9"])
def test_far_cell_in_a_later_row(good, tmp_path, ref):
    part = _data_part(good)

    def inject(name, data):
        if name != part:
            return data
        at = data.rfind(b"</row>")
        return data[:at] + b'<c r="' + ref + b'"><v>1</v></c>' + data[at:]

    bad = _rewrite(good, tmp_path / "far2.xlsx", inject)
    _assert_refused(bad, "bundle.xml.beyond_limits", tmp_path)


def test_wide_but_legal_cell_is_bounded_not_refused(good, tmp_path):
    part = _data_part(good)

    def inject(name, data):
        if name != part:
            return data
        at = data.rfind(b"</row>")
        return data[:at] + b'<c r="ZZ7"><v>1</v></c>' + data[at:]

    bad = _rewrite(good, tmp_path / "wide.xlsx", inject)
    result = inspect_bundle(bad)
    assert not result.valid and "bundle.check.extra_columns" in [f.code for f in result.findings]


def test_hostile_embedded_form_definition_is_gated(tmp_path, monkeypatch):
    from bundle_fakes import survey_form

    hostile = tmp_path / "def.xlsx"
    with zipfile.ZipFile(hostile, "w") as zf:
        zf.writestr("xl/workbook.xml", ENTITY_BOMB + b"<workbook/>")
    v2 = survey_form("2")
    v2.source = str(hostile)
    town = FakeStore(TOWN, forms=[v2])
    town.add("t_survey", {"age": 1})
    path = tmp_path / "b.xlsx"
    export_bundle(town, path)
    import forms

    def never(*a, **k):
        raise AssertionError("load_form must not see a hostile definition")

    monkeypatch.setattr(forms, "load_form", never)
    county = FakeStore(COUNTY)  # knows only version 1
    summary = import_bundle(county, path)
    assert [p.code for p in summary.refused] == ["bundle.import.unknown_form"]
    assert county.tables == {}
