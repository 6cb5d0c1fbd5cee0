"""One writer per data folder: an OS file lock that dies with its process.

The lock is an advisory lock on ``kexie.lock`` in the data folder (``fcntl.flock`` on POSIX,
``msvcrt.locking`` on Windows). The operating system releases it when the process ends, even
when it is killed, so a crash never leaves a stale lock behind. The file also holds the owner's
pid, so a refused second instance can say who has the folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from pathlib import Path

from i18n.errors import Location, StorageError

LOCK_NAME = "kexie.lock"
# Windows locks a byte range; lock one byte well past the pid text so the pid stays readable.
_WIN_OFFSET = 1024


class FolderLock:
    """An exclusive lock on a data folder. Use :meth:`acquire` / :meth:`release`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds; :class:`StorageError` if it is held."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as exc:
            raise storage_error_from_os(exc, self.folder) from exc
        deadline = time.monotonic() + wait
        while True:
            try:
                _lock(fd)
                break
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN, errno.EDEADLK) and not isinstance(
                    exc, BlockingIOError | PermissionError
                ):
                    os.close(fd)
                    raise storage_error_from_os(exc, self.folder) from exc
                if time.monotonic() >= deadline:
                    owner = _read_pid(fd)
                    os.close(fd)
                    raise StorageError(
                        "db.locked",
                        location=Location(file=str(self.folder)),
                        fix="db.locked.fix",
                        folder=str(self.folder),
                        pid=owner or "?",
                    ) from None
                time.sleep(0.05)
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid():<20}\n".encode())
            os.fsync(fd)
        except OSError:
            pass  # the pid is only informative
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return ""


if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def storage_error_from_os(exc: OSError, path: Path) -> StorageError:
    """A clear :class:`StorageError` for a failed file operation (read-only, full, missing)."""
    where = Location(file=str(path))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError("db.readonly", location=where, fix="db.readonly.fix", path=str(path))
    if exc.errno == errno.ENOSPC:
        return StorageError("db.disk_full", location=where, fix="db.disk_full.fix", path=str(path))
    return StorageError(
        "db.io_error", location=where, path=str(path), detail=exc.strerror or str(exc)
    )
