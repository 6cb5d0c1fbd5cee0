"""Local unit additions and renames: kept in the database, audited, visible everywhere."""

from __future__ import annotations

import pytest

from i18n.errors import UsageError
from kexie.cli import main
from localdb import open_store
from localdb.units import divisions


def test_add_a_township_gets_a_local_band_code(store):
    unit = store.units.add("330106", "云谷社区")
    assert unit.code == "330106901000" and unit.level == "township" and unit.local
    assert unit.parent == "330106000000"
    assert unit in store.units.children("330106")
    assert store.units.search("ygsq")[0] == unit  # pinyin initials work for local names too
    second = store.units.add("330106", "梦想小镇")
    assert second.code == "330106902000"
    audit = store.audit_rows(uuid=unit.code)
    assert [(a["action"], a["new"], a["who"]) for a in audit] == [("unit_add", "云谷社区", "小王")]
    assert divisions().get(unit.code) is None  # the built-in tree is untouched


def test_add_with_an_explicit_code(store):
    unit = store.units.add("330106", "新街道", code="330106015")
    assert unit.code == "330106015000"
    with pytest.raises(UsageError):
        store.units.add("330106", "重复", code="330106015")
    with pytest.raises(UsageError):
        store.units.add("330106", "不在范围", code="330107015")
    with pytest.raises(UsageError):
        store.units.add("330106002", "村")  # below township level


def test_rename_is_audited_and_survives_reopening(tmp_path):
    with open_store(tmp_path) as s:
        s.set_clerk("李会计")
        s.units.rename("330106002", "北山街道（新）", reason="2024年更名")
    with open_store(tmp_path) as s:
        unit = s.units.get("330106002")
        assert unit.name == "北山街道（新）" and unit.local and unit.level == "township"
        row = s.audit_rows(uuid="330106002000")[-1]
        assert (row["action"], row["old"], row["new"], row["reason"], row["who"]) == (
            "unit_rename",
            "北山街道",
            "北山街道（新）",
            "2024年更名",
            "李会计",
        )


def test_local_units_accept_records_and_show_in_the_cli(tmp_path, capsys):
    from tests.localdb.conftest import survey_form

    with open_store(tmp_path) as s:
        s.set_unit("330106")
        s.register_form(survey_form())
        unit = s.units.add("330106", "云谷社区")
        uuid = s.save("t_survey", {"resp_name": "甲"}, unit=unit.code)
        assert s.get("t_survey", uuid)["_unit"] == "330106901000"
        assert s.count("t_survey", within="330106") == 1
    assert main(["--data", str(tmp_path), "units", "330106"]) == 0
    out = capsys.readouterr().out
    assert "330106901  云谷社区" in out and "本地添加或改名" in out


def test_units_add_and_rename_commands(tmp_path, capsys):
    assert main(["--data", str(tmp_path), "init", "--unit", "330106"]) == 0
    assert main(["--data", str(tmp_path), "units", "330106", "--add", "云谷社区"]) == 0
    assert "330106901000" in capsys.readouterr().out
    assert (
        main(
            [
                "--data",
                str(tmp_path),
                "units",
                "330106901",
                "--rename",
                "云谷街道",
                "--reason",
                "撤社区设街道",
            ]
        )
        == 0
    )
    assert "云谷社区 改名为 云谷街道" in capsys.readouterr().out
    assert main(["--data", str(tmp_path), "units", "--add", "无代码"]) == 1
    assert "kexie units 330106 --add" in capsys.readouterr().err
    with open_store(tmp_path) as s:
        assert s.units.get("330106901").name == "云谷街道"
        assert [r["action"] for r in s.audit_rows(uuid="330106901000")] == [
            "unit_add",
            "unit_rename",
        ]
