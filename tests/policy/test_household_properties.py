"""Properties of the household-file parser, over generated inputs.

1. Whatever JSON-like value it is given, `parse_household` returns or raises
   HouseholdFileError (a clear 400), never anything else (a 500); what it returns converts
   to Arrow, and its messages are short and can be encoded.
2. A valid household, built within the bounds of `inputs.INPUTS`, parses to exactly the
   values it was given.

Derandomised and bounded, so CI runs the same examples every time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.lib.idcard import make
from minzheng.policy import household as hf
from minzheng.policy.errors import HouseholdFileError
from minzheng.policy.household import parse_household, to_arrow
from minzheng.policy.inputs import INPUTS

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TODAY = dt.date.today()
HEAD = make("330102", dt.date(1970, 5, 6), 11)
KEYS = sorted(
    hf.HOUSEHOLD_KEYS | hf.MEMBER_KEYS | set(hf.INCOME) | set(hf.ASSETS) | {"dibao", "sex"}
)
NASTY = [
    "²",
    "³",
    "３",
    "１２００",
    "١٢",
    "NaN",
    "-Infinity",
    "1e999999",
    "1" + "0" * 30,
    "9" * 5000,
    "-0",
    " 12.5 ",
    "\ud800",
    "",
    HEAD,
    "".join(chr(ord(c) + 0xFEE0) for c in HEAD),
    "1970-05-06",
    "330102",
    "H3301020000001",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([30, 400, 5000]).map(lambda n: 10**n)  # (a lambda: repr() of 10**5000 fails)
    | st.sampled_from([-(10**30), 2**63, 100, 99, -1])
    | st.floats()  # includes nan, ±inf and 1e308
    | st.decimals()
    | st.text(max_size=30)
    | st.text(st.characters(categories=["Nd", "No"]), max_size=5)  # digits of every script
    | st.sampled_from(NASTY)
)
keys = st.sampled_from(KEYS) | st.text(max_size=10) | st.integers()
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


def _mostly(valid: st.SearchStrategy) -> st.SearchStrategy:
    """A valid value most of the time, otherwise anything: so that the parser goes deep."""
    return st.one_of(valid, valid, valid, json_values)


@st.composite
def nearly_valid_households(draw) -> dict:
    """A household whose fields are each valid or arbitrary, with stray keys now and then."""
    members = []
    for _ in range(draw(st.integers(0, 3))):
        member = draw(
            st.fixed_dictionaries(
                {"id": _mostly(st.just(HEAD)), "birth_date": _mostly(st.just("1970-05-06"))},
                optional={
                    "income": _mostly(
                        st.dictionaries(st.sampled_from(hf.INCOME), json_values, max_size=3)
                    ),
                    "assets": _mostly(st.fixed_dictionaries({}, optional={"deposits": scalars})),
                    **{k: scalars for k in ("homes", "vehicles", "disability_grade", "sex")},
                    **{k: scalars for k in ("capability_grade", "employment_start", "relation")},
                    **{k: scalars for k in ("medical_oop_12m", "student", "status")},
                },
            )
        )
        member.update(draw(st.dictionaries(keys, json_values, max_size=1)))
        members.append(member)
    data = draw(
        st.fixed_dictionaries(
            {
                "household_id": _mostly(st.just("H1")),
                "county": _mostly(st.just("330102")),
                "members": _mostly(st.just(members)),
            },
            optional={"enrolled": json_values, "emergency_loss": scalars},
        )
    )
    data.update(draw(st.dictionaries(keys, json_values, max_size=1)))
    return data


@SETTINGS
@given(data=json_values | nearly_valid_households())
def test_any_value_parses_or_is_a_household_file_error(data):
    try:
        household, members = parse_household(data)
    except HouseholdFileError as error:
        assert len(str(error)) < 400
        with translation.override("zh-hans"):
            error.translated().encode("utf-8")
    else:
        to_arrow(household, members)  # what parses also fits the engine's input types


# --- valid households round-trip ---------------------------------------------------------------
def _within(name: str) -> tuple:
    return INPUTS[name].bounds  # type: ignore[return-value]


def amounts(name: str) -> st.SearchStrategy:
    """(as written in the file, the value it means): a decimal string, an int or a float."""
    low, high = _within(name)
    value = st.decimals(min_value=low, max_value=high, places=2)
    return value.flatmap(
        lambda d: st.sampled_from(
            [(str(d), d), (float(d), d)] + ([(int(d), d)] if d == int(d) else [])
        )
    )


def whole(name: str) -> st.SearchStrategy:
    low, high = _within(name)
    return st.integers(low, high)


@st.composite
def valid_members(draw, index: int) -> tuple[dict, dict]:
    """(member as written, expected row values)."""
    low, _high = _within("birth_date")
    birth = draw(st.dates(low, TODAY))
    number = make("330102", birth, index * 2 + draw(st.integers(0, 1)))
    written = {"id": number, "birth_date": birth.isoformat()}
    expected = {"person_id": number, "birth_date": birth}
    for block, names in (("income", hf.INCOME), ("assets", hf.ASSETS), (None, hf.EXPENSES)):
        for name in draw(st.sets(st.sampled_from(names))):
            raw, value = draw(amounts(name))
            (written.setdefault(block, {}) if block else written)[name] = raw
            expected[name] = value
    for name in draw(st.sets(st.sampled_from(hf.INTEGERS))):
        written[name] = expected[name] = draw(whole(name))
    if draw(st.booleans()):
        written["disability_grade"] = expected["disability_grade"] = draw(st.integers(1, 4))
        written["disability_kind"] = expected["disability_kind"] = draw(
            st.sampled_from(sorted(hf.KINDS))
        )
    if draw(st.booleans()):
        start = draw(st.dates(*_within("employment_start")))
        written["employment_start"], expected["employment_start"] = start.isoformat(), start
    choices = {"relation": hf.RELATIONS, "status": hf.STATUSES, "father_status": hf.PARENT_STATUSES}
    for name, allowed in choices.items():
        if draw(st.booleans()):
            written[name] = expected[name] = draw(st.sampled_from(sorted(allowed)))
    for name in ("serious_illness", "employed", "supporter_capable", "student"):
        if draw(st.booleans()):
            written[name] = expected[name] = draw(st.booleans())
    return written, expected


@st.composite
def valid_households(draw) -> tuple[dict, dict, list[dict]]:
    pairs = [draw(valid_members(i)) for i in range(draw(st.integers(1, 4)))]
    hukou = draw(st.from_regex(r"H330102[0-9]{7}", fullmatch=True))
    wide = draw(st.booleans())  # written in full-width characters: the same household
    written = {
        "household_id": "".join(chr(ord(c) + 0xFEE0) for c in hukou) if wide else hukou,
        "county": "330102",
        "enrolled": {"dibao": draw(st.booleans())},
        "members": [w for w, _ in pairs],
    }
    raw, loss = draw(amounts("emergency_loss"))
    written["emergency_loss"] = raw
    expected = {
        "household_id": hukou,
        "county": "330102",
        "enrolled_dibao": written["enrolled"]["dibao"],
        "emergency_loss": loss,
    }
    return written, expected, [e for _, e in pairs]


@SETTINGS
@given(case=valid_households())
def test_a_valid_household_parses_to_the_values_it_was_given(case):
    written, expected_household, expected_members = case
    household, members = parse_household(written)
    assert household == expected_household
    assert len(members) == len(expected_members)
    for row, expected in zip(members, expected_members, strict=True):
        assert {k: row[k] for k in expected} == expected
        for name in hf.INCOME + hf.ASSETS + hf.EXPENSES:
            assert isinstance(row[name], Decimal)
            if name not in expected:
                assert row[name] == INPUTS[name].default
    to_arrow(household, members)
