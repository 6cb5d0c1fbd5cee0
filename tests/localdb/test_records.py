"""Records: save with validation, lifecycle, audit trail, tombstones, queries."""

from __future__ import annotations

import pytest

from i18n.errors import StorageError, UsageError, ValidationError
from tests.localdb.conftest import UNIT


def test_draft_round_trip_with_repeats(store):
    kids = [{"kid_name": "小明", "kid_age": 8}, {"kid_name": "小红", "kid_age": 5}]
    uuid = store.save("t_survey", {"resp_name": "张三", "age": 40, "kids": kids})
    record = store.get("t_survey", uuid)
    assert record["resp_name"] == "张三" and record["age"] == 40
    assert record["_status"] == "draft" and record["_unit"] == UNIT and record["_author"] == "小王"
    assert (
        record["_form_version"] == "1" and record["_deleted"] == 0 and record["_source"] == "local"
    )
    assert [k["kid_name"] for k in record["kids"]] == ["小明", "小红"]
    assert [k["_index"] for k in record["kids"]] == [1, 2]
    assert record["_created"].endswith("Z") and record["_created"] == record["_modified"]
    # the table is plain SQLite: one column per question
    columns = {c.name for c in store.db["form_t_survey"].columns}
    assert {"resp_name", "age", "field", "_uuid", "_status", "_explanations"} <= columns
    assert store.db["form_t_survey__kids"].count == 2


def test_drafts_may_hold_errors_but_cannot_be_finalised(store):
    uuid = store.save("t_survey", {"age": 30})  # the required name is missing
    assert store.get("t_survey", uuid)["_status"] == "draft"
    with pytest.raises(ValidationError) as err:
        store.save("t_survey", {"age": 30}, uuid=uuid, status="finalised")
    assert err.value.code == "db.has_errors" and err.value.problems
    assert store.get("t_survey", uuid)["_status"] == "draft"


def test_warnings_need_an_explanation_to_finalise(store):
    values = {"resp_name": "李四", "age": 120}
    with pytest.raises(ValidationError) as err:
        store.save("t_survey", values, status="finalised")
    assert err.value.code == "db.unexplained_warnings"
    assert err.value.problems[0].location.field == "age"
    uuid = store.save(
        "t_survey", values, status="finalised", explanations={"age": "百岁老人，已核实"}
    )
    record = store.get("t_survey", uuid)
    assert record["_status"] == "finalised"
    assert record["_explanations"] == {"age": "百岁老人，已核实"}


def test_every_change_writes_an_audit_row(store):
    uuid = store.save("t_survey", {"resp_name": "王五", "age": 30})
    store.save("t_survey", {"resp_name": "王五", "age": 31}, uuid=uuid)
    store.save("t_survey", {"resp_name": "王五", "age": 31}, uuid=uuid)  # no change: no row
    store.save(
        "t_survey", {"resp_name": "王五", "age": 31, "kids": [{"kid_name": "甲"}]}, uuid=uuid
    )
    rows = store.audit_rows("t_survey", uuid)
    assert [(r["action"], r["field"]) for r in rows] == [
        ("create", None),
        ("update", "age"),
        ("update", "kids"),
    ]
    assert (rows[1]["old"], rows[1]["new"], rows[1]["who"]) == (30, 31, "小王")
    assert '"甲"' in rows[2]["new"]


def test_editing_a_finalised_record_needs_a_reason(store):
    uuid = store.save("t_survey", {"resp_name": "赵六", "age": 50}, status="finalised")
    with pytest.raises(ValidationError) as err:
        store.save("t_survey", {"resp_name": "赵六", "age": 51}, uuid=uuid, status="finalised")
    assert err.value.code == "db.reason_required"
    assert store.get("t_survey", uuid)["age"] == 50
    store.save(
        "t_survey",
        {"resp_name": "赵六", "age": 51},
        uuid=uuid,
        status="finalised",
        reason="录入错误",
    )
    last = store.audit_rows("t_survey", uuid)[-1]
    assert (last["field"], last["old"], last["new"], last["reason"]) == ("age", 50, 51, "录入错误")


def test_lifecycle_finalised_exported_returned_and_back(store):
    uuid = store.save("t_survey", {"resp_name": "钱七", "age": 33})
    store.set_status("t_survey", uuid, "finalised")
    store.set_status("t_survey", uuid, "exported")
    with pytest.raises(ValidationError):
        store.set_status("t_survey", uuid, "returned")  # no reason
    store.set_status("t_survey", uuid, "returned", reason="单位名称有误")
    assert store.get("t_survey", uuid)["_status"] == "returned"
    store.save("t_survey", {"resp_name": "钱七", "age": 34}, uuid=uuid)  # returned: edit freely
    store.set_status("t_survey", uuid, "finalised")
    with pytest.raises(ValidationError) as err:
        store.set_status("t_survey", uuid, "nil")
    assert err.value.code == "db.bad_transition"
    statuses = [
        (r["old"], r["new"]) for r in store.audit_rows("t_survey", uuid) if r["action"] == "status"
    ]
    assert statuses == [
        ("draft", "finalised"),
        ("finalised", "exported"),
        ("exported", "returned"),
        ("returned", "draft"),
        ("draft", "finalised"),
    ]


def test_finalising_by_status_checks_the_stored_values(store):
    uuid = store.save("t_survey", {"age": 20})
    with pytest.raises(ValidationError):
        store.set_status("t_survey", uuid, "finalised")


def test_delete_is_a_tombstone_and_undelete_brings_it_back(store):
    uuid = store.save("t_survey", {"resp_name": "孙八"})
    with pytest.raises(ValidationError):
        store.delete("t_survey", uuid, reason="")
    store.delete("t_survey", uuid, reason="重复录入")
    assert store.count("t_survey") == 0
    assert store.count("t_survey", include_deleted=True) == 1
    assert store.get("t_survey", uuid)["_deleted"] == 1
    assert [r["_uuid"] for r in store.iter_rows("t_survey")] == [uuid]
    with pytest.raises(ValidationError) as err:
        store.save("t_survey", {"resp_name": "孙八"}, uuid=uuid)
    assert err.value.code == "db.record_deleted"
    store.undelete("t_survey", uuid)
    assert store.count("t_survey") == 1
    actions = [r["action"] for r in store.audit_rows("t_survey", uuid)]
    assert actions == ["create", "delete", "undelete"]


def test_queries_filter_sort_and_search(store):
    township = "330106002000"  # 北山街道
    a = store.save("t_survey", {"resp_name": "甲", "age": 20, "field": "农业"})
    b = store.save("t_survey", {"resp_name": "乙", "age": 30, "field": "医学"}, unit=township)
    store.save("t_survey", {"resp_name": "丙", "age": 40}, status="finalised")
    assert store.count("t_survey") == 3
    assert [r["_uuid"] for r in store.records("t_survey", unit=township)] == [b]
    assert store.count("t_survey", within=UNIT) == 3
    assert store.count("t_survey", within=township) == 1
    assert store.count("t_survey", status="finalised") == 1
    assert store.count("t_survey", status=["draft", "finalised"]) == 3
    assert [r["_uuid"] for r in store.records("t_survey", search="农业")] == [a]
    ages = [r["age"] for r in store.records("t_survey", order_by="-age")]
    assert ages == [40, 30, 20]
    assert [r["age"] for r in store.records("t_survey", order_by="age", limit=1, offset=1)] == [30]
    with pytest.raises(UsageError):
        store.records("t_survey", order_by="age; drop table x")


def test_unknown_unit_is_refused_with_a_suggestion(store):
    with pytest.raises(UsageError) as err:
        store.save("t_survey", {"resp_name": "甲"}, unit="330199")
    assert err.value.code == "units.unknown_near"
    assert "杭州市" in err.value.message()


def test_no_unit_yet(tmp_path):
    from localdb import open_store
    from tests.localdb.conftest import survey_form

    with open_store(tmp_path) as s:
        s.register_form(survey_form())
        with pytest.raises(UsageError) as err:
            s.save("t_survey", {"resp_name": "甲"})
        assert err.value.code == "db.no_unit"


def test_failed_write_leaves_nothing_behind(store):
    uuid = store.save("t_survey", {"resp_name": "甲", "age": 1})
    before = (store.count("t_survey"), len(store.audit_rows()))
    store.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StorageError) as err:
        store.save("t_survey", {"resp_name": "乙", "age": 2})
    assert err.value.code == "db.readonly"
    store.db.execute("PRAGMA query_only = OFF")
    assert (store.count("t_survey"), len(store.audit_rows())) == before
    assert store.get("t_survey", uuid)["age"] == 1


def _nested_form():
    from forms.model import Form, Question

    members = Question(
        "members",
        "repeat",
        parent="visits",
        children=[Question("member", "text", parent="members")],
    )
    visits = Question(
        "visits", "repeat", children=[Question("place", "text", parent="visits"), members]
    )
    return Form(form_id="t_nested", version="1", children=[Question("title", "text"), visits])


def test_nested_repeats_round_trip_and_shrink(store):
    store.register_form(_nested_form())
    values = {
        "title": "走访",
        "visits": [
            {"place": "甲村", "members": [{"member": "张"}, {"member": "李"}]},
            {"place": "乙村", "members": [{"member": "王"}]},
        ],
    }
    uuid = store.save("t_nested", values)
    record = store.get("t_nested", uuid)
    assert [v["place"] for v in record["visits"]] == ["甲村", "乙村"]
    assert [m["member"] for m in record["visits"][0]["members"]] == ["张", "李"]
    assert store.db["form_t_nested__members"].count == 3
    values["visits"] = [{"place": "甲村", "members": [{"member": "张"}]}]
    store.save("t_nested", values, uuid=uuid)
    assert store.db["form_t_nested__members"].count == 1
    assert store.db["form_t_nested__visits"].count == 1
    # an import that rewrites the record leaves no orphaned nested rows either
    rows = list(store.iter_rows("t_nested"))
    rows[0]["title"] = "走访（改）"
    repeats = {r: list(store.iter_rows("t_nested", r)) for r in ("visits", "members")}
    store.upsert_rows("t_nested", rows, repeats, source="sha")
    assert store.db["form_t_nested__members"].count == 1
    assert store.get("t_nested", uuid)["visits"][0]["members"][0]["member"] == "张"


def test_mark_exported_in_bulk(store):
    done = store.save("t_survey", {"resp_name": "甲"}, status="finalised")
    draft = store.save("t_survey", {"resp_name": "乙"})
    nil = store.nil_report("t_report", period="2026-10")
    assert (
        store.mark_exported("t_survey", [done, draft, "missing"], reason="西湖区-2026-10.xlsx") == 1
    )
    assert store.get("t_survey", done)["_status"] == "exported"
    assert store.get("t_survey", draft)["_status"] == "draft"
    assert store.mark_exported("t_report", [nil]) == 0
    assert store.get("t_report", nil)["_status"] == "nil"
    last = store.audit_rows("t_survey", done)[-1]
    assert (last["old"], last["new"], last["reason"]) == (
        "finalised",
        "exported",
        "西湖区-2026-10.xlsx",
    )
