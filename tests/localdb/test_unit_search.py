"""Every township can be found by its full pinyin initials: first among the units of its
county, and in the uncut nationwide list. (11 % could not: many townships share initials —
134 are ``sjz`` — and the nationwide list stopped at the first 50 by code.)"""

from __future__ import annotations

import random

from localdb.units import divisions


def test_every_township_is_found_by_its_initials_within_its_county():
    d = divisions()
    towns = d.units_at("township")
    sample = random.Random(12).sample(towns, 400)
    sample += [u for u in towns if u.name in ("三界镇", "新镇", "龙镇", "盐场", "仓镇")]
    for u in sample:
        assert u.initials, u
        hits = d.search(u.initials, within=u.parent)
        exact = [h for h in hits if h.initials == u.initials]
        assert u in exact and hits[: len(exact)] == exact, (u.name, u.initials)
        assert u in d.search(u.initials, limit=None)


def test_full_initials_rank_before_initials_that_merely_start_alike():
    d = divisions()
    hits = d.search("sjz", within="330683000000")
    assert hits[0].name == "三界镇"
    everywhere = d.search("sjz", limit=None)
    first_prefix = next(i for i, h in enumerate(everywhere) if h.initials != "sjz")
    assert all(h.initials != "sjz" for h in everywhere[first_prefix:])
