"""A save never gives a record an older ``_modified`` than it had (a clock set back), so the
edit still reaches the level above; uuid variants address the same record. Issue 10."""

from __future__ import annotations

import pytest

import localdb.records as records
from i18n.errors import UsageError

LATE = "2031-06-01T12:00:00.000Z"


@pytest.fixture
def clock(monkeypatch):
    """Set the store's clock: ``clock("2026-…Z")``."""

    def set_to(text: str) -> None:
        monkeypatch.setattr(records, "now_iso", lambda: text)

    return set_to


def test_edit_with_the_clock_set_back_is_still_newer(store, clock):
    clock(LATE)
    uid = store.save("t_survey", {"resp_name": "甲", "age": 30}, status="finalised")
    clock("2026-01-01T00:00:00.000Z")  # the clock went back five years
    store.save("t_survey", {"resp_name": "甲", "age": 31}, uuid=uid, reason="更正")
    after = store.get("t_survey", uid)["_modified"]
    assert after > LATE and after.startswith("2031-06-01T12:00:00.")
    store.set_status("t_survey", uid, "finalised")
    assert store.get("t_survey", uid)["_modified"] > after
    before = store.get("t_survey", uid)["_modified"]
    store.delete("t_survey", uid, reason="重复")
    assert store.get("t_survey", uid)["_modified"] > before


def test_a_correct_clock_is_used_as_it_is(store, clock):
    clock("2026-01-01T00:00:00.000Z")
    uid = store.save("t_survey", {"resp_name": "甲"})
    clock("2026-02-01T00:00:00.000Z")
    store.save("t_survey", {"resp_name": "乙"}, uuid=uid)
    assert store.get("t_survey", uid)["_modified"] == "2026-02-01T00:00:00.000Z"


def test_nil_report_over_a_later_draft_stays_later(store, clock):
    clock(LATE)
    store.save("t_report", {"visitors": 3}, period="2026-10")
    clock("2026-01-01T00:00:00.000Z")
    uid = store.nil_report("t_report", period="2026-10")
    assert store.get("t_report", uid)["_modified"] > LATE


@pytest.mark.parametrize("variant", [str.upper, lambda u: "{" + u + "}", lambda u: f"  {u}\n"])
def test_uuid_variants_are_the_same_record(store, variant):
    uid = store.save("t_survey", {"resp_name": "甲"})
    assert store.save("t_survey", {"resp_name": "乙"}, uuid=variant(uid)) == uid
    assert store.count("t_survey") == 1 and store.get("t_survey", uid)["resp_name"] == "乙"


def test_a_malformed_uuid_is_refused(store):
    with pytest.raises(UsageError) as err:
        store.save("t_survey", {"resp_name": "甲"}, uuid="not-a-uuid")
    assert err.value.code == "db.bad_uuid"
