"""The engine's inputs: columns of the person and household tables, with their defaults.

Both sources produce exactly these columns: a household file (`household.py`) for one
household, and the lake's department feeds (`lake.py`) for a whole province. Every number
and date declares here the range a household file may give it (`bounds`); the file's
parser checks against this table only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from minzheng.policy.rules import HOUSEHOLD, PERSON

if TYPE_CHECKING:  # Arrow is imported where tables are built, not to explain a household
    import pyarrow as pa

# Bounds (inclusive). 100 million yuan is far beyond any household that applies for
# assistance, and keeps sums over a household (and ×12 for a year) well inside the inputs'
# decimal(16, 2).
MONEY_RANGE = (Decimal(0), Decimal(100_000_000))
COUNT_RANGE = (0, 99)
GRADE_RANGE = (0, 4)  # disability grade 1–4 (0: none); capability grade 0–4 (GB/T 42195-2022)
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))


@dataclass(frozen=True)
class Input:
    name: str
    entity: str
    kind: str  # money | int | bool | str | date
    default: Any
    label: str
    bounds: tuple[Any, Any] | None = None  # (lowest, highest) for money, int and date


INPUTS: dict[str, Input] = {
    i.name: i
    for i in [
        Input("household_id", HOUSEHOLD, "str", None, "家庭编号"),
        Input("county", HOUSEHOLD, "str", None, "所在区县"),
        Input("enrolled_dibao", HOUSEHOLD, "bool", False, "当前是否在保（低保）"),
        Input("emergency_loss", HOUSEHOLD, "money", Decimal(0), "近3个月突发事件损失", MONEY_RANGE),
        Input("person_id", PERSON, "str", None, "身份证号码"),
        Input("relation", PERSON, "str", "other", "与户主关系"),
        Input("birth_date", PERSON, "date", None, "出生日期", DATE_RANGE),
        Input("sex", PERSON, "str", None, "性别"),
        Input("status", PERSON, "str", "normal", "人员状态"),
        Input("disability_grade", PERSON, "int", 0, "残疾等级（0 为无）", GRADE_RANGE),
        Input("disability_kind", PERSON, "str", "", "残疾类别"),
        Input("serious_illness", PERSON, "bool", False, "是否患重病"),
        Input("employed", PERSON, "bool", False, "是否就业"),
        Input("employment_start", PERSON, "date", None, "就业开始日期", DATE_RANGE),
        Input("wage", PERSON, "money", Decimal(0), "工资性收入（月）", MONEY_RANGE),
        Input("business", PERSON, "money", Decimal(0), "经营性收入（月）", MONEY_RANGE),
        Input("property", PERSON, "money", Decimal(0), "财产性收入（月）", MONEY_RANGE),
        Input("pension", PERSON, "money", Decimal(0), "养老金（月）", MONEY_RANGE),
        Input("transfer", PERSON, "money", Decimal(0), "转移性收入（月）", MONEY_RANGE),
        Input("other", PERSON, "money", Decimal(0), "其他收入（月）", MONEY_RANGE),
        Input("exempt", PERSON, "money", Decimal(0), "不计入收入（月）", MONEY_RANGE),
        Input("deposits", PERSON, "money", Decimal(0), "存款", MONEY_RANGE),
        Input("securities", PERSON, "money", Decimal(0), "有价证券", MONEY_RANGE),
        Input("vehicles", PERSON, "int", 0, "机动车（不含豁免）", COUNT_RANGE),
        Input("commercial_property", PERSON, "int", 0, "商业用房", COUNT_RANGE),
        Input("homes", PERSON, "int", 0, "住房套数", COUNT_RANGE),
        Input("medical_oop_12m", PERSON, "money", Decimal(0), "近12个月自付医疗费用", MONEY_RANGE),
        Input("education_12m", PERSON, "money", Decimal(0), "近12个月教育支出", MONEY_RANGE),
        Input("supporter_capable", PERSON, "bool", True, "有具备赡养抚养扶养能力的义务人"),
        Input("capability_grade", PERSON, "int", 0, "老年人能力等级（0–4）", GRADE_RANGE),
        Input("father_status", PERSON, "str", "alive", "父亲状况"),
        Input("mother_status", PERSON, "str", "alive", "母亲状况"),
        Input("placement", PERSON, "str", "family", "安置方式"),
        Input("student", PERSON, "bool", False, "是否在校学生"),
    ]
}


def schema(entity: str) -> pa.Schema:
    """The Arrow schema of an entity's input table (persons also carry household_id, county)."""
    import pyarrow as pa

    arrow = {
        "money": pa.decimal128(16, 2),
        "int": pa.int64(),
        "bool": pa.bool_(),
        "str": pa.string(),
        "date": pa.date32(),
    }
    fields = [pa.field(i.name, arrow[i.kind]) for i in INPUTS.values() if i.entity == entity]
    if entity == PERSON:
        fields = [pa.field("household_id", pa.string()), pa.field("county", pa.string()), *fields]
    return pa.schema(fields)


def kinds() -> dict[str, str]:
    """Input name → kind (for tracing formulas)."""
    return {name: i.kind for name, i in INPUTS.items()}
