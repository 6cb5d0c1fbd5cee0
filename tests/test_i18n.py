"""The translation catalogue is complete and consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import i18n
from i18n import LANGUAGES, catalog, placeholders, tr
from i18n.errors import Location, UsageError

CATALOG_DIR = Path(i18n.__file__).parent / "catalog"


def test_every_key_has_every_language_with_same_placeholders():
    for key, texts in catalog().items():
        assert set(texts) == set(LANGUAGES), key
        for lang in LANGUAGES:
            assert texts[lang].strip(), f"{key} is empty in {lang}"
        assert placeholders(texts["zh_CN"]) == placeholders(texts["en"]), key


def test_no_key_defined_in_two_files():
    seen: dict[str, str] = {}
    for path in sorted(CATALOG_DIR.glob("*.json")):
        for key in json.loads(path.read_text(encoding="utf-8")):
            assert key not in seen, f"{key} in {path.name} and {seen[key]}"
            seen[key] = path.name


def test_switch_language_changes_text():
    assert tr("app.name") == "科协数据采集"
    i18n.set_language("en")
    assert tr("app.name") == "Kexie Collect"


def test_error_message_carries_location_and_fix():
    err = UsageError(
        "period.bad", period="2026-13", fix="period.fix", location=Location(file="/x/a.xlsx")
    )
    assert err.message("zh_CN").startswith("a.xlsx: “2026-13”不是有效的报告期")
    assert "2026-Q3" in err.message("en")


def test_location_row_is_localised():
    loc = Location(file="f.xlsx", sheet="survey", row=12, column="constraint")
    assert loc.describe("zh_CN") == "f.xlsx survey 第12行 constraint"
    assert loc.describe("en") == "f.xlsx survey row 12 constraint"


def test_plural_forms_follow_the_count():
    i18n.set_language("en")
    assert tr("db.has_errors", count=1, first="x").startswith("1 error remains,")
    assert tr("db.has_errors", count=3, first="x").startswith("3 errors remain,")
    assert tr("forms.expr.arity", name="f", expected=1, got=2, pos=3) == (
        "The function f() takes 1 argument, not 2 (character 3)."
    )
    assert tr("ui.report.summary", errors=1, warnings=0) == (
        "1 error to correct, 0 warnings to explain"
    )
    i18n.set_language("zh_CN")
    assert tr("db.has_errors", count=1, first="x").startswith("还有 1 处错误")


def test_plural_with_a_missing_or_odd_count_still_reads():
    assert i18n.plural("many", "one|other") == "other"
    assert i18n.plural(None, "one|other") == "other"
    assert i18n.plural(1.0, "one|other") == "one"
    i18n.set_language("en")
    assert tr("ui.records.count") == "{count} {count:plural:record|records}"  # no params: as is
    assert tr("ui.records.count", other=1) == "{count} records"


PLURAL_SUSPECT = re.compile(r"\{(\w+)\}\s+([a-z]+s)\b")
COUNTED = {"count", "errors", "warnings", "missed", "unavailable", "expected", "got", "units"}
COUNTED |= {"rows", "columns", "n", "total", "inputs", "files", "records"}


def test_english_plurals_are_in_the_catalogue_not_guessed():
    """A counted noun in English goes through {n:plural:...}; "(s)" is never written."""
    for key, texts in catalog().items():
        en = texts["en"]
        assert "(s)" not in en, key
        for name, word in PLURAL_SUSPECT.findall(en):
            assert name not in COUNTED, f"{key}: “{{{name}}} {word}” needs {{{name}:plural:…}}"
