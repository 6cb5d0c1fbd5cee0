"""Compile a syntax tree once into a Python closure ``fn(ctx) -> value``.

References are resolved at compile time against the form (``${name}``, ``.``, ``..``, ``../x``,
``/data/group/x``) so evaluation is a chain of plain function calls; the set of fields an
expression reads (``refs``) feeds the engine's dependency graph.

The evaluation context (``ctx``) is supplied by the engine; it answers ``nodes(name)`` (the node
set of a field as seen from the current repeat instance), ``position()``, ``instance(id)``,
``choice_label(field, value)``, ``indexed(name, pairs)``, ``today()``, ``now()`` and
``current`` (the field being evaluated), and carries ``item``/``item_pos``/``item_size`` while a
predicate or choice filter looks at one choice.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Protocol, cast

from forms.expr import ast
from forms.expr.functions import (
    DEGRADED,
    FUNCTIONS,
    SPECIAL,
    VENDOR,
    decimal_date_time,
    decimal_time,
)
from forms.expr.parser import parse
from forms.expr.values import (
    NAN,
    NodeSet,
    compare,
    equals,
    not_equals,
    to_bool,
    to_num,
    to_str,
    unpack,
)
from i18n.errors import ExpressionError


class EvalContext(Protocol):
    """What compiled expressions ask of the record they are evaluated against. Two kinds
    provide it: the form engine's context (``forms.engine._Ctx``) and a plain mapping of
    values (``forms.expr.MapContext``)."""

    current: str | None
    chain: tuple[str, ...]  # the repeats around the current node
    idx: tuple[int, ...]  # and its instance numbers in them
    item: Any  # the choice being filtered (choice_filter), or None
    item_pos: int
    item_size: int

    def nodes(self, name: str) -> NodeSet: ...
    def ref_keys(self, name: str) -> list[Any]: ...
    def child_keys(self, key: Any, name: str | None) -> list[Any]: ...
    def parent_key(self, key: Any) -> Any: ...
    def key_text(self, key: Any) -> str: ...
    def focus(self, key: Any) -> None: ...
    def current_key(self) -> Any: ...
    def origin_key(self) -> Any: ...
    def saved_text(self) -> str: ...
    def position(self) -> float: ...
    def instance(self, list_id: str) -> NodeSet: ...
    def choice_label(self, name: str, value: str) -> str: ...
    def indexed(self, name: str, pairs: list[tuple[str, int]]) -> NodeSet: ...
    def today(self) -> date: ...
    def now(self) -> datetime: ...
    def previous(self, name: str) -> str: ...


Fn = Callable[[EvalContext], object]


@dataclass
class Scope:
    """What the compiler knows of the form around one expression.

    ``names`` is None for free-standing expressions (tests, the CLI calculator): then every
    ``${name}`` is accepted. ``parent`` maps a question/group name to its enclosing group.
    """

    names: set[str] | frozenset[str] | None = None
    parent: dict[str, str | None] = field(default_factory=dict)
    lists: set[str] | frozenset[str] | None = None  # choice lists usable with instance()
    list_of: dict[str, str] = field(default_factory=dict)  # select question -> its list
    # (group, name as written) -> field name
    child_of: dict[tuple[str | None, str], str] = field(default_factory=dict)
    repeats: frozenset[str] | None = None  # names of repeats (None: not known)
    in_repeat: dict[str, bool] = field(default_factory=dict)  # field -> inside a repeat
    report_key: tuple[str, ...] = ()  # kexie::key questions (kexie:previous depends on them)
    current: str | None = None
    item_mode: bool = False  # bare names refer to a choice's columns (choice_filter)


@dataclass
class Compiled:
    """An expression ready to run, with what it reads and what it could not support."""

    text: str
    fn: Fn
    refs: frozenset[str]
    uses_time: bool = False
    uses_previous: bool = False  # reads kexie:previous()
    vendor: tuple[str, ...] = ()  # tier-3 functions: the expression is refused (evaluates to "")
    degraded: tuple[str, ...] = ()  # tier-2 functions that only approximate offline
    unknown_paths: tuple[str, ...] = ()  # absolute/relative paths naming no field

    def __call__(self, ctx: EvalContext) -> object:
        return self.fn(ctx)


def _const(value: object) -> Fn:
    return lambda ctx: value


class _Compiler:
    def __init__(self, text: str, scope: Scope) -> None:
        self.text = text
        self.scope = scope
        self.refs: set[str] = set()
        self.uses_time = False
        self.uses_previous = False
        self.vendor: list[str] = []
        self.degraded: list[str] = []
        self.unknown_paths: list[str] = []

    def error(self, code: str, node: ast.Node, **params: Any) -> ExpressionError:
        pos = node.pos
        near = self.text[pos : pos + 12]
        return ExpressionError(code, expr=self.text, pos=pos + 1, near=near, **params)

    # -- dispatch --------------------------------------------------------------------------
    def compile(self, node: ast.Node, item: bool) -> Fn:
        if isinstance(node, ast.Literal):
            return _const(node.value)
        if isinstance(node, ast.Number):
            return _const(node.value)
        if isinstance(node, ast.Ref):
            return self.ref(node)
        if isinstance(node, ast.Binary):
            return self.binary(node, item)
        if isinstance(node, ast.Negate):
            inner = self.compile(node.operand, item)
            return lambda ctx: -to_num(inner(ctx))
        if isinstance(node, ast.Call):
            return self.call(node, item)
        if isinstance(node, ast.Path):
            return self.path(node, item)
        if isinstance(node, ast.Group):
            return self.compile(node.inner, item)
        if isinstance(node, ast.Filter):
            if isinstance(node.primary, ast.Ref):  # ${name}[...] is always the record's
                return self.form_path(node)
            base = self.compile(node.primary, item)
            preds = [self.compile(p, True) for p in node.predicates]
            return lambda ctx: _filter(ctx, _as_nodes(base(ctx)), preds)
        raise self.error("forms.expr.unexpected", node, token="?")

    def ref(self, node: ast.Ref) -> Fn:
        name = node.name
        names = self.scope.names
        if names is not None and name not in names:
            close = difflib.get_close_matches(name, list(names), n=1)
            if close:
                raise self.error(
                    "forms.expr.unknown_ref_suggest", node, name=name, suggestion=close[0]
                )
            raise self.error("forms.expr.unknown_ref", node, name=name)
        self.refs.add(name)
        return lambda ctx: ctx.nodes(name)

    def binary(self, node: ast.Binary, item: bool) -> Fn:
        left = self.compile(node.left, item)
        right = self.compile(node.right, item)
        op = node.op
        if op == "or":
            return lambda ctx: to_bool(left(ctx)) or to_bool(right(ctx))
        if op == "and":
            return lambda ctx: to_bool(left(ctx)) and to_bool(right(ctx))
        if op == "=":
            return lambda ctx: equals(left(ctx), right(ctx))
        if op == "!=":
            return lambda ctx: not_equals(left(ctx), right(ctx))
        if op in ("<", "<=", ">", ">="):
            return lambda ctx: compare(op, left(ctx), right(ctx))
        if op == "+":
            return lambda ctx: to_num(left(ctx)) + to_num(right(ctx))
        if op == "-":
            return lambda ctx: to_num(left(ctx)) - to_num(right(ctx))
        if op == "*":
            return lambda ctx: _mul(to_num(left(ctx)), to_num(right(ctx)))
        if op == "div":
            return lambda ctx: _div(to_num(left(ctx)), to_num(right(ctx)))
        if op == "mod":
            return lambda ctx: _mod(to_num(left(ctx)), to_num(right(ctx)))
        if op == "|":
            return lambda ctx: NodeSet(_as_nodes(left(ctx)) + _as_nodes(right(ctx)))
        raise self.error("forms.expr.unexpected", node, token=op)

    # -- functions -------------------------------------------------------------------------
    def call(self, node: ast.Call, item: bool) -> Fn:
        name = node.name
        argc = len(node.args)
        if name in VENDOR or name.startswith("cht:"):
            self.vendor.append(name)
            return _const("")
        if name in FUNCTIONS and not (name in SPECIAL and argc < FUNCTIONS[name][1]):
            fn, lo, hi = FUNCTIONS[name]
        elif name in SPECIAL:
            fn = None
            lo, hi = SPECIAL[name]
        else:
            known = sorted(set(FUNCTIONS) | set(SPECIAL))
            close = difflib.get_close_matches(name, known, n=1)
            if close:
                raise self.error(
                    "forms.expr.unknown_function_suggest", node, name=name, suggestion=close[0]
                )
            raise self.error("forms.expr.unknown_function", node, name=name)
        if argc < lo or (hi is not None and argc > hi):
            expected = str(lo) if lo == hi else (f"{lo}+" if hi is None else f"{lo}-{hi}")
            raise self.error("forms.expr.arity", node, name=name, expected=expected, got=argc)
        if name in DEGRADED:
            self.degraded.append(name)
        if fn is not None:
            args = [self.compile(a, item) for a in node.args]
            if name == "position" and not args:
                return lambda ctx: float(ctx.item_pos) if ctx.item is not None else ctx.position()
            return _apply(cast(Callable, fn), args)
        return self.special(node, item)

    def special(self, node: ast.Call, item: bool) -> Fn:
        name = node.name
        args = node.args
        if name == "if":
            c, a, b = (self.compile(x, item) for x in args)
            return lambda ctx: a(ctx) if to_bool(c(ctx)) else b(ctx)
        if name in ("today", "now"):
            self.uses_time = True
            return (lambda ctx: ctx.today()) if name == "today" else (lambda ctx: ctx.now())
        if name == "position":
            if not args:
                return lambda ctx: float(ctx.item_pos) if ctx.item is not None else ctx.position()
            arg = args[0]
            if isinstance(arg, ast.Path) and arg.start is None and not arg.absolute:
                return lambda ctx: ctx.position()
            inner = self.compile(arg, item)
            return lambda ctx: (inner(ctx), ctx.position())[1]
        if name == "last":
            return lambda ctx: float(ctx.item_size) if ctx.item is not None else 1.0
        if name == "current":
            cur = self.scope.current
            if cur is None:
                return lambda ctx: NodeSet()
            self.refs.add(cur)
            return lambda ctx: NodeSet([ctx.key_text(ctx.origin_key())])
        if name == "once":
            inner = self.compile(args[0], item)

            def once(ctx: EvalContext) -> object:
                existing = ctx.saved_text() if ctx.current else ""
                return existing if existing != "" else inner(ctx)

            return once
        if name == "instance":
            return self.instance(args[0])
        if name == "jr:choice-name":
            return self.choice_name(node, item)
        if name == "indexed-repeat":
            return self.indexed_repeat(node, item)
        if name == "randomize":
            inner = self.compile(args[0], item)
            for extra in args[1:]:
                self.compile(extra, item)
            return inner
        if name == "pulldata":
            for arg in args:
                self.compile(arg, item)
            return _const("")
        if name in ("decimal-date-time", "decimal-time"):
            inner = self.compile(args[0], item)
            convert = decimal_date_time if name == "decimal-date-time" else decimal_time
            return lambda ctx: convert(inner(ctx), _zone(ctx))
        if name in ("normalize-space", "string-length"):  # no argument: the context node
            of_context = cast(Callable, FUNCTIONS[name][0])
            return lambda ctx: of_context(_context_value(ctx))
        if name == "kexie:previous":
            return self.previous(node)
        raise self.error("forms.expr.unknown_function", node, name=name)

    def previous(self, node: ast.Call) -> Fn:
        """``kexie:previous(${x})``: the same unit's value of ``x`` in the previous period (and
        for the same ``kexie::key`` values), from local data; empty when there is none."""
        target = self._field_of(node.args[0])
        names = self.scope.names
        if target is None:
            raise self.error("forms.expr.choice_name_field", node.args[0])
        if names is not None and target not in names:
            raise self.error("forms.expr.unknown_ref", node.args[0], name=target)
        if self.scope.repeats is not None and self.scope.in_repeat.get(target):
            raise self.error("forms.expr.previous_in_repeat", node.args[0], name=target)
        # What it reads is the previous record for the current key, not the field itself.
        self.refs.update(self.scope.report_key)
        self.uses_previous = True
        return lambda ctx: ctx.previous(target)

    def instance(self, arg: ast.Node) -> Fn:
        if not isinstance(arg, ast.Literal):
            raise self.error("forms.expr.instance_literal", arg)
        list_id = arg.value
        lists = self.scope.lists
        if lists is not None and list_id not in lists:
            self.unknown_paths.append(f"instance('{list_id}')")
        return lambda ctx: ctx.instance(list_id)

    def _field_of(self, node: ast.Node) -> str | None:
        """The field named by a ``${name}``/path argument, or a string literal holding one."""
        if isinstance(node, ast.Ref):
            return node.name
        if isinstance(node, ast.Literal):
            text = node.value.strip()
            if text.startswith("${") and text.endswith("}"):
                return text[2:-1].strip()
            return text.rstrip("/").split("/")[-1] or None
        if isinstance(node, ast.Path) and node.steps:
            if node.start is None:
                target = self.resolve_form_path(node)
                if target:
                    return target
            last = node.steps[-1]
            return last.name if last.axis == "child" else self.scope.current
        return None

    def choice_name(self, node: ast.Call, item: bool) -> Fn:
        value = self.compile(node.args[0], item)
        target = self._field_of(node.args[1])
        if target is None:
            raise self.error("forms.expr.choice_name_field", node.args[1])
        names = self.scope.names
        if names is not None and target not in names:
            raise self.error("forms.expr.unknown_ref", node.args[1], name=target)
        return lambda ctx: ctx.choice_label(target, to_str(value(ctx)))

    def indexed_repeat(self, node: ast.Call, item: bool) -> Fn:
        args = node.args
        if len(args) % 2 == 0:
            raise self.error(
                "forms.expr.arity", node, name="indexed-repeat", expected="3, 5, 7", got=len(args)
            )
        target = self._field_of(args[0])
        if target is None:
            raise self.error("forms.expr.choice_name_field", args[0])
        self.compile(args[0], item)  # records the reference
        pairs: list[tuple[str, Fn]] = []
        for i in range(1, len(args), 2):
            repeat = self._field_of(args[i])
            if repeat is None:
                raise self.error("forms.expr.choice_name_field", args[i])
            self.compile(args[i], item)
            pairs.append((repeat, self.compile(args[i + 1], item)))

        def indexed(ctx: EvalContext) -> object:
            chosen = []
            for repeat, index in pairs:
                i = to_num(index(ctx))
                if i != i:
                    return NodeSet()
                chosen.append((repeat, int(i)))
            return ctx.indexed(target, chosen)

        return indexed

    # -- paths -----------------------------------------------------------------------------
    def resolve_form_path(self, node: ast.Path) -> str | None:
        """The field a path without predicates names, resolved through the form structure."""
        scope = self.scope
        names = scope.names
        if node.absolute:
            child_names = [s.name for s in node.steps if s.axis == "child"]
            for name in reversed(child_names[1:]):
                if names is None or name in names:
                    return name
                return None
            return None
        here: str | None = scope.current
        for step in node.steps:
            if step.axis == "self":
                continue
            if step.axis == "parent":
                here = scope.parent.get(here) if here is not None else None
                continue
            if step.axis == "child" and step.name != "*":
                inside = scope.child_of.get((here, step.name))
                if inside is not None:
                    here = inside
                    continue
                if names is None or step.name in names:
                    here = step.name
                    continue
            return None
        return here

    def path(self, node: ast.Path, item: bool) -> Fn:
        start = node.start
        if start is not None:
            if isinstance(start, ast.Call) and start.name == "instance" and not start.args[1:]:
                doc = self.compile(start, item)
                walk = self.steps(node.steps)
                return lambda ctx: walk(ctx, _as_nodes(doc(ctx)))
            if isinstance(start, ast.Call) and start.name == "current":
                return self.form_path(node)
            if isinstance(start, ast.Ref) or (
                isinstance(start, ast.Filter) and isinstance(start.primary, ast.Ref)
            ):
                return self.form_path(node)
            base = self.compile(start, item)
            walk = self.steps(node.steps)
            return lambda ctx: walk(ctx, _as_nodes(base(ctx)))
        if (item or self.scope.item_mode) and not node.absolute:
            walk = self.steps(node.steps)
            return lambda ctx: walk(ctx, [ctx.item] if ctx.item is not None else [])
        if any(s.predicates for s in node.steps) or any(
            s.axis not in ("child", "self", "parent")
            or (s.axis != "child" and s.name)
            or s.name == "text()"
            for s in node.steps
        ):
            return self.form_path(node)
        if not node.steps:  # "/" alone: the whole record
            return _const(NodeSet([""]))
        return self._field_nodes(node, self.resolve_form_path(node))

    # -- paths over the form's own instance (repeats, groups, fields) ----------------------
    def form_path(self, node: ast.Path | ast.Filter) -> Fn:
        """A location path over the record: ``/data/hh[age >= 18]/name``, ``${hh}[2]/age``,
        ``${age}[. > 3]``, ``../member[position() = last()]``, ``current()/../x``.

        Evaluated node by node (XPath 1.0: predicates filter per step, ``position()`` and
        ``last()`` count within the step's nodes after the previous predicates) over the keys
        the context answers: ``ref_keys``, ``child_keys``, ``parent_key``, ``key_text``.
        """
        scope = self.scope
        names = scope.names
        start_kind = "current"  # the node being evaluated
        start_name: str | None = None
        start_preds: tuple[ast.Node, ...] = ()
        steps: tuple[ast.Step, ...] = ()
        here: str | None = scope.current
        if isinstance(node, ast.Filter):  # ${name}[...] (the caller checked: of a ${ref})
            start_kind, start_preds = "ref", node.predicates
            start_name = cast(ast.Ref, node.primary).name
        elif node.start is not None:
            start = node.start
            steps = node.steps
            if isinstance(start, ast.Ref):
                start_kind, start_name = "ref", start.name
            elif isinstance(start, ast.Filter):
                start_kind, start_preds = "ref", start.predicates
                start_name = cast(ast.Ref, start.primary).name
            else:  # current()
                start_kind = "origin"
        else:
            steps = node.steps
            if node.absolute:
                start_kind, here = "root", None
                if steps and steps[0].axis == "child":  # the root element's own name
                    if steps[0].predicates:
                        raise self.error("forms.expr.unsupported_path", node)
                    steps = steps[1:]
        if start_name is not None:
            if names is not None and start_name not in names:
                raise self.error("forms.expr.unknown_ref", node, name=start_name)
            self.refs.add(start_name)
            here = start_name
        compiled_start_preds = self._predicates(start_preds, here)
        plan: list[tuple[str, str, list[Fn]]] = []
        unknown = False
        for step in steps:
            if step.axis == "parent":
                here = scope.parent.get(here) if here is not None else None
            elif step.axis == "child" and step.name not in ("*", "text()"):
                inside = scope.child_of.get((here, step.name))
                if inside is not None:
                    here = inside
                elif names is None or step.name in names:
                    here = step.name
                else:
                    here = None
                    unknown = True
            elif step.axis == "attribute":
                unknown = True
            elif step.axis != "self" or step.name:
                here = None
            if here is not None:
                self.refs.add(here)
            plan.append((step.axis, step.name, self._predicates(step.predicates, here)))
        if unknown:
            self.unknown_paths.append(_path_text(node) if isinstance(node, ast.Path) else "?")
            return _const(NodeSet())

        ref_name = start_name or ""  # set whenever start_kind is "ref"

        def select(ctx: EvalContext) -> NodeSet:
            saved = (ctx.current, ctx.chain, ctx.idx, ctx.item, ctx.item_pos, ctx.item_size)
            try:
                if start_kind == "ref":
                    keys = ctx.ref_keys(ref_name)
                    if compiled_start_preds:
                        # ${age} is /data/hh/age: its predicates count among each parent's
                        # children (XPath), so ${age}[1] is every household's first age.
                        groups: dict = {}
                        for key in keys:
                            groups.setdefault(ctx.parent_key(key), []).append(key)
                        keys = [
                            k
                            for group in groups.values()
                            for k in _key_filter(ctx, group, compiled_start_preds)
                        ]
                elif start_kind == "root":
                    keys = [ROOT]
                elif start_kind == "origin":
                    keys = [ctx.origin_key()]
                else:
                    keys = [ctx.current_key()]
                for axis, name, preds in plan:
                    out: list = []
                    for key in keys:
                        found = _key_axis(ctx, key, axis, name)
                        out.extend(_key_filter(ctx, found, preds) if preds else found)
                    keys = out if len(plan) == 1 else list(dict.fromkeys(out))
                return NodeSet(ctx.key_text(k) for k in keys)
            finally:
                (ctx.current, ctx.chain, ctx.idx, ctx.item, ctx.item_pos, ctx.item_size) = saved

        return select

    def _predicates(self, preds: tuple[ast.Node, ...], here: str | None) -> list[Fn]:
        """Predicates compiled with the step's form node as the context (``.``, ``age``)."""
        if not preds:
            return []
        saved = self.scope.current, self.scope.item_mode
        self.scope.current, self.scope.item_mode = here, False  # names are the record's here
        try:
            return [self.compile(p, False) for p in preds]
        finally:
            self.scope.current, self.scope.item_mode = saved

    def _field_nodes(self, node: ast.Path, target: str | None) -> Fn:
        if target is None:
            # Only "." in a free-standing expression (no current field) lands here validly.
            if node.steps and all(s.axis == "self" for s in node.steps):
                return lambda ctx: ctx.nodes(ctx.current) if ctx.current else NodeSet()
            self.unknown_paths.append(_path_text(node))
            return _const(NodeSet())
        self.refs.add(target)
        return lambda ctx: ctx.nodes(target)

    def steps(self, steps: tuple[ast.Step, ...]) -> Callable[[EvalContext, list], NodeSet]:
        compiled = [(s.axis, s.name, [self.compile(p, True) for p in s.predicates]) for s in steps]

        def walk(ctx: EvalContext, nodes: list) -> NodeSet:
            for axis, name, preds in compiled:
                out: list = []
                if axis == "self" or axis == "descendant-or-self":
                    out = list(nodes)
                elif axis == "child":
                    for n in nodes:
                        if isinstance(n, dict):
                            values = list(n.values()) if name == "*" else [n.get(name)]
                            for v in values:
                                if isinstance(v, list):
                                    out.extend(v)
                                elif v is not None:
                                    out.append(v)
                if preds:
                    out = _filter(ctx, out, preds)
                nodes = out
            return NodeSet(nodes)

        return walk


ROOT: tuple = (None, ())  # the root element of the record


def _zone(ctx: EvalContext) -> tzinfo:
    """The device's time zone: that of the context's ``now()`` (the machine's local zone)."""
    try:
        zone = ctx.now().tzinfo
    except (AttributeError, TypeError, ValueError, OverflowError):
        zone = None
    return zone or datetime.now().astimezone().tzinfo or UTC


def _context_value(ctx: EvalContext) -> str:
    if ctx.current is None:
        return ""
    return to_str(ctx.nodes(ctx.current))


def _key_axis(ctx: EvalContext, key: tuple, axis: str, name: str) -> list:
    """The keys one step reaches from ``key``."""
    if axis == "child":
        if name == "text()":
            return [key] if key[0] is not None else []
        return ctx.child_keys(key, None if name == "*" else name)
    if axis == "self":
        return [key] if not name or key[0] == name else []
    if axis == "parent":
        parent = ctx.parent_key(key)
        return [parent] if parent is not None and (not name or parent[0] == name) else []
    if axis == "descendant-or-self":
        out, todo = [], [key]
        while todo:
            k = todo.pop()
            out.append(k)
            todo.extend(reversed(ctx.child_keys(k, None)))
        return out
    return []


def _key_filter(ctx: EvalContext, keys: list, preds: list[Fn]) -> list:
    """Apply predicates to record nodes, each with the node as context (XPath 1.0)."""
    for pred in preds:
        kept: list = []
        size = len(keys)
        for i, key in enumerate(keys, start=1):
            ctx.focus(key)
            ctx.item, ctx.item_pos, ctx.item_size = True, i, size
            result = pred(ctx)
            if isinstance(result, float | int) and not isinstance(result, bool):
                if result == i:
                    kept.append(key)
            elif to_bool(result):
                kept.append(key)
        keys = kept
    return keys


def _path_text(node: ast.Path) -> str:
    parts = []
    for step in node.steps:
        parts.append(
            {"self": ".", "parent": ".."}.get(
                step.axis, ("@" if step.axis == "attribute" else "") + step.name
            )
        )
    return ("/" if node.absolute else "") + "/".join(parts)


def _as_nodes(value: object) -> list:
    if isinstance(value, NodeSet):
        return list(value)
    if isinstance(value, dict):
        return [value]
    return []


def _filter(ctx: EvalContext, nodes: list, preds: list[Fn]) -> NodeSet:
    for pred in preds:
        kept: list = []
        saved = (ctx.item, ctx.item_pos, ctx.item_size)
        size = len(nodes)
        try:
            for i, n in enumerate(nodes, start=1):
                ctx.item, ctx.item_pos, ctx.item_size = n, i, size
                result = pred(ctx)
                if isinstance(result, float | int) and not isinstance(result, bool):
                    if result == i:
                        kept.append(n)
                elif to_bool(result):
                    kept.append(n)
        finally:
            ctx.item, ctx.item_pos, ctx.item_size = saved
        nodes = kept
    return NodeSet(nodes)


def _apply(fn: Callable, args: list[Fn]) -> Fn:
    if not args:
        return lambda ctx: fn()
    if len(args) == 1:
        a = args[0]
        return lambda ctx: fn(a(ctx))
    if len(args) == 2:
        a, b = args
        return lambda ctx: fn(a(ctx), b(ctx))
    return lambda ctx: fn(*[arg(ctx) for arg in args])


def _mul(a: float, b: float) -> float:
    try:
        return a * b
    except OverflowError:
        return math.inf


def _div(a: float, b: float) -> float:
    if b == 0:
        if a != a or a == 0:
            return NAN
        return math.copysign(math.inf, a) * (math.copysign(1.0, b))
    return a / b


def _mod(a: float, b: float) -> float:
    if b == 0 or a != a or b != b or a in (math.inf, -math.inf):
        return NAN
    return math.fmod(a, b)


def compile_expression(text: str, scope: Scope | None = None) -> Compiled:
    """Parse and compile ``text``; :class:`ExpressionError` (located in the text) if it is invalid."""
    scope = scope or Scope()
    tree = parse(text)
    compiler = _Compiler(text, scope)
    fn = compiler.compile(tree, scope.item_mode)
    if compiler.vendor:
        fn = _const("")
    return Compiled(
        text=text,
        fn=fn,
        refs=frozenset(compiler.refs),
        uses_time=compiler.uses_time,
        uses_previous=compiler.uses_previous,
        vendor=tuple(dict.fromkeys(compiler.vendor)),
        degraded=tuple(dict.fromkeys(compiler.degraded)),
        unknown_paths=tuple(dict.fromkeys(compiler.unknown_paths)),
    )


__all__ = ["Compiled", "Scope", "compile_expression", "unpack"]
