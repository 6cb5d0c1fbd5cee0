"""kexie status at a real county (安义县 360123) with a unit on time, a late one, a nil report
and one not yet due / missing: the states and rates add up, and agree with the bundle's
上报情况. Deadlines are the built-in ones (the 5th of the next month), judged on today."""

from __future__ import annotations

from datetime import date

from kit import VOL, ok, sets, volunteer

from forms import periods as P

COUNTY = "360123"


def test_status_with_a_late_unit(tmp_path):
    county = tmp_path / "county"
    ok(county, "init", "--unit", COUNTY, "--clerk", "县")
    towns = [u["code"] for u in ok(county, "units", COUNTY, "--json")["units"]]
    last = P.previous_period(P.current_period("month", date.today()))  # its due date is ahead or
    old = P.previous_period(P.previous_period(last))  # long past: reporting it now is late
    plan = {towns[0]: [last, old], towns[1]: [last], towns[2]: ["nil-" + last]}
    for t, periods in plan.items():
        d = tmp_path / t
        ok(d, "init", "--unit", t, "--clerk", "张")
        for p in periods:
            if p.startswith("nil-"):
                ok(d, "report", VOL, "--period", p[4:], "--nil")
            else:
                ok(d, "report", VOL, "--period", p, *sets(volunteer(100)))
        ok(d, "export", "--out", tmp_path / f"{t}.xlsx")
        ok(county, "import", tmp_path / f"{t}.xlsx")
    table = ok(county, "status", VOL, "--period", old, "--json")[0]
    by = {u["unit"]: u for u in table["units"]}
    assert set(towns) <= set(by)
    late = by[towns[0]]["periods"][old]
    assert late["state"] == "data" and late["timely"] == "late" and late["days_late"] > 0
    assert by[towns[1]]["periods"][old]["state"] == "missing"
    assert by[towns[1]]["periods"][old]["timely"] == "late"  # missing past its due date
    table = ok(county, "status", VOL, "--period", last, "--json")[0]
    by = {u["unit"]: u for u in table["units"]}
    due = date.fromisoformat(by[towns[0]]["periods"][last]["due"])
    if date.today() <= due:
        assert by[towns[0]]["periods"][last]["timely"] == "on_time"
        assert by[towns[3]]["periods"][last]["timely"] != "late"  # not due yet
    assert by[towns[2]]["periods"][last]["state"] == "nil"
    u = by[towns[0]]
    assert u["reported"] == u["data"] + u["nil"] and u["expected"] >= u["reported"] + u["missing"]
