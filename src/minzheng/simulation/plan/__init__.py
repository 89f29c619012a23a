"""The plan's path (规划路径): ready scenarios for the plan's 低保 and children's standards
by year, each run at the end of its year (framework-free)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from minzheng.simulation import results
from minzheng.simulation.run import BASELINE, measured, simulate
from minzheng.simulation.scenarios import load_scenario

FILES = sorted(Path(__file__).parent.glob("*.yaml"))
SHOWN = ("dibao", "child", "tekun")


def path(engine, con, lake: Path, files: list[Path] = FILES, progress=None) -> list[dict]:
    """For each scenario file, run at 31 December of its year against the parameters in
    force then: the year, the scenario, and per programme of SHOWN (and all together) the
    province's households and persons covered and annual cost, scenario and baseline."""
    programmes = [m.programme for m in measured(engine)]
    hours = results.workload()
    out = []
    for i, file in enumerate(files):
        scenario = load_scenario(file, engine.parameters, set(engine.rules))
        date = dt.date(scenario.date.year, 12, 31)
        rows = simulate(engine, con, lake, date, [scenario])
        figures = {
            name: results.summary(rows[key], programmes, hours)["province"]["330000"]
            for name, key in (("scenario", scenario.name), ("baseline", BASELINE))
        }
        year = {"year": date.year, "date": date.isoformat(), "scenario": scenario.name}
        for name, f in figures.items():
            year[name] = {p: f["programmes"][p] for p in SHOWN} | {"poverty": f["poverty"]}
            year[name]["all"] = {
                "annual_cost": sum(f["programmes"][p]["annual_cost"] for p in programmes)
            }
        out.append(year)
        if progress:
            progress(i + 1, len(files))
    return out
