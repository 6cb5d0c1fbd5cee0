"""Returns for correction (退回), through the command line as the offices use it: one data folder
per unit, files carried between them."""

from __future__ import annotations

import json
import zipfile

import pytest

from kexie.cli import main

F = "kexie_volunteer_monthly"
TOWN, COUNTY, CITY = "330106002", "330106", "3301"
GOOD = {
    "vol_registered": 120, "vol_new": 5, "vol_female": 60, "vol_young": 30, "vol_retired": 10,
    "vol_active": 80, "vol_orgs": 3, "activities": 4, "activities_rural": 2,
    "activities_online": 1, "people_served": 300, "service_hours": 250, "unit_head": "赵六",
    "filled_by": "张三", "phone": "13800000000", "fill_date": "2026-11-30",
}  # fmt: skip


def run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    try:
        data = json.loads(out) if out.strip() else None
    except ValueError:
        data = None
    return code, data, err


@pytest.fixture
def tree(tmp_path, capsys):
    dirs = {}
    for name, unit, clerk in (("town", TOWN, "张三"), ("county", COUNTY, "李四"),
                              ("city", CITY, "王五")):  # fmt: skip
        d = tmp_path / name
        assert run(capsys, "--data", d, "init", "--unit", unit, "--clerk", clerk)[0] == 0
        dirs[name] = d
    return dirs


def enter(capsys, data, period, values, *extra):
    sets = [a for k, v in values.items() for a in ("--set", f"{k}={v}")]
    return run(capsys, "--data", data, "report", F, "--period", period, *sets, *extra)


def test_full_loop_township_county_return_correct_resend_city(tree, tmp_path, capsys):
    town, county, city = tree["town"], tree["county"], tree["city"]
    assert enter(capsys, town, "2026-11", GOOD)[0] == 0
    assert run(capsys, "--data", town, "export", "--out", tmp_path / "t1.xlsx")[0] == 0
    code, s, _ = run(capsys, "--data", county, "import", tmp_path / "t1.xlsx")
    assert code == 0 and s["added"] == 1

    # The county returns it with a reason and a comment on one field.
    ret = tmp_path / "return.xlsx"
    code, s, err = run(capsys, "--data", county, "return", F, "--unit", TOWN, "--period",
                       "2026-11", "--reason", "注册人数与上月相差过大", "--field",
                       "vol_registered=请与平台核对", "--out", ret)  # fmt: skip
    assert code == 0, err
    assert s["fields"] == {"vol_registered": "请与平台核对"}
    code, shown, _ = run(capsys, "--data", county, "report", F, "--unit", TOWN, "--period",
                         "2026-11", "--show")  # fmt: skip
    assert shown["_status"] == "returned"

    # The township imports it: 退回 with reason and field comment; twice changes nothing.
    code, s, err = run(capsys, "--data", town, "import", ret)
    assert code == 0 and s["kind"] == "kexie-return" and s["applied"] is True, err
    code, s, _ = run(capsys, "--data", town, "import", ret)
    assert code == 0 and s["applied"] is False
    code, shown, _ = run(capsys, "--data", town, "report", F, "--period", "2026-11", "--show")
    assert shown["_status"] == "returned"
    (event,) = shown["_returns"]
    assert event["reason"] == "注册人数与上月相差过大"
    assert event["fields"] == {"vol_registered": "请与平台核对"} and "response" not in event

    # A correction without a reason is refused; with one it is the response.
    code, _, err = enter(capsys, town, "2026-11", {"vol_registered": 125})
    assert code == 1 and "原因" in err
    code, s, err = enter(capsys, town, "2026-11", {"vol_registered": 125}, "--reason",
                         "已与平台核对，更正为125人")  # fmt: skip
    assert code == 0 and s["status"] == "finalised", err
    assert s["returns"][0]["response"] == "已与平台核对，更正为125人"

    # Re-sent: the county sees the correction supersede the returned version.
    assert run(capsys, "--data", town, "export", "--out", tmp_path / "t2.xlsx")[0] == 0
    code, s, _ = run(capsys, "--data", county, "import", tmp_path / "t2.xlsx")
    assert code == 0 and s["added"] == 0 and len(s["superseded"]) == 1
    changed = s["superseded"][0]["fields"]
    assert changed["vol_registered"] == [120, 125]
    assert changed["_status"] == ["returned", "finalised"]
    code, shown, _ = run(capsys, "--data", county, "report", F, "--unit", TOWN, "--period",
                         "2026-11", "--show")  # fmt: skip
    assert shown["_status"] == "finalised" and shown["vol_registered"] == 125
    # The old, uncorrected bundle sent again does not roll the correction back.
    code, s, _ = run(capsys, "--data", county, "import", tmp_path / "t1.xlsx")
    assert s["kept_newer"] == 1 and not s["superseded"]

    # Upward: the city sees that it was returned, why, and the township's answer.
    assert run(capsys, "--data", county, "export", "--out", tmp_path / "c.xlsx")[0] == 0
    code, s, _ = run(capsys, "--data", city, "import", tmp_path / "c.xlsx")
    assert code == 0 and s["added"] == 1
    code, shown, _ = run(capsys, "--data", city, "report", F, "--unit", TOWN, "--period",
                         "2026-11", "--show")  # fmt: skip
    (event,) = shown["_returns"]
    assert event["reason"] == "注册人数与上月相差过大" and event["by"] == "330106000000"
    assert event["response"] == "已与平台核对，更正为125人"
    # ... and a person reading the bundle in Excel sees it in words.
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(tmp_path / "c.xlsx"))
    rows = wb.get_sheet_by_name("科技志愿服务月报").to_python()
    col = rows[0].index("退回记录")
    text = rows[1][col]
    assert "西湖区退回：注册人数与上月相差过大" in text
    assert "注册科技志愿者人数" in text and "更正：已与平台核对，更正为125人" in text


def test_return_refusals_are_clear(tree, tmp_path, capsys):
    town, county = tree["town"], tree["county"]
    ret = tmp_path / "r.xlsx"
    # Nothing received yet.
    code, _, err = run(capsys, "--data", county, "return", F, "--unit", TOWN, "--period",
                       "2026-11", "--reason", "x", "--out", ret)  # fmt: skip
    assert code == 1 and "没有找到" in err and not ret.exists()
    assert enter(capsys, town, "2026-11", GOOD)[0] == 0
    run(capsys, "--data", town, "export", "--out", tmp_path / "t.xlsx")
    run(capsys, "--data", county, "import", tmp_path / "t.xlsx")
    # Unknown field, empty reason.
    code, _, err = run(capsys, "--data", county, "return", F, "--unit", TOWN, "--period",
                       "2026-11", "--reason", "x", "--field", "nope=?", "--out", ret)  # fmt: skip
    assert code == 1 and "nope" in err and not ret.exists()
    code, _, err = run(capsys, "--data", county, "return", F, "--unit", TOWN, "--period",
                       "2026-11", "--reason", " ", "--out", ret)  # fmt: skip
    assert code == 1 and "原因" in err
    code, _, err = run(capsys, "--data", county, "return", F, "--unit", TOWN, "--period",
                       "2026-11", "--reason", "请核对", "--out", ret)  # fmt: skip
    assert code == 0
    # Altered in Excel: refused, nothing changes.
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(ret) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data.replace("请核对".encode(), "请删除".encode()))
    code, _, err = run(capsys, "--data", town, "import", bad)
    assert code == 1 and "改动" in err
    code, info, _ = run(capsys, "inspect", bad)
    assert code == 1 and info["kind"] == "kexie-return" and not info["valid"]
    code, info, _ = run(capsys, "inspect", ret)
    assert (
        code == 0 and info["valid"] and info["manifest"]["payload"]["event"]["reason"] == "请核对"
    )
    code, shown, _ = run(capsys, "--data", town, "report", F, "--period", "2026-11", "--show")
    assert shown["_status"] == "exported" and not shown["_returns"]
    # Misdirected: another township's computer.
    other = tmp_path / "other"
    run(capsys, "--data", other, "init", "--unit", "330106004")
    code, _, err = run(capsys, "--data", other, "import", ret)
    assert code == 1 and "330106002000" in err


def test_a_survey_record_is_returned_by_its_uuid(tree, tmp_path, capsys):
    from localdb import open_store

    town, county = tree["town"], tree["county"]
    assert run(capsys, "--data", town, "demo", "--records", "5", "--seed", "3")[0] == 0
    run(capsys, "--data", town, "export", "--out", tmp_path / "t.xlsx")
    assert run(capsys, "--data", county, "import", tmp_path / "t.xlsx")[0] == 0
    with open_store(county) as store:
        uuid = store.records("kexie_survey", status=["finalised", "exported"])[0]["_uuid"]
    ret = tmp_path / "r.xlsx"
    code, s, err = run(capsys, "--data", county, "return", "kexie_survey", "--unit", TOWN,
                       "--uuid", uuid, "--reason", "受访者年龄与出生年份不符", "--out", ret)  # fmt: skip
    assert code == 0 and s["uuid"] == uuid, err
    code, s, err = run(capsys, "--data", town, "import", ret)
    assert code == 0 and s["applied"], err
    with open_store(town) as store:
        record = store.get("kexie_survey", uuid)
    assert record["_status"] == "returned"
    assert json.loads(record["_returns"])[0]["reason"] == "受访者年龄与出生年份不符"


def test_returned_twice_before_the_correction_both_are_answered(tree, tmp_path, capsys):
    town, county = tree["town"], tree["county"]
    assert enter(capsys, town, "2026-11", GOOD)[0] == 0
    run(capsys, "--data", town, "export", "--out", tmp_path / "t.xlsx")
    run(capsys, "--data", county, "import", tmp_path / "t.xlsx")
    for i, reason in enumerate(("请核对注册人数", "另请核对服务时长")):
        code, _, err = run(capsys, "--data", county, "return", F, "--unit", TOWN, "--period",
                           "2026-11", "--reason", reason, "--out", tmp_path / f"r{i}.xlsx")  # fmt: skip
        assert code == 0, err
    for i in range(2):
        code, s, err = run(capsys, "--data", town, "import", tmp_path / f"r{i}.xlsx")
        assert code == 0 and s["applied"], err
    code, s, _ = enter(capsys, town, "2026-11", {"vol_registered": 125, "service_hours": 240},
                       "--reason", "两处均已更正")  # fmt: skip
    assert code == 0
    assert [e["reason"] for e in s["returns"]] == ["请核对注册人数", "另请核对服务时长"]
    assert {e["response"] for e in s["returns"]} == {"两处均已更正"}
