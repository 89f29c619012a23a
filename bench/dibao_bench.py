"""低保 side by side with OpenFisca 46 and a hand-written DuckDB SQL floor, from the same
Parquet population.

    uv sync --group bench && .venv/bin/python bench/dibao_bench.py --persons 1000000 --persons 10000000

For each size: generate a synthetic lake of about that many persons, export the engine's
inputs at the date to persons.parquet / households.parquet (not timed), then run each tool
in its own process (wall time and peak memory of the process tree) and compare every
household's eligibility and amount (within 0.01 yuan; OpenFisca computes in float32).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import ibis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memwatch import run  # noqa: E402

from minzheng.policy.engine import Engine  # noqa: E402
from minzheng.policy.household import counties  # noqa: E402
from minzheng.policy.lake import lake_inputs, open_feeds  # noqa: E402
from minzheng.synth.lake import build_lake, is_lake  # noqa: E402

PROVINCE = 64_567_588
DATE = dt.date(2020, 12, 31)
HERE = Path(__file__).resolve().parent


def prepare(persons: int, root: Path) -> Path:
    folder = root / f"pop-{persons}"
    lake = folder / "lake"
    if not is_lake(lake):
        build_lake(scale=persons / PROVINCE, seed=1, out=lake, force=True)
    if not (folder / "persons.parquet").exists():
        con = ibis.duckdb.connect()
        p, h = lake_inputs(open_feeds(con, lake), DATE)
        con.to_parquet(p, folder / "persons.parquet")
        con.to_parquet(h, folder / "households.parquet")
    engine = Engine()
    standard = engine.parameters["dibao.standard_monthly"]
    shares = {
        n.split(".")[1]: float(engine.parameters[n].resolve(DATE, "330102").value)
        for n in (
            "dibao.employment_deduction_share",
            "dibao.asset_limit_months",
            "dibao.vehicles_allowed",
            "dibao.max_homes",
            "dibao.increment_share",
            "dibao.increment_elderly_age",
        )
    }
    (folder / "parameters.json").write_text(
        json.dumps(
            {
                "standards": {
                    c: float(standard.resolve(DATE, c).value) for c in sorted(counties())
                },
                "shares": shares,
            }
        )
    )
    return folder


def compare(folder: Path) -> dict:
    rows = duckdb.sql(
        f"SELECT count(*), count(*) FILTER (WHERE m.eligible <> o.eligible), "
        f"count(*) FILTER (WHERE abs(m.amount - o.amount::DOUBLE) > 0.01), "
        f"max(abs(m.amount - o.amount::DOUBLE)), sum(m.amount), sum(o.amount::DOUBLE) "
        f"FROM '{folder}/minzheng_results.parquet' m JOIN '{folder}/openfisca_results.parquet' o "
        "USING (household_id)"
    ).fetchall()[0]
    return dict(
        zip(
            [
                "households",
                "status_differ",
                "amount_differ",
                "max_diff",
                "total_minzheng",
                "total_openfisca",
            ],
            rows,
            strict=True,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, action="append", required=True)
    parser.add_argument("--root", type=Path, default=Path("/tmp/minzheng-bench-dibao"))
    args = parser.parse_args()
    table = []
    for n in args.persons:
        folder = prepare(n, args.root)
        out = {}
        for tool, script in (
            ("minzheng", "minzheng_dibao.py"),
            ("openfisca", "openfisca_dibao.py"),
            ("sql", "sql_dibao.py"),
        ):
            secs, gib, result = run(
                [sys.executable, str(HERE / script), str(folder), DATE.isoformat()]
            )
            if result.returncode:
                sys.exit(f"{tool} failed:\n{result.stderr[-3000:]}")
            out[tool] = (secs, gib, json.loads(result.stdout.strip().splitlines()[-1]))
        check = compare(folder)
        check["sql_differ"] = duckdb.sql(
            f"SELECT count(*) FILTER (WHERE m.eligible <> s.eligible OR m.amount <> s.amount) "
            f"FROM '{folder}/minzheng_results.parquet' m JOIN '{folder}/sql_results.parquet' s "
            "USING (household_id)"
        ).fetchall()[0][0]
        persons = out["openfisca"][2]["persons"]
        table.append((persons, out, check))
        print(
            f"{persons:,} persons: minzheng {out['minzheng'][0]:.1f} s / {out['minzheng'][1]:.2f} GiB, "
            f"openfisca {out['openfisca'][0]:.1f} s / {out['openfisca'][1]:.2f} GiB; {check}",
            file=sys.stderr,
        )
    print(
        "| persons | households | minzheng time | OpenFisca time | SQL floor time | speed-up vs OpenFisca | minzheng / SQL floor | minzheng peak | OpenFisca peak | SQL peak | status differ (OpenFisca) | amount differ >0.01 (OpenFisca) | differ from SQL | total cost minzheng | total cost OpenFisca |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for persons, out, check in table:
        (mt, mg, _), (ot, og, _), (st, sg, _) = out["minzheng"], out["openfisca"], out["sql"]
        print(
            f"| {persons:,} | {check['households']:,} | {mt:.1f} s | {ot:.1f} s | {st:.1f} s | {ot / mt:.1f}× | {mt / st:.1f}× | {mg:.2f} GiB | {og:.2f} GiB | {sg:.2f} GiB | "
            f"{check['status_differ']} | {check['amount_differ']} | {check['sql_differ']} | {Decimal(check['total_minzheng']):,.2f} | {check['total_openfisca']:,.2f} |"
        )


if __name__ == "__main__":
    main()
