"""Bad files, second round (issue 10 "Bad files: clear, bounded, logged"): wrong-typed cells,
unparsable sheets, forbidden character references, duplicate uuids named at both rows, sheet
names Excel forbids, stray far cells (measured memory and time), embedded-but-not-installed
form versions, the warnings channel, and control/bidi characters shown escaped."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from bundle_fakes import RealStore

from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles
from tests.conftest import REPO

TOWN, COUNTY = "110101001000", "110101000000"


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
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


def _rewrite(src: Path, dst: Path, fn, extra: dict | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = fn(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def _data_part(path: Path, marker: bytes = "备注0".encode()) -> str:
    with zipfile.ZipFile(path) as zf:
        return next(
            n for n in zf.namelist() if n.startswith("xl/worksheets/") and marker in zf.read(n)
        )


def _cell(src: Path, dst: Path, ref: str, new: bytes) -> Path:
    """Replace the cell ``ref`` of the survey data sheet by ``new`` (raw XML)."""
    part = _data_part(src)
    pat = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)

    def fn(name, data):
        if name != part:
            return data
        assert pat.search(data), ref
        return pat.sub(new, data, count=1)

    return _rewrite(src, dst, fn)


def _finding(path: Path, code: str):
    result = inspect_bundle(path)
    assert not result.valid
    found = [f for f in result.findings if f.code == code]
    assert found, [f.code for f in result.findings]
    return found


# -- cells of the wrong type ------------------------------------------------------------------
# Row 2 of the survey sheet: D2 = age (int), E2 = income (float), F2 = note (text).


@pytest.mark.parametrize(("ref", "cell", "code"), [
    ("D2", b'<c r="D2" t="b"><v>1</v></c>', "bundle.cell.boolean"),
    ("E2", b'<c r="E2" t="b"><v>0</v></c>', "bundle.cell.boolean"),
    ("D2", b'<c r="D2" t="e"><v>#DIV/0!</v></c>', "bundle.cell.error_value"),
    ("E2", b'<c r="E2" t="e"><v>#N/A</v></c>', "bundle.cell.error_value"),
    ("F2", b'<c r="F2" t="e"><v>#VALUE!</v></c>', "bundle.cell.error_value"),
    ("F2", b'<c r="F2" t="d"><v>2026-01-02T00:00:00</v></c>', "bundle.cell.date_value"),
    ("F2", b'<c r="F2" s="1"><v>46024</v></c>', "bundle.cell.not_text"),
])  # fmt: skip
def test_wrong_typed_cell_is_a_located_finding(good, tmp_path, ref, cell, code):
    bad = _cell(good, tmp_path / "typed.xlsx", ref, cell)
    f = _finding(bad, code)[0]
    assert (f.location.sheet, f.location.row, f.location.column) == ("测试调查", 2, ref[0])
    assert f.location.field in ("age", "income", "note")
    text = f.message()
    assert "测试调查" in text and "2" in text and ref[0] in text
    summary = import_bundle(RealStore(COUNTY), bad)
    assert code in [p.code for p in summary.refused]


def test_date_cell_in_text_column_from_a_style(good, tmp_path):
    """A number cell styled as a date (what Excel makes of a retyped cell) in a text column."""
    part = _data_part(good)

    def fn(name, data):
        if name == "xl/styles.xml":
            # style 1: a built-in date format
            data = re.sub(rb'<cellXfs count="\d+">', b'<cellXfs count="2">', data, count=1)
            return data.replace(
                b"</cellXfs>", b'<xf numFmtId="14" applyNumberFormat="1"/></cellXfs>', 1
            )
        if name == part:
            return re.sub(
                rb'<c r="F2"[^>]*>.*?</c>',
                b'<c r="F2" s="1"><v>46024</v></c>',
                data,
                count=1,
                flags=re.S,
            )
        return data

    bad = _rewrite(good, tmp_path / "styled.xlsx", fn)
    codes = {f.code for f in inspect_bundle(bad).findings if f.location.row == 2}
    assert codes & {"bundle.cell.date_value", "bundle.cell.not_text"}, codes


# -- a sheet the reader cannot parse ----------------------------------------------------------


def test_unparsable_sheet_names_the_parser_reason(good, tmp_path):
    part = _data_part(good)
    bad = _rewrite(good, tmp_path / "broken.xlsx",
                   lambda n, d: d.replace(b'<row r="3">', b'<row r="3" <', 1) if n == part else d)  # fmt: skip
    f = _finding(bad, "bundle.check.sheet_unreadable")[0]
    assert f.location.sheet == "测试调查"
    assert f.params["reason"], f.params  # the parser's own words
    assert str(f.params["reason"]) in f.message()
    assert "bundle.check.count" not in [x.code for x in inspect_bundle(bad).findings]


# -- character references XML forbids ---------------------------------------------------------


@pytest.mark.parametrize("ref", [b"&#x1;", b"&#1;", b"&#X1F;", b"&#xFFFE;", b"&#xD800;", b"&#0;"])
def test_forbidden_character_reference_refused_like_raw_bytes(good, tmp_path, ref):
    part = _data_part(good)
    bad = _rewrite(good, tmp_path / "ref.xlsx", lambda n, d: d.replace(
        "备注0".encode(), "备注".encode() + ref, 1) if n == part else d)  # fmt: skip
    f = _finding(bad, "bundle.xml.control_chars")[0]
    assert f.location.file == str(bad)
    summary = import_bundle(RealStore(COUNTY), bad)
    assert [p.code for p in summary.refused] == ["bundle.xml.control_chars"]


def test_allowed_character_references_still_read(good, tmp_path):
    part = _data_part(good)
    bad = _rewrite(good, tmp_path / "ok.xlsx", lambda n, d: d.replace(
        "备注0".encode(), b"&#x5907;&#27880;0&#9;", 1) if n == part else d)  # fmt: skip
    codes = [f.code for f in inspect_bundle(bad).findings]
    assert "bundle.xml.control_chars" not in codes  # only the hash notices the tab


# -- duplicate uuids at both rows; sheet names Excel forbids ----------------------------------


def test_duplicate_uuid_names_both_rows(good, tmp_path):
    part = _data_part(good)

    def fn(name, data):
        if name != part:
            return data
        uuids = re.findall(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", data)
        return data.replace(uuids[3], uuids[1])  # row 5 gets row 3's uuid

    bad = _rewrite(good, tmp_path / "dup.xlsx", fn)
    f = _finding(bad, "bundle.check.duplicate_uuid")[0]
    assert f.location.row == 5 and f.location.sheet == "测试调查"
    assert f.params["first_row"] == 3
    assert "3" in f.message() and "5" in f.message()


@pytest.mark.parametrize("name", ["a/b", "x" * 32, "'quoted", "what?", "[x]", "History"])
def test_sheet_name_excel_forbids_is_refused(good, tmp_path, name):
    from xml.sax.saxutils import quoteattr

    def fn(n, data):
        if n != "xl/workbook.xml":
            return data
        return data.replace('name="封面"'.encode(), b"name=" + quoteattr(name).encode(), 1)

    bad = _rewrite(good, tmp_path / "name.xlsx", fn)
    f = _finding(bad, "bundle.xml.bad_sheet_name")[0]
    assert f.params["name"] == name
    assert [p.code for p in import_bundle(RealStore(COUNTY), bad).refused] == [
        "bundle.xml.bad_sheet_name"
    ]


def test_writer_never_uses_a_name_excel_forbids():
    from exports.writer import SheetNames

    names = SheetNames()
    taken = [names.take(n) for n in ["History", "history", "a/b", "'x'", "y" * 40, "_m"]]
    seen: set[str] = set()
    from exports.safety import bad_sheet_name

    for name in taken:
        assert not bad_sheet_name(name, seen), name
        seen.add(name.lower())


def test_sheet_names_equal_ignoring_case_are_refused(good, tmp_path):
    def fn(n, data):
        if n != "xl/workbook.xml":
            return data
        return data.replace('name="封面"'.encode(), b'name="_MANIFEST"', 1)

    bad = _rewrite(good, tmp_path / "case.xlsx", fn)
    _finding(bad, "bundle.xml.bad_sheet_name")


# -- a stray cell far down: bounded memory and time (measured in a fresh process) -------------

MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    from exports import inspect_bundle
    start = time.perf_counter()
    result = inspect_bundle(sys.argv[1])
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "valid": result.valid, "codes": [f.code for f in result.findings]}))
""")


def _measured(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                         text=True, cwd=REPO, timeout=120, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX only")
@pytest.mark.parametrize("ref", ["XFD1048576", "A1048576", "T1048576", "A300000", "XFD30000"])
def test_stray_far_cell_is_refused_with_bounded_memory(good, tmp_path, ref):
    part = _data_part(good)

    def inject(name, data):
        if name != part:
            return data
        row = re.match(r"[A-Z]+(\d+)", ref).group(1)
        return data.replace(b"</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>'
                            "</sheetData>".encode())  # fmt: skip

    bad = _rewrite(good, tmp_path / "stray.xlsx", inject)
    got = _measured(bad)
    assert got["rss_mb"] < 512 and got["seconds"] < 10, got
    assert not got["valid"]
    assert "bundle.xml.stray_cell" in got["codes"] or "bundle.xml.too_big" in got["codes"], got
    f = _finding(bad, got["codes"][0])[0]
    assert f.location.sheet == "测试调查" or f.params.get("name")


@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX only")
def test_dimension_claiming_a_huge_range_is_read_quickly(good, tmp_path):
    part = _data_part(good)
    bad = _rewrite(good, tmp_path / "dim.xlsx", lambda n, d: re.sub(
        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', d) if n == part else d)  # fmt: skip
    got = _measured(bad)
    assert got["rss_mb"] < 512 and got["seconds"] < 10, got
    assert got["valid"], got  # <dimension> is only a claim: the cells are what counts


# -- embedded but not installed form versions -------------------------------------------------


def test_bundle_with_embedded_form_not_installed_imports(tmp_path):
    sys.path.insert(0, str(REPO / "tests" / "forms"))
    from forms_helpers import xlsx

    import localdb

    definition = tmp_path / "myform.xlsx"
    definition.write_bytes(xlsx([["type", "name", "label"], ["integer", "n", "N"]],
                                settings=[["form_id", "version", "form_title"],
                                          ["my_form", "3", "My form"]]))  # fmt: skip
    with localdb.open_store(tmp_path / "town") as town:
        town.set_unit("330106002")
        town.add_form(definition)
        uuid = town.save("my_form", {"n": 5}, status="finalised")
        export_bundle(town, tmp_path / "b.xlsx")
    with localdb.open_store(tmp_path / "county") as county:
        county.set_unit("330106")
        summary = import_bundle(county, tmp_path / "b.xlsx")
        assert summary.refused == [] and summary.added == 1
        assert summary.forms_added == ["my_form 3"]
        assert county.get("my_form", uuid)["n"] == 5
        merged = merge_bundles(county, [tmp_path / "b.xlsx"], tmp_path / "m.xlsx")
        assert merged.refused == [] and merged.counts.get("my_form") == 1


# -- warnings channel -------------------------------------------------------------------------


def test_import_warns_about_macros_and_hidden_sheets(good, tmp_path):
    def fn(n, data):
        if n == "xl/workbook.xml":
            return data.replace(b"</sheets>", b'<sheet name="secret" sheetId="99" '
                                b'state="hidden" r:id="rIdX"/></sheets>')  # fmt: skip
        if n == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", b'<Relationship Id="rIdX" Type="http://'
                                b'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                b'worksheet" Target="worksheets/sheet99.xml"/></Relationships>')  # fmt: skip
        if n == "[Content_Types].xml":
            return data.replace(b"</Types>", b'<Override PartName="/xl/worksheets/sheet99.xml" '
                                b'ContentType="application/vnd.openxmlformats-officedocument.'
                                b'spreadsheetml.worksheet+xml"/></Types>')  # fmt: skip
        return data

    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" '
             b't="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>')  # fmt: skip
    bad = _rewrite(good, tmp_path / "warn.xlsx", fn,
                   {"xl/worksheets/sheet99.xml": sheet, "xl/vbaProject.bin": b"\0" * 100})  # fmt: skip
    result = inspect_bundle(bad)
    assert result.valid, [f.message() for f in result.findings]
    summary = import_bundle(RealStore(COUNTY), bad)
    assert summary.refused == [] and summary.added == 6
    codes = [w.code for w in summary.warnings]
    assert "bundle.warn.macros_dropped" in codes and "bundle.warn.hidden_sheet" in codes
    hidden = next(w for w in summary.warnings if w.code == "bundle.warn.hidden_sheet")
    assert hidden.params["sheet"] == "secret" and "secret" in hidden.message()
    assert all(w.severity == "warning" for w in summary.warnings)


# -- control and bidi characters are shown escaped --------------------------------------------


def test_control_and_bidi_characters_in_file_names_are_escaped(tmp_path):
    from i18n import shown

    name = "evil\u202egpj.xlsx\x1b[31m\n"
    path = tmp_path / name
    path.write_bytes(b"not a zip at all")
    summary = import_bundle(RealStore(COUNTY), path)
    text = summary.refused[0].message()
    assert "\u202e" not in text and "\x1b" not in text and "\n" not in text
    assert "\\u202e" in text and "\\x1b" in text and "\\n" in text
    assert shown("a\u2066b\u200fc\x00") == "a\\u2066b\\u200fc\\x00"
    assert shown("正常 text\t") == "正常 text\\t"


def test_control_characters_in_cell_text_are_escaped_in_findings(good, tmp_path):
    part = _data_part(good)
    bad = _cell(good, tmp_path / "c.xlsx", "D2",
                '<c r="D2" t="inlineStr"><is><t>3\u202e1_x001B_</t></is></c>'.encode())  # fmt: skip
    f = _finding(bad, "bundle.cell.not_integer")[0]
    text = f.message()
    assert "\u202e" not in text and "\x1b" not in text and "\\u202e" in text
    assert part


@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX only")
def test_stray_cell_far_right_in_the_header_row(tmp_path):
    town = RealStore(TOWN)
    for i in range(700):
        town.add("t_survey", {"age": 30 + i % 50, "note": f"备注{i}"})
    good = tmp_path / "big.xlsx"
    export_bundle(town, good)
    part = _data_part(good)
    bad = _rewrite(good, tmp_path / "far-right.xlsx", lambda n, d: d.replace(
        b"</row>", b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>', 1) if n == part else d)  # fmt: skip
    got = _measured(bad)
    assert got["rss_mb"] < 512 and got["seconds"] < 10, got
    assert "bundle.xml.stray_cell" in got["codes"], got
