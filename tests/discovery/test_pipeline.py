"""Discovery in one pass: the same findings, signals and poverty measure as the separate
commands, row for row; a second run with nothing changed reuses its results; the CLI runs
it and the tasks and monitoring read it."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.discovery import pipeline, poverty, screening, signals
from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine

pytestmark = pytest.mark.lake
DATE = dt.date(2020, 12, 31)
CHUNK = 25_000  # residents: the small lake (about 65,000) in several chunks, to replay the SQL


@pytest.fixture(scope="module")
def separate(small_lake, tmp_path_factory):
    """The three commands' results, each on its own."""
    out = tmp_path_factory.mktemp("separate")
    engine, con = Engine(), connect("duckdb")
    screening.run(engine, con, small_lake, DATE, out / "findings", max_persons=CHUNK)
    signals.run(con, small_lake, DATE, out / "signals", max_persons=CHUNK)
    counties = sorted(p.name.split("=", 1)[1] for p in (small_lake / "hukou_households").glob("*"))
    mpi = poverty.compute(engine, con, small_lake, DATE, counties, max_persons=CHUNK)
    return out, mpi


@pytest.fixture(scope="module")
def one_pass(small_lake, tmp_path_factory):
    out = tmp_path_factory.mktemp("one-pass") / "run"
    summary = pipeline.run(lake=small_lake, date=DATE, out=out, max_persons=CHUNK)
    return out, summary


def _differences(a: str, b: str) -> tuple[int, int, int]:
    """(rows of a, rows of a not in b, rows of b not in a), duplicates counted."""
    rows = duckdb.sql(f"SELECT count(*) FROM {a}").fetchall()[0][0]
    only_a = duckdb.sql(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchall()[0][0]
    only_b = duckdb.sql(f"SELECT count(*) FROM ({b} EXCEPT ALL {a})").fetchall()[0][0]
    return rows, only_a, only_b


def test_the_findings_are_those_of_discover_screen(separate, one_pass):
    (apart, _mpi), (out, summary) = separate, one_pass
    pattern = "findings/part-*/*.parquet"
    rows, only_pass, only_apart = _differences(
        f"(SELECT * FROM read_parquet('{out}/{pattern}'))",
        f"(SELECT * FROM read_parquet('{apart}/{pattern}'))",
    )
    assert rows > 0
    assert (only_pass, only_apart) == (0, 0)
    assert summary["chunks"] > 1
    assert summary["findings"] == screening.summary(apart / "findings")
    kept = json.loads((out / "findings" / "_findings.json").read_text(encoding="utf-8"))
    assert kept["counts"] == summary["findings"] and kept["date"] == DATE.isoformat()


def test_the_signals_are_those_of_discover_signals(separate, one_pass):
    (apart, _mpi), (out, summary) = separate, one_pass
    rows, only_pass, only_apart = _differences(
        f"(SELECT * FROM read_parquet('{out}/signals/part-*.parquet'))",
        f"(SELECT * FROM read_parquet('{apart}/signals/part-*.parquet'))",
    )
    assert rows > 0
    assert (only_pass, only_apart) == (0, 0)
    kept = json.loads((apart / "signals" / "_signals.json").read_text(encoding="utf-8"))
    assert summary["signals"] == kept["counts"]
    assert summary["not_evaluated"] == kept["not_evaluated"]


def test_the_poverty_measure_is_that_of_discover_mpi(separate, one_pass):
    (_apart, mpi), (out, _summary) = separate, one_pass
    kept = json.loads((out / pipeline.MPI_FILE).read_text(encoding="utf-8"))["levels"]
    assert set(kept) == set(poverty.LEVELS)
    for level in poverty.LEVELS:
        assert [r["code"] for r in kept[level]] == [r["code"] for r in mpi[level]], level
        for mine, theirs in zip(kept[level], mpi[level], strict=True):
            assert (mine["n"], mine["q"]) == (theirs["n"], theirs["q"]), mine["code"]
            for key in ("H", "A", "M0"):
                assert mine[key] == pytest.approx(theirs[key], rel=1e-12, abs=1e-15), key
            for name, figures in theirs["indicators"].items():
                assert mine["indicators"][name]["censored"] == pytest.approx(
                    figures["censored"], rel=1e-12, abs=1e-15
                )
    assert kept["province"][0]["n"] > 0


def test_case_enrolments_give_the_findings_of_discover_screen(separate, small_lake, tmp_path):
    apart, _mpi = separate
    ((household, amount),) = duckdb.sql(
        f"SELECT household_id, dibao_monthly_amount FROM "
        f"read_parquet('{apart}/findings/part-*/*.parquet') WHERE programme = 'dibao' AND "
        "kind = 'eligible_not_enrolled' AND dibao_monthly_amount > 100 ORDER BY household_id "
        "LIMIT 1"
    ).fetchall()
    enrolled = pa.table(
        {
            "programme": ["dibao"],
            "household_id": [household],
            "id_number": [""],
            "monthly_amount": pa.array([amount * 2], pa.decimal128(12, 2)),
        }
    )
    screening.run(Engine(), connect("duckdb"), small_lake, DATE, tmp_path / "f", enrolled=enrolled)
    summary = pipeline.run(lake=small_lake, date=DATE, out=tmp_path / "run", enrolled=enrolled)
    pattern = "part-*/*.parquet"
    _rows, only_pass, only_apart = _differences(
        f"(SELECT * FROM read_parquet('{tmp_path}/run/findings/{pattern}'))",
        f"(SELECT * FROM read_parquet('{tmp_path}/f/{pattern}'))",
    )
    assert (only_pass, only_apart) == (0, 0)
    assert summary["findings"]["dibao"][screening.AMOUNT_CHANGED] == 1


def test_a_second_run_with_nothing_changed_reuses_the_results(one_pass, small_lake):
    out, first = one_pass
    before = (out / pipeline.RUN_FILE).stat().st_mtime_ns
    again = pipeline.run(lake=small_lake, date=DATE, out=out, max_persons=CHUNK)
    assert again["reused"] is True and first["reused"] is False
    assert again["fingerprint"] == first["fingerprint"]
    assert again["findings"] == first["findings"] and again["signals"] == first["signals"]
    assert (out / pipeline.RUN_FILE).stat().st_mtime_ns == before  # nothing rewritten


def test_another_date_or_rule_file_is_evaluated_again(small_lake, tmp_path):
    rules = tmp_path / "signals.yaml"
    shutil.copy(signals.RULES, rules)
    base = pipeline.fingerprint(small_lake, DATE, rules, poverty.MEASURE)
    assert pipeline.fingerprint(small_lake, DATE, rules, poverty.MEASURE) == base
    other_day = pipeline.fingerprint(
        small_lake, DATE - dt.timedelta(days=1), rules, poverty.MEASURE
    )
    assert other_day["fingerprint"] != base["fingerprint"] and other_day["lake"] == base["lake"]
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed = pipeline.fingerprint(small_lake, DATE, rules, poverty.MEASURE)
    assert changed["signals"] != base["signals"]
    assert changed["fingerprint"] != base["fingerprint"]


def test_a_changed_feed_file_changes_the_lake_digest(tmp_path):
    lake = tmp_path / "lake"
    folder = lake / "deaths" / "county=330102"
    folder.mkdir(parents=True)
    (lake / "_lake.json").write_text("{}", encoding="utf-8")
    (folder / "part-0.parquet").write_bytes(b"one")
    first = pipeline.lake_digest(lake, ["deaths"])
    assert pipeline.lake_digest(lake, ["deaths"]) == first
    (folder / "part-0.parquet").write_bytes(b"a new delivery")
    assert pipeline.lake_digest(lake, ["deaths"]) != first
    (folder / "part-1.parquet").write_bytes(b"x")
    assert len({first, pipeline.lake_digest(lake, ["deaths"])}) == 2


def test_results_of_refuses_another_date_and_a_folder_that_is_not_a_run(one_pass, tmp_path):
    out, _summary = one_pass
    findings, found_signals, levels = pipeline.results_of(out, DATE)
    assert findings == out / "findings" and found_signals == out / "signals"
    assert levels["province"][0]["code"] == "330000"
    with pytest.raises(pipeline.RunError) as wrong_date:
        pipeline.results_of(out, DATE + dt.timedelta(days=1))
    assert "2021-01-01" in str(wrong_date.value) and str(out) in str(wrong_date.value)
    with pytest.raises(pipeline.RunError) as not_a_run:
        pipeline.results_of(tmp_path, DATE)
    assert str(tmp_path) in str(not_a_run.value)


@pytest.mark.django_db
def test_the_cli_runs_once_then_reuses_and_tasks_and_monitoring_read_the_run(small_lake, tmp_path):
    from minzheng.discovery.models import RegionFigures, Task

    runner = CliRunner()
    out = tmp_path / "run"
    args = ["discover", "run", "--date", "2020-12-31", "--lake", str(small_lake), "--out", str(out)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "dibao" in first.output and "old_alone" in first.output
    assert "nothing changed" not in first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0 and "nothing changed" in second.output, second.output
    tasks = ["discover", "tasks", "--as-of", "2020-12-31", "--run", str(out)]
    raised = runner.invoke(app, tasks)
    assert raised.exit_code == 0, raised.output
    assert Task.objects.count() > 0
    created = Task.objects.count()
    again = runner.invoke(app, tasks)
    assert again.exit_code == 0 and "✓ 0 tasks created" in again.output, again.output
    assert Task.objects.count() == created
    kept = runner.invoke(app, ["discover", "monitor", "--date", "2020-12-31", "--run", str(out)])
    assert kept.exit_code == 0, kept.output
    province = RegionFigures.objects.get(code="330000", as_of=DATE)
    assert province.figures["mpi"]["n"] > 0 and province.figures["signals"]
    wrong = runner.invoke(app, ["discover", "monitor", "--date", "2021-01-01", "--run", str(out)])
    assert wrong.exit_code == 1 and "2020-12-31" in wrong.output
