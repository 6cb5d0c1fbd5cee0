"""Logs and crash reports, kept in the data folder: the files support asks a clerk to send.

- ``kexie.log`` — the running log of the desktop app: each start (version, build, platform),
  warnings and errors from the ``kexie`` loggers. Rotated at 1 MB, three old files kept.
- ``kexie-error.log`` — the traceback of every unexpected error (window or command), which the
  user is told about in one line or one dialog naming this file.
- ``kexie-crash-<time>-<pid>.log`` — a crash report: where every thread was when the process
  died of a fatal signal (a crash inside Qt or another native library; Python's
  ``faulthandler``). Each window session writes one; a clean exit removes it, so a file that
  stays holds a crash. One left by a killed process (header only) is removed at the next start.

No Qt here: the desktop calls :func:`start` with its data folder, the command line calls
:func:`write_error`.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import logging
import logging.handlers
import os
import platform
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO

from kexie import __version__

LOG_NAME = "kexie.log"
ERROR_LOG = "kexie-error.log"
CRASH_PREFIX = "kexie-crash-"
CRASH_MARK = "Fatal Python error"  # what faulthandler writes first on a crash
LOG_BYTES = 1 << 20
LOG_BACKUPS = 3

logger = logging.getLogger("kexie")
_state: dict[str, object] = {}


def build_description() -> str:
    """One line naming this build: version, frozen or not, Python, OS."""
    kind = "frozen" if getattr(sys, "frozen", False) else "python"
    return (
        f"kexie {__version__} ({kind}; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()} {platform.machine()})"
    )


def crash_reports(folder: Path) -> list[Path]:
    """Crash reports in ``folder`` (files that hold a crash), oldest first."""
    found = []
    for path in sorted(Path(folder).glob(f"{CRASH_PREFIX}*.log")):
        with contextlib.suppress(OSError):
            if CRASH_MARK in path.read_text(encoding="utf-8", errors="replace"):
                found.append(path)
    return found


def start(folder: Path) -> Path | None:
    """Send the ``kexie`` loggers to ``folder/kexie.log`` and crash reports to a file of this
    session in ``folder``. Returns the log file, or None when the folder cannot be written (the
    app still runs; nothing else depends on the log)."""
    folder = Path(folder)
    stop()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_NAME, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    _state["handler"] = handler
    logger.info("start %s, data folder %s", build_description(), folder)
    for old in _tidy_crash_files(folder):
        logger.warning("crash report from an earlier session: %s", old)
    _enable_crash_file(folder)
    return folder / LOG_NAME


def stop() -> None:
    """Undo :func:`start` (at exit, or before starting on another folder)."""
    handler = _state.pop("handler", None)
    if isinstance(handler, logging.Handler):
        logger.removeHandler(handler)
        handler.close()
    crash = _state.pop("crash", None)
    path = _state.pop("crash_path", None)
    if crash is not None:
        with contextlib.suppress(Exception):
            faulthandler.disable()
        with contextlib.suppress(OSError):
            crash.close()  # type: ignore[attr-defined]
    if isinstance(path, Path):
        with contextlib.suppress(OSError):
            if CRASH_MARK not in path.read_text(encoding="utf-8", errors="replace"):
                path.unlink()


def _tidy_crash_files(folder: Path) -> list[Path]:
    """Remove the header-only files of sessions that ended without a crash report (killed);
    return the ones that hold a crash."""
    kept = []
    for path in sorted(folder.glob(f"{CRASH_PREFIX}*.log")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        pid = _pid_of(path)
        if CRASH_MARK in text:
            kept.append(path)
        elif pid is not None and not _alive(pid):
            with contextlib.suppress(OSError):
                path.unlink()
    return kept


def _pid_of(path: Path) -> int | None:
    tail = path.stem.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return False  # a leftover from this pid's session: it is not running any more
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _enable_crash_file(folder: Path) -> None:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"{CRASH_PREFIX}{stamp}-{os.getpid()}.log"
    try:
        fh: IO[str] = path.open("a", encoding="utf-8")
        fh.write(f"--- {datetime.now().isoformat()} {build_description()} pid {os.getpid()}\n")
        fh.flush()
        faulthandler.enable(file=fh, all_threads=True)
    except (OSError, ValueError, RuntimeError):
        return
    _state["crash"] = fh
    _state["crash_path"] = path
    if not _state.get("atexit"):
        atexit.register(stop)
        _state["atexit"] = True


def write_error(folder: Path | None, text: str) -> Path:
    """Append ``text`` (a traceback) to ``folder/kexie-error.log``; the temporary folder when
    ``folder`` is None or cannot be written. Returns the file written."""
    header = f"--- {datetime.now().isoformat()} {build_description()}\n"
    for place in ([Path(folder)] if folder else []) + [Path(tempfile.gettempdir())]:
        try:
            place.mkdir(parents=True, exist_ok=True)
            log = place / ERROR_LOG
            with log.open("a", encoding="utf-8") as fh:
                fh.write(header + text)
            return log
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / ERROR_LOG
