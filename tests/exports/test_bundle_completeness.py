"""上报情况 and the ``Completeness`` API: each form is judged against periods of its own type."""

from __future__ import annotations

import pytest
import python_calamine
from bundle_fakes import FakeStore, RealStore, annual_form, report_form

from exports import export_bundle, merge_bundles
from exports.rollup import Completeness, as_type

COUNTY1 = "110101000000"
TOWNS1 = ["110101001000", "110101002000", "110101003000"]


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _county() -> FakeStore:
    """12 months of 2025 and January 2026 from the first township; one annual report (2025)."""
    s = RealStore(COUNTY1, forms=[report_form(), annual_form()])
    for m in [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]:
        s.add("t_report", {"registered": 5, "activities": 1}, unit=TOWNS1[0], period=m)
    s.add("t_annual", {"members": 30}, unit=TOWNS1[0], period="2025")
    s.add("t_annual", {}, unit=TOWNS1[1], period="2025", status="nil")
    return s


def _blocks(path) -> dict[str, dict[tuple[str, str], dict[str, str]]]:
    """{form title: {(unit, form): {period column: cell}}} from the 上报情况 sheet's blocks."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name("上报情况").to_python()
    out: dict = {}
    header = grid[2]
    for row in grid[3:]:
        if not any(row):
            continue
        if row[0] == header[0] and row[1] == header[1]:  # the next block's header row
            header = row
            continue
        cols = [h for h in header[3:] if h != ""]
        out.setdefault(row[0], {})[row[1]] = dict(zip(cols, row[3 : 3 + len(cols)], strict=True))
    return out


def test_annual_form_has_year_columns_and_monthly_form_months(tmp_path):
    export_bundle(_county(), tmp_path / "c.xlsx")
    blocks = _blocks(tmp_path / "c.xlsx")
    annual, monthly = blocks["测试年报"], blocks["测试月报"]
    assert annual[TOWNS1[0]] == {"2025": "已报", "2026": "未报"}
    assert annual[TOWNS1[1]] == {"2025": "空表", "2026": "未报"}
    assert annual[TOWNS1[2]] == {"2025": "未报", "2026": "未报"}
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]
    assert list(monthly[TOWNS1[0]]) == months
    assert set(monthly[TOWNS1[0]].values()) == {"已报"}
    assert set(monthly[TOWNS1[2]].values()) == {"未报"}


def test_merged_bundle_keeps_each_form_on_its_own_periods(tmp_path):
    export_bundle(_county(), tmp_path / "c.xlsx")
    city = FakeStore("110100000000", forms=[report_form(), annual_form()])
    merge_bundles(city, [tmp_path / "c.xlsx"], tmp_path / "city.xlsx")
    blocks = _blocks(tmp_path / "city.xlsx")
    assert blocks["测试年报"][COUNTY1] == {"2025": "已报", "2026": "未报"}
    assert len(blocks["测试月报"][COUNTY1]) == 13


def test_completeness_api_judges_by_the_forms_period_type():
    board = Completeness([("A", "甲"), ("B", "乙")], lambda code: (code, code), None)
    board.add("annual", "年报", {"_unit": "A", "_period": "2025", "_status": "finalised"}, "year")
    board.add("monthly", "月报", {"_unit": "A", "_period": "2026-02", "_status": "nil"}, "month")
    assert board.periods("annual") == ["2025", "2026"]
    assert board.periods("monthly") == ["2026-02"]
    assert board.status("annual", "A", "2025") == "data"
    assert board.status("annual", "A", "2025-07") == "data"  # a month judged by its year
    assert board.status("annual", "A", "2026") == "missing"
    assert board.status("monthly", "A", "2026-02") == "nil"
    assert board.status("monthly", "B", "2026-02") == "missing"
    assert as_type("2025-11", "quarter") == "2025-Q4" and as_type("2025", "month") is None
