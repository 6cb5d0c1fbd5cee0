"""File-system faults of bundle jobs as clear, located messages.

Disk full, no permission, a read-only medium: each names the path that failed (the target
folder, the data folder, the file being read) and says what to do, never "unexpected error".
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from i18n.errors import BundleError, Location

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED = {errno.EACCES, errno.EPERM}


def os_fault(exc: OSError, path: str | Path, *, reading: bool = False) -> BundleError:
    """A :class:`BundleError` for an ``OSError`` met at ``path``."""
    where = Location(file=str(path))
    target = str(path)
    if exc.errno in _FULL:
        return BundleError(
            "fault.disk_full", location=where, fix="fault.disk_full.fix", path=target
        )
    if exc.errno == errno.EROFS:
        return BundleError("fault.read_only", location=where, fix="fault.no_permission.fix",
                           path=target)  # fmt: skip
    if exc.errno in _DENIED or isinstance(exc, PermissionError):
        code = "fault.no_read_permission" if reading else "fault.no_permission"
        return BundleError(code, location=where, fix="fault.no_permission.fix", path=target)
    return BundleError("fault.io", location=where, path=target,
                       detail=exc.strerror or str(exc))  # fmt: skip


def sqlite_fault(exc: sqlite3.Error, path: str | Path) -> BundleError:
    """A :class:`BundleError` for a failure of a scratch SQLite file at ``path``."""
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == 13 or "disk is full" in text or "disk full" in text:
        return os_fault(OSError(errno.ENOSPC, "disk full"), path)
    if code == 8 or "readonly" in text or "read-only" in text:
        return os_fault(OSError(errno.EROFS, "read-only"), path)
    if code == 14 or "unable to open" in text:
        return os_fault(OSError(errno.EACCES, "cannot open"), path)
    return BundleError("fault.io", location=Location(file=str(path)), path=str(path),
                       detail=str(exc))  # fmt: skip
