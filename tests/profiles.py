"""Hypothesis profiles, and how far each property test searches under them.

- ``ci`` (loaded when ``CI`` is set): derandomised, so a submission never fails on a seed.
- ``dev`` (the default locally): random seeds, hypothesis' default budget.
- ``long`` (``HYPOTHESIS_PROFILE=long pytest``): twenty times the examples of every test.

A property test states its budget with :func:`examples` (``@settings(max_examples=examples(400))``)
rather than a bare number, so the ``long`` profile scales it instead of being overridden by it.
"""

from __future__ import annotations

import os

from hypothesis import settings

DEFAULT_EXAMPLES = 100  # hypothesis' own default; profiles scale relative to it

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.register_profile("long", max_examples=20 * DEFAULT_EXAMPLES, print_blob=True)


def active_profile() -> str:
    """The profile this run uses: ``HYPOTHESIS_PROFILE``, else ``ci`` under CI, else ``dev``."""
    return os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")


settings.load_profile(active_profile())


def examples(n: int) -> int:
    """A test's example budget ``n`` scaled by the active profile (``long``: 20×)."""
    scale = settings.get_profile(active_profile()).max_examples / DEFAULT_EXAMPLES
    return max(1, round(n * max(scale, 1.0)))
