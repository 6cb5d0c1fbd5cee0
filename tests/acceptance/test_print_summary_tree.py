"""kexie print --summary on a real county (南昌县): the 汇总表's totals are the bundle's, and a
township whose report was returned (退回) is 退回 on paper as in 上报情况 and kexie status —
never listed among the units that did not report."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest
from kit import VOL, ok, rollup, sets, volunteer

COUNTY, P = "360121", "2026-09"
IND = ["vol_registered", "vol_new"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_summary_print_names_the_returned_township_as_returned(tmp_path):
    county = tmp_path / "county"
    ok(county, "init", "--unit", COUNTY, "--clerk", "县")
    towns = ok(county, "units", COUNTY, "--json")["units"][:4]
    for i, t in enumerate(towns[:3]):
        d = tmp_path / t["code"]
        ok(d, "init", "--unit", t["code"], "--clerk", "张")
        ok(d, "report", VOL, "--period", P, *sets(volunteer(100 * (i + 1), new=i + 1)))
        ok(d, "export", "--out", tmp_path / f"{i}.xlsx")
        ok(county, "import", tmp_path / f"{i}.xlsx")
    ok(county, "return", VOL, "--unit", towns[0]["code"], "--period", P, "--reason", "请核实",
       "--out", tmp_path / "r.xlsx")  # fmt: skip
    status = ok(county, "status", VOL, "--period", P, "--json")[0]
    assert next(u for u in status["units"] if u["unit"] == towns[0]["code"])["returned"] == 1
    ok(county, "print", VOL, "--period", P, "--summary", "--out", tmp_path / "s.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "s.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    flat = unicodedata.normalize("NFKC", " ".join(text.split()))  # ⼋ (U+2F0B) → 八
    missing_line = flat.split("未报单位", 1)[1].split("退回", 1)[0] if "未报单位" in flat else ""
    assert towns[0]["name"] not in missing_line, missing_line  # it reported; it was returned
    assert towns[3]["name"] in missing_line  # this one really did not report
    assert "退回" in flat and towns[0]["name"] in flat.split("退回", 1)[1][:200]
    # the figures on paper are the bundle's (the returned report adds nothing)
    ok(county, "export", "--out", tmp_path / "c.xlsx")
    total = rollup(tmp_path / "c.xlsx", "科技志愿服务月报", IND)[("", P)]
    assert total["vol_registered"] == 500 and total["vol_new"] == 5
    assert "500" in flat
