"""The canonical form of bundle data and its SHA-256.

A row's canonical text is ``<table>\\n`` + its JSON object of non-empty values with sorted keys
(UTF-8, no spaces, ``_source`` and display-only ``~`` columns left out). Each row has a SHA-256
digest; the bundle's ``sha256`` is the SHA-256 of the sorted, concatenated row digests. Sorting
makes it independent of row order, sheet order, file timestamps and merge order; using only the
data makes it independent of who wrote the file and when.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_dumps_ordered = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical_json(row: dict) -> str:
    """Canonical JSON of a row dict that already holds only carried, non-empty values."""
    return _dumps(row)


def canonical_json_ordered(row: dict) -> str:
    """:func:`canonical_json` of a row dict whose keys are already in sorted order (as the
    bundle reader builds them): the same text without sorting."""
    return _dumps_ordered(row)


def row_digest(table: str, row_json: str) -> bytes:
    """The 32-byte digest of one row of ``table``."""
    return hashlib.sha256(f"{table}\n{row_json}".encode()).digest()


def combine(digests: Iterable[bytes]) -> str:
    """The bundle hash over row digests (any order in, one answer out)."""
    h = hashlib.sha256()
    for d in sorted(digests):
        h.update(d)
    return h.hexdigest()


def combine_sorted(digests: Iterable[bytes]) -> str:
    """Like :func:`combine` for digests already in ascending order (e.g. from SQL)."""
    h = hashlib.sha256()
    for d in digests:
        h.update(d)
    return h.hexdigest()


def manifest_digest(manifest: dict) -> str:
    """SHA-256 of the manifest itself (without its ``manifest_sha256`` key)."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(_dumps(body).encode()).hexdigest()
