import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from tests.policy.test_inputs import GOOD

runner = CliRunner()
DATE = dt.date(2020, 12, 31)


@pytest.fixture
def household_file(tmp_path):
    path = tmp_path / "household.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    return path


def test_explain_json_has_results_and_a_trace(household_file):
    result = runner.invoke(
        app, ["explain", "--input", str(household_file), "--date", "2020-12-31", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    dibao = data["results"]["dibao"]
    assert set(dibao) >= {"status", "monthly_amount", "per_capita_income", "reasons", "members"}
    # S = 1025 (杭州 2020), wage 1200.50 not employed: P = 1200.50 ≥ S → ineligible
    assert dibao["status"] == "ineligible" and dibao["reasons"] == ["income_above_standard"]
    assert data["trace"]["parameters"]["dibao.standard_monthly"] == {
        "value": "1025.00",
        "since": "2020-07-01",
        "region": "330100",
        "label": "最低生活保障标准",
        "unit": "yuan per person per month",
    }
    assert data["trace"]["rules"]["household_income"]["value"] == "1200.50"


def test_explain_param_applies_a_reform(household_file):
    result = runner.invoke(
        app,
        [
            "explain",
            "--input",
            str(household_file),
            "--date",
            "2020-12-31",
            "--json",
            "--param",
            "dibao.standard_monthly=1300",
        ],
    )
    dibao = json.loads(result.output)["results"]["dibao"]
    assert (dibao["status"], dibao["monthly_amount"]) == ("eligible", "99.50")


def test_explain_prints_a_chinese_tree(household_file):
    result = runner.invoke(app, ["explain", "--input", str(household_file), "--date", "2020-12-31"])
    assert result.exit_code == 0 and "最低生活保障" in result.output and "参数" in result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--param", "dibao.nope=1"], "dibao.nope"),
        (["--param", "dibao.max_homes=many"], "max_homes"),
    ],
)
def test_explain_bad_params_are_named(household_file, args, named):
    result = runner.invoke(
        app, ["explain", "--input", str(household_file), "--date", "2020-12-31", *args]
    )
    assert result.exit_code == 1 and named in result.output


def test_explain_a_bad_date_is_named(household_file):
    result = runner.invoke(app, ["explain", "--input", str(household_file), "--date", "31.12.2020"])
    assert result.exit_code == 1 and "31.12.2020" in result.output


@pytest.mark.lake
def test_screen_writes_results_and_a_city_summary(small_lake, tmp_path):
    out = tmp_path / "results"
    result = runner.invoke(
        app, ["screen", "--lake", str(small_lake), "--date", "2020-12-31", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["part-000"]  # a small lake is one chunk
    assert list((out / "part-000").glob("*.parquet")) != []
    assert "杭州市 330100" in result.output  # cities by name and code
    assert "丽水市 331100" in result.output


@pytest.mark.lake
def test_screen_leaves_no_partial_output(small_lake, tmp_path, monkeypatch):
    from minzheng.policy import screen as screen_module

    real = screen_module.run
    calls = {"n": 0}

    def fail_on_the_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(screen_module, "run", fail_on_the_third)
    out = tmp_path / "results"
    with pytest.raises(RuntimeError, match="disk full"):
        screen_module.screen(Engine(), connect("duckdb"), small_lake, DATE, out, max_persons=10_000)
    assert calls["n"] == 3
    assert list(tmp_path.iterdir()) == []


def test_screen_refuses_a_folder_that_is_not_a_lake(tmp_path):
    result = runner.invoke(
        app,
        ["screen", "--lake", str(tmp_path), "--date", "2020-12-31", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 1 and "_lake.json" in result.output


def test_the_engine_explains_and_runs_with_a_reform_as_data():
    import ibis

    from minzheng.policy.household import parse_household, to_arrow
    from minzheng.policy.reforms import Reform

    engine = Engine()
    explained = engine.explain(GOOD, DATE)["results"]["dibao"]
    assert explained["status"] == "ineligible"
    persons, households = to_arrow(*parse_household(GOOD))
    table = engine.run(
        ibis.memtable(persons),
        ibis.memtable(households),
        DATE,
        ["dibao_status", "dibao_monthly_amount"],
        reform=Reform("提标", {"dibao.standard_monthly": 1300}),
    )
    row = table.to_pyarrow().to_pylist()[0]
    assert (row["dibao_status"], str(row["dibao_monthly_amount"])) == ("eligible", "99.50")


def test_a_reform_can_replace_a_rule_and_keep_its_metadata():
    import ibis

    from minzheng.policy.household import parse_household, to_arrow
    from minzheng.policy.reforms import Reform

    def no_deduction(v):
        return ibis.literal(0).cast("decimal(28, 8)")

    household = json.loads(json.dumps(GOOD))
    household["members"][0]["employed"] = True
    reform = Reform(
        "取消就业扣减", {"dibao.standard_monthly": 1300}, {"employment_deduction": no_deduction}
    )
    persons, households = to_arrow(*parse_household(household))
    base = Engine().run(
        ibis.memtable(persons),
        ibis.memtable(households),
        DATE,
        ["dibao_monthly_amount"],
        reform=Reform("提标", {"dibao.standard_monthly": 1300}),
    )
    reformed = Engine().run(
        ibis.memtable(persons),
        ibis.memtable(households),
        DATE,
        ["dibao_monthly_amount"],
        reform=reform,
    )
    # with the deduction: 1300 − (1200.50 − 390) = 489.50; without: 1300 − 1200.50 = 99.50
    assert str(base.to_pyarrow()["dibao_monthly_amount"][0]) == "489.50"
    assert str(reformed.to_pyarrow()["dibao_monthly_amount"][0]) == "99.50"
    engine = Engine(reform=reform)
    assert engine.rules["employment_deduction"].label == "就业成本扣减"
    explained = engine.explain(household, DATE)
    assert explained["trace"]["rules"]["employment_deduction"]["values"] == {
        household["members"][0]["id"]: "0.00"
    }
