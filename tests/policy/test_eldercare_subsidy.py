"""The elder-care service subsidy (养老服务补贴) follows the capability grade an assessor gives
(issue #15, "Done when": the grade changes what the engine gives)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.lib.idcard import make
from minzheng.policy.engine import Engine
from minzheng.policy.explain import Explainer
from minzheng.policy.household import parse_household

DATE = dt.date(2026, 6, 30)
COUNTY = "330102"
BIRTH = dt.date(1946, 3, 1)


@pytest.fixture(scope="module")
def engine():
    return Engine()


def _param(engine, name):
    return engine.parameters[name].resolve(DATE, COUNTY).value


def household(grade: int) -> tuple[dict, list[dict]]:
    """An older person alone without income (a 低保 household) with a capability grade."""
    return parse_household(
        {
            "household_id": "H1",
            "county": COUNTY,
            "members": [
                {
                    "id": make(COUNTY, BIRTH, 11),
                    "birth_date": BIRTH.isoformat(),
                    "capability_grade": grade,
                    "homes": 1,
                }
            ],
        }
    )


@pytest.mark.parametrize("backend", ["memory", "duckdb"])
def test_a_changed_capability_grade_changes_the_subsidy(engine, backend):
    explainer = Explainer(engine, backend=backend)
    by_grade = {g: explainer.explain(*household(g), DATE) for g in range(5)}
    amounts = {g: Decimal(e["results"]["eldercare"]["monthly_amount"]) for g, e in by_grade.items()}
    assert {g: e["results"]["dibao"]["status"] for g, e in by_grade.items()} == dict.fromkeys(
        range(5), "eligible"
    )
    mild, moderate, severe = (
        _param(engine, f"eldercare.amount_{d}") for d in ("mild", "moderate", "severe")
    )
    assert amounts == {0: 0, 1: mild, 2: moderate, 3: severe, 4: severe}
    assert 0 < mild < moderate < severe
    # the household's monthly total moves with it, the rest stays the same
    totals = {g: Decimal(e["totals"]["monthly_amount"]) for g, e in by_grade.items()}
    assert {g: totals[g] - amounts[g] for g in range(5)} == dict.fromkeys(range(5), totals[0])


def test_explain_shows_the_grade_the_degree_and_the_parameter(engine):
    explanation = Explainer(engine).explain(*household(3), DATE)
    person = explanation["results"]["eldercare"]["members"][0]
    rules = explanation["trace"]["rules"]
    assert explanation["trace"]["inputs"]["members"][0]["capability_grade"] == 3
    assert rules["eldercare_care_level"]["values"] == {person: "severe"}
    assert rules["eldercare_income_status"]["values"] == {person: "dibao"}
    assert "eldercare.amount_severe" in rules["eldercare_person_amount"]["parameters"]
    severe = _param(engine, "eldercare.amount_severe")
    assert rules["eldercare_person_amount"]["values"] == {person: f"{severe:.2f}"}
    assert explanation["trace"]["parameters"]["eldercare.amount_severe"]["value"] == (
        f"{severe:.2f}"
    )
