"""Syntax tree of an expression. Nodes are small immutable records with their offset."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    pos: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: float


@dataclass(frozen=True, slots=True)
class Ref(Node):
    """``${name}``."""

    name: str


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # or and = != < <= > >= + - * div mod |
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Step(Node):
    """One location step: ``axis`` is child | self | parent | attribute | descendant-or-self."""

    axis: str
    name: str  # "*" for any, "" for self/parent
    predicates: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Path(Node):
    """A location path, optionally starting from a filter expression (``instance('x')/root``)."""

    absolute: bool
    steps: tuple[Step, ...]
    start: Node | None = None  # filter expression the path continues from


@dataclass(frozen=True, slots=True)
class Filter(Node):
    """A primary expression with predicates: ``(expr)[1]``."""

    primary: Node
    predicates: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Group(Node):
    """``(expr)`` followed by predicates: they filter the whole node set, not per parent."""

    inner: Node
