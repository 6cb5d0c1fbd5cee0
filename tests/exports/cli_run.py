"""Run the ``kexie`` command in process, as the loop tests do (one data folder per unit)."""

from __future__ import annotations

import json

from kexie.cli import main


def run(capsys, *argv) -> tuple[int, object, str]:
    """Exit code, stdout (parsed as JSON when it is JSON) and stderr of ``kexie ARGV``."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    try:
        data = json.loads(out) if out.strip() else None
    except ValueError:
        data = out
    return code, data, err
