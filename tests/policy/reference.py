"""A plain-Python reference calculation of 低保 (steps 1–9 of issue #4), with Decimal.

Written independently of the engine, straight from the rule text, to check the engine's
results household by household on synthetic data.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from minzheng.policy.parameters import ParameterSet


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _months_between(start: dt.date, day: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month - (day.day < start.day)


def dibao(household: dict, members: list[dict], day: dt.date, params: ParameterSet) -> dict:
    county = household["county"]

    def p(name):
        return params[name].resolve(day, county).value

    S = p("dibao.standard_monthly")
    M = [m for m in members if m["status"] == "normal"]
    n = len(M)
    if n == 0:
        return {"status": "ineligible", "amount": Decimal("0.00"), "reasons": ["no_members"]}

    def income(m):
        return sum(m[k] for k in ("wage", "business", "property", "pension", "transfer", "other"))

    def deduction(m):
        return (
            min(m["wage"], p("dibao.employment_deduction_share") * S)
            if m["employed"]
            else Decimal(0)
        )

    Y = sum((income(m) - deduction(m) for m in M), Decimal(0))
    R = sum((m["medical_oop_12m"] + m["education_12m"] for m in M), Decimal(0)) / 12
    if not p("dibao.rigid_expenditure_deduction"):
        R = Decimal(0)
    Yp = max(Decimal(0), Y - R)
    P = Yp / n
    assets_ok = (
        sum((m["deposits"] + m["securities"] for m in M), Decimal(0)) / n
        <= p("dibao.asset_limit_months") * S
    )
    vehicles_ok = sum(m["vehicles"] for m in M) <= p("dibao.vehicles_allowed")
    commercial_ok = sum(m["commercial_property"] for m in M) == 0
    housing_ok = sum(m["homes"] for m in M) <= p("dibao.max_homes")
    tests = assets_ok and vehicles_ok and commercial_ok and housing_ok

    def increment(m):
        age = _age(m["birth_date"], day)
        return (
            age >= p("dibao.increment_elderly_age")
            or age < 18
            or m["disability_grade"] in (1, 2)
            or m["serious_illness"]
        )

    inc = p("dibao.increment_share") * S
    if P < S and tests:
        amount = (S - P) * n + inc * sum(1 for m in M if increment(m))
        status = "eligible"
    elif (
        household["enrolled_dibao"]
        and tests
        and any(
            m["employment_start"] is not None
            and m["employment_start"] <= day
            and _months_between(m["employment_start"], day) < p("dibao.gradual_exit_months")
            for m in M
        )
    ):
        amount, status = p("dibao.gradual_exit_share") * S * n, "gradual_exit"
    else:
        cands = [
            m
            for m in M
            if _age(m["birth_date"], day) >= 18
            and (
                m["disability_grade"] in (1, 2)
                or (
                    m["disability_grade"] in (3, 4)
                    and m["disability_kind"] in ("intellectual", "mental")
                )
            )
            and income(m) - deduction(m) < S
        ]
        if tests and P <= p("dibao.single_person_income_multiple") * S and cands:
            amount = sum(
                (S - (income(m) - deduction(m)) + (inc if increment(m) else 0) for m in cands),
                Decimal(0),
            )
            status = "single_person"
        else:
            amount, status = Decimal(0), "ineligible"
    reasons = []
    if status == "ineligible":
        reasons = [
            r
            for r, failed in (
                ("income_above_standard", not P < S),
                ("assets_above_limit", not assets_ok),
                ("vehicle", not vehicles_ok),
                ("commercial_property", not commercial_ok),
                ("housing", not housing_ok),
            )
            if failed
        ]
    return {
        "status": status,
        "amount": Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP),
        "per_capita": P.quantize(Decimal("0.01"), ROUND_HALF_UP),
        "reasons": reasons,
    }
