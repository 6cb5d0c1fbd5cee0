"""Test doubles for bundle tests: two small forms and an in-memory store with the Store API
subset exports uses (docs/internals.md), so bundle tests run without localdb."""

from __future__ import annotations

import contextlib
import copy
import uuid as uuidlib
from dataclasses import dataclass
from pathlib import Path

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


class FakeStore:
    """Rows kept as dicts; ``upsert_rows`` and ``backup`` behave like localdb's."""

    def __init__(self, unit: str, folder: Path | None = None, forms: list[Form] | None = None):
        self.unit_code = unit
        self.clerk = "测试员"
        self.units = FakeUnits()
        self.folder = folder
        self._forms = {f.form_id: {f.version: f} for f in (forms or [survey_form(), report_form()])}
        self.tables: dict[str, dict[str, dict]] = {}
        self.backups: list[str] = []

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
