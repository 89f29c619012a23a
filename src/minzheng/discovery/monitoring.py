"""Monitoring (动态监测): the signals and findings counted in every region of every level, and
each region's multidimensional poverty measure, kept per as-of date for the monitoring page
and its trends (aggregates only)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from django.db import transaction

from minzheng.discovery.models import RegionFigures
from minzheng.regions.levels import Level, code_at, level_of_code


def counts(findings: Path | None, signals: Path | None) -> dict[str, dict]:
    """region code (every level) → {"signals": {name: n}, "findings": {programme:kind: n}}."""
    import duckdb

    out: dict[str, dict] = defaultdict(lambda: {"signals": {}, "findings": {}})
    sources = (
        ("findings", findings, "part-*/*.parquet", "programme || ':' || kind"),
        ("signals", signals, "part-*.parquet", "signal"),
    )
    for key, folder, pattern, name in sources:
        if folder is None or not list(Path(folder).glob(pattern)):
            continue  # not given, or nothing found
        files = (Path(folder) / pattern).as_posix()
        rows = duckdb.sql(
            f"SELECT village_code, {name} AS name, count(*) FROM read_parquet('{files}') "
            "GROUP BY ALL"
        ).fetchall()
        for village, label, n in rows:
            for level in Level:
                bucket = out[code_at(village, level)][key]
                bucket[label] = bucket.get(label, 0) + n
    return out


def record(
    as_of: dt.date,
    findings: Path | None = None,
    signals: Path | None = None,
    mpi: dict[str, list[dict]] | None = None,
) -> int:
    """Keep the figures of every region for `as_of` (replacing those of an earlier run of the
    same date); returns how many regions."""
    figures = counts(findings, signals)
    for rows in (mpi or {}).values():
        for r in rows:
            entry = figures[r["code"]]
            entry["mpi"] = {k: r[k] for k in ("n", "q", "H", "A", "M0")} | {
                "contributions": {name: i["contribution"] for name, i in r["indicators"].items()},
                "censored": {name: i["censored"] for name, i in r["indicators"].items()},
            }
    rows = [
        RegionFigures(as_of=as_of, code=code, level=level_of_code(code).value, figures=data)
        for code, data in figures.items()
    ]
    with transaction.atomic():
        RegionFigures.objects.filter(as_of=as_of).delete()
        RegionFigures.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
