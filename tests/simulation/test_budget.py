"""Budget mode: the search finds what a brute-force scan over full runs finds; the cap and
proportional strategies against a direct computation; a budget below zero or one no value
fits is refused with a message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.simulation import budget
from minzheng.simulation.run import simulate
from minzheng.simulation.scenarios import load_scenario

DATE = dt.date(2020, 12, 31)
STANDARD = "dibao.standard_monthly"


@pytest.fixture(scope="module")
def engine():
    return Engine()


def _scan(cost, low, high, step, money):
    """The brute force: every value, the highest whose cost fits."""
    values = [low + i * step for i in range(int((high - low) / step) + 1)]
    fitting = [v for v, c in zip(values, cost(values), strict=True) if c <= money]
    return max(fitting) if fitting else None


@pytest.mark.parametrize("ways", [1, 3, 8])
def test_the_search_is_the_brute_force_scan(engine, ways):
    def cost(values):  # rises in steps, flat in places, like a standard's cost
        return [Decimal(int(v) // 7 * 1000 + (int(v) % 7 > 3) * 250) for v in values]

    for money in (Decimal(114_000), Decimal(120_250), Decimal(133_999), Decimal(200_000)):
        expected = _scan(cost, Decimal(800), Decimal(1000), Decimal(1), money)
        found, steps = budget.search(
            engine,
            None,
            None,
            DATE,
            STANDARD,
            money,
            Decimal(800),
            Decimal(1000),
            ways=ways,
            costs=cost,
        )
        assert found == expected
        assert all(s.fits == (s.annual_cost <= money) for s in steps)
        assert len(steps) <= 2 + 8 * 8  # never a scan of 201 values


def test_bad_budgets_are_refused(engine):
    def cost(values):
        return [v * 10 for v in values]

    cases = [
        (Decimal(-1), "negative_budget"),
        (Decimal(5), "budget_too_small"),
    ]
    for money, code in cases:
        with pytest.raises(budget.BudgetError) as caught:
            budget.search(
                engine, None, None, DATE, STANDARD, money, Decimal(800), Decimal(900), costs=cost
            )
        assert caught.value.code == code
    with pytest.raises(budget.BudgetError) as caught:
        budget.search(
            engine, None, None, DATE, STANDARD, Decimal(1), Decimal(900), Decimal(800), costs=cost
        )
    assert caught.value.code == "bad_range"
    with pytest.raises(budget.BudgetError) as caught:
        budget.search(
            engine,
            None,
            None,
            DATE,
            "dibao.nothing",
            Decimal(1),
            Decimal(800),
            Decimal(900),
            costs=cost,
        )
    assert caught.value.code == "unknown_parameter"
    with pytest.raises(budget.BudgetError) as caught:
        budget.search(
            engine,
            None,
            None,
            DATE,
            STANDARD,
            Decimal(1),
            Decimal(800),
            Decimal(900),
            programmes=["lottery"],
            costs=cost,
        )
    assert caught.value.code == "unknown_programme"
    found, _steps = budget.search(
        engine, None, None, DATE, STANDARD, Decimal(10**9), Decimal(800), Decimal(900), costs=cost
    )
    assert found == 900  # everything fits: the highest


@pytest.mark.lake
def test_over_full_runs_the_search_is_the_scan(engine, small_lake):
    con = connect("duckdb")
    low, high, step = Decimal(900), Decimal(1000), Decimal(25)

    def runs(values):
        return budget.costs_at(
            engine, con, small_lake, DATE, STANDARD, values, "330000", ["dibao"], 3_000_000
        )

    values = [low + i * step for i in range(5)]
    scanned = runs(values)
    assert scanned == sorted(scanned) and scanned[0] < scanned[-1]
    money = (scanned[2] + scanned[3]) / 2
    found, steps = budget.search(
        engine, con, small_lake, DATE, STANDARD, money, low, high, step=step, ways=2
    )
    assert found == values[2] == _scan(lambda vs: scanned, low, high, step, money)
    assert {s.value: s.annual_cost for s in steps} == {
        v: c for v, c in zip(values, scanned, strict=True) if v in {s.value for s in steps}
    }
    # both ends and the answer over every household, the narrowing over those kept
    assert [s.value for s in steps if s.over_all] == [low, high, found]
    assert any(not s.over_all for s in steps)


@pytest.mark.lake
def test_the_costs_are_the_full_simulation_s(engine, small_lake, tmp_path):
    """The budget's lean pass (the programme's rules only) and the passes over the households
    it keeps (those with a cost at either end, and all of them) give the cost a full
    simulation of the whole catalogue gives, value by value."""
    con = connect("duckdb")
    values = [Decimal(700), Decimal(950), Decimal(1200)]
    kept = tmp_path / "kept"
    lean = budget.costs_at(
        engine,
        con,
        small_lake,
        DATE,
        STANDARD,
        [values[0], values[-1]],
        "330000",
        ["dibao"],
        3_000_000,
        keep=kept,
    )
    on_kept, on_all = (
        budget.costs_kept(engine, con, kept / part, DATE, STANDARD, values, "330000", ["dibao"])
        for part in ("kept", "all")
    )
    scenarios = []
    for v in values:
        path = tmp_path / f"s{v}.yaml"
        path.write_text(f"name: s{v}\ndate: {DATE}\nparameters:\n  {STANDARD}: {v}\n", "utf-8")
        scenarios.append(load_scenario(path, engine.parameters, set(engine.rules)))
    rows = simulate(engine, con, small_lake, DATE, scenarios)
    full = [budget.annual_cost(rows[s.name], ["dibao"]) for s in scenarios]
    assert full[0] < full[1] < full[2]
    assert lean == [full[0], full[2]]
    assert on_kept == on_all == full
    households, total = (
        duckdb.sql(f"SELECT count(*) FROM '{kept}/{part}/households/*.parquet'").fetchall()[0][0]
        for part in ("kept", "all")
    )
    lake = duckdb.sql(f"SELECT count(*) FROM '{small_lake}/hukou_households/*/*.parquet'")
    assert total == lake.fetchall()[0][0]
    assert 0 < households < total / 5  # a small share of the province is kept


def test_households_left_out_of_the_kept_ones_are_caught(engine):
    """When a household outside the kept ones has a cost at the answer found over the kept
    ones, the answer is checked over every household and the search goes on there."""

    def whole(values):
        return [Decimal(int(v) * 100 + (5_000 if 900 <= v <= 950 else 0)) for v in values]

    def kept(values):  # misses the 5,000 some households cost between 900 and 950
        return [Decimal(int(v) * 100) for v in values]

    for money in (Decimal(94_000), Decimal(96_000), Decimal(99_950)):
        expected = _scan(whole, Decimal(800), Decimal(1000), Decimal(1), money)
        found, steps = budget.search(
            engine,
            None,
            None,
            DATE,
            STANDARD,
            money,
            Decimal(800),
            Decimal(1000),
            costs=whole,
            kept=kept,
        )
        assert found == expected
        assert steps[-1].over_all and steps[-1].fits
        assert all(s.annual_cost == (whole if s.over_all else kept)([s.value])[0] for s in steps)


@pytest.mark.lake
def test_the_cap_and_proportional_strategies(engine, small_lake, tmp_path):
    path = tmp_path / "raised.yaml"
    path.write_text(
        "name: 提高\ndate: 2020-07-01\nparameters:\n  dibao.standard_monthly: 1000\n", "utf-8"
    )
    scenario = load_scenario(path, engine.parameters, set(engine.rules))
    con, work = connect("duckdb"), tmp_path / "work"
    simulate(engine, con, small_lake, DATE, [scenario], work=work)
    rows = duckdb.sql(
        f"SELECT s.household_id, b.income, s.amt__dibao * 12 FROM '{work}/s0/*.parquet' s "
        f"JOIN '{work}/baseline/*.parquet' b USING (household_id) WHERE s.cov__dibao "
        "ORDER BY b.income, s.household_id"
    ).fetchall()
    total = sum(r[2] for r in rows)
    money = (total * Decimal("0.6")).quantize(Decimal("0.01"))
    result = budget.strategies(con, work, 0, money, "dibao")
    running, capped = Decimal(0), 0
    for _h, _income, yearly in rows:  # the neediest first, while the money lasts
        if running + yearly > money:
            break
        running, capped = running + yearly, capped + 1
    assert result["no_limit"] == {"households": len(rows), "annual_cost": total}
    assert result["cap"]["households"] == capped and result["cap"]["annual_cost"] == running
    assert result["cap"]["left_out"] == len(rows) - capped > 0
    assert result["proportional"]["factor"] == (money / total).quantize(Decimal("0.000001"))
    assert abs(result["proportional"]["annual_cost"] - money) < 1
    rich = budget.strategies(con, work, 0, total * 2, "dibao")
    assert rich["cap"]["left_out"] == 0 and rich["proportional"]["factor"] == 1
