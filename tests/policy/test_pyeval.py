"""The in-memory evaluator of explain: plain values, and formulas that call Ibis themselves."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from minzheng.policy.engine import Engine
from minzheng.policy.errors import BackendError
from minzheng.policy.reforms import Reform
from tests.policy.test_inputs import GOOD

DATE = dt.date(2020, 12, 31)


def _employed() -> dict:
    household = copy.deepcopy(GOOD)
    household["members"][0]["employed"] = True
    return household


def _deduction(engine: Engine) -> str:
    explained = engine.explain(_employed(), DATE)
    return explained["trace"]["rules"]["employment_deduction"]["values"][GOOD["members"][0]["id"]]


def test_a_reform_formula_written_with_ibis_functions_is_explained():
    """A formula that mixes Ibis's own functions with the rule's values is traced and
    computed on Ibis literals."""
    import ibis

    def half_the_wage_when_employed(v):
        return ibis.ifelse(v.employed, v.wage * ibis.literal(0.5).cast("decimal(28, 8)"), 0)

    reform = Reform("half", rules={"employment_deduction": half_the_wage_when_employed})
    assert _deduction(Engine(reform=reform)) == "600.25"


def test_a_reform_formula_written_with_the_helpers_gives_the_same():
    from minzheng.policy.formula import ifelse, literal

    def half_the_wage_when_employed(v):
        return ifelse(v.employed, v.wage * literal("0.5", "decimal(28, 8)"), 0)

    reform = Reform("half", rules={"employment_deduction": half_the_wage_when_employed})
    assert _deduction(Engine(reform=reform)) == "600.25"


def test_an_operation_the_evaluator_does_not_know_is_a_clear_error():
    def divided(v):
        return v.wage / 2  # a division of money: the rules use divide_round

    engine = Engine(reform=Reform("divide", rules={"employment_deduction": divided}))
    with pytest.raises(BackendError, match="Divide"):
        engine.explain(_employed(), DATE)
