"""The capability grade the engine reads is the latest assessment's, on the date."""

from __future__ import annotations

import datetime as dt

import ibis

from minzheng.policy.lake import DERIVATIONS


def _grades(date: dt.date) -> dict[str, int]:
    assessments = ibis.memtable(
        {
            "id_number": ["A", "A", "A", "B"],
            "assessed_date": [
                dt.date(2019, 3, 1),
                dt.date(2020, 3, 1),
                dt.date(2021, 3, 1),
                dt.date(2021, 3, 1),
            ],
            "grade": [3, 1, 4, 2],
        }
    )
    derived = DERIVATIONS["elderly_capability"](assessments, ibis.literal(date))
    rows = ibis.duckdb.connect().to_pyarrow(derived).to_pylist()
    return {r["pid"]: r["capability_grade"] for r in rows}


def test_a_reassessment_replaces_the_earlier_grade_better_or_worse():
    assert _grades(dt.date(2020, 12, 31)) == {"A": 1}  # not the higher grade of 2019
    assert _grades(dt.date(2021, 6, 30)) == {"A": 4, "B": 2}


def test_an_assessment_after_the_date_does_not_count_yet():
    assert _grades(dt.date(2019, 2, 28)) == {}
    assert _grades(dt.date(2019, 3, 1)) == {"A": 3}
