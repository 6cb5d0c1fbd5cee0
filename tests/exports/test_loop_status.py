"""Deadlines and timeliness: the built-in monthly report is due the 5th of the next month; the
county sees who reported on time, who late, who not at all, with rates per unit."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from forms import load_builtin
from forms import periods as P
from tests.exports.cli_run import run

F = "kexie_volunteer_monthly"
COUNTY, ON_TIME, LATE = "330106", "330106002", "330106004"
VALUES = {"vol_registered": 100, "vol_new": 2, "vol_female": 50, "vol_young": 20,
          "vol_retired": 5, "vol_active": 60, "vol_orgs": 2, "activities": 3,
          "activities_rural": 1, "activities_online": 1, "people_served": 100,
          "service_hours": 50, "unit_head": "赵六", "filled_by": "张三",
          "phone": "13800000000"}  # fmt: skip


def send(capsys, tmp_path, data, unit, period, finalised_at):
    """A township enters and finalises a report on ``finalised_at`` (its clock), then exports."""
    run(capsys, "--data", data, "init", "--unit", unit)
    sets = [a for k, v in {**VALUES, "fill_date": finalised_at[:10]}.items()
            for a in ("--set", f"{k}={v}")]  # fmt: skip
    code, _, err = run(capsys, "--data", data, "report", F, "--period", period, *sets)
    assert code == 0, err
    with sqlite3.connect(data / "kexie.sqlite") as db:  # the day it was really finalised
        db.execute(f"UPDATE form_{F} SET _modified = ?, _created = ?", [finalised_at] * 2)
    out = tmp_path / f"{unit}-{period}.xlsx"
    assert run(capsys, "--data", data, "export", "--out", out)[0] == 0
    return out


def test_builtin_reports_state_their_deadline():
    assert load_builtin(F).settings["kexie::due"] == "5"
    assert load_builtin("kexie_venue_monthly").settings["kexie::due"] == "5"
    assert load_builtin("kexie_org_annual").settings["kexie::due"] == "1/31"
    assert P.due_date("2026-11", "5") == date(2026, 12, 5)
    assert P.due_date("2026-12", "5") == date(2027, 1, 5)
    assert P.due_date("2026", "1/31") == date(2027, 1, 31)
    assert P.due_date("2026-Q1", "2/31") == date(2026, 5, 31)
    assert P.due_date("2027-01", "31") == date(2027, 2, 28)
    for bad in ("", "0", "32", "13/1", "next month", "5th"):
        with pytest.raises(Exception, match=r"kexie::due|期限|deadline"):
            P.parse_due(bad)


def test_a_bad_deadline_is_a_form_error(tmp_path):
    import openpyxl

    from forms import builtin_form_paths, check_form

    wb = openpyxl.load_workbook(builtin_form_paths()[F])
    ws = wb["settings"]
    col = next(c.column for c in ws[1] if c.value == "kexie::due")
    ws.cell(2, col, "next month")
    wb.save(tmp_path / "f.xlsx")
    result = check_form(tmp_path / "f.xlsx")
    assert any(p.code == "forms.load.bad_due" and p.severity == "error" for p in result.problems)


def test_status_with_an_on_time_a_late_and_a_missing_unit(tmp_path, capsys):
    county = tmp_path / "county"
    run(capsys, "--data", county, "init", "--unit", COUNTY)
    # 2025-03 is due 2025-04-05 (China time). 2025-04-05T15:00Z is already the 6th in China.
    files = [
        send(capsys, tmp_path, tmp_path / "a", ON_TIME, "2025-03", "2025-04-03T02:00:00.000Z"),
        send(capsys, tmp_path, tmp_path / "b", LATE, "2025-03", "2025-04-05T17:00:00.000Z"),
    ]
    for f in files:
        assert run(capsys, "--data", county, "import", f)[0] == 0
    code, table, err = run(capsys, "--data", county, "status", F, "--period", "2025-03",
                           "--json")  # fmt: skip
    assert code == 0, err
    (form,) = table
    assert form["due"] == "5" and form["periods"] == ["2025-03"]
    units = {u["unit"][:9]: u for u in form["units"]}
    a, b, c = units[ON_TIME], units[LATE], units["330106005"]
    assert a["periods"]["2025-03"]["state"] == "data"
    assert a["periods"]["2025-03"]["timely"] == "on_time" and a["rate_on_time"] == 1.0
    assert b["periods"]["2025-03"] | {"submitted": None} == {
        "state": "data", "timely": "late", "submitted": None, "due": "2025-04-05",
        "days_late": 1}  # fmt: skip
    assert b["rate_reported"] == 1.0 and b["rate_on_time"] == 0.0
    assert c["periods"]["2025-03"]["state"] == "missing"
    assert c["periods"]["2025-03"]["timely"] == "late" and c["rate_reported"] == 0.0
    # Human output names the late unit.
    code, text, _ = run(capsys, "--data", county, "status", F, "--period", "2025-03")
    assert "西溪街道  已报（逾期1天）" in text

    # A correction after a return does not make the on-time unit late.
    ret = tmp_path / "ret.xlsx"
    assert run(capsys, "--data", county, "return", F, "--unit", ON_TIME, "--period", "2025-03",
               "--reason", "请核对", "--out", ret)[0] == 0  # fmt: skip
    code, table, _ = run(capsys, "--data", county, "status", F, "--period", "2025-03", "--json")
    cell = next(u for u in table[0]["units"] if u["unit"].startswith(ON_TIME))["periods"]["2025-03"]
    assert cell["state"] == "returned" and cell["timely"] == "on_time"
    run(capsys, "--data", tmp_path / "a", "import", ret)
    run(capsys, "--data", tmp_path / "a", "report", F, "--period", "2025-03", "--set",
        "vol_registered=101", "--reason", "已核对")  # fmt: skip
    run(capsys, "--data", tmp_path / "a", "export", "--out", tmp_path / "a2.xlsx")
    run(capsys, "--data", county, "import", tmp_path / "a2.xlsx")
    code, table, _ = run(capsys, "--data", county, "status", F, "--period", "2025-03", "--json")
    cell = next(u for u in table[0]["units"] if u["unit"].startswith(ON_TIME))["periods"]["2025-03"]
    assert cell["state"] == "data" and cell["timely"] == "on_time"

    # The county's bundle shows the same in 上报情况, with the rates.
    out = tmp_path / "county.xlsx"
    assert run(capsys, "--data", county, "export", "--out", out)[0] == 0
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("上报情况").to_python()
    flat = [[str(c) for c in r] for r in rows]
    b_row = next(r for r in flat if LATE + "000" in r and "科技志愿服务月报" in r)
    assert "已报（逾期1天）" in b_row
    head = next(i for i, r in enumerate(flat) if "及时率（%）" in r)
    rate_rows = flat[head + 1 :]
    b_rate = next(r for r in rate_rows if LATE + "000" in r)
    a_rate = next(r for r in rate_rows if ON_TIME + "000" in r)
    col = flat[head].index("及时率（%）")
    assert float(b_rate[col]) == 0.0 and float(a_rate[col]) == 100.0

    # At the city the county is judged by when its bundle arrived: the township's report was
    # in on time at the county, but the county sent it on only now, long after the deadline.
    city = tmp_path / "city"
    run(capsys, "--data", city, "init", "--unit", "3301")
    assert run(capsys, "--data", city, "import", out)[0] == 0
    code, table, err = run(capsys, "--data", city, "status", F, "--period", "2025-03", "--json")
    assert code == 0, err
    xihu = next(u for u in table[0]["units"] if u["unit"] == "330106000000")
    cell = xihu["periods"]["2025-03"]
    assert cell["state"] == "data" and cell["timely"] == "late" and cell["days_late"] > 300
    other = next(u for u in table[0]["units"] if u["unit"] == "330105000000")
    assert other["periods"]["2025-03"]["state"] == "missing"
