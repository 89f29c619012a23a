"""Bad input: each a clear error naming the field or value."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from minzheng.lib.i18n import Msg, TranslatableError
from minzheng.lib.idcard import make
from minzheng.policy import household
from minzheng.policy.errors import HouseholdFileError, ParameterError
from minzheng.policy.household import load_household_file, parse_household
from minzheng.policy.inputs import INPUTS
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
        ("members.0.income.wage", -5, "out_of_range", "members[0].income.wage"),
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
        ("members.0.disability_grade", 5, "out_of_range", "members[0].disability_grade"),
        ("members.0.disability_kind", "other", "not_allowed", "members[0].disability_kind"),
        ("members.0.vehicles", -1, "out_of_range", "members[0].vehicles"),
        ("members.0.employed", "yes", "wrong_type", "members[0].employed"),
        ("members.0.employment_start", "soon", "wrong_type", "members[0].employment_start"),
        ("enrolled.tekun", True, "unknown_field", "enrolled.tekun"),
        ("members", {}, "wrong_type", "members"),
        ("household_id", "", "wrong_type", "household_id"),
        ("members.0.capability_grade", 5, "out_of_range", "members[0].capability_grade"),
        ("members.0.father_status", "abroad", "not_allowed", "members[0].father_status"),
        ("members.0.placement", "street", "not_allowed", "members[0].placement"),
        ("members.0.supporter_capable", "no", "wrong_type", "members[0].supporter_capable"),
        ("emergency_loss", -1, "out_of_range", "emergency_loss"),
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


# --- bounds and types: no value, however malformed, escapes as anything but a field error ------
def _error(data) -> HouseholdFileError:
    with pytest.raises(HouseholdFileError) as info:
        parse_household(data)
    return info.value


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        pytest.param("members.0.income.wage", json.loads("1e400"), "wrong_type", id="1e400"),
        pytest.param("members.0.income.wage", 1e308, "out_of_range", id="1e308"),
        pytest.param("members.0.income.wage", 10**5000, "out_of_range", id="5000 digits"),
        pytest.param("members.0.income.wage", "9" * 5000, "out_of_range", id="5000 digits text"),
        pytest.param("members.0.income.pension", 10**30, "out_of_range", id="10^30"),
        pytest.param("members.0.income.pension", "1" + "0" * 30, "out_of_range", id="10^30 text"),
        pytest.param("members.0.income.wage", "100000000.01", "out_of_range", id="1e8 + 0.01"),
        pytest.param("emergency_loss", "1e999999", "wrong_type", id="1e999999 text"),
        pytest.param("emergency_loss", json.loads("1e999999"), "wrong_type", id="1e999999"),
        pytest.param("members.0.homes", 10**30, "out_of_range", id="homes 10^30"),
        pytest.param("members.0.homes", 100, "out_of_range", id="homes 100"),
        pytest.param("members.0.homes", "³", "wrong_type", id="homes ³"),
        pytest.param("members.0.vehicles", "３", "wrong_type", id="vehicles full-width 3"),
        pytest.param("members.0.income.wage", "²", "wrong_type", id="wage ²"),
        pytest.param("members.0.income.wage", "３", "wrong_type", id="wage full-width 3"),
        pytest.param("members.0.income.wage", "١٢", "wrong_type", id="wage Arabic-Indic 12"),
        pytest.param("members.0.income.wage", "1_000", "wrong_type", id="wage 1_000"),
        pytest.param("members.0.income.wage", float("nan"), "wrong_type", id="nan"),
        pytest.param("members.0.income.wage", float("inf"), "wrong_type", id="inf"),
        pytest.param("members.0.income.wage", "NaN", "wrong_type", id="NaN text"),
        pytest.param("members.0.income.wage", "Infinity", "wrong_type", id="Infinity text"),
        pytest.param("members.0.income.wage", True, "wrong_type", id="wage true"),
        pytest.param("members.0.homes", True, "wrong_type", id="homes true"),
        pytest.param("members.0.homes", 1.0, "wrong_type", id="homes 1.0"),
        pytest.param("members.0.disability_grade", True, "wrong_type", id="grade true"),
        pytest.param("members.0.disability_grade", 2.0, "wrong_type", id="grade 2.0"),
        pytest.param("members.0.capability_grade", False, "wrong_type", id="capability false"),
        pytest.param("members.0.employment_start", "2101-01-01", "out_of_range", id="2101"),
        pytest.param("members.0.employment_start", "20200101", "wrong_type", id="compact date"),
        pytest.param("members.0.relation", ["head"], "not_allowed", id="relation a list"),
        pytest.param("members.0.sex", {"M": 1}, "not_allowed", id="sex an object"),
        pytest.param("household_id", "H\ud8001", "wrong_type", id="lone surrogate"),
        pytest.param("household_id", "\u3000", "wrong_type", id="only a wide space"),
    ],
)
def test_out_of_range_and_malformed_values_are_field_errors(path, value, code):
    field = path.replace(".0.", "[0].").replace("members.0", "members[0]")
    error = _error(_with(path, value))
    assert error.code == code
    assert field in str(error)
    assert len(str(error)) < 250  # a huge value is shortened, never echoed whole


def test_bounds_and_values_are_named_in_the_message():
    error = _error(_with("members.0.homes", 10**5000))
    assert "0 to 99" in str(error)
    assert "≈10^5000" in str(error)


def test_a_birth_date_before_1900_is_out_of_range():
    data = _with("members.0.id", make("330102", dt.date(1899, 12, 31), 11))
    data["members"][0]["birth_date"] = "1899-12-31"
    assert _error(data).code == "out_of_range"


def test_values_at_the_bounds_are_accepted_exactly():
    data = _with("members.0.income.wage", "100000000.00")
    data["members"][0].update(
        homes=99,
        capability_grade=4,
        disability_grade=4,
        id=make("330102", dt.date(1900, 1, 1), 11),
        birth_date="1900-01-01",
        employment_start="2100-12-31",
        medical_oop_12m=0.1,
    )
    _household, (member,) = parse_household(data)
    assert str(member["wage"]) == "100000000.00"
    assert str(member["medical_oop_12m"]) == "0.1"  # no float round trip: 0.1, not 0.1000…0555
    assert (member["homes"], member["capability_grade"], member["disability_grade"]) == (99, 4, 4)
    assert member["employment_start"] == dt.date(2100, 12, 31)


@pytest.mark.parametrize("backend", ["memory", "duckdb"])
def test_a_member_at_every_upper_bound_is_explained(backend):
    """The bounds are sane: the engine computes with the largest values a file may give."""
    from minzheng.policy.engine import Engine
    from minzheng.policy.explain import Explainer

    top = {name: spec.bounds[1] for name, spec in INPUTS.items() if spec.bounds}
    member = {
        "id": make("330102", top["birth_date"].replace(year=1900), 11),
        "birth_date": "1900-12-31",
        "employed": True,
        "employment_start": str(top["employment_start"]),
        "income": {k: str(top[k]) for k in household.INCOME},
        "assets": {k: str(top[k]) for k in household.ASSETS},
        **{k: top[k] for k in household.INTEGERS + household.EXPENSES},
        "disability_grade": top["disability_grade"],
    }
    data = {**GOOD, "emergency_loss": str(top["emergency_loss"]), "members": [member]}
    explanation = Explainer(Engine(), backend=backend).explain(
        *parse_household(data), dt.date(2020, 12, 31)
    )
    assert explanation["results"]["dibao"]["status"] == "ineligible"


def test_every_number_and_date_input_declares_its_bounds():
    for name, spec in INPUTS.items():
        if spec.kind in ("money", "int", "date"):
            assert spec.bounds is not None, name
            assert spec.default is None or spec.bounds[0] <= spec.default <= spec.bounds[1], name


def test_a_member_with_keys_of_mixed_types_is_refused_naming_one():
    data = copy.deepcopy(GOOD)
    data["members"][0][1] = "x"
    data["members"][0]["nickname"] = "y"
    error = _error(data)
    assert error.code == "unknown_field"
    assert "members[0]." in str(error)


def test_a_deeply_nested_value_is_a_field_error():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert _error(deep).code == "wrong_type"
    assert _error({**GOOD, "members": [deep]}).code == "wrong_type"
    assert _error(_with("members.0.income.wage", deep)).code == "wrong_type"


# --- full-width codes (NFKC) -------------------------------------------------------------------
def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_a_full_width_hukou_number_is_the_ascii_one():
    household, members = parse_household(_with("household_id", f" {_full_width('H3301020000001')}"))
    assert household["household_id"] == "H3301020000001"
    assert members[0]["household_id"] == "H3301020000001"


def test_a_full_width_id_number_is_the_ascii_one_and_a_repeat_of_it():
    household, members = parse_household(_with("members.0.id", f"{_full_width(HEAD)}\u3000"))
    assert members[0]["person_id"] == HEAD
    data = copy.deepcopy(GOOD)
    data["members"].append({**data["members"][0], "id": _full_width(HEAD)})
    assert _error(data).code == "duplicate_member"


# --- every message reads as Chinese ------------------------------------------------------------
# Tokens of the file format itself, kept as they are written in a file.
FORMAT_TOKENS = {"true", "false", "null", "JSON", "UTF", "YYYY", "json", "jsonl"}


def _leaves(params: dict) -> list[str]:
    """The parameters shown as they are (field names, values, codes), not translated phrases."""
    out = []
    for value in params.values():
        if isinstance(value, Msg | TranslatableError):
            out += _leaves(value.params)
        else:
            out.append(str(value))
    return out


def _bad_files(tmp_path: Path) -> list[HouseholdFileError]:
    """One error of every code and every expectation of the parser."""
    cases = [
        [1, 2],
        {**GOOD, "extra": 1},
        {**GOOD, "household_id": 7},
        {**GOOD, "county": "339999"},
        {**GOOD, "enrolled": []},
        {**GOOD, "members": {}},
        {**GOOD, "members": [[]]},
        {**GOOD, "members": [{"id": HEAD}]},
        _with("members.0.id", 330102),
        _with("members.0.id", HEAD[:17]),
        _with("members.0.birth_date", 19700506),
        _with("members.0.birth_date", "1970-05-07"),
        _with("members.0.sex", "F"),
        _with("members.0.sex", "X"),
        _with("members.0.income", 5),
        _with("members.0.income.wage", "lots"),
        _with("members.0.income.wage", "12.345"),
        _with("members.0.income.wage", 10**30),
        _with("members.0.homes", "2"),
        _with("members.0.disability_grade", "2"),
        _with("members.0.employed", "yes"),
        _with("members.0.employment_start", 2020),
    ]
    errors = []
    for data in cases:
        with pytest.raises(HouseholdFileError) as info:
            parse_household(data)
        errors.append(info.value)
    repeated = copy.deepcopy(GOOD)
    repeated["members"].append(copy.deepcopy(repeated["members"][0]))
    with pytest.raises(HouseholdFileError) as info:
        parse_household(repeated)
    errors.append(info.value)
    for name, content in (("a.json", b"{not json"), ("b.json", b"\xff\xfe")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(HouseholdFileError) as info:
            load_household_file(tmp_path / name)
        errors.append(info.value)
    empty_folder, empty_lines = tmp_path / "empty", tmp_path / "empty.jsonl"
    empty_folder.mkdir()
    empty_lines.write_bytes(b"\n")
    for path in (empty_folder, empty_lines):
        with pytest.raises(HouseholdFileError) as info:
            list(household.read_households(path))
        errors.append(info.value)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("call the county", encoding="utf-8")
    errors += [read for _file, _line, read in household.read_households(folder)]
    return errors


def test_every_error_of_the_parser_reads_as_chinese(tmp_path):
    from django.utils import translation

    errors = _bad_files(tmp_path)
    with translation.override("zh-hans"):
        for error in errors:
            text = error.translated()
            for leaf in sorted(_leaves(error.params), key=len, reverse=True):
                text = text.replace(leaf, " ")
            words = set(re.findall(r"[A-Za-z]{3,}", text)) - FORMAT_TOKENS
            assert words == set(), f"{error.code}: {error.translated()}"
    source = Path(household.__file__).read_text(encoding="utf-8")
    assert {e.code for e in errors} >= set(re.findall(r'_err\(\s*"(\w+)"', source))
    phrases = {id(v) for e in errors for v in e.params.values() if isinstance(v, Msg)}
    declared = {
        n for n, v in vars(household).items() if isinstance(v, Msg) and id(v) not in phrases
    }
    assert declared == set(), "a phrase no error of this test shows"


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
