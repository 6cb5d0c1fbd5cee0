"""What goes into a bundle, gathered row by row, then laid out and written.

:class:`Content` is shared by export (rows from the local store) and merge (rows from staged
bundles plus the store): it keeps table specs, counts, totals, units, periods, digests, roll-up
and completeness accumulators, and builds the manifest, cover and the human sheets. The rows
themselves are handed to the writer by the caller (a list for export, SQL cursors for merge).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from exports.format import FORMAT_NAME, FORMAT_VERSION, TOMBSTONE_TABLE
from exports.model import SheetGrid, TableData, TableSpec
from exports.reader import _Totals
from exports.rollup import Completeness, ReportRollup, SurveyCount
from exports.specs import Normaliser
from exports.writer import write_bundle
from i18n import tr
from kexie import __version__
from kexie.lifecycle import NIL
from kexie.tasks import NULL_TASK, TaskState


class UnitNames:
    """Unit code → name and → direct subordinate of the bundle's unit, from the unit tree."""

    def __init__(self, units, own: str) -> None:
        self.units = units
        self.own = own
        self._names: dict[str | None, str] = {}
        self._groups: dict[str | None, tuple[str, str]] = {}

    def name(self, code: str | None) -> str:
        if code not in self._names:
            unit = self.units.get(code) if (self.units is not None and code) else None
            self._names[code] = unit.name if unit else (code or "")
        return self._names[code]

    def group(self, code: str | None) -> tuple[str, str]:
        """The direct subordinate of this unit that ``code`` lies in (or ``code`` itself)."""
        if code not in self._groups:
            found = code or ""
            if self.units is not None and code:
                chain = [u.code for u in self.units.path(code)]
                if self.own in chain:
                    i = chain.index(self.own)
                    found = chain[i + 1] if i + 1 < len(chain) else self.own
            self._groups[code] = (found, self.name(found))
        return self._groups[code]

    def expected(self) -> list[tuple[str, str]]:
        """This unit and its direct subordinates, for the completeness sheet."""
        out = [(self.own, self.name(self.own))]
        if self.units is not None:
            out += [(u.code, u.name) for u in self.units.children(self.own)]
        return out

    def level(self, code: str) -> str:
        unit = self.units.get(code) if self.units is not None else None
        return unit.level if unit else ""

    def within(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or below it in the unit tree."""
        if code == ancestor:
            return True
        path = self.units.path(code) if self.units is not None else []
        if not path:  # a unit this installation does not know (another's local unit): by code
            from exports.ownership import inside

            return inside(code, ancestor)
        return any(u.code == ancestor for u in path)


class Content:
    """Accumulates one bundle's data (see module docstring)."""

    def __init__(self, unit: str, names: UnitNames, lang: str | None) -> None:
        self.unit = unit
        self.names = names
        self.lang = lang
        self.specs: dict[str, TableSpec] = {}
        self.normalisers: dict[str, Normaliser] = {}
        self.counts: dict[str, int] = defaultdict(int)
        self.totals: dict[str, _Totals] = {}
        self.units: set[str] = {unit}
        self.periods: set[str] = set()
        self.digests: list[bytes] = []
        self.forms: dict[str, dict] = {}
        self.form_blobs: dict[tuple[str, str], bytes] = {}
        self.versions: dict[str, set[str]] = defaultdict(set)
        self.rollups: dict[str, ReportRollup | SurveyCount] = {}
        self.completeness = Completeness(names.expected(), names.group, lang)
        self.completeness.rules = lambda form_id: (self.forms.get(form_id) or {}).get("due")
        self.sensitive_omitted: dict[str, list[str]] = {}
        self.sources: list[dict] = []
        self.sent: dict[str, list[str]] = defaultdict(list)  # form -> uuids to mark exported
        self.table_nos: dict[str, str] = {}  # form -> 表号 (kexie::table_no), for sheet titles

    def add_table(self, spec: TableSpec) -> None:
        """Declare a table (before its rows)."""
        self.specs[spec.table] = spec
        self.normalisers[spec.table] = Normaliser(spec)
        cols = [(c.name, c.kind) for c in spec.columns if not c.derived]
        self.totals[spec.table] = _Totals(cols)
        if spec.repeat is None and spec.form_id is not None:
            if spec.kind == "report":
                self.rollups[spec.form_id] = ReportRollup(spec, self.names.group, self.lang)
                self.set_key(spec.form_id)
            else:
                self.rollups[spec.form_id] = SurveyCount(spec, self.names.group, self.lang)

    def add_form(self, form, blob: bytes | None) -> None:
        """Declare a form version whose rows are inside (its definition embedded if known)."""
        if getattr(form, "table_no", ""):
            self.table_nos.setdefault(form.form_id, form.table_no)
        entry = self.forms.setdefault(
            form.form_id,
            {
                "title": form.title(self.lang),
                "kind": form.kind,
                "period_type": form.period_type,
                "report_key": list(form.report_key or []),
                **({"due": due} if (due := form.settings.get("kexie::due")) else {}),
                "versions": [],
                "sha256": {},
            },
        )
        if form.version not in entry["versions"]:
            entry["versions"].append(form.version)
            entry["versions"].sort()
        self.set_key(form.form_id)
        if blob is not None:
            self.form_blobs[(form.form_id, form.version)] = blob
            entry["sha256"][form.version] = hashlib.sha256(blob).hexdigest()

    def set_key(self, form_id: str) -> None:
        """Tell the roll-up of ``form_id`` its report key (a stock is kept per unit × key)."""
        acc = self.rollups.get(form_id)
        if isinstance(acc, ReportRollup):
            acc.key = list((self.forms.get(form_id) or {}).get("report_key") or [])

    def add_row(self, table: str, row: dict, digest: bytes) -> None:
        """Account for one carried row that will be written."""
        self.digests.append(digest)
        self.account(table, row)

    def account(self, table: str, row: dict) -> None:
        """Counts, totals, units, periods, roll-ups (digest kept elsewhere)."""
        self.totals[table].add(row)
        spec = self.specs[table]
        if spec.repeat is not None:
            self.counts[table] += 1
            return
        self.counts[table] += 1
        unit = row.get("_unit")
        if unit:
            self.units.add(unit)
        period = row.get("_period")
        if period:
            self.periods.add(period)
        form_id = spec.form_id
        if table == TOMBSTONE_TABLE or form_id is None:
            return
        if row.get("_status") != NIL:
            self.rollups[form_id].add(row)
        if spec.kind == "report":
            self.completeness.add(form_id, spec.title, row, self.period_type(form_id))

    def period_type(self, form_id: str | None) -> str | None:
        """The period type a report form declares (from its manifest entry)."""
        return (self.forms.get(form_id or "") or {}).get("period_type")

    # -- output ---------------------------------------------------------------------------
    def manifest(self, sha256: str, *, period: str | None, clerk: str | None) -> dict:
        counts = {
            s.form_id: self.counts.get(t, 0)
            for t, s in self.specs.items()
            if s.repeat is None and t != TOMBSTONE_TABLE
        }
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "app_version": __version__,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_by": clerk or "",
            "unit": self.unit,
            "unit_name": self.names.name(self.unit),
            "level": self.names.level(self.unit),
            "period": period,
            "periods": sorted(self.periods),
            "forms": self.forms,
            "tables": {
                t: {
                    "form": s.form_id,
                    "repeat": s.repeat,
                    "sheet": "",
                    "columns": [[c.name, c.kind] for c in s.columns],
                    "count": self.counts.get(t, 0),
                    "totals": self.totals[t].result(),
                }
                for t, s in self.specs.items()
            },
            "counts": counts,
            "sha256": sha256,
            "contains": sorted(self.units | {u for s in self.sources for u in s["contains"]}),
            "sources": sorted(self.sources, key=lambda s: s["sha256"]),
            "sensitive_omitted": self.sensitive_omitted,
            "lang": self.lang or "zh_CN",
        }

    def grids(self) -> list[SheetGrid]:
        """The reviewer's sheets in reading order: 上报情况 first, then each form's 汇总,
        titled with the unit, the span and the form's 表号."""
        out = []
        grid = self.completeness.grid(tr("bundle.sheet.completeness", self.lang))
        if grid is not None:
            out.append(grid)
        for form_id in sorted(self.rollups):
            acc = self.rollups[form_id]
            grid = acc.grid(tr("bundle.sheet.rollup", self.lang, title=acc.spec.title))
            if grid is not None:
                grid.title = self.rollup_title(form_id, acc)
                out.append(grid)
        return out

    def rollup_title(self, form_id: str, acc) -> str:
        """E.g. 科技志愿服务月报 汇总表　西湖区（330106000000）　2026-01~2026-10　表号：科协月1表."""
        lang = self.lang
        by_period = getattr(acc, "rows", None) or {}
        periods = sorted({p for by in by_period.values() for p in by})
        span = (
            (f"{periods[0]}~{periods[-1]}" if len(periods) > 1 else periods[0]) if periods else ""
        )
        no = self.table_nos.get(form_id, "")
        return tr(
            "bundle.rollup.full_title",
            lang,
            title=acc.spec.title,
            unit=self.names.name(self.unit),
            code=self.unit,
            span=span,
            table_no=tr("bundle.rollup.table_no", lang, no=no) if no else "",
        ).strip()

    def cover(self, manifest: dict) -> list[tuple[str, str]]:
        lang = self.lang
        periods = manifest["periods"]
        span = (
            (f"{periods[0]} ~ {periods[-1]}" if len(periods) > 1 else periods[0])
            if periods
            else "-"
        )
        level = manifest["level"]
        return [
            (tr("bundle.cover.unit", lang), f"{manifest['unit_name']}（{manifest['unit']}）"),
            (tr("bundle.cover.level", lang), tr(f"bundle.level.{level}", lang) if level else "-"),
            (tr("bundle.cover.periods", lang), span),
            (tr("bundle.cover.clerk", lang), manifest["created_by"] or "-"),
            (tr("bundle.cover.created", lang), manifest["created"]),
            (tr("bundle.cover.contains", lang), str(len(manifest["contains"]))),
            (tr("bundle.cover.sources", lang), str(len(manifest["sources"]))),
            (
                tr("bundle.cover.sensitive", lang),
                ", ".join(
                    f"{f}: {' '.join(q)}" for f, q in manifest["sensitive_omitted"].items() if q
                )
                or "-",
            ),
            (
                tr("bundle.cover.app", lang),
                f"{manifest['app_version']} / {FORMAT_NAME} {FORMAT_VERSION}",
            ),
            ("SHA-256", manifest["sha256"]),
        ]

    def write(
        self,
        out: Path,
        rows_for: Callable[[str], Callable[[], Iterable[tuple]]],
        *,
        sha256: str,
        period: str | None,
        clerk: str | None,
        engine: str = "stream",
        task: TaskState = NULL_TASK,
        before_replace: Callable[[Path], None] | None = None,
    ) -> dict:
        """Write the bundle; ``rows_for(table)`` gives a factory of sheet tuples. Returns the
        manifest written. ``before_replace``: see :func:`exports.writer.write_bundle`."""
        manifest = self.manifest(sha256, period=period, clerk=clerk)
        form_counts = [
            (
                self.forms[s.form_id]["title"],
                ", ".join(self.forms[s.form_id]["versions"]),
                self.counts.get(t, 0),
            )
            for t, s in self.specs.items()
            if s.repeat is None and t != TOMBSTONE_TABLE and s.form_id in self.forms
        ]
        tables = [
            TableData(spec, self.counts.get(t, 0), rows_for(t)) for t, spec in self.specs.items()
        ]
        write_bundle(
            out,
            manifest=manifest,
            cover=self.cover(manifest),
            form_counts=form_counts,
            tables=tables,
            grids=self.grids(),
            form_blobs=self.form_blobs,
            lang=self.lang,
            engine=engine,
            task=task,
            before_replace=before_replace,
        )
        return manifest
