"""One result row of a scenario module, measured against an absolute time target."""

from __future__ import annotations

import statistics


def target_row(
    scenario: str, times: list[float], target_s: float, target: str, note: str = ""
) -> dict:
    """Median/min/max of ``times`` (seconds) and whether the median is under ``target_s``."""
    median = statistics.median(times)
    return {
        "scenario": scenario,
        "median": median,
        "min": min(times),
        "max": max(times),
        "runs": len(times),
        "target": target,
        "target_s": target_s,
        "met": median < target_s,
        "ratio": median / target_s,
        "ratio_text": f"{median / target_s:.2f}× target",
        "note": note,
    }
