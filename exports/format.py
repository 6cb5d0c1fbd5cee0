"""Constants of the bundle format (see docs/bundle-format.md). Bump FORMAT_VERSION on any
change a reader of the previous version would misread."""

from __future__ import annotations

from kexie.lifecycle import EXPORTABLE

FORMAT_NAME = "kexie-bundle"
FORMAT_VERSION = 1

# Machine sheets (hidden). Names start with "_" so no human sheet can collide with them.
MANIFEST_SHEET = "_manifest"
FORMS_SHEET = "_forms"
TOMBSTONE_TABLE = "_tombstones"

# Column kinds on the machine side: how a cell is converted back to Python when read.
INT, FLOAT, TEXT = "int", "float", "text"

# System columns carried with every main table, in sheet order (docs/internals.md).
SYSTEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_uuid", TEXT),
    ("_unit", TEXT),
    ("_period", TEXT),
    ("_status", TEXT),
    ("_form_version", TEXT),
    ("_created", TEXT),
    ("_modified", TEXT),
    ("_author", TEXT),
    ("_explanations", TEXT),
    ("_returns", TEXT),
)
REPEAT_SYSTEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_uuid", TEXT),
    ("_parent_uuid", TEXT),
    ("_index", INT),
)
TOMBSTONE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_form", TEXT),
    ("_uuid", TEXT),
    ("_unit", TEXT),
    ("_period", TEXT),
    ("_status", TEXT),
    ("_form_version", TEXT),
    ("_created", TEXT),
    ("_modified", TEXT),
    ("_author", TEXT),
)
# Local provenance, never carried (it would make the data hash depend on the merge path).
LOCAL_ONLY_COLUMNS = frozenset({"_source", "_deleted"})
# Statuses that leave the installation; drafts stay home.
EXPORTED_STATUSES = EXPORTABLE

# Excel's limits and our budgets for untrusted files.
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
MAX_CELL_CHARS = 32_767
MAX_ZIP_ENTRIES = 2_000
MAX_TOTAL_UNCOMPRESSED = 4 * 1024**3
MAX_RATIO = 200
MAX_DENSE_CELLS = 60_000_000  # rows × columns of one sheet as calamine holds it
SPARSE_FLOOR = 1_000_000  # above this, a sheet's extent must match its rows and header
MANIFEST_CHUNK = 30_000  # characters of JSON per manifest cell
