"""What each beneficiary is owed for a month, computed by the engine over the inputs frozen
with the case's decision (framework-free).

The inputs do not change after the decision (a later change in the lake reaches a case only
through a periodic review); the date does: the engine evaluates them on the first day of the
month paid, so a birthday, a new standard or a 渐退 (gradual exit) step changes the amount from
the right month on. Members who died before the month (the deaths feed) are left out, so a
death stops payment from the month after it. All households of a run are evaluated at once
on DuckDB, like a screening.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

CENT = Decimal("0.01")


@cache
def _engine():
    from minzheng.policy.engine import Engine

    return Engine()


def programmes() -> dict[str, Any]:
    """The programmes paid monthly, by name (those with a monthly amount)."""
    return {p.name: p for p in _engine().programmes if "monthly_amount" in p.outputs}


def per_member(programme: str) -> bool:
    """Whether the programme is paid to each entitled member (an enrolment per person)."""
    found = programmes().get(programme)
    return found is not None and found.person_amount is not None


def monthly(
    households: dict[str, tuple[dict, list[dict]]],
    date: dt.date,
    wanted: set[str] | None = None,
) -> dict[str, dict[str, dict[str, Decimal]]]:
    """household → programme → beneficiary (the household number, or a member's ID number for a
    programme paid to persons) → monthly amount, for the amounts above zero on `date`.
    `households` maps each household number to its typed (household, members) inputs."""
    import ibis
    import pyarrow as pa

    from minzheng.policy.household import counties
    from minzheng.policy.inputs import schema
    from minzheng.policy.rules import HOUSEHOLD, PERSON

    engine = _engine()
    paid = {n: p for n, p in programmes().items() if wanted is None or n in wanted}
    out: dict[str, dict[str, dict[str, Decimal]]] = {h: {} for h in households}
    if not households or not paid:
        return out
    house_cols = [p.outputs["monthly_amount"] for p in paid.values() if p.person_amount is None]
    person_cols = {
        n: (p.person_amount[0], p.outputs["members"], p.person_amount[1])
        for n, p in paid.items()
        if p.person_amount is not None
    }
    outputs = house_cols + [
        c for amount, member, _ in person_cols.values() for c in (amount, member)
    ]
    rules = engine.order(outputs)
    used = {h[0]["county"] for h in households.values()} & counties()
    params = engine.params_table(date, used, engine.params_needed(rules))
    persons = pa.Table.from_pylist(
        [m for _house, members in households.values() for m in members], schema=schema(PERSON)
    )
    houses = pa.Table.from_pylist(
        [house for house, _members in households.values()], schema=schema(HOUSEHOLD)
    )
    con = ibis.duckdb.connect(threads=2)
    try:
        P, H = engine.build(
            ibis.memtable(persons), ibis.memtable(houses), ibis.memtable(params.table), date, rules
        )
        if house_cols:
            table = con.to_pyarrow(H.select("household_id", *house_cols)).to_pylist()
            for row in table:
                for name, p in paid.items():
                    column = p.outputs["monthly_amount"]
                    if column in house_cols and (row[column] or 0) > 0:
                        out[row["household_id"]][name] = {
                            row["household_id"]: Decimal(row[column]).quantize(CENT)
                        }
        if person_cols:
            wanted_cols = {
                c for amount, member, _ in person_cols.values() for c in (amount, member)
            }
            table = con.to_pyarrow(
                P.select("household_id", "person_id", *sorted(wanted_cols))
            ).to_pylist()
            for row in table:
                for name, (amount, member, months) in person_cols.items():
                    value = Decimal(row[amount] or 0)
                    if row[member] and value > 0:
                        value = (value / months).quantize(CENT, rounding=ROUND_HALF_UP)
                        out[row["household_id"]].setdefault(name, {})[row["person_id"]] = value
    finally:
        con.disconnect()
    return out


def without_the_dead(
    inputs: tuple[dict, list[dict]], deaths: dict[str, dt.date], month: dt.date
) -> tuple[dict, list[dict]]:
    """The inputs without the members who died before `month` began."""
    house, members = inputs
    return house, [
        m for m in members if not (m["person_id"] in deaths and deaths[m["person_id"]] < month)
    ]
