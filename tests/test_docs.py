"""The docs are part of the tests: README's command list and docs/internals.md's API match the
code (as sqlite-utils' tests/test_docs.py does for its CLI)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import re

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
INTERNALS = (REPO / "docs" / "internals.md").read_text(encoding="utf-8")


def _command_block() -> str:
    section = README.split("## The `kexie` command", 1)[1]
    return section.split("```", 2)[1]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    from kexie.cli import build_parser

    return build_parser()


def _documented(block: str) -> list[list[str]]:
    """Each ``kexie WORD [WORD]`` use in the block, as the words after ``kexie``."""
    uses = []
    for m in re.finditer(r"\bkexie((?: [a-z][a-z-]*)+)", block):
        uses.append(m.group(1).split())
    return uses


def test_every_command_is_in_the_readme_and_every_readme_command_exists(parser):
    commands = _subparsers(parser)
    documented = {words[0] for words in _documented(_command_block())}
    missing, stale = sorted(set(commands) - documented), sorted(documented - set(commands))
    assert not missing, f"add to README's command list: {missing}"
    assert not stale, f"README names commands that do not exist: {stale}"


def test_every_sub_command_is_in_the_readme(parser):
    """Commands with their own sub-commands (``kexie forms check``): those too, both ways."""
    uses = _documented(_command_block())
    for name, sub in _subparsers(parser).items():
        nested = _subparsers(sub)
        if not nested:
            continue
        documented = {w[1] for w in uses if w[0] == name and len(w) > 1}
        assert set(nested) == documented, (
            f"kexie {name}: {sorted(nested)} vs README {sorted(documented)}"
        )


def _options(sub: argparse.ArgumentParser) -> set[str]:
    found = set()
    for action in sub._actions:
        found.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for nested in action.choices.values():
                found |= _options(nested)
    return found


def test_options_in_the_readme_exist(parser):
    commands = _subparsers(parser)
    overall = _options(parser)
    for line in _command_block().splitlines():
        m = re.match(r"kexie ([a-z][a-z-]*)", line.strip())
        if not m or m.group(1) not in commands:
            continue
        for option in re.findall(r"(--[a-z][a-z-]*)", line.split("   ", 1)[0]):
            assert option in _options(commands[m.group(1)]) | overall, (m.group(1), option)


def test_every_command_has_help(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help, choice.dest


# -- docs/internals.md ------------------------------------------------------------------------
def _code() -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", INTERNALS, re.S))


def test_every_name_imported_in_internals_exists():
    for m in re.finditer(r"^from ([\w.]+) import ([\w, ]+)", _code(), re.M):
        module = importlib.import_module(m.group(1))
        for name in (n.strip() for n in m.group(2).split(",")):
            if not hasattr(module, name):
                importlib.import_module(f"{m.group(1)}.{name}")  # a submodule


def _store_signatures() -> dict[str, str]:
    """``store.name(params)`` in the Storage block, params joined over continuation lines."""
    storage = INTERNALS.split("## Storage", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    out: dict[str, str] = {}
    for m in re.finditer(r"\bstore\.([a-z_]+)\(([^)]*)\)", storage, re.S):
        out.setdefault(m.group(1), m.group(2))
    return out


@pytest.fixture(scope="module")
def open_store_(tmp_path_factory):
    from localdb import open_store

    with open_store(tmp_path_factory.mktemp("docs") / "data") as store:
        yield store


def test_store_api_in_internals_is_the_code(open_store_):
    """Every store method internals.md shows exists with exactly the parameters it shows, and
    every public member of the store is shown."""
    from localdb.store import Store

    store = open_store_
    shown = _store_signatures()
    for name, params in shown.items():
        assert hasattr(store, name), f"internals.md shows store.{name}, which is gone"
        real = [
            p.name
            for p in inspect.signature(getattr(store, name)).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        written = [
            w.split("=")[0].strip()
            for w in re.sub(r"#.*", "", params).replace("\n", " ").split(",")
            if w.strip() and w.strip() not in ("*", "/") and not w.strip().startswith("**")
        ]
        assert written == real, f"store.{name}: internals.md says {written}, the code {real}"
    mentioned = set(re.findall(r"\bstore\.([a-z_]+)\b", _code()))
    public = {n for n in dir(Store) if not n.startswith("_")}
    missing = sorted(public - mentioned)
    assert not missing, f"public store members missing from internals.md: {missing}"
