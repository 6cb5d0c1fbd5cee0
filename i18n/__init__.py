"""One translation catalogue for every layer of Kexie Collect.

Messages live in ``i18n/catalog/<area>.json`` as ``{"key": {"zh_CN": "...", "en": "..."}}``.
Each area (cli, forms, db, export, ui, ...) has its own file so it can be edited on its own,
but together they form one catalogue: a key is defined exactly once, in both languages, with
the same ``{placeholders}`` (``tests/test_i18n.py`` checks this).

Use :func:`tr` everywhere a user sees text; never build sentences in code.

Plurals live in the catalogue, not in code: ``{count:plural:error remains|errors remain}``
is the first form when ``count`` is 1 and the second otherwise (English has two forms; Chinese
needs none and simply writes ``{count}``). The placeholder is still ``count`` for the
same-placeholders check.
"""

from __future__ import annotations

import json
import os
import re
import string
import threading
from collections.abc import Iterator
from importlib import resources

LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

_lock = threading.Lock()
_catalog: dict[str, dict[str, str]] | None = None
_language = DEFAULT_LANGUAGE
_listeners: list = []


def _load() -> dict[str, dict[str, str]]:
    global _catalog
    with _lock:
        if _catalog is None:
            merged: dict[str, dict[str, str]] = {}
            folder = resources.files("i18n") / "catalog"
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if not entry.name.endswith(".json"):
                    continue
                data = json.loads(entry.read_text(encoding="utf-8"))
                for key, texts in data.items():
                    if key in merged:
                        raise RuntimeError(f"i18n key defined twice: {key} ({entry.name})")
                    merged[key] = texts
            _catalog = merged
        return _catalog


def catalog() -> dict[str, dict[str, str]]:
    """The whole catalogue: key -> {language: text}."""
    return _load()


def normalise_language(code: str | None) -> str:
    """Map 'zh', 'zh-CN', 'zh_Hans', 'en_US', ... onto one of :data:`LANGUAGES`."""
    if not code:
        return DEFAULT_LANGUAGE
    low = code.replace("-", "_").lower()
    if low.startswith("zh") or low in {"chinese", "中文"}:
        return "zh_CN"
    if low.startswith("en") or low == "english":
        return "en"
    return DEFAULT_LANGUAGE


def get_language() -> str:
    """The language user-facing text is produced in right now."""
    return _language


def set_language(code: str) -> None:
    """Switch every layer to another language; listeners (e.g. the desktop) are told."""
    global _language
    _language = normalise_language(code)
    for listener in list(_listeners):
        listener(_language)


def on_language_changed(callback) -> None:
    """Register ``callback(language)`` to be called after :func:`set_language`."""
    _listeners.append(callback)


def init_from_environment() -> None:
    """Pick the language from ``KEXIE_LANG`` (then ``LANG``); Chinese when unsure."""
    code = os.environ.get("KEXIE_LANG")
    if code:
        set_language(code)


def has(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in _load()


def tr(key: str, lang: str | None = None, /, **params: object) -> str:
    """The text for ``key`` in the current (or given) language, with ``{params}`` filled in.

    An unknown key is a programming error, but a user must never see a traceback for it:
    the key itself is returned so the problem is visible and reportable.
    """
    entry = _load().get(key)
    if entry is None:
        return key
    text = entry.get(normalise_language(lang) if lang else _language) or entry.get("en") or key
    if params:
        params = {
            k: shown(v) if isinstance(v, str) and not isinstance(v, Composed) else v
            for k, v in params.items()
        }
        try:
            if PLURAL in text:
                return _FORMATTER.vformat(text, (), _SafeParams(params))
            return text.format_map(_SafeParams(params))
        except (ValueError, IndexError):
            return text
    return text


# Characters that would reorder, hide or fake what a message shows: C0/C1 controls, DEL, bidi
# embeddings/overrides/isolates and marks, line/paragraph separators, lone surrogates (from
# undecodable file names).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    ch = m.group(0)
    named = _NAMED.get(ch)
    if named:
        return named
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def shown(text: str) -> str:
    """``text`` safe to show in a message: control and bidi characters escaped (``\\x1b``,
    ``\\u202e``, ``\\n``), so a file name or cell text can neither hide nor reorder what the
    user reads. :func:`tr` applies it to every text parameter; use it wherever else untrusted
    text is shown (window titles, table cells, labels)."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


class Composed(str):
    """Text composed of messages made by :func:`tr` (whose own parameters were escaped there),
    e.g. a multi-line summary: passed into another message as it is, its line breaks kept,
    where any other text parameter is escaped (``\\n``). Make one with :func:`compose`."""


def compose(lines: list[str] | tuple[str, ...], sep: str = "\n") -> Composed:
    """``lines`` (each a message from :func:`tr`, or escaped with :func:`shown`) joined by
    ``sep`` into one :class:`Composed` text."""
    return Composed(sep.join(lines))


PLURAL = ":plural:"


def plural(count: object, forms: str) -> str:
    """The form of ``forms`` (``"one|other"``) that goes with ``count``: ``one`` only for 1."""
    one, _, other = forms.partition("|")
    if not _:
        return one
    try:
        is_one = float(count) == 1  # type: ignore[arg-type]
    except (TypeError, ValueError):
        is_one = False
    return one if is_one else other


class _PluralFormatter(string.Formatter):
    """``str.format`` plus the ``{name:plural:one|other}`` field of the catalogue."""

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith(PLURAL[1:]):
            return plural(value, format_spec[len(PLURAL) - 1 :])
        return super().format_field(value, format_spec)


_FORMATTER = _PluralFormatter()


def placeholders(text: str) -> set[str]:
    """The ``{names}`` used in a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def keys(prefix: str = "") -> Iterator[str]:
    """All keys, optionally only those starting with ``prefix``."""
    return (k for k in _load() if k.startswith(prefix))


class _SafeParams(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
