"""The XLSForm expression language: our own parser and evaluator (never ``eval``).

``compile_expression(text, scope)`` parses and compiles once; the result is called with an
evaluation context. :func:`evaluate_expression` evaluates a free-standing expression over a dict
of values (handy in tests and for form authors).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from forms.expr.compiler import Compiled, Scope, compile_expression
from forms.expr.parser import parse
from forms.expr.values import NodeSet, to_bool, to_num, to_str

__all__ = [
    "Compiled",
    "MapContext",
    "NodeSet",
    "Scope",
    "compile_expression",
    "evaluate_expression",
    "parse",
    "to_bool",
    "to_num",
    "to_str",
]


class MapContext:
    """An evaluation context over plain values: ``{name: value}`` (lists are repeated nodes)."""

    def __init__(
        self,
        values: dict[str, object] | None = None,
        *,
        current: str | None = None,
        instances: dict[str, list[dict]] | None = None,
        labels: dict[str, dict[str, str]] | None = None,
        today: date | None = None,
        now: datetime | None = None,
        position: int = 1,
        previous: dict[str, object] | None = None,
    ) -> None:
        self.values = values or {}
        self.current = current
        self.instances = instances or {}
        self.labels = labels or {}
        self._today = today
        self._now = now
        self._position = position
        self.chain: tuple[str, ...] = ()
        self.idx: tuple[int, ...] = ()
        self.item = None
        self.item_pos = 0
        self.item_size = 0
        self.origin = None
        self.previous_values = previous or {}

    def _item(self, name: str) -> tuple[bool, object]:
        """Inside a predicate over a list (a repeat), what ``name`` means in that instance."""
        if self.current is None or not self.idx:
            return False, None
        items = self.values.get(self.current)
        if not isinstance(items, list) or not 1 <= self.idx[-1] <= len(items):
            return False, None
        item = items[self.idx[-1] - 1]
        if name == self.current:
            return True, "" if isinstance(item, dict) else item
        if isinstance(item, dict) and name in item:
            return True, item[name]
        return False, None

    def nodes(self, name: str) -> NodeSet:
        found, value = self._item(name)
        if not found:
            value = self.values.get(name)
        if isinstance(value, list):
            return NodeSet(_node_text(v) for v in value)
        return NodeSet([_node_text(value)])

    # record nodes as keys, as the form engine has them (see forms.expr.compiler.form_path)
    def ref_keys(self, name: str) -> list[tuple]:
        value = self.values.get(name)
        if isinstance(value, list):
            return [(name, (i,)) for i in range(1, len(value) + 1)]
        return [(name, ())]

    def child_keys(self, key: tuple, name: str | None) -> list[tuple]:
        owner, idx = key
        if owner is None:
            return [(k, ()) for k in self.values if name is None or k == name]
        items = self.values.get(owner)
        if isinstance(items, list) and idx and 1 <= idx[-1] <= len(items):
            item = items[idx[-1] - 1]
            if isinstance(item, dict):
                return [((owner, k), idx) for k in item if name is None or k == name]
        return []

    def parent_key(self, key: tuple) -> tuple | None:
        owner, idx = key
        if owner is None:
            return None
        if isinstance(owner, tuple):
            return (owner[0], idx)
        return (None, ())

    def key_text(self, key: tuple) -> str:
        owner, idx = key
        if owner is None:
            return ""
        if isinstance(owner, tuple):
            item = cast(list, self.values[owner[0]])[idx[-1] - 1]
            return _node_text(item.get(owner[1]))
        value = self.values.get(owner)
        if isinstance(value, list):
            item = value[idx[-1] - 1] if idx and 1 <= idx[-1] <= len(value) else None
            return "" if isinstance(item, dict) else _node_text(item)
        return _node_text(value)

    def focus(self, key: tuple) -> None:
        owner, idx = key
        self.current = owner[1] if isinstance(owner, tuple) else owner
        self.idx = idx
        if isinstance(owner, tuple):
            self.current = owner[0]

    def current_key(self) -> tuple:
        return (self.current, self.idx)

    def saved_text(self) -> str:
        return to_str(self.nodes(self.current)) if self.current else ""

    def origin_key(self) -> tuple:
        return self.origin if self.origin is not None else (self.current, ())

    def position(self) -> float:
        return float(self._position)

    def instance(self, list_id: str) -> NodeSet:
        items = self.instances.get(list_id)
        return NodeSet([{"root": {"item": items}}]) if items is not None else NodeSet()

    def choice_label(self, name: str, value: str) -> str:
        return self.labels.get(name, {}).get(value, "")

    def indexed(self, name: str, pairs: list[tuple[str, int]]) -> NodeSet:
        value = self.values.get(name)
        if isinstance(value, list) and pairs:
            i = pairs[0][1]
            return NodeSet([_node_text(value[i - 1])]) if 1 <= i <= len(value) else NodeSet()
        return NodeSet()

    def previous(self, name: str) -> str:
        return _node_text(self.previous_values.get(name))

    def today(self) -> date:
        return self._today or date.today()

    def now(self) -> datetime:
        return self._now or datetime.now().astimezone()


def _node_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_str(value) if not isinstance(value, str) else value


def evaluate_expression(text: str, values: dict[str, object] | None = None, **context: Any):
    """Evaluate ``text`` with ``${name}`` taken from ``values``; see :class:`MapContext`."""
    compiled = compile_expression(text, Scope(current=context.get("current")))
    return compiled(MapContext(values, **context))
