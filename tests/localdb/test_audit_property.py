"""Property: whatever sequence of edits happens, the audit trail replays to the stored rows."""

from __future__ import annotations

import json
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localdb import open_store
from tests.localdb.conftest import UNIT, survey_form
from tests.profiles import examples

names = st.sampled_from(["张三", "李四", "王五", None])
ages = st.one_of(st.none(), st.integers(min_value=0, max_value=99))
kids = st.lists(st.fixed_dictionaries({"kid_name": st.sampled_from(["甲", "乙"])}), max_size=2)
operation = st.one_of(
    st.tuples(st.just("create"), names, ages, kids),
    st.tuples(st.just("edit"), st.integers(0, 5), names, ages, kids),
    st.tuples(st.just("finalise"), st.integers(0, 5)),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("undelete"), st.integers(0, 5)),
)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=12))
def test_audit_trail_replays_to_the_table(ops):
    with tempfile.TemporaryDirectory() as tmp, open_store(tmp) as store:
        store.set_unit(UNIT)
        store.register_form(survey_form())
        uuids: list[str] = []
        for op in ops:
            kind = op[0]
            if kind == "create":
                uuids.append(
                    store.save("t_survey", {"resp_name": op[1], "age": op[2], "kids": op[3]})
                )
                continue
            if not uuids:
                continue
            uuid = uuids[op[1] % len(uuids)]
            record = store.get("t_survey", uuid)
            try:
                if kind == "edit" and not record["_deleted"]:
                    values = {"resp_name": op[2], "age": op[3], "kids": op[4]}
                    store.save("t_survey", values, uuid=uuid, reason="更正")
                elif kind == "finalise" and record["_status"] == "draft":
                    store.set_status("t_survey", uuid, "finalised")
                elif kind == "delete":
                    store.delete("t_survey", uuid, reason="重复")
                elif kind == "undelete":
                    store.undelete("t_survey", uuid)
            except Exception as exc:  # only the validation refusal is expected (missing name)
                assert getattr(exc, "code", "") == "db.has_errors", exc
        _replay_matches(store)


def _replay_matches(store) -> None:
    """Rebuild every record from its audit rows alone and compare with the table."""
    replayed: dict[str, dict] = {}
    for row in store.audit_rows("t_survey"):
        uuid = row["record_uuid"]
        if row["action"] == "create":
            values = json.loads(row["new"])
            replayed[uuid] = {
                "resp_name": values.get("resp_name"),
                "age": values.get("age"),
                "kids": json.dumps(
                    [{"kid_name": k["kid_name"]} for k in values.get("kids") or []],
                    ensure_ascii=False,
                    sort_keys=True,
                ),
                "_status": "draft",
                "_deleted": 0,
            }
        elif row["field"] == "kids":
            replayed[uuid]["kids"] = json.dumps(
                [{"kid_name": k["kid_name"]} for k in json.loads(row["new"])],
                ensure_ascii=False,
                sort_keys=True,
            )
        elif row["field"] in ("resp_name", "age", "_status", "_deleted"):
            replayed[uuid][row["field"]] = row["new"]
    stored = {r["_uuid"]: r for r in store.iter_rows("t_survey")}
    assert set(replayed) == set(stored)
    for uuid, want in replayed.items():
        record = store.get("t_survey", uuid)
        have = {
            "resp_name": record["resp_name"],
            "age": record["age"],
            "kids": json.dumps(
                [{"kid_name": k["kid_name"]} for k in record["kids"]],
                ensure_ascii=False,
                sort_keys=True,
            ),
            "_status": record["_status"],
            "_deleted": record["_deleted"],
        }
        assert have == want, uuid
