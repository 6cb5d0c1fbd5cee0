"""The local database of one installation: open, settings, forms, backups.

One SQLite file (``DATA/kexie.sqlite``) in WAL mode with ``synchronous=NORMAL``: a committed
save survives the app being killed; a power cut may lose the last moments but never corrupts the
file. One writer per data folder, enforced by :class:`localdb.lock.FolderLock`. Records and
reports are the composed manager ``store.records`` (:class:`localdb.records.Records`); the
store offers its operations as its own methods too (``store.save`` = ``store.records.save``).

The connection runs in autocommit mode (``isolation_level=None``): nothing is written outside an
explicit ``db.atomic()`` block, so no transaction is ever left open by accident.

Threads: one thread is the store's *writer* (the one that opened it, until another calls
:meth:`Store.claim_writer` — the desktop's single DB worker does). ``store.db`` is routed by
thread: the writer gets the one read-write connection; any other thread gets a read-only
connection of its own (``mode=ro``, ``query_only``), which sees only committed data — never a
writer's open transaction. A write from any other thread raises :class:`WrongThreadError` (a
programming error, so a regression fails loudly instead of slipping a write into someone else's
transaction, where a rollback would silently take it away).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar, cast

from sqlite_utils import Database

from i18n.errors import Location, StorageError, UsageError
from kexie import __version__
from localdb import schema
from localdb.formsreg import FormRegistry
from localdb.fsinfo import is_network_path
from localdb.journal import Journal
from localdb.localunits import LocalUnits
from localdb.lock import FolderLock, storage_error_from_os
from localdb.records import Records
from localdb.units import Unit, resolve_unit

DB_NAME = "kexie.sqlite"
BACKUP_KEEP = 20
BUSY_TIMEOUT_MS = 5000
P = ParamSpec("P")
R = TypeVar("R")


class WrongThreadError(RuntimeError):
    """A write to the store from a thread that is not its writer (a bug in the caller: route
    the write through the writer thread, e.g. the desktop's DB worker)."""


class RoutedDatabase:
    """``store.db``: the read-write database on the writer thread, a read-only one of the
    calling thread's own elsewhere. ``atomic()`` (the only way code writes) refuses to start on
    any thread but the writer."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        return getattr(self._store._thread_db(), name)

    def __getitem__(self, name: str):
        return self._store._thread_db()[name]

    def atomic(self):
        return self._store._writer_db("atomic").atomic()


def open_store(data_dir: str | Path, *, create: bool = True, wait: float = 0.0) -> Store:
    """Open (or create) the database in ``data_dir`` and take the single-writer lock.

    ``wait``: seconds to wait for another instance to let go. Raises :class:`StorageError` when
    the folder is in use, read-only, full, not a Kexie database, or from a newer app version.
    """
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        if not create:
            raise StorageError(
                "db.no_data",
                location=Location(file=str(folder)),
                fix="db.no_data.fix",
                path=str(folder),
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error_from_os(exc, folder) from exc
    if is_network_path(folder):
        raise StorageError(
            "db.network",
            location=Location(file=str(folder)),
            fix="db.network.fix",
            folder=str(folder),
        )
    lock = FolderLock(folder)
    lock.acquire(wait)
    try:
        return Store(folder, lock, create=create)
    except BaseException:
        lock.release()
        raise


def _forward(method: Callable[Concatenate[Records, P], R]) -> Callable[Concatenate[Store, P], R]:
    """``Store.name = _forward(Records.name)``: the store's method calls ``store.records.name``
    with the same signature (for type checkers too) and docstring."""
    name = method.__name__

    def forwarded(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return getattr(self.records, name)(*args, **kwargs)

    forwarded.__name__ = forwarded.__qualname__ = name
    forwarded.__doc__ = method.__doc__
    forwarded.__wrapped__ = method  # type: ignore[attr-defined]  # inspect.signature follows it
    return forwarded


class Store:
    """An open data folder. Close it (or use it as a context manager) to release the lock."""

    records: Records
    """Records and reports (callable: ``store.records(form_id, ...)`` lists them)."""

    def __init__(self, folder: Path, lock: FolderLock, *, create: bool = True) -> None:
        self.folder = folder
        self.records = Records(self)
        self.journal = Journal(self)
        self.path = folder / DB_NAME
        self._lock = lock
        if not self.path.exists() and not create:
            raise StorageError(
                "db.no_data",
                location=Location(file=str(self.path)),
                fix="db.no_data.fix",
                path=str(self.path),
            )
        self._write_db = _connect(self.path)
        self._writer = threading.get_ident()
        self._readers = threading.local()
        self._reader_list: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        # every attribute is the calling thread's Database's (see RoutedDatabase)
        self.db: Database = cast(Database, RoutedDatabase(self))
        self.recovered = False
        try:
            with self.sqlite_errors():
                schema.check_not_newer(self.db, str(self.path))
                if schema.pending(self.db):
                    if schema.stored_version(self.db) > 0:
                        self.backup("migration")
                    schema.migrate(self.db, __version__)
                if self.get_setting("synchronous", "normal") == "full":
                    # WAL + FULL: a save survives even a power cut, at an fsync per commit
                    self.db.execute("PRAGMA synchronous = FULL")
                self.recovered = self.get_setting("session_open", False) is True
                if self.recovered:
                    self._check_integrity()
                self.set_setting("session_open", True)
                self.swept = sweep_data_folder(folder)
                self.reconciled = self.journal.reconcile_exports()
                self.swept += self.journal.sweep_job_folders()
        except BaseException:
            self._write_db.close()
            raise
        self.registry = FormRegistry(self.db, folder / "forms")
        self._units: LocalUnits | None = None
        self._tables_ok: set[tuple[str, str]] = set()

    # -- records: the operations of ``store.records``, offered on the store as before -------
    save = _forward(Records.save)
    nil_report = _forward(Records.nil_report)
    set_status = _forward(Records.set_status)
    mark_exported = _forward(Records.mark_exported)
    delete = _forward(Records.delete)
    undelete = _forward(Records.undelete)
    get = _forward(Records.get)
    find_report = _forward(Records.find_report)
    previous_values = _forward(Records.previous_values)
    previous_lookup = _forward(Records.previous_lookup)
    count = _forward(Records.count)
    audit_rows = _forward(Records.audit_rows)
    iter_rows = _forward(Records.iter_rows)
    upsert_rows = _forward(Records.upsert_rows)

    # -- threads ---------------------------------------------------------------------------
    def claim_writer(self) -> None:
        """Make the calling thread the only one that may write (e.g. the desktop's DB worker,
        and the UI thread again once that worker has stopped). Refused while the current
        writer is inside a transaction."""
        if self._writer == threading.get_ident():
            return
        if self._write_db.conn.in_transaction:
            raise WrongThreadError("the store's writer is inside a transaction")
        self._writer = threading.get_ident()

    @property
    def is_writer(self) -> bool:
        """Whether the calling thread is the store's writer."""
        return self._writer == threading.get_ident()

    def _writer_db(self, what: str = "write") -> Database:
        if self._writer != threading.get_ident():
            raise WrongThreadError(
                f"{what} on {self.path} from thread {threading.current_thread().name!r}, "
                "which is not the store's writer"
            )
        return self._write_db

    def _thread_db(self) -> Database:
        if self._writer == threading.get_ident():
            return self._write_db
        db = getattr(self._readers, "db", None)
        if db is None:
            db = _connect_reader(self.path)
            self._readers.db = db
            with self._readers_lock:
                self._reader_list.append(db.conn)
        return db

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Mark a clean shutdown, close the database and release the folder lock.

        Closing ends every thread's use of the store: the closing thread becomes the writer
        (refused while the writer is inside a transaction; then the clean-shutdown mark is
        skipped and the next open runs a quick check)."""
        if not self._lock.held:
            return
        try:
            self.claim_writer()
            self.set_setting("session_open", False)
            self._writer_db("close").execute("PRAGMA wal_checkpoint(PASSIVE)")
        except (sqlite3.Error, StorageError, WrongThreadError):
            pass  # closing must not fail; the next open runs a quick check
        finally:
            with self._readers_lock:
                for conn in self._reader_list:
                    conn.close()
                self._reader_list.clear()
            self._write_db.close()
            self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self):
        """One transaction on the writer's connection (``db.atomic()``; nested blocks become
        savepoints): everything inside commits together or not at all. SQLite failures inside
        (disk full, read-only) come out as clear StorageErrors naming the database."""
        with self.sqlite_errors(), self.db.atomic():
            yield

    @contextmanager
    def sqlite_errors(self):
        """Turn SQLite failures (read-only, disk full, busy, I/O) into clear StorageErrors."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if not self.is_writer and "readonly" in str(exc).lower():
                # a write slipped past atomic() on a reader's connection: the caller's bug
                raise WrongThreadError(f"write on {self.path} from a reader thread") from exc
            raise storage_error_from_sqlite(exc, self.path) from exc
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise
            raise storage_error_from_sqlite(exc, self.path) from exc

    def _check_integrity(self) -> None:
        result = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise StorageError(
                "db.corrupt",
                location=Location(file=str(self.path)),
                fix="db.corrupt.fix",
                detail=result,
            )

    # -- settings --------------------------------------------------------------------------
    def get_setting(self, key: str, default: object = None) -> object:
        """A stored setting (JSON value), or ``default``."""
        row = self.db.execute("SELECT value FROM _settings WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: object) -> None:
        """Store a setting (any JSON-serialisable value)."""
        with self.sqlite_errors(), self.db.atomic():
            self.db.execute(
                "INSERT INTO _settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value, ensure_ascii=False)],
            )

    @property
    def unit_code(self) -> str | None:
        """This installation's org unit (12-digit code), or None before ``kexie init``."""
        return self.get_setting("unit")  # type: ignore[return-value]

    @property
    def unit(self) -> Unit | None:
        """This installation's org unit."""
        code = self.unit_code
        return self.units.get(code) if code else None

    def set_unit(self, code: str) -> Unit:
        """Set this installation's unit; UsageError with a suggestion for unknown codes."""
        unit = resolve_unit(self.units, code)
        self.set_setting("unit", unit.code)
        return unit

    @property
    def clerk(self) -> str | None:
        """The name of the person using this installation (audit rows' ``who``)."""
        return self.get_setting("clerk")  # type: ignore[return-value]

    def set_clerk(self, name: str) -> None:
        """Set the clerk's name."""
        self.set_setting("clerk", name.strip())
        if self._units is not None:
            self._units.who = name.strip()

    @property
    def units(self) -> LocalUnits:
        """The division tree with local additions and renames."""
        if self._units is None:
            self._units = LocalUnits(self.db, self.clerk or "")
        return self._units

    # -- forms -----------------------------------------------------------------------------
    def forms(self) -> list:
        """Every form in its current version: built-in first, then added ones."""
        self._sync_forms()
        return [self.form(form_id) for form_id in self.registry.form_ids()]

    def form(self, form_id: str, version: str | None = None):
        """A form at ``version`` (default: the current one), its tables ready."""
        self._sync_forms()
        form = self.registry.get(form_id, version)
        self._ensure_tables(form)
        return form

    def add_form(self, path: str | Path):
        """Copy a form file into the data folder, register it and create/migrate its tables."""
        self._sync_forms()
        form = self.registry.add(Path(path), check=check_form_columns)
        self._ensure_tables(self.registry.get(form.form_id))
        return form

    def register_form(self, form, *, builtin: bool = False, data: bytes | None = None):
        """Register an already loaded :class:`forms.model.Form` (e.g. from a bundle) and
        create/migrate its tables. ``data``: the form's file content, kept in the data folder
        (without it and without a ``form.source`` file the definition is kept as JSON)."""
        self._sync_forms()
        self.registry.register(form, builtin=builtin, check=check_form_columns, data=data)
        self._ensure_tables(self.registry.get(form.form_id))
        return form

    def _sync_forms(self) -> None:
        if not self.registry._synced:
            with self.sqlite_errors():
                self.registry.sync_builtin(check=check_form_columns)

    def _ensure_tables(self, form) -> None:
        key = (form.form_id, form.version)
        if key in self._tables_ok:
            return
        with self.sqlite_errors():
            if schema.needs_change(self.db, form):
                if self.db[schema.table_name(form.form_id)].exists() and self.count_all(
                    form.form_id
                ):
                    self.backup("migration")
                with self.db.atomic():
                    schema.ensure_form_tables(self.db, form)
        self._tables_ok.add(key)

    def count_all(self, form_id: str) -> int:
        """Rows in a form's table, tombstones included."""
        return self.db.execute(
            f"SELECT count(*) FROM {schema.quote(schema.table_name(form_id))}"
        ).fetchone()[0]

    # -- backups ---------------------------------------------------------------------------
    def backup(self, reason: str = "manual", *, keep: int | None = None) -> Path:
        """Copy the database with SQLite's backup API to ``DATA/backups/<time>-<reason>.sqlite``.

        Keeps the newest ``keep`` backups (setting ``backup_keep``, default 20).
        """
        folder = self.folder / "backups"
        tag = re.sub(r"[^0-9A-Za-z_-]+", "-", reason).strip("-") or "manual"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
        target = folder / f"{stamp}-{tag}.sqlite"
        # Written under a temporary name and moved into place once complete and on disk: a
        # half-written backup never counts as one of the kept ones (a killed one is swept at
        # the next open, see sweep_data_folder).
        partial = folder / f".{stamp}-{tag}.sqlite.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            dest = sqlite3.connect(partial)
            try:
                conn = self.db.conn
                if getattr(conn, "in_transaction", False):
                    # Inside a write transaction (a form version registered during an import
                    # adds a column: a migration backup) this connection's backup would wait
                    # for its own lock for ever; a reader of the file copies the committed
                    # state (WAL: readers never wait for the writer).
                    src = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
                    try:
                        src.backup(dest)
                    finally:
                        src.close()
                else:
                    conn.backup(dest)  # any thread: a committed snapshot
                # a backup is one self-contained file, safe to copy around
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
            with open(partial, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(partial, target)
        except OSError as exc:
            _remove_partial(partial)
            raise storage_error_from_os(exc, folder) from exc
        except sqlite3.Error as exc:
            _remove_partial(partial)  # never leave half a backup behind
            raise storage_error_from_sqlite(exc, folder) from exc
        keep = keep if keep is not None else int(self.get_setting("backup_keep", BACKUP_KEEP))  # type: ignore[call-overload]
        for old in list_backups(self.folder)[:-keep] if keep > 0 else []:
            old.unlink(missing_ok=True)
        return target

    def restore_backup(self, backup_path: str | Path) -> Path:
        """Replace this open database's content with a backup (checked first, see
        :func:`restore`), after a safety backup of what is there now, which is returned.
        Migrations of an older backup run at once; cached forms and units are re-read."""
        source = check_backup(backup_path)
        safety = self.backup("before-restore")
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            with self.sqlite_errors():
                src.backup(self._writer_db("restore").conn)
        finally:
            src.close()
        with self.sqlite_errors():
            if schema.pending(self.db):
                schema.migrate(self.db, __version__)
            self.set_setting("session_open", True)
        self.registry._synced = False
        self._tables_ok.clear()
        self._units = None
        return safety


def check_backup(backup_path: str | Path) -> Path:
    """A backup file that may be restored: a SQLite file written by this app (not a newer
    one) that passes ``integrity_check``; else a clear error."""
    source = Path(backup_path)
    if not source.is_file():
        raise UsageError(
            "cli.file_not_found", location=Location(file=str(source)), path=str(source)
        )
    check = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            has_schema = check.execute(
                "SELECT 1 FROM sqlite_master WHERE name = '_schema'"
            ).fetchone()
        except sqlite3.DatabaseError:
            ok, has_schema = False, None
        if not ok or not has_schema:
            raise StorageError(
                "db.bad_backup", location=Location(file=str(source)), path=str(source)
            )
        schema.check_not_newer(Database(check), str(source))
    finally:
        check.close()
    return source


def check_form_columns(form) -> None:
    """Refuse a form whose questions cannot become columns (StorageError)."""
    for repeat in [None, *(r.name for r in form.repeats())]:
        schema.form_columns(form, repeat)


def _remove_partial(partial: Path) -> None:
    for p in (partial, partial.with_name(partial.name + "-journal")):
        p.unlink(missing_ok=True)


def sweep_data_folder(folder: Path) -> list[Path]:
    """Remove what a killed backup left in ``DATA/backups`` (``.<name>.sqlite.tmp`` and its
    journal). Runs at open, with the folder's single-writer lock held, so no other job can be
    writing them."""
    removed = []
    backups = folder / "backups"
    if backups.is_dir():
        for p in backups.iterdir():
            if p.name.startswith(".") and ".sqlite.tmp" in p.name:
                try:
                    p.unlink()
                    removed.append(p)
                except OSError:
                    pass
    return removed


def list_backups(data_dir: str | Path) -> list[Path]:
    """Backups in a data folder, oldest first."""
    folder = Path(data_dir) / "backups"
    return sorted(folder.glob("*.sqlite")) if folder.is_dir() else []


def restore(data_dir: str | Path, backup_path: str | Path) -> Path:
    """Replace the database of ``data_dir`` with a backup, after backing up the current one.

    Returns the path of the safety backup of what was there before. The folder must not be open
    in another instance (StorageError). The backup is checked first: a SQLite file written by
    this app (not a newer one) that passes ``integrity_check``.
    """
    source = check_backup(backup_path)
    with open_store(data_dir) as store:
        safety = store.backup("before-restore")
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            with store.sqlite_errors():
                src.backup(store._writer_db("restore").conn)
        finally:
            src.close()
    # reopen once so migrations of an older backup run now, with their own backup
    open_store(data_dir).close()
    return safety


def _connect(path: Path) -> Database:
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        db = Database(conn, execute_plugins=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StorageError("db.no_wal", location=Location(file=str(path)), mode=mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise storage_error_from_sqlite(exc, path) from exc
    return db


def _connect_reader(path: Path) -> Database:
    """A read-only connection for a thread that is not the writer: it sees committed data only
    (WAL), and SQLite itself refuses any write on it."""
    try:
        conn = sqlite3.connect(
            path.resolve().as_uri() + "?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise storage_error_from_sqlite(exc, path) from exc
    return Database(conn, execute_plugins=False)


def storage_error_from_sqlite(exc: sqlite3.Error, path: Path) -> StorageError:
    """A clear StorageError for an SQLite failure."""
    where = Location(file=str(path))
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    text = str(exc).lower()
    if code == 8 or "readonly" in text or "read-only" in text:
        return StorageError("db.readonly", location=where, fix="db.readonly.fix", path=str(path))
    if code == 13 or "disk is full" in text:
        return StorageError("db.disk_full", location=where, fix="db.disk_full.fix", path=str(path))
    if code in (5, 6) or "locked" in text:
        return StorageError("db.busy", location=where, fix="db.locked.fix", folder=str(path.parent))
    if code in (11, 26) or "not a database" in text or "malformed" in text:
        return StorageError("db.corrupt", location=where, fix="db.corrupt.fix", detail=str(exc))
    if code == 14:
        return StorageError("db.readonly", location=where, fix="db.readonly.fix", path=str(path))
    if code == 10 and _nearly_full(path):  # SQLITE_IOERR: a write the full disk refused
        return StorageError("db.disk_full", location=where, fix="db.disk_full.fix", path=str(path))
    return StorageError("db.io_error", location=where, path=str(path), detail=str(exc))


def _nearly_full(path: Path) -> bool:
    """Whether the disk holding ``path`` has (almost) no room left: SQLite reports some writes
    that a full disk refused (the WAL, its index) as a plain I/O error."""
    import shutil

    folder = path if path.is_dir() else path.parent
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False
