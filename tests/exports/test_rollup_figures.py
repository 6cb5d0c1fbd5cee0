"""Roll-up figures that are the same at every level (issue 10, "Roll-up figures"): stocks per
unit then summed, averages of the underlying reports, returned reports, one-period spans."""

from __future__ import annotations

import pytest
import python_calamine
from bundle_fakes import RealStore, annual_form, report_form, survey_form

from exports import export_bundle, merge_bundles

CITY, C1, C2 = "330100000000", "330102000000", "330105000000"  # 杭州市, 上城区, 拱墅区
A, B, C = "330102001000", "330102003000", "330102004000"
D = "330105001000"


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _town(code, reports, status="finalised"):
    """``reports``: {month: {indicator: value}}."""
    s = RealStore(code, forms=[survey_form(), report_form(), annual_form()])
    for m, values in reports.items():
        s.add("t_report", values, period=f"2026-{m:02d}", status=status,
              modified=f"2026-{m:02d}-28T10:00:00Z")  # fmt: skip
    return s


def _bundle(store, path):
    export_bundle(store, path)
    return path


def _merge(code, paths, out):
    s = merge_bundles(RealStore(code, forms=[survey_form(), report_form(), annual_form()]),
                      paths, out)  # fmt: skip
    assert not s.refused, [p.message() for p in s.refused]
    return out


def _rollup(path, title="测试月报"):
    """{(unit code or 合计, period): {header: value}} of a 汇总 sheet."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name(f"汇总-{title}").to_python()
    header = grid[2]
    out = {}
    for r in grid[3:]:
        key = (r[0] or r[1], r[2])
        assert key not in out, f"{key} printed twice"
        out[key] = dict(zip(header, r, strict=False))
    return out


def _completeness(path):
    grid = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("上报情况")
    grid = grid.to_python()
    header = grid[2]
    return {r[1]: dict(zip(header[3:], r[3:], strict=False)) for r in grid[3:] if r[1]}


REG, ACT, RATE = "注册志愿者（人）", "活动次数", "满意率"


@pytest.fixture
def tree(tmp_path):
    """County 1: A reports Jan–Mar, B skips March, C only January. County 2: D, Jan–Mar."""
    a = _town(A, {m: {"registered": 100 + m, "activities": m, "rate": 0.9} for m in (1, 2, 3)})
    b = _town(B, {m: {"registered": 200 + m, "activities": m, "rate": 0.6} for m in (1, 2)})
    c = _town(C, {1: {"registered": 300, "activities": 5, "rate": 0.3}})
    d = _town(D, {m: {"registered": 400 + m, "activities": m, "rate": 0.1} for m in (1, 2, 3)})
    towns = [_bundle(s, tmp_path / f"{s.unit_code}.xlsx") for s in (a, b, c, d)]
    c1 = _merge(C1, towns[:3], tmp_path / "c1.xlsx")
    c2 = _merge(C2, towns[3:], tmp_path / "c2.xlsx")
    city = _merge(CITY, [c1, c2], tmp_path / "city.xlsx")
    return {"towns": towns, "c1": c1, "c2": c2, "city": city}


SPAN = "2026-01~2026-03"


def test_stock_over_a_span_is_each_units_latest_value_summed(tree):
    county = _rollup(tree["c1"])
    assert county[(A, SPAN)][REG] == 103
    assert county[(B, SPAN)][REG] == 202  # B skipped March: its latest is February
    assert county[(C, SPAN)][REG] == 300
    assert county[("合计", SPAN)][REG] == 103 + 202 + 300
    city = _rollup(tree["city"])
    assert city[(C1, SPAN)][REG] == 103 + 202 + 300  # the same figure one level up
    assert city[(C2, SPAN)][REG] == 403
    assert city[("合计", SPAN)][REG] == 103 + 202 + 300 + 403


def test_a_countys_figures_are_equal_in_its_own_bundle_and_the_citys(tree):
    county, city = _rollup(tree["c1"]), _rollup(tree["city"])
    for period in ("2026-01", "2026-02", "2026-03", SPAN):
        for col in (REG, ACT, RATE):
            assert county[("合计", period)][col] == pytest.approx(city[(C1, period)][col])


def test_average_is_the_mean_of_the_reports_not_a_mean_of_means(tree):
    city = _rollup(tree["city"])
    jan = [0.9, 0.6, 0.3, 0.1]  # A, B, C, D in January
    assert city[("合计", "2026-01")][RATE] == pytest.approx(sum(jan) / 4)
    assert city[(C1, "2026-01")][RATE] == pytest.approx(0.6)
    everything = [0.9] * 3 + [0.6] * 2 + [0.3] + [0.1] * 3
    assert city[("合计", SPAN)][RATE] == pytest.approx(sum(everything) / len(everything))
    assert city[(C1, SPAN)][RATE] == pytest.approx((0.9 * 3 + 0.6 * 2 + 0.3) / 6)


def test_a_returned_report_is_returned_everywhere_and_not_summed(tmp_path):
    a = _town(A, {1: {"registered": 100, "activities": 1}})
    b = _town(B, {1: {"registered": 50, "activities": 7}}, status="returned")
    paths = [_bundle(s, tmp_path / f"{s.unit_code}.xlsx") for s in (a, b)]
    county = _merge(C1, paths, tmp_path / "c1.xlsx")
    state = _completeness(county)
    assert state[A]["2026-01"] == "已报" and state[B]["2026-01"] == "退回"
    figures = _rollup(county)
    assert (B, "2026-01") not in figures
    assert figures[("合计", "2026-01")][REG] == 100 and figures[("合计", "2026-01")][ACT] == 1
    city = _merge(CITY, [county], tmp_path / "city.xlsx")
    assert _completeness(city)[C1]["2026-01"] == "退回"
    assert _rollup(city)[(C1, "2026-01")][REG] == 100


def test_the_corrected_report_counts_again(tmp_path):
    b = _town(B, {1: {"registered": 50, "activities": 7}}, status="returned")
    returned = _bundle(b, tmp_path / "returned.xlsx")
    row = next(iter(b.tables["t_report"].values()))
    row.update(registered=55, _status="finalised", _modified="2026-02-03T00:00:00Z")
    corrected = _bundle(b, tmp_path / "corrected.xlsx")
    county = _merge(C1, [returned, corrected], tmp_path / "c1.xlsx")
    assert _completeness(county)[B]["2026-01"] == "已报"
    assert _rollup(county)[("合计", "2026-01")][REG] == 55


def test_a_span_of_one_period_prints_one_block(tmp_path):
    stores = []
    for code, members in ((A, 10), (B, 20)):
        s = RealStore(code, forms=[survey_form(), report_form(), annual_form()])
        s.add("t_annual", {"members": members}, period="2026")
        stores.append(s)
    paths = [_bundle(s, tmp_path / f"{s.unit_code}.xlsx") for s in stores]
    county = _merge(C1, paths, tmp_path / "c1.xlsx")
    grid = (
        python_calamine.CalamineWorkbook.from_path(str(county))
        .get_sheet_by_name("汇总-测试年报")
        .to_python()
    )
    body = [r for r in grid[3:] if any(v != "" for v in r)]
    assert [(r[0] or r[1], r[2], r[3]) for r in body] == [
        (A, "2026", 10),
        (B, "2026", 20),
        ("合计", "2026", 30),
    ]


def _venue_form():
    from forms.model import Form, Question

    return Form(
        "t_venue",
        "1",
        titles={"zh_CN": "测试场馆月报"},
        children=[
            Question("venue", "text", labels={"zh_CN": "场馆"}, aggregate="none"),
            Question("exhibits", "integer", labels={"zh_CN": "展品数"}, aggregate="last"),
            Question("visitors", "integer", labels={"zh_CN": "参观人次"}, aggregate="sum"),
        ],
        kind="report",
        period_type="month",
        report_key=["venue"],
    )


def test_a_stock_is_kept_per_unit_and_report_key(tmp_path):
    """One township, two venues (the form's report key): the venue that skipped March still
    counts with its February stock."""
    s = RealStore(A, forms=[survey_form(), report_form(), _venue_form()])
    for m in (1, 2, 3):
        s.add("t_venue", {"venue": "科技馆", "exhibits": 10 * m, "visitors": 100},
              period=f"2026-{m:02d}")  # fmt: skip
    for m in (1, 2):
        s.add("t_venue", {"venue": "大篷车", "exhibits": 3 + m, "visitors": 50},
              period=f"2026-{m:02d}")  # fmt: skip
    path = _bundle(s, tmp_path / "a.xlsx")
    county = merge_bundles(RealStore(C1, forms=[survey_form(), report_form(), _venue_form()]),
                           [path], tmp_path / "c1.xlsx")  # fmt: skip
    assert not county.refused
    for bundle in (path, tmp_path / "c1.xlsx"):
        figures = _rollup(bundle, "测试场馆月报")
        assert figures[(A, SPAN)]["展品数"] == 30 + 5
        assert figures[(A, SPAN)]["参观人次"] == 3 * 100 + 2 * 50
        assert figures[(A, "2026-03")]["展品数"] == 30
