"""The record lifecycle, once for every layer: statuses, transitions and what each state means.

Neither Qt nor SQL: storage (``localdb``), bundles (``exports``) and the window (``desktop``)
all ask this module instead of spelling out sets of status strings.

::

    draft ──finalise──▶ finalised ──export──▶ exported
      ▲                   │    ▲                  │
      └──reopen (reason)──┘    └─ re-finalise ─┐  │
    returned ◀──return (reason)── finalised | exported
    nil: a report declared empty (空表上报); saving values into it makes it a draft

- ``draft``: being worked on; may hold errors; never leaves the installation.
- ``finalised``: checked (no errors, every warning explained); goes into the next export.
- ``exported``: a finalised record that has been sent. A local note only: it travels as
  ``finalised`` (:func:`carried`), so exporting again gives the same data hash.
- ``returned``: sent back for correction (a reason is required); it is edited and finalised
  again. It still travels in a bundle, but it does not count as reported.
- ``nil``: "nothing to report" for a unit and period; stays ``nil`` when exported.
"""

from __future__ import annotations

from typing import Final

DRAFT: Final = "draft"
FINALISED: Final = "finalised"
EXPORTED: Final = "exported"
RETURNED: Final = "returned"
NIL: Final = "nil"

STATUSES: Final[tuple[str, ...]] = (DRAFT, FINALISED, EXPORTED, RETURNED, NIL)
"""Every status, in lifecycle order (also the order of the words in a bundle's legend)."""

SAVE_STATUSES: Final = frozenset({DRAFT, FINALISED})
"""What saving values may leave a record as (the others are reached by their own actions)."""

OPEN: Final = frozenset({DRAFT, RETURNED})
"""Being worked on: editable without a reason; a report in these states may be declared nil."""

LOCKED: Final = frozenset({FINALISED, EXPORTED})
"""Finished data: editing the values needs a reason (recorded in the audit trail)."""

READ_ONLY: Final = LOCKED | {NIL}
"""Shown read-only until the user unlocks it (a nil report unlocks without a reason)."""

COMPLETE: Final = LOCKED
"""Finished records with data: what the charts count."""

REPORTED: Final = frozenset({FINALISED, EXPORTED, NIL})
"""Counts as reported for completeness; a returned report is missing until it comes back."""

EXPORTABLE: Final[tuple[str, ...]] = (FINALISED, EXPORTED, RETURNED, NIL)
"""Statuses that leave the installation in a bundle; drafts stay home."""

SENT_BY_EXPORT: Final = frozenset({FINALISED, NIL})
"""Exported records that become "sent" afterwards (:func:`after_export` says what they become)."""

RETURNABLE: Final = frozenset({FINALISED, EXPORTED, NIL, RETURNED})
"""What an upper level may send back for correction (退回; see ``exports.returns``)."""

DATA: Final = "data"
MISSING: Final = "missing"
COMPLETENESS: Final[tuple[str, ...]] = (DATA, NIL, RETURNED, MISSING)
"""A unit × period's state on the board and in 上报情况 (``exports.rollup.Completeness``)."""

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    DRAFT: frozenset({DRAFT, FINALISED}),
    FINALISED: frozenset({FINALISED, DRAFT, EXPORTED, RETURNED}),
    EXPORTED: frozenset({EXPORTED, DRAFT, FINALISED, RETURNED}),
    RETURNED: frozenset({RETURNED, DRAFT, FINALISED}),
    NIL: frozenset({NIL, DRAFT, FINALISED, EXPORTED, RETURNED}),
}
"""status -> the statuses :meth:`Store.set_status` may move it to."""

_REOPEN: Final = frozenset({(FINALISED, DRAFT), (EXPORTED, DRAFT), (EXPORTED, FINALISED)})


def is_status(status: object) -> bool:
    """Whether ``status`` is one of :data:`STATUSES`."""
    return status in TRANSITIONS


def can_move(current: str, new: str) -> bool:
    """Whether a record in ``current`` may be moved to ``new``."""
    return new in TRANSITIONS.get(current, ())


def needs_reason(current: str, new: str) -> bool:
    """Whether moving from ``current`` to ``new`` needs a reason: returning, or reopening."""
    return new == RETURNED or (current, new) in _REOPEN


def edit_needs_reason(status: str | None) -> bool:
    """Whether changing the values of a record in ``status`` needs a reason."""
    return status in LOCKED


def after_export(status: str) -> str:
    """A record's status once it has been exported: finalised → exported; nil stays nil."""
    return EXPORTED if status == FINALISED else status


def carried(status: str) -> str:
    """The status a record travels with in a bundle (``exported`` is a local note)."""
    return FINALISED if status == EXPORTED else status


__all__ = [
    "COMPLETE",
    "DRAFT",
    "EXPORTABLE",
    "EXPORTED",
    "FINALISED",
    "LOCKED",
    "NIL",
    "OPEN",
    "READ_ONLY",
    "REPORTED",
    "RETURNABLE",
    "RETURNED",
    "SAVE_STATUSES",
    "SENT_BY_EXPORT",
    "STATUSES",
    "TRANSITIONS",
    "after_export",
    "can_move",
    "carried",
    "edit_needs_reason",
    "is_status",
    "needs_reason",
]
