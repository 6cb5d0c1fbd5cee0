"""What the bundle functions need from a store: :class:`BundleStore`.

``export_bundle``, ``import_bundle`` and ``merge_bundles`` take any object with these members;
:class:`localdb.store.Store` is the one implementation (``tests/exports/test_store_protocol.py``
checks that it conforms, signature by signature). The other exports modules (returns, form
packages, templates, paper forms, analysis) work on the full ``localdb.store.Store``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from forms.model import Form
    from localdb.records import UpsertResult


class UnitTree(Protocol):
    """The division tree with local changes (``store.units``) as bundles read it."""

    def get(self, code: str) -> Any: ...
    def path(self, code: str) -> list[Any]: ...
    def children(self, code: str | None) -> list[Any]: ...


class BundleJournal(Protocol):
    """What bundles use of ``store.journal`` (:class:`localdb.journal.Journal`)."""

    def record_transfer(
        self,
        kind: str,
        file: str | Path,
        *,
        outcome: str,
        reasons: Iterable = (),
        file_digest: str | None = None,
        bundle_sha256: str | None = None,
        unit: str | None = None,
        details: dict | None = None,
    ) -> int: ...
    def remember_folder(self, folder: str | Path) -> None: ...
    def begin_export(
        self,
        file: str | Path,
        sent: dict[str, list[str]],
        *,
        file_digest: str | None,
        bundle_sha256: str | None = None,
    ) -> tuple[int, int]: ...
    def end_export(self, export_id: int) -> None: ...
    def undo_export(self, export_id: int, *, why: str = "export not completed") -> int: ...


class FormVersions(Protocol):
    """What bundles use of ``store.registry`` (:class:`localdb.formsreg.FormRegistry`)."""

    def versions(self, form_id: str) -> list[str]: ...


class BundleStore(Protocol):
    """The store API that export, import and merge use (see docs/internals.md, Bundles)."""

    @property
    def unit_code(self) -> str | None: ...
    @property
    def clerk(self) -> str | None: ...
    @property
    def units(self) -> Any: ...  # a UnitTree
    @property
    def journal(self) -> BundleJournal: ...
    @property
    def registry(self) -> FormVersions: ...

    def forms(self) -> list[Form]: ...
    def form(self, form_id: str, version: str | None = None) -> Form: ...
    def register_form(
        self, form: Form, *, builtin: bool = False, data: bytes | None = None
    ) -> Form: ...
    def iter_rows(self, form_id: str, repeat: str | None = None) -> Iterator[dict]: ...
    def upsert_rows(
        self,
        form_id: str,
        rows: Iterable[dict],
        repeat_rows: dict[str, list[dict]] | None = None,
        *,
        source: str,
    ) -> UpsertResult: ...
    def mark_exported(
        self,
        form_id: str,
        uuids: Iterable[str],
        *,
        reason: str | None = None,
        author: str | None = None,
    ) -> int: ...
    def backup(self, reason: str = "manual", *, keep: int | None = None) -> Path: ...
    def transaction(self) -> AbstractContextManager[Any]: ...


BUNDLE_STORE_MEMBERS = [
    "unit_code",
    "clerk",
    "units",
    "journal",
    "registry",
    "forms",
    "form",
    "register_form",
    "iter_rows",
    "upsert_rows",
    "mark_exported",
    "backup",
    "transaction",
]
"""The members of :class:`BundleStore`, for conformance checks."""

BUNDLE_JOURNAL_MEMBERS = [
    "record_transfer",
    "remember_folder",
    "begin_export",
    "end_export",
    "undo_export",
]
"""The members of :class:`BundleJournal`, for conformance checks."""
