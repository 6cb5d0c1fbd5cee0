"""Export → inspect → import reproduces the data exactly (types, empty vs zero, text, repeats)."""

from __future__ import annotations

import zipfile

import pytest
from bundle_fakes import RealStore
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports import export_bundle, import_bundle, inspect_bundle
from exports.format import MAX_CELL_CHARS
from tests.profiles import examples

TOWN = "110101001000"
COUNTY = "110101000000"
TRICKY = [
    "=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "a\r\nb",
    "N/A", "null", "NA", "0012", "1e5", "TRUE", "#N/A", " 前后空格 ", "_x0041_ 字面", "控制\x01\x08\x1f字符",
    "中文长文本" * 100, "x" * MAX_CELL_CHARS, "emoji 😀", "<b>&amp;</b>",
]  # fmt: skip
CARRIED = ("_uuid", "_unit", "_period", "_status", "_form_version", "_created", "_modified",
           "_author", "_explanations")  # fmt: skip


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    """Inputs are read in this process (worker processes are tested on their own)."""
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _carried(row: dict) -> dict:
    """What travels: no local columns, and ``exported`` (a local note) as ``finalised``."""
    from kexie.lifecycle import carried

    out = {k: v for k, v in row.items() if k not in ("_source", "_deleted") and v is not None}
    if "_status" in out:
        out["_status"] = carried(out["_status"])
    return out


def test_tricky_values_round_trip_exactly(tmp_path):
    town = RealStore(TOWN)
    uuids = []
    for i, text in enumerate(TRICKY):
        uuids.append(town.add("t_survey", {"note": text, "age": i, "income": 0.1 * i, "name": "王五"},
                              repeats={"kids": [{"kid_name": text, "kid_age": 0}, {"kid_age": None}]}))  # fmt: skip
    big = town.add("t_survey", {"age": 2**60, "income": 0.0, "note": None})
    empty = town.add("t_survey", {"age": 0, "income": None})
    out = tmp_path / "town.xlsx"
    summary = export_bundle(town, out, include_sensitive=True)
    assert summary.counts["t_survey"] == len(TRICKY) + 2
    # Never a formula, never shared strings of data: every formula-like text is an inline string.
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(name)
    result = inspect_bundle(out)
    assert result.valid, [f.message() for f in result.findings]
    assert result.sha256 == summary.sha256
    county = RealStore(COUNTY)
    imported = import_bundle(county, out)
    assert not imported.refused and imported.added == len(TRICKY) + 2
    for uid in [*uuids, big, empty]:
        assert _carried(county.tables["t_survey"][uid]) == _carried(town.tables["t_survey"][uid])
    assert county.tables["t_survey"][big]["age"] == 2**60
    row = county.tables["t_survey"][empty]
    assert row["age"] == 0 and isinstance(row["age"], int) and row.get("income") is None
    assert isinstance(county.tables["t_survey"][uuids[3]]["income"], float)
    kids_a = sorted((r["_parent_uuid"], r["_index"], r.get("kid_name"), r.get("kid_age"))
                    for r in town.tables["t_survey__kids"].values())  # fmt: skip
    kids_b = sorted((r["_parent_uuid"], r["_index"], r.get("kid_name"), r.get("kid_age"))
                    for r in county.tables["t_survey__kids"].values())  # fmt: skip
    assert kids_a == kids_b
    assert county.backups == ["import"]


def test_sensitive_left_out_unless_asked(tmp_path):
    town = RealStore(TOWN)
    uid = town.add("t_survey", {"name": "王五", "mobile": "13800000000", "age": 30})
    out = tmp_path / "b.xlsx"
    summary = export_bundle(town, out)
    assert summary.sensitive_omitted == {"t_survey": ["mobile", "name"]}
    result = inspect_bundle(out)
    assert result.manifest["sensitive_omitted"] == {"t_survey": ["mobile", "name"]}
    assert "13800000000" not in _all_text(out)
    county = RealStore(COUNTY)
    import_bundle(county, out)
    row = county.tables["t_survey"][uid]
    assert row["name"] is None and row["mobile"] is None and row["age"] == 30
    export_bundle(town, out, include_sensitive=True)
    assert "13800000000" in _all_text(out)


def test_drafts_stay_home_and_period_filter(tmp_path):
    town = RealStore(TOWN)
    town.add("t_report", {"activities": 1}, period="2026-01")
    town.add("t_report", {"activities": 2}, period="2026-02")
    town.add("t_report", {"activities": 3}, period="2026-03", status="draft")
    s = export_bundle(town, tmp_path / "a.xlsx", period="2026-01")
    assert s.counts == {"t_report": 1}
    s = export_bundle(town, tmp_path / "b.xlsx", period="2026-Q1")
    assert s.counts == {"t_report": 2} and s.drafts_left_out == 1


def test_deletions_travel_as_tombstones(tmp_path):
    town = RealStore(TOWN)
    uid = town.add("t_survey", {"age": 1})
    county = RealStore(COUNTY)
    import_bundle(county, _export(town, tmp_path / "1.xlsx"))
    assert not county.tables["t_survey"][uid]["_deleted"]
    town.tables["t_survey"][uid].update(_deleted=1, _modified="2026-02-01T00:00:00Z")
    s = import_bundle(county, _export(town, tmp_path / "2.xlsx"))
    assert s.deleted == 1 and county.tables["t_survey"][uid]["_deleted"] == 1


def test_english_bundle_has_english_sheets(tmp_path):
    town = RealStore(TOWN)
    town.add("t_report", {"activities": 1}, period="2026-01")
    out = _export(town, tmp_path / "en.xlsx", lang="en")
    import python_calamine

    names = python_calamine.CalamineWorkbook.from_path(str(out)).sheet_names
    assert names[0] == "Cover" and "Test monthly" in names
    assert inspect_bundle(out).valid


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    notes=st.lists(st.one_of(st.none(), st.text(min_size=0, max_size=60)), min_size=1, max_size=6),
    ages=st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), min_size=6, max_size=6),
    incomes=st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
                     min_size=6, max_size=6),
)  # fmt: skip
def test_property_round_trip(tmp_path, notes, ages, incomes):
    town = RealStore(TOWN)
    uids = []
    for note, age, income in zip(notes, ages, incomes, strict=False):
        note = None if note is not None and not note.strip("\x00") else note
        uids.append(town.add("t_survey", {"note": note or None, "age": age, "income": income}))
    out = _export(town, tmp_path / "p.xlsx")
    result = inspect_bundle(out)
    assert result.valid, [f.message() for f in result.findings]
    county = RealStore(COUNTY)
    assert not import_bundle(county, out).refused
    for uid in uids:
        a, b = _carried(town.tables["t_survey"][uid]), _carried(county.tables["t_survey"][uid])
        for key in ("name", "mobile"):
            a.pop(key, None)
        assert a == b
        assert all(type(a[k]) is type(b[k]) for k in a)


def _export(store, out, **kw):
    export_bundle(store, out, **kw)
    return out


def _all_text(path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def test_import_is_all_or_nothing(tmp_path):
    town = RealStore(TOWN)
    town.add("t_survey", {"age": 1})
    town.add("t_report", {"activities": 1}, period="2026-01")
    out = _export(town, tmp_path / "b.xlsx")
    county = RealStore(COUNTY)
    county.add("t_survey", {"age": 99}, unit=TOWN)
    before = county.snapshot()
    real = county.upsert_rows
    calls = []

    def failing(form_id, rows, repeat_rows=None, *, source):
        calls.append(form_id)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(form_id, rows, repeat_rows, source=source)

    county.upsert_rows = failing
    with pytest.raises(OSError):
        import_bundle(county, out)
    assert len(calls) == 2 and county.snapshot() == before


def test_text_over_excel_limit_is_refused_clearly(tmp_path):
    from i18n.errors import BundleError

    town = RealStore(TOWN)
    uid = town.add("t_survey", {"note": "长" * (MAX_CELL_CHARS + 1)})
    out = tmp_path / "long.xlsx"
    with pytest.raises(BundleError) as err:
        export_bundle(town, out)
    message = err.value.message()
    assert uid in message and "32767" in message and "note" in message
    assert list(tmp_path.iterdir()) == []


def test_xlsxwriter_engine_writes_the_same_data(tmp_path):
    town = RealStore(TOWN)
    for i, text in enumerate(TRICKY[:8]):
        town.add("t_survey", {"note": text, "age": i, "sex": "m"},
                 repeats={"kids": [{"kid_name": text, "kid_age": i}]})  # fmt: skip
    a = export_bundle(town, tmp_path / "a.xlsx")
    b = export_bundle(town, tmp_path / "b.xlsx", engine="xlsxwriter")
    assert a.sha256 == b.sha256
    result = inspect_bundle(tmp_path / "b.xlsx")
    assert result.valid and result.sha256 == a.sha256


def test_more_rows_than_excel_holds_is_refused(tmp_path, monkeypatch):
    import exports.writer
    from i18n.errors import BundleError

    monkeypatch.setattr(exports.writer, "MAX_ROWS", 3)
    town = RealStore(TOWN)
    for i in range(3):
        town.add("t_survey", {"age": i})
    with pytest.raises(BundleError) as err:
        export_bundle(town, tmp_path / "big.xlsx")
    assert err.value.code == "bundle.write.too_large" and err.value.location.sheet == "测试调查"
    assert list(tmp_path.iterdir()) == []
