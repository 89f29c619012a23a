"""The minzheng side of the OpenFisca comparison: same Parquet population, same outputs.

python bench/minzheng_dibao.py POPULATION_DIR DATE
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import ibis

from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.policy.household import counties


def main() -> None:
    folder, date = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
    started = time.perf_counter()
    con = connect("duckdb")  # the platform's settings (memory limit, no order preservation)
    persons = con.read_parquet(str(folder / "persons.parquet"))
    households = con.read_parquet(str(folder / "households.parquet"))
    engine = Engine()
    outputs = ["dibao_status", "dibao_monthly_amount"]
    rules = engine.order(outputs)
    params = engine.params_table(date, counties(), engine.params_needed(rules))
    _P, H = engine.build(persons, households, ibis.memtable(params.table), date, rules)
    # steps 1–6 only: the amount of households eligible under step 6
    eligible = H.dibao_status == "eligible"
    results = H.select(
        "household_id",
        "county",
        eligible=eligible,
        amount=ibis.ifelse(eligible, H.dibao_monthly_amount, 0),
    )
    con.to_parquet(results, folder / "minzheng_results.parquet")
    written = con.read_parquet(str(folder / "minzheng_results.parquet"))
    by_county = (
        written.group_by("county")
        .aggregate(caseload=written.eligible.cast("int64").sum(), cost=written.amount.sum())
        .to_pyarrow()
        .to_pylist()
    )
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "eligible": sum(r["caseload"] for r in by_county),
                "cost": str(sum(r["cost"] for r in by_county)),
                "by_county": {r["county"]: [r["caseload"], str(r["cost"])] for r in by_county},
            }
        )
    )


if __name__ == "__main__":
    main()
