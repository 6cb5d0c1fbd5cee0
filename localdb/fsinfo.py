"""Where a data folder lives: SQLite's WAL mode must not be used on a network file system.

SQLite's documentation is explicit: WAL needs every process on the same host (shared memory),
and network file systems get locking wrong, which corrupts databases. A data folder on a network
share is therefore refused with a clear message.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

NETWORK_FS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smbfs",
        "smb3",
        "afs",
        "ncpfs",
        "fuse.sshfs",
        "davfs",
        "fuse.davfs2",
        "glusterfs",
        "fuse.glusterfs",
        "ceph",
        "fuse.ceph",
        "lustre",
        "gpfs",
    }
)

_OCTAL = re.compile(r"\\([0-7]{3})")


def is_network_path(path: Path) -> bool:
    """Whether ``path`` is on a network share (best effort; False when unsure)."""
    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows
        text = str(resolved)
        if text.startswith("\\\\"):
            return True
        drive = os.path.splitdrive(text)[0]
        if not drive:
            return False
        import ctypes

        return ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4  # DRIVE_REMOTE
    mounts = Path("/proc/mounts")
    try:
        text = mounts.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return network_in_mounts(text, resolved)


def network_in_mounts(mounts: str, path: Path) -> bool:
    """Whether ``path`` lies on a network file system according to a ``/proc/mounts`` text."""
    best, best_type = "", ""
    target = path.as_posix()
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), parts[1])  # "\\040" is a space
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, parts[2]
    return best_type in NETWORK_FS
