"""低保 steps 1–6 (region-keyed standard included) as an OpenFisca 46 tax-benefit system.

Bench-only (`uv sync --group bench`). Reads the same Parquet population as the minzheng run
(persons.parquet, households.parquet written by dibao_bench.py), computes every household's
eligibility and amount, writes them, and prints the per-county caseload and cost.

    python bench/openfisca_dibao.py POPULATION_DIR DATE
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from openfisca_core.entities import build_entity
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import MONTH
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

Person = build_entity(key="person", plural="persons", label="个人", is_person=True)
Household = build_entity(
    key="household",
    plural="households",
    label="家庭",
    roles=[{"key": "member", "plural": "members", "label": "成员"}],
)
MONEY_INPUTS = (
    "wage",
    "business",
    "property",
    "pension",
    "transfer",
    "other",
    "deposits",
    "securities",
    "medical_oop_12m",
    "education_12m",
)
INT_INPUTS = ("disability_grade", "vehicles", "commercial_property", "homes", "age")
BOOL_INPUTS = ("employed", "serious_illness", "counted")


def _input(name, entity, value_type):
    return type(
        name,
        (Variable,),
        {"value_type": value_type, "entity": entity, "definition_period": MONTH, "label": name},
    )


def build_tbs(standards: dict[str, float], shares: dict[str, float]) -> TaxBenefitSystem:
    tbs = TaxBenefitSystem([Person, Household])
    tbs.parameters = ParameterNode(
        "",
        data={
            "dibao": {
                "standard": {
                    f"c{county}": {"values": {"2020-01-01": value}}
                    for county, value in standards.items()
                },
                **{key: {"values": {"2020-01-01": value}} for key, value in shares.items()},
            }
        },
    )
    for name in MONEY_INPUTS:
        tbs.add_variable(_input(name, Person, float))
    for name in INT_INPUTS:
        tbs.add_variable(_input(name, Person, int))
    for name in BOOL_INPUTS:
        tbs.add_variable(_input(name, Person, bool))
    tbs.add_variable(_input("county_key", Household, str))

    class standard(Variable):
        value_type, entity, definition_period, label = float, Household, MONTH, "低保标准"

        def formula(household, period, parameters):
            keys = household("county_key", period)
            return parameters(period).dibao.standard[keys]

    class net_income(Variable):
        value_type, entity, definition_period, label = float, Person, MONTH, "扣减后个人收入"

        def formula(person, period, parameters):
            p = parameters(period).dibao
            income = sum(
                person(n, period)
                for n in ("wage", "business", "property", "pension", "transfer", "other")
            )
            s = person.household("standard", period)
            deduction = np.where(
                person("employed", period),
                np.minimum(person("wage", period), p.employment_deduction_share * s),
                0,
            )
            return (income - deduction) * person("counted", period)

    class increment_member(Variable):
        value_type, entity, definition_period, label = bool, Person, MONTH, "分类施保"

        def formula(person, period, parameters):
            age, grade = person("age", period), person("disability_grade", period)
            return (
                person("counted", period)
                * (
                    (age >= parameters(period).dibao.increment_elderly_age)
                    + (age < 18)
                    + (grade >= 1) * (grade <= 2)
                    + person("serious_illness", period)
                )
                > 0
            )

    class income_after_rigid_x12(Variable):
        value_type, entity, definition_period, label = float, Household, MONTH, "扣减后收入×12"

        def formula(household, period, parameters):
            counted = household.members("counted", period)
            y = household.sum(household.members("net_income", period))
            spending = household.members("medical_oop_12m", period) + household.members(
                "education_12m", period
            )
            return np.maximum(0, y * 12 - household.sum(spending * counted))  # ×12, no division

    class dibao_eligible(Variable):
        value_type, entity, definition_period, label = bool, Household, MONTH, "符合低保"

        def formula(household, period, parameters):
            p = parameters(period).dibao
            counted = household.members("counted", period)
            n = household.sum(counted)
            s = household("standard", period)
            y_after = household("income_after_rigid_x12", period)
            assets = household.sum(
                (household.members("deposits", period) + household.members("securities", period))
                * counted
            )
            ok = (
                (assets <= p.asset_limit_months * s * n)
                * (
                    household.sum(household.members("vehicles", period) * counted)
                    <= p.vehicles_allowed
                )
                * (household.sum(household.members("commercial_property", period) * counted) == 0)
                * (household.sum(household.members("homes", period) * counted) <= p.max_homes)
            )
            return (n > 0) * (y_after < 12 * s * n) * ok

    class dibao_amount(Variable):
        value_type, entity, definition_period, label = float, Household, MONTH, "低保金"

        def formula(household, period, parameters):
            p = parameters(period).dibao
            counted = household.members("counted", period)
            n = household.sum(counted)
            s = household("standard", period)
            y_after = household("income_after_rigid_x12", period) / 12
            k = household.sum(household.members("increment_member", period))
            amount = s * n - y_after + p.increment_share * s * k
            return np.where(household("dibao_eligible", period), amount, 0)

    for variable in (
        standard,
        net_income,
        increment_member,
        income_after_rigid_x12,
        dibao_eligible,
        dibao_amount,
    ):
        tbs.add_variable(variable)
    return tbs


def main() -> None:
    folder, date = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
    started = time.perf_counter()
    meta = json.loads((folder / "parameters.json").read_text())
    persons = pq.read_table(folder / "persons.parquet")
    households = pq.read_table(folder / "households.parquet")
    tbs = build_tbs(meta["standards"], meta["shares"])
    period = f"{date:%Y-%m}"
    builder = SimulationBuilder()
    builder.create_entities(tbs)
    builder.declare_person_entity("person", persons["person_id"].to_numpy(zero_copy_only=False))
    # OpenFisca orders groups by their sorted ids and has no empty groups: declare exactly
    # the households that have members, sorted (the others are ineligible on both sides).
    member_of = persons["household_id"].to_numpy(zero_copy_only=False)
    hh_ids = np.unique(member_of)
    household = builder.declare_entity("household", hh_ids)
    builder.join_with_persons(
        household, member_of, np.full(persons.num_rows, "member", dtype=object)
    )
    sim = builder.build(tbs)
    birth = persons["birth_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    years = date.year - birth.astype("datetime64[Y]").astype(int) - 1970
    before = (birth - birth.astype("datetime64[Y]")) > (
        np.datetime64(date) - np.datetime64(date, "Y")
    )
    sim.set_input("age", period, years - before)
    sim.set_input("counted", period, (persons["status"].to_numpy(zero_copy_only=False) == "normal"))
    for name in MONEY_INPUTS:
        sim.set_input(name, period, persons[name].cast(pa.float64()).to_numpy())
    for name in ("disability_grade", "vehicles", "commercial_property", "homes"):
        sim.set_input(name, period, persons[name].to_numpy())
    for name in ("employed", "serious_illness"):
        sim.set_input(name, period, persons[name].to_numpy(zero_copy_only=False))
    all_ids = households["household_id"].to_numpy(zero_copy_only=False)
    order = np.argsort(all_ids)
    county = households["county"].to_numpy(zero_copy_only=False)[order][
        np.searchsorted(all_ids[order], hh_ids)
    ]
    sim.set_input("county_key", period, np.char.add("c", county.astype(str)))
    eligible = sim.calculate("dibao_eligible", period)
    amount = sim.calculate("dibao_amount", period)
    # per-county caseload and cost (float64 totals)
    codes, idx = np.unique(county.astype(str), return_inverse=True)
    caseload = np.bincount(idx, weights=eligible)
    cost = np.bincount(idx, weights=amount.astype(np.float64))
    elapsed = time.perf_counter() - started
    pq.write_table(
        pa.table({"household_id": hh_ids, "eligible": eligible, "amount": amount}),
        folder / "openfisca_results.parquet",
    )
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "households": len(hh_ids),
                "persons": persons.num_rows,
                "eligible": int(eligible.sum()),
                "cost": float(cost.sum()),
                "by_county": {
                    c: [int(a), float(b)] for c, a, b in zip(codes, caseload, cost, strict=True)
                },
            }
        )
    )


if __name__ == "__main__":
    main()
