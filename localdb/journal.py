"""What came in and what went out: the import log (导入记录) and the export journal.

``_transfers``: one row per import or merge input, accepted or refused — when, which file
(name, path, SHA-256 of the file's bytes), the bundle's data hash, its unit, the outcome and
the reasons (the messages as shown, in the language of the moment, plus their codes).

``_exports``: an export marks the records it sent ``exported`` in the same transaction that
writes a ``pending`` journal row naming the complete temporary file's SHA-256 and its final
path; the file is then moved into place and the row becomes ``done``. A kill in between leaves a
``pending`` row, reconciled when the store next opens: the file is there with that SHA-256 →
``done``; otherwise the marking is undone (the records are ``finalised`` again, audited) →
``undone``. So a kill never leaves records marked for a file that does not exist, nor a
complete file whose records were not marked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from kexie import lifecycle
from localdb.formsreg import now_iso
from localdb.schema import quote, table_name

OUTCOMES = ("accepted", "refused", "skipped", "failed")
MAX_FOLDERS = 20


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes (None if it cannot be read)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def reason_text(item: dict, lang: str | None = None) -> str:
    """A logged reason as a message in the current (or given) language."""
    from i18n.errors import Location, Problem

    if "params" not in item:
        return item.get("message", "")
    where = {k: item.get(k) for k in ("file", "sheet", "row", "column", "field")}
    problem = Problem(item["code"], item["params"], Location(**where), item.get("severity", "error"),
                      item.get("fix"))  # fmt: skip
    return problem.message(lang)


class Journal:
    """``store.journal``: the ``_transfers`` and ``_exports`` tables of one store."""

    def __init__(self, store) -> None:
        self.store = store

    def sqlite_errors(self):
        return self.store.sqlite_errors()

    @property
    def db(self):
        return self.store.db

    @property
    def clerk(self):
        return self.store.clerk

    def mark_exported(self, *args, **kwargs) -> int:
        return self.store.mark_exported(*args, **kwargs)

    # -- import log --------------------------------------------------------------------------
    def record_transfer(
        self,
        kind: str,
        file: str | Path,
        *,
        outcome: str,
        reasons: Iterable = (),
        file_digest: str | None = None,
        bundle_sha256: str | None = None,
        unit: str | None = None,
        details: dict | None = None,
    ) -> int:
        """Log one import or merge attempt (``kind`` import|merge); returns its id. ``reasons``:
        :class:`i18n.errors.Problem` objects (errors and warnings)."""
        path = Path(file)
        items = []
        for p in reasons:
            params = {k: v if isinstance(v, int | float | str | None) else str(v)
                      for k, v in p.params.items()}  # fmt: skip
            items.append({"code": p.code, "severity": p.severity, "message": p.message(),
                          "params": params, "fix": p.fix, **p.location.as_dict()})  # fmt: skip
        with self.sqlite_errors(), self.db.atomic():
            cur = self.db.execute(
                "INSERT INTO _transfers (at, kind, name, file, file_sha256, bundle_sha256, unit,"
                " outcome, reasons, details, who) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [now_iso(), kind, path.name, str(path), file_digest, bundle_sha256, unit,
                 outcome, json.dumps(items, ensure_ascii=False),
                 json.dumps(details or {}, ensure_ascii=False, default=str), self.clerk],
            )  # fmt: skip
            return cur.lastrowid

    def transfers(self, *, limit: int | None = 500) -> list[dict]:
        """The import log, newest first (``reasons`` and ``details`` decoded)."""
        sql = "SELECT * FROM _transfers ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        cur = self.db.execute(sql)
        names = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            item = dict(zip(names, row, strict=True))
            item["reasons"] = json.loads(item["reasons"] or "[]")
            item["details"] = json.loads(item["details"] or "{}")
            out.append(item)
        return out

    # -- folders of jobs ---------------------------------------------------------------------
    def remember_folder(self, folder: str | Path) -> None:
        """Note a folder an export or merge writes scratch files to, so that the next start
        sweeps what a killed run left there (the newest ``MAX_FOLDERS`` are kept)."""
        folder = str(Path(folder).absolute())
        known = [f for f in (self.store.get_setting("job_folders") or []) if f != folder]
        self.store.set_setting("job_folders", [folder, *known][:MAX_FOLDERS])

    def sweep_job_folders(self) -> list[Path]:
        """Remove the leftovers of killed exports and merges in every remembered folder (only
        files whose job's lock is free: a job running elsewhere keeps its files)."""
        from kexie.jobfiles import sweep

        removed: list[Path] = []
        for folder in self.store.get_setting("job_folders") or []:
            removed += sweep(folder)
        return removed

    # -- export journal ----------------------------------------------------------------------
    def begin_export(
        self,
        file: str | Path,
        sent: dict[str, list[str]],
        *,
        file_digest: str | None,
        bundle_sha256: str | None = None,
    ) -> tuple[int, int]:
        """In one transaction: mark the records sent ``exported`` (audited with the file name)
        and journal the export as ``pending``. Returns (journal id, records marked)."""
        path = Path(file).absolute()
        marked: dict[str, list[str]] = {}
        with self.sqlite_errors(), self.db.atomic():
            n = 0
            for form_id, uuids in sent.items():
                if not uuids:
                    continue
                before = set(self._with_status(form_id, uuids, "finalised"))
                n += self.mark_exported(form_id, uuids, reason=path.name)
                marked[form_id] = sorted(before)
            cur = self.db.execute(
                "INSERT INTO _exports (at, file, file_sha256, bundle_sha256, marked, state)"
                " VALUES (?,?,?,?,?, 'pending')",
                [now_iso(), str(path), file_digest, bundle_sha256, json.dumps(marked)],
            )
            return cur.lastrowid, n

    def end_export(self, export_id: int) -> None:
        """The file is in place: the journal row is ``done``."""
        with self.sqlite_errors(), self.db.atomic():
            self.db.execute("UPDATE _exports SET state = 'done' WHERE id = ?", [export_id])

    def undo_export(self, export_id: int, *, why: str = "export not completed") -> int:
        """The file never arrived: records this export marked go back to ``finalised``
        (those still ``exported``; audited), the row becomes ``undone``. Returns how many."""
        row = self.db.execute(
            "SELECT file, marked, state FROM _exports WHERE id = ?", [export_id]
        ).fetchone()
        if row is None or row[2] != "pending":
            return 0
        file, marked = row[0], json.loads(row[1] or "{}")
        now, n = now_iso(), 0
        with self.sqlite_errors(), self.db.atomic():
            for form_id, uuids in marked.items():
                table = quote(table_name(form_id))
                back = self._with_status(form_id, uuids, lifecycle.EXPORTED)
                self.db.conn.executemany(
                    f"UPDATE {table} SET _status = 'finalised' WHERE _uuid = ?",
                    [(u,) for u in back],
                )
                self.db.conn.executemany(
                    "INSERT INTO _audit (at, who, form_id, record_uuid, field, old, new, reason,"
                    " action) VALUES (?,?,?,?,?,?,?,?,?)",
                    [(now, self.clerk, form_id, u, "_status", lifecycle.EXPORTED, lifecycle.FINALISED,
                      f"{why}: {Path(file).name}", "status") for u in back],
                )  # fmt: skip
                n += len(back)
            self.db.execute("UPDATE _exports SET state = 'undone' WHERE id = ?", [export_id])
        return n

    def reconcile_exports(self) -> list[dict]:
        """Settle exports a kill left ``pending`` (see the module docstring); returns them."""
        settled = []
        rows = self.db.execute(
            "SELECT id, file, file_sha256 FROM _exports WHERE state = 'pending'"
        ).fetchall()
        for export_id, file, digest in rows:
            if digest and file_sha256(file) == digest:
                self.end_export(export_id)
                settled.append({"id": export_id, "file": file, "state": "done"})
            else:
                n = self.undo_export(export_id, why="export interrupted")
                settled.append({"id": export_id, "file": file, "state": "undone", "records": n})
        return settled

    def exports_journal(self) -> list[dict]:
        """Every export, newest first."""
        cur = self.db.execute("SELECT * FROM _exports ORDER BY id DESC")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def _with_status(self, form_id: str, uuids: list[str], status: str) -> list[str]:
        table = quote(table_name(form_id))
        found: list[str] = []
        wanted = list(dict.fromkeys(uuids))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found += [
                r[0]
                for r in self.db.execute(
                    f"SELECT _uuid FROM {table} WHERE _status = ? AND _uuid IN "
                    f"({', '.join('?' * len(chunk))})",
                    [status, *chunk],
                ).fetchall()
            ]
        return found
