"""Discovery in one pass (`minzheng discover run`): screening findings, warning signals and
the multidimensional poverty measure from one reading of the lake and one evaluation of the
engine (DuckDB, framework-free).

The lake is taken a chunk of counties at a time (a household lives in one county). Every
query is built and compiled to SQL once, on the first chunk; each later chunk points the
feeds' views at its counties and replays the same SQL. The engine's inputs and each stage of
its rules are materialised once per chunk (`Engine.build`'s checkpoints), and the findings,
the signals and the poverty measure's counts all read them: nothing is computed twice.

The results are those of `discover screen`, `discover signals` and `discover mpi` (a test
compares them row for row) in one folder:

    OUT/findings/   as `discover screen` writes it (part-NNN/part-0.parquet, _findings.json)
    OUT/signals/    as `discover signals` writes it (part-NNN.parquet, _signals.json)
    OUT/mpi.json    the measure of every region of every level (what `discover monitor` keeps)
    OUT/_run.json   the fingerprint of the inputs, the counts and the stages' times

A run whose inputs have the fingerprint of the folder's last run (the lake's manifest and
every file of the feeds it reads, the rule, parameter and measure files, the code of the
engine and of discovery, the date, the case enrolments compared) reuses that run's results
and evaluates nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from minzheng.lib.i18n import TranslatableError, gettext_noop

PREFIX = "discovery_"  # of the views and tables this module makes on its connection
RUN_FILE = "_run.json"
MPI_FILE = "mpi.json"
FORMAT = 1  # of RUN_FILE; a change makes earlier runs stale
PACKAGE = Path(__file__).resolve().parent.parent  # src/minzheng
# What the results depend on besides the lake and the date: the engine (rules, parameters,
# inputs), the feeds' declaration and discovery's own rules and files.
CODE = ("policy", "discovery", "exchange/feeds.py", "regions/levels.py")


class RunError(TranslatableError):
    """A folder that is not the results of a run of the date: the message names it."""


def results_of(
    folder: Path, date: dt.date, measure: bool = True
) -> tuple[Path, Path, dict[str, list[dict]] | None]:
    """(findings folder, signals folder, the poverty measure by level — None unless
    `measure`) of a run on `date`."""
    marker = Path(folder) / RUN_FILE
    try:
        summary = json.loads(marker.read_text(encoding="utf-8"))
        levels = None
        if measure:
            levels = json.loads((Path(folder) / MPI_FILE).read_text(encoding="utf-8"))["levels"]
    except (OSError, ValueError, KeyError):
        raise RunError(
            "not_a_run",
            gettext_noop("%(path)s is not the folder of a discovery run (discover run)."),
            path=str(folder),
        ) from None
    if summary.get("date") != date.isoformat():
        raise RunError(
            "run_of_another_date",
            gettext_noop("The run in %(path)s is of %(run_date)s, not %(date)s."),
            path=str(folder),
            run_date=str(summary.get("date")),
            date=date.isoformat(),
        )
    return Path(folder) / "findings", Path(folder) / "signals", levels


class Plan:
    """Tables made by SQL compiled once and replayed on every chunk."""

    def __init__(self, con) -> None:
        self.con = con
        self.steps: list[tuple[str, str]] = []
        self.seconds: dict[str, float] = {}

    def table(self, name: str, expr):
        """Materialise `expr` as table `name` (compiled now, replayed by `replay`)."""
        sql = self.con.compile(expr)
        self.steps.append((name, sql))
        self._run(name, sql)
        return self.con.table(name)

    def replay(self) -> None:
        for name, sql in self.steps:
            self._run(name, sql)

    def _run(self, name: str, sql: str) -> None:
        started = time.perf_counter()
        self.con.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}').fetchall()
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def drop(self) -> None:
        for name, _sql in self.steps:
            self.con.con.execute(f'DROP TABLE IF EXISTS "{name}"').fetchall()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _point(con, folders: dict[str, Path], counties: list[str]) -> None:
    """(Re)define one view per folder of Parquet files partitioned by county, holding the
    rows of `counties` only (DuckDB reads only their partitions)."""
    wanted = ", ".join(_quote(c) for c in counties)
    for name, folder in folders.items():
        pattern = _quote((folder / "*" / "*.parquet").as_posix())
        con.con.execute(
            f'CREATE OR REPLACE VIEW "{PREFIX}{name}" AS SELECT * FROM read_parquet({pattern}, '
            f"hive_partitioning = true, hive_types_autocast = false) WHERE county IN ({wanted})"
        ).fetchall()


def _views(con, folders: dict[str, Path]) -> dict:
    tables = {}
    for name in folders:
        table = con.table(f"{PREFIX}{name}")
        tables[name] = table.mutate(county=table.county.cast("string"))
    return tables


def _arrow_table(con, name: str, arrow):
    """An Arrow table as a table of the connection (memtables are compiled per query)."""
    con.con.register(f"{name}_arrow", arrow)
    try:
        con.con.execute(
            f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "{name}_arrow"'
        ).fetchall()
    finally:
        con.con.unregister(f"{name}_arrow")
    return con.table(name)


def _hash_files(paths: list[Path], root: Path, digest) -> None:
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def code_digest() -> str:
    """The hash of the code and data files the results depend on (`CODE`)."""
    digest = hashlib.sha256()
    for part in CODE:
        path = PACKAGE / part
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        files = [f for f in files if "__pycache__" not in f.parts and f.suffix != ".pyc"]
        _hash_files(files, PACKAGE, digest)
    return digest.hexdigest()


def lake_digest(lake: Path, folders: list[str]) -> str:
    """The hash of the lake's manifest and of every Parquet file of `folders` (name, size,
    time of change): a new delivery, snapshot or regenerated lake changes it."""
    digest = hashlib.sha256((Path(lake) / "_lake.json").read_bytes())
    for name in sorted(folders):
        for path in sorted((Path(lake) / name).rglob("*.parquet")):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(lake).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


def fingerprint(
    lake: Path,
    date: dt.date,
    rules: Path,
    measure: Path,
    enrolled=None,
    threshold: tuple[float, float] = (0.1, 10.0),
) -> dict[str, str]:
    """What the results depend on, hashed: see the module."""
    from minzheng.discovery import signals
    from minzheng.policy.lake import FEEDS

    rule_set = signals.load_signals(rules)
    folders = [*FEEDS, *signals.feeds_of(rule_set), "_inputs"]
    parts = {
        "format": str(FORMAT),
        "date": date.isoformat(),
        "lake": lake_digest(lake, [f for f in dict.fromkeys(folders) if (lake / f).is_dir()]),
        "signals": hashlib.sha256(Path(rules).read_bytes()).hexdigest(),
        "measure": hashlib.sha256(Path(measure).read_bytes()).hexdigest(),
        "code": code_digest(),
        "cases": "none",
    }
    if enrolled is not None:
        import pyarrow as pa

        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, enrolled.schema) as writer:
            writer.write_table(enrolled)
        parts["cases"] = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
        parts["cases"] += f":{threshold[0]}:{threshold[1]}"
    parts["fingerprint"] = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return parts


def previous(out: Path, wanted: dict[str, str]) -> dict | None:
    """The summary of the folder's last run when its fingerprint is `wanted`'s and its
    results are all there, else None."""
    marker = Path(out) / RUN_FILE
    if not marker.is_file():
        return None
    try:
        summary = json.loads(marker.read_text(encoding="utf-8"))
    except ValueError:
        return None
    complete = all(
        (Path(out) / name).is_file()
        for name in ("findings/_findings.json", "signals/_signals.json", MPI_FILE)
    )
    same = summary.get("fingerprint", {}).get("fingerprint") == wanted["fingerprint"]
    return summary if complete and same else None


def run(
    *,
    lake: Path,
    date: dt.date,
    out: Path,
    engine=None,
    rules: Path | None = None,
    max_persons: int = 3_000_000,
    enrolled=None,
    threshold: tuple[float, float] = (0.1, 10.0),
    reuse: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Findings, signals and the poverty measure of the whole lake on `date` into `out`
    (complete or not at all), or the folder's last results when nothing changed (see the
    module). Returns the summary kept in `out/_run.json` (with `reused`)."""
    from minzheng.discovery import poverty, signals
    from minzheng.policy.lake import lake_manifest

    lake = Path(lake).resolve()
    source = lake_manifest(lake)  # a lake, or a clear refusal
    rules = Path(rules or signals.RULES)
    rule_set = signals.load_signals(rules)
    poverty.measure()  # a broken measure file is refused before the lake is read
    out = Path(out).resolve()
    wanted = fingerprint(lake, date, rules, poverty.MEASURE, enrolled, threshold)
    if reuse:
        summary = previous(out, wanted)
        if summary is not None:
            return summary | {"reused": True}
    started = time.perf_counter()
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "findings").mkdir(parents=True)
    (tmp / "signals").mkdir()
    try:
        figures = _evaluate(
            lake, date, tmp, engine, rule_set, max_persons, enrolled, threshold, progress
        )
        meta = {
            "date": date.isoformat(),
            "lake": str(lake),
            "snapshot": source.get("snapshot", ""),
            "snapshot_date": source.get("snapshot_date", ""),
        }
        _write_json(tmp / "findings" / "_findings.json", meta | {"counts": figures["findings"]})
        _write_json(
            tmp / "signals" / "_signals.json",
            {
                "date": meta["date"],
                "lake": meta["lake"],
                "snapshot_date": meta["snapshot_date"],
                "rules": rule_set.file,
                "counts": figures["signals"],
                "not_evaluated": figures["not_evaluated"],
            },
        )
        _write_json(tmp / MPI_FILE, meta | {"levels": figures["mpi"]}, indent=None)
        summary = meta | {
            "fingerprint": wanted,
            "findings": figures["findings"],
            "signals": figures["signals"],
            "not_evaluated": figures["not_evaluated"],
            "persons": figures["persons"],
            "chunks": figures["chunks"],
            "seconds": figures["seconds"] | {"total": round(time.perf_counter() - started, 1)},
        }
        _write_json(tmp / RUN_FILE, summary)
        if out.exists():
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary | {"reused": False}


def _write_json(path: Path, data: Any, indent: int | None = 2) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")


def _evaluate(lake, date, tmp, engine, rule_set, max_persons, enrolled, threshold, progress):
    """Evaluate every chunk into `tmp`; returns the counts, the measure and the times."""
    import pyarrow.parquet as pq

    from minzheng.discovery import mpi, poverty, screening, signals
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.lake import FEEDS, lake_inputs, open_feeds
    from minzheng.policy.screen import county_chunks

    engine = engine or Engine()
    con = connect("duckdb")
    extra = signals.feeds_of(rule_set)
    unavailable = signals.availability(open_feeds(con, lake, extra=extra), rule_set, date, con)
    names = [*FEEDS, *(n for n in extra if n not in FEEDS and (lake / n).is_dir())]
    folders = {name: lake / name for name in dict.fromkeys(names)}
    frame = lake / "_inputs"
    marker = frame / "_date"
    framed = marker.is_file() and marker.read_text(encoding="utf-8").strip() == date.isoformat()
    if framed:  # a snapshot's input frame built for this date, read as it is
        folders |= {"frame_persons": frame / "persons", "frame_households": frame / "households"}
    chunks = county_chunks(lake, max_persons)
    lake_counties = sorted(c for counties, _n in chunks for c in counties)
    outputs, amounts = screening.engine_outputs(engine)
    rules = engine.order([*outputs, *poverty.RULES])
    params = engine.params_table(
        date, lake_counties, list(dict.fromkeys([*engine.params_needed(rules), poverty.STANDARD]))
    )
    params_table = _arrow_table(con, f"{PREFIX}params", params.table)
    cases = None
    if enrolled is not None and enrolled.num_rows:
        cases = _arrow_table(con, f"{PREFIX}cases", enrolled)
    chosen = poverty.measure()
    plan = Plan(con)
    sums: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {s.name: 0 for s in rule_set.signals if s.name not in unavailable}
    seconds = {"compile": 0.0, "write": 0.0}
    total = sum(n for _c, n in chunks)
    done = 0
    latest: dict[str, Any] = {}  # the engine's last stage of each entity, as materialised

    def checkpoint(table, name: str):
        latest[name[0]] = plan.table(f"{PREFIX}{name}", table)
        return latest[name[0]]

    try:
        for i, (counties, persons) in enumerate(chunks):
            _point(con, folders, counties)
            if i == 0:
                started = time.perf_counter()
                feeds = _views(con, folders)
                if framed:
                    P_in, H_in = feeds["frame_persons"], feeds["frame_households"]
                else:
                    P_in, H_in = lake_inputs(feeds, date)
                P_in = plan.table(f"{PREFIX}persons_in", P_in)
                H_in = plan.table(f"{PREFIX}households_in", H_in)
                P, H = engine.build(P_in, H_in, params_table, date, rules, checkpoint=checkpoint)
                # The last stages as materialised: the parameters joined again only where
                # read (the poverty line of the measure).
                standard = params_table.select("county", f"param__{poverty.STANDARD}")
                P = latest.get("p", P)
                H = latest["h"].join(standard, "county") if "h" in latest else H
                findings = screening.compare(
                    P,
                    H,
                    feeds["enrolments"],
                    feeds["hukou_households"],
                    date,
                    amounts,
                    cases,
                    threshold,
                )
                findings = plan.table(f"{PREFIX}findings", findings)
                poor = mpi.counts(
                    poverty.indicators(P, H, feeds["hukou_households"]), chosen, by=["village"]
                )
                poor = plan.table(f"{PREFIX}mpi", poor)
                raised = signals.signals_table(
                    con,
                    feeds,
                    rule_set,
                    date,
                    skip=set(unavailable),
                    checkpoint=lambda t, name: plan.table(f"{PREFIX}signals_{name}", t),
                )
                raised = None if raised is None else plan.table(f"{PREFIX}signals", raised)
                seconds["compile"] += time.perf_counter() - started - sum(plan.seconds.values())
            else:
                plan.replay()
            started = time.perf_counter()
            (tmp / "findings" / f"part-{i:03d}").mkdir()
            con.to_parquet(findings, tmp / "findings" / f"part-{i:03d}" / "part-0.parquet")
            poverty.accumulate(sums, con.to_pyarrow(poor).to_pylist())
            if raised is not None:
                arrow = con.to_pyarrow(raised)
                pq.write_table(arrow, tmp / "signals" / f"part-{i:03d}.parquet")
                for name in arrow.column("signal").to_pylist():
                    counts[name] += 1
            seconds["write"] += time.perf_counter() - started
            done += persons
            if progress:
                progress(done, total, counties[-1])
    finally:
        plan.drop()
    seconds |= plan.seconds
    return {
        "findings": screening.summary(tmp / "findings"),
        "signals": counts,
        "not_evaluated": unavailable,
        "mpi": poverty.results(sums, chosen),
        "persons": total,
        "chunks": len(chunks),
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
    }
