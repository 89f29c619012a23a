"""低保 steps 1–6 written by hand in DuckDB SQL: the floor the engine is measured against.

Bench-only. Reads the same Parquet population as the minzheng and OpenFisca runs
(persons.parquet, households.parquet and parameters.json written by dibao_bench.py), computes
every household's eligibility and amount with exact decimals rounded once to the fen, writes
them, and prints the per-county caseload and cost.

    python bench/sql_dibao.py POPULATION_DIR DATE
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import duckdb

MONEY = ("wage", "business", "property", "pension", "transfer", "other")


def main() -> None:
    folder, date = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
    started = time.perf_counter()
    meta = json.loads((folder / "parameters.json").read_text())
    p = meta["shares"]
    con = duckdb.connect(config={"threads": 2, "memory_limit": "6GB"})
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE standard (county VARCHAR, s DECIMAL(12, 2))")
    con.executemany("INSERT INTO standard VALUES (?, ?)", list(meta["standards"].items()))
    income = " + ".join(f"coalesce({m}, 0)" for m in MONEY)
    con.execute(
        f"""
        COPY (
        WITH person AS (
            SELECT p.household_id, h.county, st.s,
                   p.status = 'normal' AS counted,
                   date_diff('year', p.birth_date, DATE '{date}')
                     - CASE WHEN strftime(p.birth_date, '%m%d') > '{date:%m%d}' THEN 1 ELSE 0 END
                     AS age,
                   ({income})
                     - CASE WHEN p.employed THEN least(coalesce(p.wage, 0),
                         {p["employment_deduction_share"]} * st.s) ELSE 0 END AS net,
                   coalesce(p.medical_oop_12m, 0) + coalesce(p.education_12m, 0) AS rigid,
                   coalesce(p.deposits, 0) + coalesce(p.securities, 0) AS assets,
                   p.vehicles, p.commercial_property, p.homes, p.disability_grade,
                   p.serious_illness
            FROM read_parquet('{folder}/persons.parquet') p
            JOIN read_parquet('{folder}/households.parquet') h USING (household_id)
            JOIN standard st ON st.county = h.county
        ),
        household AS (
            SELECT household_id, any_value(county) AS county, any_value(s) AS s,
                   count(*) FILTER (WHERE counted) AS n,
                   greatest(0, 12 * sum(net) FILTER (WHERE counted)
                               - coalesce(sum(rigid) FILTER (WHERE counted), 0)) AS y12,
                   coalesce(sum(assets) FILTER (WHERE counted), 0) AS assets,
                   coalesce(sum(vehicles) FILTER (WHERE counted), 0) AS vehicles,
                   coalesce(sum(commercial_property) FILTER (WHERE counted), 0) AS commercial,
                   coalesce(sum(homes) FILTER (WHERE counted), 0) AS homes,
                   count(*) FILTER (WHERE counted AND (age >= {p["increment_elderly_age"]}
                       OR age < 18 OR disability_grade BETWEEN 1 AND 2 OR serious_illness)) AS k
            FROM person GROUP BY household_id
        )
        SELECT household_id, county,
               n > 0 AND coalesce(y12, 0) < 12 * s * n
                 AND assets <= {p["asset_limit_months"]} * s * n
                 AND vehicles <= {p["vehicles_allowed"]} AND commercial = 0
                 AND homes <= {p["max_homes"]} AS eligible,
               CASE WHEN n > 0 AND coalesce(y12, 0) < 12 * s * n
                 AND assets <= {p["asset_limit_months"]} * s * n
                 AND vehicles <= {p["vehicles_allowed"]} AND commercial = 0
                 AND homes <= {p["max_homes"]}
               -- the amount ×12 exactly, then ÷12 rounded half-up to the fen in integers (a
               -- decimal division in DuckDB is a double)
               THEN CAST((CAST((12 * s * n - coalesce(y12, 0)
                          + 12 * {p["increment_share"]} * s * k) * 100000000 AS HUGEINT) * 100
                          + 600000000) // 1200000000 AS DECIMAL(18, 0)) * 0.01
               ELSE 0 END AS amount
        FROM household
        ) TO '{folder}/sql_results.parquet' (FORMAT parquet)
        """
    )
    rows = con.execute(
        f"SELECT county, count(*) FILTER (WHERE eligible), sum(amount)::DOUBLE "
        f"FROM '{folder}/sql_results.parquet' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    elapsed = time.perf_counter() - started
    persons = con.execute(f"SELECT count(*) FROM '{folder}/persons.parquet'").fetchall()[0][0]
    households = con.execute(f"SELECT count(*) FROM '{folder}/sql_results.parquet'").fetchall()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "households": households[0][0],
                "persons": persons,
                "eligible": sum(r[1] for r in rows),
                "cost": sum(r[2] or 0 for r in rows),
                "by_county": {r[0]: [r[1], r[2]] for r in rows},
            }
        )
    )


if __name__ == "__main__":
    main()
