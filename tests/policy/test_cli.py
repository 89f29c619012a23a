import datetime as dt
import json
import subprocess
import sys

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


def test_explain_imports_no_ibis_duckdb_arrow_pandas_or_django(household_file, tmp_path):
    """Explain starts in a new process for every call from a script: it must stay free of
    the heavy libraries (Ibis and DuckDB alone take over a second to import)."""
    batch = tmp_path / "households.jsonl"
    batch.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    code = f"""
import contextlib, io, json, sys
from minzheng.cli import app
for extra in ([], ["--json"]):
    for path in ({str(household_file)!r}, {str(batch)!r}):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                app(["explain", "--input", path, "--date", "2020-12-31", *extra])
            except SystemExit as exit:
                assert not exit.code, exit.code
heavy = ("ibis", "duckdb", "pyarrow", "pandas", "numpy", "django", "sqlglot")
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))))
"""
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []


def _explain(path, *args):
    return runner.invoke(app, ["explain", "--input", str(path), "--date", "2020-12-31", *args])


def _member(wage: str) -> dict:
    household = json.loads(json.dumps(GOOD))
    household["members"][0]["income"]["wage"] = wage
    return household


@pytest.fixture
def jsonl(tmp_path):
    """Three households, a blank line and a household with a bad wage (line 5)."""
    path = tmp_path / "households.jsonl"
    lines = [GOOD, _member("99.00"), None, _member("1300"), _member("lots")]
    path.write_text(
        "\n".join("" if h is None else json.dumps(h) for h in lines) + "\n", encoding="utf-8"
    )
    return path


def test_explain_a_json_lines_file_prints_one_json_line_per_household(jsonl):
    result = _explain(jsonl, "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], "error" in r) for r in records] == [
        (1, False),
        (2, False),
        (4, False),
        (5, True),
    ]
    assert records[1]["results"]["dibao"]["status"] == "eligible"
    assert records[0]["household_id"] == "H1"
    assert records[0]["file"] == str(jsonl)


def test_explain_a_bad_household_in_a_batch_names_its_line_and_field(jsonl):
    result = _explain(jsonl, "--json")
    error = json.loads(result.stdout.splitlines()[-1])["error"]
    assert error["code"] == "wrong_type"
    assert error["field"] == "members[0].income.wage"
    assert "lots" in error["message"]


def test_explain_a_batch_with_a_bad_household_exits_1_after_the_others(jsonl):
    result = _explain(jsonl, "--json")
    assert result.exit_code == 1
    assert "1 of 4 households could not be explained" in result.stderr
    assert "Traceback" not in result.output


def test_explain_a_batch_of_good_households_exits_0(tmp_path):
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(_member("10")) + "\n", encoding="utf-8")
    result = _explain(path, "--json")
    assert result.exit_code == 0, result.output
    assert "2 households explained" in result.stderr


def test_explain_a_batch_prints_the_chinese_trees_one_after_another(jsonl):
    result = _explain(jsonl)
    assert result.stdout.count("评估日期 2020-12-31") == 3
    assert f"=== {jsonl}:4 · H1 ===" in result.stdout


def test_explain_a_batch_as_trees_names_the_bad_line_and_field_on_stderr(jsonl):
    result = _explain(jsonl)
    assert f"{jsonl}:5: members[0].income.wage" in result.stderr
    assert result.exit_code == 1


def test_explain_an_invalid_json_line_names_the_file_line_and_column(tmp_path):
    path = tmp_path / "households.jsonl"
    path.write_text(json.dumps(GOOD) + '\n{"household_id": "H2",\n', encoding="utf-8")
    result = _explain(path, "--json")
    error = json.loads(result.stdout.splitlines()[1])
    assert error["line"] == 2
    assert error["error"]["code"] == "bad_json"
    assert "line 2, column 23" in error["error"]["message"]
    assert result.exit_code == 1


def test_explain_an_empty_json_lines_file_is_a_clear_error(tmp_path):
    path = tmp_path / "households.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    result = _explain(path, "--json")
    assert result.exit_code == 1
    assert "holds no household" in result.stderr
    assert "Traceback" not in result.output


def test_explain_an_empty_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "households"
    folder.mkdir()
    result = _explain(folder)
    assert result.exit_code == 1
    assert f"The folder {folder} holds no household file" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def folder(tmp_path):
    """a.json (good), b.jsonl (two good), c.json (bad JSON), notes.txt, a hidden file."""
    folder = tmp_path / "households"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (folder / "b.jsonl").write_text(
        json.dumps(GOOD) + "\n" + json.dumps(_member("1")) + "\n", encoding="utf-8"
    )
    (folder / "c.json").write_text('{"household_id": ', encoding="utf-8")
    (folder / "notes.txt").write_text("call the county", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def test_explain_a_folder_reads_json_and_json_lines_files_in_name_order(folder):
    result = _explain(folder, "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    where = [(r["file"].rsplit("/", 1)[-1], r["line"]) for r in records]
    assert where == [
        ("a.json", None),
        ("b.jsonl", 1),
        ("b.jsonl", 2),
        ("c.json", None),
        ("notes.txt", None),
    ]


def test_explain_a_folder_with_a_file_that_is_not_json_names_it(folder):
    result = _explain(folder)
    assert f"{folder / 'notes.txt'} is not a household file" in result.stderr
    assert f"{folder / 'c.json'} is not valid JSON" in result.stderr
    assert "2 of 5 households could not be explained" in result.stderr
    assert result.exit_code == 1


@pytest.mark.lake
def test_screen_writes_results_and_a_city_summary(small_lake, tmp_path):
    out = tmp_path / "results"
    result = runner.invoke(
        app, ["screen", "--lake", str(small_lake), "--date", "2020-12-31", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    # a small lake is one chunk; the results say what they were computed from
    assert sorted(p.name for p in out.iterdir()) == ["_screen.json", "part-000"]
    source = json.loads((out / "_screen.json").read_text(encoding="utf-8"))
    assert source["lake"] == str(small_lake.resolve()) and source["date"] == "2020-12-31"
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
