"""The gate every bundle file passes before any parser sees it.

Checks, in order, each failing with a located :class:`BundleError` that says what to do:
the file exists and is a regular file; its first bytes (zip, OLE2 = encrypted workbook or legacy
.xls, anything else); the zip's central directory (readable, entry count, odd or duplicate names,
declared sizes and compression ratio against budgets); then every XML entry is inflated as a
stream (never more than its declared size) and scanned for a DOCTYPE (entity bombs, external
entities) and, in worksheets, for formula cells. calamine itself refuses DTD entities, but we do
not rely on that.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from exports.format import (
    MAX_COLS,
    MAX_DENSE_CELLS,
    MAX_RATIO,
    MAX_ROWS,
    MAX_TOTAL_UNCOMPRESSED,
    MAX_ZIP_ENTRIES,
    SPARSE_FLOOR,
)
from i18n.errors import BundleError, Location

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SCAN_CHUNK = 1 << 20
_SMALL = 1 << 16  # below this a high compression ratio cannot hurt


@dataclass
class SheetInfo:
    """One sheet as ``xl/workbook.xml`` lists it."""

    name: str
    part: str | None  # e.g. "xl/worksheets/sheet2.xml"
    state: str = "visible"  # visible | hidden | veryHidden


@dataclass
class GateResult:
    """What the gate learnt: the zip's entries, the sheets, the worksheets holding formula
    cells, error cells (``#DIV/0!`` ...; calamine reads them as empty) and macro parts."""

    entries: list[str] = field(default_factory=list)
    formula_parts: list[str] = field(default_factory=list)
    formula_cells: dict[str, str] = field(default_factory=dict)  # part -> first formula cell
    dims: dict[str, tuple[int, int]] = field(default_factory=dict)  # part -> (rows, columns)
    error_cells: dict[str, list[str]] = field(default_factory=dict)  # part -> cell refs
    sheets: list[SheetInfo] = field(default_factory=list)
    macro_parts: list[str] = field(default_factory=list)

    def sheet_of(self, part: str) -> str | None:
        return next((s.name for s in self.sheets if s.part == part), None)

    def part_of(self, sheet: str) -> str | None:
        return next((s.part for s in self.sheets if s.name == sheet), None)


_ROW_REF = re.compile(rb"<row r=\"(\d{1,9})\"")
_CONTROL_TABLE = bytes(0 if (b < 32 and b not in (9, 10, 13)) else 1 for b in range(256))
_CELL_COL = re.compile(rb"<c r=\"([A-Z]{1,5})")
_FIRST_ROW = re.compile(rb'<row r="1"[^>]*>(.*?)</row>', re.S)
_FAR_ROW = re.compile(rb"<c r=\"[A-Z]{1,5}(\d{6,9})")
# Character references: &#1; is as forbidden as the raw byte (XML 1.0 "Char").
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_ERROR_CELL = re.compile(rb'<c\b[^>]*?\bt="e"[^>]*>')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')
MAX_ERROR_CELLS = 50
# Excel's rules for sheet names (a workbook breaking them does not open in Excel).
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MACRO_PREFIXES = ("xl/vbaproject", "xl/macrosheets/", "xl/activex/", "xl/embeddings/",
                   "xl/dialogsheets/")  # fmt: skip
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAX_WORKBOOK_XML = 16 << 20


def _allowed_char(n: int) -> bool:
    return (
        n in (9, 10, 13) or 0x20 <= n <= 0xD7FF or 0xE000 <= n <= 0xFFFD or 0x10000 <= n <= 0x10FFFF
    )


def bad_sheet_name(name: str, seen: set[str]) -> bool:
    """Whether Excel refuses ``name``: empty, over 31 characters, one of ``[]:*?/\\``,
    an apostrophe at either end, the reserved "History", or a duplicate ignoring case."""
    return (
        not name
        or len(name) > 31
        or _SHEET_FORBIDDEN.search(name) is not None
        or name.startswith("'")
        or name.endswith("'")
        or name.lower() == "history"
        or name.lower() in seen
    )


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _fail(path: Path, code: str, fix: str, /, **params: Any) -> BundleError:
    return BundleError(code, location=Location(file=str(path)), fix=fix, **params)


def sniff(path: Path) -> None:
    """Refuse anything that is not a readable zip before opening it as one."""
    try:
        _sniff(path)
    except OSError as exc:  # no permission to read, I/O error: say so, naming the file
        from exports.faults import os_fault

        raise os_fault(exc, path, reading=True) from None


def _sniff(path: Path) -> None:
    if not path.exists():
        raise _fail(path, "bundle.file.missing", "bundle.fix.choose_file", path=str(path))
    if not path.is_file():
        raise _fail(path, "bundle.file.not_file", "bundle.fix.choose_file", path=str(path))
    with path.open("rb") as fh:
        head = fh.read(8)
        if head.startswith(OLE_MAGIC):
            fh.seek(0)
            # An encrypted .xlsx is an OLE compound file holding an "EncryptedPackage" stream;
            # stream names are UTF-16 in the directory sectors, so a bounded scan finds it.
            blob = fh.read(8 * 1024 * 1024)
            if "EncryptedPackage".encode("utf-16-le") in blob:
                raise _fail(path, "bundle.file.encrypted", "bundle.fix.decrypt")
            raise _fail(path, "bundle.file.legacy_xls", "bundle.fix.save_xlsx")
    if not head:
        raise _fail(path, "bundle.file.empty", "bundle.fix.resend")
    if not head.startswith(ZIP_MAGIC):
        raise _fail(path, "bundle.file.not_xlsx", "bundle.fix.choose_file")


def check_zip(path: Path) -> GateResult:
    """Sniff, then check the zip's directory and stream-scan its XML. Returns what it found."""
    sniff(path)
    return _check(path, path)


def check_zip_bytes(data: bytes, label: Path) -> GateResult:
    """The same gate for a workbook held in memory (a form definition embedded in a bundle);
    ``label`` names it in messages."""
    if not data.startswith(ZIP_MAGIC):
        raise _fail(label, "bundle.file.not_xlsx", "bundle.fix.resend")
    return _check(io.BytesIO(data), label)


def _check(source, path: Path) -> GateResult:
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise _fail(path, "bundle.file.truncated", "bundle.fix.resend") from None
    result = GateResult()
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _fail(path, "bundle.zip.too_many", "bundle.fix.resend", count=len(infos))
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            low = name.lower()
            if low in seen or name.startswith(("/", "\\")) or ".." in name.split("/"):
                raise _fail(path, "bundle.zip.bad_name", "bundle.fix.resend", name=name)
            seen.add(low)
            if info.flag_bits & 0x1:
                raise _fail(path, "bundle.file.encrypted", "bundle.fix.decrypt")
            total += info.file_size
            if total > MAX_TOTAL_UNCOMPRESSED or (
                info.file_size > _SMALL and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise _fail(path, "bundle.zip.bomb", "bundle.fix.resend", name=name)
            result.entries.append(name)
        if "xl/workbook.xml" not in seen:
            raise _fail(path, "bundle.file.not_xlsx", "bundle.fix.choose_file")
        # the workbook and its relationships first (scanned, then parsed): the sheets' names
        # are then known for every message about a sheet part
        first = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
        for group in ([i for i in infos if i.filename in first],
                      [i for i in infos if i.filename not in first]):  # fmt: skip
            for info in group:
                if info.filename.lower().startswith(_MACRO_PREFIXES):
                    result.macro_parts.append(info.filename)
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _scan(zf, info, path, result)
            if not result.sheets:
                result.sheets = _sheets(zf, path)
    return result


def _sheets(zf: zipfile.ZipFile, path: Path) -> list[SheetInfo]:
    """The sheets of ``xl/workbook.xml`` with their parts (already scanned: no DTD), each name
    checked against Excel's rules (``bundle.xml.bad_sheet_name``)."""

    def parse(name: str):
        try:
            info = zf.getinfo(name)
        except KeyError:
            return None
        if info.file_size > MAX_WORKBOOK_XML:
            raise _fail(path, "bundle.zip.bomb", "bundle.fix.resend", name=name)
        try:
            return ElementTree.fromstring(zf.read(info))
        except (ElementTree.ParseError, zipfile.BadZipFile, zlib.error, OSError, ValueError) as exc:
            raise _fail(path, "bundle.xml.unreadable", "bundle.fix.resend", name=name,
                        reason=str(exc)) from None  # fmt: skip

    book = parse("xl/workbook.xml")
    rels = parse("xl/_rels/workbook.xml.rels")
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels.iter(f"{_NS_PKG}Relationship"):
            target = rel.get("Target") or ""
            full = (
                target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            )
            targets[rel.get("Id") or ""] = full
    out: list[SheetInfo] = []
    seen: set[str] = set()
    for el in book.iter(f"{_NS_MAIN}sheet"):
        name = el.get("name") or ""
        if bad_sheet_name(name, seen):
            raise _fail(path, "bundle.xml.bad_sheet_name", "bundle.fix.resend", name=name)
        seen.add(name.lower())
        out.append(SheetInfo(name, targets.get(el.get(f"{_NS_REL}id") or ""),
                             el.get("state") or "visible"))  # fmt: skip
    return out


def _scan(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, result: GateResult) -> None:
    is_sheet = info.filename.startswith("xl/worksheets/")
    scan_formula = is_sheet
    bounds = (
        _SheetBounds(path, result.sheet_of(info.filename) or info.filename) if is_sheet else None
    )
    tail = b""
    read = 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(SCAN_CHUNK)
                if not chunk:
                    break
                read += len(chunk)
                if read > info.file_size:  # zipfile stops at the declared size; belt and braces
                    raise _fail(path, "bundle.zip.bomb", "bundle.fix.resend", name=info.filename)
                window = tail + chunk
                if b"<!" in window and (b"<!DOCTYPE" in window or b"<!ENTITY" in window):
                    raise _fail(path, "bundle.xml.doctype", "bundle.fix.resend", name=info.filename)
                if b"\0" in chunk.translate(_CONTROL_TABLE) or (  # XML 1.0 forbids them
                    b"&#" in window and _bad_char_ref(window)
                ):
                    raise _fail(
                        path, "bundle.xml.control_chars", "bundle.fix.resend", name=info.filename
                    )
                if is_sheet and b't="e"' in window:
                    _error_cells(window, info.filename, result)
                if (
                    scan_formula
                    and b"<f" in window
                    and (b"<f>" in window or b"<f " in window or b"<f/>" in window)
                ):
                    result.formula_parts.append(info.filename)
                    ref = _formula_cell(window)
                    if ref:
                        result.formula_cells[info.filename] = ref
                    scan_formula = False
                if bounds is not None:
                    bounds.feed(chunk, window)
                tail = chunk[-32:]
        if bounds is not None:
            bounds.finish()
            result.dims[info.filename] = (bounds.max_row, bounds.max_col)
    except BundleError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError):
        raise _fail(path, "bundle.file.truncated", "bundle.fix.resend") from None


def _bad_char_ref(window: bytes) -> bool:
    for hexa, dec in _CHAR_REF.findall(window):
        n = int(hexa, 16) if hexa else int(dec)
        if not _allowed_char(n):
            return True
    return False


def _formula_cell(window: bytes) -> str | None:
    """The reference (D2) of the first formula cell in ``window``, when its tag is there."""
    m = re.search(rb"<f[ >/]", window)
    start = window.rfind(b"<c ", 0, m.start()) if m else -1
    ref = _CELL_REF.search(window, start) if start >= 0 else None
    return ref.group(1).decode() if ref and ref.start() < m.start() else None  # type: ignore[union-attr]


def _error_cells(window: bytes, part: str, result: GateResult) -> None:
    refs = result.error_cells.setdefault(part, [])
    for m in _ERROR_CELL.finditer(window):
        ref = _CELL_REF.search(m.group(0))
        name = ref.group(1).decode() if ref else "?"
        if name not in refs and len(refs) < MAX_ERROR_CELLS:
            refs.append(name)


class _SheetBounds:
    """Bounds a sheet by its cell references, never by <dimension>: calamine allocates the dense
    rectangle, so a stray far cell must be refused before it is read. Rows are also counted, for
    files that leave out the references. Fast path: the header row gives the width, and one
    search per chunk looks for any cell to the right of it or beyond row 999,999; only then are
    all references read."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.max_row = self.max_col = self.rows = self.header_cols = 0
        self.first = True
        self.fast: re.Pattern | None = None

    def feed(self, chunk: bytes, window: bytes) -> None:
        self.rows += chunk.count(b"<row")
        refs = _ROW_REF.findall(window)
        if refs:
            self.max_row = max(self.max_row, max(map(int, refs)))
        self.max_row = max(self.max_row, self.rows)
        if self.first:
            self.first = False
            header = _FIRST_ROW.search(window)
            letters = set(_CELL_COL.findall(header.group(1))) if header else set()
            if letters:
                widest = max(letters, key=lambda c: (len(c), c)).decode()
                self.max_col = _col_number(widest.encode())
                # a header is dense: its width is the cells it has (a stray far cell in the
                # header row must not widen the sheet's expected extent)
                self.header_cols = len(letters)
                self.fast = re.compile(
                    rb'<c r="(?:(?:' + _beyond(widest) + rb")\d|[A-Z]{1,3}\d{6})"
                )
        if self.fast is None or self.fast.search(window):
            for m in _FAR_ROW.findall(window):
                self.max_row = max(self.max_row, int(m))
            letters = set(_CELL_COL.findall(window))
            if letters:
                self.max_col = max(self.max_col, max(_col_number(c) for c in letters))
        if self.max_row > MAX_ROWS or self.max_col > MAX_COLS:
            raise _fail(self.path, "bundle.xml.beyond_limits", "bundle.fix.resend", name=self.name)

    def finish(self) -> None:
        """calamine holds the dense rectangle (about 30 bytes a cell): a sheet whose extent is
        far beyond its rows (a stray cell far down) or its header (far right) is refused, naming
        the far corner; a dense one too big for memory is refused as too big."""
        dense = self.max_row * max(self.max_col, 1)
        if dense > SPARSE_FLOOR and (
            self.max_row > 2 * self.rows + 1024 or self.max_col > 2 * self.header_cols + 64
        ):
            from exports.xlsx_stream import col_letter

            raise _fail(self.path, "bundle.xml.stray_cell", "bundle.fix.stray_cell",
                        name=self.name, cell=f"{col_letter(self.max_col - 1)}{self.max_row}",
                        rows=self.rows)  # fmt: skip
        if dense > MAX_DENSE_CELLS:
            raise _fail(self.path, "bundle.xml.too_big", "bundle.fix.split", name=self.name)


def _beyond(letters: str) -> bytes:
    """A regex alternation for column letters after ``letters`` (longer, or same length and
    greater), to be followed by a digit."""
    n = len(letters)
    alts = [f"[A-Z]{{{n + 1},5}}"]
    for i, ch in enumerate(letters):
        if ch != "Z":
            rest = f"[A-Z]{{{n - i - 1}}}" if n - i - 1 else ""
            alts.append(f"{letters[:i]}[{chr(ord(ch) + 1)}-Z]{rest}")
    return "|".join(alts).encode()
