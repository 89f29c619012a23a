"""Budget mode (framework-free): the highest value of a parameter whose programmes' annual
cost fits a budget, by bisection over full runs; and the two strategies for a scenario that
costs more than its budget — a cap (the neediest first, until the money runs out) and a
proportional reduction of every amount.

The bisection assumes that the cost does not fall as the parameter rises (a standard, an
amount); it checks the two ends of the range first: a budget below the cost at the lowest
value has no answer (refused, naming the cost there), one above the cost at the highest
value is met by the highest. Each step is a whole run of the province at one value, reported
with its cost. Values are whole steps (`step`, 1 yuan by default) above the lowest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from minzheng.lib.i18n import TranslatableError, gettext_noop
from minzheng.policy.parameters import PROVINCE, _coerce
from minzheng.simulation.run import measured, simulate
from minzheng.simulation.scenarios import Override, Scenario


class BudgetError(TranslatableError):
    """A budget that cannot be searched or met: the message says why."""


@dataclass(frozen=True)
class Step:
    value: Decimal
    annual_cost: Decimal
    fits: bool


def annual_cost(rows: list[dict], programmes: list[str]) -> Decimal:
    """The programmes' annual cost (monthly × 12, one-off amounts once) over county rows."""
    total = Decimal(0)
    for row in rows:
        for p in programmes:
            total += Decimal(row[f"{p}__monthly_cost"] or 0) * 12
            total += Decimal(row[f"{p}__one_off_cost"] or 0)
    return total


def costs_at(
    engine,
    con,
    lake: Path,
    date: dt.date,
    parameter: str,
    values: list[Decimal],
    region: str,
    programmes: list[str],
    max_persons: int,
) -> list[Decimal]:
    """The programmes' annual cost with `parameter` at each of `values` from the date on:
    one run, a scenario per value, sharing the loaded population."""
    kind = engine.parameters[parameter].type
    scenarios = [
        Scenario(
            f"{parameter}={value}",
            date,
            (Override(parameter, region, _coerce(parameter, kind, value, "budget")),),
            {},
            "budget",
        )
        for value in values
    ]
    rows = simulate(engine, con, lake, date, scenarios, max_persons=max_persons)
    return [annual_cost(rows[s.name], programmes) for s in scenarios]


def search(
    engine,
    con,
    lake: Path,
    date: dt.date,
    parameter: str,
    budget: Decimal,
    low: Decimal,
    high: Decimal,
    programmes: list[str] | None = None,
    region: str = PROVINCE,
    step: Decimal = Decimal(1),
    ways: int = 1,
    report: Callable[[Step], None] | None = None,
    max_persons: int = 3_000_000,
    costs: Callable[[list[Decimal]], list[Decimal]] | None = None,
) -> tuple[Decimal, list[Step]]:
    """(the highest value that fits, the steps taken) — see the module. Each run tries
    `ways` values at once (1: plain bisection; more narrow the range faster, each run
    costing a little more). `costs` replaces the runs (a test's brute force)."""
    known = {m.programme for m in measured(engine)}
    programmes = programmes or ["dibao"]
    unknown = [p for p in programmes if p not in known]
    if unknown:
        raise BudgetError(
            "unknown_programme",
            gettext_noop("There is no programme %(name)s; one of %(allowed)s."),
            name=unknown[0],
            allowed=", ".join(sorted(known)),
        )
    if parameter not in engine.parameters:
        raise BudgetError(
            "unknown_parameter",
            gettext_noop("There is no parameter %(name)s."),
            name=parameter,
        )
    if budget < 0:
        raise BudgetError(
            "negative_budget",
            gettext_noop("A budget of %(value)s yuan is below zero."),
            value=f"{budget:,}",
        )
    if not (step > 0 and low <= high and ways >= 1):
        raise BudgetError(
            "bad_range",
            gettext_noop(
                "The search needs a lowest value %(low)s at most the highest %(high)s and a "
                "step %(step)s above 0."
            ),
            low=low,
            high=high,
            step=step,
        )
    if costs is None:

        def costs(values: list[Decimal]) -> list[Decimal]:
            return costs_at(
                engine, con, lake, date, parameter, values, region, programmes, max_persons
            )

    steps: list[Step] = []

    def measure(indices: list[int]) -> list[bool]:
        values = [low + i * step for i in indices]
        out = []
        for value, spent in zip(values, costs(values), strict=True):
            steps.append(Step(value, spent, spent <= budget))
            if report:
                report(steps[-1])
            out.append(spent <= budget)
        return out

    n = int((high - low) / step)  # values low + i·step, i = 0 … n
    at_low, at_high = measure([0, n])
    if not at_low:
        raise BudgetError(
            "budget_too_small",
            gettext_noop(
                "No value fits: at the lowest, %(value)s, %(parameter)s already costs "
                "%(cost)s yuan a year, above the budget of %(budget)s."
            ),
            value=low,
            parameter=parameter,
            cost=f"{steps[0].annual_cost:,.2f}",
            budget=f"{budget:,.2f}",
        )
    if at_high:
        return low + n * step, steps
    fits, over = 0, n  # the value at `fits` fits, the one at `over` does not
    while over - fits > 1:
        k = min(ways, over - fits - 1)
        tried = sorted({fits + (over - fits) * j // (k + 1) for j in range(1, k + 1)})
        tried = [i for i in tried if fits < i < over]
        for i, ok in zip(tried, measure(tried), strict=True):
            if ok:
                fits = max(fits, i)
            else:
                over = min(over, i)
    return low + fits * step, steps


def strategies(con, work: Path, scenario_index: int, budget: Decimal, programme: str) -> dict:
    """A scenario's programme against an annual budget, from a run's household figures:
    `no_limit` (its cost), `cap` (households by per-capita income, lowest first, covered
    while the running annual cost fits: how many are covered, left out, and what it costs)
    and `proportional` (every amount × budget ÷ cost when it costs more: the factor and the
    cost)."""
    import ibis

    folder = Path(work) / f"s{scenario_index}"
    table = con.read_parquet(str(folder / "*.parquet"))
    base = con.read_parquet(str(Path(work) / "baseline" / "*.parquet")).select(
        "household_id", "income"
    )
    t = table.filter(table[f"cov__{programme}"]).join(base, "household_id")
    yearly = (t[f"amt__{programme}"].cast("decimal(20, 2)") * 12).name("yearly")
    t = t.select("household_id", "income", yearly)
    window = ibis.window(order_by=[t.income, t.household_id], rows=(None, 0))
    t = t.mutate(running=t.yearly.sum().over(window))
    row = con.to_pyarrow(
        t.aggregate(
            households=t.count(),
            cost=t.yearly.sum(),
            capped=t.count(where=t.running <= budget),
            capped_cost=t.yearly.sum(where=t.running <= budget),
        )
    ).to_pylist()[0]
    spent = Decimal(row["cost"] or 0)
    factor = min(Decimal(1), budget / spent) if spent else Decimal(1)
    return {
        "budget": budget,
        "no_limit": {"households": row["households"], "annual_cost": spent},
        "cap": {
            "households": row["capped"],
            "left_out": row["households"] - row["capped"],
            "annual_cost": Decimal(row["capped_cost"] or 0),
        },
        "proportional": {
            "households": row["households"],
            "factor": factor.quantize(Decimal("0.000001")),
            "annual_cost": (spent * factor).quantize(Decimal("0.01")),
        },
    }
