"""Typed answers: turn what a person (or a JSON file) gave into the value the form stores.

Conventions (see ``forms.model``): text/select_one/date/time/dateTime/geo → ``str`` (dates ISO,
select_multiple space-separated choice names), integer → ``int``, decimal → ``float``, range →
``float`` (``int`` when its step is whole), empty → ``None``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

from forms.expr.values import parse_date, parse_time
from forms.model import Question
from i18n.errors import Location, ValidationError

_INT = re.compile(r"^[+-]?\d+$")
_DEC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _error(code: str, question: Question, raw: object, **params: Any) -> ValidationError:
    return ValidationError(
        code,
        location=Location(field=question.name),
        value=str(raw),
        field=question.label(),
        **params,
    )


def coerce_answer(question: Question, raw: object):
    """The stored value for ``raw`` as an answer to ``question``; ValidationError if impossible."""
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if text == "":
            return None
    else:
        text = None
    kind = question.type
    if kind == "integer":
        return _to_int(question, raw, text)
    if kind == "decimal":
        return _to_float(question, raw, text)
    if kind == "range":
        value = _to_float(question, raw, text)
        step = question.parameters.get("step", "1")
        try:
            whole = float(step).is_integer()
        except ValueError:
            whole = True
        if whole and value is not None and value.is_integer():
            return int(value)
        return value
    if kind == "date":
        if isinstance(raw, datetime):
            return raw.date().isoformat()
        if isinstance(raw, date):
            return raw.isoformat()
        parsed = parse_date(str(text))
        if parsed is None:
            raise _error("forms.value.bad_date", question, raw)
        return (parsed.date() if isinstance(parsed, datetime) else parsed).isoformat()
    if kind == "dateTime":
        if isinstance(raw, datetime):
            return raw.isoformat()
        parsed = parse_date(str(text))
        if parsed is None:
            raise _error("forms.value.bad_datetime", question, raw)
        if not isinstance(parsed, datetime):
            parsed = datetime(parsed.year, parsed.month, parsed.day)
        return parsed.isoformat()
    if kind == "time":
        if isinstance(raw, time):
            return raw.isoformat()
        clock = parse_time(str(text))
        if clock is None:
            raise _error("forms.value.bad_time", question, raw)
        return clock.isoformat()
    if kind == "select_multiple" or kind == "select_multiple_from_file":
        if isinstance(raw, list | tuple | set):
            names = [str(x).strip() for x in raw if str(x).strip()]
        else:
            names = str(text).split()
        return " ".join(dict.fromkeys(names)) or None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(text) if text is not None else str(raw)


def _to_int(question: Question, raw: object, text: str | None) -> int:
    if isinstance(raw, bool):
        raise _error("forms.value.not_integer", question, raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise _error("forms.value.not_integer", question, raw)
    assert text is not None
    t = text.replace(",", "").replace("，", "")
    if _INT.match(t):
        return int(t)
    if _DEC.match(t) and float(t).is_integer():
        return int(float(t))
    raise _error("forms.value.not_integer", question, raw)


def _to_float(question: Question, raw: object, text: str | None) -> float:
    if isinstance(raw, bool):
        raise _error("forms.value.not_number", question, raw)
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        assert text is not None
        t = text.replace(",", "").replace("，", "")
        if not _DEC.match(t):
            raise _error("forms.value.not_number", question, raw)
        value = float(t)
    if math.isnan(value) or math.isinf(value):
        raise _error("forms.value.not_number", question, raw)
    return value
