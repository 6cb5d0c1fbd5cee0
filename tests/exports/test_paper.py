"""What goes on paper (exports.paper): the report form, the 汇总表 and an interview — no Qt.

The county's 汇总表 is checked against the townships' own reports: each township fills its
reports in its own installation, exports a bundle, the county imports them, and the totals it
prints must equal the sum of the township reports (stocks taken at the last month of a longer
period, never summed over time)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from exports import export_bundle, import_bundle
from exports import paper as PP
from forms import load_form
from i18n.errors import FormError, UsageError
from kexie import lifecycle as L
from localdb import open_store
from localdb.demo import run_demo

COUNTY = "330106000000"
TOWNS = ("330106002000", "330106004000", "330106005000")
FORM = "kexie_volunteer_monthly"
TODAY = date(2026, 11, 20)


def _town(root: Path, unit: str, seed: int) -> Path:
    folder = root / unit
    with open_store(folder) as store:
        store.set_unit(unit)
        store.set_clerk("测试员")
        run_demo(store, records=2, seed=seed, today=TODAY)
    return folder


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A county installation holding what three townships sent up (through bundles)."""
    root = tmp_path_factory.mktemp("paper")
    towns = [_town(root, u, i + 1) for i, u in enumerate(TOWNS)]
    bundles = []
    for folder in towns:
        with open_store(folder) as store:
            out = root / f"{store.unit_code}.xlsx"
            export_bundle(store, out)
            bundles.append(out)
    folder = root / COUNTY
    with open_store(folder) as store:
        store.set_unit(COUNTY)
        for b in bundles:
            s = import_bundle(store, b)
            assert not s.refused, [p.message() for p in s.refused]
    return folder, towns


def _town_reports(towns, period_of) -> list[dict]:
    """The townships' own reported (non-nil) reports whose period ``period_of`` accepts."""
    rows = []
    for folder in towns:
        with open_store(folder) as store:
            for r in store.records(FORM, unit=store.unit_code, status=sorted(L.REPORTED)):
                if r["_status"] != L.NIL and period_of(r["_period"]):
                    rows.append(r)
    return rows


def test_county_summary_totals_equal_the_sum_of_the_township_reports(county):
    folder, towns = county
    month = "2026-09"
    reports = _town_reports(towns, lambda p: p == month)
    assert len(reports) >= 2  # the fixture gives real figures to add up
    with open_store(folder) as store:
        form = store.form(FORM)
        s = PP.summarise(store, FORM, month)
        paper = PP.summary_paper(store, FORM, month)
    indicators = [q for q in form.fields() if q.aggregate in ("sum", "last")]
    assert {c.name for c in s.indicators} == {q.name for q in indicators}
    for q in indicators:
        expected = sum(r[q.name] for r in reports if r[q.name] is not None)
        assert s.total[q.name] == pytest.approx(expected), q.name
        for r in reports:  # the breakdown column of each township is its own report
            assert s.by_unit[r["_unit"]][q.name] == pytest.approx(r[q.name]), (q.name, r["_unit"])
    # the printed form carries the totals in its value column, with the codes of the form
    lines = {ln.name: ln for ln in paper.lines if not ln.heading}
    total = sum(r["vol_registered"] for r in reports)
    assert lines["vol_registered"].value == str(total)
    assert lines["vol_registered"].code == "01"
    # derived ratios are recomputed from the totals, never summed
    registered = sum(r["vol_registered"] for r in reports)
    active = sum(r["vol_active"] for r in reports)
    assert lines["active_rate"].value == PP.number_text(round(active * 100 / registered, 1))


def test_quarter_summary_sums_flows_and_takes_stocks_at_the_last_month(county):
    folder, towns = county
    quarter = "2026-Q3"
    months = ("2026-07", "2026-08", "2026-09")
    reports = _town_reports(towns, lambda p: p in months)
    with open_store(folder) as store:
        s = PP.summarise(store, FORM, quarter)
    activities = sum(r["activities"] for r in reports)  # flow: every month adds
    assert s.total["activities"] == activities
    latest: dict[str, dict] = {}
    for r in sorted(reports, key=lambda r: r["_period"]):
        latest[r["_unit"]] = r  # stock: each unit's latest month in the quarter
    assert s.total["vol_registered"] == sum(r["vol_registered"] for r in latest.values())
    assert s.total["vol_registered"] < sum(r["vol_registered"] for r in reports)


def test_completeness_on_the_summary_counts_reported_units(county):
    folder, _ = county
    with open_store(folder) as store:
        paper = PP.summary_paper(store, FORM, "2026-09")
        children = store.units.children(COUNTY)
    meta = dict(paper.meta)
    # three of the county's townships sent their reports; the others are listed as missing
    assert meta["下级单位上报情况"].startswith(f"已报 3/{len(children)}")
    assert "未报单位" in meta
    b = paper.breakdown
    assert b.units[0][1] == "合计"
    sent = set(TOWNS)
    for j, (code, _) in enumerate(b.units[1:], start=1):
        column = [row[j] for row in b.values]
        if code in sent:
            assert all(v not in ("未报", "") for v in column), code
        else:
            assert set(column) == {"未报"}, code
    assert {c for c, _ in b.units[1:]} >= {u.code for u in children}


def test_report_paper_has_the_form_layout(county):
    _folder, towns = county
    with open_store(towns[0]) as store:
        papers = PP.report_papers(store, FORM, "2026-09")
        row = store.records(FORM, unit=store.unit_code, period="2026-09")[0]
        form = store.form(FORM)
    assert len(papers) == 1
    p = papers[0]
    assert p.table_no == "科协月1表"
    assert p.title == "科技志愿服务月报"
    meta = dict(p.meta)
    assert meta["填报单位"].endswith(f"（{TOWNS[0]}）")
    assert meta["报告期"] == "2026年9月"
    lines = {ln.name: ln for ln in p.lines if not ln.heading}
    assert lines["vol_new"].indent == 1 and lines["vol_registered"].indent == 0
    assert lines["vol_registered"].unit == "人"
    for q in form.fields():
        if q.name in lines and row.get(q.name) is not None and q.type == "integer":
            assert lines[q.name].value == str(row[q.name])
    # the cover block is at the foot, not in the table
    assert "unit_head" not in lines and "phone" not in lines
    assert [k for k, _ in p.signatures] == ["单位负责人", "填表人", "联系电话", "填报日期"]
    assert dict(p.signatures)["填表人"] == row["filled_by"]
    assert next(ln.label for ln in p.lines if ln.heading) == "一、科技志愿者"


def test_accepted_warnings_print_their_explanations(county, tmp_path):
    _, towns = county
    with open_store(towns[0]) as store:
        rows = [
            r
            for r in store.records(FORM, unit=store.unit_code)
            if r["_explanations"] not in (None, "", "{}")
        ]
        if not rows:  # demo answers trip a warning ≈5 % of the time; make one explicit
            r = store.records(FORM, unit=store.unit_code, status="draft")[0]
            r = store.get(FORM, r["_uuid"])
            r["_explanations"] = {"new_share": "本月集中开展注册活动。"}
        else:
            r = store.get(FORM, rows[0]["_uuid"])
        paper = PP.report_paper_from(store, store.form(FORM), r, "zh_CN")
    assert paper.notes
    label, text = paper.notes[0]
    assert text and label != ""


def test_venue_report_gives_one_paper_per_venue(county):
    _, towns = county
    with open_store(towns[0]) as store:
        rows = store.records("kexie_venue_monthly", unit=store.unit_code, period="2026-09")
        papers = PP.report_papers(store, "kexie_venue_monthly", "2026-09")
    assert len(papers) == len(rows) >= 1
    assert all(p.table_no == "科协月2表" for p in papers)
    assert all("场馆名称" in dict(p.meta) or len(p.meta) >= 3 for p in papers)


def test_errors_say_what_and_how(county):
    folder, _ = county
    with open_store(folder) as store:
        with pytest.raises(UsageError) as e:
            PP.report_papers(store, FORM, "2019-01")
        assert "2019-01" in e.value.message() and "--summary" in e.value.message()
        with pytest.raises(UsageError) as e:
            PP.report_papers(store, FORM, "2026")  # a year for a monthly form
        with pytest.raises(UsageError):
            PP.report_papers(store, FORM, "2026-13")
        for bad in ("abc", "990000"):  # malformed, unknown: never all units, never empty
            with pytest.raises(UsageError) as e:
                PP.report_papers(store, FORM, "2026-09", unit=bad)
            assert bad in e.value.message()
            with pytest.raises(UsageError):
                PP.summary_paper(store, FORM, "2026-09", unit=bad)
        with pytest.raises(UsageError) as e:
            PP.summary_paper(store, FORM, "2999-01")  # not started: nothing to sum
        assert "2999-01" in e.value.message()
        with pytest.raises(UsageError) as e:
            PP.report_papers(store, "kexie_survey", "2026-09")
        assert "--uuid" in e.value.message()
        with pytest.raises(UsageError) as e:
            PP.interview_paper(store, "kexie_survey", "no-such-uuid")
        assert "no-such-uuid" in e.value.message()


def test_interview_paper_goes_section_by_section_without_personal_data(county):
    _, towns = county
    with open_store(towns[0]) as store:
        form = store.form("kexie_survey")
        row = store.records("kexie_survey", limit=1)[0]
        store_row = store.get("kexie_survey", row["_uuid"])
        store_row["contact_name"] = "张三"
        p = PP.interview_paper(store, "kexie_survey", row["_uuid"])
        titles = [t for t, _ in p.sections]
    groups = [q.label("zh_CN") for q in form.children if q.is_group]
    assert titles[0] in ("基本信息", groups[0])
    assert [t for t in titles if t in groups] == [g for g in groups if g in titles]
    assert "一、基本情况" in titles
    text = p.text()
    assert row["_uuid"] in text
    sensitive = [q for q in form.walk() if q.sensitive]
    for q in sensitive:
        if row.get(q.name):
            assert str(row[q.name]) not in text


def test_form_codes_and_table_number_are_read_and_checked(tmp_path):
    from openpyxl import Workbook

    def book(codes):
        wb = Workbook()
        ws = wb.active
        ws.title = "survey"
        ws.append(["type", "name", "label", "kexie::code", "kexie::aggregate"])
        for i, c in enumerate(codes):
            ws.append(["integer", f"n{i}", f"指标{i}", c, "sum"])
        st = wb.create_sheet("settings")
        st.append(["form_id", "form_title", "kexie::kind", "kexie::period", "kexie::table_no"])
        st.append(["t", "测试表", "report", "month", "测1表"])
        path = tmp_path / f"f{len(codes)}{codes[-1]}.xlsx"
        wb.save(path)
        return path

    form = load_form(book(["01", "02"]))
    assert form.table_no == "测1表"
    assert [q.code for q in form.fields()] == ["01", "02"]
    with pytest.raises(FormError) as e:
        load_form(book(["01", "01"]))
    assert "01" in e.value.message() or any("01" in p.message() for p in e.value.problems)


def test_bundle_reads_like_paper_tables(county, tmp_path):
    """Reviewer sheets first (cover, 上报情况 with 已报 n/m, 汇总 titled with unit, span and
    表号), print areas and repeated titles; the data hash does not depend on sheet order."""
    import python_calamine
    from openpyxl import load_workbook

    from exports import inspect_bundle

    folder, _ = county
    out = tmp_path / "county.xlsx"
    with open_store(folder) as store:
        summary = export_bundle(store, out)
        children = store.units.children(COUNTY)
    names = python_calamine.CalamineWorkbook.from_path(str(out)).sheet_names
    assert names[0] == "封面" and names[1] == "上报情况"
    rollups = [i for i, n in enumerate(names) if n.startswith("汇总-")]
    data = [i for i, n in enumerate(names) if n in ("科技志愿服务月报", "科普场馆参观月报")]
    assert rollups and data and max(rollups) < min(data)
    wb = python_calamine.CalamineWorkbook.from_path(str(out))
    board = wb.get_sheet_by_name("上报情况").to_python()
    count_rows = [r for r in board if len(r) > 3 and r[2] == "已报/应报"]
    assert count_rows
    assert f"已报 3/{len(children)}" in count_rows[0][3:]  # three townships sent their reports
    title = wb.get_sheet_by_name("汇总-科技志愿服务月报").to_python()[0][0]
    assert "科技志愿服务月报" in title and f"（{COUNTY}）" in title and "表号：科协月1表" in title
    ws = load_workbook(out)["汇总-科技志愿服务月报"]
    assert ws.print_title_rows.replace("$", "") == "1:3" and ws.print_area
    header = [c.value for c in ws[3]]
    assert ws.row_dimensions[3].height and ws.row_dimensions[3].height >= 30  # wrapped header
    assert all(ws.column_dimensions[c.column_letter].width <= 15 for c in ws[3][3:] if c.value)
    assert header[:3] == ["单位代码", "单位名称", "报告期"]
    check = inspect_bundle(out)
    assert check.valid and check.sha256 == summary.sha256


def _custom_forms(tmp_path):
    """A plain report (no 表号, no codes, no cover block) and a questionnaire with a repeat."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label", "kexie::aggregate", "kexie::of"])
    ws.append(["integer", "members", "会员数", "last", ""])
    ws.append(["integer", "members_new", "其中：新增", "sum", "members"])
    ws.append(["decimal", "funds", "经费（万元）", "sum", ""])
    st = wb.create_sheet("settings")
    st.append(["form_id", "form_title", "version", "kexie::kind", "kexie::period"])
    st.append(["plain_report", "简易报表", "1", "report", "month"])
    report = tmp_path / "plain_report.xlsx"
    wb.save(report)

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label"])
    ws.append(["begin_group", "basic", "基本情况"])
    ws.append(["text", "姓名代号", "代号"])
    ws.append(["select_multiple hobbies", "hobbies", "爱好"])
    ws.append(["end_group", "", ""])
    ws.append(["begin_repeat", "kids", "子女"])
    ws.append(["integer", "kid_age", "年龄"])
    ws.append(["end_repeat", "", ""])
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    ch.append(["hobbies", "read", "阅读"])
    ch.append(["hobbies", "run", "跑步"])
    st = wb.create_sheet("settings")
    st.append(["form_id", "form_title", "version"])
    st.append(["family", "家庭问卷", "1"])
    survey = tmp_path / "family.xlsx"
    wb.save(survey)
    return report, survey


def test_forms_of_an_office_print_and_export_too(tmp_path):
    from exports.analysis import variables, write_data

    report, survey = _custom_forms(tmp_path)
    with open_store(tmp_path / "data") as store:
        store.set_unit(COUNTY)
        store.add_form(report)
        store.add_form(survey)
        store.save("plain_report", {"members": 40, "members_new": 3, "funds": 1.5},
                   unit=COUNTY, period="2026-09", status=L.FINALISED)  # fmt: skip
        store.save("plain_report", {"members": 10, "members_new": 1, "funds": 0.25},
                   unit=TOWNS[0], period="2026-09", status=L.FINALISED)  # fmt: skip
        uuid = store.save("family", {"姓名代号": "A1", "hobbies": "read run",
                                     "kids": [{"kid_age": 3}, {"kid_age": 7}]},
                          unit=COUNTY, status=L.FINALISED)  # fmt: skip
        (p,) = PP.report_papers(store, "plain_report", "2026-09")
        s = PP.summary_paper(store, "plain_report", "2026-09")
        interview = PP.interview_paper(store, "family", uuid)
        vs = variables(store.form("family"), lang="zh_CN", include_sensitive=False)
        n = write_data(store, "family", tmp_path / "family.sav", fmt="sav")
    assert p.table_no == "" and [ln.code for ln in p.lines] == ["", "", ""]
    assert [k for k, _ in p.signatures] == ["单位负责人", "填表人", "联系电话", "填报日期"]
    assert dict((ln.name, ln.indent) for ln in p.lines)["members_new"] == 1
    totals = {ln.name: ln.value for ln in s.lines}
    assert totals == {"members": "50", "members_new": "4", "funds": "1.75"}
    sections = dict(interview.sections)
    assert ("爱好", "阅读、跑步") in sections["基本情况"]
    items = [k for section in sections.values() for k, _ in section]
    assert "子女 第1条" in items and "子女 第2条" in items
    names = [v.name for v in vs]
    assert len(set(names)) == len(names) and all(n[0].isalpha() for n in names)
    assert n == 1
    _, meta = pytest.importorskip("pyreadstat").read_sav(str(tmp_path / "family.sav"))
    assert meta.column_names_to_labels[names[names.index("hobbies_read")]] == "爱好：阅读"
