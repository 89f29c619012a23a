"""Snapshots: the deliveries current at a date turned into one immutable, versioned lake
(framework-free).

A snapshot is a folder in the lake layout every reader already knows
(`<feed>/county=<code>/*.parquet` and `_lake.json`), plus the verification lookup index
(`_index.duckdb`) and the engine's input frame at the snapshot's date
(`_inputs/persons/county=<code>/` and `_inputs/households/county=<code>/`). It is built in
a hidden folder and moved into place whole; `CURRENT` names the snapshot in use and is
replaced only once the new one is complete, so an interrupted build leaves the previous
snapshot intact and in use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from minzheng import __version__
from minzheng.exchange.feeds import ENGINE_FEEDS, FEEDS, arrow_schema
from minzheng.lib.i18n import TranslatableError, gettext_noop

CURRENT = "CURRENT"
INPUTS = "_inputs"


class SnapshotError(TranslatableError):
    """A snapshot that cannot be built or found."""


def snapshots_dir(store: Path) -> Path:
    return Path(store) / "snapshots"


def current(store: Path) -> Path | None:
    """The snapshot in use, or None when none has been built."""
    marker = snapshots_dir(store) / CURRENT
    if not marker.is_file():
        return None
    name = marker.read_text(encoding="utf-8").strip()
    path = snapshots_dir(store) / name
    return path if path.is_dir() else None


def resolve(store: Path, name: str | None = None) -> Path:
    """A snapshot by name (default: the one in use), or a clear error."""
    if name is None:
        path = current(store)
        if path is None:
            raise SnapshotError(
                "no_snapshot",
                gettext_noop("No snapshot has been built yet (minzheng snapshot build)."),
            )
        return path
    path = snapshots_dir(store) / name
    if "/" in name or name.startswith(".") or not (path / "_lake.json").is_file():
        raise SnapshotError(
            "unknown_snapshot", gettext_noop("%(name)s is not a snapshot."), name=name[:40]
        )
    return path


def build(
    store: Path,
    name: str,
    as_of: dt.date,
    sources: dict[str, list[tuple[Path, list[str]]]],
    *,
    lineage: dict | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    threads: int = 2,
) -> dict:
    """Write snapshot `name` from `sources` (feed → [(a delivery's accepted folder, counties
    taken from it)]), then its lookup index and input frame; make it current. Returns its
    manifest."""
    from minzheng.verification.lookup import build_index

    root = snapshots_dir(store)
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    if final.exists():
        raise SnapshotError(
            "snapshot_exists", gettext_noop("The snapshot %(name)s exists already."), name=name
        )
    for stale in root.glob(".*.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted build
    tmp = root / f".{name}.tmp-{os.getpid()}"
    tmp.mkdir()
    steps = len(FEEDS) + 2
    try:
        rows = {}
        for i, feed_name in enumerate(FEEDS, start=1):
            rows[feed_name] = _write_feed(tmp / feed_name, feed_name, sources.get(feed_name, []))
            if progress:
                progress(i, steps, feed_name)
        manifest = {
            "format": "minzheng-lake",
            "version": 1,
            "generator": f"minzheng.exchange {__version__}",
            "snapshot": name,
            "snapshot_date": as_of.isoformat(),
            "partitioning": "hive: county=<6-digit county code>",
            "tables": {
                f: {"rows": rows[f], "department": FEEDS[f].department} for f in sorted(FEEDS)
            },
            "missing": sorted(f for f in FEEDS if not sources.get(f)),
            "lineage": lineage or {},
        }
        (tmp / "_lake.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        build_index(tmp, threads=threads)
        if progress:
            progress(steps - 1, steps, "index")
        build_inputs(tmp, as_of)
        if progress:
            progress(steps, steps, "inputs")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    marker = root / f".{CURRENT}.tmp-{os.getpid()}"
    marker.write_text(name + "\n", encoding="utf-8")
    os.replace(marker, root / CURRENT)
    return manifest


def _write_feed(folder: Path, feed_name: str, parts: list[tuple[Path, list[str]]]) -> int:
    """The feed's rows from its deliveries, partitioned by county: each county's files of
    the delivery that covers it, hard-linked (deliveries and snapshots are never changed
    in place, so they share the bytes)."""
    feed = FEEDS[feed_name]
    rows = 0
    for source, counties in parts:
        tag = source.parent.name  # the delivery's folder: files of two deliveries differ
        for county in counties:
            target = folder / f"county={county}"
            for file in sorted((source / f"county={county}").glob("*.parquet")):
                target.mkdir(parents=True, exist_ok=True)
                _link(file, target / f"{tag}-{file.name}")
                rows += pq.read_metadata(file).num_rows
    if not rows:
        # No delivery yet: an empty table of the declared columns, so that readers still
        # find every feed (the manifest lists it as missing).
        shutil.rmtree(folder, ignore_errors=True)
        target = folder / "county=000000"
        target.mkdir(parents=True)
        empty = pa.Table.from_pylist([], arrow_schema(feed)).drop_columns(["county"])
        pq.write_table(empty, target / "data_0.parquet")
    return rows


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system: a copy
        shutil.copyfile(source, target)


def build_inputs(lake: Path, as_of: dt.date, max_persons: int = 3_000_000) -> None:
    """The engine's per-person and per-household inputs at `as_of`, one row per person
    sorted by household, partitioned by county (what screening at that date reads), built
    in chunks of counties as screening is, so that memory stays bounded."""
    import ibis

    from minzheng.policy.backends import connect
    from minzheng.policy.lake import lake_inputs, open_feeds
    from minzheng.policy.screen import county_chunks

    con = connect("duckdb", threads=2)
    con.raw_sql("SET enable_progress_bar = false")
    for i, (counties, _persons) in enumerate(county_chunks(lake, max_persons)):
        persons, households = lake_inputs(open_feeds(con, lake, counties), as_of)
        for name, table, order in (
            ("persons", persons, ["county", "household_id", "person_id"]),
            ("households", households, ["county", "household_id"]),
        ):
            folder = Path(lake) / INPUTS / name
            folder.mkdir(parents=True, exist_ok=True)
            sql = ibis.to_sql(table.order_by(order), dialect="duckdb")
            con.raw_sql(
                f"COPY ({sql}) TO '{folder.as_posix()}' (FORMAT parquet, PARTITION_BY (county), "
                f"COMPRESSION zstd, OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'part_{i}_{{i}}')"
            )
    (Path(lake) / INPUTS / "_date").write_text(as_of.isoformat() + "\n", encoding="utf-8")


def prune(store: Path, keep: int) -> list[str]:
    """Delete all but the `keep` newest snapshots (never the one in use); their names."""
    root = snapshots_dir(store)
    in_use = current(store)
    names = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
        reverse=True,
    )
    removed = []
    for path in names[keep:]:
        if in_use is not None and path.resolve() == in_use.resolve():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


__all__ = ["ENGINE_FEEDS", "build", "current", "prune", "resolve"]
