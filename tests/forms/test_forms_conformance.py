"""ODK conformance, written from the ODK XForms specification and JavaRosa (ODK Collect).

Every case names the rule it checks. Where Collect and Enketo differ, Collect is the reference
(docs/forms.md, "Conformance").
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from forms_helpers import form

from forms.engine import FormEngine
from forms.expr import MapContext, compile_expression, evaluate_expression
from i18n.errors import ExpressionError

TZ8 = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=TZ8)


def ev(text, values=None, **ctx):
    ctx.setdefault("now", NOW)
    return evaluate_expression(text, values or {}, **ctx)


# -- predicates over repeats, in every spelling pyxform produces -------------------------------

HOUSEHOLD = [
    {"name": "A", "age": 4, "kid": [{"k": 1}, {"k": 2}]},
    {"name": "B", "age": 20, "kid": [{"k": 3}]},
    {"name": "C", "age": 30},
    {"name": "D", "age": 70},
]

REPEAT_CASES = {
    # ${hh} becomes /data/hh: the predicate's context is each repeat instance
    "count(${hh}[age >= 18])": 3,
    "count(/data/hh[age >= 18])": 3,
    "count(/data/hh[./age >= 18])": 3,
    # ${age} or /data/hh/age inside the predicate: the instance's own age (JavaRosa
    # contextualises references into the repeat by the predicate's context node)
    "count(${hh}[${age} >= 18])": 3,
    "sum(${hh}[${age} >= 18]/age)": 120,
    "count(/data/hh[/data/hh/age >= 18])": 3,
    "count(${hh}[position(.) > 2])": 2,
    # the predicate on the field step: "." is each age
    "count(/data/hh/age[. >= 18])": 3,
    "count(/data/hh/age[. >= 18 and . < 65])": 2,
    "count(${age}[. >= 18])": 3,
    "sum(${age}[. >= 18])": 120,
    "sum(${hh}[age >= 18]/age)": 120,
    "sum(/data/hh[age >= 18]/age)": 120,
    # position() and last() count within the step's nodes
    "sum(/data/hh[position() <= 2]/age)": 24,
    # ${age} is /data/hh/age: a position counts among each household's ages (XPath, Collect)
    "sum(${age}[position() = last()])": 124,
    "count(${age}[2])": 0,
    "count(${kid}[1])": 2,  # every household's first child
    "count(/data/hh/kid[last()])": 2,
    # in parentheses the predicate filters the whole set: the last age of all
    "sum((${age})[position() = last()])": 70,
    "(/data/hh/age)[2]": 20,
    "sum(/data/hh[last()]/age)": 70,
    "/data/hh[3]/age": 30,
    "${hh}[2]/age": 20,
    # several predicates: the second sees only what the first kept
    "count(${hh}[position() > 1][age >= 18])": 3,
    "/data/hh[age >= 18][2]/age": 30,
    "/data/hh[age < 65][last()]/age": 30,
    # more than one filtered step (nested repeats)
    "count(/data/hh[age >= 18]/kid[k > 1])": 1,
    "count(/data/hh/kid[k >= 1])": 3,
    "sum(/data/hh[kid/k > 2]/age)": 20,
    # relative from a top-level field, and current()
    "count(../hh[age >= 18])": 3,
    "count(/data/hh[age > current()/../limit])": 2,
    "count(/data/hh[age > /data/limit])": 2,
}


@pytest.fixture(scope="module")
def household_engine():
    header = ["type", "name", "label", "calculation"]
    rows = [
        header,
        ["integer", "limit", "L", ""],
        ["begin repeat", "hh", "户", ""],
        ["text", "name", "姓名", ""],
        ["integer", "age", "年龄", ""],
        ["begin repeat", "kid", "K", ""],
        ["integer", "k", "k", ""],
        ["end repeat", "", "", ""],
        ["end repeat", "", "", ""],
    ]
    names = {}
    for i, expr in enumerate(REPEAT_CASES):
        names[expr] = f"c{i}"
        rows.append(["calculate", f"c{i}", "", expr])
    engine = FormEngine(form(rows), {"limit": 25, "hh": HOUSEHOLD})
    return engine, names


@pytest.mark.parametrize("expr", list(REPEAT_CASES))
def test_repeat_predicates_evaluate_as_collect(household_engine, expr):
    engine, names = household_engine
    value = engine.evaluation().values[names[expr]]
    assert float(value) == REPEAT_CASES[expr], expr


def test_repeat_predicates_follow_answers_and_instances():
    f = form(
        [
            ["type", "name", "label", "calculation"],
            ["begin repeat", "hh", "户", ""],
            ["integer", "age", "年龄", ""],
            ["end repeat", "", "", ""],
            ["calculate", "adults", "", "count(${hh}[age >= 18])"],
            ["calculate", "ages", "", "sum(/data/hh/age[. >= 18])"],
        ]
    )
    engine = FormEngine(f, {"hh": [{"age": 10}, {"age": 40}]})
    assert engine.state("adults").value == 1
    changed = engine.set_answer("hh[1]/age", 18)
    assert {"adults", "ages"} <= changed
    assert engine.state("adults").value == 2 and engine.state("ages").value == 58
    engine.add_instance("hh")
    engine.set_answer("hh[3]/age", 30)
    assert engine.state("adults").value == 3
    engine.remove_instance("hh", 1)
    assert engine.state("adults").value == 2


def test_predicates_in_a_free_standing_expression():
    assert ev("${r}[. > 4]", {"r": ["4", "5", "6"]}) == ["5", "6"]
    assert ev("sum(${r}[. > 4])", {"r": ["4", "5", "6"]}) == 11
    assert ev("count(${hh}[age > 3])", {"hh": [{"age": 2}, {"age": 5}]}) == 1


# -- comparisons with node sets (XPath 1.0 §3.4) -----------------------------------------------


@pytest.mark.parametrize(
    ("expr", "ages", "expected"),
    [
        ("${age} != 4", [4, 20], True),  # some value differs
        ("${age} != 4", [4, 4], False),
        ("${age} = 4", [4, 20], True),  # some value is equal
        ("${age} = 5", [4, 20], False),
        ("${age} > 18", [4, 20], True),
        ("${age} < 4", [4, 20], False),
        ("4 != ${age}", [4, 20], True),
    ],
)
def test_node_set_comparisons(expr, ages, expected):
    f = form(
        [
            ["type", "name", "label", "calculation"],
            ["begin repeat", "hh", "户", ""],
            ["integer", "age", "年龄", ""],
            ["end repeat", "", "", ""],
            ["calculate", "c", "", expr],
        ]
    )
    engine = FormEngine(f, {"hh": [{"age": a} for a in ages]})
    assert engine.state("c").value == ("true" if expected else "false")


def test_numbers_compare_equal_within_1e12_as_javarosa():
    assert ev("0.1 + 0.2 = 0.3") is True
    assert ev("0.1 + 0.2 != 0.3") is False


# -- functions the spec lists that were missing or wrong ---------------------------------------


def test_random_with_once_is_drawn_once():
    f = form(
        [
            ["type", "name", "label", "calculation"],
            ["calculate", "draw", "", "once(random())"],
            ["integer", "x", "X", ""],
        ]
    )
    engine = FormEngine(f)
    first = engine.state("draw").value
    assert 0 <= float(first) < 1
    engine.set_answer("x", 3)
    engine2 = FormEngine(f, {"draw": first})
    assert engine.state("draw").value == first
    assert float(engine2.state("draw").value) == first  # a reopened record keeps its draw
    values = {ev("random()") for _ in range(20)}
    assert len(values) > 1 and all(0 <= v < 1 for v in values)


def test_weighted_checklist():
    assert ev("weighted-checklist(3, 5, true(), 2, false(), 10, true(), 1.5)") is True
    assert ev("weighted-checklist(0, 1, true(), 2)") is False
    assert ev("weighted-checklist(-1, 2, false(), 5)") is True  # -1 is a number here
    values = {"f": ["1", "0", "1"], "w": ["2", "9", "3"]}
    assert ev("weighted-checklist(5, 5, ${f}, ${w})", values) is True


def test_checklist_over_booleans_and_nodes():
    assert ev("checklist(1, 1, 1 > 2, 3 > 2)") is True  # false() is not counted
    assert ev("checklist(-1, 0, false(), false())") is True
    assert ev("checklist(2, -1, true(), false(), 'x')") is True
    assert ev("checklist(2, 2, ${r})", {"r": ["1", "0", "yes"]}) is True  # every node counts
    assert ev("checklist(1, 1, ${a}, ${b})", {"a": "0", "b": "3"}) is True  # 0 is false


def test_area_and_distance_on_geo_text():
    shape = "0 0 0 0;0 0.001 0 0;0.001 0.001 0 0;0.001 0 0 0;0 0 0 0"
    side = 0.001 * 2 * 6378100 * math.pi / 360
    assert ev("area(${s})", {"s": shape}) == pytest.approx(side * side, rel=1e-3)
    assert ev("distance(${t})", {"t": "0 0 0 0;0 1 0 0"}) == pytest.approx(111318.845, abs=0.01)
    assert ev("distance(${t})", {"t": "0 0;0 0"}) == 0  # not NaN for repeated points
    points = {"p": ["0 0 0 0", "0 1 0 0", "1 1 0 0"]}
    assert ev("distance(${p})", points) == pytest.approx(2 * 111318.845, rel=1e-4)
    assert ev("area(${s})", {"s": ""}) == 0
    assert math.isnan(ev("area(${s})", {"s": "north"}))
    assert math.isnan(ev("distance(${s})", {"s": "95 0;0 0"}))  # latitude out of range


def test_area_and_distance_are_not_degraded_any_more():
    compiled = compile_expression("area(${s}) + distance(${s})")
    assert compiled.degraded == ()


def test_uuid_with_a_length():
    text = ev("uuid(12)")
    assert re.fullmatch(r"[0-9A-Za-z]{12}", text)
    assert ev("uuid(12)") != text
    assert ev("uuid(0)") == ""
    assert re.fullmatch(r"[0-9a-f-]{36}", ev("uuid()"))


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("substr('hello', 1, 3)", "el"),
        ("substr('hello', -2)", "lo"),  # negative start counts from the end
        ("substr('hello', 1, -1)", "ell"),  # so does a negative end
        ("substr('hello', -10, 2)", "he"),
        ("substr('hello', 3, 1)", ""),
        ("substr('hello', 9)", ""),
    ],
)
def test_substr(expr, expected):
    assert ev(expr) == expected


def test_log_and_friends_give_java_results():
    assert ev("log(0)") == -math.inf and ev("string(log(0))") == "-Infinity"
    assert ev("log10(0)") == -math.inf
    assert math.isnan(ev("log(-1)"))
    assert ev("exp(1000)") == math.inf
    assert ev("pow(0, -1)") == math.inf
    assert math.isnan(ev("sqrt(-1)"))


def test_normalize_space_and_string_length_without_argument_use_the_context_node():
    values = {"a": "  x   y "}
    assert ev("normalize-space()", values, current="a") == "x y"
    assert ev("string-length()", values, current="a") == 8
    f = form([["type", "name", "label", "constraint"], ["text", "t", "T", "string-length() <= 3"]])
    assert not FormEngine(f, {"t": "abcd"}).state("t").valid
    assert FormEngine(f, {"t": "abc"}).state("t").valid


def test_explicit_axes():
    values = {"a": "7"}
    assert ev("self::node() + 1", values, current="a") == 8
    assert ev("count(self::node())", values, current="a") == 1
    f = form(
        [
            ["type", "name", "label", "calculation"],
            ["begin group", "g", "G", ""],
            ["integer", "x", "X", ""],
            ["calculate", "twice", "", "parent::*/x * 2"],
            ["calculate", "same", "", "child::node()"],
            ["end group", "", "", ""],
            ["calculate", "outside", "", "/data/child::g/child::x + 1"],
        ]
    )
    engine = FormEngine(f, {"x": 4})
    assert engine.state("twice").value == 8
    assert engine.state("outside").value == 5
    with pytest.raises(ExpressionError) as err:
        compile_expression("ancestor::node()")
    assert err.value.code == "forms.expr.axis"


def test_decimal_date_time_and_decimal_time_with_offsets():
    # An instant with an offset is that instant; days since 1970-01-01T00:00Z.
    assert ev("decimal-date-time('2020-01-01T08:00:00.000+08:00')") == 18262.0
    assert ev("decimal-date-time('2020-01-01T00:00:00.000Z')") == 18262.0
    assert ev("decimal-date-time('2020-01-01T00:00:00.000-05:00')") == pytest.approx(18262.2083333)
    # Without an offset: the device's zone (+08:00 here, from now()).
    assert ev("decimal-date-time('2020-01-01T08:00:00')") == 18262.0
    assert ev("decimal-date-time('')") == ""
    # decimal-time: the fraction of the device's local day.
    assert ev("decimal-time('12:00:00.000+02:00')") == pytest.approx(0.75)  # 18:00 at +08
    assert ev("decimal-time('06:00:00')") == pytest.approx(0.25)
    assert ev("decimal-time('2020-01-01T18:00:00+08:00')") == pytest.approx(0.75)
    utc_now = datetime(2026, 3, 1, tzinfo=UTC)
    assert ev("decimal-time('12:00:00.000+02:00')", now=utc_now) == pytest.approx(10 / 24)


def test_round_on_the_decimal_value_as_collect():
    assert ev("round(2.675, 2)") == 2.68  # 2.675 is 2.67499999… in binary
    assert ev("round(1.005, 2)") == 1.01
    assert ev("round(2.5)") == 3 and ev("round(-2.5)") == -2
    assert ev("round(1234.5, -2)") == 1200
    assert math.isnan(ev("round(1, 31)"))


def test_boolean_from_string_ignores_case():
    assert ev("boolean-from-string('TRUE')") is True
    assert ev("boolean-from-string('1')") is True
    assert ev("boolean-from-string('yes')") is False


# -- quotes from spreadsheet autocorrect -------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "${c} = ’food’",
        "${c} = ‘food’",
        "${c} = ’food'",  # curly open, straight close (osm-fieldwork/buildings.xls)
        "${c} = 'food’",
        "${c} = “food”",
        '${c} = ”food"',
    ],
)
def test_curly_and_straight_quotes_mixed(expr):
    assert ev(expr, {"c": "food"}) is True


def test_mixed_quotes_in_a_form_load_and_evaluate():
    f = form(
        [
            ["type", "name", "label", "relevant"],
            ["text", "c", "C", ""],
            ["text", "d", "D", "${c}=’food’ and ${c} != ‘x'"],
        ]
    )
    assert FormEngine(f, {"c": "food"}).state("d").relevant
    assert not FormEngine(f, {"c": "tea"}).state("d").relevant


def test_a_quote_inside_a_string_is_still_refused_as_pyxform_would():
    with pytest.raises(ExpressionError) as err:
        compile_expression("${c} = 'It’s'")
    assert err.value.code == "forms.expr.unclosed_string"


# -- no expression may raise -------------------------------------------------------------------


def test_context_without_a_current_node():
    ctx = MapContext({})
    assert compile_expression("normalize-space()")(ctx) == ""
    assert compile_expression("string-length()")(ctx) == 0
    assert compile_expression("decimal-time(.)")(ctx) == ""


# -- forms ODK tools accept ----------------------------------------------------------------------


def _check(data: bytes):
    from forms import check_form

    return check_form(data, name="t")


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        ("phone number", "text"),
        ("add text prompt", "text"),
        ("q string", "text"),
        ("add integer prompt", "integer"),
        ("q int", "integer"),
        ("add decimal prompt", "decimal"),
        ("add date prompt", "date"),
        ("q date", "date"),
        ("add dateTime prompt", "dateTime"),
        ("date time", "dateTime"),
        ("add note prompt", "note"),
        ("add location prompt", "geopoint"),
        ("q picture", "image"),
        ("add barcode prompt", "barcode"),
        ("get start time", "start"),
        ("end time", "end"),
        ("get today", "today"),
        ("get device id", "deviceid"),
        ("percentage", "integer"),
        ("number of days in last month", "integer"),
        ("add_text_prompt", "text"),
    ],
)
def test_legacy_type_spellings_pyxform_knows(spelling, kind):
    from forms_helpers import xlsx

    result = _check(xlsx([["type", "name", "label"], [spelling, "q", "Q"]]))
    assert result.ok, [p.message() for p in result.errors]
    assert result.form.question("q").type == kind


def test_legacy_types_keep_the_check_pyxform_gives_them():
    f = form([["type", "name", "label"], ["phone number", "tel", "T"], ["percentage", "p", "P"]])
    engine = FormEngine(f, {"tel": "12a", "p": 120})
    assert not engine.state("tel").valid and not engine.state("p").valid
    engine = FormEngine(f, {"tel": "0851", "p": 40})
    assert engine.state("tel").valid and engine.state("p").valid


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [("select one using", "select_one"), ("select multiple using", "select_multiple")],
)
def test_legacy_select_spellings(spelling, kind):
    from forms_helpers import xlsx

    data = xlsx(
        [["type", "name", "label"], [f"{spelling} yn", "q", "Q"]],
        [["list_name", "name", "label"], ["yn", "yes", "Yes"]],
    )
    result = _check(data)
    assert result.ok, [p.message() for p in result.errors]
    assert result.form.question("q").type == kind and result.form.question("q").list_name == "yn"


def test_looped_group_is_a_repeat():
    f = form(
        [
            ["type", "name", "label"],
            ["begin looped group", "r", "R"],
            ["text", "x", "X"],
            ["end looped group", "", ""],
        ]
    )
    assert f.question("r").is_repeat


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value not in (None, ""):
                    ws.cell(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_workbook_whose_only_sheet_is_not_named_survey():
    data = _workbook({"Sheet1": [["type", "name", "label"], ["integer", "n", "Number"]]})
    result = _check(data)
    assert result.ok
    assert result.form.question("n").type == "integer"
    assert [p.code for p in result.warnings] == ["forms.load.sheet_as_survey"]
    assert "Sheet1" in result.warnings[0].message()


def test_two_sheets_without_survey_are_still_refused():
    data = _workbook({"Sheet1": [["type", "name"]], "Sheet2": [["list_name", "name"]]})
    result = _check(data)
    assert not result.ok and result.errors[0].code == "forms.load.no_survey"


def test_stray_cells_far_below_the_data_are_ignored_as_pyxform_does():
    rows = [["type", "name", "label"], ["integer", "n", "Number"]]
    rows += [[]] * 61  # more than 60 empty rows
    rows += [["", "", "a note typed far below"], ["nonsense", "", ""]]
    result = _check(_workbook({"survey": rows}))
    assert result.ok, [p.message() for p in result.errors]
    assert [p.code for p in result.warnings] == ["forms.load.rows_ignored"]
    assert result.warnings[0].location.row == 64  # header 1, data 2, empty 3-63


def test_up_to_60_empty_rows_inside_the_data_are_kept():
    rows = [["type", "name", "label"], ["integer", "n", "Number"]]
    rows += [[]] * 60
    rows += [["text", "t", "Text"]]
    result = _check(_workbook({"survey": rows}))
    assert result.ok and "t" in result.form and not result.warnings


def test_header_cells_after_more_than_20_empty_ones_are_ignored():
    header = ["type", "name", "label"] + [""] * 21 + ["stray"]
    rows = [header, ["integer", "n", "Number"] + [""] * 21 + ["x"]]
    result = _check(_workbook({"survey": rows}))
    assert result.ok
    assert [p.code for p in result.warnings] == ["forms.load.columns_ignored"]
    assert "stray" not in result.form.question("n").extra


def test_what_collect_refuses_is_still_refused_with_its_place():
    from forms_helpers import xlsx

    result = _check(
        xlsx(
            [
                ["type", "name", "label", "relevant"],
                ["text", "a", "A", ""],
                ["text", "b", "B", "${a} = ’x"],
                ["integr", "c", "C", ""],
            ]
        )
    )
    found = {(p.code, p.location.row, p.location.column) for p in result.errors}
    assert ("forms.expr.unclosed_string", 3, "relevant") in found
    assert ("forms.load.unknown_type_suggest", 4, "type") in found


def test_repeat_predicates_inside_a_choice_filter():
    f = form(
        [
            ["type", "name", "label", "choice_filter"],
            ["begin repeat", "hh", "户", ""],
            ["integer", "age", "年龄", ""],
            ["end repeat", "", "", ""],
            ["select_one help", "help", "帮助", "count(${hh}[age >= 60]) > 0 or name != 'elder'"],
        ],
        [["list_name", "name", "label"], ["help", "elder", "老人"], ["help", "child", "儿童"]],
    )
    young = FormEngine(f, {"hh": [{"age": 30}]})
    assert [c.name for c in young.choices("help")] == ["child"]
    old = FormEngine(f, {"hh": [{"age": 30}, {"age": 70}]})
    assert [c.name for c in old.choices("help")] == ["elder", "child"]
