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


class BundleStore(Protocol):
    """The store API that export, import and merge use (see docs/internals.md, Bundles)."""

    @property
    def unit_code(self) -> str | None: ...
    @property
    def clerk(self) -> str | None: ...
    @property
    def units(self) -> Any: ...  # a UnitTree

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
