"""Where this installation keeps its data."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "KexieCollect"


def default_data_dir() -> Path:
    """``KEXIE_DATA`` if set, else the user's data folder (e.g. %LOCALAPPDATA%\\KexieCollect)."""
    env = os.environ.get("KEXIE_DATA")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(option: str | os.PathLike[str] | None) -> Path:
    """The data folder for a command: ``--data DIR`` wins over the default."""
    return Path(option).expanduser() if option else default_data_dir()
