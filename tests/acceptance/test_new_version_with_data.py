"""A new version of a form that adds a question (the city's 下发表单, or a bundle carrying the
version embedded) reaching an installation that already holds records of that form: it is
installed and imported — the table gains the column, with a migration backup — and never hangs.
Real units of 南昌市; each import runs in its own process under a time limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
from kit import VOL, ok, sets, volunteer

REPO = Path(__file__).resolve().parents[2]
CITY, COUNTY, TOWN = "360100", "360121", "360121100"
BUILTIN = REPO / "forms" / "builtin" / f"{VOL}.xlsx"


def new_version(out: Path) -> Path:
    """The built-in volunteer report as version 2026.2 with a question 群众满意度 (average)."""
    wb = openpyxl.load_workbook(BUILTIN)
    ws = wb["survey"]
    head = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1)
               if ws.cell(r, 1).value == "end_group" and ws.cell(r, 2).value == "services")  # fmt: skip
    ws.insert_rows(row)
    cells = {"type": "decimal", "name": "satisfaction", "label::中文 (zh)": "群众满意度（分）",
             "label::English (en)": "Satisfaction", "kexie::aggregate": "average",
             "constraint": ". >= 0 and . <= 100"}  # fmt: skip
    for i, h in enumerate(head):
        if h in cells:
            ws.cell(row, i + 1).value = cells[h]
    settings = wb["settings"]
    col = [c.value for c in settings[1]].index("version") + 1
    settings.cell(2, col).value = "2026.2"
    wb.save(out)
    return out


def cli(data, *args, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kexie", "--data", str(data), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)  # fmt: skip


def test_a_form_package_and_a_bundle_with_a_new_version_reach_units_holding_data(tmp_path):
    city, county, town = tmp_path / "city", tmp_path / "county", tmp_path / "town"
    ok(city, "init", "--unit", CITY, "--clerk", "市")
    ok(city, "forms", "publish", new_version(tmp_path / "v2.xlsx"), "--from-period", "2026-09",
       "--out", tmp_path / "pkg.xlsx")  # fmt: skip
    # a township that reported before the new version arrives; a second one already uses it
    ok(town, "init", "--unit", TOWN, "--clerk", "张")
    ok(town, "report", VOL, "--period", "2026-08", *sets(volunteer(100)))
    other = tmp_path / "other"
    ok(other, "init", "--unit", "360121101", "--clerk", "李")
    ok(other, "import", tmp_path / "pkg.xlsx")
    ok(other, "report", VOL, "--period", "2026-09", *sets({**volunteer(80), "satisfaction": 90}))
    ok(other, "export", "--out", tmp_path / "other.xlsx")
    ok(county, "init", "--unit", COUNTY, "--clerk", "县")
    ok(town, "export", "--out", tmp_path / "town-v1.xlsx")
    ok(county, "import", tmp_path / "town-v1.xlsx")  # the county holds 2026.1 records

    r = cli(town, "import", tmp_path / "pkg.xlsx")  # was: hung forever in the backup
    assert r.returncode == 0, r.stderr
    ok(town, "report", VOL, "--period", "2026-09", *sets({**volunteer(110), "satisfaction": 70}))
    r = cli(county, "import", tmp_path / "other.xlsx")  # 2026.2 embedded, not installed here
    assert r.returncode == 0, r.stderr
    assert any(p.name.endswith("-migration.sqlite") for p in (county / "backups").iterdir())
    ok(town, "export", "--out", tmp_path / "town-v2.xlsx")
    ok(county, "import", tmp_path / "town-v2.xlsx")
    ok(county, "export", "--out", tmp_path / "county.xlsx")
    from kit import rollup

    sheet = rollup(tmp_path / "county.xlsx", "科技志愿服务月报",
                   ["vol_registered"] + [""] * 11 + ["satisfaction"])  # fmt: skip
    assert sheet[("", "2026-09")]["satisfaction"] == 80  # (90 + 70) / 2
    assert sheet[("", "2026-09")]["vol_registered"] == 190
