"""One simulation run from end to end (framework-free): checked scenarios, the run with its
scratch folder, the figures by region, the distribution, targeting and budget strategies —
the dict the command line prints and saves and the web page stores (aggregates only)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from minzheng.lib.i18n import gettext_noop
from minzheng.simulation import analysis, results
from minzheng.simulation import budget as budgets
from minzheng.simulation.distribution import SimulationError
from minzheng.simulation.run import BASELINE, measured, simulate
from minzheng.simulation.scenarios import Scenario

MAX_SCENARIOS = 4  # compared side by side


def check(engine, scenarios: list[Scenario], target_programme: str, budget: Decimal | None):
    """Refuse, before anything runs: names used twice, too many scenarios, an unknown
    programme, a budget below zero."""
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1 or n == BASELINE})
    if twice:
        raise SimulationError(
            "duplicate_scenario",
            gettext_noop("Scenario name %(name)s is used twice (or is reserved)."),
            name=twice[0],
        )
    if not 1 <= len(scenarios) <= MAX_SCENARIOS:
        raise SimulationError(
            "scenario_count",
            gettext_noop("A run compares 1 to %(most)s scenarios, not %(count)s."),
            most=MAX_SCENARIOS,
            count=len(scenarios),
        )
    programmes = [m.programme for m in measured(engine)]
    if target_programme not in programmes:
        raise SimulationError(
            "unknown_programme",
            gettext_noop("There is no programme %(name)s; one of %(allowed)s."),
            name=target_programme,
            allowed=", ".join(programmes),
        )
    if budget is not None and not (budget.is_finite() and budget >= 0):
        raise SimulationError(
            "negative_budget",
            gettext_noop("A budget of %(value)s yuan is below zero."),
            value=str(budget),
        )


def execute(
    engine,
    con,
    lake: Path,
    date: dt.date,
    scenarios: list[Scenario],
    *,
    source: dict,
    ideal: str | None = None,
    target_programme: str = "dibao",
    budget: Decimal | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    max_persons: int = 3_000_000,
) -> dict:
    """The run (see the module); `source` is the lake's manifest."""
    check(engine, scenarios, target_programme, budget)
    if ideal is not None:  # refused before the run, not after it
        analysis.ideal_expression(ideal, analysis.probe(con))
    ms = measured(engine)
    with tempfile.TemporaryDirectory(prefix="minzheng-sim-") as work:
        by_county = simulate(
            engine,
            con,
            lake,
            date,
            scenarios,
            progress=progress,
            max_persons=max_persons,
            work=Path(work),
        )
        spread = analysis.distribution_of(
            con, Path(work), [s.name for s in scenarios], ideal, target_programme
        )
        if budget is not None:
            for j, s in enumerate(scenarios):
                spread[s.name]["budget"] = budgets.strategies(
                    con, Path(work), j, budget, target_programme
                )
    hours = results.workload()
    programmes = [m.programme for m in ms]
    return {
        "date": date.isoformat(),
        "lake": str(Path(lake).resolve()),
        "snapshot_date": source.get("snapshot_date", ""),
        "scenarios": [
            {
                "name": s.name,
                "date": s.date.isoformat(),
                "file": s.file,
                "changes": [f"{o.parameter}@{o.region} = {o.value}" for o in s.overrides]
                + [f"{rule} (formula)" for rule in s.rules],
            }
            for s in scenarios
        ],
        "labels": {m.programme: m.label for m in ms},
        "workload": hours,
        "ideal": ideal,
        "target_programme": target_programme,
        "results": {
            name: results.summary(rows, programmes, hours) for name, rows in by_county.items()
        },
        "distribution": spread,
    }
