"""Loading and checking XLSForms: the real corpus, and every kind of author mistake."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from forms_helpers import form, xlsx

from forms import check_form, load_form
from forms.workbook import sniff
from i18n.errors import FormError

# The two osm-fieldwork forms use a choice list ("yes_no") that lives in another file: pyxform
# refuses them too, for the same real reason. Everything else outside */bad/ must load.
REFUSED_FOR_REAL_REASONS = {"osm-fieldwork/buildings.xls", "osm-fieldwork/health.xls"}


def _corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".xls", ".xlsx"))


def test_every_corpus_form_loads_or_is_refused_with_a_located_message(corpus):
    files = _corpus_files(corpus)
    assert len(files) == 59
    for path in files:
        rel = path.relative_to(corpus).as_posix()
        result = check_form(path)
        if "/bad/" in rel or rel in REFUSED_FOR_REAL_REASONS:
            assert not result.ok, rel
            assert result.errors, rel
            for problem in result.errors:
                loc = problem.location
                assert loc.sheet and (loc.row or loc.column), (rel, problem.message("en"))
        else:
            assert result.ok, (rel, [p.message("en") for p in result.errors])
            assert result.form.children


def test_bad_calc_english_sentence_is_refused(corpus):
    result = check_form(corpus / "pyxform/bad/bad_calc.xlsx")
    assert not result.ok
    (problem,) = result.errors
    assert problem.location.sheet == "survey"
    assert problem.location.row == 2
    assert problem.location.column == "calculation"
    assert "第2行 calculation" in problem.message()


def test_xls_with_xlsx_name_is_sniffed_by_content(corpus):
    path = corpus / "odk-central-frontend/ifrc-distribution-site-assessment-v1.xlsx"
    assert sniff(path.read_bytes()) == "xls"
    loaded = load_form(path)
    assert loaded.form_id
    assert len(list(loaded.walk())) > 100


def test_large_cha_structure(corpus):
    loaded = load_form(corpus / "cht-core/large_cha.xlsx")
    assert sum(1 for _ in loaded.walk()) > 900
    assert "en" in loaded.languages


def test_chinese_labels_map_to_app_language(corpus):
    loaded = load_form(corpus / "pyxform/xlsform_spec_test.xlsx")
    labelled = [q for q in loaded.walk() if "zh_CN" in q.labels]
    assert labelled and "您好" in "".join(q.labels["zh_CN"] for q in labelled)


def test_minimal_form_model():
    f = form(
        [
            [
                "type",
                "name",
                "label::中文 (zh)",
                "label::English (en)",
                "required",
                "constraint",
                "kexie::aggregate",
                "kexie::unit::中文 (zh)",
                "cht",
            ],
            ["integer", "members", "会员人数", "Members", "yes", ". >= 0", "sum", "人", "x"],
            ["select_one edu", "edu", "学历", "Education", "", "", "", "", ""],
        ],
        [
            ["list_name", "name", "label::中文 (zh)", "label::English (en)"],
            ["edu", "bachelor", "本科", "Bachelor"],
            ["edu", "master", "硕士", "Master"],
        ],
        [
            ["form_title", "form_id", "version", "kexie::kind", "kexie::period"],
            ["年报", "annual", "2026.1", "report", "year"],
        ],
    )
    assert (f.form_id, f.version, f.kind, f.period_type) == ("annual", "2026.1", "report", "year")
    q = f.question("members")
    assert q.type == "integer" and q.required == "true()" and q.aggregate == "sum"
    assert q.labels == {"zh_CN": "会员人数", "en": "Members"}
    assert q.units == {"zh_CN": "人"}
    assert q.extra == {"cht": "x"}  # unknown columns are kept verbatim
    assert f.question("edu").list_name == "edu"
    assert f.choice_lists["edu"].get("master").labels["zh_CN"] == "硕士"
    assert f.title() == "年报"


@pytest.mark.parametrize(
    ("type_cell", "canonical"),
    [
        ("string", "text"),
        ("int", "integer"),
        ("select one yn", "select_one"),
        ("select all that apply yn", "select_multiple"),
        ("select1 yn", "select_one"),
        ("dateTime", "dateTime"),
        ("imei", "deviceid"),
        ("gps", "geopoint"),
        ("photo", "image"),
        ("trigger", "acknowledge"),
        ("select_one yn or_other", "select_one"),
    ],
)
def test_type_aliases(type_cell, canonical):
    f = form(
        [["type", "name", "label"], [type_cell, "q", "Q"]],
        [["list_name", "name", "label"], ["yn", "yes", "Yes"]],
    )
    assert f.question("q").type == canonical


def test_header_aliases_and_case():
    f = form(
        [
            ["TYPE", "NAME", "Caption", "Relevance", "readonly", "calculate", "jr:count"],
            ["integer", "a", "A", "", "", "", ""],
            ["begin repeat", "r", "R", "${a} > 0", "", "", "${a}"],
            ["calculate", "c", "", "", "yes", "1 + 1", ""],
            ["end repeat", "", "", "", "", "", ""],
        ]
    )
    r = f.question("r")
    assert r.relevant == "${a} > 0" and r.repeat_count == "${a}"
    assert f.question("c").calculation == "1 + 1" and f.question("c").read_only == "true()"
    assert f.question("c").parent == "r"


def _problems(survey, choices=None, settings=None):
    result = check_form(xlsx(survey, choices, settings))
    return result, [(p.code, p.location.row, p.location.column) for p in result.errors]


def test_unknown_type_suggests_spelling():
    result, found = _problems([["type", "name", "label"], ["integr", "a", "A"]])
    assert not result.ok
    assert found == [("forms.load.unknown_type_suggest", 2, "type")]
    assert result.errors[0].params["suggestion"] == "integer"
    assert "integer" in result.errors[0].message()


def test_missing_choice_list_with_suggestion():
    _, found = _problems(
        [["type", "name", "label"], ["select_one colour", "a", "A"]],
        [["list_name", "name", "label"], ["colours", "r", "Red"]],
    )
    assert found == [("forms.load.missing_list_suggest", 2, "type")]


def test_unmatched_begin_and_end():
    _, found = _problems([["type", "name", "label"], ["begin group", "g", "G"], ["text", "a", "A"]])
    assert found == [("forms.load.unclosed_begin", 2, "type")]
    _, found = _problems([["type", "name", "label"], ["text", "a", "A"], ["end group", "", ""]])
    assert found == [("forms.load.unmatched_end", 3, "type")]
    _, found = _problems(
        [["type", "name", "label"], ["begin group", "g", "G"], ["end repeat", "", ""]]
    )
    assert found == [("forms.load.mismatched_end", 3, "type")]


def test_duplicate_names_in_one_group_are_refused_across_groups_renamed():
    _, found = _problems([["type", "name", "label"], ["text", "a", "A"], ["text", "a", "B"]])
    assert found == [("forms.load.duplicate_name", 3, "name")]
    result = check_form(
        xlsx(
            [
                ["type", "name", "label"],
                ["text", "a", "A"],
                ["begin group", "g", "G"],
                ["text", "a", "B"],
                ["end group", "", ""],
            ]
        )
    )
    assert result.ok
    assert result.warnings[0].code == "forms.load.renamed_duplicate"
    assert result.form.question("g_a").extra["xlsform_name"] == "a"


def test_unknown_reference_with_suggestion():
    result, found = _problems(
        [
            ["type", "name", "label", "relevant"],
            ["integer", "age", "Age", ""],
            ["text", "b", "B", "${agee} > 3"],
        ]
    )
    assert found == [("forms.expr.unknown_ref_suggest", 3, "relevant")]
    assert result.errors[0].params["suggestion"] == "age"


def test_expression_syntax_error_names_sheet_row_column_and_position():
    result, found = _problems(
        [
            ["type", "name", "label", "constraint"],
            ["integer", "a", "A", ". > 5 and"],
            ["integer", "b", "B", "(. > 1"],
        ]
    )
    assert found == [
        ("forms.expr.end", 2, "constraint"),
        ("forms.expr.unclosed_paren", 3, "constraint"),
    ]
    msg = result.errors[0].message()
    assert msg.startswith("survey 第2行 constraint: ") and "第10个字符" in msg
    assert result.errors[0].message("en").startswith("survey row 2 constraint: ")


def test_cyclic_calculations_are_refused_naming_the_cycle():
    result, found = _problems(
        [
            ["type", "name", "label", "calculation"],
            ["calculate", "a", "", "${b} + 1"],
            ["calculate", "b", "", "${a} + 1"],
        ]
    )
    assert [f[0] for f in found] == ["forms.load.cycle"]
    assert (
        "a → b → a" in result.errors[0].params["cycle"]
        or "b → a → b" in result.errors[0].params["cycle"]
    )


def test_calculate_without_calculation_and_missing_name():
    _, found = _problems([["type", "name", "label"], ["calculate", "c", ""], ["text", "", "X"]])
    assert ("forms.load.missing_calculation", 2, "calculation") in found
    assert ("forms.load.missing_name", 3, "name") in found


def test_duplicate_choices_unless_allowed():
    rows = [["list_name", "name", "label"], ["yn", "y", "Y"], ["yn", "y", "Y2"]]
    _, found = _problems([["type", "name", "label"], ["select_one yn", "a", "A"]], rows)
    assert found == [("forms.load.duplicate_choice", 3, "name")]
    result = check_form(
        xlsx(
            [["type", "name", "label"], ["select_one yn", "a", "A"]],
            rows,
            [["allow_choice_duplicates"], ["yes"]],
        )
    )
    assert result.ok


def test_no_survey_sheet_and_not_a_workbook():
    data = xlsx([["type", "name"]], other_sheet=None)
    result = check_form(b"hello, I am a text file")
    assert not result.ok and result.errors[0].code == "forms.load.not_workbook"
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "survy"
    wb.create_sheet("choices")
    buf = io.BytesIO()
    wb.save(buf)
    result = check_form(buf.getvalue())
    assert result.errors[0].code == "forms.load.no_survey_suggest"
    assert data  # helper still produces a workbook


def test_duplicate_and_clashing_columns():
    _, found = _problems([["type", "name", "label", "label"], ["text", "a", "A", "B"]])
    assert found == [("forms.load.duplicate_column", 1, "label")]
    _, found = _problems([["type", "name", "relevant", "relevance"], ["text", "a", "", ""]])
    assert found == [("forms.load.alias_clash", 1, "relevance")]


def test_tier3_functions_load_with_a_warning(corpus):
    result = check_form(corpus / "cht-core/dates.xlsx")
    assert result.ok
    assert {p.code for p in result.warnings} == {"forms.expr.vendor"}


def test_tier2_pulldata_degrades_with_warning(corpus):
    result = check_form(corpus / "pyxform/pull_data.xlsx")
    assert result.ok and [p.code for p in result.warnings] == ["forms.expr.degraded"]


def test_kexie_extension_values_are_checked():
    _, found = _problems(
        [["type", "name", "label", "kexie::severity"], ["integer", "a", "A", "fatal"]]
    )
    assert found == [("forms.load.bad_kexie_value", 2, "kexie::severity")]
    _, found = _problems([["type", "name", "label", "kexie::of"], ["integer", "a", "A", "nope"]])
    assert found == [("forms.load.of_unknown", 2, "kexie::of")]


def test_load_form_raises_with_every_problem():
    with pytest.raises(FormError) as info:
        load_form(xlsx([["type", "name", "label"], ["integr", "a", "A"], ["textt", "b", "B"]]))
    assert len(info.value.problems) == 2


def test_load_speed_large_form(corpus):
    import time

    start = time.perf_counter()
    load_form(corpus / "cht-core/large_cha.xlsx")
    assert time.perf_counter() - start < 1.0


def test_unknown_reference_in_a_label_is_reported():
    _, found = _problems(
        [["type", "name", "label"], ["integer", "age", "Age"], ["note", "n", "You are ${agee}"]]
    )
    assert found == [("forms.expr.unknown_ref_suggest", 3, "label")]


def test_typographic_quotes_are_accepted_as_string_delimiters():
    f = form(
        [
            ["type", "name", "label", "relevant"],
            ["text", "a", "A", ""],
            ["text", "b", "B", "${a} = ‘yes’"],
        ]
    )
    from forms.engine import FormEngine

    assert FormEngine(f, {"a": "yes"}).state("b").relevant


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "forms.load.not_workbook"),
        (b"PK\x03\x04" + b"garbage" * 10, "forms.load.unreadable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk", "forms.load.unreadable"),
    ],
)
def test_damaged_files_become_messages(data, code):
    result = check_form(data)
    assert not result.ok and [p.code for p in result.errors] == [code]


def test_empty_survey_and_missing_type_column():
    assert [p.code for p in check_form(xlsx([["type", "name", "label"]])).errors] == [
        "forms.load.empty_survey"
    ]
    assert [p.code for p in check_form(xlsx([["name", "label"], ["a", "b"]])).errors] == [
        "forms.load.no_type_column"
    ]
