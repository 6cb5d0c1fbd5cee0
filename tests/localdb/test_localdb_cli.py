"""The ``kexie units / init / backup / restore / demo`` commands, run as a user would."""

from __future__ import annotations

import json

import i18n
from kexie.cli import main
from localdb import open_store
from localdb.store import list_backups


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_units_lists_provinces_and_children(capsys, tmp_path):
    code, out, _ = run(capsys, "--data", str(tmp_path), "units")
    assert code == 0 and "31" in out and "北京市" in out and "330000" in out
    code, out, _ = run(capsys, "--data", str(tmp_path), "units", "330106")
    assert code == 0
    assert "浙江省 › 杭州市 › 西湖区" in out and "330106002  北山街道" in out


def test_units_json(capsys, tmp_path):
    code, out, _ = run(capsys, "--data", str(tmp_path), "units", "11", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["parent"]["name"] == "北京市"
    assert data["units"][0] == {
        "code": "110101000000",
        "short_code": "110101",
        "name": "东城区",
        "level": "county",
        "parent": "110000000000",
        "flags": "",
    }


def test_units_search(capsys, tmp_path):
    code, out, _ = run(capsys, "--data", str(tmp_path), "units", "33", "--search", "xhq")
    assert code == 0 and out.split() == ["330106", "西湖区", "(县级)"]


def test_units_unknown_and_malformed_codes(capsys, tmp_path):
    code, _, err = run(capsys, "--data", str(tmp_path), "units", "330199")
    assert code == 1 and "330199" in err and "杭州市（330100）" in err
    code, _, err = run(capsys, "--data", str(tmp_path), "units", "33x")
    assert code == 1 and "2、4、6、9 或 12 位数字" in err and "Traceback" not in err
    i18n.set_language("en")
    code, _, err = run(capsys, "--data", str(tmp_path), "units", "110100")
    assert code == 1 and "statistical grouping" in err and "北京市 (110000)" in err


def test_init_sets_the_unit_in_twelve_digit_form(capsys, tmp_path):
    code, out, _ = run(
        capsys, "--data", str(tmp_path), "init", "--unit", "330106", "--clerk", "小王"
    )
    assert code == 0 and "浙江省 杭州市 西湖区" in out and "330106000000" in out
    with open_store(tmp_path) as store:
        assert store.unit_code == "330106000000" and store.clerk == "小王"
    code, _, _ = run(capsys, "--data", str(tmp_path), "init", "--unit", "330106002")
    with open_store(tmp_path) as store:
        assert store.unit.name == "北山街道" and store.unit.level == "township"
    code, _, err = run(capsys, "--data", str(tmp_path), "init", "--unit", "9999")
    assert code == 1 and "9999" in err


def test_init_refused_while_another_instance_has_the_folder(capsys, tmp_path):
    with open_store(tmp_path):
        code, _, err = run(capsys, "--data", str(tmp_path), "init", "--unit", "330106")
    assert code == 1 and "正被另一个" in err


def test_backup_and_restore_commands(capsys, tmp_path):
    run(capsys, "--data", str(tmp_path), "init", "--unit", "330106")
    code, out, _ = run(capsys, "--data", str(tmp_path), "backup")
    assert code == 0
    backup = list_backups(tmp_path)[-1]
    assert str(backup) in out
    run(capsys, "--data", str(tmp_path), "init", "--unit", "330102")
    code, out, _ = run(capsys, "--data", str(tmp_path), "restore", str(backup))
    assert code == 0 and "before-restore" in out
    with open_store(tmp_path) as store:
        assert store.unit_code == "330106000000"


def test_backup_without_data_folder(capsys, tmp_path):
    code, _, err = run(capsys, "--data", str(tmp_path / "none"), "backup")
    assert code == 1 and "kexie init" in err


def test_demo_fills_every_built_in_form(capsys, tmp_path):
    code, out, err = run(capsys, "--data", str(tmp_path), "demo", "--records", "30", "--seed", "3")
    assert code == 0, err
    assert "西湖区" in err  # no unit was set: the default county is used and the user is told
    with open_store(tmp_path) as store:
        assert store.unit_code == "330106000000"
        assert store.count("kexie_survey") == 30
        units = {r["_unit"] for r in store.records("kexie_survey")}
        assert len(units) > 3 and all(u.startswith("330106") for u in units)
        for form_id in ("kexie_volunteer_monthly", "kexie_venue_monthly"):
            rows = store.records(form_id)
            assert len({r["_unit"] for r in rows}) == 13  # 西湖区 and its 12 街道/镇
            assert len({r["_period"] for r in rows}) == 13  # 12 complete months + the current one
        assert store.count("kexie_volunteer_monthly", status="nil") == 1
        assert store.count("kexie_venue_monthly", status="returned") == 1
        assert store.count("kexie_org_annual") == 13
        statuses = {r["_status"] for r in store.records("kexie_survey")}
        assert {"draft", "finalised", "exported"} <= statuses
        assert len(store.audit_rows()) >= store.count("kexie_survey")
    # a second run adds survey records but leaves existing reports alone
    code, out, _ = run(capsys, "--data", str(tmp_path), "demo", "--records", "5", "--seed", "4")
    assert "未重复生成" in out
    assert code == 0
    with open_store(tmp_path) as store:
        assert store.count("kexie_survey") == 35
        assert store.count("kexie_org_annual") == 13


def test_demo_for_a_city_covers_its_counties(capsys, tmp_path):
    code, _, err = run(
        capsys, "--data", str(tmp_path), "demo", "--unit", "330100", "--records", "20"
    )
    assert code == 0, err
    with open_store(tmp_path) as store:
        rows = store.records("kexie_org_annual")
        assert len(rows) == 1 + len(store.units.children("330100"))
        assert {store.units.get(r["_unit"]).level for r in rows} == {"city", "county"}


def test_demo_never_turns_a_real_data_folder_into_a_demo_district(capsys, tmp_path, monkeypatch):
    from localdb import open_store

    real = tmp_path / "KexieCollect"
    monkeypatch.setattr("kexie.paths.default_data_dir", lambda: real)
    with open_store(real) as store:  # a newcomer's real folder, with a real report
        store.set_unit("360121000000")
        store.set_clerk("王")
        store.save("kexie_volunteer_monthly", {"vol_registered": 5}, period="2026-11")
    code, out, _err = run(capsys, "demo", "--records", "3", "--seed", "1")
    assert code == 0
    demo = tmp_path / "KexieCollect-demo"
    assert str(demo) in out and "--data" in out
    with open_store(real) as store:  # untouched
        assert store.unit_code == "360121000000" and store.count("kexie_survey") == 0
        assert store.get_setting("demo") is None
    with open_store(demo) as store:
        assert store.get_setting("demo") is True and store.count("kexie_survey") == 3
    # pointed at the real folder on purpose: refused, with what to do instead
    code, _out, err = run(capsys, "--data", str(real), "demo", "--records", "3")
    assert code != 0 and "正式数据" in err and "--data" in err
    with open_store(real) as store:
        assert store.count("kexie_survey") == 0
