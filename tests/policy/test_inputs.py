"""Bad input: each a clear error naming the field or value."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from minzheng.lib.idcard import make
from minzheng.policy.errors import HouseholdFileError, ParameterError
from minzheng.policy.household import load_household_file, parse_household
from minzheng.policy.parameters import load_parameters, parse_parameter
from minzheng.policy.reforms import Reform, load_reform, parse_assignments

HEAD = make("330102", dt.date(1970, 5, 6), 11)
GOOD = {
    "household_id": "H1",
    "county": "330102",
    "enrolled": {"dibao": False},
    "members": [
        {"id": HEAD, "relation": "head", "birth_date": "1970-05-06", "income": {"wage": "1200.50"}}
    ],
}


def _with(path: str, value):
    data = copy.deepcopy(GOOD)
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    target[keys[-1]] = value
    return data


def test_a_good_file_parses_with_defaults():
    household, members = parse_household(GOOD)
    assert household == {
        "household_id": "H1",
        "county": "330102",
        "enrolled_dibao": False,
        "emergency_loss": 0,
    }
    member = members[0]
    assert member["sex"] == "M" and member["status"] == "normal" and member["vehicles"] == 0
    assert str(member["wage"]) == "1200.50" and member["employment_start"] is None
    assert member["supporter_capable"] is True and member["capability_grade"] == 0
    assert (member["father_status"], member["placement"], member["student"]) == (
        "alive",
        "family",
        False,
    )


@pytest.mark.parametrize(
    ("path", "value", "code", "named"),
    [
        ("county", "339999", "unknown_county", "339999"),
        ("county", "330100", "unknown_county", "330100"),
        ("members.0.income.wage", -5, "negative", "members[0].income.wage"),
        ("members.0.income.wage", "12.345", "too_precise", "members[0].income.wage"),
        ("members.0.income.wage", "lots", "wrong_type", "members[0].income.wage"),
        ("members.0.income.bonus", 5, "unknown_field", "members[0].income.bonus"),
        ("members.0.nickname", "x", "unknown_field", "members[0].nickname"),
        ("members.0.birth_date", "1970-05-07", "birth_mismatch", "1970-05-06"),
        ("members.0.birth_date", "06/05/1970", "wrong_type", "members[0].birth_date"),
        ("members.0.sex", "F", "sex_mismatch", "members[0].sex"),
        (
            "members.0.id",
            HEAD[:17] + "0" if HEAD[17] != "0" else HEAD[:17] + "1",
            "bad_id",
            "members[0].id",
        ),
        ("members.0.relation", "cousin", "not_allowed", "cousin"),
        ("members.0.status", "abroad", "not_allowed", "abroad"),
        ("members.0.disability_grade", 5, "wrong_type", "members[0].disability_grade"),
        ("members.0.disability_kind", "other", "not_allowed", "members[0].disability_kind"),
        ("members.0.vehicles", -1, "wrong_type", "members[0].vehicles"),
        ("members.0.employed", "yes", "wrong_type", "members[0].employed"),
        ("members.0.employment_start", "soon", "wrong_type", "members[0].employment_start"),
        ("enrolled.tekun", True, "unknown_field", "enrolled.tekun"),
        ("members", {}, "wrong_type", "members"),
        ("household_id", "", "wrong_type", "household_id"),
        ("members.0.capability_grade", 5, "wrong_type", "members[0].capability_grade"),
        ("members.0.father_status", "abroad", "not_allowed", "members[0].father_status"),
        ("members.0.placement", "street", "not_allowed", "members[0].placement"),
        ("members.0.supporter_capable", "no", "wrong_type", "members[0].supporter_capable"),
        ("emergency_loss", -1, "negative", "emergency_loss"),
    ],
)
def test_each_bad_field_is_named(path, value, code, named):
    with pytest.raises(HouseholdFileError) as info:
        parse_household(_with(path, value))
    assert info.value.code == code
    assert named in str(info.value)


def test_a_member_missing_a_required_field_is_named():
    data = copy.deepcopy(GOOD)
    del data["members"][0]["birth_date"]
    with pytest.raises(HouseholdFileError, match=r"members\[0\].birth_date is required"):
        parse_household(data)


def test_a_repeated_member_is_refused():
    data = copy.deepcopy(GOOD)
    data["members"].append(copy.deepcopy(data["members"][0]))
    with pytest.raises(HouseholdFileError, match="repeats"):
        parse_household(data)


def test_malformed_json_names_the_file(tmp_path):
    path = tmp_path / "h.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(HouseholdFileError, match="h.json is not valid JSON"):
        load_household_file(path)


def test_errors_translate_to_chinese():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(HouseholdFileError) as info:
        parse_household(_with("county", "339999"))
    assert "339999" in info.value.translated() and "区县" in info.value.translated()


# --- parameters ------------------------------------------------------------------------------
def test_a_parameter_file_with_the_same_date_twice_is_refused(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "x.rate:\n  label: 比例\n  unit: share\n  type: share\n  reference: test\n"
        "  values:\n    2020-01-01: 0.1\n    2020-01-01: 0.2\n",
        encoding="utf-8",
    )
    with pytest.raises(ParameterError) as info:
        load_parameters.__wrapped__(tmp_path)
    assert info.value.code == "duplicate_key" and "2020-01-01" in str(info.value)


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"label": "a", "unit": "u", "type": "share", "reference": "r"}, "missing_key"),
        (
            {
                "label": "a",
                "unit": "u",
                "type": "float",
                "reference": "r",
                "values": {dt.date(2020, 1, 1): 1},
            },
            "bad_type",
        ),
        (
            {
                "label": "a",
                "unit": "u",
                "type": "int",
                "reference": "r",
                "values": {dt.date(2020, 1, 1): 1.5},
            },
            "bad_value",
        ),
        (
            {"label": "a", "unit": "u", "type": "int", "reference": "r", "values": {"soon": 1}},
            "bad_date",
        ),
        (
            {
                "label": "a",
                "unit": "u",
                "type": "int",
                "reference": "r",
                "values": {dt.date(2020, 1, 1): 1},
                "regions": {"3301": {dt.date(2020, 1, 1): 2}},
            },
            "bad_region",
        ),
    ],
)
def test_malformed_parameters_are_named(spec, code):
    with pytest.raises(ParameterError) as info:
        parse_parameter("x.p", spec)
    assert info.value.code == code and "x.p" in str(info.value)


def test_every_shipped_parameter_has_a_label_unit_and_reference():
    for name, param in load_parameters().parameters.items():
        assert param.label and param.unit and param.reference, name


def test_a_param_that_does_not_exist_is_named():
    with pytest.raises(ParameterError, match="dibao.nope"):
        parse_assignments(["dibao.nope=3"]).apply(load_parameters())


def test_a_malformed_assignment_is_named():
    with pytest.raises(ParameterError, match="standard"):
        parse_assignments(["standard"])


def test_a_value_of_the_wrong_type_is_named():
    with pytest.raises(ParameterError, match="max_homes"):
        Reform("r", {"dibao.max_homes": "many"}).apply(load_parameters())


def test_a_regional_override_replaces_only_that_subtree():
    params = Reform("r", {"dibao.standard_monthly@330100": 1500}).apply(load_parameters())
    standard = params["dibao.standard_monthly"]
    day = dt.date(2020, 12, 31)
    assert standard.resolve(day, "330102").value == 1500
    assert standard.resolve(day, "330203").value == 945  # 宁波 keeps its own


def test_a_reform_file_is_data(tmp_path: Path):
    path = tmp_path / "raise.yaml"
    path.write_text("name: 提标\nparameters:\n  dibao.standard_monthly: 1200\n", encoding="utf-8")
    reform = load_reform(path)
    assert reform.name == "提标"
    params = reform.apply(load_parameters())
    assert params["dibao.standard_monthly"].resolve(dt.date(2020, 12, 31), "330102").value == 1200
