"""Temporary files of a long job (export, merge) that a killed job cannot leave for good.

A job's scratch files live next to its output, named ``.kexie-<kind>-<token>.<suffix>``. The
job first creates ``.kexie-<kind>-<token>.lock`` and holds an OS lock on it (``flock`` on
POSIX, ``msvcrt.locking`` on Windows) until it has removed its files; the operating system
releases the lock when the process dies, even by SIGKILL. :func:`sweep`, run by every job
before it starts in a folder, removes every ``.kexie-*`` file whose lock is not held: the
leftovers of a killed run. Files of a job still running elsewhere are never touched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from pathlib import Path

PREFIX = ".kexie-"
LOCK_SUFFIX = ".lock"
# A lock file is created, then locked, then given the owner's pid: an unlocked, empty one
# younger than this may be a job between the first two steps.
STARTING_GRACE = 5.0
_WIN_OFFSET = 1024


def _stem(name: str) -> str | None:
    """``.kexie-merge-ab12.staging.sqlite`` → ``.kexie-merge-ab12``."""
    if not name.startswith(PREFIX):
        return None
    return "." + name[1:].split(".", 1)[0]


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


def _abandoned(lock: Path) -> bool:
    """Whether the job that made ``lock`` is gone (its lock is free)."""
    try:
        fd = os.open(lock, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: leave it
    try:
        if not _try_lock(fd):
            return False
        try:
            st = os.fstat(fd)
            # an empty lock file younger than the grace is a job that is just starting
            return st.st_size > 0 or time.time() - st.st_mtime >= STARTING_GRACE
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def sweep(folder: str | Path) -> list[Path]:
    """Remove the leftovers of killed jobs in ``folder``; returns what was removed."""
    folder = Path(folder)
    groups: dict[str, list[Path]] = {}
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for p in entries:
        stem = _stem(p.name)
        if stem is not None and p.is_file():
            groups.setdefault(stem, []).append(p)
    removed: list[Path] = []
    for stem, files in groups.items():
        lock = folder / (stem + LOCK_SUFFIX)
        if lock.exists() and not _abandoned(lock):
            continue
        # the lock file goes last: until then the group stays recognisable
        for p in sorted(files, key=lambda f: f == lock):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


class JobFiles:
    """The scratch files of one job in ``folder`` (see the module docstring). Raises
    ``OSError`` if the folder cannot be written; :meth:`close` removes everything."""

    def __init__(self, folder: str | Path, kind: str) -> None:
        self.folder = Path(folder)
        sweep(self.folder)
        self.stem = f"{PREFIX}{kind}-{secrets.token_hex(6)}"
        self.lock_path = self.folder / (self.stem + LOCK_SUFFIX)
        fd = os.open(
            self.lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644
        )
        # A fresh file is locked by nobody else; a filesystem without locks (some network
        # shares) refuses: the job still runs, and a sweeper there cannot tell, so keeps it.
        _try_lock(fd)
        self._fd: int | None = fd
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            self.close()
            raise
        self._n = 0

    def path(self, suffix: str) -> Path:
        """A new scratch file name (not created) ending in ``suffix``."""
        self._n += 1
        return self.folder / f"{self.stem}.{self._n}.{suffix}"

    def close(self) -> None:
        """Remove every file of this job, then the lock (idempotent)."""
        if self._fd is None:
            return
        for p in self.folder.glob(self.stem + ".*"):
            if p != self.lock_path:
                with contextlib.suppress(OSError):
                    p.unlink()
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            self.lock_path.unlink()  # before unlocking: a sweeper never sees it free
        _unlock(fd)
        os.close(fd)
        with contextlib.suppress(OSError):
            self.lock_path.unlink()  # Windows: only possible once closed

    def __enter__(self) -> JobFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
