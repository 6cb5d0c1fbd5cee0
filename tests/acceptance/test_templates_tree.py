"""Templates filled without the app, on a real county (南昌县 360121): the checks on import are
the app's, including the ones that look at the unit's previous period."""

from __future__ import annotations

import re

import openpyxl
from kit import VOL, kexie, ok, volunteer

COUNTY = "360121"


def fill(src, dst, values: dict, explain: dict | None = None) -> None:
    wb = openpyxl.load_workbook(src)
    for name, value in values.items():
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        wb[sheet][ref.replace("$", "")] = value
    for cell, text in (explain or {}).items():
        wb["填报"][cell] = text
    wb.save(dst)


def test_a_warning_against_the_previous_period_is_asked_for_in_its_cell(tmp_path):
    county = tmp_path / "county"
    ok(county, "init", "--unit", COUNTY, "--clerk", "县")
    town = ok(county, "units", COUNTY, "--json")["units"][3]["code"]  # a real township
    cover = {"unit_head": "王主任", "filled_by": "赵六", "phone": "13900001111",
             "fill_date": "2026-11-03"}  # fmt: skip
    for period, reg in (("2026-09", 200), ("2026-10", 300)):  # +100 with 5 new: gap warning
        tpl = tmp_path / f"t-{period}.xlsx"
        ok(county, "template", VOL, "--unit", town, "--period", period, "--out", tpl)
        filled = tmp_path / f"f-{period}.xlsx"
        fill(tpl, filled, {**volunteer(reg, new=5), **cover})
        code, out, err = kexie(county, "import", filled, lang="en")
        if period == "2026-09":
            assert code == 0 and out["status"] == "saved", (out, err)
    # The October file is refused like any template problem: located at the 说明 cell of the
    # warning (registered_gap's), in the summary, with nothing saved.
    assert code == 1, (out, err)
    assert isinstance(out, dict) and out["status"] == "refused", (out, err)
    explain_cell = next(p for p in out["refused"] if p["code"] == "template.needs_explanation")
    assert "registered_gap" in str(explain_cell) or "Registered" in explain_cell["message"]
    assert "Cell D" in explain_cell["message"] and "f-2026-10.xlsx" in explain_cell["message"]
    assert kexie(county, "report", VOL, "--unit", town, "--period", "2026-10", "--show")[0] != 0
    # With the 说明 written in that cell, it lands with the explanation.
    wb = openpyxl.load_workbook(filled)
    cell = re.search(r"Cell (D[0-9]+)", explain_cell["message"]).group(1)  # its 说明 cell
    wb["填报"][cell] = "本月集中清理注销"
    wb.save(filled)
    code, out, err = kexie(county, "import", filled)
    assert code == 0 and out["status"] == "saved", (out, err)
    rec = ok(county, "report", VOL, "--unit", town, "--period", "2026-10", "--show")
    assert rec["vol_registered"] == 300
    assert rec["_explanations"].get("registered_gap") == "本月集中清理注销"
