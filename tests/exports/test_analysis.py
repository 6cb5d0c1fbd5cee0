"""``kexie data``: records for SPSS, Stata and Excel, read back with pyreadstat and csv."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from exports.analysis import variables, write_data
from kexie import lifecycle as L
from kexie.cli import main
from localdb import open_store
from localdb.demo import run_demo

pyreadstat = pytest.importorskip("pyreadstat")

UNIT = "330106000000"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis") / "data"
    with open_store(folder) as store:
        store.set_unit(UNIT)
        run_demo(store, records=25, seed=9, today=date(2026, 11, 20))
    return folder


def _expected(folder, form_id):
    with open_store(folder) as store:
        rows = [r for r in store.records(form_id, status=list(L.EXPORTABLE))]
        return store.form(form_id), rows


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_files_carry_variable_and_value_labels(data, tmp_path, fmt):
    out = tmp_path / f"survey.{fmt}"
    assert (
        main(["--data", str(data), "data", "kexie_survey", "--format", fmt, "--out", str(out)]) == 0
    )
    form, rows = _expected(data, "kexie_survey")
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    df, meta = read(str(out))
    assert len(df) == len(rows) > 0
    labels = meta.column_names_to_labels
    assert labels["sex"] == form.question("sex").label("zh_CN")
    sex_choices = {c.name: c.label("zh_CN") for c in form.choice_lists["sex"].choices}
    value_labels = {int(k): v for k, v in meta.variable_value_labels["sex"].items()}
    assert set(value_labels.values()) == set(sex_choices.values())
    # every record's sex reads back as its choice label
    by_uuid = {r["_uuid"]: r for r in rows}
    for uuid, code in zip(df["record_id"], df["sex"], strict=True):
        raw = by_uuid[uuid]["sex"]
        if raw is None:
            assert code != code  # NaN: missing
        else:
            assert value_labels[int(code)] == sex_choices[raw]
    # select_multiple: one 0/1 variable per choice
    concerns = [c.name for c in form.choice_lists[form.question("concerns").list_name].choices]
    for choice in concerns[:3]:
        name = f"concerns_{choice}"
        assert name in df.columns
        assert labels[name].endswith(
            "：" + form.choice_lists[form.question("concerns").list_name].get(choice).label("zh_CN")
        )
        for uuid, flag in zip(df["record_id"], df[name], strict=True):
            raw = by_uuid[uuid]["concerns"]
            if raw:
                assert flag == (1 if choice in raw.split() else 0)
    # personal data is left out unless asked for
    assert not any(c.startswith("contact_") for c in df.columns)
    # numbers stay numbers
    ages = {r["_uuid"]: r["age"] for r in rows}
    for uuid, age in zip(df["record_id"], df["age"], strict=True):
        if ages[uuid] is not None:
            assert age == ages[uuid]


def test_csv_opens_in_excel_utf8_bom_with_labels(data, tmp_path):
    out = tmp_path / "reports.csv"
    assert main(["--data", str(data), "data", "kexie_volunteer_monthly", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    _form, rows = _expected(data, "kexie_volunteer_monthly")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert len(table) - 1 == len(rows)
    head = table[0]
    assert "注册科技志愿者人数（月末数）（人）" in head
    assert head[:3] == ["记录编号", "单位代码", "单位名称"]
    status_col = head.index("状态")
    from i18n import tr

    assert sorted(r[status_col] for r in table[1:]) == sorted(
        tr(f"db.status.{r['_status']}") for r in rows
    )


def test_english_labels_and_stata_names(data, tmp_path):
    out = tmp_path / "survey.dta"
    assert main(["--lang", "en", "--data", str(data), "data", "kexie_survey", "--format", "dta",
                 "--out", str(out)]) == 0  # fmt: skip
    df, meta = pyreadstat.read_dta(str(out))
    with open_store(data) as store:
        form = store.form("kexie_survey")
    assert meta.column_names_to_labels["sex"] == form.question("sex").label("en")
    assert "end" not in df.columns and "end_2" in df.columns  # `end` is reserved in Stata
    for name in df.columns:
        assert len(name) <= 32 and name[0].isalpha()
    assert all(len(v) <= 80 for v in meta.column_names_to_labels.values() if v)


def test_variable_names_are_unique_and_valid(data):
    with open_store(data) as store:
        vs = variables(store.form("kexie_survey"), lang="zh_CN", include_sensitive=True)
    names = [v.name.lower() for v in vs]
    assert len(names) == len(set(names))
    assert any(v.source == "contact_mobile" for v in vs)


def test_bad_output_fails_cleanly(data, tmp_path, capsys):
    out = tmp_path / "missing" / "x.sav"
    assert (
        main(["--data", str(data), "data", "kexie_survey", "--format", "sav", "--out", str(out)])
        == 1
    )
    err = capsys.readouterr().err
    assert "x.sav" in err and "Traceback" not in err
    assert main(["--data", str(data), "data", "nope", "--out", str(tmp_path / "a.csv")]) == 1
    assert main(["--data", str(data), "data", "kexie_survey", "--unit", "abc",
                 "--out", str(tmp_path / "b.csv")]) == 1  # fmt: skip
    assert not (tmp_path / "b.csv").exists()
    assert not list(tmp_path.glob(".kexie-data-*"))


def test_period_and_unit_filters(data, tmp_path):
    out = tmp_path / "one.csv"
    with open_store(data) as store:
        write_data(store, "kexie_volunteer_monthly", out, period="2026-09", within="330106002")
        expected = [
            r
            for r in store.records(
                "kexie_volunteer_monthly", within="330106002000", period="2026-09"
            )
            if r["_status"] in L.EXPORTABLE
        ]
    with out.open(encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh))) - 1 == len(expected)
