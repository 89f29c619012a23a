"""Scenario files: checked on load with the file and the line; an override holds from its
effective date, replacing the regions' own values below it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.policy.engine import Engine
from minzheng.simulation.scenarios import ScenarioError, load_scenario

GOOD = """\
name: 低保标准每月1000元
date: 2021-01-01
parameters:
  dibao.standard_monthly: 1000
  elderly.allowance_80@330100: {value: 80, unit: yuan per month}
"""


@pytest.fixture(scope="module")
def engine():
    return Engine()


def _load(tmp_path, text, engine):
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path, load_scenario(path, engine.parameters, set(engine.rules))


def test_a_scenario_loads_and_holds_from_its_date(tmp_path, engine):
    _path, s = _load(tmp_path, GOOD, engine)
    assert s.name == "低保标准每月1000元" and s.date == dt.date(2021, 1, 1)
    assert s.parameters == {"dibao.standard_monthly", "elderly.allowance_80"}
    changed = s.apply(engine.parameters)
    standard = changed["dibao.standard_monthly"]
    # before the date: the file's values, 杭州's own 1,025 included
    assert standard.resolve(dt.date(2020, 12, 31), "330102").value == Decimal(1025)
    assert standard.resolve(dt.date(2020, 12, 31), "330302").value == Decimal(820)
    # from it: 1,000 everywhere — the cities' own values replaced, and the later dated
    # values of the file (917 from 2022-07-01) too
    for county in ("330102", "330302", "331102"):
        assert standard.resolve(dt.date(2021, 1, 1), county).value == Decimal(1000)
        assert standard.resolve(dt.date(2025, 12, 31), county).value == Decimal(1000)
    allowance = changed["elderly.allowance_80"]
    assert allowance.resolve(dt.date(2021, 6, 1), "330102").value == Decimal(80)
    assert allowance.resolve(dt.date(2021, 6, 1), "330302").value == Decimal(60)
    assert allowance.resolve(dt.date(2020, 6, 1), "330102").value == Decimal(60)
    # the parameter set it came from is unchanged
    assert engine.parameters["dibao.standard_monthly"].resolve(
        dt.date(2021, 1, 1), "330302"
    ).value == Decimal(820)


@pytest.mark.parametrize(
    ("old", "new", "code", "anchor"),
    [
        ("dibao.standard_monthly: 1000", "dibao.standard_monthy: 1000", "unknown_parameter", None),
        ("dibao.standard_monthly: 1000", "dibao.standard_monthly: lots", "wrong_type", None),
        ("unit: yuan per month", "unit: yuan per year", "wrong_unit", None),
        ("date: 2021-01-01", "date: 2019-01-01", "before_first_value", "dibao.standard"),
        ("date: 2021-01-01", "date: soon", "bad_date", "date: soon"),
        ("@330100", "@3301", "bad_region", "elderly"),
        (
            "  dibao.standard_monthly: 1000\n",
            "  dibao.standard_monthly: 1000\n  dibao.standard_monthly@330000: 900\n",
            "duplicate_override",
            "dibao.standard_monthly@330000",
        ),
        (
            "  dibao.standard_monthly: 1000\n",
            "  dibao.standard_monthly: 1000\n  dibao.standard_monthly: 900\n",
            "duplicate_override",
            "dibao.standard_monthly: 900",
        ),
        ("name: 低保标准每月1000元\n", "", "scenario_field_missing", "date:"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_file_and_line(
    tmp_path, engine, old, new, code, anchor
):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    line = text[: text.index(anchor or new)].count("\n") + 1 if (anchor or new) else 1
    if code == "scenario_field_missing":
        line = 1
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, text, engine)
    assert caught.value.code == code, caught.value
    assert f"scenario.yaml line {line}:" in str(caught.value)


def test_rules_are_replaced_by_a_named_formula_or_refused(tmp_path, engine):
    text = GOOD + "rules:\n  elderly_allowance: minzheng.policy.formula:literal\n"
    _path, s = _load(tmp_path, text, engine)
    assert set(s.rules) == {"elderly_allowance"}
    for target, code in (
        ("no_such_rule: minzheng.policy.formula:literal", "unknown_rule"),
        ("elderly_allowance: minzheng.nowhere:f", "bad_formula"),
        ("elderly_allowance: minzheng.policy.formula:NOTHING", "bad_formula"),
    ):
        with pytest.raises(ScenarioError) as caught:
            _load(tmp_path, GOOD + f"rules:\n  {target}\n", engine)
        assert caught.value.code == code
        assert "scenario.yaml line 7:" in str(caught.value)


def test_a_scenario_that_changes_nothing_is_refused(tmp_path, engine):
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, "name: x\ndate: 2021-01-01\nparameters: {}\n", engine)
    assert caught.value.code == "empty_scenario"
