"""One sheet-writer protocol, two writers: both conform and write the same bundle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import python_calamine
from bundle_fakes import RealStore

from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles
from exports.writer import ENGINES, SHEET_WRITERS, SheetWriter, sheet_writer

TOWN, COUNTY = "110101001000", "110101000000"
# 0.1 * 3 == 0.30000000000000004: 17 significant digits, which xlsxwriter alone rounded away
VALUES = ["=1+1", "+1", "0012", "1e5", "TRUE", "#N/A", " 空格 ", "_x0041_", "a\r\nb", "😀", "<&>"]


def _town() -> RealStore:
    town = RealStore(TOWN)
    for i, text in enumerate(VALUES):
        town.add("t_survey", {"note": text, "age": [0, -1, 2**60, None][i % 4], "income": 0.1 * i,
                              "sex": "m" if i % 2 else None},
                 repeats={"kids": [{"kid_name": text, "kid_age": i}, {"kid_age": None}]})  # fmt: skip
    town.add("t_report", {"activities": 3, "hours": 1.5}, period="2026-01")
    return town


@pytest.fixture(autouse=True)
def _one_creation_time(monkeypatch):
    """Two exports a second apart differ in their cover's creation time, which is not the
    writers' doing (the whole-suite run hit it): both writers see one clock reading."""
    import exports.content

    fixed = datetime(2026, 3, 15, 10, 0, 0, tzinfo=UTC)

    class _Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed if tz else fixed.replace(tzinfo=None)

    monkeypatch.setattr(exports.content, "datetime", _Clock)


def _sheets(path) -> dict[str, list[list]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


@pytest.mark.parametrize("engine", ENGINES)
def test_each_writer_conforms_to_the_protocol(engine):
    writer = sheet_writer(engine)
    assert writer.name == engine and SHEET_WRITERS[engine] is type(writer)
    for member in ("name", "takes_templates", "options", "add_rows", "finish"):
        assert hasattr(writer, member), member
        assert member in set(SheetWriter.__annotations__) | set(vars(SheetWriter)), member
    assert set(writer.options) == {"constant_memory", "in_memory"}
    assert isinstance(writer.takes_templates, bool)


def test_unknown_engine_is_named():
    with pytest.raises(ValueError, match="stream"):
        sheet_writer("openpyxl")


def test_both_writers_write_the_same_bundle(tmp_path):
    town = _town()
    paths = {e: tmp_path / f"{e}.xlsx" for e in ENGINES}
    summaries = {
        e: export_bundle(town, p, engine=e, include_sensitive=True) for e, p in paths.items()
    }
    assert len({s.sha256 for s in summaries.values()}) == 1
    sheets = {e: _sheets(p) for e, p in paths.items()}
    first, *others = ENGINES
    for e in others:
        assert sheets[e] == sheets[first], e  # every sheet, cell by cell
    for p in paths.values():
        result = inspect_bundle(p)
        assert result.valid and result.sha256 == summaries[first].sha256
        county = RealStore(COUNTY)
        assert not import_bundle(county, p).refused
        assert county.tables["t_survey"].keys() == town.tables["t_survey"].keys()


def test_both_writers_merge_to_the_same_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")
    source = tmp_path / "town.xlsx"
    export_bundle(_town(), source)
    merged = {}
    for e in ENGINES:
        merged[e] = merge_bundles(RealStore(COUNTY), [source], tmp_path / f"m-{e}.xlsx", engine=e)
        assert not merged[e].refused
    assert len({m.sha256 for m in merged.values()}) == 1
    first, *others = ENGINES
    for e in others:
        assert _sheets(tmp_path / f"m-{e}.xlsx") == _sheets(tmp_path / f"m-{first}.xlsx")
