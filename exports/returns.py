"""Returns for correction (退回): an upper level sends a subordinate's report back with a reason
and comments on fields; the lower level corrects it with a response and sends it again.

The history travels with the record in the system column ``_returns`` (JSON list, oldest
first), so it climbs the tree in every bundle and the province sees that a report was corrected
and why. One return is::

    {"id": uuid, "at": time, "by": unit code, "by_name": name, "who": clerk,
     "reason": text, "fields": {question: comment}, "version_modified": the returned
     version's _modified, "response": text, "responded_at": time, "responded_by": clerk}

(the last three once the lower level has answered). A return file (``kexie-return``, see
``exports.parcel``) carries one return for one report. Importing it twice changes nothing.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

from exports.parcel import RETURN, build_manifest, read_parcel, write_parcel
from i18n import tr
from i18n.errors import BundleError, Location, UsageError, ValidationError
from kexie import lifecycle
from localdb.formsreg import now_iso
from localdb.schema import quote, table_name

RETURNABLE = lifecycle.RETURNABLE


def history(value) -> list[dict]:
    """The return history stored in ``_returns`` (a list; [] when empty or unreadable)."""
    if not value:
        return []
    if isinstance(value, list):
        return value
    try:
        data = json.loads(str(value))
    except ValueError:
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def open_return(value) -> dict | None:
    """The latest return not yet answered, if any."""
    events = history(value)
    return events[-1] if events and not events[-1].get("response") else None


def history_text(value, *, zh: bool = True, labels: dict | None = None) -> str | None:
    """The history as one line per return, for the 退回记录 column of a bundle."""
    events = history(value)
    if not events:
        return None
    lang = "zh_CN" if zh else "en"
    lines = []
    for e in events:
        labels = labels or {}
        comments = "；".join(f"{labels.get(k, k)}：{v}" for k, v in (e.get("fields") or {}).items())
        text = tr("returns.history.returned", lang, at=str(e.get("at", ""))[:10],
                  by=e.get("by_name") or e.get("by", ""), reason=e.get("reason", ""))  # fmt: skip
        if comments:
            text += tr("returns.history.fields", lang, fields=comments)
        if e.get("response"):
            text += tr("returns.history.response", lang, at=str(e.get("responded_at", ""))[:10],
                       response=e["response"])  # fmt: skip
        lines.append(text)
    return "\n".join(lines)


def _row(store, form_id: str, uuid: str) -> dict | None:
    cur = store.db.execute(f"SELECT * FROM {quote(table_name(form_id))} WHERE _uuid = ?", [uuid])
    r = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], r, strict=True)) if r else None


def _audit(store, who, form_id, uuid, old, new, reason, action) -> None:
    store.db.execute(
        "INSERT INTO _audit (at, who, form_id, record_uuid, field, old, new, reason, action)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        [now_iso(), who, form_id, uuid, "_status", old, new, reason, action],
    )


def _later(a: str, b: str | None) -> str:
    """A ``_modified`` for a change made at ``a`` that is later than ``b`` (a clock behind the
    sender's must not make a change look older than what it changes)."""
    if not b or a > b:
        return a
    from datetime import datetime, timedelta

    try:
        t = datetime.strptime(b[:23], "%Y-%m-%dT%H:%M:%S.%f") + timedelta(milliseconds=1)
    except ValueError:
        return a
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class ReturnSummary:
    path: Path
    form: str
    uuid: str
    unit: str
    period: str | None
    reason: str
    fields: dict[str, str] = field(default_factory=dict)
    id: str = ""


def _find(store, form, unit: str, period: str | None, key: dict | None) -> str | None:
    if form.kind == "report":
        return store.find_report(form.form_id, unit=unit, period=period, key=key)
    return None


def return_report(
    store,
    form_id: str,
    *,
    unit: str,
    period: str | None,
    reason: str,
    fields: dict[str, str] | None = None,
    out: str | Path,
    uuid: str | None = None,
    key: dict | None = None,
) -> ReturnSummary:
    """Return a subordinate's report (or, with ``uuid``, any record) for correction: write the
    return file at ``out`` and mark the local copy 退回. Raises a ``KexieError`` when the form,
    record or a field is unknown, the reason is empty, or the record was never received."""
    from forms import periods as P
    from localdb.units import require_code

    form = store.form(form_id)
    if not (reason or "").strip():
        raise ValidationError("returns.reason_required", fix="returns.fix.reason")
    fields = {k: v.strip() for k, v in (fields or {}).items()}
    for name in fields:
        if name not in form or not form.question(name).stores_value:
            raise UsageError("returns.unknown_field", fix="returns.fix.field", field=name,
                             form=form.title())  # fmt: skip
    unit = require_code(unit)
    if period is not None:
        period = P.parse_period(period)
    uuid = uuid or _find(store, form, unit, period, key)
    row = _row(store, form_id, uuid) if uuid else None
    if row is None or row.get("_deleted"):
        raise UsageError("returns.no_record", fix="returns.fix.no_record", form=form.title(),
                         unit=unit, period=period or "")  # fmt: skip
    if row["_status"] not in RETURNABLE:
        raise UsageError("returns.not_received", form=form.title(), unit=unit,
                         period=period or "", status=tr(f"db.status.{row['_status']}"))  # fmt: skip
    own = store.unit_code
    if not own or row["_unit"] == own:
        raise UsageError("returns.own_report", fix="returns.fix.own_report", unit=row["_unit"])
    now = now_iso()
    event = {
        "id": str(uuidlib.uuid4()),
        "at": now,
        "by": own,
        "by_name": store.units.get(own).name if store.units.get(own) else own,
        "who": store.clerk or "",
        "reason": reason.strip(),
        "fields": fields,
        "version_modified": row["_modified"],
    }
    payload = {
        "form": form_id,
        "form_version": row.get("_form_version") or form.version,
        "record": row["_uuid"],
        "unit": row["_unit"],
        "period": row.get("_period"),
        "key": {k: row.get(k) for k in getattr(form, "report_key", []) or [] if k in row},
        "event": event,
    }
    manifest = build_manifest(RETURN, payload, unit=own, unit_name=event["by_name"],
                              clerk=store.clerk)  # fmt: skip
    unit_name = store.units.get(row["_unit"]).name if store.units.get(row["_unit"]) else ""
    cover = [
        (tr("returns.cover.form"), form.title()),
        (tr("returns.cover.unit"), f"{unit_name} {row['_unit']}"),
        (tr("returns.cover.period"), row.get("_period") or ""),
        (tr("returns.cover.by"), f"{event['by_name']} {own}"),
        (tr("returns.cover.at"), now[:19].replace("T", " ") + " UTC"),
        (tr("returns.cover.reason"), event["reason"]),
    ]
    for name, comment in fields.items():
        q = form.question(name)
        value = row.get(name)
        cover.append((q.label(), f"{comment}（{tr('returns.cover.value')}：{value}）"))
    cover.append((tr("returns.cover.how"), tr("returns.cover.how_text")))
    write_parcel(Path(out), manifest, cover, title=tr("returns.cover.title", form=form.title()))
    events = [*history(row.get("_returns")), event]
    with store.db.atomic():
        store.db.execute(
            f"UPDATE {quote(table_name(form_id))} SET _status = 'returned', _returns = ?,"
            " _modified = ? WHERE _uuid = ?",
            [json.dumps(events, ensure_ascii=False), _later(now, row["_modified"]), row["_uuid"]],
        )
        _audit(store, store.clerk, form_id, row["_uuid"], row["_status"], "returned",
               event["reason"], "return")  # fmt: skip
    return ReturnSummary(Path(out), form_id, row["_uuid"], row["_unit"], row.get("_period"),
                         event["reason"], fields, event["id"])  # fmt: skip


@dataclass
class ReturnImport:
    path: Path
    form: str = ""
    uuid: str = ""
    unit: str = ""
    period: str | None = None
    reason: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    applied: bool = False  # False: this return was already here (nothing changed)


def import_return(store, path: str | Path) -> ReturnImport:
    """Apply a return file: the report becomes 退回 with the reason and field comments.
    Raises ``BundleError`` (nothing changed) for a bad, altered or misdirected file."""
    path = Path(path)
    parcel = read_parcel(path, RETURN)
    p = parcel.payload
    loc = Location(file=str(path))
    event = p.get("event")
    if not isinstance(event, dict) or not isinstance(p.get("form"), str) or not event.get("id"):
        raise BundleError("bundle.manifest.broken", location=loc, fix="bundle.fix.resend",
                          key="payload")  # fmt: skip
    own = store.unit_code
    units = store.units
    target = str(p.get("unit") or "")
    if not own or not (target == own or any(u.code == own for u in units.path(target))):
        raise BundleError("returns.not_for_us", location=loc, fix="returns.fix.not_for_us",
                          unit=target, own=own or "")  # fmt: skip
    try:
        form = store.form(p["form"])
    except Exception:
        raise BundleError("returns.unknown_form", location=loc, form=p["form"]) from None
    result = ReturnImport(path, p["form"], "", target, p.get("period"), event.get("reason", ""),
                          dict(event.get("fields") or {}))  # fmt: skip
    row = _row(store, form.form_id, p.get("record") or "")
    if row is None or row.get("_deleted"):
        uuid = _find(store, form, target, p.get("period"), p.get("key") or None)
        row = _row(store, form.form_id, uuid) if uuid else None
    if row is None or row.get("_deleted"):
        raise BundleError("returns.no_local", location=loc, fix="returns.fix.no_local",
                          form=form.title(), unit=target, period=p.get("period") or "")  # fmt: skip
    result.uuid = row["_uuid"]
    events = history(row.get("_returns"))
    if any(e.get("id") == event["id"] for e in events):
        return result
    now = now_iso()
    events.append(event)
    with store.db.atomic():
        store.db.execute(
            f"UPDATE {quote(table_name(form.form_id))} SET _status = 'returned', _returns = ?,"
            " _modified = ? WHERE _uuid = ?",
            [json.dumps(events, ensure_ascii=False),
             _later(now, max(row["_modified"] or "", event.get("at") or "")), row["_uuid"]],
        )  # fmt: skip
        _audit(store, event.get("who") or parcel.manifest.get("unit_name"), form.form_id,
               row["_uuid"], row["_status"], "returned", event.get("reason"), "return")  # fmt: skip
    result.applied = True
    return result


def correct(
    store,
    form_id: str,
    uuid: str,
    values: dict,
    *,
    reason: str | None,
    explanations: dict | None = None,
    finalise: bool = True,
    author: str | None = None,
    version: str | None = None,
) -> str:
    """Save a correction of a record. When it was returned (退回), ``reason`` is required and
    becomes the response recorded in its return history (it travels upward with the record)."""
    row = _row(store, form_id, uuid)
    pending = open_return(row.get("_returns")) if row else None
    if row is not None and row["_status"] == "returned" and not (reason or "").strip():
        raise ValidationError("returns.response_required", fix="returns.fix.response")
    with store.db.atomic():
        store.save(form_id, values, uuid=uuid, status="finalised" if finalise else "draft",
                   reason=reason, explanations=explanations, author=author,
                   version=version or (row or {}).get("_form_version"))  # fmt: skip
        if pending is not None and (reason or "").strip():
            record_response(store, form_id, uuid, (reason or "").strip(), author=author)
    return uuid


def record_response(store, form_id: str, uuid: str, response: str, *, author=None) -> bool:
    """Answer the open return of a record (the clerk's reason for the correction)."""
    row = _row(store, form_id, uuid)
    if row is None:
        return False
    events = history(row.get("_returns"))
    if not events or events[-1].get("response"):
        return False
    at, who = now_iso(), author or store.clerk or ""
    # Every return not yet answered (returned twice before the correction) gets the answer.
    events = [e if e.get("response") else {**e, "response": response, "responded_at": at,
                                             "responded_by": who} for e in events]  # fmt: skip
    store.db.execute(
        f"UPDATE {quote(table_name(form_id))} SET _returns = ? WHERE _uuid = ?",
        [json.dumps(events, ensure_ascii=False), uuid],
    )
    return True
