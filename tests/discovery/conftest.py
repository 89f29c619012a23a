"""Fixtures shared with the case tests (a household of the lake, the frozen clock) and
findings and signals written as discovery writes them."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cases.conftest import clock, home  # noqa: F401 (fixtures)


def findings(folder, rows):
    (folder / "part-000").mkdir(parents=True, exist_ok=True)
    columns = [
        "programme",
        "kind",
        "household_id",
        "id_number",
        "county",
        "per_capita_income",
        "dibao_monthly_amount",
        "dibao_reasons",
        "dibao_status",
        "members_counted",
        "village_code",
    ]
    table = pa.table({c: [r.get(c) for r in rows] for c in columns})
    pq.write_table(table, folder / "part-000" / "data.parquet")
    return folder


def signals(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    columns = ["household_id", "county", "village_code", "id_number", "signal", "when", "amount"]
    pq.write_table(
        pa.table({c: [r.get(c) for r in rows] for c in columns}), folder / "part-000.parquet"
    )
    return folder


@pytest.fixture
def place(lookup, home):  # noqa: F811 (the fixture imported above)
    return lookup.household(home).household["village_code"]


@pytest.fixture
def evidence(tmp_path, home, place):  # noqa: F811
    def make(kind="eligible_not_enrolled", signal="medical_spending", name="run"):
        f = findings(
            tmp_path / name / "findings",
            [
                {
                    "programme": "dibao",
                    "kind": kind,
                    "household_id": home,
                    "id_number": "",
                    "county": place[:6],
                    "per_capita_income": Decimal("512.30"),
                    "dibao_status": "eligible",
                    "village_code": place,
                },
                {
                    "programme": "dibao",
                    "kind": kind,
                    "household_id": "H3301020099999",
                    "id_number": "",
                    "county": "330102",
                    "village_code": place,
                },
            ],
        )
        s = signals(
            tmp_path / name / "signals",
            [
                {
                    "household_id": home,
                    "county": place[:6],
                    "village_code": place,
                    "id_number": "330102195001010011",
                    "signal": signal,
                    "when": dt.date(2020, 11, 1),
                    "amount": Decimal("31000.00"),
                }
            ],
        )
        return f, s

    return make
