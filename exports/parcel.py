"""Files that travel down the tree like bundles travel up: returns (退回), form packages
(下发表单) and fill-in templates (填报模板).

Each is one ``.xlsx`` workbook a person can read (a cover sheet in the reader's language) with a
hidden ``_manifest`` sheet exactly like a bundle's (key in column A, JSON value in B, C, …):
``format`` names the kind (``kexie-return``, ``kexie-forms``, ``kexie-template``),
``format_version``, sender ``unit``/``unit_name``, ``created``, ``created_by``, ``app_version``,
``payload`` (the kind's content as JSON), ``sha256`` (SHA-256 of the canonical JSON of the
payload) and ``manifest_sha256`` (of all other keys). A file is read through the same gate as a
bundle (``exports.safety``) and refused with a located message when it is damaged or altered.

:func:`sniff` tells ``kexie import`` which kind a file is.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from exports.canonical import canonical_json, manifest_digest
from exports.format import FORMAT_NAME, MANIFEST_CHUNK, MANIFEST_SHEET
from i18n.errors import BundleError, Location

RETURN = "kexie-return"
FORMS = "kexie-forms"
TEMPLATE = "kexie-template"
KINDS = (RETURN, FORMS, TEMPLATE)
PARCEL_VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payload_digest(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def build_manifest(kind: str, payload: dict, *, unit: str, unit_name: str, clerk) -> dict:
    from kexie import __version__

    manifest = {
        "format": kind,
        "format_version": PARCEL_VERSION,
        "app_version": __version__,
        "created": now_iso(),
        "created_by": clerk or "",
        "unit": unit,
        "unit_name": unit_name,
        "payload": payload,
        "sha256": payload_digest(payload),
    }
    manifest["manifest_sha256"] = manifest_digest(manifest)
    return manifest


def manifest_rows(manifest: dict) -> list[list[str]]:
    rows = []
    for key, value in manifest.items():
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        chunks = [text[i : i + MANIFEST_CHUNK] for i in range(0, len(text), MANIFEST_CHUNK)]
        rows.append([key, *chunks])
    return rows


def write_manifest_sheet(wb, manifest: dict) -> None:
    """Add the hidden ``_manifest`` sheet to an xlsxwriter workbook (values as text)."""
    ws = wb.add_worksheet(MANIFEST_SHEET)
    for r, row in enumerate(manifest_rows(manifest)):
        for c, text in enumerate(row):
            ws.write_string(r, c, text)
    ws.hide()


def atomic_write(out: Path, build) -> None:
    """Call ``build(tmp_path)`` and move the result into place; nothing half-written."""
    out = Path(out)
    if out.is_dir():
        raise BundleError("parcel.out_is_dir", location=Location(file=str(out)))
    if not out.parent.is_dir():
        raise BundleError("parcel.no_folder", location=Location(file=str(out)))
    fd, tmp = tempfile.mkstemp(prefix=".kexie-", suffix=".xlsx", dir=out.parent)
    os.close(fd)
    try:
        build(Path(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parcel(
    out: Path, manifest: dict, cover: list[tuple[str, str]], *, title: str, extra=None
) -> None:
    """A parcel workbook: a cover sheet of label/value rows, then ``extra(wb)`` sheets, then
    the hidden manifest."""
    import xlsxwriter

    from i18n import tr

    def build(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        bold = wb.add_format({"bold": True})
        head = wb.add_format({"bold": True, "font_size": 14})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        ws = wb.add_worksheet(tr("parcel.sheet.cover"))
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 70)
        ws.write_string(0, 0, title, head)
        for r, (label, value) in enumerate(cover, start=2):
            ws.write_string(r, 0, label, bold)
            ws.write_string(r, 1, str(value or ""), wrap)
        ws.set_landscape()
        ws.set_paper(9)
        ws.protect()
        if extra is not None:
            extra(wb)
        write_manifest_sheet(wb, manifest)
        wb.close()

    atomic_write(out, build)


@dataclass
class Parcel:
    path: Path
    kind: str
    manifest: dict

    @property
    def payload(self) -> dict:
        return self.manifest["payload"]

    @property
    def unit(self) -> str:
        return self.manifest["unit"]


def _read_manifest_rows(path: Path) -> dict | None:
    """The manifest as key → JSON value, or None when the workbook has none."""
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine's errors are many; all mean "broken file"
        raise BundleError(
            "bundle.file.truncated", location=Location(file=str(path)), fix="bundle.fix.resend"
        ) from None
    if MANIFEST_SHEET not in wb.sheet_names:
        return None
    try:
        rows = wb.get_sheet_by_name(MANIFEST_SHEET).to_python()
    except Exception:
        rows = []
    manifest: dict = {}
    for row in rows:
        if not row or not isinstance(row[0], str) or not row[0]:
            continue
        text = "".join(c for c in row[1:] if isinstance(c, str))
        try:
            manifest[row[0]] = json.loads(text)
        except ValueError:
            raise BundleError(
                "bundle.manifest.broken",
                location=Location(file=str(path), sheet=MANIFEST_SHEET),
                fix="bundle.fix.resend",
                key=row[0],
            ) from None
    return manifest


def sniff(path: str | Path) -> str | None:
    """Which kind of file ``path`` is: ``kexie-bundle``, one of :data:`KINDS`, or None (not
    one of ours). Runs the gate first; raises ``BundleError`` for a damaged or hostile file."""
    from exports.safety import check_zip

    path = Path(path)
    check_zip(path)
    manifest = _read_manifest_rows(path)
    if manifest is None:
        return None
    kind = manifest.get("format")
    return kind if kind in (FORMAT_NAME, *KINDS) else None


def read_parcel(path: str | Path, kind: str) -> Parcel:
    """Read and verify a parcel of ``kind``; ``BundleError`` (located, with a fix) if it is not
    one, is from a newer program, or was altered."""
    from exports.safety import check_zip

    path = Path(path)
    loc = Location(file=str(path), sheet=MANIFEST_SHEET)
    check_zip(path)
    manifest = _read_manifest_rows(path)
    if manifest is None or manifest.get("format") != kind:
        raise BundleError(
            "parcel.not_kind",
            location=Location(file=str(path)),
            fix="parcel.fix.not_kind",
            kind=kind,
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > PARCEL_VERSION:
        raise BundleError("bundle.manifest.newer", location=loc, fix="bundle.fix.update_app",
                          version=str(version))  # fmt: skip
    for key, typ in (("unit", str), ("payload", dict), ("sha256", str)):
        if not isinstance(manifest.get(key), typ):
            raise BundleError(
                "bundle.manifest.broken", location=loc, fix="bundle.fix.resend", key=key
            )
    if manifest.get("manifest_sha256") != manifest_digest(manifest):
        raise BundleError("bundle.check.manifest_tampered", location=loc, fix="bundle.fix.resend")
    if manifest["sha256"] != payload_digest(manifest["payload"]):
        raise BundleError("bundle.check.hash", location=loc, fix="bundle.fix.resend")
    return Parcel(path, kind, manifest)
