"""Local storage of one installation: org units, records and reports, audit trail, backups.

See docs/internals.md (Storage) for the API. Importing this package is cheap; the division tree
loads on first use.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localdb.store import Store

__all__ = ["Store", "open_store", "restore"]


def _import_sqlite_utils_without_pandas() -> None:
    """Import sqlite-utils without its optional pandas/numpy support.

    sqlite-utils imports pandas and numpy when they are installed, only to convert their types
    on insert. We never pass such objects, and the import costs about 0.4 s at every start-up.
    If either is already loaded (the benchmarks), nothing changes.
    """
    if "sqlite_utils" in sys.modules:
        return
    blocked = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes the import fail fast
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


_import_sqlite_utils_without_pandas()


def open_store(data_dir, *, create: bool = True, wait: float = 0.0) -> Store:
    """Open the data folder's database (see :func:`localdb.store.open_store`)."""
    from localdb.store import open_store as _open

    return _open(data_dir, create=create, wait=wait)


def restore(data_dir, backup_path):
    """Replace the database with a backup (see :func:`localdb.store.restore`)."""
    from localdb.store import restore as _restore

    return _restore(data_dir, backup_path)


def __getattr__(name: str):
    if name == "Store":
        from localdb.store import Store

        return Store
    raise AttributeError(name)
