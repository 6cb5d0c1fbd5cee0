"""The form engine: relevance, requirements, constraints, calculations, repeats, incrementality."""

from __future__ import annotations

from datetime import date

import pytest
from forms_helpers import form

from forms.engine import FormEngine, evaluate
from forms.types import coerce_answer
from i18n.errors import ValidationError

HEADER = [
    "type",
    "name",
    "label",
    "relevant",
    "required",
    "constraint",
    "constraint_message",
    "calculation",
    "default",
    "repeat_count",
    "choice_filter",
    "kexie::severity",
    "kexie::of",
]


def row(
    type_,
    name,
    label="",
    relevant="",
    required="",
    constraint="",
    message="",
    calculation="",
    default="",
    repeat_count="",
    choice_filter="",
    severity="",
    of="",
):
    return [
        type_,
        name,
        label,
        relevant,
        required,
        constraint,
        message,
        calculation,
        default,
        repeat_count,
        choice_filter,
        severity,
        of,
    ]


def make(*rows, choices=None):
    return form([HEADER, *rows], choices)


SURVEY = make(
    row(
        "integer",
        "age",
        "年龄",
        required="yes",
        constraint=". >= 0 and . <= 120",
        message="年龄应在0到120之间",
    ),
    row("select_one yn", "employed", "是否在职"),
    row("begin group", "job", "工作", relevant="${employed} = 'yes'"),
    row("text", "employer", "单位", required="yes"),
    row("integer", "years", "工龄", constraint=". <= ${age}"),
    row("end group", ""),
    row("calculate", "adult", calculation="if(${age} >= 18, 'yes', 'no')"),
    row("calculate", "next_age", calculation="${age} + 1"),
    choices=[["list_name", "name", "label"], ["yn", "yes", "是"], ["yn", "no", "否"]],
)


def test_required_and_constraint_states():
    engine = FormEngine(SURVEY)
    age = engine.state("age")
    assert age.relevant and age.required and not age.valid
    assert age.message == "此项必须填写。" and age.severity == "error"
    engine.set_answer("age", 150)
    age = engine.state("age")
    assert not age.valid and age.message == "年龄应在0到120之间"
    engine.set_answer("age", 30)
    assert engine.state("age").valid and engine.state("age").message is None


def test_relevance_inherits_from_groups_and_blanks_values():
    engine = FormEngine(SURVEY, {"age": 30, "employer": "科协", "years": 5})
    assert not engine.state("employer").relevant
    assert engine.state("employer").value is None
    assert engine.state("employer").valid and not engine.state("employer").required
    changed = engine.set_answer("employed", "yes")
    assert {"employer", "years", "job"} <= changed
    assert engine.state("employer").relevant and engine.state("employer").value == "科协"
    engine.set_answer("employed", "no")
    values = engine.evaluation().values
    assert values["employer"] is None and values["years"] is None


def test_required_applies_only_when_relevant():
    engine = FormEngine(SURVEY, {"age": 30, "employed": "yes"})
    assert engine.state("employer").required and not engine.state("employer").valid
    engine.set_answer("employed", "no")
    assert not engine.state("employer").required and engine.state("employer").valid


def test_constraints_skip_empty_answers_and_read_other_fields():
    engine = FormEngine(SURVEY, {"age": 30, "employed": "yes", "employer": "x"})
    assert engine.state("years").valid  # empty: constraint not checked
    engine.set_answer("years", 40)
    assert not engine.state("years").valid
    assert engine.state("years").message == "答案不符合要求。"
    changed = engine.set_answer("age", 45)  # the constraint reads ${age}
    assert "years" in changed and engine.state("years").valid


def test_calculations_follow_dependencies():
    engine = FormEngine(SURVEY, {"age": 17})
    assert engine.state("adult").value == "no"
    assert engine.state("next_age").value == 18
    changed = engine.set_answer("age", 18)
    assert {"adult", "next_age", "age"} <= changed
    assert engine.state("adult").value == "yes"
    engine.set_answer("age", None)
    assert engine.state("next_age").value is None  # NaN → blank


def test_set_answer_returns_only_changed_names():
    engine = FormEngine(SURVEY, {"age": 17})
    assert engine.set_answer("age", 17) == set()
    changed = engine.set_answer("age", 16)
    assert "employer" not in changed and "next_age" in changed


def test_evaluation_values_and_problems():
    result = evaluate(SURVEY, {"age": 200, "employed": "yes"})
    assert result.values == {
        "age": 200,
        "employed": "yes",
        "employer": None,
        "years": None,
        "adult": "yes",
        "next_age": 201,
    }
    located = {(p.location.field, p.code, p.severity) for p in result.problems}
    assert ("age", "forms.value.custom", "error") in located
    assert ("employer", "forms.value.required", "error") in located
    assert "年龄应在0到120之间" in next(
        p.message() for p in result.problems if p.location.field == "age"
    )


def test_bad_typed_answer_is_invalid_not_a_crash():
    engine = FormEngine(SURVEY, {"age": "abc"})
    state = engine.state("age")
    assert not state.valid and state.value == "abc" and "不是整数" in state.message


def test_warning_severity_and_of_check():
    f = make(
        row("integer", "members", "会员总数"),
        row("integer", "women", "其中：女性", of="members"),
        row(
            "integer",
            "growth",
            "新增",
            constraint=". < 100",
            message="新增人数异常偏多",
            severity="warning",
        ),
    )
    engine = FormEngine(f, {"members": 10, "women": 12, "growth": 500})
    women = engine.state("women")
    assert not women.valid and women.severity == "error"
    assert women.message == "“其中：女性”（12）不能大于“会员总数”（10）。"
    growth = engine.state("growth")
    assert (
        not growth.valid and growth.severity == "warning" and growth.message == "新增人数异常偏多"
    )
    changed = engine.set_answer("members", 20)  # the total changes: the part is checked again
    assert "women" in changed and engine.state("women").valid
    severities = {p.location.field: p.severity for p in engine.evaluation().problems}
    assert severities == {"growth": "warning"}


def test_defaults_only_on_creation():
    f = make(row("integer", "n", "N", default="5"), row("date", "d", "D", default="today()"))
    engine = FormEngine(f)
    assert engine.state("n").value == 5
    engine2 = FormEngine(f, {"n": 7})
    assert engine2.state("n").value == 7
    engine.set_answer("n", None)
    assert engine.state("n").value is None  # not re-applied
    assert FormEngine(f, today=date(2024, 1, 2)).state("d").value == "2024-01-02"


def test_choice_filter_uses_current_context():
    f = make(
        row("select_one prov", "prov", "省"),
        row("select_one city", "city", "市", choice_filter="prov = ${prov}"),
        choices=[
            ["list_name", "name", "label", "prov"],
            ["prov", "gd", "广东", ""],
            ["prov", "hb", "湖北", ""],
            ["city", "gz", "广州", "gd"],
            ["city", "sz", "深圳", "gd"],
            ["city", "wh", "武汉", "hb"],
        ],
    )
    engine = FormEngine(f)
    assert engine.choices("city") == []
    engine.set_answer("prov", "gd")
    assert [c.name for c in engine.choices("city")] == ["gz", "sz"]
    engine.set_answer("prov", "hb")
    assert [c.name for c in engine.choices("city")] == ["wh"]
    assert len(engine.choices("prov")) == 2


def test_repeats_with_repeat_count_positions_and_sums():
    f = make(
        row("integer", "n", "人数"),
        row("begin repeat", "member", "成员", repeat_count="${n}"),
        row("integer", "age", "年龄", required="yes"),
        row("calculate", "pos", calculation="position(..)"),
        row("text", "note", "备注", relevant="${age} > 60"),
        row("end repeat", ""),
        row("calculate", "total", calculation="sum(${age})"),
        row("calculate", "count", calculation="count(${member})"),
        row("calculate", "second", calculation="indexed-repeat(${age}, ${member}, 2)"),
    )
    engine = FormEngine(f, {"n": 2})
    assert engine.state("count").value == 2
    assert not engine.state("member[1]/age").valid
    engine.set_answer("member[1]/age", 30)
    changed = engine.set_answer("member[2]/age", 70)
    assert {"member[2]/age", "member[2]/note", "total", "second"} <= changed
    assert engine.state("total").value == 100
    assert engine.state("second").value == "70"  # a node copied as its text
    assert engine.state("member[2]/pos").value == 2
    assert engine.state("member[2]/note").relevant and not engine.state("member[1]/note").relevant
    engine.set_answer("n", 3)
    assert engine.state("count").value == 3 and engine.state("member[3]/pos").value == 3
    changed = engine.set_answer("n", 1)
    assert "member[2]/age" in changed and engine.state("total").value == 30
    values = engine.evaluation().values
    assert values["member"] == [{"age": 30, "pos": 1, "note": None}]


def test_repeat_answers_as_list_of_dicts():
    f = make(
        row("begin repeat", "hh", "户"),
        row("text", "name", "姓名"),
        row("end repeat", ""),
        row("calculate", "names", calculation="join(' ', ${name})"),
    )
    result = evaluate(f, {"hh": [{"name": "张三"}, {"name": "李四"}]})
    assert result.values["hh"] == [{"name": "张三"}, {"name": "李四"}]
    assert result.values["names"] == "张三 李四"
    engine = FormEngine(f)
    engine.set_answer("hh", [{"name": "王五"}])
    assert engine.state("names").value == "王五"
    engine.add_instance("hh")
    engine.set_answer("hh[2]/name", "赵六")
    assert engine.state("names").value == "王五 赵六"
    engine.remove_instance("hh", 1)
    assert engine.state("names").value == "赵六"


def test_non_relevant_repeat_instance_blanks_its_fields():
    f = make(
        row("begin repeat", "r", "R", relevant="${on} = 'yes'"),
        row("integer", "x", "X"),
        row("end repeat", ""),
        row("text", "on", "On"),
    )
    result = evaluate(f, {"r": [{"x": 1}], "on": "no"})
    assert result.values["r"] == [{"x": None}]
    assert not result.fields["r[1]/x"].relevant


def test_dates_in_constraints():
    f = make(row("date", "d", "日期", constraint=". <= today()"))
    engine = FormEngine(f, {"d": "2024-03-16"}, today=date(2024, 3, 15))
    assert not engine.state("d").valid
    engine.set_answer("d", "2024-03-15")
    assert engine.state("d").valid


def test_select_multiple_answers():
    f = make(
        row("select_multiple s", "s", "S", constraint="count-selected(.) <= 2"),
        row("text", "why", "Why", relevant="selected(${s}, 'c')"),
        choices=[["list_name", "name", "label"], ["s", "a", "A"], ["s", "b", "B"], ["s", "c", "C"]],
    )
    engine = FormEngine(f, {"s": "a c"})
    assert engine.state("why").relevant and engine.state("s").valid
    engine.set_answer("s", ["a", "b", "c"])
    assert engine.state("s").value == "a b c" and not engine.state("s").valid


def test_choice_name_in_calculation():
    f = make(
        row("select_one edu", "edu", "学历"),
        row("calculate", "edu_label", calculation="jr:choice-name(${edu}, '${edu}')"),
        choices=[["list_name", "name", "label"], ["edu", "m", "硕士"]],
    )
    assert evaluate(f, {"edu": "m"}).values["edu_label"] == "硕士"


def test_group_relevance_reading_its_own_child_is_not_a_cycle():
    f = make(
        row("begin group", "inputs", "In", relevant="./source = 'user'"),
        row("text", "source", "Source", default="user"),
        row("end group", ""),
    )
    engine = FormEngine(f)
    assert engine.state("inputs").relevant and engine.state("source").value == "user"
    engine.set_answer("source", "task")
    assert not engine.state("inputs").relevant and not engine.state("source").relevant


def test_unknown_field_is_a_validation_error():
    with pytest.raises(ValidationError):
        FormEngine(SURVEY).set_answer("nope", 1)


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("integer", "42", 42),
        ("integer", " 1,200 ", 1200),
        ("integer", 3.0, 3),
        ("decimal", "2.5", 2.5),
        ("decimal", 3, 3.0),
        ("date", "2024-3-5".replace("-3-5", "-03-05"), "2024-03-05"),
        ("date", date(2024, 1, 2), "2024-01-02"),
        ("time", "09:30", "09:30:00"),
        ("select_multiple", ["a", "b", "a"], "a b"),
        ("select_multiple", "  a   b ", "a b"),
        ("text", "  hi ", "hi"),
        ("text", "", None),
        ("integer", None, None),
    ],
)
def test_coerce_answer(type_, raw, expected):
    f = make(
        row(type_ + (" s" if type_.startswith("select") else ""), "q", "Q"),
        choices=[["list_name", "name", "label"], ["s", "a", "A"]],
    )
    assert coerce_answer(f.question("q"), raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        ("integer", "abc"),
        ("integer", "1.5"),
        ("decimal", "x"),
        ("date", "2024-13-01"),
        ("date", "yesterday"),
        ("time", "25:00"),
        ("integer", True),
    ],
)
def test_coerce_answer_refuses(type_, raw):
    f = make(row(type_, "q", "Q"))
    with pytest.raises(ValidationError):
        coerce_answer(f.question("q"), raw)


def test_incremental_reevaluation_is_fast_on_large_form(corpus):
    import statistics
    import time

    from forms import load_form

    f = load_form(corpus / "cht-core/large_cha.xlsx")
    engine = FormEngine(f)
    numbers = [q.name for q in f.walk() if q.type == "integer" and not f.repeat_of(q.name)][:20]
    times = []
    for i, name in enumerate(numbers * 3):
        start = time.perf_counter()
        engine.set_answer(name, i)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.016


def test_trigger_recomputes_only_when_its_field_changes():
    f = form(
        [
            ["type", "name", "label", "calculation", "trigger"],
            ["integer", "a", "A", "", ""],
            ["integer", "b", "B", "", ""],
            ["calculate", "snap", "", "${b} * 10", "${a}"],
        ]
    )
    engine = FormEngine(f, {"b": 1})
    assert engine.state("snap").value is None
    engine.set_answer("a", 5)
    assert engine.state("snap").value == 10
    engine.set_answer("b", 2)  # b is read, but only a change of a recomputes
    assert engine.state("snap").value == 10
    engine.set_answer("a", 6)
    assert engine.state("snap").value == 20


def test_select_from_csv_file_beside_the_form(tmp_path):
    from forms_helpers import xlsx

    from forms import load_form

    (tmp_path / "towns.csv").write_text("name,label,county\nt1,城关镇,c1\nt2,新华镇,c2\n", "utf-8")
    path = tmp_path / "f.xlsx"
    path.write_bytes(
        xlsx(
            [
                ["type", "name", "label", "choice_filter"],
                ["text", "county", "县", ""],
                ["select_one_from_file towns.csv", "town", "镇", "county = ${county}"],
            ]
        )
    )
    f = load_form(path)
    engine = FormEngine(f, {"county": "c2"})
    assert [c.label() for c in engine.choices("town")] == ["新华镇"]


def test_external_choices_cascade(corpus):
    from forms import load_form

    f = load_form(corpus / "onadata/subdistrict_profiling_tool.xlsx")
    selects = [q for q in f.walk() if q.choice_filter and q.list_name]
    assert selects
    engine = FormEngine(f)
    first = selects[0]
    assert len(engine.choices(first.name)) < len(f.choice_lists[first.list_name].choices)


def test_state_of_repeated_field_without_index():
    f = make(row("begin repeat", "r", "R"), row("integer", "x", "X"), row("end repeat", ""))
    engine = FormEngine(f)
    assert engine.state("x").relevant is False
    engine.set_answer("r", [{"x": 4}])
    assert engine.state("x").value == 4 and engine.state("r").relevant
    with pytest.raises(ValidationError):
        engine.state("r[3]/x")


def test_every_corpus_form_evaluates_with_answers(corpus):
    from forms import check_form

    for path in sorted(p for p in corpus.rglob("*") if p.suffix in (".xls", ".xlsx")):
        result = check_form(path)
        if not result.ok:
            continue
        f = result.form
        engine = FormEngine(f, today=date(2024, 3, 15))
        for i, q in enumerate(f.walk()):
            if q.is_repeat and not q.repeat_count and not f.repeat_of(q.name):
                engine.set_answer(q.name, [{}, {}])
            elif q.stores_value and not q.calculation and not f.repeat_of(q.name):
                choices = engine.choices(q.name) if q.list_name else []
                value = {"integer": i, "decimal": i / 2, "date": "2024-01-02"}.get(q.type, "x")
                if choices:
                    value = choices[0].name
                engine.set_answer(q.name, value)
        evaluation = engine.evaluation()
        assert set(evaluation.values) >= {q.name for q in f.fields()}, path


def test_remove_instance_shifts_later_instances():
    f = make(row("begin repeat", "r", "R"), row("text", "x", "X"), row("end repeat", ""))
    engine = FormEngine(f, {"r": [{"x": "a"}, {"x": "b"}, {"x": "c"}, {"x": "d"}]})
    engine.remove_instance("r", 2)
    assert engine.evaluation().values["r"] == [{"x": "a"}, {"x": "c"}, {"x": "d"}]
    engine.remove_instance("r", 1)
    assert engine.evaluation().values["r"] == [{"x": "c"}, {"x": "d"}]


def test_answers_given_by_instance_key_create_the_instances():
    f = make(row("begin repeat", "r", "R"), row("text", "x", "X"), row("end repeat", ""))
    engine = FormEngine(f, {"r[2]/x": "b"})
    assert engine.evaluation().values["r"] == [{"x": None}, {"x": "b"}]


def test_nested_repeats_state_keys_and_relative_references():
    f = make(
        row("begin repeat", "hh", "户"),
        row("integer", "size", "人数"),
        row("begin repeat", "person", "人"),
        row("integer", "age", "年龄", constraint=". <= 120"),
        row("calculate", "older", calculation="${age} > ${size}"),
        row("end repeat", ""),
        row("calculate", "ages", calculation="sum(${age})"),
        row("end repeat", ""),
        row("calculate", "all_ages", calculation="sum(${age})"),
    )
    engine = FormEngine(
        f,
        {
            "hh": [
                {"size": 2, "person": [{"age": 30}, {"age": 1}]},
                {"size": 1, "person": [{"age": 200}]},
            ]
        },
    )
    assert engine.state("hh[1]/ages").value == 31
    assert engine.state("hh[2]/ages").value == 200
    assert engine.state("all_ages").value == 231
    assert engine.state("hh[1]/person[2]/older").value == "false"
    assert not engine.state("hh[2]/person[1]/age").valid
    changed = engine.set_answer("hh[2]/person[1]/age", 50)
    assert {"hh[2]/person[1]/age", "hh[2]/ages", "all_ages"} <= changed
    assert engine.state("all_ages").value == 81


def test_answers_outside_choices_or_range_are_invalid():
    f = form(
        [
            ["type", "name", "label", "parameters"],
            ["select_one yn", "a", "A", ""],
            ["select_multiple yn", "m", "M", ""],
            ["range", "r", "R", "start=0 end=5 step=1"],
        ],
        [["list_name", "name", "label"], ["yn", "yes", "是"], ["yn", "no", "否"]],
    )
    engine = FormEngine(f, {"a": "maybe", "m": "yes nope", "r": 9})
    assert engine.state("a").message == "“maybe”不是这道题的选项。"
    assert engine.state("m").message == "“nope”不是这道题的选项。"
    assert engine.state("r").message == "9 超出了允许范围（0 到 5）。"
    engine.set_answer("a", "yes")
    engine.set_answer("m", "yes no")
    engine.set_answer("r", 5)
    assert all(engine.state(n).valid for n in ("a", "m", "r"))


def test_text_fills_references_with_current_answers():
    f = form(
        [
            ["type", "name", "label::中文 (zh)", "label::English (en)"],
            ["integer", "total", "总数", "Total"],
            ["note", "show", "合计为 ${total} 人", "Total is ${total}"],
        ]
    )
    engine = FormEngine(f, {"total": 12})
    assert engine.render("show") == "合计为 12 人"
    assert engine.render("show", lang="en") == "Total is 12"
    assert engine.render("total") == "总数"


def test_titles_in_both_languages():
    f = form(
        [["type", "name", "label"], ["text", "a", "A"]],
        settings=[
            ["form_title", "form_id", "default_language", "kexie::title::English (en)"],
            ["月报", "m", "中文 (zh)", "Monthly report"],
        ],
    )
    assert f.title("zh_CN") == "月报" and f.title("en") == "Monthly report"
    assert f.default_language == "zh_CN"


def test_paths_with_a_filtered_repeat_step():
    f = make(
        row("begin repeat", "member", "成员"),
        row("text", "name", "姓名"),
        row("integer", "age", "年龄"),
        row("end repeat", ""),
        row("calculate", "second", calculation="/data/member[2]/name"),
        row("calculate", "elders", calculation="count(/data/member[age > 60])"),
        row("calculate", "elder_names", calculation="join(',', /data/member[age > 60]/name)"),
        row("calculate", "first_pos", calculation="/data/member[position() = 1]/age"),
    )
    engine = FormEngine(
        f,
        {
            "member": [
                {"name": "甲", "age": 70},
                {"name": "乙", "age": 30},
                {"name": "丙", "age": 65},
            ]
        },
    )
    values = engine.evaluation().values
    assert values["second"] == "乙"
    assert values["elders"] == 2
    assert values["elder_names"] == "甲,丙"
    assert values["first_pos"] == "70"
    changed = engine.set_answer("member[2]/age", 61)
    assert {"elders", "elder_names"} <= changed
    assert engine.state("elders").value == 3


def test_or_other_adds_choice_and_specify_question():
    f = form(
        [["type", "name", "label"], ["select_one fruit or_other", "fruit", "水果"]],
        [["list_name", "name", "label"], ["fruit", "apple", "苹果"]],
    )
    assert [c.name for c in f.choice_lists["fruit"].choices] == ["apple", "other"]
    engine = FormEngine(f, {"fruit": "other", "fruit_other": "榴莲"})
    assert engine.state("fruit").valid and engine.state("fruit_other").relevant
    assert engine.render("fruit_other") == "请注明其他"
    engine.set_answer("fruit", "apple")
    assert not engine.state("fruit_other").relevant
    assert engine.evaluation().values == {"fruit": "apple", "fruit_other": None}
