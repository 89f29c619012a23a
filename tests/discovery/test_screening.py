"""Discovery's screening over a synthetic lake: the findings agree with the register, find
the planted errors, and are the same on DuckDB and PySpark; the CLI runs and scores them."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.discovery import screening
from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine

pytestmark = pytest.mark.lake
DATE = dt.date(2020, 12, 31)


@pytest.fixture(scope="module")
def found(small_lake, tmp_path_factory):
    out = tmp_path_factory.mktemp("discovery") / "findings"
    counts = screening.run(Engine(), connect("duckdb"), small_lake, DATE, out)
    return out, counts


def _rows(folder) -> list[tuple]:
    return duckdb.sql(
        f"SELECT programme, kind, household_id, id_number FROM read_parquet('{folder}/part-*/*.parquet') "
        "ORDER BY ALL"
    ).fetchall()


def test_the_findings_agree_with_the_register(found, small_lake):
    out, counts = found
    assert counts["dibao"][screening.ELIGIBLE_NOT_ENROLLED] > 0
    register = duckdb.sql(
        f"SELECT DISTINCT programme, household_id, id_number FROM "
        f"read_parquet('{small_lake}/enrolments/*/*.parquet', hive_partitioning = true)"
    ).fetchall()
    by_household = {(p, h) for p, h, _i in register}
    by_person = {(p, i) for p, _h, i in register}
    for programme, kind, household, person in _rows(out):
        compared = screening.REGISTER[programme]
        listed = (
            (programme, person) in by_person
            if compared.per_person
            else ((programme, household) in by_household)
        )
        assert listed == (kind == screening.ENROLLED_INELIGIBLE), (programme, kind, household)
        if programme == "dibao" and kind == screening.ELIGIBLE_NOT_ENROLLED:
            assert ("tekun", household) not in by_household  # 特困 covers the household


def test_the_planted_errors_are_found(found, small_lake):
    out, _counts = found
    scores = {(r["programme"], r["kind"]): r for r in screening.score(out, small_lake / "truth")}
    for key in (("dibao", "eligible_not_enrolled"), ("dibao", "enrolled_ineligible")):
        assert scores[key]["planted"] > 0 and scores[key]["recall"] >= 0.9, scores[key]
    assert scores[("disability_care", "enrolled_ineligible")]["recall"] >= 0.9


def test_pyspark_finds_the_same(found, small_lake, tmp_path):
    out, _counts = found
    spark_out = tmp_path / "spark"
    screening.run(Engine(), connect("pyspark"), small_lake, DATE, spark_out)
    assert _rows(spark_out) == _rows(out)


def test_the_cli_screens_and_scores(small_lake, tmp_path):
    runner = CliRunner()
    out = tmp_path / "findings"
    result = runner.invoke(
        app,
        [
            "discover",
            "screen",
            "--date",
            "2020-12-31",
            "--out",
            str(out),
            "--lake",
            str(small_lake),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "dibao" in result.output and (out / "_findings.json").is_file()
    scored = runner.invoke(
        app, ["discover", "score", "--findings", str(out), "--truth", str(small_lake / "truth")]
    )
    assert (
        scored.exit_code == 0 and "| dibao | eligible_not_enrolled | household |" in scored.output
    )


def test_case_enrolments_count_as_enrolled_and_changed_amounts_are_found(
    found, small_lake, tmp_path
):
    import pyarrow as pa

    out, _counts = found
    rows = duckdb.sql(
        f"SELECT household_id, dibao_monthly_amount FROM read_parquet('{out}/part-*/*.parquet') "
        "WHERE programme = 'dibao' AND kind = 'eligible_not_enrolled' AND dibao_monthly_amount > 100 "
        "ORDER BY household_id LIMIT 2"
    ).fetchall()
    (same, same_amount), (more, more_amount) = rows
    enrolled = pa.table(
        {
            "programme": ["dibao", "dibao"],
            "household_id": [same, more],
            "id_number": ["", ""],
            "monthly_amount": pa.array([same_amount, more_amount * 2], pa.decimal128(12, 2)),
        }
    )
    again = tmp_path / "with-cases"
    screening.run(Engine(), connect("duckdb"), small_lake, DATE, again, enrolled=enrolled)
    found_now = {(p, k, h) for p, k, h, _i in _rows(again)}
    assert ("dibao", screening.ELIGIBLE_NOT_ENROLLED, same) not in found_now  # enrolled by a case
    assert ("dibao", screening.ELIGIBLE_NOT_ENROLLED, more) not in found_now
    assert ("dibao", screening.AMOUNT_CHANGED, more) in found_now
    assert ("dibao", screening.AMOUNT_CHANGED, same) not in found_now
