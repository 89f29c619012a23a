"""A plain-Python reference calculation of 低保 (steps 1–9 of issue #4) and of the elder-care
service subsidy (养老服务补贴, with what it needs of 低边 and 特困), with Decimal.

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
        return {
            "status": "ineligible",
            "amount": Decimal("0.00"),
            "reasons": ["no_members"],
            "covered": [],
        }

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
    if status in ("eligible", "gradual_exit"):
        covered = [m["person_id"] for m in M]
    elif status == "single_person":
        covered = [m["person_id"] for m in cands]
    else:
        covered = []
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
        "covered": covered,
    }


def _income(m) -> Decimal:
    return sum(
        (m[k] for k in ("wage", "business", "property", "pension", "transfer", "other")), Decimal(0)
    )


def dibian(household: dict, members: list[dict], day: dt.date, params: ParameterSet) -> bool:
    """低边: not 低保 (eligible or gradual exit), per-capita income after deductions below the
    multiple of the standard, assets within the months of the standard, the 低保 tests."""
    county = household["county"]

    def p(name):
        return params[name].resolve(day, county).value

    S = p("dibao.standard_monthly")
    M = [m for m in members if m["status"] == "normal"]
    n = len(M)
    if n == 0 or dibao(household, members, day, params)["status"] in ("eligible", "gradual_exit"):
        return False
    net = sum(
        (
            _income(m)
            - (min(m["wage"], p("dibao.employment_deduction_share") * S) if m["employed"] else 0)
            for m in M
        ),
        Decimal(0),
    )
    rigid = sum((m["medical_oop_12m"] + m["education_12m"] for m in M), Decimal(0))
    if not p("dibao.rigid_expenditure_deduction"):
        rigid = Decimal(0)
    yearly = max(Decimal(0), 12 * net - rigid)
    return (
        yearly < 12 * p("dibian.income_multiple") * S * n
        and sum((m["deposits"] + m["securities"] for m in M), Decimal(0))
        <= p("dibian.asset_limit_months") * S * n
        and sum(m["vehicles"] for m in M) <= p("dibao.vehicles_allowed")
        and sum(m["commercial_property"] for m in M) == 0
        and sum(m["homes"] for m in M) <= p("dibao.max_homes")
    )


def tekun(m: dict, county: str, day: dt.date, params: ParameterSet) -> bool:
    """特困: no labour capacity, own income below the standard, own assets within the 低保
    months, no capable supporter, not an orphan."""

    def p(name):
        return params[name].resolve(day, county).value

    S = p("dibao.standard_monthly")
    age = _age(m["birth_date"], day)
    unable = (
        age >= 60
        or age < 16
        or m["disability_grade"] in (1, 2)
        or (m["disability_grade"] == 3 and m["disability_kind"] in ("intellectual", "mental"))
    )
    gone = ("deceased", "missing")
    orphan = age < 18 and m["father_status"] in gone and m["mother_status"] in gone
    return (
        m["status"] == "normal"
        and unable
        and _income(m) < S
        and m["deposits"] + m["securities"] <= p("dibao.asset_limit_months") * S
        and not m["supporter_capable"]
        and not orphan
    )


def eldercare(household: dict, members: list[dict], day: dt.date, params: ParameterSet) -> dict:
    """养老服务补贴: members of min_age or more with a capability grade of at least min_grade
    (and at least 1, 轻度失能) who are covered by 低保 or live in a 低边 household, and are not
    特困; 低保 by degree (grade 1 mild, 2 moderate, 3–4 severe), 低边 at a share of it. The
    household's amount is the members' sum, rounded once."""
    county = household["county"]

    def p(name):
        return params[name].resolve(day, county).value

    covered = set(dibao(household, members, day, params)["covered"])
    low_edge = dibian(household, members, day, params)
    by_degree = {
        1: p("eldercare.amount_mild"),
        2: p("eldercare.amount_moderate"),
        3: p("eldercare.amount_severe"),
        4: p("eldercare.amount_severe"),
    }
    total, paid = Decimal(0), []
    for m in members:
        grade = m["capability_grade"]
        if (
            m["status"] != "normal"
            or _age(m["birth_date"], day) < p("eldercare.min_age")
            or grade < max(1, p("eldercare.min_grade"))
            or tekun(m, county, day, params)
        ):
            continue
        if m["person_id"] in covered:
            amount = by_degree[grade]
        elif low_edge:
            amount = p("eldercare.dibian_share") * by_degree[grade]
        else:
            continue
        total += amount
        paid.append(m["person_id"])
    return {
        "status": "eligible" if paid else "ineligible",
        "amount": total.quantize(Decimal("0.01"), ROUND_HALF_UP),
        "members": paid,
    }
