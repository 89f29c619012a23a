"""Who gains and who loses over a whole (small) lake: the distribution of a run adds up to
its persons, a scenario that changes nothing moves nobody, the targeting counts match a
direct count, and an ideal population is an expression or a clear refusal."""

from __future__ import annotations

import datetime as dt

import duckdb
import ibis
import pytest

from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.simulation import analysis
from minzheng.simulation.distribution import SimulationError
from minzheng.simulation.run import simulate
from minzheng.simulation.scenarios import load_scenario

DATE = dt.date(2020, 12, 31)


def test_an_ideal_population_is_an_expression_over_the_household():
    t = ibis.memtable(
        {
            "income": [500.0, 900.0, 1500.0],
            "members": [1, 2, 3],
            "line": [1000.0, 1000.0, 1000.0],
            "older": [True, False, True],
            "child": [False, False, False],
            "disability": [False, True, False],
            "urban": [True, True, False],
        }
    )
    con = connect("duckdb")

    def flags(text):
        column = con.to_pyarrow(t.select(f=analysis.ideal_expression(text, t))).column("f")
        return [(v,) for v in column.to_pylist()]

    assert flags("income < line") == [(True,), (True,), (False,)]
    assert flags("income < 1.5 * line and older") == [(True,), (False,), (False,)]
    assert flags("not urban or disability") == [(False,), (True,), (True,)]
    assert flags("income / members <= 450") == [(False,), (True,), (False,)]
    for bad in ("income <", "__import__('os')", "rent < line", "income < 'a'", "1 < income < 2"):
        with pytest.raises(SimulationError) as caught:
            analysis.ideal_expression(bad, t)
        assert caught.value.code == "bad_ideal"


@pytest.mark.lake
def test_the_distribution_of_a_run(small_lake, tmp_path):
    engine = Engine()
    same, raised = tmp_path / "same.yaml", tmp_path / "raised.yaml"
    same.write_text(
        "name: 不变\ndate: 2020-07-01\nparameters:\n  elderly.allowance_80@330100: 60\n", "utf-8"
    )
    raised.write_text(
        "name: 提高\ndate: 2020-07-01\nparameters:\n  dibao.standard_monthly: 1100\n", "utf-8"
    )
    scenarios = [load_scenario(p, engine.parameters, set(engine.rules)) for p in (same, raised)]
    con, work = connect("duckdb"), tmp_path / "work"
    simulate(engine, con, small_lake, DATE, scenarios, work=work)
    spread = analysis.distribution_of(con, work, ["不变", "提高"], "income < line")
    persons = duckdb.sql(f"SELECT sum(members) FROM '{work}/baseline/*.parquet'").fetchall()[0][0]
    for name in ("不变", "提高"):
        figures = spread[name]
        assert figures["province"]["persons"] == persons
        assert sum(d["persons"] for d in figures["deciles"]) == persons
        assert [d["decile"] for d in figures["deciles"]] == list(range(1, 11))
        assert sum(c["persons"] for c in figures["cities"]) == persons
        assert abs(sum(figures["province"]["bands"].values()) - 1) < 1e-9
        assert 0 < figures["gini"]["before"] < 1
        assert figures["lorenz"]["before"][0] == (0.0, 0.0)
        urban, rural = figures["types"]["urban"], figures["types"]["rural"]
        assert urban["persons"] + rural["persons"] == persons
    unchanged = spread["不变"]
    assert unchanged["province"]["bands"]["no_change"] == 1
    assert unchanged["gini"]["before"] == unchanged["gini"]["after"]
    raised_ = spread["提高"]
    assert raised_["province"]["mean_change"] > 0
    assert raised_["deciles"][0]["mean_change"] > raised_["deciles"][-1]["mean_change"]
    assert raised_["gini"]["after"] < raised_["gini"]["before"]
    # targeting against a direct count over the households' figures
    t = raised_["targeting"]["baseline"]
    covered, ideal, leaked = duckdb.sql(
        "SELECT count(*) FILTER (cov__dibao), count(*) FILTER (income < line), "
        f"count(*) FILTER (cov__dibao AND NOT income < line) FROM '{work}/baseline/*.parquet'"
    ).fetchall()[0]
    assert (t["covered_households"], t["ideal_households"], t["leaked_households"]) == (
        covered,
        ideal,
        leaked,
    )
    assert t["leakage_households"] == pytest.approx(leaked / covered)
    assert raised_["targeting"]["scenario"]["covered_households"] > covered
