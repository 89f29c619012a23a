"""Budget mode (framework-free): the highest value of a parameter whose programmes' annual
cost fits a budget, by bisection over full runs; and the two strategies for a scenario that
costs more than its budget — a cap (the neediest first, until the money runs out) and a
proportional reduction of every amount.

The bisection assumes that the cost does not fall as the parameter rises (a standard, an
amount); it checks the two ends of the range first: a budget below the cost at the lowest
value has no answer (refused, naming the cost there), one above the cost at the highest
value is met by the highest. Values are whole steps (`step`, 1 yuan by default) above the
lowest; every step is reported with its cost.

The two ends are a pass over every household of the lake, evaluating only the rules the
budget's programmes need — those no value changes once, those the parameter reaches once per
value. That pass keeps, in a scratch folder, every household's inputs to the reached rules,
and apart those of the households with a cost at either end. Households are independent of
each other, so the narrowing runs over the latter alone — a few per cent of the province. A
household outside them can only add cost, so the value above the answer found there is over
the budget over every household too; the answer itself is then verified over every
household's kept inputs, and should some household outside have a cost there (a rule where
a higher value covers fewer), the search goes on over every household from there. The answer
is the one a search over full runs gives.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from minzheng.lib.i18n import TranslatableError, gettext_noop
from minzheng.policy.engine import Engine
from minzheng.policy.parameters import PROVINCE, _coerce
from minzheng.simulation.run import _drop_reached, _forget, _keep, measured, reached
from minzheng.simulation.scenarios import Override, Scenario


class BudgetError(TranslatableError):
    """A budget that cannot be searched or met: the message says why."""


@dataclass(frozen=True)
class Step:
    value: Decimal
    annual_cost: Decimal
    fits: bool
    over_all: bool = True  # over every household (else over those kept, see `search`)


def annual_cost(rows: list[dict], programmes: list[str]) -> Decimal:
    """The programmes' annual cost (monthly × 12, one-off amounts once) over county rows."""
    total = Decimal(0)
    for row in rows:
        for p in programmes:
            total += Decimal(row[f"{p}__monthly_cost"] or 0) * 12
            total += Decimal(row[f"{p}__one_off_cost"] or 0)
    return total


def _targets(engine, programmes: list[str]):
    """The measures of the programmes the budget pays for, and the rules their cost needs."""
    ms = [m for m in measured(engine) if m.programme in programmes]
    outputs = [n for m in ms for n in (m.status, m.monthly, m.one_off) if n]
    return ms, engine.order(outputs)


def _variants(engine, date: dt.date, parameter: str, region: str, values: list[Decimal], rules):
    """Per value: the engine with the parameter at the value from the date on; and the rules
    the change reaches (the same for every value: one parameter is changed)."""
    kind = engine.parameters[parameter].type
    out, scenarios = [], []
    for value in values:
        scenario = Scenario(
            f"{parameter}={value}",
            date,
            (Override(parameter, region, _coerce(parameter, kind, value, "budget")),),
            {},
            "budget",
        )
        out.append(Engine(engine.programmes, scenario.apply(engine.parameters), scenario.reform()))
        scenarios.append(scenario)
    reach = reached(out[0], out[0].order([r.name for r in rules]), scenarios[0])
    return out, reach


def _cost(H, ms):
    """Each household's annual cost of the programmes (monthly × 12 plus one-off amounts)."""
    import ibis

    zero = ibis.literal(Decimal(0), "decimal(20, 2)")
    total = zero
    for m in ms:
        if m.monthly:
            total = total + H[m.monthly].cast("decimal(20, 2)").fill_null(zero) * 12
        if m.one_off:
            total = total + H[m.one_off].cast("decimal(20, 2)").fill_null(zero)
    return total.cast("decimal(38, 2)")


def _at_values(con, P0, H0, variants, reach, date: dt.date, counties, ms) -> list:
    """Per value: its households' annual costs (household_id, cost), kept in the backend."""
    import ibis

    tables = []
    for j, changed in enumerate(variants):
        params = changed.params_table(date, counties, changed.params_needed(reach))
        _P, H = changed.build(P0, H0, ibis.memtable(params.table), date, reach)
        tables.append(_keep(con, f"_budget_v{j}", H.select("household_id", cost=_cost(H, ms))))
    return tables


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
    keep: Path | None = None,
) -> list[Decimal]:
    """The programmes' annual cost with `parameter` at each of `values` from the date on, over
    every household of the lake: one pass by chunks of counties, evaluating the programmes'
    rules the parameter does not reach once and, per value, those it reaches. With `keep`, the rules' inputs to those the parameter reaches are written there
    for `costs_kept`: every household's in `all/`, and in `kept/` those of the households
    with a cost at any of the values."""
    from minzheng.policy.screen import county_chunks, inputs

    ms, rules = _targets(engine, programmes)
    variants, reach = _variants(engine, date, parameter, region, values, rules)
    unchanged = [r for r in rules if r not in reach]  # read no changed value: evaluated once
    needed = engine.params_needed(unchanged)
    totals = [Decimal(0)] * len(values)
    for i, (counties, _n) in enumerate(county_chunks(lake, max_persons)):
        persons, households = inputs(con, lake, date, counties)
        P, H = _shared(engine, con, persons, households, date, counties, unchanged, needed)
        try:
            P0, H0 = _drop_reached(P, H, reach)
            tables = _at_values(con, P0, H0, variants, reach, date, counties, ms)
            for j, t in enumerate(tables):
                totals[j] += Decimal(con.to_pyarrow(t.cost.sum()).as_py() or 0)
            if keep is not None:
                ids = tables[0].filter(tables[0].cost > 0).select("household_id")
                for t in tables[1:]:
                    ids = ids.union(t.filter(t.cost > 0).select("household_id"))
                for name, table in (("persons", P0), ("households", H0)):
                    for part, rows in (
                        ("kept", table.semi_join(ids, "household_id")),
                        ("all", table),
                    ):
                        (keep / part / name).mkdir(parents=True, exist_ok=True)
                        con.to_parquet(rows, keep / part / name / f"part-{i:03d}.parquet")
        finally:
            _forget(con, ("_budget_p", "_budget_h", *(f"_budget_v{j}" for j in range(len(values)))))
    return totals


def _shared(engine, con, persons, households, date, counties, rules, needed):
    """The rules no value changes, kept in the backend."""
    import ibis

    params = ibis.memtable(engine.params_table(date, counties, needed).table)
    P, _H = engine.build(persons, households, params, date, rules)
    P = _keep(con, "_budget_p", P)
    _P, H = engine.build(
        P.drop(*[c for c in P.columns if c.startswith("param__")]),
        households,
        params,
        date,
        [r for r in rules if r.entity != "person"],
    )
    return P, _keep(con, "_budget_h", H)


def costs_kept(
    engine,
    con,
    kept: Path,
    date: dt.date,
    parameter: str,
    values: list[Decimal],
    region: str,
    programmes: list[str],
) -> list[Decimal]:
    """The programmes' annual cost at each value over households `costs_at` kept (`kept`:
    its `kept/` or `all/` folder)."""
    ms, rules = _targets(engine, programmes)
    variants, reach = _variants(engine, date, parameter, region, values, rules)
    P0 = con.read_parquet(str(kept / "persons" / "*.parquet"))
    H0 = con.read_parquet(str(kept / "households" / "*.parquet"))
    counties = sorted(
        r["county"] for r in con.to_pyarrow(H0.select("county").distinct()).to_pylist()
    )
    if not counties:
        return [Decimal(0)] * len(values)
    try:
        tables = _at_values(con, P0, H0, variants, reach, date, counties, ms)
        return [Decimal(con.to_pyarrow(t.cost.sum()).as_py() or 0) for t in tables]
    finally:
        _forget(con, tuple(f"_budget_v{j}" for j in range(len(values))))


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
    kept: Callable[[list[Decimal]], list[Decimal]] | None = None,
) -> tuple[Decimal, list[Step]]:
    """(the highest value that fits, the steps taken) — see the module. Each run tries
    `ways` values at once (1: plain bisection; more narrow the range faster, each run
    costing a little more). `costs` replaces the passes over every household and `kept` those
    over the kept households (a test's brute force)."""
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
    if costs is not None:
        return _bisect(low, high, step, budget, ways, report, costs, kept, parameter)
    with tempfile.TemporaryDirectory(prefix="minzheng-budget-") as work:
        folder, passes = Path(work), []

        def whole(values: list[Decimal]) -> list[Decimal]:
            passes.append(values)
            if len(passes) > 1:  # the lake's pass kept every household's inputs
                return over(folder / "all", values)
            return costs_at(
                engine, con, lake, date, parameter, values, region, programmes, max_persons, folder
            )

        def over(kept: Path, values: list[Decimal]) -> list[Decimal]:
            return costs_kept(engine, con, kept, date, parameter, values, region, programmes)

        def on_kept(values: list[Decimal]) -> list[Decimal]:
            return over(folder / "kept", values)

        return _bisect(low, high, step, budget, ways, report, whole, on_kept, parameter)


def _bisect(
    low: Decimal,
    high: Decimal,
    step: Decimal,
    budget: Decimal,
    ways: int,
    report: Callable[[Step], None] | None,
    whole: Callable[[list[Decimal]], list[Decimal]],
    kept: Callable[[list[Decimal]], list[Decimal]] | None,
    parameter: str,
) -> tuple[Decimal, list[Step]]:
    """The search (see `search`): both ends over every household, the narrowing over the
    `kept` ones when given, the answer found there verified over every household."""
    steps: list[Step] = []

    def measure(indices: list[int], costs, over_all: bool) -> list[bool]:
        values = [low + i * step for i in indices]
        out = []
        for value, spent in zip(values, costs(values), strict=True):
            steps.append(Step(value, spent, spent <= budget, over_all))
            if report:
                report(steps[-1])
            out.append(spent <= budget)
        return out

    n = int((high - low) / step)  # values low + i·step, i = 0 … n
    at_low, at_high = measure([0, n], whole, True)
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
    costs, over_all = (kept, False) if kept is not None else (whole, True)
    while True:
        while over - fits > 1:
            k = min(ways, over - fits - 1)
            tried = sorted({fits + (over - fits) * j // (k + 1) for j in range(1, k + 1)})
            tried = [i for i in tried if fits < i < over]
            for i, ok in zip(tried, measure(tried, costs, over_all), strict=True):
                if ok:
                    fits = max(fits, i)
                else:
                    over = min(over, i)
        if over_all or fits == 0:
            return low + fits * step, steps
        # Households outside the kept ones only add cost: the value above the answer is over
        # the budget over every household too; the answer itself is checked over them all.
        (ok,) = measure([fits], whole, True)
        if ok:
            return low + fits * step, steps
        fits, over = 0, fits  # some were left out: on over every household
        costs, over_all = whole, True


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
