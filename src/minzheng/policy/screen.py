"""Screening a whole lake: every household's results, written to Parquet, city by city.

The results folder holds one folder per chunk of counties, `part-NNN/`, each with one or
more Parquet files: one from DuckDB, one per task from Spark, whose executors write their
own files. Readers take `part-*/*.parquet` (Spark's `_SUCCESS` and checksum files are not
Parquet), so the folder reads the same whichever backend wrote it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import ibis
import pyarrow.parquet as pq

from minzheng.policy.engine import Engine
from minzheng.policy.household import counties as all_counties
from minzheng.policy.lake import lake_inputs, lake_manifest, open_feeds

RESULT_FILES = "part-*/*.parquet"  # relative to a results folder, whichever backend wrote it


def household_outputs(engine: Engine) -> list[str]:
    """The household-level outputs of every programme (amounts, status, reasons …)."""
    outputs = []
    for programme in engine.programmes:
        for key, rule in programme.outputs.items():
            if key != "members" and engine.rules[rule].entity == "household":
                outputs.append(rule)
    return [*dict.fromkeys(outputs), "members_counted"]


def inputs(con: ibis.BaseBackend, lake: Path, date: dt.date, counties: list[str]):
    """(persons, households) for some counties: the snapshot's input frame when it was built
    for this date (read as it is), else derived from the feeds."""
    frame = Path(lake) / "_inputs"
    marker = frame / "_date"
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == date.isoformat():
        tables = []
        for name in ("persons", "households"):
            if con.name == "duckdb":
                table = con.read_parquet(
                    str(frame / name / "*" / "*.parquet"),
                    hive_partitioning=True,
                    hive_types_autocast=False,
                )
            else:
                table = con.read_parquet(str(frame / name))
            table = table.mutate(county=table.county.cast("string"))
            tables.append(table.filter(table.county.isin(counties)))
        return tables[0], tables[1]
    return lake_inputs(open_feeds(con, lake, counties), date)


def run(engine: Engine, con: ibis.BaseBackend, lake: Path, date: dt.date, counties: list[str]):
    """The lazy table of results for some counties (nothing is materialised here)."""
    persons, households = inputs(con, lake, date, counties)
    return engine.run(persons, households, date, household_outputs(engine))


def screen(
    engine: Engine,
    con: ibis.BaseBackend,
    lake: Path,
    date: dt.date,
    out: Path,
    progress: Callable[[int, int, str], None] | None = None,
    max_persons: int = 3_000_000,
) -> list[dict]:
    """Write results in chunks of counties into `out` (complete or not at all); memory is
    bounded by the chunk size, not the province. Returns the summary by city."""
    out = Path(out).resolve()
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    chunks = county_chunks(lake, max_persons)
    total = sum(persons for _counties, persons in chunks)
    done = 0
    try:
        for i, (counties, persons) in enumerate(chunks):
            table = run(engine, con, lake, date, counties)
            write_chunk(con, table, tmp / f"part-{i:03d}")
            done += persons
            if progress:
                progress(done, total, counties[-1])
        source = lake_manifest(lake)
        (tmp / "_screen.json").write_text(
            json.dumps(
                {
                    "date": date.isoformat(),
                    "lake": str(Path(lake).resolve()),
                    "snapshot": source.get("snapshot", ""),
                    "snapshot_date": source.get("snapshot_date", ""),
                    "programmes": [p.name for p in engine.programmes],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        if out.exists():
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summarise(out)


def write_chunk(con: ibis.BaseBackend, table: ibis.Table, folder: Path) -> None:
    """One chunk's results as a folder of Parquet files, on any backend."""
    if con.name == "pyspark":
        con.to_parquet(table, folder)  # Spark writes the folder, a file per task
    else:
        folder.mkdir()
        con.to_parquet(table, folder / "part-0.parquet")


def county_chunks(lake: Path, max_persons: int) -> list[tuple[list[str], int]]:
    """Consecutive counties grouped up to `max_persons` residents (from Parquet footers)."""
    chunks: list[tuple[list[str], int]] = []
    current: list[str] = []
    size = 0
    for county in sorted(all_counties()):
        files = (Path(lake) / "hukou_persons" / f"county={county}").glob("*.parquet")
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        if current and size + rows > max_persons:
            chunks.append((current, size))
            current, size = [], 0
        current.append(county)
        size += rows
    if current:
        chunks.append((current, size))
    return chunks


def summarise(results: Path) -> list[dict]:
    """Households, caseloads and costs by city, for the programmes the results hold."""
    pattern = str(Path(results) / RESULT_FILES)
    columns = {
        name
        for (name,) in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{pattern}')")
        .select("column_name")
        .fetchall()
    }
    metrics = {
        "households": "count(*)",
        "dibao_households": "count(*) FILTER (WHERE dibao_status <> 'ineligible')",
        "dibao_persons": "coalesce(sum(members_counted) FILTER "
        "(WHERE dibao_status IN ('eligible', 'gradual_exit')), 0)",
        "dibao_monthly_cost": "sum(dibao_monthly_amount)",
        "dibian_households": "count(*) FILTER (WHERE dibian_status = 'eligible')",
        "tekun_households": "count(*) FILTER (WHERE tekun_status = 'eligible')",
        "monthly_total": "sum(bundle_monthly_total)",
        "one_off_total": "sum(linshi_one_off_amount)",
        "medical_referrals": "sum(referral_medical_count)",
    }
    needs = {
        "dibian_households": "dibian_status",
        "tekun_households": "tekun_status",
        "monthly_total": "bundle_monthly_total",
        "one_off_total": "linshi_one_off_amount",
        "medical_referrals": "referral_medical_count",
    }
    chosen = {k: v for k, v in metrics.items() if needs.get(k, "county") in columns}
    select = ", ".join(f"{v} AS {k}" for k, v in chosen.items())
    rows = duckdb.sql(
        f"SELECT substr(county, 1, 4) || '00' AS city, {select} "
        f"FROM read_parquet('{pattern}') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return [dict(zip(["city", *chosen], row, strict=True)) for row in rows]
