"""How two versions of one record (or report) are reconciled — the same rule on import and merge.

Versions are compared by content (their canonical digest) and by ``_modified``:
- same content → unchanged (whatever the times);
- different content, later ``_modified`` → the later one supersedes, the difference is listed;
- different content, same ``_modified`` → a conflict: reported, nothing overwritten.
Reports are the same report when form × unit × period (× the form's report key) match, even
under different uuids (a report re-created after a correction); the same rule applies.
"""

from __future__ import annotations

from exports.model import Change

SAME, NEWER, OLDER, CONFLICT = "same", "newer", "older", "conflict"


def decide(
    old_modified: str | None, old_digest: bytes, new_modified: str | None, new_digest: bytes
) -> str:
    """How the new version relates to the old one (see module docstring)."""
    if old_digest == new_digest:
        return SAME
    a, b = old_modified or "", new_modified or ""
    if b > a:
        return NEWER
    if b < a:
        return OLDER
    return CONFLICT


def differences(old: dict, new: dict, *, ignore: frozenset = frozenset({"_source"})) -> dict:
    """``{field: (old, new)}`` for every carried field whose value differs."""
    out = {}
    for key in sorted(set(old) | set(new)):
        if key in ignore:
            continue
        a, b = old.get(key), new.get(key)
        if a != b:
            out[key] = (a, b)
    return out


def change(form_id: str, old: dict, new: dict, reason: str = "") -> Change:
    return Change(
        form_id,
        new.get("_uuid") or old.get("_uuid"),
        new.get("_unit") or old.get("_unit"),
        new.get("_period") or old.get("_period"),
        differences(old, new),
        reason,
    )


def report_identity(form_id: str, row: dict, key: list[str]) -> tuple | None:
    """The identity of a report row, or None for records that are not reports."""
    if not row.get("_period"):
        return None
    return (form_id, row.get("_unit"), row.get("_period"), *(str(row.get(k)) for k in key))
