"""The plan's path: its scenario files load, and run year by year on the lake; the
catalogue's own dated standards follow the plan from 2022 on (the scenario changes
nothing then), while 2020's single 800 yuan is below the cities' own standards."""

from __future__ import annotations

import pytest

from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.simulation import plan
from minzheng.simulation.scenarios import load_scenario


def test_the_plan_files_load():
    engine = Engine()
    loaded = [load_scenario(f, engine.parameters, set(engine.rules)) for f in plan.FILES]
    assert [s.date.year for s in loaded] == [2020, 2022, 2025]
    yearly = [o.value * 12 for s in loaded for o in s.overrides if o.parameter.startswith("dibao")]
    assert yearly[0] == 9600 and 11000 <= yearly[1] < 11012 and 13000 <= yearly[2] < 13012


@pytest.mark.lake
def test_the_plan_path_on_the_lake(small_lake):
    years = plan.path(Engine(), connect("duckdb"), small_lake)
    assert [y["year"] for y in years] == [2020, 2022, 2025]
    for y in years:
        assert y["scenario"]["dibao"]["households"] > 0
    first, *later = years
    assert first["scenario"]["dibao"]["annual_cost"] < first["baseline"]["dibao"]["annual_cost"]
    for y in later:
        assert y["scenario"]["dibao"]["annual_cost"] == y["baseline"]["dibao"]["annual_cost"]
        assert y["scenario"]["child"]["annual_cost"] == y["baseline"]["child"]["annual_cost"]
    costs = [y["scenario"]["dibao"]["annual_cost"] for y in years]
    assert costs == sorted(costs)  # a rising standard costs more each time
