"""The Alkire–Foster measure: the published worked example, the properties every
implementation must have, the same numbers on DuckDB and PySpark, and measure files refused
with their file and line."""

from __future__ import annotations

import math
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.discovery.mpi import (
    Indicator,
    Measure,
    MeasureError,
    compute,
    decompose,
    load_measure,
)

FOUR = tuple(Indicator(f"i{j}", f"indicator {j}", "", f"x{j}", "==", 1, 0.25) for j in range(4))


def table(rows: list[list[int]], regions: list[str] | None = None) -> pa.Table:
    columns = {f"x{j}": [r[j] for r in rows] for j in range(4)}
    if regions is not None:
        columns["region"] = regions
    return pa.table(columns)


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def test_the_published_worked_example(con):
    """Alkire & Foster (2011): four people, four indicators of equal weight, deprivation
    counts 2, 4, 0 and 1; with k = 2 of 4 the first two are poor."""
    rows = [[1, 0, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1]]
    [result] = compute(con, ibis.memtable(table(rows)), Measure(FOUR, 0.5))
    assert result["H"] == 0.5 and result["A"] == 0.75 and result["M0"] == 0.375
    ind = result["indicators"]
    assert [ind[f"i{j}"]["uncensored"] for j in range(4)] == [0.5, 0.25, 0.5, 0.5]
    assert [ind[f"i{j}"]["censored"] for j in range(4)] == [0.5, 0.25, 0.5, 0.25]
    assert math.isclose(sum(i["contribution"] for i in ind.values()), 1.0)
    # the union (k = 1/4) counts everyone deprived in anything; the intersection only the first
    [union] = compute(con, ibis.memtable(table(rows)), Measure(FOUR, 0.25))
    [inter] = compute(con, ibis.memtable(table(rows)), Measure(FOUR, 1.0))
    assert union["H"] == 0.75 and inter["H"] == 0.25 and inter["M0"] == 0.25


deprivations = st.lists(
    st.lists(st.integers(0, 1), min_size=4, max_size=4), min_size=1, max_size=40
)
weights = st.lists(st.integers(1, 9), min_size=4, max_size=4)


@settings(max_examples=40, deadline=None)
@given(rows=deprivations, raw=weights, ks=st.lists(st.integers(1, 20), min_size=2, max_size=4))
def test_the_properties_of_the_measure(con, rows, raw, ks):
    total = sum(raw)
    indicators = tuple(
        Indicator(f"i{j}", "", "", f"x{j}", "==", 1, raw[j] / total) for j in range(4)
    )
    regions = [("a", "b", "c")[i % 3] for i in range(len(rows))]
    data = ibis.memtable(table(rows, regions))
    previous = None
    for k in sorted(k / 20 for k in ks):
        measure = Measure(indicators, k)
        [whole] = compute(con, data, measure)
        assert math.isclose(whole["M0"], whole["H"] * whole["A"], abs_tol=1e-12)
        if previous is not None:  # M0 never rises as k rises
            assert whole["M0"] <= previous + 1e-12
        previous = whole["M0"]
        if whole["M0"]:
            contributions = sum(i["contribution"] for i in whole["indicators"].values())
            assert math.isclose(contributions, 1.0)
        groups = compute(con, data, measure, by=["region"])
        weighted = sum(g["n"] / whole["n"] * g["M0"] for g in groups)
        assert math.isclose(weighted, whole["M0"], abs_tol=1e-12)
        if whole["M0"]:
            assert math.isclose(sum(decompose(groups, "region").values()), 1.0)


@pytest.mark.lake
def test_pyspark_gives_the_same_numbers(con):
    from minzheng.policy.backends import connect

    rows = [[1, 0, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1], [1, 1, 0, 0]]
    data = table(rows, ["a", "a", "b", "b", "b"])
    spark = connect("pyspark")
    measure = Measure(FOUR, 0.5)
    on_duckdb = compute(con, ibis.memtable(data), measure, by=["region"])
    on_spark = compute(spark, ibis.memtable(data), measure, by=["region"])
    key = lambda r: r["region"]  # noqa: E731
    assert sorted(on_spark, key=key) == sorted(on_duckdb, key=key)


GOOD = """\
label: test
k: 0.5
indicators:
  - {name: a, column: x0, deprived: "==", cutoff: 1, weight: 0.5}
  - {name: b, column: x1, deprived: "==", cutoff: 1, weight: 0.5}
"""


@pytest.mark.parametrize(
    ("change", "code", "line"),
    [
        (("k: 0.5", "k: 1.5"), "bad_k", 2),
        (("k: 0.5", "k: 0"), "bad_k", 2),
        (("weight: 0.5}\n  - {name: b", "weight: 0.6}\n  - {name: b"), "weights_not_one", 3),
        (("column: x1", "column: nowhere"), "unknown_column", 5),
        (
            (
                'deprived: "==", cutoff: 1, weight: 0.5}\n',
                'deprived: "~", cutoff: 1, weight: 0.5}\n',
            ),
            "bad_operator",
            4,
        ),
        (("weight: 0.5}\n  - {name: b", "weight: -0.5}\n  - {name: b"), "bad_weight", 4),
        (("name: b", "name: a"), "duplicate_indicator", 5),
        (("k: 0.5", "k: [0.5"), "bad_yaml", 3),
    ],
)
def test_a_bad_measure_file_is_refused_naming_the_file_and_line(tmp_path, change, code, line):
    path = tmp_path / "measure.yaml"
    path.write_text(GOOD.replace(*change, 1), encoding="utf-8")
    with pytest.raises(MeasureError) as caught:
        load_measure(path, columns={"x0", "x1"})
    assert caught.value.code == code, caught.value
    assert f"{path} line {line}:" in str(caught.value)


def test_a_good_measure_file_loads(tmp_path):
    path = tmp_path / "measure.yaml"
    path.write_text(GOOD, encoding="utf-8")
    measure = load_measure(path, columns={"x0", "x1"})
    assert measure.k == 0.5 and [i.name for i in measure.indicators] == ["a", "b"]
    assert Path(path).exists()
