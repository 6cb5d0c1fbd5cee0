"""Benchmark: saving one response (validation, write, audit row; WAL, synchronous NORMAL).

Scenarios:
- ``save: new survey record`` — ``store.save`` of a fresh, realistic survey response, in a
  database that already holds a few hundred (quick) or 2,000 records.
- ``save: autosave one change`` — the draft-on-every-change path: the same record saved again
  with one answer changed (reads the old row, diffs, updates, one audit row).
- ``divisions: load tree`` — reading the built-in 44,698-unit division file.
- ``demo: 2,000 survey records`` (full run only) — ``kexie demo --records 2000``'s work.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from bench.target import target_row


def run(quick: bool) -> dict:
    """Measure the scenarios above; ``quick`` keeps it to a few seconds."""
    from forms.builtin.samples import sample_answers
    from localdb import open_store
    from localdb.demo import run_demo
    from localdb.units import data_file, load

    results = []
    rng = random.Random(7)
    unit = "330106000000"
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "data")
        try:
            store.set_unit(unit)
            store.set_clerk("bench")
            preload = 200 if quick else 2000
            start = time.perf_counter()
            run_demo(store, records=preload, seed=1)
            demo_s = time.perf_counter() - start
            store.form("kexie_survey")
            answers = [
                sample_answers("kexie_survey", rng, unit_code=unit, period=None)
                for _ in range(50 if quick else 300)
            ]
            for a, e in answers[:5]:  # warm caches
                store.save("kexie_survey", a, explanations=e)
            new_times: list[float] = []
            uuids: list[str] = []
            for a, e in answers:
                t = time.perf_counter()
                uuids.append(store.save("kexie_survey", a, explanations=e))
                new_times.append(time.perf_counter() - t)
            results.append(
                target_row(
                    "save: new survey record",
                    new_times,
                    0.005,
                    "< 5 ms median",
                    f"{preload} records already stored",
                )
            )
            edit_times: list[float] = []
            for uuid, (a, e) in zip(uuids, answers, strict=True):
                changed = {**a, "remarks": f"补充说明 {rng.random():.6f}"}
                t = time.perf_counter()
                store.save("kexie_survey", changed, uuid=uuid, explanations=e)
                edit_times.append(time.perf_counter() - t)
            results.append(
                target_row(
                    "save: autosave one change",
                    edit_times,
                    0.005,
                    "< 5 ms median",
                    "draft updated, one audit row",
                )
            )
            if not quick:
                results.append(
                    target_row(
                        "demo: 2,000 survey records",
                        [demo_s],
                        5.0,
                        "< 5 s",
                        "plus 12 months of reports for 13 units",
                    )
                )
        finally:
            store.close()
    blob = data_file().read_bytes()
    load_times = []
    for _ in range(3 if quick else 7):
        t = time.perf_counter()
        load(blob)
        load_times.append(time.perf_counter() - t)
    results.append(target_row("divisions: load tree", load_times, 0.3, "< 0.3 s", "44,698 units"))
    return {"results": results}


if __name__ == "__main__":
    for r in run(quick=True)["results"]:
        print(
            f"{r['scenario']:<32} median {r['median'] * 1000:8.2f} ms  ({r['runs']} runs, target {r['target']})"
        )
