"""One body of rules, every backend: DuckDB and PySpark agree with each other and with a
plain-Python reference calculation, household by household, on a synthetic sample."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.policy.errors import BackendError
from minzheng.policy.lake import lake_inputs, open_feeds
from minzheng.policy.screen import run
from tests.policy.reference import dibao as reference_dibao

pytestmark = pytest.mark.lake
DATE = dt.date(2020, 12, 31)
SAMPLE = ["330102", "330106", "330702", "331127"]  # two districts, a district, a county


@pytest.fixture(scope="module")
def engine():
    return Engine()


def _rows(con, table) -> list[dict]:
    return con.to_pyarrow(table.order_by("household_id")).to_pylist()


@pytest.fixture(scope="module")
def duckdb_rows(engine, small_lake):
    con = connect("duckdb")
    return _rows(con, run(engine, con, small_lake, DATE, SAMPLE))


def test_the_sample_has_every_outcome(duckdb_rows):
    statuses = {r["dibao_status"] for r in duckdb_rows}
    assert {"eligible", "ineligible"} <= statuses
    assert len(duckdb_rows) > 1000


def test_duckdb_agrees_with_the_python_reference(engine, small_lake, duckdb_rows):
    con = connect("duckdb")
    persons, households = lake_inputs(open_feeds(con, small_lake, SAMPLE), DATE)
    members: dict[str, list[dict]] = {}
    for row in con.to_pyarrow(persons).to_pylist():
        members.setdefault(row["household_id"], []).append(row)
    house = {h["household_id"]: h for h in con.to_pyarrow(households).to_pylist()}
    mismatches = []
    for row in duckdb_rows:
        expected = reference_dibao(
            house[row["household_id"]],
            members.get(row["household_id"], []),
            DATE,
            engine.parameters,
        )
        got = {
            "status": row["dibao_status"],
            "amount": row["dibao_monthly_amount"],
            "reasons": [r for r in row["dibao_reasons"].split(",") if r],
        }
        want = {k: expected[k] for k in ("status", "amount", "reasons")}
        if got != want:
            mismatches.append((row["household_id"], got, want))
    assert mismatches == []


def test_pyspark_gives_identical_results(engine, small_lake, duckdb_rows):
    spark = connect("pyspark")
    spark_rows = _rows(spark, run(engine, spark, small_lake, DATE, SAMPLE))
    assert spark_rows == duckdb_rows


def test_an_unknown_backend_is_a_clear_error():
    with pytest.raises(BackendError, match="sqlite"):
        connect("sqlite")
