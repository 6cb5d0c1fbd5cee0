"""Reading and verifying a bundle: the manifest, the embedded forms, every data row.

:class:`BundleReader` opens a file that passed the gate (``exports.safety``) with calamine and
checks it against its manifest while streaming its rows to a consumer (inspect counts them,
import keeps them, merge stages them). Problems are collected as located findings; at most
``MAX_FINDINGS`` per kind are kept so a hostile file cannot exhaust memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import python_calamine

from exports.canonical import canonical_json_ordered, combine, manifest_digest, row_digest
from exports.cells import CellError, convert
from exports.format import (
    FLOAT,
    FORMAT_NAME,
    FORMAT_VERSION,
    FORMS_SHEET,
    INT,
    MANIFEST_SHEET,
    TEXT,
    TOMBSTONE_TABLE,
)
from exports.ownership import RowRules
from exports.safety import GateResult, check_zip
from exports.xlsx_stream import col_letter
from forms import periods as P
from i18n.errors import BundleError, Location, Problem
from kexie import lifecycle
from kexie.tasks import NULL_TASK, TaskState

MAX_FINDINGS = 50
STATUSES = frozenset(lifecycle.STATUSES)
_SHEET_PART = re.compile(r"xl/worksheets/sheet(\d+)\.xml$")

# table, row, canonical json, digest, Excel row number, the row's cells as read (a list)
Consumer = Callable[[str, dict, str, bytes, int, list], None]


class BundleReader:
    """One bundle file, gated, opened and its manifest read (``BundleError`` if unusable)."""

    def __init__(self, path: str | Path, *, today: date | None = None) -> None:
        self.path = Path(path)
        self.file = str(self.path)
        self.today = today
        self.gate: GateResult = check_zip(self.path)
        try:
            self.wb = python_calamine.CalamineWorkbook.from_path(self.file)
        except Exception:  # calamine's errors are many; all mean "broken file"
            raise self._error("bundle.file.truncated", "bundle.fix.resend") from None
        self.findings: list[Problem] = []
        self._kinds: dict[str, int] = defaultdict(int)
        self.manifest = self._read_manifest()
        self.sha256: str | None = None
        self.counts: dict[str, int] = {}
        self.exact_totals: dict[str, dict[str, int]] = {}  # table -> exact sums (see _Totals)
        for part in self.gate.formula_parts:
            ref = re.fullmatch(r"([A-Z]+)(\d+)", self.gate.formula_cells.get(part, ""))
            where: dict[str, Any] = (
                {"row": int(ref.group(2)), "column": ref.group(1)} if ref else {}
            )
            self.add("bundle.check.formula", sheet=self._sheet_name(part), fix="bundle.fix.resend",
                     **where)  # fmt: skip
        self.warnings: list[Problem] = []
        if self.gate.macro_parts:
            self.warnings.append(Problem("bundle.warn.macros_dropped",
                                         {"parts": ", ".join(self.gate.macro_parts[:5])},
                                         Location(file=self.file), "warning"))  # fmt: skip
        known = {spec["sheet"] for spec in self.manifest["tables"].values()}
        known |= {MANIFEST_SHEET, FORMS_SHEET, TOMBSTONE_TABLE}
        for info in self.gate.sheets:
            if info.state != "visible" and info.name not in known:
                self.warnings.append(Problem("bundle.warn.hidden_sheet", {"sheet": info.name},
                                             Location(file=self.file, sheet=info.name),
                                             "warning"))  # fmt: skip

    def _sheet_name(self, part: str) -> str:
        name = self.gate.sheet_of(part)
        if name is not None:
            return name
        m = _SHEET_PART.search(part)
        names = self.wb.sheet_names
        return names[int(m.group(1)) - 1] if m and int(m.group(1)) <= len(names) else part

    # -- findings -------------------------------------------------------------------------
    def _error(self, code: str, fix: str | None = None, **params: Any) -> BundleError:
        return BundleError(code, location=Location(file=self.file), fix=fix, **params)

    def add(
        self,
        code: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
        severity: str = "error",
        fix: str | None = None,
        **params: Any,
    ) -> None:
        """Record a finding (bounded per kind)."""
        self._kinds[code] += 1
        if self._kinds[code] > MAX_FINDINGS:
            return
        loc = Location(file=self.file, sheet=sheet, row=row, column=column, field=field)
        self.findings.append(Problem(code, params, loc, severity, fix))

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.findings)

    # -- manifest -------------------------------------------------------------------------
    def _sheet_rows(self, name: str) -> list[list]:
        """The rows of a sheet; :class:`SheetUnreadable` with calamine's own reason if it cannot
        parse it."""
        try:
            return self.wb.get_sheet_by_name(name).to_python()
        except Exception as exc:  # calamine's errors are many; its message says which
            raise SheetUnreadable(str(exc) or type(exc).__name__) from None

    def _read_manifest(self) -> dict:
        if MANIFEST_SHEET not in self.wb.sheet_names:
            raise self._error("bundle.manifest.missing", "bundle.fix.not_bundle")
        manifest: dict = {}
        try:
            manifest_rows = self._sheet_rows(MANIFEST_SHEET)
        except SheetUnreadable as exc:
            raise BundleError("bundle.check.sheet_unreadable", location=Location(
                file=self.file, sheet=MANIFEST_SHEET), fix="bundle.fix.resend",
                reason=exc.reason) from None  # fmt: skip
        for row in manifest_rows:
            if not row or not isinstance(row[0], str) or not row[0]:
                continue
            text = "".join(c for c in row[1:] if isinstance(c, str))
            try:
                manifest[row[0]] = json.loads(text)
            except ValueError:
                raise self._error(
                    "bundle.manifest.broken", "bundle.fix.resend", key=row[0]
                ) from None
        if manifest.get("format") != FORMAT_NAME:
            raise self._error("bundle.manifest.missing", "bundle.fix.not_bundle")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise self._error(
                "bundle.manifest.newer", "bundle.fix.update_app", version=str(version)
            )
        for key, typ in (
            ("unit", str),
            ("tables", dict),
            ("forms", dict),
            ("sha256", str),
            ("contains", list),
            ("counts", dict),
        ):
            if not isinstance(manifest.get(key), typ):
                raise self._error("bundle.manifest.broken", "bundle.fix.resend", key=key)
        for table, spec in manifest["tables"].items():
            cols = spec.get("columns") if isinstance(spec, dict) else None
            if (
                not isinstance(spec, dict)
                or not isinstance(spec.get("sheet"), str)
                or not (
                    isinstance(cols, list)
                    and all(
                        isinstance(c, list) and len(c) == 2 and c[1] in (INT, FLOAT, TEXT)
                        for c in cols
                    )
                )
            ):
                raise self._error("bundle.manifest.broken", "bundle.fix.resend", key=table)
        if manifest.get("manifest_sha256") != manifest_digest(manifest):
            self.add(
                "bundle.check.manifest_tampered", sheet=MANIFEST_SHEET, fix="bundle.fix.resend"
            )
        return manifest

    @property
    def unit(self) -> str:
        return self.manifest["unit"]

    def form_blobs(self) -> dict[tuple[str, str], bytes]:
        """The embedded form definitions (XLSForm workbooks), checked against the manifest."""
        parts: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        try:
            form_rows = self._sheet_rows(FORMS_SHEET) if FORMS_SHEET in self.wb.sheet_names else []
        except SheetUnreadable as exc:
            self.add("bundle.check.sheet_unreadable", sheet=FORMS_SHEET, reason=exc.reason,
                     fix="bundle.fix.resend")  # fmt: skip
            form_rows = []
        for row in form_rows[1:]:
            if len(row) >= 4 and isinstance(row[0], str) and isinstance(row[3], str):
                try:
                    parts[(row[0], str(row[1]))].append((int(row[2]), row[3]))
                except (TypeError, ValueError):
                    continue
        out = {}
        for key, chunks in parts.items():
            try:
                out[key] = base64.b64decode("".join(t for _, t in sorted(chunks)), validate=True)
            except ValueError:
                continue
        return out

    # -- rows -----------------------------------------------------------------------------
    def scan(self, consumer: Consumer | None = None, task: TaskState = NULL_TASK) -> None:
        """Read every table, check it against the manifest, and pass each row on."""
        m = self.manifest
        digests: list[bytes] = []
        seen_uuids: dict[str, dict[str, int]] = defaultdict(dict)  # uuid -> first row
        main_uuids: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
        units_found: set[str] = set()
        form_rows: dict[str, set[str]] = defaultdict(set)  # every row uuid of a form's tables
        parents: list[tuple] = []
        unreadable = False
        known_versions = {
            (f, v) for f, spec in m["forms"].items() for v in (spec.get("versions") or [])
        }
        tables = sorted(
            m["tables"].items(), key=lambda kv: (kv[1].get("repeat") is not None, kv[0])
        )
        rules = RowRules(m, self.add)  # whose rows, uuids, clocks, periods (exports.ownership)
        for n, (table, spec) in enumerate(tables):
            task.check()
            sheet = spec["sheet"]
            cols = [(c[0], c[1]) for c in spec["columns"]]
            if sheet not in self.wb.sheet_names:
                self.add("bundle.check.sheet_missing", sheet=sheet, fix="bundle.fix.resend")
                continue
            try:
                rows = self._sheet_rows(sheet)
            except SheetUnreadable as exc:
                self.add("bundle.check.sheet_unreadable", sheet=sheet, reason=exc.reason,
                         fix="bundle.fix.resend")  # fmt: skip
                unreadable = True  # its rows are unknown: no count or hash to compare
                continue
            self._error_cells(sheet, cols)
            if (
                rows
                and len(rows[0]) > len(cols)
                and any(any(v != "" for v in r[len(cols) :]) for r in rows)
            ):
                self.add("bundle.check.extra_columns", sheet=sheet, fix="bundle.fix.resend")
            totals = _Totals(cols)
            count = 0
            uuids = seen_uuids[table if table != TOMBSTONE_TABLE else TOMBSTONE_TABLE]
            is_repeat = spec.get("repeat") is not None
            form_id = spec.get("form")
            conv = self._converter(cols, sheet)
            for r, values in enumerate(rows[1:], start=2):
                row = conv(values, r)
                if not row:
                    continue
                count += 1
                rules.row(table, form_id, is_repeat, row, sheet, r)
                uuid = row.get("_uuid")
                if not uuid:
                    self.add("bundle.check.no_uuid", sheet=sheet, row=r, fix="bundle.fix.resend")
                elif uuid in uuids:
                    self.add(
                        "bundle.check.duplicate_uuid",
                        sheet=sheet,
                        row=r,
                        uuid=uuid,
                        first_sheet=sheet,
                        first_row=uuids[uuid],
                        fix="bundle.fix.resend",
                    )
                else:
                    uuids[uuid] = r
                if is_repeat:
                    if uuid:
                        form_rows[form_id].add(uuid)
                    if len(parents) < 5_000_000:
                        parents.append((form_id, row.get("_parent_uuid"), sheet, r))
                else:
                    self._check_main(table, form_id, row, sheet, r, known_versions, units_found)
                    if table != TOMBSTONE_TABLE and uuid:
                        main_uuids[form_id].setdefault(uuid, (sheet, r))
                        form_rows[form_id].add(uuid)
                totals.add(row)
                text = canonical_json_ordered(row)
                digest = row_digest(table, text)
                digests.append(digest)
                if consumer is not None:
                    consumer(table, row, text, digest, r, values)
            del rows
            if count != spec.get("count"):
                self.add(
                    "bundle.check.count",
                    sheet=sheet,
                    expected=spec.get("count"),
                    found=count,
                    fix="bundle.fix.resend",
                )
            self.exact_totals[table] = dict(totals.sums)
            if totals.result() != spec.get("totals", {}):
                self.add("bundle.check.totals", sheet=sheet, fix="bundle.fix.resend")
            if not is_repeat and table != TOMBSTONE_TABLE:
                self.counts[form_id] = count
            task.report((n + 1) / max(len(tables), 1))
        for form_id, parent, sheet, r in parents:
            if parent not in form_rows[form_id]:
                self.add("bundle.check.orphan", sheet=sheet, row=r, fix="bundle.fix.resend")
        tombs = seen_uuids[TOMBSTONE_TABLE]
        for form_id in main_uuids:
            alive = main_uuids[form_id]
            dup = alive.keys() & tombs.keys()  # a record both alive and deleted
            for uuid in sorted(dup)[:MAX_FINDINGS]:
                first_sheet, first_row = alive[uuid]
                self.add(
                    "bundle.check.duplicate_uuid",
                    sheet=TOMBSTONE_TABLE,
                    row=tombs[uuid],
                    uuid=uuid,
                    first_sheet=first_sheet,
                    first_row=first_row,
                    fix="bundle.fix.resend",
                )
        contains = set(m["contains"])
        for unit in sorted(units_found - contains)[:MAX_FINDINGS]:
            self.add(
                "bundle.check.unit_not_listed",
                sheet=MANIFEST_SHEET,
                unit=unit,
                fix="bundle.fix.resend",
            )
        self.sha256 = combine(digests)
        if unreadable:
            return
        if self.sha256 != m["sha256"]:
            self.add("bundle.check.hash", sheet=MANIFEST_SHEET, fix="bundle.fix.resend")
        if m.get("counts") != self.counts:
            self.add(
                "bundle.check.count",
                sheet=MANIFEST_SHEET,
                expected=str(m.get("counts")),
                found=str(self.counts),
                fix="bundle.fix.resend",
            )

    def _error_cells(self, sheet: str, cols: list[tuple[str, str]]) -> None:
        """Error cells (#DIV/0!, #N/A ...) of a data sheet: calamine reads them as empty, so
        they are findings here, located by row, column and field."""
        part = self.gate.part_of(sheet)
        for ref in self.gate.error_cells.get(part or "", []):
            m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
            if not m:
                continue
            col = _col_index(m.group(1))
            field = cols[col][0] if 0 <= col < len(cols) else None
            self.add("bundle.cell.error_value", sheet=sheet, row=int(m.group(2)),
                     column=m.group(1), field=field, fix="bundle.fix.resend")  # fmt: skip

    def _converter(self, cols: list[tuple[str, str]], sheet: str):
        """A function turning one sheet row (cells as calamine reads them) into the row dict:
        every cell converted to its column's kind, keys in sorted order (so the canonical JSON
        needs no sorting), display-only ``~`` columns checked but left out. Problems become
        findings with sheet, row, column and field."""
        carried = sorted((n, i, k) for i, (n, k) in enumerate(cols) if n[0] != "~")
        derived = [(n, i, k) for i, (n, k) in enumerate(cols) if n[0] == "~"]

        def slow(name: str, i: int, kind: str, v: object, r: int) -> object:
            try:
                return convert(kind, v)
            except CellError as exc:
                self.add(exc.code, sheet=sheet, row=r, column=col_letter(i), field=name,
                         value=str(exc.value)[:50], fix="bundle.fix.resend")  # fmt: skip
                return None

        def conv(values: list, r: int) -> dict:
            row = {}
            n = len(values)
            for name, i, kind in carried:
                if i >= n:
                    continue
                v = values[i]
                if v == "":
                    continue
                t = type(v)
                if t is str:
                    if kind == TEXT:
                        row[name] = v
                        continue
                elif t is float:
                    if kind == FLOAT:
                        row[name] = v
                        continue
                    if kind == INT and v.is_integer():
                        row[name] = int(v)
                        continue
                v = slow(name, i, kind, v, r)
                if v is not None:
                    row[name] = v
            for name, i, kind in derived:
                if i < n:
                    v = values[i]
                    if v != "" and not (type(v) is str and kind == TEXT):
                        slow(name, i, kind, v, r)
            return row

        return conv

    def _check_main(self, table, form_id, row, sheet, r, known_versions, units_found) -> None:
        unit = row.get("_unit")
        if unit:
            units_found.add(unit)
        period = row.get("_period")
        if period:
            try:
                P.period_type(period)
                if P.is_future(period, self.today):
                    self.add(
                        "bundle.check.future_period",
                        sheet=sheet,
                        row=r,
                        period=period,
                        fix="bundle.fix.check_period",
                    )
            except BundleError:
                raise
            except Exception:  # UsageError for a malformed period
                self.add(
                    "bundle.check.bad_period",
                    sheet=sheet,
                    row=r,
                    period=str(period),
                    fix="bundle.fix.resend",
                )
        status = row.get("_status")
        if status not in STATUSES:
            self.add(
                "bundle.check.bad_status",
                sheet=sheet,
                row=r,
                status=str(status),
                fix="bundle.fix.resend",
            )
        fid = row.get("_form") if table == TOMBSTONE_TABLE else form_id
        version = row.get("_form_version")
        if (fid, version) not in known_versions:
            self.add(
                "bundle.check.unknown_version",
                sheet=sheet,
                row=r,
                form=str(fid),
                version=str(version),
                fix="bundle.fix.resend",
            )

    def check_forms(self) -> dict[tuple[str, str], bytes]:
        """Every form version in the manifest has its definition embedded, unaltered."""
        blobs = self.form_blobs()
        for form_id, spec in self.manifest["forms"].items():
            hashes = spec.get("sha256") or {}
            for version in spec.get("versions") or []:
                blob = blobs.get((form_id, version))
                if version not in hashes and blob is None:
                    self.add(
                        "bundle.check.form_not_embedded",
                        sheet=FORMS_SHEET,
                        form=form_id,
                        version=version,
                        severity="warning",
                    )
                    continue
                if blob is None or hashlib.sha256(blob).hexdigest() != hashes.get(version):
                    self.add(
                        "bundle.check.form_missing",
                        sheet=FORMS_SHEET,
                        form=form_id,
                        version=version,
                        fix="bundle.fix.resend",
                    )
        return blobs


class SheetUnreadable(Exception):
    """calamine could not parse a sheet; ``reason`` is its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


class _Totals:
    """Per-column totals, exact and independent of row order: integers add as integers;
    decimals add exactly as integers scaled by 2**1074 (every float is one), rounded once.
    Decimals are gathered and summed in batches (grouped by their power-of-two denominator,
    so the wide shifts happen once per denominator, not once per value)."""

    def __init__(self, cols: list[tuple[str, str]]) -> None:
        self.ints = [n for n, k in cols if k == INT and not n.startswith(("_", "~"))]
        self.floats = [n for n, k in cols if k == FLOAT and not n.startswith(("_", "~"))]
        self._sums = dict.fromkeys(self.ints + self.floats, 0)
        self._pending: dict[str, list[float]] = {n: [] for n in self.floats}
        self._count = 0

    def add(self, row: dict) -> None:
        sums, get = self._sums, row.get
        for n in self.ints:
            v = get(n)
            if v is not None:
                sums[n] += v
        pending = self._pending
        for n in self.floats:
            v = get(n)
            if v is not None:
                pending[n].append(v)
        self._count += 1
        if self._count >= 4096:
            self._flush()

    def _flush(self) -> None:
        self._count = 0
        for n, values in self._pending.items():
            if values:
                self._sums[n] += _scaled_sum(values)
                values.clear()

    @property
    def sums(self) -> dict[str, int]:
        """Exact sums (decimals as integers scaled by 2**1074)."""
        self._flush()
        return self._sums

    @sums.setter
    def sums(self, value: dict[str, int]) -> None:
        self._flush()
        self._sums = value

    def result(self) -> dict:
        sums = self.sums
        out: dict[str, object] = {n: sums[n] for n in self.ints}
        for n in self.floats:
            try:
                out[n] = sums[n] / _SCALE
            except OverflowError:
                out[n] = str(sums[n])
        return out


def _scaled_sum(values: list[float]) -> int:
    """The exact sum of ``values`` as an integer scaled by 2**1074."""
    by_den: dict[int, int] = defaultdict(int)
    for v in values:
        num, den = v.as_integer_ratio()
        by_den[den] += num
    return sum(num << (_SCALE_BITS - den.bit_length() + 1) for den, num in by_den.items())


_SCALE_BITS = 1074
_SCALE = 1 << _SCALE_BITS
