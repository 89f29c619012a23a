"""Rules shared by every programme: age and who counts as a household member."""

from __future__ import annotations

from minzheng.policy.formula import ifelse
from minzheng.policy.rules import PERSON, Programme

common = Programme("common", "通用")


@common.rule(
    PERSON, "int", label="年龄（周岁）", unit="years", reference="周岁：以评估日为准计算的整周岁"
)
def age(v):
    birth = v.birth_date
    date = v.date
    had_birthday = (date.month() > birth.month()) | (
        (date.month() == birth.month()) & (date.day() >= birth.day())
    )
    return date.year() - birth.year() - ifelse(had_birthday, 0, 1)


@common.rule(
    PERSON,
    "bool",
    label="计入共同生活家庭成员",
    reference="浙江省最低生活保障办法：服刑、强制隔离戒毒、宗教教职人员离家、失踪人员不计入",
)
def counted(v):
    return v.status == "normal"
