"""Realistic sample answers for the four built-in forms (demo data, tests, benchmarks).

:func:`sample_answers` returns ``(answers, explanations)``: answers that pass every
error-severity check of the form, shaped like real returns (employer-dependent education and
titles, seasonal report flows, stocks that grow slowly from the previous period). About one
return in twenty deliberately trips a plausibility *warning*, and then ``explanations`` holds
the written explanation (说明) a clerk would give, keyed by the field that carries the warning.

Values follow ``forms.model`` conventions: integers as ``int``, decimals as ``float``,
select_multiple as space-separated choice names, dates ISO. Computed fields and notes are left
for the engine to fill. Pure Python, deterministic for a given ``random.Random`` state.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

Answers = dict[str, object]
Explanations = dict[str, str]

WARNING_RATE = 0.05
# A year safely at or before "today" for the form's age arithmetic (age = this year − birth year).
REFERENCE_YEAR = 2025


def sample_answers(
    form_id: str,
    rng: random.Random,
    *,
    unit_code: str,
    period: str | None,
    previous: dict | None = None,
) -> tuple[Answers, Explanations]:
    """Plausible answers for one record of a built-in form.

    ``unit_code`` is the reporting unit (6-digit county or 12-digit township code; it scales
    report figures), ``period`` the report period (``2026-05``, ``2026``; ``None`` for the
    survey) and ``previous`` the same unit's answers for the previous period, from which stock
    indicators evolve. Raises ``KeyError`` for a form that is not built in.
    """
    maker = _MAKERS[form_id]
    return maker(rng, unit_code, period, previous or {})


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weighted: Mapping[str, float]) -> str:
    names = list(weighted)
    return rng.choices(names, weights=[weighted[n] for n in names])[0]


def _some(rng: random.Random, weighted: dict[str, float], low: int, high: int) -> str:
    """Between ``low`` and ``high`` distinct names, drawn by weight, in list order."""
    wanted = rng.randint(low, high)
    pool = dict(weighted)
    chosen: set[str] = set()
    while pool and len(chosen) < wanted:
        name = _pick(rng, pool)
        chosen.add(name)
        del pool[name]
    return " ".join(n for n in weighted if n in chosen)


def _level(unit_code: str) -> str:
    code = unit_code.strip()
    if len(code) == 12:
        if not code.endswith("000000"):
            return "township"
        code = code[:6]
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


# How much bigger a level's figures are than one county's.
_SCALE = {"province": 60.0, "city": 8.0, "county": 1.0, "township": 0.08}

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾"
    "龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
)
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "玉兰",
    "鹏",
    "辉",
    "丹",
    "萍",
    "鑫",
    "波",
    "宇",
    "浩",
    "凯",
    "健",
    "俊",
    "帆",
    "旭",
    "宁",
    "林",
    "欣",
    "佳",
    "雪",
    "婷",
    "慧",
    "颖",
    "琳",
    "晨",
    "阳",
    "志强",
    "海燕",
    "建国",
    "春梅",
    "晓东",
    "子涵",
    "思远",
    "国庆",
    "文博",
    "雨桐",
    "德明",
    "卫东",
    "丽萍",
    "永红",
    "立新",
    "志刚",
    "晓燕",
    "金凤",
)
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "193",
    "195",
    "198",
    "199",
)
# Area code of each province's capital, by the first two digits of the division code.
_AREA_CODES = {
    "11": "010", "12": "022", "13": "0311", "14": "0351", "15": "0471", "21": "024",
    "22": "0431", "23": "0451", "31": "021", "32": "025", "33": "0571", "34": "0551",
    "35": "0591", "36": "0791", "37": "0531", "41": "0371", "42": "027", "43": "0731",
    "44": "020", "45": "0771", "46": "0898", "50": "023", "51": "028", "52": "0851",
    "53": "0871", "54": "0891", "61": "029", "62": "0931", "63": "0971", "64": "0951",
    "65": "0991",
}  # fmt: skip


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _office_phone(rng: random.Random, unit_code: str) -> str:
    if rng.random() < 0.6:
        return _mobile(rng)
    area = _AREA_CODES.get(unit_code[:2], "010")
    digits = 8 if len(area) == 3 or rng.random() < 0.7 else 7
    first = rng.randint(2, 8)
    return f"{area}-{first}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


def _month(period: str | None, rng: random.Random) -> tuple[int, int]:
    """(year, month) a report describes: the month itself, a quarter's or a year's last month."""
    if period and period[5:6].upper() == "Q":
        return int(period[:4]), 3 * int(period[6:7])
    if period and len(period) == 7:
        return int(period[:4]), int(period[5:7])
    if period and len(period) == 4:
        return int(period), 12
    return REFERENCE_YEAR, rng.randint(1, 12)


def _fill_date(rng: random.Random, year: int, month: int) -> str:
    """A few days after the period ends, never after today (the form checks ``. <= today()``)."""
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    filled = first_next + timedelta(days=rng.randint(0, 6))
    return min(filled, date.today()).isoformat()


def _cover(rng: random.Random, unit_code: str, year: int, month: int, previous: dict) -> Answers:
    """Who filled the report in; the same clerk as last time most of the time."""
    keep = bool(previous.get("filled_by")) and rng.random() < 0.92
    return {
        "unit_head": previous.get("unit_head") if keep else _name(rng),
        "filled_by": previous.get("filled_by") if keep else _name(rng),
        "phone": previous.get("phone") if keep else _office_phone(rng, unit_code),
        "fill_date": _fill_date(rng, year, month),
        "remarks": None,
    }


def _grow(rng: random.Random, value: object, low: float, high: float, floor: int = 0) -> int:
    """A stock a little larger (rarely smaller) than last period's."""
    base = int(value) if isinstance(value, int | float) else floor
    return max(floor, round(base * (1 + rng.uniform(low, high))))


# ---------------------------------------------------------------------------------------------
# 1. kexie_survey
# ---------------------------------------------------------------------------------------------

_EMPLOYERS = {
    "enterprise": 30, "medical": 18, "school": 17, "university": 7, "institute": 6,
    "agri": 9, "government": 6, "other": 7,
}  # fmt: skip
_EDUCATION = {
    "university": {"doctor": 50, "master": 40, "bachelor": 10},
    "institute": {"doctor": 33, "master": 40, "bachelor": 24, "college": 3},
    "enterprise": {"secondary": 7, "college": 25, "bachelor": 50, "master": 15, "doctor": 3},
    "medical": {"secondary": 3, "college": 25, "bachelor": 50, "master": 17, "doctor": 5},
    "school": {"college": 15, "bachelor": 70, "master": 14, "doctor": 1},
    "agri": {"secondary": 12, "college": 35, "bachelor": 45, "master": 8},
    "government": {"college": 8, "bachelor": 60, "master": 30, "doctor": 2},
    "other": {"secondary": 8, "college": 30, "bachelor": 45, "master": 15, "doctor": 2},
}
_GRADUATION_AGE = {"secondary": 19, "college": 21, "bachelor": 22, "master": 25, "doctor": 29}
_DISCIPLINE = {
    "university": {"science": 25, "engineering": 30, "agriculture": 8, "medicine": 10, "social": 24, "interdisciplinary": 3},
    "institute": {"science": 35, "engineering": 33, "agriculture": 15, "medicine": 10, "social": 5, "interdisciplinary": 2},
    "enterprise": {"science": 14, "engineering": 60, "agriculture": 5, "medicine": 3, "social": 15, "other": 3},
    "medical": {"medicine": 92, "science": 4, "social": 4},
    "school": {"science": 42, "engineering": 8, "social": 45, "other": 5},
    "agri": {"agriculture": 85, "science": 8, "engineering": 5, "social": 2},
    "government": {"social": 50, "engineering": 20, "science": 12, "agriculture": 12, "medicine": 6},
    "other": {"engineering": 35, "science": 15, "social": 35, "agriculture": 10, "other": 5},
}  # fmt: skip
_MAIN_WORK = {
    "university": {"teaching": 60, "research": 35, "management": 5},
    "institute": {"research": 80, "engineering": 10, "management": 10},
    "enterprise": {"engineering": 55, "research": 25, "management": 15, "other": 5},
    "medical": {"health": 90, "research": 3, "management": 7},
    "school": {"teaching": 94, "management": 6},
    "agri": {"agri_tech": 88, "management": 12},
    "government": {"management": 85, "engineering": 10, "other": 5},
    "other": {"engineering": 40, "other": 35, "management": 15, "research": 10},
}
# Typical split of working time (research, teaching/professional, admin, other) by main work.
_TIME_SPLIT = {
    "research": (60, 10, 20, 10),
    "teaching": (20, 55, 15, 10),
    "engineering": (25, 40, 20, 15),
    "health": (10, 70, 12, 8),
    "agri_tech": (10, 60, 20, 10),
    "management": (5, 15, 65, 15),
    "other": (10, 40, 25, 25),
}
_SITES = {
    "enterprise": ("华兴科技有限公司", "丰源农业科技有限公司", "恒达机械制造有限公司", "县电力公司", "绿源生物科技股份有限公司"),
    "medical": ("县人民医院", "县中医院", "县妇幼保健院", "镇卫生院", "县疾病预防控制中心"),
    "school": ("县第一中学", "县实验小学", "镇中心学校", "县第二中学", "镇中学"),
    "university": ("市职业技术学院", "省农业大学", "市学院", "省理工大学"),
    "institute": ("市农业科学研究院", "省林业科学研究院", "县农业科学研究所", "省地质调查院"),
    "agri": ("县农业技术推广中心", "镇农业综合服务中心", "县畜牧兽医站", "县农机推广站"),
    "government": ("县科学技术局", "县科协", "县农业农村局", "镇人民政府"),
    "other": ("县气象局", "县水文站", "县科技服务中心", "县检验检测中心"),
}  # fmt: skip
_SUGGESTIONS = (
    "希望进一步简化职称评审材料，减少各类表格填报。",
    "建议多组织面向基层科技工作者的培训和学术交流活动。",
    "希望提高基层科技人员待遇，稳定乡镇农技队伍。",
    "建议科协多关心青年科技工作者的住房和子女入学问题。",
    "希望科普活动多进农村、进学校，形式再活泼一些。",
    "建议评价科技人员不要只看论文，更多看实际贡献。",
    "希望科协搭建与企业对接的平台，促进成果转化。",
    "基层医疗人员工作量大，希望增加人手。",
)
_OTHER_CONCERNS = ("父母养老问题", "通勤时间太长", "编制问题", "知识更新太快，学习压力大")
_OTHER_DEMANDS = ("组织健康体检", "提供法律咨询服务", "帮助联系专家指导")


def _survey(rng: random.Random, unit_code: str, period: str | None, previous: dict):
    explanations: Explanations = {}
    # Fieldwork happened in the survey year, or else during the last three months.
    if period:
        day = date(int(period[:4]), rng.randint(3, 11), rng.randint(1, 28))
    else:
        day = date.today() - timedelta(days=rng.randint(1, 90))
    start = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59))
    end = start + timedelta(minutes=rng.randint(14, 48), seconds=rng.randint(0, 59))
    employer = _pick(rng, _EMPLOYERS)
    county_digits = "".join(ch for ch in unit_code if ch.isdigit())
    code = county_digits if len(county_digits) in (6, 12) else "110101"
    a: Answers = {
        "start": start.isoformat(timespec="seconds") + "+08:00",
        "end": end.isoformat(timespec="seconds") + "+08:00",
        "today": start.date().isoformat(),
        "interviewer_id": f"F{int(code[2:6]) % 100:02d}{rng.randint(1, 6):02d}",
        "site_code": code,
        "site_name": rng.choice(_SITES[employer]),
        "respondent_no": rng.randint(1, 300),
        "interview_mode": _pick(rng, {"face": 85, "phone": 10, "self": 5}),
    }
    if rng.random() < 0.04:
        a["consent"] = "no"
        a["refusal_reason"] = _pick(
            rng, {"busy": 50, "privacy": 25, "not_interested": 20, "other": 5}
        )
        return a, explanations
    a["consent"] = "yes"

    # Basic facts: education, title and job hang together with employer and age.
    birth_year = min(2000, max(1960, round(rng.triangular(1960, 2000, 1986))))
    age = REFERENCE_YEAR - birth_year
    education = _pick(rng, _EDUCATION[employer])
    if education == "doctor" and age < 30:
        education = "master"
    a.update(
        sex="male" if rng.random() < 0.58 else "female",
        birth_year=birth_year,
        ethnicity=None
        if rng.random() < 0.03
        else _pick(
            rng,
            {
                "han": 90,
                "zhuang": 2,
                "hui": 1.5,
                "manchu": 1,
                "miao": 1,
                "yi": 1,
                "tujia": 1,
                "uyghur": 0.6,
                "tibetan": 0.5,
                "mongol": 0.5,
                "other": 0.9,
            },
        ),
        political=_pick(
            rng,
            {"cpc": 42, "league": 8 if age <= 28 else 0, "democratic": 4, "masses": 46},
        ),
        education=education,
        study_abroad="yes" if rng.random() < (0.15 if education == "doctor" else 0.04) else "no",
        discipline=_pick(rng, _DISCIPLINE[employer]),
        title=_title(rng, age, education, employer),
        employer_type=employer,
    )
    _employer_follow_ups(rng, a, employer)
    main_work = _pick(rng, _MAIN_WORK[employer])
    level = _level(unit_code)
    if employer in ("university", "institute"):
        place = {"city": 85, "county_town": 15}
    elif level == "township":
        place = {"township": 60, "village": 25, "county_town": 15}
    else:
        place = {"city": 12, "county_town": 55, "township": 25, "village": 8}
    work_years = max(0, age - _GRADUATION_AGE[education] - rng.randint(0, 3))
    a.update(
        main_work=main_work,
        urban_rural=_pick(rng, place),
        work_years=work_years,
        job_change="yes" if rng.random() < (0.3 if age < 35 else 0.1) else "no",
    )

    # Work: hours, split of time, pay, satisfaction.
    if rng.random() < WARNING_RATE:
        days, hours = 7, rng.choice((12.0, 12.5, 13.0))
        explanations["weekly_hours"] = rng.choice(
            (
                "受访者为县医院急诊科医生，近一个月轮班加值夜班，经核实每周工作时间确实超过80小时。",
                "受访者正值春耕农技服务高峰，每天下村指导，经本人确认工作时间属实。",
                "受访者所在企业项目赶工期，近一个月连续加班，已与受访者核实。",
            )
        )
    else:
        days = int(_pick(rng, {"5": 68, "6": 26, "7": 3, "4": 3}))
        hours = rng.choice((7.5, 8.0, 8.0, 8.0, 8.5, 9.0, 9.0, 9.5, 10.0, 11.0))
        if days * hours > 80:
            hours = 10.0
    pressure_score = days * hours / 10 + rng.uniform(-1.5, 1.5)
    a.update(
        work_days=days,
        daily_hours=hours,
        **_time_shares(rng, main_work),
        income=_income(rng, str(a["title"]), employer, level),
        income_change=_pick(rng, {"up": 45, "same": 40, "down": 15}),
        pressure=(
            "very_high"
            if pressure_score > 6
            else "high"
            if pressure_score > 5
            else "medium"
            if pressure_score > 3.8
            else "low"
            if pressure_score > 3
            else "very_low"
        ),
        training_days=min(365, max(0, round(rng.gauss(12 if employer == "medical" else 8, 6)))),
    )
    mood = rng.gauss(3.5, 0.6)
    for name, shift in (
        ("sat_overall", 0.1), ("sat_income", -0.5), ("sat_conditions", 0.0),
        ("sat_career", -0.3), ("sat_evaluation", -0.4), ("sat_balance", -0.2),
    ):  # fmt: skip
        a[name] = str(min(5, max(1, round(mood + shift + rng.gauss(0, 0.7)))))

    # Association life.
    member_odds = 0.55 if employer in ("university", "institute", "medical") else 0.28
    is_member = rng.random() < member_odds
    volunteer = rng.random() < 0.22
    kepu_count = (
        0
        if rng.random() < (0.15 if volunteer else 0.4)
        else min(60, round(rng.expovariate(1 / 5)) + 1)
    )
    services = (
        "none"
        if rng.random() < 0.35
        else _some(rng, {"academic": 30, "training": 35, "award": 8, "consulting": 10,
                         "rights": 7, "transfer": 10}, 1, 3)
    )  # fmt: skip
    a.update(
        know_kexie=_pick(rng, {"well": 20, "some": 45, "heard": 25, "none": 10}),
        is_member="yes" if is_member else "no",
        member_of=_some(
            rng, {"national": 15, "provincial": 35, "local": 40, "grassroots": 20}, 1, 2
        )
        if is_member
        else None,
        kepu_count=kepu_count,
        kepu_types=_some(
            rng,
            {
                "lecture": 30,
                "countryside": 25,
                "exhibition": 15,
                "online": 15,
                "youth": 15,
                "writing": 4,
                "emergency": 6,
            },
            1,
            3,
        )
        if kepu_count
        else None,
        volunteer_reg="yes" if volunteer else "no",
        volunteer_hours=min(400, round(rng.expovariate(1 / 30)) + 2) if volunteer else None,
        kepu_willing=_pick(rng, {"yes": 55, "maybe": 35, "no": 10}),
        kexie_services=services,
        sat_kexie=None if services == "none" else str(min(5, max(1, round(rng.gauss(3.8, 0.8))))),
    )

    # 所思所想所盼.
    concerns = _some(
        rng,
        {"income": 30, "title": 22, "funding": 8, "evaluation": 12, "workload": 18, "housing": 6,
         "children": 9, "health": 8, "career": 15, "exchange": 6, "transfer": 4, "other": 2},
        1,
        3,
    )  # fmt: skip
    demands = _some(
        rng,
        {"platform": 20, "training": 28, "recommend": 10, "rights": 14, "transfer": 8,
         "kepu": 8, "care": 10, "other": 2},
        1,
        3,
    )  # fmt: skip
    a.update(
        concerns=concerns,
        concerns_other=rng.choice(_OTHER_CONCERNS) if "other" in concerns.split() else None,
        demands=demands,
        demands_other=rng.choice(_OTHER_DEMANDS) if "other" in demands.split() else None,
        burden=_pick(rng, {"much_less": 15, "less": 40, "same": 35, "more": 10}),
        suggestion=rng.choice(_SUGGESTIONS) if rng.random() < 0.25 else None,
    )

    # Voluntary follow-up contact: the only place a name appears.
    follow = rng.random() < 0.3
    a.update(
        followup_ok="yes" if follow else "no",
        contact_name=_name(rng) if follow else None,
        contact_mobile=_mobile(rng) if follow else None,
    )
    return a, explanations


def _title(rng: random.Random, age: int, education: str, employer: str) -> str:
    if employer == "enterprise" and rng.random() < 0.3:
        return "none"
    seniority: float = (
        age - _GRADUATION_AGE[education] + {"doctor": 6, "master": 3}.get(education, 0)
    )
    seniority += rng.gauss(0, 3)
    if education in ("secondary", "college"):
        seniority -= 4
    if seniority < 3:
        return "none" if rng.random() < 0.5 else "junior"
    if seniority < 10:
        return _pick(rng, {"junior": 50, "intermediate": 45, "none": 5})
    if seniority < 20:
        return _pick(rng, {"intermediate": 70, "deputy_senior": 18, "junior": 12})
    # 正高级 is scarce outside universities, institutes and hospitals.
    top = 1.0 if employer in ("university", "institute", "medical") else 0.3
    if seniority < 28:
        return _pick(rng, {"intermediate": 55, "deputy_senior": 38, "senior": 7 * top})
    return _pick(rng, {"deputy_senior": 50, "intermediate": 28, "senior": 22 * top})


def _employer_follow_ups(rng: random.Random, a: Answers, employer: str) -> None:
    if employer == "enterprise":
        a["ent_ownership"] = _pick(
            rng, {"state": 25, "private": 58, "foreign": 5, "mixed": 10, "other": 2}
        )
        a["ent_size"] = _pick(rng, {"large": 15, "medium": 30, "small": 40, "micro": 15})
        a["ent_rd"] = (
            "yes" if rng.random() < (0.7 if a["ent_size"] in ("large", "medium") else 0.3) else "no"
        )
    elif employer == "university":
        a["uni_type"] = _pick(rng, {"double_first": 15, "undergraduate": 50, "vocational": 35})
        a["teaching_hours"] = rng.randint(4, 16)
    elif employer == "institute":
        a["inst_level"] = _pick(rng, {"central": 10, "provincial": 40, "city": 35, "county": 15})
        a["inst_type"] = _pick(rng, {"basic": 15, "applied": 55, "service": 30})
    elif employer == "medical":
        a["hosp_level"] = _pick(
            rng, {"grade3": 15, "grade2": 40, "grade1": 8, "primary_care": 30, "public_health": 7}
        )
    elif employer == "school":
        a["school_stage"] = _pick(rng, {"primary": 40, "junior": 30, "senior": 20, "complete": 10})
        a["science_teacher"] = "yes" if rng.random() < 0.3 else "no"
        a["teaching_hours"] = rng.randint(10, 20)
    elif employer == "agri":
        a["agri_level"] = _pick(rng, {"county": 40, "township": 60})
    elif employer == "government":
        a["gov_level"] = _pick(rng, {"city": 10, "county": 60, "township": 30})
    else:
        a["employer_other"] = rng.choice(
            ("事业单位（气象、水文）", "社会组织", "检验检测机构", "个体经营")
        )


def _time_shares(rng: random.Random, main_work: str) -> Answers:
    """Four whole percentages, each a multiple of 5, adding up to exactly 100."""
    weights = [max(0.0, w + rng.gauss(0, 6)) for w in _TIME_SPLIT[main_work]]
    total = sum(weights) or 1.0
    shares = [5 * round(w / total * 20) for w in weights[:3]]
    while sum(shares) > 100:
        i = shares.index(max(shares))
        shares[i] -= 5
    shares.append(100 - sum(shares))
    names = ("share_research", "share_teaching", "share_admin", "share_other")
    return dict(zip(names, shares, strict=True))


def _income(rng: random.Random, title: str, employer: str, level: str) -> str:
    if rng.random() < 0.06:
        return "refused"
    score = {"none": 0, "junior": 0.5, "intermediate": 1.3, "deputy_senior": 2.2, "senior": 3.0}[
        title
    ]
    score += {"university": 1.0, "institute": 0.8, "enterprise": 0.6, "medical": 0.8}.get(
        employer, 0
    )
    score -= 0.6 if level == "township" else 0
    score += rng.gauss(0, 0.8)
    bands = ("lt5", "5_10", "10_15", "15_20", "20_30", "30_50", "ge50")
    return bands[min(len(bands) - 1, max(0, int(score + 1.2)))]


# ---------------------------------------------------------------------------------------------
# 2. kexie_volunteer_monthly
# ---------------------------------------------------------------------------------------------

# 学雷锋月 (March), 科技活动周 (May), 全国科普日 (September) lift activity; Spring Festival lowers it.
_VOLUNTEER_SEASON = {1: 0.6, 2: 0.5, 3: 1.3, 4: 1.0, 5: 1.25, 6: 1.0, 7: 0.85, 8: 0.85, 9: 1.35,
                     10: 1.0, 11: 0.95, 12: 0.8}  # fmt: skip


def _volunteer(rng: random.Random, unit_code: str, period: str | None, previous: dict):
    explanations: Explanations = {}
    year, month = _month(period, rng)
    season = _VOLUNTEER_SEASON[month]
    scale = _SCALE[_level(unit_code)]
    before = previous.get("vol_registered")
    if isinstance(before, int) and before > 0:
        leaving = round(before * rng.uniform(0, 0.003))
        new = round(before * rng.uniform(0.002, 0.012) * season)
    else:
        before = max(12, round(rng.uniform(400, 3000) * scale))
        leaving = 0
        new = round(before * rng.uniform(0.004, 0.025) * season)
    warning = rng.random() < WARNING_RATE
    surge = warning and rng.random() < 0.5
    if surge:
        new = round(before * rng.uniform(0.5, 0.8)) + 5
        explanations["new_share"] = rng.choice(
            (
                "本月开展科技志愿服务集中注册活动，县直单位和学校教师集中注册，已逐一核对身份信息。",
                "本月乡镇农技人员和卫生院医务人员统一在平台注册，新增人数较多，数据已核实。",
            )
        )
    registered = before - leaving + new

    def share(name: str, low: float, high: float) -> int:
        last = previous.get(name)
        if (
            isinstance(last, int)
            and isinstance(previous.get("vol_registered"), int)
            and previous["vol_registered"]
        ):
            ratio = last / previous["vol_registered"] + rng.uniform(-0.01, 0.01)
        else:
            ratio = rng.uniform(low, high)
        return min(registered, max(0, round(registered * min(max(ratio, low - 0.05), high + 0.05))))

    active = min(registered, round(registered * rng.uniform(0.15, 0.38) * season))
    orgs_before = previous.get("vol_orgs")
    orgs = (
        orgs_before + (1 if rng.random() < 0.15 * scale**0.5 else 0)
        if isinstance(orgs_before, int)
        else max(1, round(registered / rng.uniform(40, 90)))
    )
    activities = 0 if active == 0 else max(1, round(active / rng.uniform(6, 15)))
    served = round(activities * rng.uniform(30, 250))
    if warning and not surge and activities:
        activities = rng.randint(1, min(3, activities))  # one or two big events
        served = round(activities * rng.uniform(5200, 7000))
        explanations["served_per_activity"] = rng.choice(
            (
                "本月全国科普日主场活动在县城广场举办，现场与网络直播服务群众人次较多，数据来自签到和直播平台统计。",
                "本月举办大型科普展演，学校统一组织学生参加，服务人次已按签到表核实。",
            )
        )
    hours = round(active * rng.uniform(2, 10) * 2) / 2
    answers: Answers = {
        "vol_registered": registered,
        "vol_new": new,
        "vol_female": share("vol_female", 0.33, 0.5),
        "vol_young": share("vol_young", 0.35, 0.55),
        "vol_retired": share("vol_retired", 0.06, 0.16),
        "vol_active": active,
        "vol_orgs": orgs,
        "activities": activities,
        "activities_rural": round(activities * rng.uniform(0.35, 0.75)),
        "activities_online": round(activities * rng.uniform(0.03, 0.2)),
        "people_served": served,
        "service_hours": float(hours),
    }
    answers.update(_cover(rng, unit_code, year, month, previous))
    return answers, explanations


# ---------------------------------------------------------------------------------------------
# 3. kexie_venue_monthly
# ---------------------------------------------------------------------------------------------

_VENUE_NAMES = {
    "museum": ("县科技馆", "市科技馆", "县青少年科技活动中心"),
    "free_museum": ("县科技馆（免费开放）", "县科普馆", "市科学技术馆"),
    "mobile_tour": ("中国流动科技馆巡展", "流动科技馆巡展（第二站）", "流动科技馆县域巡展"),
    "caravan": ("科普大篷车（1号车）", "科普大篷车（2号车）", "科普大篷车"),
    "rural_school": ("县第一中学农村中学科技馆", "镇中学农村中学科技馆", "民族中学农村中学科技馆"),
    "edu_base": ("现代农业科普教育基地", "气象科普教育基地", "地质公园科普教育基地", "中医药文化科普基地"),
}  # fmt: skip
_VENUE_WEIGHTS = {"museum": 18, "free_museum": 15, "mobile_tour": 12, "caravan": 15,
                  "rural_school": 20, "edu_base": 20}  # fmt: skip
# Holidays (Spring Festival, summer, National Day) bring families; school groups come in term.
_VISIT_SEASON = {1: 0.8, 2: 1.1, 3: 0.8, 4: 1.0, 5: 1.2, 6: 0.9, 7: 1.5, 8: 1.6, 9: 1.0,
                 10: 1.3, 11: 0.8, 12: 0.7}  # fmt: skip
_TERM = {1: 0.5, 2: 0.0, 3: 1.0, 4: 1.0, 5: 1.0, 6: 0.9, 7: 0.0, 8: 0.0, 9: 1.0, 10: 0.9,
         11: 1.0, 12: 1.0}  # fmt: skip


# The form's plausibility limit on visits per day open, by venue type.
_DAILY_LIMIT = {"rural_school": 1000, "edu_base": 3000, "mobile_tour": 5000}
_BUSY_MONTH = {
    "rural_school": "本月承办全县青少年科技节，各校集中组织学生参观，人次按入馆登记统计。",
    "edu_base": "本月基地承接全县中小学研学实践活动，每天多批次接待，人次已与预约登记核对。",
    "mobile_tour": "巡展在县城广场开幕，正值节假日，现场观众较多，人次按入口计数器统计。",
}


def _venue(rng: random.Random, unit_code: str, period: str | None, previous: dict):
    explanations: Explanations = {}
    year, month = _month(period, rng)
    kind = previous.get("venue_type") or _pick(rng, _VENUE_WEIGHTS)
    name = previous.get("venue_name") or rng.choice(_VENUE_NAMES[kind])
    scale = min(3.0, _SCALE[_level(unit_code)] ** 0.5)  # a city's venue is busier, not 8× busier
    season, term = _VISIT_SEASON[month], _TERM[month]
    # Museums would need > 20,000 visits a day to warn, which would swamp every total, so the
    # other types carry the warnings (a little more often, to keep ≈5 % overall).
    warning = kind not in ("museum", "free_museum") and rng.random() < WARNING_RATE * 1.5
    a: Answers = {"venue_name": name, "venue_type": kind}
    open_days = trips = 0
    if kind == "caravan":
        trips = 0 if month in (1, 2) and rng.random() < 0.5 else rng.randint(2, 9)
        km_per_trip = rng.uniform(40, 260)
        if warning and trips:
            km_per_trip = rng.uniform(1600, 2100)
            explanations["km_per_trip"] = (
                "本月大篷车赴对口帮扶地区开展跨省巡回科普，单趟往返里程较长，里程数据来自车辆行驶记录。"
            )
        a.update(caravan_trips=trips, caravan_km=round(trips * km_per_trip, 1))
        visitors = round(trips * rng.uniform(250, 1800))
    else:
        if kind == "rural_school":
            open_days = round(rng.uniform(17, 22) * term) if term else rng.randint(0, 4)
            per_day = rng.uniform(25, 180)
        elif kind == "mobile_tour":
            touring = rng.random() < 0.8
            open_days = rng.randint(18, 30) if touring else 0
            a["tour_stations"] = rng.randint(1, 2) if touring else 0
            per_day = rng.uniform(250, 1400)
        elif kind == "edu_base":
            open_days = rng.randint(18, 30)
            per_day = rng.uniform(40, 600)
        else:  # museums close on Mondays
            open_days = rng.randint(24, 27) if month != 2 else rng.randint(22, 26)
            per_day = rng.uniform(250, 2400) * scale
        per_day *= season if kind != "rural_school" else 1.0
        if warning and open_days:
            per_day = _DAILY_LIMIT[kind] * rng.uniform(1.05, 1.3)
            explanations["visitors_per_day"] = _BUSY_MONTH[kind]
        a["open_days"] = open_days
        visitors = round(open_days * per_day)
    minors_share = rng.uniform(0.85, 0.98) if kind == "rural_school" else rng.uniform(0.42, 0.66)
    school_share = (
        rng.uniform(0.3, 0.7) if kind == "rural_school" else rng.uniform(0.08, 0.3)
    ) * term
    online = {"museum": (800, 20000), "free_museum": (500, 15000), "edu_base": (0, 3000)}.get(
        kind, (0, 600)
    )
    activities = (
        rng.randint(0, 3) if visitors == 0 else rng.randint(1, 12 if kind != "caravan" else 30)
    )
    a.update(
        visitors=visitors,
        visitors_minor=round(visitors * minors_share),
        visitors_school=min(round(visitors * school_share), visitors),
        online_visits=round(rng.uniform(*online) * scale),
        exhibitions=rng.choice((0, 0, 1, 1, 2, 3))
        if kind in ("museum", "free_museum", "edu_base")
        else int(rng.random() < 0.3),
        activities=activities,
        activity_visits=round(activities * rng.uniform(20, 220)),
    )
    a.update(_cover(rng, unit_code, year, month, previous))
    return a, explanations


# ---------------------------------------------------------------------------------------------
# 4. kexie_org_annual
# ---------------------------------------------------------------------------------------------


def _org(rng: random.Random, unit_code: str, period: str | None, previous: dict):
    explanations: Explanations = {}
    year, _ = _month(period, rng)
    level = _level(unit_code)
    scale = _SCALE[level]
    township = level == "township"
    was = previous.get("established")
    established = was == "yes" or rng.random() < (
        0.3 if was == "no" else (0.85 if township else 0.97)
    )
    a: Answers = {"established": "yes" if established else "no"}
    if established:
        founded = previous.get("established_year")
        if not isinstance(founded, int):
            founded = rng.randint(1985, 2022) if township else rng.randint(1958, 1990)
            if was == "no":
                founded = year
        founded = min(founded, year, date.today().year)
        members = (
            _grow(rng, previous["members"], -0.01, 0.08)
            if isinstance(previous.get("members"), int)
            else round(rng.uniform(300, 3000) * scale) + 8
        )
        small = township or rng.random() < 0.1
        posts = rng.choice((0, 0, 0, 1, 2)) if township else rng.randint(3, 12)
        fulltime = round(posts * rng.uniform(0.5, 1.0))
        parttime = rng.randint(0, 4) if township else rng.randint(1, 8)
        funds = (
            round(rng.choice((0.0, rng.uniform(0.3, 5.0), rng.uniform(0.3, 5.0))), 2)
            if small
            else round(rng.uniform(15, 180) * scale**0.5, 2)
        )
        office = (
            rng.choice((0.0, round(rng.uniform(12, 45), 1)))
            if small
            else round(rng.uniform(60, 400), 1)
        )
        staff = fulltime + parttime
        lacks = [
            code
            for code, missing in (
                ("no_posts", posts == 0),
                ("no_funds", funds == 0),
                ("no_office", office == 0),
                ("no_staff", staff == 0),
            )
            if missing
        ]
        if staff and "no_staff" not in lacks and rng.random() < WARNING_RATE:
            lacks.append("no_staff")
            explanations["lacks_count"] = (
                "兼职工作人员由乡镇（街道）干部兼任，没有专门从事科协工作的人员，故勾选“无人员”。"
            )
        order = ("no_posts", "no_funds", "no_office", "no_staff")
        a.update(
            established_year=founded,
            members=members,
            committee=rng.randint(7, 15) if township else rng.randint(21, 45),
            sz_hospital=rng.randint(0, 1) if township else rng.randint(1, 4),
            sz_school=rng.randint(0, 2) if township else rng.randint(1, 6),
            sz_agri=rng.randint(0, 1) if township else rng.randint(0, 3),
            posts=posts,
            staff_fulltime=fulltime,
            staff_parttime=parttime,
            funds=funds,
            funds_kepu=round(funds * rng.uniform(0.2, 0.7), 2),
            office_area=office,
            four_lacks=" ".join(c for c in order if c in lacks) or "none",
        )
    rural = round(rng.uniform(3, 40) * scale) if not township else rng.randint(0, 4)
    stations = previous.get("estations")
    a.update(
        estations=_grow(rng, stations, 0.0, 0.12)
        if isinstance(stations, int)
        else max(1, round(rng.uniform(20, 300) * scale)),
        kepu_officers=max(5, round(rng.uniform(500, 8000) * scale)),
        rural_assocs=rural,
        rural_assoc_members=round(rural * rng.uniform(30, 180)),
        backyards=rng.choice((0, 0, 0, 1, 1, 2)) if not township else int(rng.random() < 0.1),
    )
    a.update(_cover(rng, unit_code, year, 12, previous))
    return a, explanations


_MAKERS: dict[
    str, Callable[[random.Random, str, str | None, dict], tuple[Answers, Explanations]]
] = {
    "kexie_survey": _survey,
    "kexie_volunteer_monthly": _volunteer,
    "kexie_venue_monthly": _venue,
    "kexie_org_annual": _org,
}

FORM_IDS: Sequence[str] = tuple(_MAKERS)
