"""The working habits of the repository: collection, hypothesis profiles, what the wheel ships."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

from tests.conftest import REPO


def test_plain_pytest_collects_every_test(tmp_path):
    """`pytest` (not `python -m pytest`) from another folder: no collection errors."""
    code = "import sys, pytest; sys.exit(pytest.main(['--collect-only', '-q', sys.argv[1]]))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "tests")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "error" not in out.stdout.splitlines()[-1], out.stdout[-3000:]
    # the real packages, not the test folders of the same name, were imported
    assert "tests/exports/test_bundle_merge.py::" in out.stdout


def test_long_profile_scales_every_budget():
    code = (
        "from tests.profiles import examples, active_profile;"
        "print(active_profile(), examples(400), examples(25))"
    )
    run = lambda profile: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "HYPOTHESIS_PROFILE": profile},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert run("long") == ["long", "8000", "500"]
    assert run("ci") == ["ci", "400", "25"]


def test_ci_profile_is_derandomised_when_ci_is_set():
    code = "import tests.profiles; from hypothesis import settings; print(settings.default.derandomize)"
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**env, "CI": "true"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"


def test_bench_is_not_in_the_wheel():
    from setuptools import find_packages

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(str(REPO), include=include)
    assert "bench" not in packages and not any(p.startswith("bench.") for p in packages)
    assert {"kexie", "forms", "localdb", "exports", "i18n", "desktop"} <= set(packages)


def test_kexie_command_works_without_bench(tmp_path):
    """An installed wheel has no bench/: the command still starts, without `kexie bench`."""
    code = (
        "import sys; sys.modules['bench'] = None;"
        "from kexie.cli import build_parser; p = build_parser();"
        "print(sorted(p._subparsers._group_actions[0].choices))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "export" in out.stdout and "bench" not in out.stdout
