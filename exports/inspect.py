"""``inspect_bundle``: is this file a valid, untampered bundle, and what is in it?"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exports.model import Inspection
from exports.reader import BundleReader
from i18n.errors import BundleError
from kexie.tasks import NULL_TASK, TaskState


def inspect_bundle(
    path: str | Path, *, task: TaskState = NULL_TASK, today: date | None = None
) -> Inspection:
    """Verify ``path`` completely (gate, manifest, every row, hash). Never raises for a bad
    file: the problems are in ``findings`` and ``valid`` is False."""
    try:
        reader = BundleReader(path, today=today)
        reader.check_forms()
        reader.scan(task=task)
    except BundleError as exc:
        return Inspection(False, None, [], {}, None, [exc.as_problem()], {})
    m = reader.manifest
    return Inspection(
        reader.valid,
        m.get("unit"),
        list(m.get("contains") or []),
        dict(reader.counts),
        reader.sha256,
        reader.findings,
        m,
    )
