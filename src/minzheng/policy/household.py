"""The household file (v1): one household as JSON, validated field by field.

Every error names the field (`members[1].income.wage`) and the value. Missing optional
fields take the defaults of `inputs.INPUTS`; unknown fields are errors.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.lib import divisions, idcard
from minzheng.lib.i18n import Msg, gettext_noop, shorten, shown
from minzheng.policy.errors import HouseholdFileError
from minzheng.policy.inputs import INPUTS, schema
from minzheng.policy.rules import HOUSEHOLD, PERSON

if TYPE_CHECKING:  # Arrow only for `to_arrow`, imported there
    import pyarrow as pa

RELATIONS = {"head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"}
STATUSES = {"normal", "prison", "drug_rehab", "clergy_away", "missing"}
KINDS = {"physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple"}
INCOME = ("wage", "business", "property", "pension", "transfer", "other", "exempt")
ASSETS = ("deposits", "securities")
INTEGERS = ("vehicles", "commercial_property", "homes", "capability_grade")
EXPENSES = ("medical_oop_12m", "education_12m")
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
    return frozenset(divisions.codes("county"))


def _err(code: str, template: str, **params: Any) -> HouseholdFileError:
    return HouseholdFileError(code, template, **params)


# What a field expects: phrases of their own, so that a message translates whole.
AMOUNT = Msg(gettext_noop('an amount in yuan (a number, or a decimal string such as "1200.50")'))
WHOLE = Msg(gettext_noop("a whole number"))
WHOLE_OR_NULL = Msg(gettext_noop("a whole number or null"))
BOOLEAN = Msg(gettext_noop("true or false"))
DATE = Msg(gettext_noop("a date YYYY-MM-DD"))
DATE_OR_NULL = Msg(gettext_noop("a date YYYY-MM-DD or null"))
OBJECT = Msg(gettext_noop("an object"))
TEXT = Msg(gettext_noop("a non-empty line of text"))
MEMBER_LIST = Msg(gettext_noop("a list of members"))
ID_NUMBER = Msg(gettext_noop("an 18-character ID number"))
ENROLLED = Msg(gettext_noop("an object such as %(example)s"), example='{"dibao": true}')
THE_FILE = Msg(gettext_noop("(the file)"))
# ASCII digits only: Decimal() would also take "３", "١٢", "1_000", "NaN" and "1e999999".
DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _type_error(field: str | Msg, value: Any, expected: Msg) -> HouseholdFileError:
    return _err(
        "wrong_type",
        gettext_noop("%(field)s = %(value)s: expected %(expected)s."),
        field=field,
        value=shown(value),
        expected=expected,
    )


def _unknown(keys: set[Any], allowed: set[str], where: str) -> None:
    extra = [shorten(k) if isinstance(k, str) else shown(k) for k in keys - allowed]
    if extra:
        raise _err(
            "unknown_field",
            gettext_noop("%(field)s is not a field of the household file (v1)."),
            field=f"{where}{min(extra)}",
        )


def _bounded(value: Any, shown_as: Any, field: str, name: str) -> Any:
    """`value` if it lies within the bounds that `inputs.INPUTS[name]` declares."""
    low, high = INPUTS[name].bounds  # type: ignore[misc]
    if isinstance(value, int) and isinstance(low, Decimal):
        # A whole amount: compare as integers (an int of 5000 digits converts slowly).
        low, high = math.ceil(low), math.floor(high)
    if not low <= value <= high:
        raise _err(
            "out_of_range",
            gettext_noop("%(field)s = %(value)s: outside the allowed range, %(low)s to %(high)s."),
            field=field,
            value=shown(shown_as),
            low=str(low),
            high=str(high),
        )
    return value


def _money(value: Any, field: str, name: str) -> Decimal:
    if isinstance(value, str) and DECIMAL_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(_bounded(value, value, field, name))
    elif isinstance(value, float) and math.isfinite(value):
        amount = Decimal(repr(value))  # the shortest repr: what the JSON file said
    elif isinstance(value, Decimal) and value.is_finite():
        amount = value
    else:
        raise _type_error(field, value, AMOUNT)
    _bounded(amount, value, field, name)
    if amount != amount.quantize(Decimal("0.01")):
        raise _err(
            "too_precise",
            gettext_noop("%(field)s = %(value)s: amounts have at most two decimals (fen)."),
            field=field,
            value=shown(value),
        )
    return amount


def _int(value: Any, field: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(field, value, WHOLE)
    return _bounded(value, value, field, name)


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _type_error(field, value, BOOLEAN)
    return value


def _date(value: Any, field: str, name: str, nullable: bool = False) -> dt.date | None:
    if value is None and nullable:
        return None
    expected = DATE_OR_NULL if nullable else DATE
    if not isinstance(value, str) or not DATE_TEXT.fullmatch(value.strip()):
        raise _type_error(field, value, expected)
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise _type_error(field, value, expected) from None
    return _bounded(day, value, field, name)


def _choice(value: Any, field: str, allowed: set[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _err(
            "not_allowed",
            gettext_noop("%(field)s = %(value)s: must be one of %(allowed)s."),
            field=field,
            value=shown(value),
            allowed=", ".join(sorted(allowed)),
        )
    return value


def _nfkc(value: Any) -> Any:
    """Full-width characters read as ASCII (NFKC: Ｈ３３ is H33), trimmed; non-text unchanged."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def _text(value: Any, field: str) -> str:
    value = _nfkc(value)
    # Printable: a lone surrogate or a control character would fail later, in Arrow.
    if not isinstance(value, str) or not value or not value.isprintable():
        raise _type_error(field, value, TEXT)
    return value


def _member(raw: Any, i: int, household_id: str, county: str) -> dict[str, Any]:
    where = f"members[{i}]."
    if not isinstance(raw, dict):
        raise _type_error(f"members[{i}]", raw, OBJECT)
    _unknown(set(raw), MEMBER_KEYS, where)
    for key in ("id", "birth_date"):
        if key not in raw:
            raise _err("missing", gettext_noop("%(field)s is required."), field=where + key)
    if not isinstance(raw["id"], str):
        raise _type_error(where + "id", raw["id"], ID_NUMBER)
    try:
        card = idcard.parse(raw["id"])
    except idcard.IdCardError as exc:
        raise _err(
            "bad_id", gettext_noop("%(field)s: %(problem)s"), field=where + "id", problem=exc
        ) from None
    birth = _date(raw["birth_date"], where + "birth_date", "birth_date")
    if birth != card.birth_date:
        raise _err(
            "birth_mismatch",
            gettext_noop(
                "%(field)s = %(value)s disagrees with the ID number %(id)s, which gives %(id_date)s."
            ),
            field=where + "birth_date",
            value=shown(raw["birth_date"]),
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
            value=shown(sex),
            id=card.number,
            id_sex=card.sex,
        )
    grade = raw.get("disability_grade")
    if grade is not None:
        if isinstance(grade, bool) or not isinstance(grade, int):
            raise _type_error(where + "disability_grade", grade, WHOLE_OR_NULL)
        _bounded(grade, grade, where + "disability_grade", "disability_grade")
    kind = raw.get("disability_kind")
    if kind is not None:
        _choice(kind, where + "disability_kind", KINDS)
    income = raw.get("income", {})
    assets = raw.get("assets", {})
    for name, block, keys in (("income", income, INCOME), ("assets", assets, ASSETS)):
        if not isinstance(block, dict):
            raise _type_error(where + name, block, OBJECT)
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
        "employment_start": _date(
            raw.get("employment_start"), where + "employment_start", "employment_start", True
        ),
        "supporter_capable": _bool(raw.get("supporter_capable", True), where + "supporter_capable"),
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
    for key in INTEGERS:
        row[key] = _int(raw.get(key, 0), where + key, key)
    for key in EXPENSES:
        row[key] = _money(raw.get(key, 0), where + key, key)
    for key in INCOME:
        row[key] = _money(income.get(key, 0), f"{where}income.{key}", key)
    for key in ASSETS:
        row[key] = _money(assets.get(key, 0), f"{where}assets.{key}", key)
    return row


def parse_household(data: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(household row, member rows) in the engine's input columns."""
    if not isinstance(data, dict):
        raise _type_error(THE_FILE, data, OBJECT)
    _unknown(set(data), HOUSEHOLD_KEYS, "")
    household_id = _text(data.get("household_id"), "household_id")
    county = _nfkc(data.get("county"))
    if not isinstance(county, str) or county not in counties():
        raise _err(
            "unknown_county",
            gettext_noop("%(field)s = %(value)s is not a county code of the province."),
            field="county",
            value=shown(county),
        )
    enrolled = data.get("enrolled", {})
    if not isinstance(enrolled, dict):
        raise _type_error("enrolled", enrolled, ENROLLED)
    _unknown(set(enrolled), {"dibao"}, "enrolled.")
    members = data.get("members")
    if not isinstance(members, list):
        raise _type_error("members", members, MEMBER_LIST)
    rows = [_member(m, i, household_id, county) for i, m in enumerate(members)]
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row["person_id"] in seen:
            raise _err(
                "duplicate_member",
                gettext_noop("%(field)s repeats %(other)s (%(id)s)."),
                field=f"members[{i}].id",
                other=f"members[{seen[row['person_id']]}].id",
                id=row["person_id"],
            )
        seen[row["person_id"]] = i
    household = {
        "household_id": household_id,
        "county": county,
        "enrolled_dibao": _bool(enrolled.get("dibao", False), "enrolled.dibao"),
        "emergency_loss": _money(data.get("emergency_loss", 0), "emergency_loss", "emergency_loss"),
    }
    return household, rows


def load_household_file(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read and validate a household file."""
    return read_household(Path(path).read_bytes(), str(path))


def read_household(
    content: bytes, name: str, line: int = 1
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Decode and validate a household file's bytes (`name` says which file in messages,
    `line` where the content starts in it: a line of a JSON Lines file)."""
    try:
        data = json.loads(content.decode("utf-8"))
    except json.JSONDecodeError as exc:
        # exc.msg is English from the json module: the position is what helps.
        raise _err(
            "bad_json",
            gettext_noop("%(file)s is not valid JSON (line %(line)s, column %(column)s)."),
            file=name,
            line=exc.lineno + line - 1,
            column=exc.colno,
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError):  # not UTF-8; numbers too long; deep
        raise _err(
            "bad_json",
            gettext_noop("%(file)s is not a JSON file in UTF-8 that can be read."),
            file=name,
        ) from None
    return parse_household(data)


JSON_LINES = (".jsonl", ".ndjson")
Parsed = tuple[dict[str, Any], list[dict[str, Any]]]


def is_batch(path: Path) -> bool:
    """Whether `path` holds many households: a folder, or a JSON Lines file."""
    return path.is_dir() or path.suffix.lower() in JSON_LINES


Read = tuple[str, int | None, Parsed | HouseholdFileError]  # file, line, what it holds


def read_households(path: Path) -> Iterator[Read]:
    """(file, line, household and members or the error) for every household of a JSON Lines
    file (one household file v1 per line; blank lines skipped) or of a folder (each `*.json`
    one household, each `*.jsonl` one per line, in name order; another file or an empty
    `*.jsonl` is an error of its own; hidden files and sub-folders are skipped). The line is
    None for a whole file. Raises when the file or folder holds nothing to read."""
    if not path.is_dir():
        yield from _read_lines(path, in_folder=False)
        return
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise _err(
            "no_households",
            gettext_noop("The folder %(folder)s holds no household file (*.json, *.jsonl)."),
            folder=str(path),
        )
    for file in files:
        suffix = file.suffix.lower()
        if suffix in JSON_LINES:
            yield from _read_lines(file, in_folder=True)
        elif suffix == ".json":
            yield str(file), None, _attempt(load_household_file, file)
        else:
            yield (
                str(file),
                None,
                _err(
                    "not_a_household_file",
                    gettext_noop(
                        "%(file)s is not a household file: expected *.json (one household) "
                        "or *.jsonl (one household per line)."
                    ),
                    file=str(file),
                ),
            )


def _attempt(read: Callable[..., Parsed], *args: Any) -> Parsed | HouseholdFileError:
    try:
        return read(*args)
    except HouseholdFileError as exc:
        return exc


def _read_lines(path: Path, in_folder: bool) -> Iterator[Read]:
    """The households of a JSON Lines file, line by line (the file is not read whole)."""
    found = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                found += 1
                # without its line break, a line that ends too early is an error on that line
                content = line.rstrip(b"\r\n")
                yield str(path), number, _attempt(read_household, content, str(path), number)
    if not found:
        empty = _err(
            "no_households",
            gettext_noop("%(file)s holds no household (an empty JSON Lines file)."),
            file=str(path),
        )
        if not in_folder:
            raise empty
        yield str(path), None, empty


def from_trace(inputs: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(household row, member rows) from the `inputs` of an explanation's trace (JSON: dates
    and amounts as text), typed again as the engine reads them."""
    kinds = {name: i.kind for name, i in INPUTS.items()}

    def typed(row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for key, value in row.items():
            if value is None or not isinstance(value, str):
                continue
            if kinds.get(key) == "date":
                out[key] = dt.date.fromisoformat(value)
            elif kinds.get(key) == "money":
                out[key] = Decimal(value)
        return out

    return typed(inputs["household"]), [typed(m) for m in inputs["members"]]


def to_arrow(household: dict[str, Any], members: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table]:
    """(persons, households) Arrow tables with the engine's input schemas."""
    import pyarrow as pa

    persons = pa.Table.from_pylist(members, schema=schema(PERSON))
    households = pa.Table.from_pylist([household], schema=schema(HOUSEHOLD))
    return persons, households
