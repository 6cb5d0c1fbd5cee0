"""Storage follows kexie.lifecycle exactly: every (current, new) pair, reasons, export marking."""

from __future__ import annotations

import itertools

import pytest

from i18n.errors import ValidationError
from kexie import lifecycle
from tests.localdb.conftest import UNIT

_PERIODS = (f"20{y:02d}-{m:02d}" for y in range(10, 26) for m in range(1, 13))


def _in_state(store, status: str) -> tuple[str, str]:
    """A report in ``status`` (a fresh unit × period each time)."""
    period = next(_PERIODS)
    if status == lifecycle.NIL:
        return "t_report", store.nil_report("t_report", unit=UNIT, period=period)
    final = status != lifecycle.DRAFT
    uuid = store.save(
        "t_report",
        {"visitors": 3},
        unit=UNIT,
        period=period,
        status=lifecycle.FINALISED if final else lifecycle.DRAFT,
    )
    if status in (lifecycle.EXPORTED, lifecycle.RETURNED):
        store.set_status("t_report", uuid, lifecycle.EXPORTED)
    if status == lifecycle.RETURNED:
        store.set_status("t_report", uuid, lifecycle.RETURNED, reason="check the figures")
    assert store.get("t_report", uuid)["_status"] == status
    return "t_report", uuid


@pytest.mark.parametrize(
    ("current", "new"), list(itertools.product(lifecycle.STATUSES, lifecycle.STATUSES))
)
def test_set_status_allows_exactly_the_lifecycle_transitions(store, current, new):
    form_id, uuid = _in_state(store, current)
    if not lifecycle.can_move(current, new):
        with pytest.raises(ValidationError) as err:
            store.set_status(form_id, uuid, new, reason="r")
        assert err.value.code == "db.bad_transition"
        return
    if lifecycle.needs_reason(current, new):
        with pytest.raises(ValidationError) as err:
            store.set_status(form_id, uuid, new)
        assert err.value.code == "db.reason_required"
    store.set_status(form_id, uuid, new, reason="r")
    expected = lifecycle.NIL if (current, new) == (lifecycle.NIL, lifecycle.EXPORTED) else new
    assert store.get(form_id, uuid)["_status"] == expected


@pytest.mark.parametrize("status", lifecycle.STATUSES)
def test_editing_values_needs_a_reason_exactly_when_the_lifecycle_says(store, status):
    form_id, uuid = _in_state(store, status)
    if lifecycle.edit_needs_reason(status):
        with pytest.raises(ValidationError) as err:
            store.save(form_id, {"visitors": 4}, uuid=uuid)
        assert err.value.code == "db.reason_required"
    else:
        store.save(form_id, {"visitors": 4}, uuid=uuid)
        assert store.get(form_id, uuid)["visitors"] == 4


def test_mark_exported_moves_what_the_lifecycle_says(store):
    uuids = {s: _in_state(store, s)[1] for s in lifecycle.STATUSES}
    changed = store.mark_exported("t_report", list(uuids.values()))
    after = {s: store.get("t_report", u)["_status"] for s, u in uuids.items()}
    for status, now in after.items():
        sent = status in lifecycle.SENT_BY_EXPORT
        assert now == (lifecycle.after_export(status) if sent else status), status
    assert changed == sum(1 for s in lifecycle.SENT_BY_EXPORT if lifecycle.after_export(s) != s)
