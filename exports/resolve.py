"""How versions of one record (or report) are reconciled — ONE rule, used by import and merge.

:func:`reconcile` takes every version of one record that is in play (the copy already held
and the incoming ones on import; every input's copy on merge) and says which one wins and what
each other version is. Import and merge both call it, so a set of versions gives the same
winner whichever path (and whichever order) brings them together:

1. **Whose record it is.** A record belongs to one unit. The held copy's unit owns it (the
   receiving installation's own data); with no held copy, the unit of the earliest-created
   version (then the smallest unit code). A version from another unit is a conflict naming
   both units (``bundle.change.other_unit``) and never supersedes: one county can never
   overwrite (or delete) another's records.
2. Among the owner's versions (live rows and deletions), the latest ``_modified`` wins, times
   compared as instants (``…:00Z`` and ``…:00.000Z`` are the same time); a deletion at least as
   new as a live version removes it.
3. Same content (the canonical digest) → the same version, nothing to report.
4. Different content, same ``_modified`` → a conflict, listed; the version with the smaller
   digest is kept — on import exactly as on merge, so the outcome never depends on which
   bundle came first.

Reports are the same report when form × unit × period (× the form's report key) match, even
under different uuids (a report re-created after a correction): the live winners of those
uuids are reconciled again with the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from exports.model import Change

SAME, OLDER, CONFLICT, FOREIGN = "same", "older", "conflict", "foreign"


@dataclass(frozen=True)
class Version:
    """One version of a record as the rule sees it. ``ref`` is the caller's handle."""

    ref: object
    unit: str | None
    modified: str | None
    digest: bytes
    deleted: bool = False  # a tombstone (or a locally deleted row)
    held: bool = False  # the receiving installation's own copy
    created: str | None = None


@dataclass
class Outcome:
    """The winner and, for every other version, what it is (``same``, ``older``,
    ``conflict`` or ``foreign``)."""

    winner: Version
    others: list[tuple[Version, str]] = field(default_factory=list)


def time_key(text: str | None) -> str:
    """A timestamp as a sortable instant (UTC, microseconds); unparsable text sorts first."""
    if not text:
        return ""
    try:
        t = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return "0" + str(text)  # before every real time (which start with a digit ≥ 1)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def owner(versions: list[Version]) -> str | None:
    """The unit a record belongs to (rule 1 of the module docstring)."""
    held = [v for v in versions if v.held]
    if held:
        return held[0].unit
    first = min(versions, key=lambda v: (time_key(v.created) or "~", v.unit or "", v.digest))
    return first.unit


def reconcile(versions: list[Version]) -> Outcome:
    """The winner among ``versions`` of one record (see the module docstring)."""
    unit = owner(versions)
    mine = [v for v in versions if v.unit == unit]
    # Latest first; at equal times a deletion before a live row, then the smaller digest.
    mine.sort(key=lambda v: (not v.deleted, v.digest))
    mine.sort(key=lambda v: time_key(v.modified), reverse=True)
    winner = mine[0]
    out = Outcome(winner)
    wt = time_key(winner.modified)
    for v in versions:
        if v is winner:
            continue
        if v.unit != unit:
            out.others.append((v, FOREIGN))
        elif v.digest == winner.digest and v.deleted == winner.deleted:
            out.others.append((v, SAME))
        elif time_key(v.modified) == wt and not (winner.deleted or v.deleted):
            out.others.append((v, CONFLICT))
        else:
            out.others.append((v, OLDER))
    return out


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
        new.get("_uuid") or old.get("_uuid") or "",
        new.get("_unit") or old.get("_unit"),
        new.get("_period") or old.get("_period"),
        differences(old, new),
        reason,
    )


REASONS = {CONFLICT: "bundle.change.same_time", FOREIGN: "bundle.change.other_unit"}
REPORT_REASONS = {CONFLICT: "bundle.change.same_report", OLDER: "bundle.change.replaced_report"}


def report_identity(form_id: str, row: dict, key: list[str]) -> tuple | None:
    """The identity of a report row, or None for records that are not reports."""
    if not row.get("_period"):
        return None
    return (form_id, row.get("_unit"), row.get("_period"), *(str(row.get(k)) for k in key))
