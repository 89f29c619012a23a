"""The province's multidimensional poverty over a synthetic lake: the measure file loads
against the household table, every level adds up to the province, PySpark agrees."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.discovery import poverty
from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine

pytestmark = pytest.mark.lake
DATE = dt.date(2020, 12, 31)


def _counties(lake) -> list[str]:
    return sorted(p.name.split("=", 1)[1] for p in (lake / "hukou_households").glob("county=*"))


@pytest.fixture(scope="module")
def results(small_lake):
    return poverty.compute(Engine(), connect("duckdb"), small_lake, DATE, _counties(small_lake))


def test_every_level_adds_up_to_the_province(results):
    [province] = results["province"]
    assert province["n"] > 1000 and 0 < province["M0"] < province["H"] < 1
    assert math.isclose(province["M0"], province["H"] * province["A"])
    assert math.isclose(sum(i["contribution"] for i in province["indicators"].values()), 1.0)
    for level in ("city", "county", "township", "village"):
        rows = results[level]
        assert sum(r["n"] for r in rows) == province["n"], level
        weighted = sum(r["n"] * r["M0"] for r in rows) / province["n"]
        assert math.isclose(weighted, province["M0"], rel_tol=1e-9), level
    assert {len(r["code"]) for r in results["village"]} == {12}
    assert {r["code"][4:] for r in results["city"]} == {"00"}


def test_pyspark_gives_the_same_measure(results, small_lake):
    spark = poverty.compute(
        Engine(), connect("pyspark"), small_lake, DATE, _counties(small_lake), ("county",)
    )
    for ours, theirs in zip(results["county"], spark["county"], strict=True):
        assert (
            ours["code"] == theirs["code"] and ours["n"] == theirs["n"] and ours["q"] == theirs["q"]
        )
        assert math.isclose(ours["M0"], theirs["M0"], rel_tol=1e-12)


def test_the_cli_prints_a_level(small_lake):
    done = CliRunner().invoke(
        app,
        ["discover", "mpi", "--date", "2020-12-31", "--level", "city", "--lake", str(small_lake)],
    )
    assert done.exit_code == 0 and "杭州市" in done.output and "M0" in done.output, done.output
    bad = CliRunner().invoke(app, ["discover", "mpi", "--date", "2020-12-31", "--level", "planet"])
    assert bad.exit_code != 0 and "--level planet" in bad.output
