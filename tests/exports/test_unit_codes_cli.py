"""A unit code that is no division code is named as such by the commands that take one."""

from __future__ import annotations

import pytest

from tests.exports.cli_run import run


@pytest.fixture
def county(tmp_path, capsys):
    d = tmp_path / "county"
    assert run(capsys, "--data", d, "init", "--unit", "330106", "--clerk", "李四")[0] == 0
    return d


@pytest.mark.parametrize(
    "argv",
    [
        ["return", "kexie_volunteer_monthly", "--unit", "33x106", "--period", "2026-10",
         "--reason", "请核对", "--out", "r.xlsx"],
        ["template", "kexie_volunteer_monthly", "--unit", "33x106", "--period", "2026-10",
         "--out", "t.xlsx"],
    ],
)  # fmt: skip
def test_a_malformed_unit_code_is_named(county, tmp_path, capsys, argv):
    argv = [str(tmp_path / a) if a.endswith(".xlsx") else a for a in argv]
    code, _, err = run(capsys, "--lang", "en", "--data", county, *argv)
    assert code == 1
    assert "“33x106” is not a valid division code" in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("*.xlsx"))
