"""Compile a form once: every expression, and the dependency graph the engine walks.

``build_plan(form)`` returns a :class:`Plan` and the located problems found on the way
(expression syntax errors, unknown references, cycles, tier-2/3 warnings). The plan is cached
on the form object, so loading a form compiles it exactly once.
"""

from __future__ import annotations

import difflib
import heapq
import re
from dataclasses import dataclass, field

from forms.expr.compiler import Compiled, Scope, compile_expression
from forms.model import Form, Question
from i18n.errors import ExpressionError, Location, Problem

EXPRESSION_COLUMNS = (
    "relevant",
    "calculation",
    "required",
    "constraint",
    "read_only",
    "repeat_count",
    "choice_filter",
    "default",
)
_LITERAL_DEFAULT_CHARS = ("(", "$", "/")


@dataclass
class Node:
    """One question, group or repeat with its compiled expressions."""

    q: Question
    index: int  # sheet order
    chain: tuple[str, ...]  # enclosing repeats, outermost first (a repeat includes itself)
    parent: str | None
    exprs: dict[str, Compiled] = field(default_factory=dict)
    default_literal: str | None = None
    value_deps: set[str] = field(default_factory=set)
    check_deps: set[str] = field(default_factory=set)


@dataclass
class Plan:
    form: Form
    nodes: dict[str, Node]
    order: list[str]  # value-phase evaluation order
    dependents: dict[str, set[str]]  # value phase: name -> names to recompute
    check_dependents: dict[str, set[str]]  # name -> names whose checks read it
    problems: list[Problem]
    rerun: dict[str, list[str]] = field(default_factory=dict)  # group -> nodes to redo after it
    _closures: dict[str, list[str]] = field(default_factory=dict)
    _instances: dict[str, object] = field(default_factory=dict)

    def closure(self, name: str) -> list[str]:
        """``name`` and everything whose value depends on it, in evaluation order."""
        cached = self._closures.get(name)
        if cached is not None:
            return cached
        seen = {name}
        todo = [name]
        while todo:
            for dep in self.dependents.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        ordered = sorted(seen, key=self._position)
        self._closures[name] = ordered
        return ordered

    def _position(self, name: str) -> int:
        return self._order_index[name]

    def __post_init__(self) -> None:
        self._order_index = {name: i for i, name in enumerate(self.order)}


def _scope_for(form: Form) -> tuple[Scope, dict[tuple[str | None, str], str]]:
    names = frozenset(q.name for q in form.walk())
    parent = {q.name: q.parent for q in form.walk()}
    list_of = {q.name: q.list_name for q in form.walk() if q.list_name}
    child_of: dict[tuple[str | None, str], str] = {}
    for q in form.walk():
        child_of[(q.parent, q.extra.get("xlsform_name", q.name))] = q.name
    repeats = frozenset(q.name for q in form.walk() if q.is_repeat)
    in_repeat = {q.name: form.repeat_of(q.name) is not None for q in form.walk()}
    return Scope(
        names=names,
        parent=parent,
        lists=frozenset(form.choice_lists),
        list_of=list_of,
        child_of=child_of,
        repeats=repeats,
        in_repeat=in_repeat,
        report_key=tuple(k for k in form.report_key if k in names),
    ), child_of


def build_plan(form: Form) -> tuple[Plan, list[Problem]]:
    """Compile every expression of ``form`` and order its fields; collect located problems."""
    cached = getattr(form, "_kexie_plan", None)
    if cached is not None:
        return cached, cached.problems
    base_scope, _ = _scope_for(form)
    problems: list[Problem] = []
    nodes: dict[str, Node] = {}
    for index, q in enumerate(form.walk()):
        chain = tuple(a.name for a in form.ancestors(q.name) if a.is_repeat)
        if q.is_repeat:
            chain += (q.name,)
        node = Node(q, index, chain, q.parent)
        nodes[q.name] = node
        for column in EXPRESSION_COLUMNS:
            text = getattr(q, column) if column != "required" else q.required
            if column == "calculation" and q.previous:
                # kexie::previous: this row holds the previous period's value of that question
                # (its own calculation is what other XLSForm tools compute without one).
                text = f"kexie:previous(${{{q.previous}}})"
            if not text or not text.strip():
                continue
            if column == "default" and not any(c in text for c in _LITERAL_DEFAULT_CHARS):
                node.default_literal = text
                continue
            scope = Scope(
                names=base_scope.names,
                parent=base_scope.parent,
                lists=base_scope.lists,
                list_of=base_scope.list_of,
                child_of=base_scope.child_of,
                repeats=base_scope.repeats,
                in_repeat=base_scope.in_repeat,
                report_key=base_scope.report_key,
                current=q.name,
                item_mode=column == "choice_filter",
            )
            try:
                compiled = compile_expression(text, scope)
            except ExpressionError as exc:
                if column == "default":  # a default that is not an expression is a literal
                    node.default_literal = text
                    continue
                shown = "kexie::previous" if column == "calculation" and q.previous else column
                problems.append(
                    Problem(
                        exc.code,
                        dict(exc.params),
                        Location(sheet="survey", row=q.row, column=shown),
                        "error",
                        exc.fix,
                    )
                )
                continue
            where = Location(
                sheet="survey",
                row=q.row,
                column="kexie::previous" if column == "calculation" and q.previous else column,
            )
            for fn in compiled.vendor:
                problems.append(Problem("forms.expr.vendor", {"function": fn}, where, "warning"))
            for fn in compiled.degraded:
                problems.append(Problem("forms.expr.degraded", {"function": fn}, where, "warning"))
            for path in compiled.unknown_paths:
                problems.append(
                    Problem("forms.expr.unknown_path", {"path": path}, where, "warning")
                )
            node.exprs[column] = compiled
        problems.extend(_text_references(q, base_scope.names))
        if q.trigger:
            trigger = q.trigger.strip()
            if trigger.startswith("${") and trigger.endswith("}"):
                trigger = trigger[2:-1].strip()
            if base_scope.names is not None and trigger not in base_scope.names:
                problems.append(
                    Problem(
                        "forms.expr.unknown_ref",
                        {"name": trigger, "expr": q.trigger, "pos": 1, "near": ""},
                        Location(sheet="survey", row=q.row, column="trigger"),
                        "error",
                    )
                )
            else:
                q.extra.setdefault("_trigger", trigger)
        if q.of:
            total = form.get(q.of)
            if total is None:
                problems.append(
                    Problem(
                        "forms.load.of_unknown",
                        {"name": q.of},
                        Location(sheet="survey", row=q.row, column="kexie::of"),
                        "error",
                    )
                )
            elif total.type not in ("integer", "decimal", "calculate", "range"):
                problems.append(
                    Problem(
                        "forms.load.of_not_number",
                        {"name": q.of},
                        Location(sheet="survey", row=q.row, column="kexie::of"),
                        "error",
                    )
                )
    # Dependencies
    for name, node in nodes.items():
        deps: set[str] = set()
        for column in ("relevant", "calculation", "repeat_count"):
            c = node.exprs.get(column)
            if c is None:
                continue
            if column == "calculation" and node.q.extra.get("_trigger"):
                continue
            deps |= c.refs
        if node.q.extra.get("_trigger"):
            deps.add(node.q.extra["_trigger"])
        if node.parent:
            deps.add(node.parent)
        deps.discard(name)
        node.value_deps = deps
        checks: set[str] = set()
        for column in ("required", "constraint"):
            c = node.exprs.get(column)
            if c is not None:
                checks |= c.refs
        if node.q.of and node.q.of in nodes:
            checks.add(node.q.of)
        node.check_deps = checks
    rerun = _descendant_reads(nodes)
    dependents: dict[str, set[str]] = {n: set() for n in nodes}
    check_dependents: dict[str, set[str]] = {n: set() for n in nodes}
    for name, node in nodes.items():
        for dep in node.value_deps:
            if dep in dependents:
                dependents[dep].add(name)
        for dep in node.check_deps:
            if dep in check_dependents:
                check_dependents[dep].add(name)
    order, cycles = _order(nodes, dependents)
    for cycle in cycles:
        first = nodes[cycle[0]]
        problems.append(
            Problem(
                "forms.load.cycle",
                {"cycle": " → ".join([*cycle, cycle[0]])},
                Location(sheet="survey", row=first.q.row, column=_cycle_column(first)),
                "error",
            )
        )
    plan = Plan(form, nodes, order, dependents, check_dependents, problems)
    plan.rerun = rerun
    form._kexie_plan = plan  # type: ignore[attr-defined]
    return plan, problems


def previous_dependents(form: Form) -> frozenset[str]:
    """Questions whose value depends on the previous period (与上期比较): kexie::previous
    rows, calculations using kexie:previous(), and everything computed from them. They are
    review aids of this period's figures, not figures of the period (paper forms leave them
    out)."""
    plan = build_plan(form)[0]
    cached = plan._instances.get("__previous_dependents__")
    if cached is None:
        out: set[str] = set()
        for name, node in plan.nodes.items():
            if node.q.previous or any(c.uses_previous for c in node.exprs.values()):
                out.update(plan.closure(name))
        cached = frozenset(out)
        plan._instances["__previous_dependents__"] = cached
    return cached  # type: ignore[return-value]


_REF_IN_TEXT = re.compile(r"\$\{\s*([^}\s]+)\s*\}")


def _text_references(q: Question, names: frozenset[str] | set[str] | None) -> list[Problem]:
    """``${name}`` inside labels, hints and messages must name a question too."""
    if names is None:
        return []
    found: list[Problem] = []
    for column, texts in (
        ("label", q.labels),
        ("hint", q.hints),
        ("constraint_message", q.constraint_messages),
        ("required_message", q.required_messages),
    ):
        for lang, text in texts.items():
            for m in _REF_IN_TEXT.finditer(text):
                name = m.group(1)
                if name in names:
                    continue
                params = {"name": name, "expr": text, "pos": m.start() + 1, "near": m.group(0)}
                close = difflib.get_close_matches(name, list(names), n=1)
                code = "forms.expr.unknown_ref_suggest" if close else "forms.expr.unknown_ref"
                if close:
                    params["suggestion"] = close[0]
                where = column if lang == "default" else f"{column}::{lang}"
                found.append(
                    Problem(
                        code, params, Location(sheet="survey", row=q.row, column=where), "error"
                    )
                )
    return found


def _descendant_reads(nodes: dict[str, Node]) -> dict[str, list[str]]:
    """Groups whose relevance reads their own descendants (CHT's ``inputs`` group does).

    Such a read sees the descendant's value before the group's relevance blanks it (as
    JavaRosa does), so the parent edges on the way down are dropped from the graph and those
    nodes are evaluated again right after the group.
    """
    rerun: dict[str, list[str]] = {}
    for name, node in nodes.items():
        if node.q.type not in ("group", "repeat"):
            continue
        refs: set[str] = set()
        for column in ("relevant", "repeat_count"):
            c = node.exprs.get(column)
            if c is not None:
                refs |= c.refs
        for ref in sorted(refs, key=lambda n: nodes[n].index if n in nodes else 0):
            path: list[str] = []
            cur = nodes.get(ref)
            while cur is not None and cur.parent is not None and cur.q.name != name:
                path.append(cur.q.name)
                if cur.parent == name:
                    break
                cur = nodes.get(cur.parent)
            if cur is None or cur.parent != name:
                continue
            for member in path:
                nodes[member].value_deps.discard(nodes[member].parent)
            extra = rerun.setdefault(name, [])
            extra.extend(m for m in reversed(path) if m not in extra)
    return rerun


def _cycle_column(node: Node) -> str:
    return "calculation" if "calculation" in node.exprs else "relevant"


def _order(
    nodes: dict[str, Node], dependents: dict[str, set[str]]
) -> tuple[list[str], list[list[str]]]:
    """Topological order (sheet order among equals) and any dependency cycles."""
    indegree = {n: 0 for n in nodes}
    for name, node in nodes.items():
        indegree[name] = sum(1 for d in node.value_deps if d in nodes)
    heap = [(node.index, name) for name, node in nodes.items() if indegree[name] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, name = heapq.heappop(heap)
        order.append(name)
        for dep in dependents[name]:
            indegree[dep] -= 1
            if indegree[dep] == 0:
                heapq.heappush(heap, (nodes[dep].index, dep))
    if len(order) == len(nodes):
        return order, []
    left = {n for n in nodes if indegree[n] > 0}
    cycles = _find_cycles(nodes, left)
    # Still give every node a place, so a form with problems can be inspected.
    order.extend(sorted(left, key=lambda n: nodes[n].index))
    return order, cycles


def _find_cycles(nodes: dict[str, Node], left: set[str]) -> list[list[str]]:
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(left, key=lambda n: nodes[n].index):
        if start in done:
            continue
        # Walk dependencies staying inside the unresolved set until a node repeats.
        path: list[str] = []
        seen_at: dict[str, int] = {}
        current = start
        while current not in seen_at:
            seen_at[current] = len(path)
            path.append(current)
            nxt = sorted(
                (d for d in nodes[current].value_deps if d in left), key=lambda n: nodes[n].index
            )
            if not nxt:
                break
            current = nxt[0]
        else:
            cycle = path[seen_at[current] :]
            if not done.intersection(cycle):
                cycles.append(list(reversed(cycle)))
        done.update(path)
    return cycles


def instance_document(plan: Plan, list_id: str) -> dict | None:
    """``instance('list')`` as nested dicts: ``{"root": {"item": [{name, label, extra...}]}}``."""
    doc = plan._instances.get(list_id)
    if doc is None:
        cl = plan.form.choice_lists.get(list_id)
        if cl is None:
            return None
        doc = {"root": {"item": [choice_item(c) for c in cl.choices]}}
        plan._instances[list_id] = doc
    return doc  # type: ignore[return-value]


def choice_item(choice) -> dict[str, str]:
    item = {"name": choice.name, "label": choice.label()}
    for key, value in choice.extra.items():
        item.setdefault(key, value)
    return item
