"""Raising tasks in bulk (`services.tasks_raise`): set-based, for a million households.

Two halves:

1. **The evidence, on DuckDB.** The findings' and signals' Parquet files are read once into
   a table of evidence items, one row per finding or signal, each with its JSON written by
   SQL exactly as `services.evidence_of` and `services._key` write it in Python (the same
   escaping, key order and separators; a test compares them on awkward values). A
   household's evidence key is then the SHA-256 of its items' canonical JSON sorted and
   joined by newlines — the key of `services._key` — and its priority the sum of its
   signals' weights plus the finding weight. A file whose columns have types this SQL does
   not write as Python does (anything but text, decimals of at most six places, dates,
   integers, booleans and empty columns) is read through `services.evidence_of` instead,
   row by row, and gives the same items.
2. **The tasks, in the database.** One row per household (its key and priority, not its
   evidence) goes into a temporary table (PostgreSQL: `COPY`; SQLite: one `executemany`),
   and a few statements classify every household at once against the open tasks, the
   recent cases and the tasks closed as not needed within the quiet period. Only the
   households that get a new task or new evidence then have their evidence built and
   loaded, and one `INSERT … SELECT` and one `UPDATE … FROM` write them. A second run on
   unchanged results therefore moves keys only and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.db import connection, transaction

STAGING = "discovery_raise_households"
EVIDENCE = "discovery_raise_evidence"
SETTINGS = "discovery_raise_settings"
FIGURES = ("per_capita_income", "dibao_status", "dibao_monthly_amount", "dibao_reasons")
SIGNAL_FIGURES = ("when", "amount")
# Python's json escapes these control characters by their short form, the others as \u00XX.
ESCAPES = {
    code: {8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(code, f"\\u{code:04x}")
    for code in range(32)
}
INTEGERS = {
    f"{sign}{size}"
    for sign in ("", "U")
    for size in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
}
BATCH_ROWS = 100_000
CACHE_KIB = 512 * 1024  # SQLite's page cache while raising


# --- The evidence items in SQL ------------------------------------------------------------


def _text(column: str) -> str:
    """SQL for a text value as `json.dumps(..., ensure_ascii=False)` writes it: quotes and
    backslashes escaped, control characters too (only where there are any: rare)."""
    simple = f"replace(replace({column}, '\\', '\\\\'), '\"', '\\\"')"
    escaped = simple
    for code, escape in ESCAPES.items():
        escaped = f"replace({escaped}, chr({code}), '{escape}')"
    return (
        f"CASE WHEN {column} IS NULL THEN 'null' "
        f"WHEN regexp_matches({column}, '[\\x00-\\x1f]') THEN '\"' || {escaped} || '\"' "
        f"ELSE '\"' || {simple} || '\"' END"
    )


def _value(column: str, kind: str) -> str | None:
    """SQL for a value as `json.dumps(services._json(value))` writes it, or None when the
    column's type is not one this SQL writes exactly as Python does."""
    quoted = f'"{column}"'
    if kind in ('"NULL"', "NULL"):
        return "'null'"
    if kind == "VARCHAR":
        return _text(quoted)
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", kind)
    # str(Decimal) is plain notation up to six places (beyond, zero is written 0E-7).
    if (decimal and int(decimal.group(2)) <= 6) or kind == "DATE":
        return f"""CASE WHEN {quoted} IS NULL THEN 'null' ELSE '"' || CAST({quoted} AS VARCHAR) || '"' END"""
    if kind in INTEGERS:
        return f"coalesce(CAST({quoted} AS VARCHAR), 'null')"
    if kind == "BOOLEAN":
        return f"CASE WHEN {quoted} IS NULL THEN 'null' WHEN {quoted} THEN 'true' ELSE 'false' END"
    return None


def _object(pairs: Iterable[tuple[str, str, bool]]) -> str:
    """SQL for a JSON object of (key, value SQL, whether the key is left out when null)."""
    parts = []
    for key, value, optional in pairs:
        part = f"'\"{key}\": ' || {value}"
        parts.append(f"CASE WHEN {value} <> 'null' THEN {part} END" if optional else part)
    return "'{' || concat_ws(', ', " + ", ".join(parts) + ") || '}'" if parts else "'{}'"


def _item(source: str, what: str, person: str, figures: list[tuple[str, str, bool]]) -> str:
    """SQL for an item's JSON as Python builds it (keys in insertion order, as stored) and
    its canonical form (`sort_keys`, as hashed): two columns."""
    stored = _object(
        [
            ("source", f"'\"{source}\"'", False),
            ("what", what, False),
            ("person", person, False),
            ("figures", _object(figures), False),
        ]
    )
    canonical = _object(
        [
            ("figures", _object(sorted(figures)), False),
            ("person", person, False),
            ("source", f"'\"{source}\"'", False),
            ("what", what, False),
        ]
    )
    return f"{stored} AS item, {canonical} AS canonical"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {
        name: kind for name, kind, *_ in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    }


def _findings_sql(con: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    columns = _columns(con, relation)
    text = ("programme", "kind", "household_id", "id_number", "village_code")
    if any(columns.get(c) not in ("VARCHAR", '"NULL"') for c in text):
        return None  # (a missing one: Python's KeyError, as before)
    values = {c: _value(c, columns[c]) if c in columns else "'null'" for c in FIGURES}
    if any(v is None for v in values.values()):
        return None
    col = {c: f'CAST("{c}" AS VARCHAR)' for c in text}
    # f"{programme}:{kind}" writes a missing one as None
    what = _text(f"coalesce({col['programme']}, 'None') || ':' || coalesce({col['kind']}, 'None')")
    person = _text(f"coalesce({col['id_number']}, '')")
    item = _item("screening", what, person, [(c, str(values[c]), True) for c in FIGURES])
    return (
        f"SELECT {col['household_id']} AS household_id, {col['village_code']} AS village_code, "
        f"'screening' AS source, coalesce({col['programme']}, 'None') || ':' || "
        f"coalesce({col['kind']}, 'None') AS what, coalesce({col['id_number']}, '') AS person, "
        f"NULL AS signal, {item} FROM {relation}"
    )


def _signals_sql(con: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    columns = _columns(con, relation)
    text = ("household_id", "village_code", "id_number", "signal")
    if any(columns.get(c) not in ("VARCHAR", '"NULL"') for c in text):
        return None
    values = {c: _value(c, columns[c]) if c in columns else "'null'" for c in SIGNAL_FIGURES}
    if any(v is None for v in values.values()):
        return None
    col = {c: f'CAST("{c}" AS VARCHAR)' for c in text}
    item = _item(
        "signal",
        _text(col["signal"]),
        _text(col["id_number"]),
        [(c, str(values[c]), False) for c in SIGNAL_FIGURES],
    )
    return (
        f"SELECT {col['household_id']} AS household_id, {col['village_code']} AS village_code, "
        f"'signal' AS source, {col['signal']} AS what, {col['id_number']} AS person, "
        f"{col['signal']} AS signal, {item} FROM {relation}"
    )


def _parquet(folder: Path | None, pattern: str) -> str | None:
    files = sorted(Path(folder).glob(pattern)) if folder is not None else []
    if not files:
        return None
    paths = ", ".join("'" + f.as_posix().replace("'", "''") + "'" for f in files)
    return f"read_parquet([{paths}])"


def _python_items(findings: Path | None, signals: Path | None) -> pa.Table:
    """The items of `services.evidence_of`, row by row: for files of other column types."""
    from minzheng.discovery.services import evidence_of

    rows: dict[str, list] = {
        k: []
        for k in ("household_id", "village_code", "source", "what", "person", "signal")
        + ("item", "canonical")
    }
    for household, info in evidence_of(findings, signals).items():
        for i in info["items"]:
            rows["household_id"].append(household)
            rows["village_code"].append(info["region"])
            rows["source"].append(i["source"])
            rows["what"].append(i["what"])
            rows["person"].append(i["person"])
            rows["signal"].append(i["what"] if i["source"] == "signal" else None)
            rows["item"].append(json.dumps(i, ensure_ascii=False))
            rows["canonical"].append(json.dumps(i, sort_keys=True, ensure_ascii=False))
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})


class Evidence:
    """The findings' and signals' evidence items of a run, held in DuckDB."""

    def __init__(self, findings: Path | None, signals: Path | None):
        self.con = duckdb.connect()
        parts = []
        for folder, pattern, build in (
            (findings, "part-*/*.parquet", _findings_sql),
            (signals, "part-*.parquet", _signals_sql),
        ):
            relation = _parquet(folder, pattern)
            if relation is not None:
                parts.append(build(self.con, relation))
        if any(p is None for p in parts):
            self.con.register("python_items", _python_items(findings, signals))
            select = "SELECT * FROM python_items"
        else:
            select = " UNION ALL ".join(str(p) for p in parts) or (
                "SELECT NULL::VARCHAR AS household_id, NULL::VARCHAR AS village_code, "
                "NULL::VARCHAR AS source, NULL::VARCHAR AS what, NULL::VARCHAR AS person, "
                "NULL::VARCHAR AS signal, NULL::VARCHAR AS item, NULL::VARCHAR AS canonical "
                "WHERE false"
            )
        self.con.execute(f"CREATE TABLE items AS {select}")

    def counties(self) -> list[str]:
        """The counties of the households named (their village's first six digits)."""
        return [
            c
            for (c,) in self.con.sql(
                "SELECT DISTINCT substr(village_code, 1, 6) FROM items ORDER BY 1"
            ).fetchall()
        ]

    def households(self, weights: dict[str, float], finding_weight: dict[str, float]):
        """One row per household: village (the signals' where the rows differ), county,
        source, evidence key and priority, as `services.tasks_raise` defines them; a
        DuckDB relation."""
        self.con.register(
            "weights",
            pa.table({"signal": list(weights), "weight": [float(w) for w in weights.values()]}),
        )
        self.con.register(
            "finding_weights",
            pa.table(
                {
                    "county": list(finding_weight),
                    "weight": [float(w) for w in finding_weight.values()],
                }
            ),
        )
        return self.con.sql(
            """
            WITH per_household AS (
                SELECT household_id,
                       coalesce(max(village_code) FILTER (WHERE source = 'signal'),
                                max(village_code)) AS region_code,
                       count(*) FILTER (WHERE source = 'screening') AS findings,
                       count(*) FILTER (WHERE source = 'signal') AS signals,
                       sha256(string_agg(canonical, chr(10) ORDER BY canonical))
                           AS evidence_key
                FROM items GROUP BY household_id
            ),
            signal_weights AS (
                SELECT household_id, sum(coalesce(w.weight, 0)) AS weight
                FROM (SELECT DISTINCT household_id, signal FROM items
                      WHERE source = 'signal') s
                LEFT JOIN weights w USING (signal)
                GROUP BY household_id
            )
            SELECT h.household_id, h.region_code, substr(h.region_code, 1, 6) AS county,
                   CASE WHEN h.signals > 0 AND h.findings = 0 THEN 'signal'
                        ELSE 'screening' END AS source,
                   h.evidence_key,
                   least(CAST(1.0 AS DOUBLE), coalesce(s.weight, 0)
                         + CASE WHEN h.findings > 0 THEN f.weight ELSE 0 END) AS priority
            FROM per_household h
            LEFT JOIN signal_weights s USING (household_id)
            LEFT JOIN finding_weights f ON f.county = substr(h.region_code, 1, 6)
            ORDER BY h.household_id
            """
        )

    def evidence(self, households: pa.Table | None):
        """The evidence (a JSON list, items in the order source, what, person) of the given
        households (None: of all); a DuckDB relation."""
        if households is None:
            source = "items"
        else:
            self.con.register("wanted", households)
            source = "items SEMI JOIN wanted USING (household_id)"
        return self.con.sql(
            f"""
            SELECT household_id,
                   '[' || string_agg(item, ', '
                                     ORDER BY source, what, person NULLS FIRST, item) || ']'
                       AS evidence
            FROM {source}
            GROUP BY household_id
            """
        )

    def close(self) -> None:
        self.con.close()


# --- The tasks in the database ------------------------------------------------------------


def _batches(relation: Any) -> Iterator[pa.RecordBatch]:
    reader = relation.to_arrow_reader(BATCH_ROWS)
    yield from reader


def load(table: str, columns: list[str], batches: Iterable[pa.RecordBatch]) -> None:
    """Fill a temporary table from Arrow batches: PostgreSQL's COPY, else executemany."""
    import pyarrow.csv as pacsv

    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            options = pacsv.WriteOptions(include_header=False)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
                for batch in batches:
                    buffer = io.BytesIO()
                    pacsv.write_csv(batch.select(columns), buffer, write_options=options)
                    copy.write(buffer.getvalue())
            return
        marks = ", ".join("%s" for _ in columns)
        for batch in batches:
            values = [batch.column(c).to_pylist() for c in columns]
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})", list(zip(*values, strict=True))
            )


def _number_sql(date: dt.date) -> str:
    """SQL for RW<county><date><sequence of the day in the county, six digits or more>."""
    sequence = (
        f"ROW_NUMBER() OVER (PARTITION BY s.county ORDER BY s.household_id{_binary()}) + p.sequence"
    )
    if connection.vendor == "postgresql":
        digits = f"CASE WHEN ({sequence}) < 1000000 THEN lpad(({sequence})::text, 6, '0') ELSE ({sequence})::text END"
    else:
        digits = f"printf('%06d', {sequence})"
    return f"'RW' || s.county || '{date:%Y%m%d}' || {digits}"


def _binary() -> str:
    """Sort text by code point, as Python does (PostgreSQL's collation may not)."""
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


def _execute(sql: str, params: Iterable[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params) or None)
        return cursor.rowcount


def _fetch(sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params) or None)
        return cursor.fetchall()


def create_tables() -> None:
    """The temporary tables of one raising (dropped first if a failed one left them). On
    PostgreSQL without keys: its joins hash them, and an index would slow the COPY."""
    drop_tables()
    postgres = connection.vendor == "postgresql"
    key = "" if postgres else " PRIMARY KEY"
    timestamp = "timestamp with time zone" if postgres else "text"
    date = "date" if postgres else "text"
    _execute(
        f"CREATE TEMPORARY TABLE {STAGING} (household_id text{key}, region_code text NOT NULL, "
        "county text NOT NULL, source text NOT NULL, evidence_key text NOT NULL, "
        "priority double precision NOT NULL, status text, task_id bigint)"
    )
    _execute(f"CREATE TEMPORARY TABLE {EVIDENCE} (household_id text{key}, evidence text NOT NULL)")
    _execute(
        f"CREATE TEMPORARY TABLE {SETTINGS} (county text PRIMARY KEY, "
        f"recent_since {timestamp} NOT NULL, quiet_since {timestamp} NOT NULL, "
        f"due_date {date} NOT NULL, sequence bigint NOT NULL DEFAULT 0)"
    )


def drop_tables() -> None:
    for table in (STAGING, EVIDENCE, SETTINGS):
        _execute(f"DROP TABLE IF EXISTS {table}")


def analyze(table: str) -> None:
    """Statistics for the planner: autovacuum never sees a temporary table."""
    _execute(f"ANALYZE {table}")


def counties_of_cases(case_table: str) -> list[str]:
    """The counties of the staged households' cases (their settings decide "recent")."""
    return [
        c
        for (c,) in _fetch(
            f"SELECT DISTINCT substr(c.region_code, 1, 6) FROM {case_table} c "
            f"WHERE c.household_id IN (SELECT household_id FROM {STAGING})"
        )
    ]


def load_settings(rows: list[tuple[str, dt.datetime, dt.datetime, dt.date]]) -> None:
    """(county, a case since then is recent, closed since then is quiet, due date)."""
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {SETTINGS} (county, recent_since, quiet_since, due_date) "
            "VALUES (%s, %s, %s, %s)",
            [
                (
                    county,
                    ops.adapt_datetimefield_value(recent),
                    ops.adapt_datetimefield_value(quiet),
                    ops.adapt_datefield_value(due),
                )
                for county, recent, quiet, due in rows
            ],
        )


def classify(task_table: str, case_table: str) -> dict[str, int]:
    """Mark every staged household: unchanged or updated (an open task), recent_case,
    quiet, or created — in this order of precedence; returns the counts."""
    _execute(
        f"UPDATE {STAGING} SET task_id = t.id, status = CASE WHEN "
        f"t.evidence_key = {STAGING}.evidence_key THEN 'unchanged' ELSE 'updated' END "
        f"FROM {task_table} t WHERE t.household_id = {STAGING}.household_id "
        "AND t.state IN ('open', 'visiting')"
    )
    _execute(
        f"UPDATE {STAGING} SET status = 'recent_case' WHERE status IS NULL AND EXISTS ("
        f"SELECT 1 FROM {case_table} c JOIN {SETTINGS} p "
        "ON p.county = substr(c.region_code, 1, 6) "
        f"WHERE c.household_id = {STAGING}.household_id AND (c.decided_at IS NULL "
        "OR c.created_at >= p.recent_since OR c.decided_at >= p.recent_since))"
    )
    _execute(
        f"UPDATE {STAGING} SET status = 'quiet' WHERE status IS NULL AND EXISTS ("
        f"SELECT 1 FROM {task_table} t JOIN {SETTINGS} p ON p.county = {STAGING}.county "
        f"WHERE t.household_id = {STAGING}.household_id AND t.state = 'closed' "
        f"AND t.evidence_key = {STAGING}.evidence_key AND t.state_since >= p.quiet_since)"
    )
    _execute(f"UPDATE {STAGING} SET status = 'created' WHERE status IS NULL")
    counts = {"created": 0, "updated": 0, "unchanged": 0, "recent_case": 0, "quiet": 0}
    for status, n in _fetch(f"SELECT status, count(*) FROM {STAGING} GROUP BY status"):
        counts[status] = n
    return counts


def to_write(counts: dict[str, int]) -> pa.Table | None:
    """The households that get a new task or new evidence; None when they are most of them
    (a first raise): then all the evidence is loaded, which costs less than reading a
    million household numbers back."""
    if counts["created"] + counts["updated"] >= sum(counts.values()) / 2:
        return None
    households = [
        h
        for (h,) in _fetch(
            f"SELECT household_id FROM {STAGING} WHERE status IN ('created', 'updated')"
        )
    ]
    return pa.table({"household_id": pa.array(households, pa.string())})


def counties_created() -> list[str]:
    return [c for (c,) in _fetch(f"SELECT DISTINCT county FROM {STAGING} WHERE status = 'created'")]


def set_sequences(sequences: dict[str, int]) -> None:
    """The last sequence number of the day already used in each county."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {SETTINGS} SET sequence = %s WHERE county = %s",
            [(n, county) for county, n in sequences.items()],
        )


def write(task_table: str, *, as_of: dt.date, today: dt.date, now: dt.datetime) -> None:
    """Update the open tasks with new evidence, insert the new tasks, numbered."""
    ops = connection.ops
    json_value = "e.evidence::jsonb" if connection.vendor == "postgresql" else "e.evidence"
    as_of_value = ops.adapt_datefield_value(as_of)
    _execute(
        f"UPDATE {task_table} SET evidence = {json_value}, evidence_key = s.evidence_key, "
        f"priority = s.priority, as_of = %s FROM {STAGING} s JOIN {EVIDENCE} e "
        f"ON e.household_id = s.household_id "
        f"WHERE {task_table}.id = s.task_id AND s.status = 'updated'",
        [as_of_value],
    )
    stamp = ops.adapt_datetimefield_value(now)
    _execute(
        f"INSERT INTO {task_table} (number, household_id, region_code, source, state, as_of, "
        "evidence, evidence_key, priority, due_date, closed_reason, acted_by_id, case_id, "
        f"created_at, state_since) SELECT {_number_sql(today)}, s.household_id, "
        f"s.region_code, s.source, 'open', %s, {json_value}, s.evidence_key, s.priority, "
        "p.due_date, '', NULL, NULL, %s, %s "
        f"FROM {STAGING} s JOIN {EVIDENCE} e ON e.household_id = s.household_id "
        f"JOIN {SETTINGS} p ON p.county = s.county WHERE s.status = 'created' "
        f"ORDER BY s.household_id{_binary()}",
        [as_of_value, stamp, stamp],
    )


def raise_tasks(
    *,
    findings: Path | None,
    signals: Path | None,
    as_of: dt.date,
    today: dt.date,
    now: dt.datetime,
    weights: dict[str, float],
    setting: Callable[[str, str], Any],
    due: Callable[[int], dt.date],
    last_sequence: Callable[[str], int],
) -> dict[str, int]:
    """The whole raising (see the module): `setting(name, county)` resolves a parameter,
    `due(limit)` gives the due date, `last_sequence(county)` the day's last number."""
    evidence = Evidence(findings, signals)
    try:
        counties = evidence.counties()
        households = evidence.households(
            weights, {c: float(setting("discovery.finding_weight", c)) for c in counties}
        )
        # One transaction: a failure leaves nothing behind, the temporary tables included.
        with _sqlite_in_memory(), transaction.atomic():
            counts = _raise_in_database(
                evidence, households, counties, as_of, today, now, setting, due, last_sequence
            )
    finally:
        evidence.close()
    return counts


@contextmanager
def _sqlite_in_memory() -> Iterator[None]:
    """On SQLite, the temporary tables in memory (unless called inside a transaction, where
    SQLite cannot change it) and a larger page cache while raising (SQLite's defaults,
    temporary files and 2 MB, made a million new tasks wait on the disk); the connection's
    own settings again afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    settings = {"cache_size": -CACHE_KIB}
    if not connection.in_atomic_block:
        settings["temp_store"] = 2  # MEMORY
    before = {name: _fetch(f"PRAGMA {name}")[0][0] for name in settings}
    for name, value in settings.items():
        _execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        for name, value in before.items():
            _execute(f"PRAGMA {name} = {int(value)}")


def _raise_in_database(
    evidence, households, counties, as_of, today, now, setting, due, last_sequence
) -> dict[str, int]:
    from minzheng.cases.models import Case
    from minzheng.discovery.models import Task

    tasks, cases = Task._meta.db_table, Case._meta.db_table
    create_tables()
    columns = ["household_id", "region_code", "county", "source", "evidence_key", "priority"]
    load(STAGING, columns, _batches(households))
    if connection.vendor == "postgresql":
        analyze(STAGING)
    known = set(counties) | set(counties_of_cases(cases))
    load_settings(
        [
            (
                county,
                now - dt.timedelta(days=setting("discovery.recent_case_days", county)),
                now - dt.timedelta(days=setting("discovery.quiet_days", county)),
                due(setting("discovery.task_limit", county)),
            )
            for county in sorted(known)
        ]
    )
    counts = classify(tasks, cases)
    if counts["created"] or counts["updated"]:
        wanted = to_write(counts)
        load(EVIDENCE, ["household_id", "evidence"], _batches(evidence.evidence(wanted)))
        if connection.vendor == "postgresql":
            analyze(EVIDENCE)
        set_sequences({c: last_sequence(c) for c in counties_created()})
        write(tasks, as_of=as_of, today=today, now=now)
    drop_tables()
    return counts
