"""Evaluate a form: relevance, calculations, requirements, constraints, repeats, choice filters.

``FormEngine(form)`` holds one record being filled in. ``set_answer`` re-evaluates only what
depends on the changed answer (the plan's dependency closure, in topological order) and returns
the state keys whose state changed. ``evaluate(form, answers)`` is the one-shot version.

API: ``set_answer``, ``state``, ``evaluation``, ``choices(name)`` (choices passing the choice
filter now), ``render(name)`` (label with ``${x}`` filled in), ``add_instance`` and
``remove_instance`` for repeats.

State keys: a top-level field is addressed by its name; a field in a repeat instance by
``repeat[i]/name`` (1-based, nested repeats ``outer[1]/inner[2]/name``); a repeat instance itself
by ``repeat[i]``.

Semantics (ODK as JavaRosa applies it):
- a field is relevant when its own ``relevant`` and every enclosing group/repeat's are true;
  a non-relevant field's value is blank (for expressions and in ``values``) and is not validated;
- ``required`` applies only when relevant; constraints are not checked on empty answers;
- a constraint with ``kexie::severity`` = warning that fails gives ``valid=False`` with
  ``severity='warning'`` (the record may be finalised with an explanation); errors block;
- ``kexie::of``: a "其中" part greater than its total is an error naming both labels;
- defaults apply only when a record or repeat instance is created; ``trigger`` recomputes a
  calculation only when the named field changes; ``repeat_count`` adds/removes instances.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from forms.expr.values import NodeSet, num_to_str, to_bool, to_date, to_num, to_str
from forms.model import Choice, Form
from forms.plan import Plan, build_plan, choice_item, instance_document
from forms.types import coerce_answer
from i18n import tr
from i18n.errors import Location, Problem, ValidationError

Key = tuple[str, tuple[int, ...]]
NodeKey = tuple[str | None, tuple[int, ...]]
"""A key of the expression context: ``(None, ())`` is the record's root."""
# The previous period's answers: a mapping, or a lookup given the current kexie::key values
# ({question: value}) that returns them (None when there is no previous report).
Previous = Mapping[str, object] | Callable[[dict[str, object]], Mapping[str, object] | None]
_MAX_REPEATS = 10000
_KEY_PART = re.compile(r"^(.+)\[(\d+)\]$")
_REF = re.compile(r"\$\{\s*([^}\s]+)\s*\}")


@dataclass(frozen=True)
class FieldState:
    """The state of one field (or group/repeat) in the current record."""

    relevant: bool = True
    required: bool = False
    valid: bool = True
    value: object = None
    message: str | None = None
    severity: str | None = None  # 'error' | 'warning' | None


@dataclass
class Evaluation:
    """The outcome of evaluating a record."""

    fields: dict[str, FieldState] = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    form_id: str | None = None  # the form and version evaluated (so a store can reuse it)
    form_version: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class _Check:
    required: bool = False
    valid: bool = True
    code: str | None = None
    params: dict | None = None
    severity: str | None = None


_OK = _Check()


def node_text(value: object) -> str:
    """The XPath string value of a stored answer."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return num_to_str(value)
    return str(value)


class _Ctx:
    """The evaluation context handed to compiled expressions."""

    __slots__ = ("chain", "current", "engine", "idx", "item", "item_pos", "item_size", "origin")

    def __init__(self, engine: FormEngine) -> None:
        self.engine = engine
        self.current: str | None = None
        self.chain: tuple[str, ...] = ()
        self.idx: tuple[int, ...] = ()
        self.item: Any = None  # the choice being filtered (choice_filter)
        self.item_pos = 0
        self.item_size = 0
        self.origin: Key | None = None  # the field being evaluated (what current() means)

    # -- record nodes as keys (name, instance index); (None, ()) is the root ----------------
    def ref_keys(self, name: str) -> list[Key]:
        """The nodes ``${name}`` selects from here (one instance, or all of a repeat's)."""
        eng = self.engine
        node = eng.plan.nodes.get(name)
        if node is None:
            return []
        target = node.chain
        chain, idx = self.chain, self.idx
        p = 0
        limit = min(len(target), len(chain))
        while p < limit and target[p] == chain[p]:
            p += 1
        prefix = idx[:p]
        if p == len(target):
            key = (name, prefix)
            return [key] if key in eng.rel or node.q.is_group else []
        return [(name, i) for i in eng.expand(target, prefix)]

    def child_keys(self, key: Key, name: str | None) -> list[Key]:
        eng = self.engine
        parent, idx = key
        if parent is None:
            children = eng.form.children
        else:
            node = eng.plan.nodes.get(parent)
            if node is None or not (node.q.is_group or node.q.is_repeat):
                return []
            children = node.q.children
        out: list[Key] = []
        for q in children:
            if name is not None and name != q.name and name != q.extra.get("xlsform_name"):
                continue
            if q.is_repeat:
                n = eng.counts.get((q.name, idx), 0)
                out.extend((q.name, (*idx, i)) for i in range(1, n + 1))
            else:
                out.append((q.name, idx))
        return out

    def parent_key(self, key: NodeKey) -> NodeKey | None:
        name, idx = key
        if name is None:
            return None
        node = self.engine.plan.nodes.get(name)
        parent = node.parent if node is not None else None
        if parent is None:
            return (None, ())
        return (parent, idx[: len(self.engine.plan.nodes[parent].chain)])

    def key_text(self, key: NodeKey) -> str:
        return self.engine.text.get(key, "") if key[0] is not None else ""

    def focus(self, key: NodeKey) -> None:
        """Make ``key`` the context node (for predicates)."""
        name, idx = key
        node = self.engine.plan.nodes.get(name) if name is not None else None
        self.current = name
        self.chain = node.chain if node is not None else ()
        self.idx = idx

    def current_key(self) -> NodeKey:
        if self.current is None:
            return (None, ())
        node = self.engine.plan.nodes.get(self.current)
        depth = len(node.chain) if node is not None else 0
        return (self.current, self.idx[:depth])

    def origin_key(self) -> NodeKey:
        return self.origin if self.origin is not None else self.current_key()

    def saved_text(self) -> str:
        """The current field's value as once() sees it: computed, or as stored in the record
        (a reopened record keeps what once() gave when it was first filled in)."""
        key = self.current_key()
        text = self.engine.text.get(key, "")
        return text if text != "" else node_text(self.engine.answers.get(key))

    def nodes(self, name: str) -> NodeSet:
        eng = self.engine
        node = eng.plan.nodes.get(name)
        if node is None:
            return NodeSet()
        target = node.chain
        if not target:
            return NodeSet((eng.text.get((name, ()), ""),))
        chain, idx = self.chain, self.idx
        p = 0
        limit = min(len(target), len(chain))
        while p < limit and target[p] == chain[p]:
            p += 1
        prefix = idx[:p]
        if p == len(target):
            key = (name, prefix)
            return NodeSet((eng.text.get(key, ""),)) if key in eng.rel else NodeSet()
        return NodeSet(eng.text.get((name, i), "") for i in eng.expand(target, prefix))

    def position(self) -> float:
        return float(self.idx[-1]) if self.idx else 1.0

    def instance(self, list_id: str) -> NodeSet:
        doc = instance_document(self.engine.plan, list_id)
        return NodeSet([doc]) if doc is not None else NodeSet()

    def choice_label(self, name: str, value: str) -> str:
        q = self.engine.form.get(name)
        if q is None or not q.list_name:
            return ""
        cl = self.engine.form.choice_lists.get(q.list_name)
        choice = cl.get(value) if cl else None
        return choice.label() if choice else ""

    def indexed(self, name: str, pairs: list[tuple[str, int]]) -> NodeSet:
        eng = self.engine
        node = eng.plan.nodes.get(name)
        if node is None:
            return NodeSet()
        chosen = dict(pairs)
        idx: list[int] = []
        for i, repeat in enumerate(node.chain):
            if repeat in chosen:
                idx.append(chosen[repeat])
            elif i < len(self.chain) and self.chain[i] == repeat:
                idx.append(self.idx[i])
            else:
                return NodeSet()
        key = (name, tuple(idx))
        return NodeSet((eng.text.get(key, ""),)) if key in eng.rel else NodeSet()

    def today(self) -> date:
        return self.engine.today

    def now(self) -> datetime:
        return self.engine.now or datetime.now().astimezone()

    def previous(self, name: str) -> str:
        """The previous period's value of ``name`` for this unit (and key), or ''."""
        return node_text(self.engine.previous_values().get(name))


class FormEngine:
    """One record of ``form`` being filled in, evaluated incrementally."""

    def __init__(
        self,
        form: Form,
        answers: dict | None = None,
        *,
        today: date | None = None,
        now: datetime | None = None,
        previous: Previous | None = None,
    ) -> None:
        self.form = form
        self.plan: Plan = build_plan(form)[0]
        self.today = today or date.today()
        self.now = now
        self._previous = previous
        self._previous_cache: dict[tuple, Mapping[str, object]] = {}
        self.answers: dict[NodeKey, object] = {}
        self.bad: dict[Key, tuple[str, dict, object]] = {}  # answers that could not be typed
        self.counts: dict[tuple[str, tuple[int, ...]], int] = {}
        self.fixed_counts: set[tuple[str, tuple[int, ...]]] = set()
        self.rel: dict[Key, bool] = {}
        self.val: dict[Key, object] = {}
        self.text: dict[NodeKey, str] = {}
        self.checks: dict[Key, _Check] = {}
        self.created: set[Key] = set()
        self._ctx = _Ctx(self)
        self._triggered: set[str] = set()
        self._metadata()
        if answers:
            self._load(answers, (), ())
        for name in self.plan.order:
            self._value_phase(name)
        for name in self.plan.order:
            self._check_phase(name)

    # -- previous period ---------------------------------------------------------------------
    def previous_values(self) -> Mapping[str, object]:
        """The same unit's answers for the previous period, for the current ``kexie::key``
        values (asked once per key from the ``previous`` provider; {} when there is none)."""
        source = self._previous
        if source is None:
            return {}
        if isinstance(source, Mapping):
            return source
        key = {name: self.val.get((name, ())) for name in self.form.report_key}
        ident = tuple(sorted((k, node_text(v)) for k, v in key.items()))
        cached = self._previous_cache.get(ident)
        if cached is None:
            try:
                cached = source(key) or {}
            except Exception:  # a lookup that fails must not stop data entry: no comparison
                cached = {}
            self._previous_cache[ident] = cached
        return cached

    # -- instances -------------------------------------------------------------------------
    def expand(self, chain: tuple[str, ...], prefix: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Every instance index under ``prefix`` for a node inside ``chain``."""
        idxs = [prefix]
        for repeat in chain[len(prefix) :]:
            nxt: list[tuple[int, ...]] = []
            for p in idxs:
                n = self.counts.get((repeat, p), 0)
                nxt.extend((*p, i) for i in range(1, n + 1))
            idxs = nxt
        return idxs

    def instances(self, name: str) -> list[tuple[int, ...]]:
        return self.expand(self.plan.nodes[name].chain, ())

    def key_str(self, key: Key) -> str:
        name, idx = key
        node = self.plan.nodes[name]
        parts = [f"{r}[{i}]" for r, i in zip(node.chain, idx, strict=False)]
        if not node.q.is_repeat:
            parts.append(name)
        return "/".join(parts)

    def parse_key(self, text: str) -> Key:
        """``household[2]/age`` → ("age", (2,)); a plain name → (name, ())."""
        parts = text.strip().split("/")
        idx: list[int] = []
        name = parts[-1]
        for part in parts:
            m = _KEY_PART.match(part)
            if m:
                idx.append(int(m[2]))
                name = m[1]
            else:
                name = part
        if name not in self.plan.nodes:
            raise ValidationError(
                "forms.value.unknown_field", location=Location(field=text), name=text
            )
        return name, tuple(idx)

    # -- loading answers -------------------------------------------------------------------
    def _metadata(self) -> None:
        stamp = (self.now or datetime.now().astimezone()).isoformat(timespec="milliseconds")
        for name, node in self.plan.nodes.items():
            kind = node.q.type
            if node.chain:
                continue
            if kind in ("start", "end"):
                self.answers[(name, ())] = stamp
            elif kind == "today":
                self.answers[(name, ())] = self.today.isoformat()

    def _load(self, answers: dict, chain: tuple[str, ...], idx: tuple[int, ...]) -> None:
        for raw_name, value in answers.items():
            name = raw_name
            if "/" in raw_name or "[" in raw_name:
                name, key_idx = self.parse_key(raw_name)
                chain = self.plan.nodes[name].chain
                for depth, repeat in enumerate(chain[: len(key_idx)]):
                    count_key = (repeat, key_idx[:depth])
                    self.counts[count_key] = max(self.counts.get(count_key, 0), key_idx[depth])
                if not self.plan.nodes[name].q.is_repeat:
                    self._store((name, key_idx), value)
                continue
            node = self.plan.nodes.get(name)
            if node is None:
                continue
            if node.q.is_repeat:
                items = value if isinstance(value, list) else []
                count_key = (name, idx)
                self.counts[count_key] = len(items)
                self.fixed_counts.add(count_key)
                for i, item in enumerate(items, start=1):
                    if isinstance(item, dict):
                        self._load(item, node.chain, (*idx, i))
            else:
                self._store((name, idx[: len(node.chain)]), value)

    def _store(self, key: Key, value: object) -> None:
        q = self.plan.nodes[key[0]].q
        try:
            typed = coerce_answer(q, value)
        except ValidationError as exc:
            self.bad[key] = (exc.code, dict(exc.params), value)
            self.answers.pop(key, None)
            return
        self.bad.pop(key, None)
        self.answers[key] = typed

    # -- evaluation ------------------------------------------------------------------------
    def _eval(self, compiled, name: str, chain: tuple[str, ...], idx: tuple[int, ...]) -> object:
        ctx = self._ctx
        ctx.current, ctx.chain, ctx.idx = name, chain, idx
        ctx.origin = (name, idx)
        try:
            return compiled.fn(ctx)
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            return ""

    def _value_phase(self, name: str) -> None:
        node = self.plan.nodes[name]
        if node.q.is_repeat:
            self._repeat_phase(name)
        else:
            self._field_phase(node, name)
        for again in self.plan.rerun.get(name, ()):
            self._value_phase(again)

    def _field_phase(self, node, name: str) -> None:
        rel_expr = node.exprs.get("relevant")
        calc = node.exprs.get("calculation")
        chain = node.chain
        parent = node.parent
        parent_chain_len = len(self.plan.nodes[parent].chain) if parent else 0
        trigger = node.q.extra.get("_trigger")
        for idx in self.expand(chain, ()):
            key = (name, idx)
            ok = self.rel.get((parent, idx[:parent_chain_len]), True) if parent else True
            if ok and rel_expr is not None:
                ok = to_bool(self._eval(rel_expr, name, chain, idx))
            self.rel[key] = ok
            if key not in self.created:
                self.created.add(key)
                if key not in self.answers and key not in self.bad:
                    self._apply_default(node, key)
            if calc is not None and not trigger:
                value = (
                    self._convert(node.q.type, self._eval(calc, name, chain, idx)) if ok else None
                )
            else:
                if calc is not None and trigger in self._triggered and ok:
                    self.answers[key] = self._convert(
                        node.q.type, self._eval(calc, name, chain, idx)
                    )
                value = self.answers.get(key) if ok else None
            self.val[key] = value
            self.text[key] = node_text(value)

    def _apply_default(self, node, key: Key) -> None:
        if node.default_literal is not None:
            with contextlib.suppress(ValidationError):
                self.answers[key] = coerce_answer(node.q, node.default_literal)
        elif "default" in node.exprs:
            result = self._eval(node.exprs["default"], key[0], node.chain, key[1])
            value = self._convert(node.q.type, result)
            if value is not None:
                with contextlib.suppress(ValidationError):
                    self.answers[key] = coerce_answer(node.q, value)

    def _repeat_phase(self, name: str) -> None:
        node = self.plan.nodes[name]
        chain = node.chain
        parent_chain = chain[:-1]
        count_expr = node.exprs.get("repeat_count")
        rel_expr = node.exprs.get("relevant")
        parent = node.parent
        parent_chain_len = len(self.plan.nodes[parent].chain) if parent else 0
        for p in self.expand(parent_chain, ()):
            count_key = (name, p)
            if count_expr is not None:
                raw = to_num(self._eval(count_expr, name, parent_chain, p))
                wanted = 0 if raw != raw or raw < 0 else min(int(raw), _MAX_REPEATS)
                current = self.counts.get(count_key, 0)
                if wanted < current:
                    self._drop_instances(name, p, wanted)
                self.counts[count_key] = wanted
            for i in range(1, self.counts.get(count_key, 0) + 1):
                idx = (*p, i)
                key = (name, idx)
                ok = self.rel.get((parent, idx[:parent_chain_len]), True) if parent else True
                if ok and rel_expr is not None:
                    ok = to_bool(self._eval(rel_expr, name, chain, idx))
                self.rel[key] = ok
                self.val[key] = None
                self.text[key] = ""

    def _drop_instances(self, repeat: str, prefix: tuple[int, ...], keep: int) -> None:
        depth = len(prefix)
        node = self.plan.nodes[repeat]
        inside = {
            n
            for n, nd in self.plan.nodes.items()
            if len(nd.chain) > depth and nd.chain[: depth + 1] == node.chain
        }

        def gone(key: NodeKey) -> bool:
            return key[0] in inside and key[1][:depth] == prefix and key[1][depth] > keep

        stores: tuple[dict[Any, Any], ...] = (
            self.answers,
            self.bad,
            self.rel,
            self.val,
            self.text,
            self.checks,
        )
        for store in stores:
            for key in [k for k in store if gone(k)]:
                del store[key]
        self.created = {k for k in self.created if not gone(k)}
        for ck in [
            k
            for k in self.counts
            if k[0] in inside
            and k[0] != repeat
            and k[1][:depth] == prefix
            and len(k[1]) > depth
            and k[1][depth] > keep
        ]:
            del self.counts[ck]

    @staticmethod
    def _convert(kind: str, result: object) -> object:
        """A calculation's result as the stored value of a field of type ``kind``."""
        if isinstance(result, NodeSet):
            result = to_str(result)
        if kind == "integer":
            x = to_num(result)
            return int(x) if x == x and not math.isinf(x) else None
        if kind in ("decimal", "range"):
            x = to_num(result)
            return x if x == x and not math.isinf(x) else None
        if kind == "date":
            d = to_date(result)
            if d is None:
                return None
            return (d.date() if isinstance(d, datetime) else d).isoformat()
        if isinstance(result, bool):
            return "true" if result else "false"
        if isinstance(result, float | int):
            if result != result or math.isinf(result):
                return None
            return int(result) if float(result).is_integer() else float(result)
        if isinstance(result, datetime):
            return result.isoformat(timespec="milliseconds")
        if isinstance(result, date):
            return result.isoformat()
        text = to_str(result)
        return text if text != "" else None

    def _check_phase(self, name: str) -> None:
        node = self.plan.nodes[name]
        q = node.q
        if not q.stores_value:
            for idx in self.expand(node.chain, ()):
                self.checks[(name, idx)] = _OK
            return
        req_expr = node.exprs.get("required")
        cons = node.exprs.get("constraint")
        for idx in self.expand(node.chain, ()):
            key = (name, idx)
            if not self.rel.get(key, True):
                self.checks[key] = _OK
                continue
            required = bool(
                req_expr is not None and to_bool(self._eval(req_expr, name, node.chain, idx))
            )
            bad = self.bad.get(key)
            if bad is not None:
                self.checks[key] = _Check(required, False, bad[0], bad[1], "error")
                continue
            value = self.val.get(key)
            empty = value is None or value == ""
            if empty:
                if required:
                    msg = q.required_messages
                    self.checks[key] = _Check(
                        True,
                        False,
                        "forms.value.custom" if msg else "forms.value.required",
                        {"texts": msg} if msg else {},
                        "error",
                    )
                else:
                    self.checks[key] = _Check(required)
                continue
            result = self._type_check(q, value, required)
            if result.valid and q.of:
                total = to_num(self._ctx_nodes(q.of, name, node.chain, idx))
                part = to_num(value)
                if total == total and part == part and part > total:
                    result = _Check(
                        required,
                        False,
                        "forms.value.of_exceeds",
                        {
                            "part": q.name,
                            "total": q.of,
                            "part_value": node_text(value),
                            "total_value": num_to_str(total),
                        },
                        "error",
                    )
            if (
                result.valid
                and cons is not None
                and not to_bool(self._eval(cons, name, node.chain, idx))
            ):
                msg = q.constraint_messages
                severity = q.severity if q.severity in ("error", "warning") else "error"
                result = _Check(
                    required,
                    False,
                    "forms.value.custom" if msg else "forms.value.constraint",
                    {"texts": msg} if msg else {},
                    severity,
                )
            self.checks[key] = result

    def _type_check(self, q, value: object, required: bool) -> _Check:
        """An answer outside its choice list or range."""
        if q.type in ("select_one", "select_multiple") and q.list_name:
            names = self._choice_names(q.list_name)
            if names:
                given = [str(value)] if q.type == "select_one" else str(value).split()
                for choice in given:
                    if choice not in names and not (q.or_other and choice == "other"):
                        return _Check(
                            required, False, "forms.value.not_choice", {"value": choice}, "error"
                        )
        elif q.type == "range":
            start = _param_number(q.parameters.get("start"), 1.0)
            end = _param_number(q.parameters.get("end"), 10.0)
            low, high = min(start, end), max(start, end)
            x = to_num(value)
            if x == x and not low <= x <= high:
                return _Check(
                    required,
                    False,
                    "forms.value.out_of_range",
                    {"value": node_text(value), "start": num_to_str(low), "end": num_to_str(high)},
                    "error",
                )
        return _Check(required)

    def _choice_names(self, list_name: str) -> frozenset[str]:
        cache = self.plan.__dict__.setdefault("_choice_names", {})
        names = cache.get(list_name)
        if names is None:
            cl = self.form.choice_lists.get(list_name)
            names = frozenset(c.name for c in cl.choices) if cl else frozenset()
            cache[list_name] = names
        return names

    def _ctx_nodes(
        self, target: str, name: str, chain: tuple[str, ...], idx: tuple[int, ...]
    ) -> NodeSet:
        ctx = self._ctx
        ctx.current, ctx.chain, ctx.idx = name, chain, idx
        ctx.origin = (name, idx)
        return ctx.nodes(target)

    # -- public API ------------------------------------------------------------------------
    def set_answer(self, name: str, value: object) -> set[str]:
        """Answer ``name`` (or ``repeat[i]/name``; a repeat takes a list of dicts) and
        re-evaluate what depends on it. Returns the state keys whose state changed."""
        key = self.parse_key(name)
        field_name, idx = key
        node = self.plan.nodes[field_name]
        if node.q.is_repeat:
            parent_idx = idx[: len(node.chain) - 1]
            items = value if isinstance(value, list) else []
            count_key = (field_name, parent_idx)
            if len(items) < self.counts.get(count_key, 0):
                self._drop_instances(field_name, parent_idx, len(items))
            self.counts[count_key] = len(items)
            self.fixed_counts.add(count_key)
            for i, item in enumerate(items, start=1):
                if isinstance(item, dict):
                    self._load(item, node.chain, (*parent_idx, i))
        else:
            if len(idx) != len(node.chain):
                raise ValidationError(
                    "forms.value.unknown_field", location=Location(field=name), name=name
                )
            self._store(key, value)
        return self._recompute(field_name)

    def add_instance(self, repeat: str, parent: tuple[int, ...] = ()) -> set[str]:
        """Append one instance to ``repeat`` (defaults applied); returns changed state keys."""
        count_key = (repeat, parent)
        self.counts[count_key] = self.counts.get(count_key, 0) + 1
        return self._recompute(repeat)

    def remove_instance(self, repeat: str, index: int, parent: tuple[int, ...] = ()) -> set[str]:
        """Remove instance ``index`` (1-based) of ``repeat``, shifting later ones down."""
        count_key = (repeat, parent)
        n = self.counts.get(count_key, 0)
        if not 1 <= index <= n:
            return set()
        depth = len(parent)
        node = self.plan.nodes[repeat]
        inside = {nm for nm, nd in self.plan.nodes.items() if nd.chain[: depth + 1] == node.chain}

        def shifted(idx: tuple[int, ...]) -> tuple[int, ...] | None:
            """Where an instance index goes: None for the removed instance."""
            if len(idx) <= depth or idx[:depth] != parent or idx[depth] < index:
                return idx
            if idx[depth] == index:
                return None
            return (*idx[:depth], idx[depth] - 1, *idx[depth + 1 :])

        stores: tuple[dict, ...] = (self.answers, self.bad)
        for store in stores:
            items = list(store.items())
            store.clear()
            for (nm, idx), v in items:
                target = shifted(idx) if nm in inside else idx
                if target is not None:
                    store[(nm, target)] = v
        counts = list(self.counts.items())
        self.counts.clear()
        for (nm, idx), v in counts:
            target = shifted(idx) if nm in inside and nm != repeat else idx
            if target is not None:
                self.counts[(nm, target)] = v
        self._drop_instances(repeat, parent, n - 1)
        self.counts[count_key] = n - 1
        return self._recompute(repeat)

    def _recompute(self, name: str) -> set[str]:
        plan = self.plan
        affected = plan.closure(name)
        check_names: set[str] = set(affected)
        for n in affected:
            check_names |= plan.check_dependents.get(n, set())
        before = {k: self._snapshot(k) for n in check_names for k in self._keys_of(n)}
        self._triggered = {name}
        try:
            for n in affected:
                self._value_phase(n)
        finally:
            self._triggered = set()
        ordered = sorted(check_names, key=plan._position)
        for n in ordered:
            self._check_phase(n)
        changed: set[str] = set()
        for n in ordered:
            for k in self._keys_of(n):
                if before.pop(k, None) != self._snapshot(k):
                    changed.add(self.key_str(k))
        for k in before:  # instances that disappeared
            changed.add(self.key_str(k))
        return changed

    def _keys_of(self, name: str) -> list[Key]:
        return [(name, idx) for idx in self.expand(self.plan.nodes[name].chain, ())]

    def _snapshot(self, key: Key) -> tuple:
        check = self.checks.get(key, _OK)
        return (
            self.rel.get(key, True),
            self._shown_value(key),
            check.required,
            check.valid,
            check.code,
            repr(check.params),
            check.severity,
        )

    def _shown_value(self, key: Key) -> object:
        bad = self.bad.get(key)
        if bad is not None and self.rel.get(key, True):
            return bad[2]
        return self.val.get(key)

    def state(self, name: str) -> FieldState:
        """The state of ``name`` (a state key, see the module docstring). A repeated field named
        without an instance gives its first instance's state (not relevant when there is none)."""
        key = self.parse_key(name)
        if key in self.rel:
            return self._state(key)
        node = self.plan.nodes[key[0]]
        if key[1] and len(key[1]) == len(node.chain):
            raise ValidationError(
                "forms.value.unknown_field", location=Location(field=name), name=name
            )
        # A field inside a repeat named without an instance: the first instance stands for
        # it; with no instance at all it is not shown.
        for idx in self.expand(node.chain, key[1]):
            return self._state((key[0], idx))
        return FieldState(relevant=False)

    def _state(self, key: Key) -> FieldState:
        check = self.checks.get(key, _OK)
        return FieldState(
            relevant=self.rel.get(key, True),
            required=check.required,
            valid=check.valid,
            value=self._shown_value(key),
            message=self._message(key, check),
            severity=check.severity if not check.valid else None,
        )

    def _message(self, key: Key, check: _Check) -> str | None:
        if check.valid or check.code is None:
            return None
        params = dict(check.params or {})
        if check.code == "forms.value.custom":
            from forms.model import pick_text

            return pick_text(params.get("texts", {}), None)
        if check.code == "forms.value.of_exceeds":
            params["part"] = self.form.question(params["part"]).label()
            params["total"] = self.form.question(params["total"]).label()
        return tr(check.code, **params)

    def render(self, name: str, column: str = "label", lang: str | None = None) -> str:
        """A question's label/hint/unit with ``${x}`` replaced by current answers (as ODK
        shows them), for ``name`` or ``repeat[i]/name``."""
        from forms.model import pick_text

        key = self.parse_key(name)
        node = self.plan.nodes[key[0]]
        texts = {"label": node.q.labels, "hint": node.q.hints, "unit": node.q.units}.get(column, {})
        text = pick_text(texts, lang) if texts else ""
        if "${" not in text:
            return text or (node.q.name if column == "label" else "")
        idx = key[1] if len(key[1]) == len(node.chain) else ()

        def value(m: re.Match[str]) -> str:
            ref = m.group(1)
            if ref not in self.plan.nodes:
                return m.group(0)
            return to_str(self._ctx_nodes(ref, key[0], node.chain, idx))

        return _REF.sub(value, text)

    def choices(self, name: str) -> list[Choice]:
        """The choices of select ``name`` (or ``repeat[i]/name``) that pass its choice filter now."""
        key = self.parse_key(name)
        q = self.plan.nodes[key[0]].q
        cl = self.form.choice_lists.get(q.list_name or "")
        if cl is None:
            return []
        expr = self.plan.nodes[key[0]].exprs.get("choice_filter")
        if expr is None:
            return list(cl.choices)
        ctx = self._ctx
        ctx.current, ctx.chain, ctx.idx = key[0], self.plan.nodes[key[0]].chain, key[1]
        ctx.origin = (key[0], key[1])
        kept: list[Choice] = []
        size = len(cl.choices)
        try:
            for i, choice in enumerate(cl.choices, start=1):
                ctx.item, ctx.item_pos, ctx.item_size = choice_item(choice), i, size
                try:
                    ok = to_bool(expr.fn(ctx))
                except (ArithmeticError, ValueError, TypeError):
                    ok = False
                if ok:
                    kept.append(choice)
        finally:
            ctx.item, ctx.item_pos, ctx.item_size = None, 0, 0
        return kept

    def evaluation(self) -> Evaluation:
        """Every field's state, the cleaned values and the problems of the record."""
        result = Evaluation(form_id=self.form.form_id, form_version=self.form.version)
        for name in self.plan.order:
            for idx in self.expand(self.plan.nodes[name].chain, ()):
                key = (name, idx)
                state = self._state(key)
                text_key = self.key_str(key)
                result.fields[text_key] = state
                if not state.valid:
                    check = self.checks[key]
                    code, params = check.code or "forms.value.constraint", dict(check.params or {})
                    if code == "forms.value.custom":
                        params = {"text": state.message}
                    elif code == "forms.value.of_exceeds":
                        params["part"] = self.form.question(params["part"]).label()
                        params["total"] = self.form.question(params["total"]).label()
                    result.problems.append(
                        Problem(code, params, Location(field=text_key), state.severity or "error")
                    )
        result.values = self._values(self.form.children, ())
        return result

    def _values(self, items, idx: tuple[int, ...]) -> dict:
        out: dict = {}
        for q in items:
            if q.is_group:
                out.update(self._values(q.children, idx))
            elif q.is_repeat:
                n = self.counts.get((q.name, idx), 0)
                rows = []
                for i in range(1, n + 1):
                    inner = (*idx, i)
                    row = self._values(q.children, inner)
                    if not self.rel.get((q.name, inner), True):
                        row = dict.fromkeys(row)
                    rows.append(row)
                out[q.name] = rows
            elif q.stores_value:
                out[q.name] = self.val.get((q.name, idx))
        return out


def _param_number(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default


def evaluate(
    form: Form,
    answers: dict | None = None,
    *,
    today: date | None = None,
    previous: Previous | None = None,
) -> Evaluation:
    """Evaluate one record of ``form`` with ``answers`` (repeats as lists of dicts);
    ``previous``: the previous period's answers or a lookup (see :class:`FormEngine`)."""
    return FormEngine(form, answers, today=today, previous=previous).evaluation()
