"""Bundle test support: small forms; ``RealStore``, the real localdb store in a copy of a
template data folder (prefer it); and ``FakeStore``, the older in-memory double with a made-up
unit tree (测试省 > 测试市 > 第1县 ...), still used by the tests whose trees need units the real
division data does not have (its city 110100000000 is a hidden grouping there)."""

from __future__ import annotations

import contextlib
import copy
import uuid as uuidlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from forms.model import Choice, ChoiceList, Form, Question


def survey_form(version: str = "1") -> Form:
    kids = Question(
        "kids",
        "repeat",
        labels={"zh_CN": "子女", "en": "Children"},
        children=[
            Question("kid_name", "text", labels={"zh_CN": "子女姓名"}, parent="kids"),
            Question("kid_age", "integer", labels={"zh_CN": "子女年龄"}, parent="kids"),
        ],
    )
    return Form(
        "t_survey",
        version,
        titles={"zh_CN": "测试调查", "en": "Test survey"},
        children=[
            Question("name", "text", labels={"zh_CN": "姓名"}, sensitive=True),
            Question("mobile", "text", labels={"zh_CN": "手机"}, sensitive=True),
            Question("age", "integer", labels={"zh_CN": "年龄", "en": "Age"}),
            Question("income", "decimal", labels={"zh_CN": "收入"}),
            Question("note", "text", labels={"zh_CN": "备注"}),
            Question("sex", "select_one", labels={"zh_CN": "性别"}, list_name="sex"),
            Question("born", "date", labels={"zh_CN": "出生日期"}),
            Question("hobby", "select_multiple", labels={"zh_CN": "爱好"}, list_name="hobby"),
            kids,
        ],
        choice_lists={
            "sex": ChoiceList(
                "sex",
                [
                    Choice("m", {"zh_CN": "男", "en": "male"}),
                    Choice("f", {"zh_CN": "女", "en": "female"}),
                ],
            ),
            "hobby": ChoiceList(
                "hobby", [Choice("read", {"zh_CN": "阅读"}), Choice("run", {"zh_CN": "跑步"})]
            ),
        },
        kind="survey",
    )


def report_form(version: str = "1") -> Form:
    return Form(
        "t_report",
        version,
        titles={"zh_CN": "测试月报", "en": "Test monthly"},
        children=[
            Question(
                "registered",
                "integer",
                labels={"zh_CN": "注册志愿者"},
                aggregate="last",
                units={"zh_CN": "人"},
            ),
            Question(
                "female",
                "integer",
                labels={"zh_CN": "其中：女性"},
                aggregate="last",
                of="registered",
            ),
            Question("activities", "integer", labels={"zh_CN": "活动次数"}, aggregate="sum"),
            Question("hours", "decimal", labels={"zh_CN": "服务时长"}, aggregate="sum"),
            Question("rate", "decimal", labels={"zh_CN": "满意率"}, aggregate="average"),
            Question("contact", "text", labels={"zh_CN": "联系人"}, aggregate="none"),
        ],
        kind="report",
        period_type="month",
    )


def annual_form(version: str = "1") -> Form:
    return Form(
        "t_annual",
        version,
        titles={"zh_CN": "测试年报", "en": "Test annual"},
        children=[Question("members", "integer", labels={"zh_CN": "会员数"}, aggregate="last")],
        kind="report",
        period_type="year",
    )


@dataclass(frozen=True)
class FakeUnit:
    code: str
    name: str
    level: str
    parent: str | None


class FakeUnits:
    """province 110000000000 > city 110100000000 > counties 1101010/1101020 > townships."""

    def __init__(self) -> None:
        u = [
            FakeUnit("110000000000", "测试省", "province", None),
            FakeUnit("110100000000", "测试市", "city", "110000000000"),
        ]
        for c in (1, 2):
            county = f"1101{c:02d}000000"
            u.append(FakeUnit(county, f"第{c}县", "county", "110100000000"))
            for t in (1, 2, 3):
                u.append(FakeUnit(f"1101{c:02d}{t:03d}000", f"第{c}县{t}镇", "township", county))
        u.append(FakeUnit("120000000000", "外省", "province", None))
        self.by_code = {x.code: x for x in u}

    def get(self, code):
        return self.by_code.get(code)

    def path(self, code):
        chain = []
        unit = self.get(code)
        while unit is not None:
            chain.append(unit)
            unit = self.get(unit.parent) if unit.parent else None
        return list(reversed(chain))

    def children(self, code):
        return sorted((x for x in self.by_code.values() if x.parent == code), key=lambda x: x.code)


class FakeJournal:
    """``store.journal`` in memory (exports.store.BundleJournal): marks like localdb's journal
    and keeps what it was told (``transfers``, ``folders``, ``exports``) for tests to check."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.transfers: list[dict] = []
        self.folders: list[str] = []
        self.exports: list[dict] = []

    def record_transfer(self, kind, file, *, outcome, reasons=(), file_digest=None,
                        bundle_sha256=None, unit=None, details=None):  # fmt: skip
        self.transfers.append({"kind": kind, "file": str(file), "outcome": outcome,
                               "reasons": [p.code for p in reasons], "file_sha256": file_digest,
                               "bundle_sha256": bundle_sha256, "unit": unit,
                               "details": details or {}})  # fmt: skip
        return len(self.transfers)

    def remember_folder(self, folder):
        self.folders.append(str(folder))

    def begin_export(self, file, sent, *, file_digest, bundle_sha256=None):
        marked = {f: [u for u in uuids if (self.store.get(f, u) or {}).get("_status") == "finalised"]
                  for f, uuids in sent.items() if uuids}  # fmt: skip
        n = sum(
            self.store.mark_exported(f, u, reason=Path(file).name) for f, u in sent.items() if u
        )
        self.exports.append({"file": str(file), "file_sha256": file_digest, "marked": marked,
                             "bundle_sha256": bundle_sha256, "state": "pending"})  # fmt: skip
        return len(self.exports), n

    def end_export(self, export_id):
        self.exports[export_id - 1]["state"] = "done"

    def undo_export(self, export_id, *, why="export not completed"):
        entry, n = self.exports[export_id - 1], 0
        if entry["state"] != "pending":
            return 0
        for form_id, uuids in entry["marked"].items():
            for uid in uuids:
                row = self.store.tables.get(form_id, {}).get(uid)
                if row is not None and row["_status"] == "exported":
                    row["_status"], n = "finalised", n + 1
        entry["state"] = "undone"
        return n


class FakeRegistry:
    """``store.registry`` (exports.store.FormVersions): the versions of the store's forms."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def versions(self, form_id):
        return sorted(self.store._forms.get(form_id, {}))


class FakeStore:
    """Rows kept as dicts; ``upsert_rows`` and ``backup`` behave like localdb's; ``journal``
    and ``registry`` are in memory (:class:`FakeJournal`, :class:`FakeRegistry`)."""

    def __init__(self, unit: str, folder: Path | None = None, forms: list[Form] | None = None):
        self.unit_code = unit
        self.clerk = "测试员"
        self.units = FakeUnits()
        self.folder = folder
        self._forms = {f.form_id: {f.version: f} for f in (forms or [survey_form(), report_form()])}
        self.tables: dict[str, dict[str, dict]] = {}
        self.backups: list[str] = []
        self.journal = FakeJournal(self)
        self.registry = FakeRegistry(self)

    def forms(self):
        return [max(v.values(), key=lambda f: f.version) for v in self._forms.values()]

    def form(self, form_id, version=None):
        versions = self._forms[form_id]
        if version is None:
            return max(versions.values(), key=lambda f: f.version)
        return versions[version]

    def register_form(self, form, *, builtin=False):
        self._forms.setdefault(form.form_id, {})[form.version] = form

    def add(
        self,
        form_id,
        values,
        *,
        unit=None,
        period=None,
        status="finalised",
        modified="2026-01-05T10:00:00Z",
        uuid=None,
        repeats=None,
        explanations=None,
    ):
        uid = uuid or str(uuidlib.uuid4())
        row = {
            "_uuid": uid,
            "_unit": unit or self.unit_code,
            "_period": period,
            "_form_version": self.form(form_id).version,
            "_status": status,
            "_deleted": 0,
            "_created": "2026-01-05T09:00:00Z",
            "_modified": modified,
            "_author": "张三",
            "_explanations": explanations,
            "_source": "local",
            **values,
        }
        self.tables.setdefault(form_id, {})[uid] = row
        for rep, items in (repeats or {}).items():
            t = self.tables.setdefault(f"{form_id}__{rep}", {})
            for i, item in enumerate(items, start=1):
                rid = str(uuidlib.uuid4())
                t[rid] = {"_uuid": rid, "_parent_uuid": uid, "_index": i, **item}
        return uid

    def iter_rows(self, form_id, repeat=None):
        name = f"{form_id}__{repeat}" if repeat else form_id
        rows = self.tables.get(name, {}).values()
        key = (
            (lambda r: (r["_parent_uuid"], r["_index"]))
            if repeat
            else (lambda r: (r["_created"], r["_uuid"]))
        )
        return iter([dict(r) for r in sorted(rows, key=key)])

    def get(self, form_id, uuid):
        row = self.tables.get(form_id, {}).get(uuid)
        return dict(row) if row else None

    def upsert_rows(self, form_id, rows, repeat_rows=None, *, source):
        table = self.tables.setdefault(form_id, {})
        written = set()
        for raw in rows:
            row = dict(raw)
            old = table.get(row["_uuid"])
            if old is not None and all(old.get(k) == v for k, v in row.items()):
                continue
            row["_source"] = source
            table[row["_uuid"]] = row
            written.add(row["_uuid"])
        for rep, items in (repeat_rows or {}).items():
            t = self.tables.setdefault(f"{form_id}__{rep}", {})
            for k in [k for k, r in t.items() if r["_parent_uuid"] in written]:
                del t[k]
            for item in items:
                if item["_parent_uuid"] in written:
                    t[item["_uuid"]] = dict(item)
        return written

    def mark_exported(self, form_id, uuids, *, reason=None, author=None):
        """Like localdb's: what an export sends becomes sent (kexie.lifecycle)."""
        from kexie import lifecycle

        table, done = self.tables.get(form_id, {}), 0
        for uid in dict.fromkeys(uuids):
            row = table.get(uid)
            if row is not None and row["_status"] in lifecycle.SENT_BY_EXPORT:
                new = lifecycle.after_export(row["_status"])
                done += new != row["_status"]
                row["_status"] = new
        return done

    def backup(self, reason="manual", *, keep=None):
        self.backups.append(reason)
        return Path(f"/tmp/backup-{reason}-{len(self.backups)}")

    @contextlib.contextmanager
    def transaction(self):
        before = copy.deepcopy(self.tables)
        try:
            yield
        except BaseException:
            self.tables = before
            raise

    def snapshot(self):
        return copy.deepcopy(self.tables)


# -- the real store, for bundle tests -----------------------------------------------------------
_TEMPLATES: dict[tuple, Path] = {}


def _template(forms: list[Form]) -> Path:
    """A data folder with ``forms`` registered (made once per set of forms and run)."""
    import tempfile

    from localdb import open_store

    key = tuple((f.form_id, f.version) for f in forms)
    folder = _TEMPLATES.get(key)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="kexie-template-")) / "data"
        with open_store(folder) as store:
            store.registry._synced = True  # only the test forms, not the built-in ones
            for form in forms:
                store.register_form(form)
        _TEMPLATES[key] = folder
    return folder


class _Row(dict):
    """A stored row; ``update`` writes the change to the database (tests set up states)."""

    def __init__(self, store, table: str, row: dict) -> None:
        super().__init__(row)
        self._store, self._table = store, table

    def update(self, *args, **changes) -> None:  # type: ignore[override]
        changes = dict(*args, **changes)
        super().update(changes)
        with self._store.db.atomic():
            self._store.db.table(self._table).update(self["_uuid"], changes)


class RealStore:
    """A real ``localdb`` store in a copy of a template data folder, plus the helpers bundle
    tests use to set up states (``add``, ``tables``, ``snapshot``, ``backups``). Every other
    attribute is the store's own: export, import and merge run against real storage."""

    _open: ClassVar[list] = []

    def __init__(self, unit: str, forms: list[Form] | None = None) -> None:
        import shutil
        import tempfile

        from localdb import open_store

        forms = forms or [survey_form(), report_form()]
        folder = Path(tempfile.mkdtemp(prefix="kexie-store-")) / "data"
        shutil.copytree(_template(forms), folder)
        self.store = open_store(folder)
        self.store.registry._synced = True
        self.store.set_unit(unit)
        self.store.set_clerk("测试员")
        RealStore._open.append(self.store)

    def __getattr__(self, name: str):
        return getattr(self.store, name)

    def add(self, form_id, values, *, unit=None, period=None, status="finalised",
            modified="2026-01-05T10:00:00Z", uuid=None, repeats=None, explanations=None):  # fmt: skip
        """Put a record straight into the table in the given state (as an import would)."""
        from localdb.records import _sql_value
        from localdb.schema import table_name

        uid = uuid or str(uuidlib.uuid4())
        row = {
            "_uuid": uid, "_unit": unit or self.store.unit_code, "_period": period,
            "_form_version": self.store.form(form_id).version, "_status": status, "_deleted": 0,
            "_created": "2026-01-05T09:00:00Z", "_modified": modified, "_author": "张三",
            "_explanations": explanations, "_source": "local",
            **{k: _sql_value(v) for k, v in values.items()},
        }  # fmt: skip
        db = self.store.db
        with db.atomic():
            db.table(table_name(form_id)).insert(row)
            for rep, items in (repeats or {}).items():
                for i, item in enumerate(items, start=1):
                    child = {"_uuid": str(uuidlib.uuid4()), "_parent_uuid": uid, "_index": i}
                    child.update({k: _sql_value(v) for k, v in item.items()})
                    db.table(table_name(form_id, rep)).insert(child)
        return uid

    @property
    def tables(self) -> dict[str, dict[str, dict]]:
        """{form_id or form_id__repeat: {uuid: row}} of the non-empty tables, as stored."""
        out: dict[str, dict[str, dict]] = {}
        for form in self.store.forms():
            for repeat in [None, *(r.name for r in form.repeats())]:
                name = f"{form.form_id}__{repeat}" if repeat else form.form_id
                from localdb.schema import table_name

                rows = {
                    r["_uuid"]: _Row(self.store, table_name(form.form_id, repeat), r)
                    for r in self.store.iter_rows(form.form_id, repeat)
                }
                if rows:
                    out[name] = rows
        return out

    def snapshot(self) -> dict:
        return {t: {u: dict(r) for u, r in rows.items()} for t, rows in self.tables.items()}

    @property
    def backups(self) -> list[str]:
        """The reasons of the backups made, oldest first."""
        from localdb.store import list_backups

        return [p.stem.rsplit("-", 1)[-1] for p in list_backups(self.store.folder)]

    @classmethod
    def close_all(cls) -> None:
        while cls._open:
            cls._open.pop().close()
