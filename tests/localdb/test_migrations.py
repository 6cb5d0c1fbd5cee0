"""Schema versions: system migrations, form tables following form versions, newer databases."""

from __future__ import annotations

import pytest

from forms.model import Question
from i18n.errors import StorageError
from localdb import open_store, schema
from localdb.store import list_backups
from tests.localdb.conftest import survey_form


def test_new_database_records_its_schema_version(tmp_path):
    with open_store(tmp_path) as s:
        assert schema.stored_version(s.db) == schema.SCHEMA_VERSION
        assert s.db.execute("SELECT app_version FROM _schema").fetchone()[0]
        assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert s.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert list_backups(tmp_path) == []  # nothing to back up on a fresh database


def test_database_from_a_newer_app_is_refused(tmp_path):
    with open_store(tmp_path) as s:
        s.db.execute("UPDATE _schema SET version = ?", [schema.SCHEMA_VERSION + 1])
    before = (tmp_path / "kexie.sqlite").read_bytes()
    with pytest.raises(StorageError) as err:
        open_store(tmp_path)
    assert err.value.code == "db.too_new"
    assert "升级" in err.value.message()
    assert (tmp_path / "kexie.sqlite").read_bytes() == before
    with pytest.raises(StorageError):
        open_store(tmp_path)  # refused again, not half-opened the first time


def test_system_migration_backs_up_first(tmp_path, monkeypatch):
    with open_store(tmp_path) as s:
        s.set_setting("marker", 1)

    def m999_extra_table(db):
        db["_extra"].create({"id": int}, pk="id")

    migrations = list(schema.MIGRATIONS._migrations)
    migrations.append(schema.MIGRATIONS._Migration("m999_extra_table", m999_extra_table, True))
    monkeypatch.setattr(schema.MIGRATIONS, "_migrations", migrations)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(migrations))
    with open_store(tmp_path) as s:
        assert s.db["_extra"].exists()
        assert schema.stored_version(s.db) == len(migrations)
        assert s.get_setting("marker") == 1
    backups = list_backups(tmp_path)
    assert len(backups) == 1 and backups[0].name.endswith("-migration.sqlite")


def test_new_form_version_adds_columns_and_keeps_data(store):
    old = store.save("t_survey", {"resp_name": "甲", "age": 30, "field": "农业"})
    v2 = survey_form("2", extra=[Question("email", "text"), Question("score", "decimal")])
    v2.children = [q for q in v2.children if q.name != "field"]  # a removed question
    v2.reindex()
    store.register_form(v2)
    columns = {c.name: c.type for c in store.db["form_t_survey"].columns}
    assert columns["email"] == "TEXT" and columns["score"] == "REAL"
    assert "field" in columns  # removed questions keep their column and data
    record = store.get("t_survey", old)
    assert (record["resp_name"], record["field"], record["_form_version"], record["email"]) == (
        "甲",
        "农业",
        "1",
        None,
    )
    new = store.save("t_survey", {"resp_name": "乙", "email": "a@b.cn", "score": 2.5})
    assert store.get("t_survey", new)["_form_version"] == "2"
    assert store.form("t_survey").version == "2"
    assert store.form("t_survey", "1").version == "1"
    assert any(p.name.endswith("-migration.sqlite") for p in list_backups(store.folder))


def test_form_versions_sort_numerically(store):
    store.register_form(survey_form("10"))
    store.register_form(survey_form("9"))
    assert store.registry.versions("t_survey") == ["1", "9", "10"]
    assert store.form("t_survey").version == "10"


def test_question_names_must_not_clash_with_system_columns(store):
    bad = survey_form("3", extra=[Question("_status", "text")])
    with pytest.raises(StorageError) as err:
        store.register_form(bad)
    assert err.value.code == "db.reserved_name"


def test_form_without_a_file_survives_a_restart(tmp_path):
    form = survey_form("7")
    with open_store(tmp_path) as s:
        s.set_unit("330106")
        s.register_form(form)
        uuid = s.save("t_survey", {"resp_name": "甲", "kids": [{"kid_name": "乙"}]})
    with open_store(tmp_path) as s:
        again = s.form("t_survey")
        assert again.version == "7" and again is not form
        assert [q.name for q in again.walk()] == [q.name for q in form.walk()]
        assert again.question("age").severity == "warning"
        assert again.repeat_of("kid_name").name == "kids"
        assert s.get("t_survey", uuid)["kids"][0]["kid_name"] == "乙"


def test_form_from_bundle_bytes_is_kept_as_a_file(tmp_path):
    import forms

    data = forms.builtin_form_paths()["kexie_volunteer_monthly"].read_bytes()
    form = forms.load_form(data, name="kexie_volunteer_monthly.xlsx")
    form.version = "2099.1"  # pretend it is a newer version from a bundle
    with open_store(tmp_path) as s:
        s.register_form(form, data=data)
        assert s.form("kexie_volunteer_monthly").version == "2099.1"
    kept = tmp_path / "forms" / "kexie_volunteer_monthly" / "2099.1.xlsx"
    assert kept.read_bytes() == data
    with open_store(tmp_path) as s:
        # reloaded from the kept file (whose own version is the built-in one)
        assert s.form("kexie_volunteer_monthly", "2099.1").form_id == "kexie_volunteer_monthly"


def test_durability_can_be_raised_to_full(tmp_path):
    with open_store(tmp_path) as s:
        s.set_setting("synchronous", "full")
    with open_store(tmp_path) as s:
        assert s.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def _write_xlsform(path, version: str, questions: list[tuple[str, str, str]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    for row in questions:
        survey.append(list(row))
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append(["t_added", version, "添加的表单"])
    wb.save(path)


def test_added_form_is_copied_into_the_data_folder(tmp_path):
    src = tmp_path / "my form.xlsx"
    _write_xlsform(src, "1", [("text", "name", "姓名"), ("integer", "age", "年龄")])
    data = tmp_path / "data"
    with open_store(data) as s:
        s.set_unit("330106")
        form = s.add_form(src)
        assert (form.form_id, form.version) == ("t_added", "1")
        uuid = s.save("t_added", {"name": "甲", "age": 3})
        assert "t_added" in [f.form_id for f in s.forms()]
        assert [f.form_id for f in s.forms()][:4] == sorted(
            f.form_id for f in s.forms() if f.form_id.startswith("kexie_")
        )
    src.unlink()  # the copy in the data folder is what counts now
    assert (data / "forms" / "t_added" / "1.xlsx").is_file()
    _write_xlsform(tmp_path / "v2.xlsx", "2", [("text", "name", "姓名"), ("text", "phone", "电话")])
    with open_store(data) as s:
        assert s.get("t_added", uuid)["age"] == 3
        s.add_form(tmp_path / "v2.xlsx")
        assert s.form("t_added").version == "2"
        assert s.form("t_added", "1").get("age") is not None
        assert {"name", "age", "phone"} <= {c.name for c in s.db["form_t_added"].columns}
