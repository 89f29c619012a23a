"""Monitoring (动态监测): the signals and findings counted in every region of every level, and
each region's multidimensional poverty measure, kept per as-of date for the monitoring page
and its trends (aggregates only)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from django.db import transaction

from minzheng.discovery.models import RegionFigures

PREFIXES = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


def _code(village: str, level: str) -> str:
    n = PREFIXES[level]
    return village[:n].ljust(6, "0") if n <= 6 else village[:n]


def counts(findings: Path | None, signals: Path | None) -> dict[str, dict]:
    """region code (every level) → {"signals": {name: n}, "findings": {programme:kind: n}}."""
    import duckdb

    out: dict[str, dict] = defaultdict(lambda: {"signals": {}, "findings": {}})
    sources = []
    if findings is not None:
        sources.append(
            (
                "findings",
                f"SELECT village_code, programme || ':' || kind AS name FROM "
                f"read_parquet('{(Path(findings) / 'part-*' / '*.parquet').as_posix()}')",
            )
        )
    if signals is not None:
        sources.append(
            (
                "signals",
                f"SELECT village_code, signal AS name FROM "
                f"read_parquet('{(Path(signals) / 'signals.parquet').as_posix()}')",
            )
        )
    for key, sql in sources:
        rows = duckdb.sql(
            f"SELECT village_code, name, count(*) FROM ({sql}) GROUP BY ALL"
        ).fetchall()
        for village, name, n in rows:
            for level in PREFIXES:
                bucket = out[_code(village, level)][key]
                bucket[name] = bucket.get(name, 0) + n
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
        RegionFigures(as_of=as_of, code=code, level=_level_of(code), figures=data)
        for code, data in figures.items()
    ]
    with transaction.atomic():
        RegionFigures.objects.filter(as_of=as_of).delete()
        RegionFigures.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _level_of(code: str) -> str:
    from minzheng.regions.levels import level_of_code

    return level_of_code(code).value
