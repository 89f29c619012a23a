"""The household file (v1): one household as JSON, validated field by field.

Every error names the field (`members[1].income.wage`) and the value. Missing optional
fields take the defaults of `inputs.INPUTS`; unknown fields are errors.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from minzheng.lib import idcard
from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import HouseholdFileError
from minzheng.policy.inputs import schema
from minzheng.policy.rules import HOUSEHOLD, PERSON

RELATIONS = {"head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"}
STATUSES = {"normal", "prison", "drug_rehab", "clergy_away", "missing"}
KINDS = {"physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple"}
INCOME = ("wage", "business", "property", "pension", "transfer", "other", "exempt")
ASSETS = ("deposits", "securities")
MEMBER_KEYS = {
    "id",
    "relation",
    "birth_date",
    "sex",
    "status",
    "disability_grade",
    "disability_kind",
    "serious_illness",
    "employed",
    "employment_start",
    "income",
    "assets",
    "vehicles",
    "commercial_property",
    "homes",
    "medical_oop_12m",
    "education_12m",
}
MEMBER_KEYS |= {
    "supporter_capable",
    "capability_grade",
    "father_status",
    "mother_status",
    "placement",
    "student",
}
HOUSEHOLD_KEYS = {"household_id", "county", "enrolled", "members", "emergency_loss"}
PARENT_STATUSES = {
    "alive",
    "deceased",
    "missing",
    "prison",
    "severe_disability",
    "serious_illness",
    "rehab",
}


@cache
def counties() -> frozenset[str]:
    """The province's county codes (from the shipped divisions)."""
    import csv

    path = resources.files("minzheng.regions") / "data" / "zhejiang_divisions.csv"
    with path.open(encoding="utf-8") as handle:
        return frozenset(r["code"] for r in csv.DictReader(handle) if r["level"] == "county")


def _err(code: str, template: str, **params: Any) -> HouseholdFileError:
    return HouseholdFileError(code, template, **params)


def _type_error(field: str, value: Any, expected: str) -> HouseholdFileError:
    return _err(
        "wrong_type",
        gettext_noop("%(field)s = %(value)s: expected %(expected)s."),
        field=field,
        value=json.dumps(value, ensure_ascii=False),
        expected=expected,
    )


def _unknown(keys: set[str], allowed: set[str], where: str) -> None:
    extra = sorted(keys - allowed)
    if extra:
        raise _err(
            "unknown_field",
            gettext_noop("%(field)s is not a field of the household file (v1)."),
            field=f"{where}{extra[0]}",
        )


def _money(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _type_error(field, value, "an amount in yuan (number or decimal string)")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _type_error(field, value, "an amount in yuan (number or decimal string)") from None
    if not amount.is_finite():
        raise _type_error(field, value, "a finite amount")
    if amount < 0:
        raise _err(
            "negative",
            gettext_noop("%(field)s = %(value)s: an amount cannot be negative."),
            field=field,
            value=value,
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise _err(
            "too_precise",
            gettext_noop("%(field)s = %(value)s: amounts have at most two decimals (fen)."),
            field=field,
            value=value,
        )
    return amount


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _type_error(field, value, "a whole number ≥ 0")
    return value


def _capability(value: Any, field: str) -> int:
    if isinstance(value, bool) or value not in (0, 1, 2, 3, 4):
        raise _type_error(field, value, "a capability grade 0–4 (GB/T 42195-2022)")
    return value


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _type_error(field, value, "true or false")
    return value


def _date(value: Any, field: str, nullable: bool = False) -> dt.date | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _type_error(field, value, "a date YYYY-MM-DD" + (" or null" if nullable else ""))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _type_error(field, value, "a date YYYY-MM-DD") from None


def _choice(value: Any, field: str, allowed: set[str]) -> str:
    if value not in allowed:
        raise _err(
            "not_allowed",
            gettext_noop("%(field)s = %(value)s: must be one of %(allowed)s."),
            field=field,
            value=json.dumps(value, ensure_ascii=False),
            allowed=", ".join(sorted(allowed)),
        )
    return value


def _member(raw: Any, i: int, household_id: str, county: str) -> dict[str, Any]:
    where = f"members[{i}]."
    if not isinstance(raw, dict):
        raise _type_error(f"members[{i}]", raw, "an object")
    _unknown(set(raw), MEMBER_KEYS, where)
    for key in ("id", "birth_date"):
        if key not in raw:
            raise _err("missing", gettext_noop("%(field)s is required."), field=where + key)
    if not isinstance(raw["id"], str):
        raise _type_error(where + "id", raw["id"], "an 18-character ID number")
    try:
        card = idcard.parse(raw["id"])
    except idcard.IdCardError as exc:
        raise _err(
            "bad_id", gettext_noop("%(field)s: %(problem)s"), field=where + "id", problem=exc
        ) from None
    birth = _date(raw["birth_date"], where + "birth_date")
    if birth != card.birth_date:
        raise _err(
            "birth_mismatch",
            gettext_noop(
                "%(field)s = %(value)s disagrees with the ID number %(id)s, which gives %(id_date)s."
            ),
            field=where + "birth_date",
            value=raw["birth_date"],
            id=card.number,
            id_date=card.birth_date.isoformat(),
        )
    sex = raw.get("sex", card.sex)
    _choice(sex, where + "sex", {"M", "F"})
    if sex != card.sex:
        raise _err(
            "sex_mismatch",
            gettext_noop("%(field)s = %(value)s disagrees with the ID number %(id)s (%(id_sex)s)."),
            field=where + "sex",
            value=sex,
            id=card.number,
            id_sex=card.sex,
        )
    grade = raw.get("disability_grade")
    if grade is not None and (isinstance(grade, bool) or grade not in (1, 2, 3, 4)):
        raise _type_error(where + "disability_grade", grade, "1, 2, 3, 4 or null")
    kind = raw.get("disability_kind")
    if kind is not None:
        _choice(kind, where + "disability_kind", KINDS)
    income = raw.get("income", {})
    assets = raw.get("assets", {})
    for name, block, keys in (("income", income, INCOME), ("assets", assets, ASSETS)):
        if not isinstance(block, dict):
            raise _type_error(where + name, block, "an object")
        _unknown(set(block), set(keys), f"{where}{name}.")
    row = {
        "household_id": household_id,
        "county": county,
        "person_id": card.number,
        "relation": _choice(raw.get("relation", "other"), where + "relation", RELATIONS),
        "birth_date": birth,
        "sex": sex,
        "status": _choice(raw.get("status", "normal"), where + "status", STATUSES),
        "disability_grade": grade or 0,
        "disability_kind": kind or "",
        "serious_illness": _bool(raw.get("serious_illness", False), where + "serious_illness"),
        "employed": _bool(raw.get("employed", False), where + "employed"),
        "employment_start": _date(raw.get("employment_start"), where + "employment_start", True),
        "vehicles": _count(raw.get("vehicles", 0), where + "vehicles"),
        "commercial_property": _count(
            raw.get("commercial_property", 0), where + "commercial_property"
        ),
        "homes": _count(raw.get("homes", 0), where + "homes"),
        "medical_oop_12m": _money(raw.get("medical_oop_12m", 0), where + "medical_oop_12m"),
        "education_12m": _money(raw.get("education_12m", 0), where + "education_12m"),
        "supporter_capable": _bool(raw.get("supporter_capable", True), where + "supporter_capable"),
        "capability_grade": _capability(raw.get("capability_grade", 0), where + "capability_grade"),
        "father_status": _choice(
            raw.get("father_status", "alive"), where + "father_status", PARENT_STATUSES
        ),
        "mother_status": _choice(
            raw.get("mother_status", "alive"), where + "mother_status", PARENT_STATUSES
        ),
        "placement": _choice(
            raw.get("placement", "family"), where + "placement", {"family", "institution"}
        ),
        "student": _bool(raw.get("student", False), where + "student"),
    }
    for key in INCOME:
        row[key] = _money(income.get(key, 0), f"{where}income.{key}")
    for key in ASSETS:
        row[key] = _money(assets.get(key, 0), f"{where}assets.{key}")
    return row


def parse_household(data: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(household row, member rows) in the engine's input columns."""
    if not isinstance(data, dict):
        raise _type_error("(file)", data, "a JSON object")
    _unknown(set(data), HOUSEHOLD_KEYS, "")
    household_id = data.get("household_id")
    if not isinstance(household_id, str) or not household_id:
        raise _type_error("household_id", household_id, "a non-empty string")
    county = data.get("county")
    if not isinstance(county, str) or county not in counties():
        raise _err(
            "unknown_county",
            gettext_noop("county = %(value)s is not a county code of the province."),
            value=json.dumps(county, ensure_ascii=False),
        )
    enrolled = data.get("enrolled", {})
    if not isinstance(enrolled, dict):
        raise _type_error("enrolled", enrolled, 'an object such as {"dibao": true}')
    _unknown(set(enrolled), {"dibao"}, "enrolled.")
    members = data.get("members")
    if not isinstance(members, list):
        raise _type_error("members", members, "a list of members")
    rows = [_member(m, i, household_id, county) for i, m in enumerate(members)]
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row["person_id"] in seen:
            raise _err(
                "duplicate_member",
                gettext_noop("members[%(i)s].id repeats members[%(j)s].id (%(id)s)."),
                i=i,
                j=seen[row["person_id"]],
                id=row["person_id"],
            )
        seen[row["person_id"]] = i
    household = {
        "household_id": household_id,
        "county": county,
        "enrolled_dibao": _bool(enrolled.get("dibao", False), "enrolled.dibao"),
        "emergency_loss": _money(data.get("emergency_loss", 0), "emergency_loss"),
    }
    return household, rows


def load_household_file(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read and validate a household file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _err(
            "bad_json",
            gettext_noop("%(file)s is not valid JSON: %(problem)s"),
            file=str(path),
            problem=str(exc),
        ) from None
    return parse_household(data)


def to_arrow(household: dict[str, Any], members: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table]:
    """(persons, households) Arrow tables with the engine's input schemas."""
    persons = pa.Table.from_pylist(members, schema=schema(PERSON))
    households = pa.Table.from_pylist([household], schema=schema(HOUSEHOLD))
    return persons, households
