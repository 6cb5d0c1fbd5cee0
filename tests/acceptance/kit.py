"""Helpers of the acceptance tests: run the CLI as a user would, read bundles back."""

from __future__ import annotations

import contextlib
import io
import json

from python_calamine import CalamineWorkbook

from kexie.cli import main

VOL = "kexie_volunteer_monthly"
VENUE = "kexie_venue_monthly"
COVER = {"unit_head": "李主任", "filled_by": "张填表", "phone": "13812345678",
         "fill_date": "2026-10-03"}  # fmt: skip
EXPLAIN = ["registered_gap", "new_share", "registered_change", "hours_per_active",
           "served_per_activity"]  # fmt: skip


def kexie(data, *args, lang: str | None = None) -> tuple[int, object, str]:
    """Run ``kexie --data DATA ARGS``; returns (exit code, JSON or text of stdout, stderr)."""
    argv = ["--data", str(data), *(["--lang", lang] if lang else []), *(str(a) for a in args)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    text = out.getvalue()
    try:
        data_out = json.loads(text) if text.strip() else None
    except ValueError:
        data_out = text
    return int(code or 0), data_out, err.getvalue()


def ok(data, *args, lang: str | None = None):
    code, out, err = kexie(data, *args, lang=lang)
    assert code == 0, f"kexie {' '.join(map(str, args))} → {code}\n{out}\n{err}"
    return out


def sets(values: dict, explain: bool = True) -> list[str]:
    argv: list[str] = []
    for name, value in {**values, **COVER}.items():
        argv += ["--set", f"{name}={value}"]
    if explain:
        for name in EXPLAIN:
            argv += ["--explain", f"{name}=核实无误"]
    return argv


def volunteer(reg: int, new: int = 5, active: int | None = None, acts: int = 4) -> dict:
    active = reg // 2 if active is None else active
    return {"vol_registered": reg, "vol_new": new, "vol_female": reg // 3, "vol_young": reg // 4,
            "vol_retired": reg // 5, "vol_active": active, "vol_orgs": 2, "activities": acts,
            "activities_rural": acts // 2, "activities_online": 0,
            "people_served": 30 * acts, "service_hours": 1.5 * active}  # fmt: skip


def venue(name: str, kind: str, visitors: int) -> dict:
    return {"venue_name": name, "venue_type": kind, "open_days": 20, "tour_stations": 0,
            "caravan_trips": 0, "caravan_km": 0, "visitors": visitors,
            "visitors_minor": visitors // 2, "visitors_school": visitors // 3,
            "online_visits": 10, "exhibitions": 2, "activities": 3, "activity_visits": 40}  # fmt: skip


def units(data, code: str) -> list[str]:
    return [u["code"] for u in ok(data, "units", code, "--json")["units"]]


def manifest(path) -> dict:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("_manifest").to_python()
    return {r[0]: json.loads("".join(str(c) for c in r[1:] if c != "")) for r in rows if r and r[0]}


def data_rows(path, form: str = VOL) -> list[dict]:
    m = manifest(path)
    t = m["tables"][form]
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(t["sheet"]).to_python()
    names = [c[0] for c in t["columns"]]
    return [{n: (None if v == "" else v) for n, v in zip(names, r, strict=False)}
            for r in rows[1:] if any(x != "" for x in r)]  # fmt: skip


def rollup(path, title: str, indicators: list[str]) -> dict:
    """The 汇总 sheet as {(unit code or "" for 合计, period or span): {indicator: value}}."""
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name("汇总-" + title).to_python()
    head = next(i for i, r in enumerate(rows) if r and r[0] in ("单位代码", "Unit code"))
    out = {}
    for r in rows[head + 1 :]:
        if any(x != "" for x in r[:3]):
            vals = r[3 : 3 + len(indicators)]
            out[(r[0], r[2])] = {
                n: (None if v == "" else v) for n, v in zip(indicators, vals, strict=True)
            }
    return out
