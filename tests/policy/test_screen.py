"""Screening a whole lake through the command line, on DuckDB and on PySpark (local mode):
the same results folder, household by household, and the same summary by city."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.policy.screen import RESULT_FILES, summarise

pytestmark = pytest.mark.lake
runner = CliRunner()


@pytest.fixture(scope="module")
def screened(small_lake, tmp_path_factory):
    """Each backend's results folder and printed summary, one `minzheng screen` each."""
    runs = {}
    for backend in ("duckdb", "pyspark"):
        out = tmp_path_factory.mktemp("screen") / backend
        args = ["screen", "--lake", str(small_lake), "--date", "2020-12-31", "--out", str(out)]
        result = runner.invoke(app, [*args, "--backend", backend])
        assert result.exit_code == 0, result.output
        runs[backend] = (out, result.output)
    return runs


def _households(out) -> list[dict]:
    rows = [row for path in sorted(out.glob(RESULT_FILES)) for row in _rows(path)]
    return sorted(rows, key=lambda row: row["household_id"])


def _rows(path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_both_backends_write_one_folder_of_parquet_files_per_chunk(screened):
    layouts = {
        backend: sorted({p.parent.name for p in out.glob(RESULT_FILES)})
        for backend, (out, _output) in screened.items()
    }
    assert layouts == {"duckdb": ["part-000"], "pyspark": ["part-000"]}


def test_pyspark_gives_every_household_the_same_results_as_duckdb(screened):
    duckdb_rows = _households(screened["duckdb"][0])
    assert len(duckdb_rows) > 10_000
    assert _households(screened["pyspark"][0]) == duckdb_rows


def test_pyspark_gives_the_same_summary_as_duckdb(screened):
    assert summarise(screened["pyspark"][0]) == summarise(screened["duckdb"][0])


def test_pyspark_prints_the_same_table_as_duckdb(screened):
    tables = {b: output.split("✓")[0].splitlines()[-12:] for b, (_o, output) in screened.items()}
    assert tables["pyspark"] == tables["duckdb"]
