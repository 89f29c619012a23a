"""One body of rules, every backend: DuckDB and PySpark agree with each other and with a
plain-Python reference calculation, household by household, on a synthetic sample."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.policy.backends import connect, spark_session
from minzheng.policy.engine import Engine
from minzheng.policy.errors import BackendError
from minzheng.policy.lake import lake_inputs, open_feeds
from minzheng.policy.screen import run
from tests.policy.reference import dibao as reference_dibao
from tests.policy.reference import eldercare as reference_eldercare

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


def test_duckdb_agrees_with_the_reference_on_the_elder_care_subsidy(
    engine, small_lake, duckdb_rows
):
    con = connect("duckdb")
    persons, households = lake_inputs(open_feeds(con, small_lake, SAMPLE), DATE)
    members: dict[str, list[dict]] = {}
    for row in con.to_pyarrow(persons).to_pylist():
        members.setdefault(row["household_id"], []).append(row)
    house = {h["household_id"]: h for h in con.to_pyarrow(households).to_pylist()}
    mismatches, paid = [], 0
    for row in duckdb_rows:
        expected = reference_eldercare(
            house[row["household_id"]],
            members.get(row["household_id"], []),
            DATE,
            engine.parameters,
        )
        got = (row["eldercare_status"], row["eldercare_monthly_amount"])
        if got != (expected["status"], expected["amount"]):
            mismatches.append((row["household_id"], got, expected))
        paid += expected["status"] == "eligible"
    assert mismatches == []
    assert paid > 0  # the sample has households the subsidy pays


def test_pyspark_gives_identical_results(engine, small_lake, duckdb_rows):
    spark = connect("pyspark")
    spark_rows = _rows(spark, run(engine, spark, small_lake, DATE, SAMPLE))
    assert spark_rows == duckdb_rows


def test_an_unknown_backend_is_a_clear_error():
    with pytest.raises(BackendError, match="sqlite"):
        connect("sqlite")


class _Builder:
    """Records how `spark_session` configures Spark, without starting a JVM."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: dict[str, object] = {"config": {}}
        self.fail = fail

    def remote(self, url):
        self.calls["remote"] = url
        return self

    def master(self, url):
        self.calls["master"] = url
        return self

    def appName(self, name):
        return self

    def config(self, key, value):
        self.calls["config"][key] = value
        return self

    def getOrCreate(self):
        if self.fail:
            raise self.fail
        return self

    @property
    def sparkContext(self):
        return self

    def setLogLevel(self, level):
        pass


@pytest.fixture
def builder(monkeypatch):
    import pyspark.sql

    for name in ("MINZHENG_SPARK_REMOTE", "MINZHENG_SPARK_MASTER", "PYSPARK_GATEWAY_PORT"):
        monkeypatch.delenv(name, raising=False)
    fake = _Builder()
    monkeypatch.setattr(pyspark.sql, "SparkSession", type("SparkSession", (), {"builder": fake}))
    return fake


def test_a_spark_connect_url_from_the_environment_reaches_the_session(builder, monkeypatch):
    monkeypatch.setenv("MINZHENG_SPARK_REMOTE", "sc://spark.example.gov.cn:15002")
    spark_session()
    assert builder.calls["remote"] == "sc://spark.example.gov.cn:15002"


def test_spark_connect_keeps_the_settings_the_results_depend_on(builder, monkeypatch):
    monkeypatch.setenv("MINZHENG_SPARK_REMOTE", "sc://spark.example.gov.cn:15002")
    spark_session()
    assert builder.calls["config"]["spark.sql.session.timeZone"] == "Asia/Shanghai"
    assert "master" not in builder.calls


def test_a_cluster_master_from_the_environment_reaches_the_session(builder, monkeypatch):
    monkeypatch.setenv("MINZHENG_SPARK_MASTER", "spark://spark.example.gov.cn:7077")
    spark_session()
    assert builder.calls["master"] == "spark://spark.example.gov.cn:7077"


def test_a_cluster_keeps_its_own_tuning(builder, monkeypatch):
    monkeypatch.setenv("MINZHENG_SPARK_MASTER", "yarn")
    spark_session()
    assert "spark.sql.shuffle.partitions" not in builder.calls["config"]


def test_a_cluster_takes_the_tuning_it_is_given(builder, monkeypatch):
    monkeypatch.setenv("MINZHENG_SPARK_MASTER", "yarn")
    spark_session(shuffle_partitions="400")
    assert builder.calls["config"]["spark.sql.shuffle.partitions"] == "400"


def test_without_settings_spark_runs_locally_on_two_cores(builder):
    spark_session()
    assert builder.calls["master"] == "local[2]"


def test_local_mode_takes_small_memory_pages(builder):
    spark_session()
    assert builder.calls["config"]["spark.buffer.pageSize"] == "4m"


def test_parameter_tables_reach_spark_through_arrow(builder):
    spark_session()  # so that executors need no Python
    assert builder.calls["config"]["spark.sql.execution.arrow.pyspark.enabled"] == "true"


def test_under_spark_submit_its_master_is_kept(builder, monkeypatch):
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "41234")
    spark_session()
    assert "master" not in builder.calls


def test_a_remote_that_is_not_spark_connect_is_refused(builder, monkeypatch):
    monkeypatch.setenv("MINZHENG_SPARK_REMOTE", "http://spark.example.gov.cn")
    with pytest.raises(BackendError, match="http://spark.example.gov.cn"):
        spark_session()


def test_spark_connect_without_its_client_is_a_clear_error(builder, monkeypatch):
    monkeypatch.setenv("MINZHENG_SPARK_REMOTE", "sc://spark.example.gov.cn:15002")
    builder.fail = ImportError("grpcio >= 1.67.0 must be installed")
    with pytest.raises(BackendError, match=r"pyspark\[connect\]"):
        spark_session()
