"""A scenario raising the elder-care service subsidy (the example in docs/scenarios) changes
cost as a direct run of the engine over parameter files changed the same way does."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.policy.parameters import PARAMETER_DIR, load_parameters
from minzheng.simulation import results
from minzheng.simulation.run import BASELINE, measured, simulate
from minzheng.simulation.scenarios import load_scenario

DATE = dt.date(2020, 12, 31)
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "scenarios" / "eldercare-raise.yaml"


@pytest.fixture(scope="module")
def changed_files(tmp_path_factory):
    """The catalogue's parameter file as a department would edit it for the same change."""
    folder = tmp_path_factory.mktemp("parameters") / "p"
    shutil.copytree(PARAMETER_DIR, folder)
    path = folder / "catalogue.yaml"
    catalogue = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue["eldercare.amount_severe"]["values"][dt.date(2020, 7, 1)] = 600
    catalogue["eldercare.amount_moderate"]["regions"] = {"330100": {dt.date(2020, 7, 1): 300}}
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), "utf-8")
    return load_parameters(folder)


def test_the_example_scenario_raises_the_subsidy():
    engine = Engine()
    scenario = load_scenario(EXAMPLE, engine.parameters, set(engine.rules))
    changed = scenario.apply(engine.parameters)
    for county in ("330102", "330702"):
        before = engine.parameters["eldercare.amount_severe"].resolve(DATE, county).value
        after = changed["eldercare.amount_severe"].resolve(DATE, county).value
        assert after > before
    hangzhou = changed["eldercare.amount_moderate"].resolve(DATE, "330102").value
    jinhua = changed["eldercare.amount_moderate"].resolve(DATE, "330702").value
    assert hangzhou > jinhua == engine.parameters["eldercare.amount_moderate"].resolve(
        DATE, "330702"
    ).value


@pytest.mark.lake
def test_a_raised_subsidy_costs_what_a_direct_run_with_the_changed_files_costs(
    small_lake, changed_files
):
    engine = Engine()
    scenario = load_scenario(EXAMPLE, engine.parameters, set(engine.rules))
    programmes = [m.programme for m in measured(engine)]
    assert "eldercare" in programmes
    hours = results.workload()
    simulated = simulate(engine, connect("duckdb"), small_lake, DATE, [scenario])
    direct = simulate(Engine(parameters=changed_files), connect("duckdb"), small_lake, DATE, [])
    mine = results.summary(simulated[scenario.name], programmes, hours)
    base = results.summary(simulated[BASELINE], programmes, hours)
    theirs = results.summary(direct[BASELINE], programmes, hours)
    for level in ("province", "city", "county"):
        for code, figures in theirs[level].items():
            for p in programmes:
                got, want = mine[level][code]["programmes"][p], figures["programmes"][p]
                assert got["annual_cost"] == want["annual_cost"], (level, code, p)
                assert got["households"] == want["households"], (level, code, p)
                assert got["persons"] == want["persons"], (level, code, p)
    province = mine["province"]["330000"]["programmes"]["eldercare"]
    baseline = base["province"]["330000"]["programmes"]["eldercare"]
    assert province["annual_cost"] > baseline["annual_cost"] > 0
    assert province["annual_cost_change"] == province["annual_cost"] - baseline["annual_cost"]
    assert province["amount_changed"] > 0
    # the other programmes cost what they did
    others = [p for p in programmes if p != "eldercare"]
    assert all(
        mine["province"]["330000"]["programmes"][p]["annual_cost_change"] == 0 for p in others
    )
