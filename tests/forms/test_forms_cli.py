"""``kexie forms check`` and ``kexie forms try``, run as a user would."""

from __future__ import annotations

import json

from forms_helpers import xlsx

from kexie.cli import main

SURVEY = [
    ["type", "name", "label", "required", "constraint", "relevant", "calculation"],
    ["integer", "age", "年龄", "yes", ". <= 120", "", ""],
    ["select_multiple act", "acts", "活动", "", "", "", ""],
    ["text", "other", "其他", "", "", "selected(${acts}, 'x')", ""],
    ["calculate", "next", "", "", "", "", "${age} + 1"],
]
CHOICES = [["list_name", "name", "label"], ["act", "a", "讲座"], ["act", "x", "其他"]]
SETTINGS = [["form_title", "form_id", "version"], ["试用表", "try_form", "3"]]


def _write(tmp_path, survey=SURVEY, choices=CHOICES, settings=SETTINGS):
    path = tmp_path / "form.xlsx"
    path.write_bytes(xlsx(survey, choices, settings))
    return path


def test_check_ok_prints_summary(tmp_path, capsys):
    path = _write(tmp_path)
    assert main(["forms", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("可以使用：试用表（try_form，版本 3），4 个问题。")


def test_check_english_and_json(tmp_path, capsys):
    path = _write(tmp_path)
    assert main(["--lang", "en", "forms", "check", str(path)]) == 0
    assert capsys.readouterr().out.startswith("Usable: 试用表 (try_form, version 3), 4 questions.")
    assert main(["forms", "check", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["form_id"] == "try_form" and data["questions"] == 4


def test_check_bad_form_lists_located_problems(tmp_path, capsys):
    bad = [list(r) for r in SURVEY]
    bad[1][4] = ". <= 120 and"
    bad[2][0] = "select_multiple acts"
    path = _write(tmp_path, survey=bad)
    assert main(["forms", "check", str(path)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert lines[0].startswith("survey 第2行 constraint: ")
    assert lines[1].startswith("survey 第3行 type: ") and "act" in lines[1]
    assert "Traceback" not in captured.out + captured.err


def test_check_corpus_bad_files_exit_1_without_traceback(corpus, capsys):
    for path in sorted((corpus).glob("*/bad/*")):
        assert main(["forms", "check", str(path)]) == 1, path
        captured = capsys.readouterr()
        assert "第" in captured.out and "行" in captured.out
        assert "Traceback" not in captured.out + captured.err


def test_check_missing_file(tmp_path, capsys):
    assert main(["forms", "check", str(tmp_path / "nope.xlsx")]) == 1
    assert "nope.xlsx" in capsys.readouterr().out


def test_try_prints_every_field_state(tmp_path, capsys):
    path = _write(tmp_path)
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"age": 130, "acts": "a x"}), encoding="utf-8")
    assert main(["forms", "try", str(path), str(answers)]) == 0
    fields = json.loads(capsys.readouterr().out)["fields"]
    assert set(fields) == {"age", "acts", "other", "next"}
    assert fields["age"] == {
        "relevant": True,
        "required": True,
        "valid": False,
        "value": 130,
        "message": "答案不符合要求。",
        "severity": "error",
    }
    assert fields["other"]["relevant"] is True
    assert fields["next"]["value"] == 131
    assert fields["acts"]["value"] == "a x"


def test_try_bad_json_is_one_located_line(tmp_path, capsys):
    path = _write(tmp_path)
    answers = tmp_path / "a.json"
    answers.write_text('{"age": 5,\n "acts": }', encoding="utf-8")
    assert main(["forms", "try", str(path), str(answers)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("a.json 第2行第10列")


def test_try_answers_must_be_an_object(tmp_path, capsys):
    path = _write(tmp_path)
    answers = tmp_path / "a.json"
    answers.write_text("[1, 2]", encoding="utf-8")
    assert main(["forms", "try", str(path), str(answers)]) == 1
    assert "a.json" in capsys.readouterr().err


def test_try_with_the_previous_periods_answers(tmp_path, capsys):
    """与上期比较 checks can be tried offline: --previous gives last period's answers."""
    from forms import builtin_form_paths

    form = builtin_form_paths()["kexie_volunteer_monthly"]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"vol_registered": 1000, "vol_new": 20}), encoding="utf-8")
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps({"vol_registered": 2400}), encoding="utf-8")
    assert main(["forms", "try", str(form), str(answers), "--previous", str(previous)]) == 0
    fields = json.loads(capsys.readouterr().out)["fields"]
    assert fields["registered_change"]["value"] == -58.3
    assert fields["registered_change"]["severity"] == "warning"
    assert "下降超过 50%" in fields["registered_change"]["message"]
    assert main(["forms", "try", str(form), str(answers)]) == 0
    assert json.loads(capsys.readouterr().out)["fields"]["registered_change"]["value"] is None
    previous.write_text("[1, 2]", encoding="utf-8")
    assert main(["forms", "try", str(form), str(answers), "--previous", str(previous)]) != 0
