"""Form packages (下发表单): a county publishes a new version of a form applying from a period;
its townships import it and use it from then on; bundles holding both versions merge."""

from __future__ import annotations

import openpyxl
import pytest

from forms import builtin_form_paths
from tests.exports.cli_run import run

F = "kexie_volunteer_monthly"
COUNTY, TOWN_A, TOWN_B = "330106", "330106002", "330106004"


def version_2(path, *, drop="activities_online"):
    """The built-in form as version 2027.1: one question more (vol_online), one less."""
    wb = openpyxl.load_workbook(builtin_form_paths()[F])
    ws = wb["survey"]
    for row in ws.iter_rows(min_row=2):
        if row[1].value == drop:
            ws.delete_rows(row[0].row)
            break
    at = next(r[0].row for r in ws.iter_rows(min_row=2) if r[1].value == "vol_orgs")
    ws.insert_rows(at + 1)
    for col, value in enumerate(
        ["integer", "vol_online", "其中：线上服务志愿者", "Of which: online", None, None, "yes",
         None, ". >= 0", "不能为负数。", "Cannot be negative.", None, None, None, None, "last",
         None, "error", None, "人", "persons"], start=1):  # fmt: skip
        ws.cell(at + 1, col, value)
    wb["settings"]["D2"] = "2027.1"
    wb.save(path)
    return path


VALUES = {"vol_registered": 100, "vol_new": 2, "vol_female": 50, "vol_young": 20,
          "vol_retired": 5, "vol_active": 60, "vol_orgs": 2, "activities": 3,
          "activities_rural": 1, "people_served": 100, "service_hours": 50,
          "unit_head": "赵六", "filled_by": "张三", "phone": "13800000000",
          "fill_date": "2026-11-30"}  # fmt: skip


def enter(capsys, data, period, values):
    sets = [a for k, v in values.items() for a in ("--set", f"{k}={v}")]
    return run(capsys, "--data", data, "report", F, "--period", period, *sets)


@pytest.fixture
def units(tmp_path, capsys):
    out = {}
    for name, code in (("county", COUNTY), ("a", TOWN_A), ("b", TOWN_B)):
        out[name] = tmp_path / name
        assert run(capsys, "--data", out[name], "init", "--unit", code)[0] == 0
    return out


def test_package_applies_from_its_period_and_merges_with_the_old_version(units, tmp_path, capsys):
    county, a, b = units["county"], units["a"], units["b"]
    src = version_2(tmp_path / "v2.xlsx")
    pkg = tmp_path / "pkg.xlsx"
    code, s, err = run(capsys, "--data", county, "forms", "publish", src, "--from-period",
                       "2026-11", "--out", pkg)  # fmt: skip
    assert code == 0, err
    assert s["forms"][0]["version"] == "2027.1" and s["forms"][0]["from_period"] == "2026-11"

    code, s, err = run(capsys, "--data", a, "import", pkg)
    assert code == 0 and s["kind"] == "kexie-forms" and s["added"] == [f"{F} 2027.1"], err
    code, s, _ = run(capsys, "--data", a, "import", pkg)  # twice: nothing new
    assert code == 0 and s["added"] == [] and s["unchanged"] == [f"{F} 2027.1"]
    code, listing, _ = run(capsys, "--data", a, "forms", "list", "--json")
    entry = next(f for f in listing if f["form_id"] == F)
    assert entry["versions"] == [{"version": "2026.1", "from_period": None},
                                 {"version": "2027.1", "from_period": "2026-11"}]  # fmt: skip

    # Before the period: the old version (vol_online unknown); from it: the new one.
    code, _, err = enter(capsys, a, "2026-10", {**VALUES, "vol_online": 3})
    assert code == 1 and "vol_online" in err
    old = {**VALUES, "activities_online": 1, "fill_date": "2026-10-31"}
    assert enter(capsys, a, "2026-10", old)[0] == 0
    code, _, err = enter(capsys, a, "2026-11", {**VALUES, "vol_online": 3})
    assert code == 0, err
    for period, version in (("2026-10", "2026.1"), ("2026-11", "2027.1")):
        code, shown, _ = run(capsys, "--data", a, "report", F, "--period", period, "--show")
        assert shown["_form_version"] == version

    # Township B has no app update yet: it sends the old version for 2026-11 too.
    b_values = {
        **VALUES,
        "vol_registered": 40,
        "vol_female": 10,
        "vol_active": 30,
        "activities_online": 2,
    }
    assert enter(capsys, b, "2026-11", b_values)[0] == 0
    run(capsys, "--data", a, "export", "--out", tmp_path / "a.xlsx")
    run(capsys, "--data", b, "export", "--out", tmp_path / "b.xlsx")
    code, s, err = run(capsys, "--data", county, "merge", tmp_path / "a.xlsx",
                       tmp_path / "b.xlsx", "--out", tmp_path / "county.xlsx")  # fmt: skip
    assert code == 0 and not s["refused"], err
    code, info, _ = run(capsys, "inspect", tmp_path / "county.xlsx")
    assert code == 0
    manifest = info.get("manifest", info)
    cols = [c for c, _ in manifest["tables"][F]["columns"]]
    assert "vol_online" in cols and "activities_online" in cols  # columns by question name
    assert manifest["forms"][F]["versions"] == ["2026.1", "2027.1"]
    # Roll-up per indicator: 2026-11 registered = 100 + 40 across both versions.
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(tmp_path / "county.xlsx"))
    name = next(n for n in wb.sheet_names if n.startswith("汇总-科技志愿"))
    rows = wb.get_sheet_by_name(name).to_python()
    header = next(r for r in rows if any("注册科技志愿者" in str(c) for c in r))
    reg = next(i for i, c in enumerate(header) if "注册科技志愿者" in str(c))
    online = next(i for i, c in enumerate(header) if "线上服务志愿者" in str(c))
    total = next(r for r in rows if "2026-11" in [str(c) for c in r] and "合计" in
                 [str(c) for c in r])  # fmt: skip
    assert total[reg] == 140 and total[online] == 3


def test_bad_packages_are_refused(units, tmp_path, capsys):
    county, a = units["county"], units["a"]
    # A form with errors cannot be published.
    broken = version_2(tmp_path / "broken.xlsx")
    wb = openpyxl.load_workbook(broken)
    wb["survey"]["I3"] = ". >= "
    wb.save(broken)
    code, _, err = run(capsys, "--data", county, "forms", "publish", broken, "--out",
                       tmp_path / "p.xlsx")  # fmt: skip
    assert code == 1 and not (tmp_path / "p.xlsx").exists() and err.strip()
    # A package from a sibling is refused; one altered in transit too.
    run(capsys, "--data", a, "forms", "publish", version_2(tmp_path / "v2.xlsx"), "--out",
        tmp_path / "sib.xlsx")  # fmt: skip
    code, _, err = run(capsys, "--data", units["b"], "import", tmp_path / "sib.xlsx")
    assert code == 1 and "330106002000" in err
    run(capsys, "--data", county, "forms", "publish", tmp_path / "v2.xlsx", "--out",
        tmp_path / "ok.xlsx")  # fmt: skip
    import zipfile

    with (
        zipfile.ZipFile(tmp_path / "ok.xlsx") as zin,
        zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as zout,
    ):
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data.replace(b"2027.1", b"2027.2"))
    code, _, err = run(capsys, "--data", units["b"], "import", tmp_path / "bad.xlsx")
    assert code == 1 and "改动" in err
    code, listing, _ = run(capsys, "--data", units["b"], "forms", "list", "--json")
    assert [v["version"] for v in next(f for f in listing if f["form_id"] == F)["versions"]] == [
        "2026.1"
    ]
