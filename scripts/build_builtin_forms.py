"""Build the four built-in XLSForm workbooks of Kexie Collect (forms/builtin/*.xlsx).

This script is the source of truth for the built-in forms: edit the data below, run

    python scripts/build_builtin_forms.py

and commit both this file and the regenerated workbooks. Output is byte-for-byte deterministic
(fixed document dates, fixed zip timestamps), so an unchanged script gives an unchanged file.

Conventions used throughout (see docs/forms.md):
- Chinese columns come first; every label, hint and constraint message has zh and en.
- Input indicators carry *error* checks (range, "其中" ≤ total). One row has one constraint,
  so plausibility checks (*warnings*) sit on read-only derived indicators (人均服务时长,
  日均参观人次, ...) that are shown to the clerk next to the inputs they are computed from.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

OUT_DIR = Path(__file__).resolve().parent.parent / "forms" / "builtin"
VERSION = "2026.1"
FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)
ZH = "中文 (zh)"
EN = "English (en)"

# ---------------------------------------------------------------------------------------------
# Row model and helpers
# ---------------------------------------------------------------------------------------------

Text = tuple[str, str]  # (zh, en)


@dataclass
class Row:
    """One survey-sheet row."""

    type: str
    name: str = ""
    label: Text = ("", "")
    hint: Text = ("", "")
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    message: Text = ("", "")
    calculation: str = ""
    read_only: bool = False
    choice_filter: str = ""
    appearance: str = ""
    aggregate: str = ""
    of: str = ""
    severity: str = ""
    sensitive: bool = False
    unit: Text = ("", "")
    code: str = ""  # kexie::code; report forms get theirs numbered by number_indicators()
    previous: str = ""  # kexie::previous: this row holds that question's previous-period value


@dataclass
class FormSpec:
    form_id: str
    title: Text
    kind: str
    period: str = ""
    key: str = ""
    instance_name: str = ""
    table_no: str = ""  # kexie::table_no (表号)
    due: str = ""  # kexie::due (deadline: "5" = the 5th of the month after the period)
    rows: list[Row] = field(default_factory=list)
    choices: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


SURVEY_COLUMNS: list[tuple[str, str, int]] = [
    # (header, Row attribute[:lang], width)
    ("type", "type", 26),
    ("name", "name", 22),
    (f"label::{ZH}", "label:0", 44),
    (f"label::{EN}", "label:1", 44),
    (f"hint::{ZH}", "hint:0", 36),
    (f"hint::{EN}", "hint:1", 36),
    ("required", "required", 9),
    ("relevant", "relevant", 36),
    ("constraint", "constraint", 44),
    (f"constraint_message::{ZH}", "message:0", 40),
    (f"constraint_message::{EN}", "message:1", 40),
    ("calculation", "calculation", 44),
    ("read_only", "read_only", 9),
    ("choice_filter", "choice_filter", 14),
    ("appearance", "appearance", 14),
    ("kexie::aggregate", "aggregate", 16),
    ("kexie::of", "of", 16),
    ("kexie::severity", "severity", 15),
    ("kexie::sensitive", "sensitive", 15),
    (f"kexie::unit::{ZH}", "unit:0", 16),
    (f"kexie::unit::{EN}", "unit:1", 18),
    ("kexie::code", "code", 12),
    ("kexie::previous", "previous", 16),
]
CHOICE_COLUMNS = [("list_name", 18), ("name", 18), (f"label::{ZH}", 36), (f"label::{EN}", 44)]
SETTINGS_COLUMNS = [
    ("form_id", 26),
    ("form_title", 30),
    (f"kexie::title::{EN}", 44),
    ("version", 10),
    ("default_language", 16),
    ("kexie::kind", 12),
    ("kexie::period", 13),
    ("kexie::key", 14),
    ("instance_name", 50),
    ("kexie::table_no", 14),
    ("kexie::due", 11),
]


def group(name: str, label: Text, relevant: str = "", appearance: str = "") -> Row:
    return Row("begin_group", name, label, relevant=relevant, appearance=appearance)


def end(name: str) -> Row:
    return Row("end_group", name)


# Units of measure (kexie::unit)
PERSONS = ("人", "persons")
UNITS = ("个", "units")
TIMES = ("次", "times")
VISITS = ("人次", "person-times")
HOURS = ("小时", "hours")
DAYS = ("天", "days")
TRIPS = ("趟", "trips")
KM = ("公里", "km")
WAN_YUAN = ("万元", "10,000 yuan")
SQM = ("平方米", "m²")
PERCENT = ("%", "%")
HOURS_PER_PERSON = ("小时/人", "hours per person")
VISITS_PER_EVENT = ("人次/次", "person-times per event")
VISITS_PER_DAY = ("人次/天", "person-times per day")
KM_PER_TRIP = ("公里/趟", "km per trip")
ITEMS = ("项", "items")

NON_NEGATIVE = ". >= 0"
NON_NEGATIVE_MSG = ("不能为负数。", "Cannot be negative.")


def count(
    name: str,
    label: Text,
    unit: Text,
    aggregate: str,
    *,
    hint: Text = ("", ""),
    relevant: str = "",
    of: str = "",
    of_label: Text = ("", ""),
    constraint: str = "",
    message: Text = ("", ""),
    decimal: bool = False,
) -> Row:
    """A required non-negative report indicator; ``of`` makes it a "其中" item (≤ total)."""
    if of and not constraint:
        constraint = f". >= 0 and . <= ${{{of}}}"
        message = (
            f"不能为负数，也不能大于“{of_label[0]}”。",
            f"Cannot be negative or greater than “{of_label[1]}”.",
        )
    return Row(
        "decimal" if decimal else "integer",
        name,
        label,
        hint=hint,
        required=True,
        relevant=relevant,
        constraint=constraint or NON_NEGATIVE,
        message=message if constraint else NON_NEGATIVE_MSG,
        aggregate=aggregate,
        of=of,
        severity="error",
        unit=unit,
    )


def derived(
    name: str,
    label: Text,
    calculation: str,
    unit: Text,
    *,
    relevant: str = "",
    hint: Text = ("", ""),
    warning: str = "",
    message: Text = ("", ""),
    kind: str = "decimal",
    aggregate: str = "none",
) -> Row:
    """A read-only computed indicator, optionally carrying a plausibility warning."""
    return Row(
        kind,
        name,
        label,
        hint=hint,
        relevant=relevant,
        calculation=calculation,
        read_only=True,
        constraint=warning,
        message=message,
        severity="warning" if warning else "",
        aggregate=aggregate,
        unit=unit,
    )


def previous_value(name: str, of: str, label: Text) -> Row:
    """A hidden row holding ``of``'s value in the same unit's previous period (与上期比较).

    Kexie fills it from local data (``kexie::previous``); other XLSForm tools compute the
    calculation, '', so every check that reads it is skipped there. The label names the
    column in exported data."""
    return Row("calculate", name, label, calculation="''", previous=of, aggregate="none")


def change_since(name: str, label: Text, now: str, before: str, **warning: object) -> Row:
    """Percentage change of ``now`` against its previous-period row ``before``."""
    return derived(
        name,
        label,
        f"if(${{{before}}} != '' and ${{{before}}} > 0 and string(${{{now}}}) != '', "
        f"round((${{{now}}} - ${{{before}}}) * 100 div ${{{before}}}, 1), '')",
        PERCENT,
        **warning,
    )


def yes_no_list() -> list[tuple[str, str, str]]:
    return [("yes", "是", "Yes"), ("no", "否", "No")]


def cover_rows() -> list[Row]:
    """The cover block every report ends with: who filled it in and how to reach them.

    The contact is the reporting unit's working contact, printed on every paper report
    (填表人/联系电话) so the level above can query figures; it is not respondent personal
    data, so it is deliberately *not* marked sensitive and travels upward with the report.
    """
    return [
        group("cover", ("填报信息", "Report details")),
        Row(
            "text",
            "unit_head",
            ("单位负责人", "Head of the reporting unit"),
            required=True,
            constraint="string-length(.) >= 2 and string-length(.) <= 20",
            message=("请填写2至20个字的姓名。", "Enter a name of 2 to 20 characters."),
            severity="error",
            aggregate="none",
        ),
        Row(
            "text",
            "filled_by",
            ("填表人", "Filled in by"),
            required=True,
            constraint="string-length(.) >= 2 and string-length(.) <= 20",
            message=("请填写2至20个字的姓名。", "Enter a name of 2 to 20 characters."),
            severity="error",
            aggregate="none",
        ),
        Row(
            "text",
            "phone",
            ("联系电话", "Contact telephone"),
            hint=(
                "手机号码或带区号的固定电话，如 0851-12345678。",
                "A mobile number or a landline with area code, e.g. 0851-12345678.",
            ),
            required=True,
            constraint="regex(., '^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$')",
            message=(
                "请填写11位手机号码，或带区号的固定电话（如 0851-12345678）。",
                "Enter an 11-digit mobile number or a landline with area code (e.g. 0851-12345678).",
            ),
            severity="error",
            aggregate="none",
        ),
        Row(
            "date",
            "fill_date",
            ("填报日期", "Date filled in"),
            required=True,
            constraint=". <= today()",
            message=("填报日期不能晚于今天。", "The date cannot be later than today."),
            severity="error",
            aggregate="none",
        ),
        Row(
            "text",
            "remarks",
            ("备注", "Remarks"),
            hint=(
                "需要向上级说明的其他情况（选填）。",
                "Anything else the level above should know (optional).",
            ),
            appearance="multiline",
            aggregate="none",
        ),
        end("cover"),
    ]


# ---------------------------------------------------------------------------------------------
# 1. 科技工作者状况调查问卷
# ---------------------------------------------------------------------------------------------

SAT5 = [
    ("1", "非常不满意", "Very dissatisfied"),
    ("2", "比较不满意", "Dissatisfied"),
    ("3", "一般", "Neutral"),
    ("4", "比较满意", "Satisfied"),
    ("5", "非常满意", "Very satisfied"),
]

CONSENTED = "${consent} = 'yes'"
THIS_YEAR = "int(format-date(today(), '%Y'))"


def sat(name: str, zh: str, en: str) -> Row:
    return Row("select_one sat5", name, (zh, en), required=True, appearance="likert")


def survey_form() -> FormSpec:
    emp = "${employer_type}"
    rows: list[Row] = [
        # --- interview metadata -------------------------------------------------------------
        Row("start", "start"),
        Row("end", "end"),
        Row("today", "today"),
        Row(
            "calculate",
            "duration_min",
            ("访问时长（分钟）", "Interview length (minutes)"),
            calculation=(
                "if(${start} != '' and ${end} != '', "
                "round((decimal-date-time(${end}) - decimal-date-time(${start})) * 1440, 1), '')"
            ),
        ),
        group("interview", ("访问信息", "Interview details")),
        Row(
            "text",
            "interviewer_id",
            ("访问员编号", "Interviewer ID"),
            hint=(
                "调查组分配的编号，如 F0123。",
                "The number given by the survey team, e.g. F0123.",
            ),
            required=True,
            constraint="regex(., '^[A-Za-z0-9]{2,12}$')",
            message=(
                "访问员编号应为2至12位字母或数字。",
                "The interviewer ID is 2 to 12 letters or digits.",
            ),
        ),
        Row(
            "text",
            "site_code",
            ("调查地区代码", "Survey area code"),
            hint=(
                "县级6位行政区划代码，或乡镇（街道）12位统计用区划代码。",
                "The 6-digit county division code, or the 12-digit township statistical code.",
            ),
            required=True,
            constraint="regex(., '^[0-9]{6}([0-9]{6})?$')",
            message=(
                "地区代码应为6位或12位数字。",
                "The area code is 6 or 12 digits.",
            ),
        ),
        Row(
            "text",
            "site_name",
            ("调查单位或地点", "Survey unit or place"),
            hint=(
                "如：某某县人民医院、某某镇农技站。",
                "E.g. the county hospital, a township farm-technology station.",
            ),
            required=True,
        ),
        Row(
            "integer",
            "respondent_no",
            ("问卷序号", "Questionnaire number"),
            hint=(
                "本访问员在本地区的第几份问卷。",
                "This interviewer's running number in this area.",
            ),
            required=True,
            constraint=". >= 1 and . <= 9999",
            message=("问卷序号应在1至9999之间。", "The number is between 1 and 9999."),
        ),
        Row(
            "select_one interview_mode",
            "interview_mode",
            ("访问方式", "Interview mode"),
            required=True,
        ),
        Row(
            "note",
            "consent_note",
            (
                "您好！我们受科学技术协会委托，开展科技工作者状况调查，了解科技工作者的工作、生活和意见建议。"
                "调查匿名进行，所填信息仅用于统计分析，我们将严格保密。访问约需20分钟。",
                "Hello! On behalf of the Association for Science and Technology we are surveying science "
                "and technology workers about their work, life and views. The survey is anonymous; your "
                "answers are used only for statistics and kept confidential. It takes about 20 minutes.",
            ),
        ),
        Row(
            "select_one yes_no",
            "consent",
            ("受访者是否同意接受访问？", "Does the respondent agree to be interviewed?"),
            required=True,
        ),
        Row(
            "select_one refusal",
            "refusal_reason",
            ("未同意的主要原因", "Main reason for declining"),
            required=True,
            relevant="${consent} = 'no'",
        ),
        end("interview"),
        # --- basic facts ----------------------------------------------------------------------
        group("basic", ("一、基本情况", "1. About you"), relevant=CONSENTED),
        Row("select_one sex", "sex", ("您的性别", "Sex"), required=True),
        Row(
            "integer",
            "birth_year",
            ("您的出生年份", "Year of birth"),
            hint=("填写四位数字，如 1985。", "Four digits, e.g. 1985."),
            required=True,
            constraint=f". >= 1940 and . <= {THIS_YEAR} - 16",
            message=(
                "出生年份应在1940年至今年减16年之间。",
                "The year of birth is between 1940 and 16 years before this year.",
            ),
        ),
        Row(
            "integer",
            "age",
            ("年龄（按出生年份自动计算）", "Age (computed from the year of birth)"),
            calculation=f"if(${{birth_year}} != '', {THIS_YEAR} - ${{birth_year}}, '')",
            read_only=True,
        ),
        Row(
            "calculate",
            "age_group",
            ("年龄段", "Age group"),
            calculation=(
                "if(${age} = '', '', if(${age} <= 35, '≤35', if(${age} <= 45, '36-45', "
                "if(${age} <= 55, '46-55', '≥56'))))"
            ),
        ),
        Row(
            "select_one ethnicity",
            "ethnicity",
            ("您的民族", "Ethnic group"),
            hint=("选填。", "Optional."),
        ),
        Row(
            "select_one political",
            "political",
            ("您的政治面貌", "Political affiliation"),
            required=True,
        ),
        Row(
            "select_one education",
            "education",
            ("您的最高学历", "Highest level of education"),
            required=True,
        ),
        Row(
            "select_one yes_no",
            "study_abroad",
            (
                "您是否有半年以上的境外学习或工作经历？",
                "Have you studied or worked outside mainland China for six months or more?",
            ),
            required=True,
        ),
        Row(
            "select_one discipline",
            "discipline",
            ("您最高学历所学的学科门类", "Field of study of your highest degree"),
            required=True,
        ),
        Row(
            "select_one title",
            "title",
            ("您目前的专业技术职称", "Current professional title"),
            required=True,
        ),
        Row(
            "select_one employer",
            "employer_type",
            ("您目前的工作单位类型", "Type of employer"),
            required=True,
        ),
        Row(
            "select_one ownership",
            "ent_ownership",
            ("企业的所有制类型", "Ownership of the enterprise"),
            required=True,
            relevant=f"{emp} = 'enterprise'",
        ),
        Row(
            "select_one ent_size",
            "ent_size",
            ("企业规模", "Size of the enterprise"),
            required=True,
            relevant=f"{emp} = 'enterprise'",
        ),
        Row(
            "select_one yes_no",
            "ent_rd",
            (
                "企业是否设有研发机构（研发中心、技术中心等）？",
                "Does the enterprise have an R&D unit?",
            ),
            required=True,
            relevant=f"{emp} = 'enterprise'",
        ),
        Row(
            "select_one uni_type",
            "uni_type",
            ("高校类型", "Type of higher-education institution"),
            required=True,
            relevant=f"{emp} = 'university'",
        ),
        Row(
            "select_one inst_level",
            "inst_level",
            ("科研院所的隶属层级", "Level of the research institute"),
            required=True,
            relevant=f"{emp} = 'institute'",
        ),
        Row(
            "select_one inst_type",
            "inst_type",
            ("科研院所的主要类型", "Main type of the research institute"),
            required=True,
            relevant=f"{emp} = 'institute'",
        ),
        Row(
            "select_one hosp_level",
            "hosp_level",
            ("医疗卫生机构等级", "Level of the health institution"),
            required=True,
            relevant=f"{emp} = 'medical'",
        ),
        Row(
            "select_one school_stage",
            "school_stage",
            ("学校学段", "School stage"),
            required=True,
            relevant=f"{emp} = 'school'",
        ),
        Row(
            "select_one yes_no",
            "science_teacher",
            (
                "您是否担任科学、信息技术或劳动技术类课程教师？",
                "Do you teach science, IT or technology classes?",
            ),
            required=True,
            relevant=f"{emp} = 'school'",
        ),
        Row(
            "integer",
            "teaching_hours",
            ("平均每周授课学时", "Teaching hours per week"),
            hint=(
                "按课时（学时）计，不授课填0。",
                "In class periods; enter 0 if you do not teach.",
            ),
            required=True,
            relevant=f"{emp} = 'university' or {emp} = 'school'",
            constraint=". >= 0 and . <= 40",
            message=(
                "每周授课学时应在0至40之间。",
                "Teaching hours per week are between 0 and 40.",
            ),
        ),
        Row(
            "select_one agri_level",
            "agri_level",
            ("农技推广机构层级", "Level of the agricultural extension station"),
            required=True,
            relevant=f"{emp} = 'agri'",
        ),
        Row(
            "select_one gov_level",
            "gov_level",
            ("机关层级", "Level of the government body"),
            required=True,
            relevant=f"{emp} = 'government'",
        ),
        Row(
            "text",
            "employer_other",
            ("请注明单位类型", "Please specify the type of employer"),
            required=True,
            relevant=f"{emp} = 'other'",
        ),
        Row(
            "select_one main_work",
            "main_work",
            ("您目前主要从事的工作", "Your main kind of work"),
            required=True,
        ),
        Row(
            "select_one urban_rural",
            "urban_rural",
            ("您的工作单位位于", "Your workplace is located in"),
            required=True,
        ),
        Row(
            "integer",
            "work_years",
            ("您参加工作的年数", "Years in work"),
            hint=(
                "从第一份正式工作算起，不足一年填0。",
                "Since your first regular job; enter 0 if under a year.",
            ),
            required=True,
            constraint=". >= 0 and . <= ${age} - 14",
            message=(
                "工作年数不能为负，也不能超过年龄减14。",
                "Years in work cannot be negative or exceed your age minus 14.",
            ),
        ),
        Row(
            "select_one yes_no",
            "job_change",
            ("近五年您是否更换过工作单位？", "Have you changed employer in the last five years?"),
            required=True,
        ),
        end("basic"),
        # --- work ------------------------------------------------------------------------------
        group("work", ("二、工作状况", "2. Your work"), relevant=CONSENTED),
        Row(
            "integer",
            "work_days",
            (
                "近一个月，您平均每周工作几天？",
                "In the last month, how many days a week did you work?",
            ),
            required=True,
            constraint=". >= 1 and . <= 7",
            message=("每周工作天数应在1至7之间。", "Days a week are between 1 and 7."),
        ),
        Row(
            "decimal",
            "daily_hours",
            ("工作日平均每天工作几小时？", "How many hours a day on a working day?"),
            hint=("含加班，可填小数，如 8.5。", "Including overtime; decimals allowed, e.g. 8.5."),
            required=True,
            constraint=". >= 1 and . <= 20",
            message=("每天工作时间应在1至20小时之间。", "Hours a day are between 1 and 20."),
        ),
        Row(
            "decimal",
            "weekly_hours",
            ("每周工作时间（小时，自动计算）", "Hours worked per week (computed)"),
            calculation=(
                "if(${work_days} != '' and ${daily_hours} != '', round(${work_days} * ${daily_hours}, 1), '')"
            ),
            read_only=True,
            constraint=". <= 80",
            message=(
                "每周工作时间超过80小时，请与受访者核实；确属实的，请填写说明。",
                "More than 80 hours a week: please confirm with the respondent and explain if correct.",
            ),
            severity="warning",
        ),
        Row(
            "note",
            "share_note",
            (
                "近一年，您的工作时间大致如何分配？请按百分比填写，四项合计为100。",
                "Over the last year, how was your working time divided? Enter percentages adding up to 100.",
            ),
        ),
        Row(
            "integer",
            "share_research",
            ("科研及技术开发（%）", "Research and technical development (%)"),
            required=True,
            constraint=". >= 0 and . <= 100",
            message=("占比应在0至100之间。", "A share is between 0 and 100."),
        ),
        Row(
            "integer",
            "share_teaching",
            (
                "教学、培训及诊疗等业务工作（%）",
                "Teaching, training, clinical or other professional work (%)",
            ),
            required=True,
            constraint=". >= 0 and . <= 100",
            message=("占比应在0至100之间。", "A share is between 0 and 100."),
        ),
        Row(
            "integer",
            "share_admin",
            ("行政管理及事务性工作（%）", "Administration and paperwork (%)"),
            required=True,
            constraint=". >= 0 and . <= 100",
            message=("占比应在0至100之间。", "A share is between 0 and 100."),
        ),
        Row(
            "integer",
            "share_other",
            ("其他工作（%）", "Other work (%)"),
            required=True,
            constraint=". >= 0 and ${share_research} + ${share_teaching} + ${share_admin} + . = 100",
            message=(
                "四项时间占比合计应等于100。",
                "The four shares must add up to 100.",
            ),
        ),
        Row(
            "calculate",
            "share_total",
            ("时间占比合计（%）", "Total of shares (%)"),
            calculation="${share_research} + ${share_teaching} + ${share_admin} + ${share_other}",
        ),
        Row(
            "select_one income",
            "income",
            (
                "您上一年的税前工作收入（含工资、奖金、津贴）",
                "Your pre-tax work income last year (pay, bonuses, allowances)",
            ),
            required=True,
        ),
        Row(
            "select_one income_change",
            "income_change",
            ("与前一年相比，您的收入", "Compared with the year before, your income"),
            required=True,
        ),
        group(
            "satisfaction",
            ("您对以下方面的满意程度", "How satisfied are you with the following?"),
            appearance="field-list",
        ),
        Row(
            "note",
            "sat_note",
            (
                "您对以下各方面的满意程度如何？（1=非常不满意，5=非常满意）",
                "How satisfied are you with each of the following? (1 = very dissatisfied, "
                "5 = very satisfied)",
            ),
        ),
        sat("sat_overall", "工作总体情况", "Your work overall"),
        sat("sat_income", "收入待遇", "Pay and benefits"),
        sat("sat_conditions", "工作条件与科研环境", "Working conditions and research environment"),
        sat("sat_career", "职业发展与职称晋升", "Career development and promotion"),
        sat("sat_evaluation", "人才评价与考核制度", "Evaluation and appraisal system"),
        sat("sat_balance", "工作与生活的平衡", "Work-life balance"),
        end("satisfaction"),
        Row(
            "select_one pressure",
            "pressure",
            ("您感到的工作压力", "How much pressure do you feel at work?"),
            required=True,
        ),
        Row(
            "integer",
            "training_days",
            (
                "近一年，您参加继续教育或业务培训共多少天？",
                "Over the last year, how many days of continuing education or training did you attend?",
            ),
            required=True,
            constraint=". >= 0 and . <= 365",
            message=("天数应在0至365之间。", "Days are between 0 and 365."),
        ),
        end("work"),
        # --- association life ---------------------------------------------------------------
        group(
            "association",
            ("三、科协与学会", "3. The association and learned societies"),
            relevant=CONSENTED,
        ),
        Row(
            "select_one familiarity",
            "know_kexie",
            (
                "您对科协组织的了解程度",
                "How well do you know the association for science and technology?",
            ),
            required=True,
        ),
        Row(
            "select_one yes_no",
            "is_member",
            (
                "您是否是学会或科协组织的会员？",
                "Are you a member of a learned society or association?",
            ),
            required=True,
        ),
        Row(
            "select_multiple society_level",
            "member_of",
            ("您是哪些组织的会员？（可多选）", "Which do you belong to? (select all that apply)"),
            required=True,
            relevant="${is_member} = 'yes'",
        ),
        Row(
            "integer",
            "kepu_count",
            (
                "近一年，您参加科普活动（讲座、下乡、展览、网络科普等）共几次？",
                "Over the last year, how many science-popularisation activities did you take part in?",
            ),
            hint=("没有参加填0。", "Enter 0 if none."),
            required=True,
            constraint=". >= 0 and . <= 365",
            message=("次数应在0至365之间。", "The number is between 0 and 365."),
        ),
        Row(
            "select_multiple kepu_type",
            "kepu_types",
            ("参加的科普活动形式（可多选）", "Kinds of activity (select all that apply)"),
            required=True,
            relevant="${kepu_count} > 0",
        ),
        Row(
            "select_one yes_no",
            "volunteer_reg",
            ("您是否注册为科技志愿者？", "Are you registered as a science volunteer?"),
            required=True,
        ),
        Row(
            "integer",
            "volunteer_hours",
            (
                "近一年，您参加科技志愿服务共多少小时？",
                "Over the last year, how many hours of science volunteering did you do?",
            ),
            required=True,
            relevant="${volunteer_reg} = 'yes'",
            constraint=". >= 0 and . <= 3000",
            message=("时长应在0至3000小时之间。", "Hours are between 0 and 3000."),
        ),
        Row(
            "select_one willing",
            "kepu_willing",
            (
                "今后您是否愿意参加科普或科技志愿服务？",
                "Would you take part in science popularisation or volunteering in future?",
            ),
            required=True,
        ),
        Row(
            "select_multiple kexie_service",
            "kexie_services",
            (
                "近一年，您参加或享受过科协的哪些服务？（可多选）",
                "Which association services did you use last year? (select all that apply)",
            ),
            required=True,
            constraint="not(selected(., 'none') and count-selected(.) > 1)",
            message=(
                "选择“都没有”时不能再选其他项。",
                "“None” cannot be combined with other answers.",
            ),
        ),
        Row(
            "select_one sat5",
            "sat_kexie",
            (
                "您对科协服务科技工作者的总体满意程度",
                "Overall, how satisfied are you with the association's service to S&T workers?",
            ),
            required=True,
            relevant="not(selected(${kexie_services}, 'none'))",
            appearance="likert",
        ),
        end("association"),
        # --- concerns and demands -------------------------------------------------------------
        group("hopes", ("四、所思所想所盼", "4. Concerns and hopes"), relevant=CONSENTED),
        Row(
            "select_multiple concern",
            "concerns",
            ("目前您最关心的问题（最多选三项）", "Your main concerns at present (at most three)"),
            required=True,
            constraint="count-selected(.) <= 3",
            message=("最多选择三项。", "Choose at most three."),
        ),
        Row(
            "text",
            "concerns_other",
            ("请注明其他关心的问题", "Please specify the other concern"),
            required=True,
            relevant="selected(${concerns}, 'other')",
        ),
        Row(
            "select_multiple demand",
            "demands",
            (
                "您最希望科协提供哪些服务？（最多选三项）",
                "Which services would you most like from the association? (at most three)",
            ),
            required=True,
            constraint="count-selected(.) <= 3",
            message=("最多选择三项。", "Choose at most three."),
        ),
        Row(
            "text",
            "demands_other",
            ("请注明其他希望的服务", "Please specify the other service"),
            required=True,
            relevant="selected(${demands}, 'other')",
        ),
        Row(
            "select_one burden",
            "burden",
            (
                "近两年，您感到科研和业务工作中的各类填表、检查、评审负担",
                "Over the last two years, the burden of forms, inspections and reviews has",
            ),
            required=True,
        ),
        Row(
            "text",
            "suggestion",
            (
                "您对科协工作或科技政策还有哪些意见和建议？",
                "Any other suggestions for the association or for science policy?",
            ),
            hint=("选填。", "Optional."),
            appearance="multiline",
        ),
        end("hopes"),
        # --- optional follow-up contact -------------------------------------------------------
        group(
            "followup",
            ("五、回访联系方式（自愿）", "5. Follow-up contact (voluntary)"),
            relevant=CONSENTED,
        ),
        Row(
            "select_one yes_no",
            "followup_ok",
            (
                "您是否愿意留下联系方式，以便我们回访？",
                "Would you leave contact details for a follow-up interview?",
            ),
            required=True,
        ),
        Row(
            "text",
            "contact_name",
            ("姓名（或称呼）", "Name (or how to address you)"),
            required=True,
            relevant="${followup_ok} = 'yes'",
            constraint="string-length(.) <= 20",
            message=("姓名不超过20个字。", "At most 20 characters."),
            sensitive=True,
        ),
        Row(
            "text",
            "contact_mobile",
            ("手机号码", "Mobile number"),
            hint=("11位手机号码。", "An 11-digit mainland mobile number."),
            required=True,
            relevant="${followup_ok} = 'yes'",
            constraint="regex(., '^1[3-9][0-9]{9}$')",
            message=(
                "请填写11位手机号码，以1开头。",
                "Enter an 11-digit mobile number starting with 1.",
            ),
            sensitive=True,
        ),
        Row(
            "note",
            "thanks",
            ("访问结束，感谢您的支持！", "That is the end of the interview. Thank you!"),
        ),
        end("followup"),
    ]
    choices = {
        "yes_no": yes_no_list(),
        "interview_mode": [
            ("face", "入户（入单位）面访", "Face-to-face"),
            ("phone", "电话访问", "Telephone"),
            ("self", "受访者自填（访问员在场）", "Self-completed with the interviewer present"),
        ],
        "refusal": [
            ("busy", "工作忙，没有时间", "Too busy"),
            ("privacy", "担心个人信息泄露", "Worried about privacy"),
            ("not_interested", "不感兴趣", "Not interested"),
            ("other", "其他原因", "Other reason"),
        ],
        "sex": [("male", "男", "Male"), ("female", "女", "Female")],
        "ethnicity": [
            ("han", "汉族", "Han"),
            ("zhuang", "壮族", "Zhuang"),
            ("hui", "回族", "Hui"),
            ("manchu", "满族", "Manchu"),
            ("uyghur", "维吾尔族", "Uyghur"),
            ("miao", "苗族", "Miao"),
            ("yi", "彝族", "Yi"),
            ("tujia", "土家族", "Tujia"),
            ("tibetan", "藏族", "Tibetan"),
            ("mongol", "蒙古族", "Mongol"),
            ("other", "其他民族", "Other ethnic group"),
        ],
        "political": [
            (
                "cpc",
                "中共党员（含预备党员）",
                "Member of the Communist Party of China (incl. probationary)",
            ),
            ("league", "共青团员", "Member of the Communist Youth League"),
            ("democratic", "民主党派成员", "Member of a democratic party"),
            ("masses", "群众", "No affiliation"),
        ],
        "education": [
            ("secondary", "高中、中专及以下", "Upper secondary or below"),
            ("college", "大学专科", "Junior college"),
            ("bachelor", "大学本科", "Bachelor's degree"),
            ("master", "硕士研究生", "Master's degree"),
            ("doctor", "博士研究生", "Doctorate"),
        ],
        "discipline": [
            ("science", "理学", "Natural sciences"),
            ("engineering", "工学", "Engineering"),
            ("agriculture", "农学", "Agriculture"),
            ("medicine", "医学", "Medicine"),
            ("social", "人文社科（经济、管理、教育、法学等）", "Humanities and social sciences"),
            ("interdisciplinary", "交叉学科", "Interdisciplinary"),
            ("other", "其他", "Other"),
        ],
        "title": [
            ("senior", "正高级", "Full senior (professor level)"),
            ("deputy_senior", "副高级", "Associate senior"),
            ("intermediate", "中级", "Intermediate"),
            ("junior", "初级", "Junior"),
            ("none", "无职称", "No professional title"),
        ],
        "employer": [
            ("university", "高等院校", "University or college"),
            ("institute", "科研院所", "Research institute"),
            ("enterprise", "企业", "Enterprise"),
            ("medical", "医疗卫生机构", "Health institution"),
            ("school", "中小学", "Primary or secondary school"),
            ("agri", "农技推广机构", "Agricultural extension station"),
            ("government", "党政机关", "Party or government body"),
            ("other", "其他", "Other"),
        ],
        "ownership": [
            ("state", "国有及国有控股企业", "State-owned or state-controlled"),
            ("private", "民营企业", "Private"),
            ("foreign", "外资及港澳台资企业", "Foreign, Hong Kong, Macao or Taiwan invested"),
            ("mixed", "混合所有制企业", "Mixed ownership"),
            ("other", "其他", "Other"),
        ],
        "ent_size": [
            ("large", "大型企业", "Large"),
            ("medium", "中型企业", "Medium"),
            ("small", "小型企业", "Small"),
            ("micro", "微型企业", "Micro"),
        ],
        "uni_type": [
            ("double_first", "“双一流”建设高校", "“Double First-Class” university"),
            ("undergraduate", "其他本科院校", "Other undergraduate institution"),
            ("vocational", "高职高专院校", "Higher vocational college"),
        ],
        "inst_level": [
            ("central", "中央级", "Central"),
            ("provincial", "省级", "Provincial"),
            ("city", "地市级", "Prefecture"),
            ("county", "县级", "County"),
        ],
        "inst_type": [
            ("basic", "基础研究", "Basic research"),
            ("applied", "应用研究与技术开发", "Applied research and development"),
            ("service", "社会公益与技术服务", "Public-interest and technical services"),
        ],
        "hosp_level": [
            ("grade3", "三级医院", "Tertiary hospital"),
            ("grade2", "二级医院", "Secondary hospital"),
            ("grade1", "一级医院", "Primary hospital"),
            (
                "primary_care",
                "乡镇卫生院、社区卫生服务中心",
                "Township health centre or community health service centre",
            ),
            (
                "public_health",
                "疾控、妇幼保健等专业公共卫生机构",
                "Disease control, maternal and child health or other public-health body",
            ),
        ],
        "school_stage": [
            ("primary", "小学", "Primary"),
            ("junior", "初中", "Junior secondary"),
            ("senior", "高中", "Senior secondary"),
            ("complete", "完全中学或九年一贯制学校", "Combined school"),
        ],
        "agri_level": [
            ("county", "县级农技推广机构", "County extension centre"),
            ("township", "乡镇农技站（农业综合服务中心）", "Township extension station"),
        ],
        "gov_level": [
            ("provincial", "省级", "Provincial"),
            ("city", "地市级", "Prefecture"),
            ("county", "县级", "County"),
            ("township", "乡镇（街道）", "Township or sub-district"),
        ],
        "main_work": [
            ("research", "科学研究与技术开发", "Research and technical development"),
            ("engineering", "工程技术", "Engineering"),
            ("teaching", "教学", "Teaching"),
            ("health", "医疗卫生", "Health care"),
            ("agri_tech", "农业技术推广", "Agricultural extension"),
            ("management", "管理", "Management"),
            ("other", "其他", "Other"),
        ],
        "urban_rural": [
            ("city", "地级及以上城市市区", "City (prefecture level or above)"),
            ("county_town", "县城（县级市城区）", "County town"),
            ("township", "乡镇", "Township"),
            ("village", "农村", "Village"),
        ],
        "income": [
            ("lt5", "5万元以下", "Under 50,000 yuan"),
            ("5_10", "5万～10万元", "50,000–100,000 yuan"),
            ("10_15", "10万～15万元", "100,000–150,000 yuan"),
            ("15_20", "15万～20万元", "150,000–200,000 yuan"),
            ("20_30", "20万～30万元", "200,000–300,000 yuan"),
            ("30_50", "30万～50万元", "300,000–500,000 yuan"),
            ("ge50", "50万元及以上", "500,000 yuan or more"),
            ("refused", "不愿透露", "Prefer not to say"),
        ],
        "income_change": [
            ("up", "有所增加", "Increased"),
            ("same", "基本不变", "About the same"),
            ("down", "有所减少", "Decreased"),
        ],
        "sat5": SAT5,
        "pressure": [
            ("very_high", "很大", "Very high"),
            ("high", "较大", "High"),
            ("medium", "一般", "Moderate"),
            ("low", "较小", "Low"),
            ("very_low", "很小", "Very low"),
        ],
        "familiarity": [
            ("well", "比较了解", "Quite well"),
            ("some", "了解一些", "A little"),
            ("heard", "只是听说过", "Only heard of it"),
            ("none", "不了解", "Not at all"),
        ],
        "society_level": [
            ("national", "全国学会", "National society"),
            ("provincial", "省级学会", "Provincial society"),
            ("local", "市、县级学会或科协", "City or county society or association"),
            (
                "grassroots",
                "企业、高校、园区等基层科协",
                "Association in an enterprise, university or park",
            ),
        ],
        "kepu_type": [
            ("lecture", "科普讲座、报告", "Lectures and talks"),
            ("countryside", "科技下乡、科技服务", "Science to the countryside, technical services"),
            ("exhibition", "科普展览、科技馆活动", "Exhibitions and museum activities"),
            ("online", "网络和新媒体科普", "Online and social-media popularisation"),
            ("youth", "青少年科技教育", "Science education for young people"),
            ("writing", "科普创作（图书、视频等）", "Creating popular-science works"),
            ("emergency", "应急科普", "Emergency-preparedness education"),
        ],
        "willing": [
            ("yes", "愿意", "Yes"),
            ("maybe", "视情况而定", "Depends"),
            ("no", "不愿意", "No"),
        ],
        "kexie_service": [
            ("academic", "学术交流活动", "Academic exchanges"),
            ("training", "继续教育和培训", "Continuing education and training"),
            ("award", "人才举荐、表彰奖励", "Talent recommendation and awards"),
            ("consulting", "决策咨询、科技咨询", "Advisory and consulting work"),
            ("rights", "权益维护、关心关爱", "Rights protection and care"),
            ("transfer", "成果转化、产学研对接", "Technology transfer and industry links"),
            ("none", "都没有", "None"),
        ],
        "concern": [
            ("income", "收入待遇", "Pay and benefits"),
            ("title", "职称评审", "Professional title review"),
            ("funding", "科研经费", "Research funding"),
            ("evaluation", "人才评价与考核", "Evaluation and appraisal"),
            ("workload", "工作量与工作压力", "Workload and pressure"),
            ("housing", "住房", "Housing"),
            ("children", "子女教育", "Children's education"),
            ("health", "身心健康", "Physical and mental health"),
            ("career", "职业发展与晋升", "Career development and promotion"),
            ("exchange", "学术交流机会", "Opportunities for academic exchange"),
            ("transfer", "成果转化", "Technology transfer"),
            ("other", "其他（请注明）", "Other (please specify)"),
        ],
        "demand": [
            ("platform", "搭建学术交流平台", "Platforms for academic exchange"),
            ("training", "提供继续教育和培训", "Continuing education and training"),
            ("recommend", "举荐人才、表彰奖励", "Talent recommendation and awards"),
            ("rights", "反映诉求、维护权益", "Voicing concerns and protecting rights"),
            ("transfer", "科技成果转化服务", "Technology-transfer services"),
            ("kepu", "参与科普活动的机会", "Chances to take part in science popularisation"),
            ("care", "心理健康与关心关爱", "Mental health and care"),
            ("other", "其他（请注明）", "Other (please specify)"),
        ],
        "burden": [
            ("much_less", "明显减轻", "Clearly decreased"),
            ("less", "有所减轻", "Somewhat decreased"),
            ("same", "没有变化", "Not changed"),
            ("more", "有所加重", "Increased"),
        ],
    }
    return FormSpec(
        form_id="kexie_survey",
        title=("科技工作者状况调查问卷", "Survey of science and technology workers"),
        kind="survey",
        instance_name="concat(${site_code}, '-', ${interviewer_id}, '-', ${respondent_no})",
        rows=rows,
        choices=choices,
    )


# ---------------------------------------------------------------------------------------------
# 2. 科技志愿服务月报
# ---------------------------------------------------------------------------------------------

REGISTERED = ("注册科技志愿者人数", "registered science volunteers")
ACTIVITIES = ("开展科技志愿服务活动次数", "volunteer activities held")


def volunteer_form() -> FormSpec:
    rows: list[Row] = [
        group("volunteers", ("一、科技志愿者", "1. Science volunteers")),
        count(
            "vol_registered",
            ("注册科技志愿者人数（月末数）", "Registered science volunteers (end of month)"),
            PERSONS,
            "last",
            hint=(
                "截至本月末在“科技志愿服务”平台注册的科技志愿者总数。",
                "Total registered on the science volunteer platform at the end of the month.",
            ),
        ),
        count(
            "vol_new",
            ("其中：本月新增", "Of which: new this month"),
            PERSONS,
            "sum",
            of="vol_registered",
            of_label=REGISTERED,
        ),
        count(
            "vol_female",
            ("其中：女性", "Of which: women"),
            PERSONS,
            "last",
            of="vol_registered",
            of_label=REGISTERED,
        ),
        count(
            "vol_young",
            ("其中：35岁及以下", "Of which: aged 35 or under"),
            PERSONS,
            "last",
            of="vol_registered",
            of_label=REGISTERED,
        ),
        count(
            "vol_retired",
            ("其中：离退休科技工作者", "Of which: retired science and technology workers"),
            PERSONS,
            "last",
            of="vol_registered",
            of_label=REGISTERED,
        ),
        count(
            "vol_active",
            ("本月参与服务的科技志愿者人数", "Volunteers active this month"),
            PERSONS,
            "last",
            hint=(
                "本月至少参加过一次志愿服务的人数，同一人只计一次。",
                "People who served at least once this month, each counted once.",
            ),
            constraint=". >= 0 and . <= ${vol_registered}",
            message=(
                "不能为负数，也不能大于注册科技志愿者人数。",
                "Cannot be negative or greater than the number of registered volunteers.",
            ),
        ),
        count(
            "vol_orgs",
            ("科技志愿服务组织数（月末数）", "Volunteer service organisations (end of month)"),
            UNITS,
            "last",
            hint=(
                "在平台注册的科技志愿服务队、服务站等组织。",
                "Teams, stations and other organisations registered on the platform.",
            ),
        ),
        end("volunteers"),
        group("services", ("二、本月服务活动", "2. Services this month")),
        count(
            "activities", ("开展科技志愿服务活动次数", "Volunteer activities held"), TIMES, "sum"
        ),
        count(
            "activities_rural",
            ("其中：在农村开展", "Of which: in rural areas"),
            TIMES,
            "sum",
            of="activities",
            of_label=ACTIVITIES,
        ),
        count(
            "activities_online",
            ("其中：线上开展", "Of which: online"),
            TIMES,
            "sum",
            of="activities",
            of_label=ACTIVITIES,
        ),
        count(
            "people_served",
            ("服务群众人次", "People served"),
            VISITS,
            "sum",
            constraint=". >= 0 and (. = 0 or ${activities} > 0)",
            message=(
                "不能为负数；未开展活动时服务人次应为0。",
                "Cannot be negative, and must be 0 when no activities were held.",
            ),
        ),
        count(
            "service_hours",
            ("志愿服务时长", "Volunteer service hours"),
            HOURS,
            "sum",
            hint=(
                "参与服务的志愿者本月服务时长合计。",
                "Total hours served this month by all volunteers.",
            ),
            decimal=True,
            constraint=". >= 0 and (. = 0 or ${vol_active} > 0)",
            message=(
                "不能为负数；本月参与服务的志愿者为0时，服务时长应为0。",
                "Cannot be negative, and must be 0 when no volunteers were active.",
            ),
        ),
        end("services"),
        group("derived", ("三、核算指标（自动计算）", "3. Derived indicators (computed)")),
        derived(
            "active_rate",
            ("志愿者活跃率", "Share of volunteers active"),
            "if(${vol_registered} > 0, round(${vol_active} * 100 div ${vol_registered}, 1), '')",
            PERCENT,
        ),
        derived(
            "new_share",
            ("本月新增占注册人数比例", "New volunteers as a share of registered"),
            "if(${vol_registered} > 0, round(${vol_new} * 100 div ${vol_registered}, 1), '')",
            PERCENT,
            warning=". <= 30",
            message=(
                "本月新增人数超过注册总数的30%，增长异常，请核实是否集中注册或重复统计，并填写说明。",
                "New volunteers exceed 30% of all registered: an unusual jump. Check for a registration "
                "drive or double counting, and explain.",
            ),
        ),
        derived(
            "hours_per_active",
            ("人均服务时长", "Service hours per active volunteer"),
            "if(${vol_active} > 0, round(${service_hours} div ${vol_active}, 1), '')",
            HOURS_PER_PERSON,
            warning=". <= 200",
            message=(
                "人均月服务时长超过200小时，明显偏高，请核实服务时长和参与人数，并填写说明。",
                "More than 200 hours per active volunteer in a month is implausible. Check the hours "
                "and the number of active volunteers, and explain.",
            ),
        ),
        derived(
            "served_per_activity",
            ("场均服务人次", "People served per activity"),
            "if(${activities} > 0, round(${people_served} div ${activities}, 1), '')",
            VISITS_PER_EVENT,
            warning=". <= 5000",
            message=(
                "平均每次活动服务超过5000人次，请核实服务人次和活动次数，并填写说明。",
                "More than 5,000 people per activity on average. Check both figures and explain.",
            ),
        ),
        # 与上期比较: the same unit's figures of last month (kexie::previous).
        previous_value(
            "prev_registered",
            "vol_registered",
            ("上月注册科技志愿者人数", "Registered science volunteers last month"),
        ),
        change_since(
            "registered_change",
            ("注册志愿者人数较上月增减", "Registered volunteers: change since last month"),
            "vol_registered",
            "prev_registered",
            warning=". >= -50",
            message=(
                "注册志愿者人数较上月下降超过 50%，请核实是否有集中注销或漏报，并填写说明。",
                "Registered volunteers fell by more than 50% since last month. Check for mass "
                "deregistration or figures left out, and explain.",
            ),
        ),
        derived(
            "registered_gap",
            (
                "注册人数与“上月注册人数＋本月新增”之差",
                "Registered minus (last month’s registered + new this month)",
            ),
            "if(${prev_registered} != '' and string(${vol_registered}) != '' and "
            "string(${vol_new}) != '', ${vol_registered} - ${prev_registered} - ${vol_new}, '')",
            PERSONS,
            kind="integer",
            hint=(
                "月末注册人数应约等于上月注册人数加本月新增（减去本月注销）。",
                "End-of-month registered ≈ last month’s registered + new this month (less those "
                "who left).",
            ),
            warning="abs(.) <= ${prev_registered} * 0.02 + 5",
            message=(
                "本月注册人数与“上月注册人数＋本月新增”相差超过 2%，请核实本月新增、注销人数和上月数据，"
                "并填写说明。",
                "Registered volunteers differ from last month’s figure plus new this month by more "
                "than 2%. Check new registrations, those who left and last month’s figure, and "
                "explain.",
            ),
        ),
        end("derived"),
        *cover_rows(),
    ]
    return FormSpec(
        form_id="kexie_volunteer_monthly",
        title=("科技志愿服务月报", "Science volunteer monthly report"),
        table_no="科协月1表",
        due="5",  # the 5th of the following month
        kind="report",
        period="month",
        rows=rows,
        choices={},
    )


# ---------------------------------------------------------------------------------------------
# 3. 科普场馆参观月报
# ---------------------------------------------------------------------------------------------

VISITORS = ("本月参观（服务）人次", "visits this month")
HAS_OPEN_DAYS = "${venue_type} != 'caravan' and ${venue_type} != ''"
IS_CARAVAN = "${venue_type} = 'caravan'"


def venue_form() -> FormSpec:
    rows: list[Row] = [
        group("venue", ("一、场馆基本情况", "1. The venue")),
        Row(
            "text",
            "venue_name",
            ("场馆（项目）名称", "Name of the venue or programme"),
            hint=(
                "填写全称，如“某某县科技馆”“科普大篷车（2号车）”；同一单位有多个场馆时每个场馆填一张表。",
                "Full name, e.g. “County Science Museum” or “Science caravan no. 2”; one report per venue.",
            ),
            required=True,
            constraint="string-length(.) >= 2 and string-length(.) <= 50",
            message=("名称应为2至50个字。", "The name is 2 to 50 characters."),
            severity="error",
            aggregate="none",
        ),
        Row(
            "select_one venue_type",
            "venue_type",
            ("场馆类型", "Type of venue"),
            required=True,
            aggregate="none",
        ),
        end("venue"),
        group("opening", ("二、开放与接待", "2. Opening and visits")),
        count(
            "open_days",
            ("本月开放（展出）天数", "Days open (on show) this month"),
            DAYS,
            "sum",
            relevant=HAS_OPEN_DAYS,
            constraint=". >= 0 and . <= 31",
            message=("开放天数应在0至31之间。", "Days open are between 0 and 31."),
        ),
        count(
            "tour_stations",
            ("本月巡展站点数", "Tour stops this month"),
            UNITS,
            "sum",
            relevant="${venue_type} = 'mobile_tour'",
            constraint=". >= 0 and . <= 31",
            message=("巡展站点数应在0至31之间。", "Tour stops are between 0 and 31."),
        ),
        count(
            "caravan_trips",
            ("本月大篷车下乡趟数", "Caravan trips this month"),
            TRIPS,
            "sum",
            relevant=IS_CARAVAN,
            constraint=". >= 0 and . <= 62",
            message=("趟数应在0至62之间。", "Trips are between 0 and 62."),
        ),
        count(
            "caravan_km",
            ("本月大篷车行驶里程", "Kilometres driven this month"),
            KM,
            "sum",
            relevant=IS_CARAVAN,
            decimal=True,
            constraint=". >= 0 and (. = 0 or ${caravan_trips} > 0)",
            message=(
                "不能为负数；没有下乡趟数时行驶里程应为0。",
                "Cannot be negative, and must be 0 when there were no trips.",
            ),
        ),
        count(
            "visitors",
            ("本月参观（服务）人次", "Visits this month"),
            VISITS,
            "sum",
            relevant="${venue_type} != ''",
            constraint=". >= 0 and (. = 0 or ${open_days} > 0 or ${caravan_trips} > 0)",
            message=(
                "不能为负数；本月未开放（或大篷车未出行）时参观人次应为0。",
                "Cannot be negative, and must be 0 when the venue was closed (or the caravan did not travel).",
            ),
        ),
        count(
            "visitors_minor",
            ("其中：未成年人", "Of which: minors"),
            VISITS,
            "sum",
            relevant="${venue_type} != ''",
            of="visitors",
            of_label=VISITORS,
        ),
        count(
            "visitors_school",
            ("其中：学校组织的团体参观", "Of which: school group visits"),
            VISITS,
            "sum",
            relevant="${venue_type} != ''",
            of="visitors",
            of_label=VISITORS,
        ),
        count(
            "online_visits",
            ("本月线上参观（访问）人次", "Online visits this month"),
            VISITS,
            "sum",
            relevant="${venue_type} != ''",
            hint=(
                "数字科技馆、网站、公众号、小程序等的访问人次；没有填0。",
                "Digital museum, website, WeChat etc.; 0 if none.",
            ),
        ),
        end("opening"),
        group(
            "programme",
            ("三、展览与活动", "3. Exhibitions and activities"),
            relevant="${venue_type} != ''",
        ),
        count("exhibitions", ("本月举办展览", "Exhibitions held this month"), UNITS, "sum"),
        count(
            "activities", ("本月举办科普活动", "Science activities held this month"), TIMES, "sum"
        ),
        count(
            "activity_visits",
            ("参加科普活动人次", "Participants in activities"),
            VISITS,
            "sum",
            constraint=". >= 0 and (. = 0 or ${activities} > 0)",
            message=(
                "不能为负数；未举办活动时参加人次应为0。",
                "Cannot be negative, and must be 0 when no activities were held.",
            ),
        ),
        end("programme"),
        group(
            "derived",
            ("四、核算指标（自动计算）", "4. Derived indicators (computed)"),
            relevant="${venue_type} != ''",
        ),
        derived(
            "visitors_per_day",
            ("日均参观人次", "Visits per day open"),
            "if(${open_days} > 0, round(${visitors} div ${open_days}, 1), '')",
            VISITS_PER_DAY,
            relevant=HAS_OPEN_DAYS,
            warning=(
                ". <= if(${venue_type} = 'rural_school', 1000, if(${venue_type} = 'edu_base', 3000, "
                "if(${venue_type} = 'mobile_tour', 5000, 20000)))"
            ),
            message=(
                "日均参观人次明显偏高（农村中学科技馆超过1000、科普教育基地超过3000、流动科技馆超过5000、"
                "科技馆超过20000），请核实并填写说明。",
                "Visits per day are implausibly high (over 1,000 for a rural school museum, 3,000 for a "
                "science education base, 5,000 for a mobile tour, 20,000 for a museum). Check and explain.",
            ),
        ),
        derived(
            "minor_share",
            ("未成年人占比", "Share of minors"),
            "if(${visitors} > 0, round(${visitors_minor} * 100 div ${visitors}, 1), '')",
            PERCENT,
        ),
        derived(
            "km_per_trip",
            ("平均每趟行驶里程", "Kilometres per trip"),
            "if(${caravan_trips} > 0, round(${caravan_km} div ${caravan_trips}, 1), '')",
            KM_PER_TRIP,
            relevant=IS_CARAVAN,
            warning=". <= 1500",
            message=(
                "平均每趟行驶超过1500公里，请核实行驶里程和趟数，并填写说明。",
                "More than 1,500 km per trip on average. Check the distance and trips, and explain.",
            ),
        ),
        end("derived"),
        *cover_rows(),
    ]
    choices = {
        "venue_type": [
            ("museum", "实体科技馆", "Science museum"),
            ("free_museum", "免费开放科技馆", "Free-admission science museum"),
            ("mobile_tour", "流动科技馆巡展", "Mobile science museum tour"),
            ("caravan", "科普大篷车", "Science caravan"),
            ("rural_school", "农村中学科技馆", "Rural middle-school science museum"),
            ("edu_base", "科普教育基地", "Science education base"),
        ],
    }
    return FormSpec(
        form_id="kexie_venue_monthly",
        title=("科普场馆参观月报", "Science venue visits monthly report"),
        table_no="科协月2表",
        due="5",
        kind="report",
        period="month",
        key="venue_name",
        instance_name="${venue_name}",
        rows=rows,
        choices=choices,
    )


# ---------------------------------------------------------------------------------------------
# 4. 基层科协组织建设年报
# ---------------------------------------------------------------------------------------------

ESTABLISHED = "${established} = 'yes'"
FUNDS = ("年度工作经费", "annual working funds")


def lack(code: str, condition: str) -> str:
    return f"if(selected(${{four_lacks}}, '{code}'), 1, 0) = if({condition}, 1, 0)"


def org_form() -> FormSpec:
    rows: list[Row] = [
        group("org", ("一、组织建设", "1. The organisation")),
        Row(
            "select_one yes_no",
            "established",
            ("本级是否已建立科协组织", "Has an association been established at this level?"),
            required=True,
            aggregate="none",
        ),
        Row(
            "integer",
            "established_year",
            ("成立年份", "Year established"),
            required=True,
            relevant=ESTABLISHED,
            constraint=f". >= 1950 and . <= {THIS_YEAR}",
            message=("成立年份应在1950年至今年之间。", "The year is between 1950 and this year."),
            severity="error",
            aggregate="none",
        ),
        count(
            "members",
            ("个人会员人数（年末数）", "Individual members (end of year)"),
            PERSONS,
            "last",
            relevant=ESTABLISHED,
        ),
        count(
            "committee",
            ("科协委员会委员人数", "Members of the association's committee"),
            PERSONS,
            "last",
            relevant=ESTABLISHED,
        ),
        end("org"),
        group(
            "sanzhang",
            ("二、“三长”在科协任职情况", "2. The “three heads” holding posts in the association"),
            relevant=ESTABLISHED,
        ),
        Row(
            "note",
            "sanzhang_note",
            (
                "“三长”指医院（卫生院）院长、中小学校长、农技站站长，统计担任本级科协主席、副主席或委员的人数。",
                "The “three heads” are heads of hospitals or health centres, school principals and heads of "
                "agricultural technology stations serving as chair, vice-chair or committee member.",
            ),
        ),
        derived(
            "sanzhang_total",
            ("“三长”在科协任职人数", "The three heads holding posts"),
            "${sz_hospital} + ${sz_school} + ${sz_agri}",
            PERSONS,
            kind="integer",
            aggregate="last",
            hint=("由下面三项自动合计。", "The sum of the three items below."),
        ),
        count(
            "sz_hospital",
            ("其中：医院（卫生院）院长", "Of which: hospital or health-centre heads"),
            PERSONS,
            "last",
            of="sanzhang_total",
            constraint=NON_NEGATIVE,  # the total is their sum: only the sign needs checking
            message=NON_NEGATIVE_MSG,
        ),
        count(
            "sz_school",
            ("其中：中小学校长", "Of which: school principals"),
            PERSONS,
            "last",
            of="sanzhang_total",
            constraint=NON_NEGATIVE,  # the total is their sum: only the sign needs checking
            message=NON_NEGATIVE_MSG,
        ),
        count(
            "sz_agri",
            ("其中：农技站站长", "Of which: heads of agricultural technology stations"),
            PERSONS,
            "last",
            of="sanzhang_total",
            constraint=NON_NEGATIVE,  # the total is their sum: only the sign needs checking
            message=NON_NEGATIVE_MSG,
        ),
        end("sanzhang"),
        group(
            "capacity",
            ("三、人员、经费与场所", "3. Staff, funds and premises"),
            relevant=ESTABLISHED,
        ),
        count("posts", ("核定编制数", "Authorised posts"), UNITS, "last"),
        count("staff_fulltime", ("专职工作人员", "Full-time staff"), PERSONS, "last"),
        count("staff_parttime", ("兼职工作人员", "Part-time staff"), PERSONS, "last"),
        derived(
            "staff_total",
            ("工作人员合计", "Staff in total"),
            "${staff_fulltime} + ${staff_parttime}",
            PERSONS,
            kind="integer",
            aggregate="last",
        ),
        count(
            "funds",
            ("年度工作经费", "Annual working funds"),
            WAN_YUAN,
            "sum",
            hint=(
                "本年度实际到位的工作经费，保留两位小数；没有填0。",
                "Funds actually received this year, two decimals; 0 if none.",
            ),
            decimal=True,
        ),
        count(
            "funds_kepu",
            ("其中：科普经费", "Of which: for science popularisation"),
            WAN_YUAN,
            "sum",
            decimal=True,
            of="funds",
            of_label=FUNDS,
        ),
        count(
            "office_area",
            ("办公场所面积", "Office space"),
            SQM,
            "last",
            hint=(
                "专用或共用的办公场所使用面积；没有填0。",
                "Dedicated or shared office floor area; 0 if none.",
            ),
            decimal=True,
        ),
        Row(
            "select_multiple four_lacks",
            "four_lacks",
            (
                "目前存在的“四缺”情况（可多选）",
                "Which of the “four lacks” apply? (select all that apply)",
            ),
            required=True,
            constraint="not(selected(., 'none') and count-selected(.) > 1)",
            message=(
                "选择“均不存在”时不能再选其他项。",
                "“None of these” cannot be combined with other answers.",
            ),
            severity="error",
            aggregate="none",
        ),
        derived(
            "lacks_count",
            ("存在“四缺”的项数", "Number of lacks that apply"),
            "count-selected(${four_lacks}) - if(selected(${four_lacks}, 'none'), 1, 0)",
            ITEMS,
            kind="integer",
            warning=" and ".join(
                [
                    lack("no_posts", "${posts} = 0"),
                    lack("no_funds", "${funds} = 0"),
                    lack("no_office", "${office_area} = 0"),
                    lack("no_staff", "${staff_total} = 0"),
                ]
            ),
            message=(
                "“四缺”勾选情况与编制数、经费、办公面积或工作人员数不一致（例如填有工作人员却勾选了“无人员”），请核实并填写说明。",
                "The “four lacks” ticked do not match the posts, funds, office space or staff entered "
                "(e.g. staff entered but “no staff” ticked). Check and explain.",
            ),
        ),
        end("capacity"),
        group("frontline", ("四、基层科普阵地", "4. Grassroots outreach")),
        count(
            "estations",
            ("科普中国e站数", "“Science China” e-stations"),
            UNITS,
            "last",
        ),
        count(
            "kepu_officers",
            ("科普信息员人数", "Science-popularisation information officers"),
            PERSONS,
            "last",
        ),
        count(
            "rural_assocs",
            ("农村专业技术协会（农技协）数", "Rural professional technology associations"),
            UNITS,
            "last",
        ),
        count(
            "rural_assoc_members",
            ("农技协会员人数", "Members of rural technology associations"),
            PERSONS,
            "last",
            constraint=". >= 0 and (. = 0 or ${rural_assocs} > 0)",
            message=(
                "不能为负数；没有农技协时会员人数应为0。",
                "Cannot be negative, and must be 0 when there are no rural technology associations.",
            ),
        ),
        count("backyards", ("科技小院数", "Science and technology backyards"), UNITS, "last"),
        # 与上年比较 (kexie::previous)
        previous_value(
            "prev_members", "members", ("上年个人会员人数", "Individual members last year")
        ),
        change_since(
            "members_change",
            ("个人会员人数较上年增减", "Individual members: change since last year"),
            "members",
            "prev_members",
            relevant=ESTABLISHED,
            warning=". >= -50",
            message=(
                "个人会员人数较上年下降超过 50%，请核实是否清理会员或漏报，并填写说明。",
                "Individual members fell by more than 50% since last year. Check for a clean-up "
                "of the register or figures left out, and explain.",
            ),
        ),
        end("frontline"),
        *cover_rows(),
    ]
    choices = {
        "yes_no": yes_no_list(),
        "four_lacks": [
            ("no_posts", "无编制", "No authorised posts"),
            ("no_funds", "无经费", "No funds"),
            ("no_office", "无场所", "No office"),
            ("no_staff", "无人员", "No staff"),
            ("none", "均不存在", "None of these"),
        ],
    }
    return FormSpec(
        form_id="kexie_org_annual",
        title=("基层科协组织建设年报", "Grassroots association annual report"),
        table_no="科协年1表",
        due="1/31",  # 31 January of the following year
        kind="report",
        period="year",
        rows=rows,
        choices=choices,
    )


FORMS = (survey_form, volunteer_form, venue_form, org_form)

# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
GROUP_FONT = Font(bold=True, color="1F4E79")
WRAP = Alignment(wrap_text=True, vertical="top")


def _cell(row: Row, attr: str) -> str:
    if ":" in attr:
        name, index = attr.split(":")
        return getattr(row, name)[int(index)]
    value = getattr(row, attr)
    if isinstance(value, bool):
        return "yes" if value else ""
    return value


def _header(ws, headers: list[tuple[str, int]], freeze: str) -> None:
    ws.append([h for h, _ in headers])
    for index, (_, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = freeze
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}1"


_CODED_TYPES = ("integer", "decimal", "text", "select_one", "select_multiple", "date")


def number_indicators(spec: FormSpec) -> None:
    """Give every row of a report's table its code (代码 01, 02, ... in sheet order), as on
    the paper form; the cover block (who filled it in) has none."""
    if spec.kind != "report":
        return
    n = 0
    depth_cover = False
    # 与上期比较 rows check this period against the last; they are not indicators of it.
    previous = [f"${{{row.name}}}" for row in spec.rows if row.previous]
    for row in spec.rows:
        if any(ref in row.calculation for ref in previous):
            continue
        if row.type == "begin_group":
            depth_cover = row.name == "cover"
        elif row.type == "end_group":
            depth_cover = False if row.name == "cover" else depth_cover
        elif row.type.split()[0] in _CODED_TYPES and row.name and not depth_cover and not row.code:
            n += 1
            row.code = f"{n:02d}"


def build_workbook(spec: FormSpec) -> bytes:
    """The workbook for one form, as deterministic .xlsx bytes."""
    number_indicators(spec)
    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    _header(survey, [(h, w) for h, _, w in SURVEY_COLUMNS], "C2")
    for row in spec.rows:
        survey.append([_cell(row, attr) for _, attr, _ in SURVEY_COLUMNS])
        if row.type in ("begin_group", "end_group"):
            for cell in survey[survey.max_row][:4]:
                cell.font = GROUP_FONT

    choices = wb.create_sheet("choices")
    _header(choices, CHOICE_COLUMNS, "A2")
    for list_name, items in spec.choices.items():
        for name, zh, en in items:
            choices.append([list_name, name, zh, en])

    settings = wb.create_sheet("settings")
    _header(settings, SETTINGS_COLUMNS, "A2")
    settings.append(
        [
            spec.form_id,
            spec.title[0],
            spec.title[1],
            VERSION,
            ZH,
            spec.kind,
            spec.period,
            spec.key,
            spec.instance_name,
            spec.table_no,
            spec.due,
        ]
    )
    for ws in (survey, choices, settings):
        for line in ws.iter_rows(min_row=2):
            for cell in line:
                cell.alignment = WRAP

    wb.properties.creator = "Kexie Collect"
    wb.properties.title = spec.title[0]
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed member timestamps so the output is reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with now()
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", content
                )
            dst.writestr(fixed, content)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write every built-in form into forms/builtin (or the folder given as the first argument)."""
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for make in FORMS:
        spec = make()
        path = out_dir / f"{spec.form_id}.xlsx"
        path.write_bytes(build_workbook(spec))
        print(
            f"{path}: {sum(1 for r in spec.rows if r.name and not r.type.startswith(('begin', 'end')))} rows"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
