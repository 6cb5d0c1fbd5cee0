"""Form engine benchmark: load time of large forms and incremental re-evaluation time.

``run(quick)`` returns a JSON-ready dict:
- ``large_cha_load_s``: median time to read, check and compile ``cht-core/large_cha.xlsx``
  (976 survey rows) with the expression cache cleared (target < 1 s);
- ``large_cha_reeval_median_ms`` / ``_p95_ms`` / ``_max_ms``: one ``set_answer`` on that form,
  cycling through its top-level questions with plausible answers (target median < 16 ms);
- ``large_cha_worst_field_ms``: median ``set_answer`` on the field with the largest dependency
  closure;
- ``builtin_load_s``: median load time of each built-in form (target < 0.2 s).

The corpus is found from the ``corpus`` argument, ``$KEXIE_CORPUS`` or ``<repo>/../shared/xlsform-corpus``.
Run alone: ``python -m bench.forms_engine [--quick]``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def corpus_dir(corpus: str | Path | None = None) -> Path:
    """Where the XLSForm corpus is."""
    if corpus:
        return Path(corpus)
    if os.environ.get("KEXIE_CORPUS"):
        return Path(os.environ["KEXIE_CORPUS"])
    return REPO.parent / "shared" / "xlsform-corpus"


def _cold_load(path: Path):
    from forms import load_form
    from forms.expr.parser import _parse_cached

    _parse_cached.cache_clear()
    start = time.perf_counter()
    form = load_form(path)
    return time.perf_counter() - start, form


def _answer_for(form, q, i: int):
    if q.type == "integer":
        return i % 50
    if q.type == "decimal":
        return (i % 50) + 0.5
    if q.type == "date":
        return f"2024-01-{1 + i % 28:02d}"
    if q.type in ("select_one", "select_multiple"):
        cl = form.choice_lists.get(q.list_name or "")
        if cl and cl.choices:
            return cl.choices[i % len(cl.choices)].name
        return None
    return f"t{i}"


def run(quick: bool = False, corpus: str | Path | None = None) -> dict:
    """Measure the form engine; see the module docstring for the figures."""
    from forms import builtin_form_paths
    from forms.engine import FormEngine
    from forms.plan import build_plan

    root = corpus_dir(corpus)
    large = root / "cht-core" / "large_cha.xlsx"
    repeats = 3 if quick else 10
    result: dict = {"corpus": str(root)}
    _cold_load(large)  # warm imports
    loads = [_cold_load(large)[0] for _ in range(repeats)]
    result["large_cha_load_s"] = round(statistics.median(loads), 4)
    _, form = _cold_load(large)
    result["large_cha_questions"] = sum(1 for q in form.walk() if q.type not in ("group", "repeat"))
    engine = FormEngine(form)
    fields = [
        q
        for q in form.walk()
        if q.stores_value
        and not q.calculation
        and not form.repeat_of(q.name)
        and q.type in ("integer", "decimal", "date", "select_one", "select_multiple", "text")
    ]
    rounds = 1 if quick else 3
    times: list[float] = []
    for r in range(rounds):
        for i, q in enumerate(fields):
            value = _answer_for(form, q, i + r)
            start = time.perf_counter()
            engine.set_answer(q.name, value)
            times.append(time.perf_counter() - start)
    times.sort()
    result["large_cha_reeval_count"] = len(times)
    result["large_cha_reeval_median_ms"] = round(statistics.median(times) * 1000, 3)
    result["large_cha_reeval_p95_ms"] = round(times[int(len(times) * 0.95) - 1] * 1000, 3)
    result["large_cha_reeval_max_ms"] = round(times[-1] * 1000, 3)
    plan, _ = build_plan(form)
    worst = max(fields, key=lambda q: len(plan.closure(q.name)))
    worst_times = []
    for i in range(20 if not quick else 6):
        value = _answer_for(form, worst, i)
        start = time.perf_counter()
        engine.set_answer(worst.name, value)
        worst_times.append(time.perf_counter() - start)
    result["large_cha_worst_field"] = worst.name
    result["large_cha_worst_closure"] = len(plan.closure(worst.name))
    result["large_cha_worst_field_ms"] = round(statistics.median(worst_times) * 1000, 3)
    start = time.perf_counter()
    FormEngine(form).evaluation()
    result["large_cha_full_evaluation_ms"] = round((time.perf_counter() - start) * 1000, 2)
    builtin: dict[str, float] = {}
    for form_id, path in sorted(builtin_form_paths().items()):
        builtin[form_id] = round(statistics.median(_cold_load(path)[0] for _ in range(repeats)), 4)
    result["builtin_load_s"] = builtin
    result["targets"] = {
        "large_cha_load_s": 1.0,
        "large_cha_reeval_median_ms": 16.0,
        "builtin_load_s": 0.2,
    }
    result["ok"] = (
        result["large_cha_load_s"] < 1.0
        and result["large_cha_reeval_median_ms"] < 16.0
        and all(v < 0.2 for v in builtin.values())
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), ensure_ascii=False, indent=2))
