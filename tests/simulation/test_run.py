"""A simulation run: a scenario's households are those of a direct run with the parameter
files changed, household by household, though only what its changes reach is evaluated
again; the figures add up; the command line shows them in Chinese and never overwrites a
run."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.policy.parameters import PARAMETER_DIR, load_parameters
from minzheng.simulation import results
from minzheng.simulation.run import ABOUT, BASELINE, figures, outputs_of, reached, simulate
from minzheng.simulation.scenarios import load_scenario

DATE = dt.date(2020, 12, 31)
SCENARIO = """\
name: 标准提高
date: 2020-07-01
parameters:
  dibao.standard_monthly: 1000
  elderly.allowance_80@330100: 80
"""


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenarios") / "raise.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def changed_files(tmp_path_factory):
    """The parameter files as a department would edit them for the same change."""
    folder = tmp_path_factory.mktemp("parameters") / "p"
    shutil.copytree(PARAMETER_DIR, folder)
    dibao = yaml.safe_load((folder / "dibao.yaml").read_text(encoding="utf-8"))
    dibao["dibao.standard_monthly"]["values"] = {dt.date(2020, 7, 1): 1000}
    dibao["dibao.standard_monthly"].pop("regions")
    (folder / "dibao.yaml").write_text(yaml.safe_dump(dibao, allow_unicode=True), "utf-8")
    catalogue = yaml.safe_load((folder / "catalogue.yaml").read_text(encoding="utf-8"))
    catalogue["elderly.allowance_80"]["regions"] = {"330100": {dt.date(2020, 7, 1): 80}}
    (folder / "catalogue.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True), "utf-8")
    return load_parameters(folder)


def _rows(con, table):
    return sorted(con.to_pyarrow(table).to_pylist(), key=lambda r: r["household_id"])


@pytest.mark.lake
def test_a_scenario_is_a_direct_run_with_changed_parameter_files(
    small_lake, scenario_file, changed_files
):
    engine = Engine()
    scenario = load_scenario(scenario_file, engine.parameters, set(engine.rules))
    direct = Engine(parameters=changed_files)
    con_s, con_d = connect("duckdb"), connect("duckdb")
    compared = changed = 0
    for (_c, _n, base, scenario_tables), (_c2, _n2, direct_base, _none) in zip(
        figures(engine, con_s, small_lake, DATE, [scenario]),
        figures(direct, con_d, small_lake, DATE, []),
        strict=True,
    ):
        mine = _rows(con_s, scenario_tables[scenario.name])
        theirs = _rows(con_d, direct_base.drop(*ABOUT))
        baseline = _rows(con_s, base.drop(*ABOUT))
        assert mine == theirs  # household by household, every figure
        compared += len(mine)
        changed += sum(a != b for a, b in zip(mine, baseline, strict=True))
    assert compared > 20_000 and changed > 100  # a real change, over the whole lake


def test_a_scenario_evaluates_only_what_its_changes_reach(tmp_path):
    engine = Engine()
    path = tmp_path / "old.yaml"
    path.write_text(
        "name: 高龄\ndate: 2020-07-01\nparameters:\n  elderly.allowance_90: 150\n", "utf-8"
    )
    scenario = load_scenario(path, engine.parameters, set(engine.rules))
    rules = engine.order(outputs_of(engine))
    reach = {r.name for r in reached(engine, rules, scenario)}
    assert "elderly_allowance" in reach and "elderly_monthly_amount" in reach
    assert "per_capita_income" not in reach and "dibao_status" not in reach
    assert len(reach) < len(rules) / 5


@pytest.mark.lake
def test_the_figures_add_up_and_the_baseline_changes_nothing(small_lake, scenario_file):
    engine = Engine()
    scenario = load_scenario(scenario_file, engine.parameters, set(engine.rules))
    by_county = simulate(engine, connect("duckdb"), small_lake, DATE, [scenario])
    hours = results.workload()
    base = results.summary(by_county[BASELINE], ["dibao", "elderly"], hours)
    mine = results.summary(by_county[scenario.name], ["dibao", "elderly"], hours)
    province = mine["province"]["330000"]["programmes"]["dibao"]
    cities = mine["city"].values()
    assert province["households"] == sum(c["programmes"]["dibao"]["households"] for c in cities)
    assert province["annual_cost"] == sum(c["programmes"]["dibao"]["annual_cost"] for c in cities)
    unchanged = base["province"]["330000"]["programmes"]["dibao"]
    assert unchanged["newly_covered"] == unchanged["newly_excluded"] == 0
    assert unchanged["annual_cost_change"] == 0
    assert province["baseline_households"] == unchanged["households"]
    assert (
        province["households"]
        == unchanged["households"] + province["newly_covered"] - province["newly_excluded"]
    )
    assert province["newly_covered"] > 0 and province["annual_cost_change"] > 0
    assert province["caseworker_hours"] == (
        province["newly_covered"] * hours["hours_per_new_case"]
        + province["amount_changed"] * hours["hours_per_review"]
        + province["newly_excluded"] * hours["hours_per_exit"]
    )
    # the counts against households counted directly over the lake's figures
    con = connect("duckdb")
    total = sum(
        con.to_pyarrow(t.cov__dibao.sum()).as_py()
        for _c, _n, _b, tables in figures(engine, con, small_lake, DATE, [scenario])
        for t in tables.values()
    )
    assert province["households"] == total
    poverty = mine["province"]["330000"]["poverty"]
    assert poverty["rate_after"] <= poverty["rate_before"]


@pytest.mark.lake
def test_the_command_line_shows_chinese_and_never_overwrites(small_lake, scenario_file, tmp_path):
    runner = CliRunner()
    out, xlsx = tmp_path / "run.json", tmp_path / "run.xlsx"
    args = ["simulate", str(scenario_file), "--date", "2020-12-31", "--lake", str(small_lake)]
    ideal = ["--ideal", "income < line"]
    done = runner.invoke(app, [*args, "--out", str(out), "--xlsx", str(xlsx), *ideal])
    assert done.exit_code == 0, done.output
    assert "最低生活保障" in done.output and "覆盖户数" in done.output
    assert "基尼系数" in done.output and "漏出率" in done.output
    run = json.loads(out.read_text(encoding="utf-8"))
    assert set(run["results"]) == {BASELINE, "标准提高"}
    assert "id_number" not in out.read_text(encoding="utf-8")  # aggregates only
    from openpyxl import load_workbook

    sheets = load_workbook(xlsx).sheetnames
    assert sheets[0] == "方案" and "各项目（按市）" in sheets
    assert {"收入十分位", "家庭类型", "基尼系数与洛伦兹曲线", "瞄准"} <= set(sheets)
    assert set(run["distribution"]["标准提高"]) >= {"deciles", "gini", "targeting"}
    early = runner.invoke(app, [*args, "--ideal", "income <"])
    assert early.exit_code == 1 and "理想对象" in early.output
    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 1 and "已存在" in again.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.replace("dibao.standard_monthly", "dibao.nonsense"), "utf-8")
    refused = runner.invoke(
        app, ["simulate", str(bad), "--date", "2020-12-31", "--lake", str(small_lake)]
    )
    assert refused.exit_code == 1 and "bad.yaml" in refused.output
    assert duckdb.sql("SELECT 1").fetchall() == [(1,)]
