"""Fill-in templates for units without the app: made by the county, filled in a spreadsheet
program, checked on import exactly like an entry in the app."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from tests.exports.cli_run import run

F = "kexie_volunteer_monthly"
COUNTY, TOWN = "330106", "330106005"
GOOD = {
    "vol_registered": 120, "vol_new": 5, "vol_female": 60, "vol_young": 30, "vol_retired": 10,
    "vol_active": 80, "vol_orgs": 3, "activities": 4, "activities_rural": 2,
    "activities_online": 1, "people_served": 300, "service_hours": 250.5, "unit_head": "赵六",
    "filled_by": "钱七", "phone": "13800000000", "fill_date": "2026-11-30",
}  # fmt: skip


def fill(src, dst, values: dict, explain: dict | None = None) -> None:
    """Fill cells through their defined names, as a clerk's spreadsheet program would."""
    wb = openpyxl.load_workbook(src)
    for name, value in values.items():
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        wb[sheet][ref.replace("$", "")] = value
    for cell, text in (explain or {}).items():  # the 说明 cells, by address
        wb["填报"][cell] = text
    wb.save(dst)


@pytest.fixture
def county(tmp_path, capsys):
    d = tmp_path / "county"
    assert run(capsys, "--data", d, "init", "--unit", COUNTY, "--clerk", "李四")[0] == 0
    return d


@pytest.fixture
def template(county, tmp_path, capsys):
    out = tmp_path / "template.xlsx"
    code, _s, err = run(capsys, "--data", county, "template", F, "--unit", TOWN, "--period",
                       "2026-11", "--out", out)  # fmt: skip
    assert code == 0, err
    return out


def test_template_layout_protection_validation_names(template):
    wb = openpyxl.load_workbook(template)
    ws = wb["填报"]
    assert ws.protection.sheet
    assert "科技志愿服务月报" in ws["A1"].value and "330106005000" in ws["A3"].value
    assert wb["_manifest"].sheet_state == "hidden"
    names = {n: next(iter(d.destinations)) for n, d in wb.defined_names.items()}
    assert set(GOOD) <= set(names) and "active_rate" not in names  # calculated: no input
    _sheet, ref = names["vol_new"]
    cell = ws[ref.replace("$", "")]
    assert cell.protection.locked is False and ws["A6"].protection.locked is not False
    assert ws.cell(cell.row, 1).value == "其中：本月新增"
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    dv = rules[cell.coordinate]
    assert dv.type == "whole" and dv.formula1 == "0" and dv.formula2.startswith("$C$")
    hours = rules[ws[names["service_hours"][1].replace("$", "")].coordinate]
    assert hours.type == "decimal"
    # 其中 > total turns red; a 说明 cell (unlocked) for each warning.
    formulas = [r.formula[0] for rng in ws.conditional_formatting for r in rng.rules]
    assert any(cell.coordinate in f and ">" in f for f in formulas)
    new_share_row = next(r for r in range(1, ws.max_row + 1)
                         if ws.cell(r, 1).value == "本月新增占注册人数比例")  # fmt: skip
    assert ws.cell(new_share_row, 4).protection.locked is False
    manifest = {r[0].value: json.loads("".join(c.value or "" for c in r[1:]))
                for r in wb["_manifest"].iter_rows()}  # fmt: skip
    payload = manifest["payload"]
    assert payload["form_id"] == F and payload["version"] == "2026.1"
    assert payload["unit"] == "330106005000" and payload["period"] == "2026-11"
    assert payload["template_id"] and len(payload["structure_sha256"]) == 64


def test_good_template_round_trip_openpyxl(county, template, tmp_path, capsys):
    filled = tmp_path / "filled.xlsx"
    fill(template, filled, GOOD)
    code, s, err = run(capsys, "--data", county, "import", filled)
    assert code == 0 and s["status"] == "saved", err
    code, shown, _ = run(capsys, "--data", county, "report", F, "--unit", TOWN, "--period",
                         "2026-11", "--show")  # fmt: skip
    assert shown["vol_registered"] == 120 and shown["service_hours"] == 250.5
    assert shown["_status"] == "finalised" and shown["_source"].startswith("template:")
    assert shown["active_rate"] == 66.7  # calculated by the form engine, as in the app
    # Again: nothing changes.
    code, s, _ = run(capsys, "--data", county, "import", filled)
    assert code == 0 and s["status"] == "unchanged"
    # It travels upward as the township's report.
    code, s, _ = run(capsys, "--data", county, "export", "--out", tmp_path / "c.xlsx")
    assert code == 0 and s["counts"][F] == 1


def test_bad_template_is_refused_naming_cells(county, template, tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    fill(template, bad, {**GOOD, "vol_new": 50, "vol_female": 160, "vol_young": "很多"})
    code, s, err = run(capsys, "--data", county, "import", bad)
    assert code == 1 and s["status"] == "refused"
    lines = err.strip().splitlines()
    assert any("C9" in line and "其中：女性" in line and "160" in line for line in lines)
    assert any("C10" in line and "很多" in line for line in lines)
    # new_share = 50/120 > 30 %: a warning that needs its 说明 (D22).
    assert any("D22" in line and "说明" in line for line in lines)
    assert not any("C10" in line and "必须填写" in line for line in lines)  # one message a cell
    code, _, err = run(capsys, "--data", county, "report", F, "--unit", TOWN, "--period",
                       "2026-11", "--show")  # fmt: skip
    assert code == 1  # nothing was saved
    # With the 说明 and the errors corrected it is taken, the explanation kept.
    ok = tmp_path / "ok.xlsx"
    fill(template, ok, {**GOOD, "vol_new": 50}, {"D22": "本月集中开展注册活动"})
    code, s, err = run(capsys, "--data", county, "import", ok)
    assert code == 0 and s["status"] == "saved", err
    code, shown, _ = run(capsys, "--data", county, "report", F, "--unit", TOWN, "--period",
                         "2026-11", "--show")  # fmt: skip
    assert shown["_explanations"] == {"new_share": "本月集中开展注册活动"}


def test_tampered_or_misdirected_template_is_refused(county, template, tmp_path, capsys):
    bad = tmp_path / "tampered.xlsx"
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename).replace(b"330106005000", b"330106002000"))
    code, _, err = run(capsys, "--data", county, "import", bad)
    assert code == 1 and "改动" in err
    other = tmp_path / "other"
    run(capsys, "--data", other, "init", "--unit", "330108")
    filled = tmp_path / "f.xlsx"
    fill(template, filled, GOOD)
    code, _, err = run(capsys, "--data", other, "import", filled)
    assert code == 1 and "330106005000" in err


def test_templates_for_all_direct_subordinates(county, tmp_path, capsys):
    folder = tmp_path / "out"
    code, s, err = run(capsys, "--data", county, "template", F, "--period", "2026-11",
                       "--out", folder)  # fmt: skip
    assert code == 0, err
    files = sorted(folder.glob("*.xlsx"))
    assert len(files) == len(s["templates"]) > 5
    assert any("北山街道" in f.name for f in files)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_round_trip_through_libreoffice_resave(county, template, tmp_path, capsys):
    filled = tmp_path / "filled.xlsx"
    fill(template, filled, {**GOOD, "fill_date": None})
    wb = openpyxl.load_workbook(filled)  # a date typed as a date cell
    sheet, ref = next(iter(wb.defined_names["fill_date"].destinations))
    from datetime import datetime

    wb[sheet][ref.replace("$", "")] = datetime(2026, 11, 30)
    wb.save(filled)
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out),
                    str(filled)], check=True, capture_output=True, timeout=180)  # fmt: skip
    resaved = out / "filled.xlsx"
    assert resaved.exists()
    code, s, err = run(capsys, "--data", county, "import", resaved)
    assert code == 0 and s["status"] == "saved", err
    code, shown, _ = run(capsys, "--data", county, "report", F, "--unit", TOWN, "--period",
                         "2026-11", "--show")  # fmt: skip
    assert shown["fill_date"] == "2026-11-30" and shown["phone"] == "13800000000"
    code, s, _ = run(capsys, "--data", county, "import", resaved)
    assert s["status"] == "unchanged"


def test_keyed_form_with_a_choice_list_two_venues(county, tmp_path, capsys):
    """The venue report is per venue (kexie::key venue_name): two filled templates of one unit
    and period are two reports; the venue type is picked by its label from the drop-down."""
    form = "kexie_venue_monthly"
    out = tmp_path / "venue.xlsx"
    code, _, err = run(capsys, "--data", county, "template", form, "--unit", TOWN, "--period",
                       "2026-11", "--out", out)  # fmt: skip
    assert code == 0, err
    ws = openpyxl.load_workbook(out)["填报"]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and "科普大篷车" in lists[0].formula1
    base = {"open_days": 20, "visitors": 1000, "visitors_minor": 400, "visitors_school": 100,
            "online_visits": 50, "exhibitions": 2, "activities": 3, "activity_visits": 300,
            "unit_head": "赵六", "filled_by": "钱七", "phone": "13800000000",
            "fill_date": "2026-11-30"}  # fmt: skip
    for i, (name, kind) in enumerate(
        (("西湖科技馆", "实体科技馆"), ("翠苑科普基地", "科普教育基地"))
    ):
        filled = tmp_path / f"v{i}.xlsx"
        fill(out, filled, {**base, "venue_name": name, "venue_type": kind})
        code, s, err = run(capsys, "--data", county, "import", filled)
        assert code == 0 and s["status"] == "saved", err
    code, s, _ = run(capsys, "--data", county, "import", tmp_path / "v0.xlsx")
    assert code == 0 and s["status"] == "unchanged"  # found again by its key
    from localdb import open_store

    with open_store(county) as store:
        rows = store.records(form, unit="330106005000", period="2026-11")
    assert sorted((r["venue_name"], r["venue_type"]) for r in rows) == [
        ("翠苑科普基地", "edu_base"), ("西湖科技馆", "museum")]  # fmt: skip


def test_annual_report_with_choices_typed_as_labels(county, tmp_path, capsys):
    """Every input of the annual report through a template, selects typed as their labels
    (several answers joined by 、), as a clerk would; what lands equals the answers."""
    import random

    from forms import load_builtin
    from forms.builtin.samples import sample_answers

    form = load_builtin("kexie_org_annual")
    for seed in range(40):  # a sample with no warning, so no 说明 is needed
        answers, explanations = sample_answers(form.form_id, random.Random(seed),
                                               unit_code="330106005000", period="2025")  # fmt: skip
        if not explanations and answers.get("four_lacks") and answers.get("established"):
            break
    out = tmp_path / "annual.xlsx"
    code, s, err = run(capsys, "--data", county, "template", form.form_id, "--unit", TOWN,
                       "--period", "2025", "--out", out)  # fmt: skip
    assert code == 0, err
    labels = {}
    for q in form.walk():
        if q.type.startswith("select") and answers.get(q.name):
            names = {c.name: c.label() for c in form.choice_lists[q.list_name].choices}
            labels[q.name] = "、".join(names[n] for n in str(answers[q.name]).split())
    inputs = {n: answers[n] for n in s["cells"] if answers.get(n) is not None}
    filled = tmp_path / "annual-filled.xlsx"
    fill(out, filled, {**inputs, **labels})
    code, s, err = run(capsys, "--data", county, "import", filled)
    assert code == 0 and s["status"] == "saved", err
    from localdb import open_store

    with open_store(county) as store:
        (row,) = store.records(form.form_id, unit="330106005000", period="2025")
    for name, value in inputs.items():
        assert row[name] == value, name
