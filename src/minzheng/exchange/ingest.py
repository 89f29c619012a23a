"""Reading one department delivery and validating every row against its feed's declaration
(framework-free).

A file (CSV in UTF-8 or GBK/GB18030, Excel, Parquet) is read as text, its headers mapped to
the declared columns, and every row either typed and accepted or quarantined with its
reasons — never dropped: `accepted + quarantined == rows` always. The work is set-based in
DuckDB, so a delivery of millions of rows is validated in seconds. The Django layer
(`minzheng.exchange.services`) records the delivery, its lineage and its as-of rules.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from minzheng.exchange.feeds import DUCKDB_TYPES, FEEDS, Column, Feed
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten
from minzheng.lib.idcard import CHECK_CHARS, WEIGHTS
from minzheng.policy.backends import duckdb_memory

LINE = "_line"  # the row's line in the file (CSV: physical line; Excel: sheet row)
# In a corrected quarantine file (minzheng feed quarantine --out): the line it corrects.
SOURCE_LINE = "source_line"
ACCEPTED = "accepted"  # a delivery's loaded rows: accepted/county=<code>/*.parquet
REASONS = "quarantine_reasons"  # …and why it was quarantined (read by people, not loaded)
SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
}
ENCODINGS = ("utf-8", "gb18030")  # GB18030 reads every GBK and GB2312 file
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")
TRUE = ("true", "t", "1", "y", "yes", "是")
FALSE = ("false", "f", "0", "n", "no", "否")
EARLIEST = dt.date(1900, 1, 1)
NO_REASONS = 'CAST([] AS STRUCT(code VARCHAR, "column" VARCHAR, value VARCHAR)[])'
# Columns the loader sets itself: the sender (from the declaration) and the delivery's date.
SET_BY_LOADER = ("department", "snapshot_date")


class IngestError(TranslatableError):
    """The whole file is refused (nothing is loaded): the message names file, line, column."""


@dataclass
class Mapping:
    """How one department's headers and codes map to a feed's declared columns."""

    columns: dict[str, str] = field(default_factory=dict)  # header → declared column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column → code → code

    @classmethod
    def load(cls, path: Path, feed: str) -> Mapping:
        """The feed's section of a department's mapping file (YAML):
        `feeds: {FEED: {columns: {header: column}, values: {column: {their: ours}}}}`."""
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise IngestError(
                "bad_mapping",
                gettext_noop("The mapping file %(file)s cannot be read: %(error)s"),
                file=Path(path).name,
                error=shorten(str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
            ) from None
        section = (raw or {}).get("feeds", {}).get(feed) if isinstance(raw, dict) else None
        if not isinstance(section, dict):
            raise IngestError(
                "mapping_without_feed",
                gettext_noop("The mapping file %(file)s has no section for the feed %(feed)s."),
                file=Path(path).name,
                feed=feed,
            )
        columns = {str(k).strip(): str(v) for k, v in (section.get("columns") or {}).items()}
        values = {
            str(c): {str(k): str(v) for k, v in (codes or {}).items()}
            for c, codes in (section.get("values") or {}).items()
        }
        declared = FEEDS[feed].column_names
        for target in [*columns.values(), *values]:
            if target not in declared:
                raise IngestError(
                    "mapping_unknown_column",
                    gettext_noop(
                        "The mapping file %(file)s maps to %(column)s, which the feed %(feed)s "
                        "does not have."
                    ),
                    file=Path(path).name,
                    column=target,
                    feed=feed,
                )
        return cls(columns, values)


@dataclass
class Result:
    feed: str
    rows: int
    accepted: int
    quarantined: int
    counties: list[str]
    encoding: str | None
    reasons: dict[str, int]  # reason code → rows (a row may have several)
    resolved: list[int]  # a correction's accepted rows: the quarantined lines they correct


def sha256(path: Path) -> str:
    """The file's SHA-256; for a folder (a Parquet dataset), of its files' names and bytes."""
    import hashlib

    digest = hashlib.sha256()
    files = (
        sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [path]
    )
    for file in files:
        if Path(path).is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """UTF-8 when every byte decodes as UTF-8, else GB18030; else an error naming the line."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        line = 1
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    line += decoder.decode(chunk).count("\n")
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise IngestError(
        "bad_encoding",
        gettext_noop(
            "%(file)s is neither UTF-8 nor GBK/GB18030 text (the first undecodable byte is on "
            "line %(line)s); give its encoding with --encoding."
        ),
        file=Path(path).name,
        line=line,
    )


def read_file(path: Path, encoding: str | None = None) -> tuple[pa.Table, list[str], str | None]:
    """(every row as text with its line number, the headers, the encoding read)."""
    path = Path(path)
    if path.is_dir():
        table, headers = _read_parquet(path)
        return table, headers, None
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise IngestError(
            "unknown_format",
            gettext_noop("%(file)s: unknown file type %(suffix)s (CSV, Excel .xlsx or Parquet)."),
            file=path.name,
            suffix=path.suffix or "—",
        )
    if path.stat().st_size == 0:
        raise IngestError("empty_file", gettext_noop("%(file)s is empty."), file=path.name)
    if kind == "csv":
        table, headers, encoding = _read_csv(path, encoding)
    elif kind == "excel":
        table, headers = _read_excel(path)
    else:
        table, headers = _read_parquet(path)
    if table.num_rows == 0:
        raise IngestError(
            "no_rows", gettext_noop("%(file)s has headers but no rows."), file=path.name
        )
    return table, headers, encoding


def _read_csv(path: Path, encoding: str | None) -> tuple[pa.Table, list[str], str]:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise IngestError(
                "unknown_encoding",
                gettext_noop("--encoding %(encoding)s: not an encoding (UTF-8, GBK, GB18030)."),
                encoding=shorten(encoding),
            ) from None
    encoding = encoding or detect_encoding(path)
    with open(path, encoding=encoding, errors="strict", newline="") as handle:
        import csv

        try:
            headers = next(csv.reader(handle), [])
        except UnicodeDecodeError:
            raise IngestError(
                "bad_encoding",
                gettext_noop("%(file)s cannot be read as %(encoding)s."),
                file=path.name,
                encoding=encoding,
            ) from None
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    _check_headers(path, headers)
    bad: list[tuple[int | None, str]] = []

    def invalid(row) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                column_names=headers,
                skip_rows=1,
                block_size=1 << 24,
                use_threads=False,  # malformed lines then carry their line number
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=invalid, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in headers},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise IngestError(
            "unreadable_csv",
            gettext_noop("%(file)s cannot be read as CSV: %(error)s"),
            file=path.name,
            error=shorten(str(exc).splitlines()[0]),
        ) from None
    # Every physical line after the header is a row or a malformed line (no blank line is
    # skipped), so the rows' lines are the lines not taken by malformed ones.
    bad_lines = {n for n, _ in bad if n is not None}
    total = table.num_rows + len(bad)
    lines = [n for n in range(2, total + 2) if n not in bad_lines][: table.num_rows]
    table = table.append_column(LINE, pa.array(lines, pa.int64()))
    if bad:
        malformed = pa.table(
            {h: pa.array([None] * len(bad), pa.string()) for h in headers}
            | {LINE: pa.array([n for n, _ in bad], pa.int64())}
        )
        table = pa.concat_tables([table, malformed])
        table = table.append_column(
            "_malformed",
            pa.array([None] * (table.num_rows - len(bad)) + [shorten(t) for _, t in bad]),
        )
    return table, headers, encoding


def _read_excel(path: Path) -> tuple[pa.Table, list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise IngestError(
            "unreadable_excel",
            gettext_noop("%(file)s cannot be read as an Excel workbook: %(error)s"),
            file=path.name,
            error=shorten(str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
        ) from None
    start = next((i for i, r in enumerate(rows) if any(v not in ("", None) for v in r)), None)
    if start is None:
        raise IngestError("empty_file", gettext_noop("%(file)s is empty."), file=path.name)
    headers = [str(h).strip() for h in rows[start]]
    while headers and headers[-1] == "":
        headers.pop()
    _check_headers(path, headers)
    body = rows[start + 1 :]
    while body and all(v is None or str(v).strip() == "" for v in body[-1]):
        body.pop()  # rows left wholly empty at the end of a sheet (formatting) are not rows
    columns = {h: [_cell(r[i]) if i < len(r) else "" for r in body] for i, h in enumerate(headers)}
    columns[LINE] = list(range(start + 2, start + 2 + len(body)))
    table = pa.table(
        {k: pa.array(v, pa.int64() if k == LINE else pa.string()) for k, v in columns.items()}
    )
    return table, headers


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class ParquetSource:
    """A Parquet file or Hive-partitioned folder read by DuckDB as it streams (never whole
    in memory): every column as stored, with the row's position in the dataset."""

    sql: str
    num_rows: int
    column_names: list[str]


def _read_parquet(path: Path) -> tuple[ParquetSource, list[str]]:
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    try:
        metas = [pq.read_metadata(f) for f in files]
        schema = pq.read_schema(files[0]) if files else pa.schema([])
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(
            "unreadable_parquet",
            gettext_noop("%(file)s cannot be read as Parquet: %(error)s"),
            file=path.name,
            error=shorten(str(exc).splitlines()[0]),
        ) from None
    headers = list(schema.names)
    hive = path.is_dir() and any("=" in f.parent.name for f in files)
    if hive:
        headers += [
            f.parent.name.split("=")[0]
            for f in files[:1]
            if f.parent.name.split("=")[0] not in headers
        ]
    _check_headers(path, headers)
    total = sum(m.num_rows for m in metas)
    if total == 0:
        raise IngestError(
            "no_rows", gettext_noop("%(file)s has headers but no rows."), file=path.name
        )
    # The row's position in the dataset: its file's offset (files in name order) plus its
    # row in the file.
    offsets, start = [], 0
    for f, m in zip(files, metas, strict=True):
        offsets.append(f"WHEN {_lit(f.as_posix())} THEN {start}")
        start += m.num_rows
    line = (
        f"(CASE filename {' '.join(offsets)} END + file_row_number + 1)"
        if len(files) > 1
        else "(file_row_number + 1)"
    )
    listing = "[" + ", ".join(_lit(f.as_posix()) for f in files) + "]"
    options = "filename = true, file_row_number = true" + (
        ", hive_partitioning = true, hive_types_autocast = false" if hive else ""
    )
    # Columns keep their Parquet types: a typed column (a date, an amount) is checked as
    # itself, not printed as text and parsed again (validate).
    columns = ", ".join(_q(h) for h in headers)
    sql = f"SELECT {columns}, {line} AS {LINE} FROM read_parquet({listing}, {options})"
    return ParquetSource(sql, total, headers), headers


def _check_headers(path: Path, headers: list[str]) -> None:
    if not any(headers):
        raise IngestError("empty_file", gettext_noop("%(file)s is empty."), file=path.name)
    seen = set()
    for i, h in enumerate(headers, start=1):
        if h in seen or h == "":
            raise IngestError(
                "bad_header",
                gettext_noop(
                    "%(file)s, line 1, column %(position)s: header %(header)s is empty or repeated."
                ),
                file=path.name,
                position=i,
                header=shorten(h) or "—",
            )
        seen.add(h)


def map_headers(path: Path, headers: list[str], feed: Feed, mapping: Mapping) -> dict[str, str]:
    """Declared column → the file's header; an unknown header or a missing column is refused."""
    chosen: dict[str, str] = {}
    for i, header in enumerate(headers, start=1):
        if header in (SOURCE_LINE, REASONS):
            continue
        column = mapping.columns.get(header, header)
        if column not in feed.column_names:
            raise IngestError(
                "unknown_header",
                gettext_noop(
                    "%(file)s, line 1, column %(position)s: the header %(header)s is not a "
                    "column of %(feed)s and the mapping does not name it."
                ),
                file=path.name,
                position=i,
                header=shorten(header),
                feed=feed.name,
            )
        if column in chosen:
            raise IngestError(
                "header_twice",
                gettext_noop(
                    "%(file)s: the headers %(first)s and %(second)s both map to %(column)s."
                ),
                file=path.name,
                first=shorten(chosen[column]),
                second=shorten(header),
                column=column,
            )
        chosen[column] = header
    missing = [c.name for c in feed.columns if c.name not in chosen and not c.nullable]
    if missing:
        raise IngestError(
            "missing_columns",
            gettext_noop("%(file)s has no column for %(columns)s (feed %(feed)s)."),
            file=path.name,
            columns=", ".join(missing),
            feed=feed.name,
        )
    return chosen


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")


@dataclass
class ColumnSql:
    """One column's validation in three steps of one query (so that no expression is
    computed twice): `typed`, the value over the source `v`; `derived`, helper values over the
    typed value `t`; `checks`, [(reason code, condition)] over `v`, `t` and the helpers."""

    typed: str
    checks: list[tuple[str, str]]
    derived: list[tuple[str, str]] = field(default_factory=list)
    out: str | None = None  # the loaded value over `t` (default: `t` itself)


def _typed_sql(column: Column, v: str, t: str, stored: str) -> ColumnSql | None:
    """A column a Parquet delivery already stores with a fitting type: no text is parsed.
    None when the stored type does not fit (the value is then checked as text)."""
    kind = column.type
    decimal = stored.startswith("DECIMAL(") and int(stored.rstrip(")").split(",")[1]) <= 2
    if kind == "date" and stored in ("DATE", "TIMESTAMP"):
        typed = f"CAST({v} AS DATE)"
    elif kind == "bool" and stored == "BOOLEAN":
        typed = v
    elif kind in ("int8", "int16", "int32", "money", "double") and (stored in INTEGERS or decimal):
        typed = f"TRY_CAST({v} AS {DUCKDB_TYPES[kind]})"
    elif kind == "double" and stored in ("DOUBLE", "FLOAT"):
        typed = f"CAST({v} AS DOUBLE)"
    else:
        return None
    checks = [] if column.nullable else [("missing", f"{v} IS NULL")]
    if kind in ("int8", "int16", "int32", "money"):  # out of the declared type's range
        checks.append(("bad_number", f"{v} IS NOT NULL AND {t} IS NULL"))
    elif kind == "double":
        checks.append(("bad_number", f"{v} IS NOT NULL AND NOT isfinite({t})"))
    elif kind == "date":
        latest = "" if column.future else f" OR {t} > DATE '{{as_of}}'"
        checks.append(("date_out_of_range", f"{t} < DATE '{EARLIEST}'{latest}"))
    return ColumnSql(typed, checks)


def _column_sql(
    column: Column,
    v: str,
    t: str,
    as_of: dt.date,
    codes: dict[str, str],
    stored: str = "VARCHAR",
) -> ColumnSql:
    """One column's validation over its source `v` (text already trimmed and mapped, or a
    value of the `stored` type) and its typed value `t`."""
    fast = None if codes or stored == "VARCHAR" else _typed_sql(column, v, t, stored)
    if fast is not None:
        fast.checks = [(code, c.replace("{as_of}", str(as_of))) for code, c in fast.checks]
        if column.minimum is not None and column.type != "date":
            fast.checks.append(("below_minimum", f"{t} < {column.minimum}"))
        if column.codes is not None:
            allowed = ", ".join(_lit(c) for c in column.codes)
            fast.checks.append(("unknown_code", f"CAST({v} AS VARCHAR) NOT IN ({allowed})"))
        return fast
    empty = f"({v} IS NULL OR {v} = '')"
    checks: list[tuple[str, str]] = []
    derived: list[tuple[str, str]] = []
    allows_empty = column.nullable or (column.codes is not None and "" in column.codes)
    if not allows_empty:
        checks.append(("missing", empty))
    kind = column.type
    if kind in ("string", "region", "household_id", "id_number"):
        typed = f"upper({v})" if kind in ("id_number", "household_id") else v
        if kind == "id_number":
            # The check digit from the first 17 digits read as one integer: integer
            # arithmetic on a vector is far cheaper than 17 substrings.
            n = f"{t}_17"
            derived.append((n, f"TRY_CAST(substr({t}, 1, 17) AS BIGINT)"))
            digits = " + ".join(
                f"(({n} // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(WEIGHTS)
            )
            checks.append(
                (
                    "bad_id_number",
                    f"NOT {empty} AND (NOT regexp_full_match({t}, '[0-9]{{17}}[0-9X]') OR "
                    f"try_strptime(substr({t}, 7, 8), '%Y%m%d') IS NULL OR "
                    f"substr('{CHECK_CHARS}', (({digits}) % 11) + 1, 1) <> substr({t}, 18, 1))",
                )
            )
        elif kind == "household_id":
            checks.append(
                ("bad_household_id", f"NOT {empty} AND NOT regexp_full_match({t}, 'H[0-9]{{13}}')")
            )
        elif kind == "region":
            checks.append(
                (
                    "bad_region",
                    f"NOT {empty} AND NOT regexp_full_match({v}, '[0-9]{{9}}([0-9]{{3}})?')",
                )
            )
    elif kind == "date":
        typed = (
            "coalesce(" + ", ".join(f"try_strptime({v}, '{f}')" for f in DATE_FORMATS) + ")::DATE"
        )
        checks.append(("bad_date", f"NOT {empty} AND {t} IS NULL"))
        latest = "" if column.future else f" OR {t} > DATE '{as_of}'"
        checks.append(
            ("date_out_of_range", f"{t} IS NOT NULL AND ({t} < DATE '{EARLIEST}'{latest})")
        )
    elif kind == "money":
        clean = f"replace(replace(replace({v}, ',', ''), '¥', ''), '￥', '')"
        typed = f"TRY_CAST({clean} AS DECIMAL(14, 2))"
        checks.append(
            (
                "bad_number",
                f"NOT {empty} AND NOT regexp_full_match({clean}, "
                "'-?[0-9]{1,12}(\\.[0-9]{1,2})?')",
            )
        )
    elif kind in ("int8", "int16", "int32"):
        typed = f"TRY_CAST({v} AS {DUCKDB_TYPES[kind]})"
        checks.append(
            (
                "bad_number",
                f"NOT {empty} AND (NOT regexp_full_match({v}, '-?[0-9]+') OR {t} IS NULL)",
            )
        )
    elif kind == "double":
        typed = f"TRY_CAST({v} AS DOUBLE)"
        checks.append(("bad_number", f"NOT {empty} AND ({t} IS NULL OR NOT isfinite({t}))"))
    elif kind == "bool":
        typed = (
            f"CASE WHEN lower({v}) IN ({', '.join(map(_lit, TRUE))}) THEN true "
            f"WHEN lower({v}) IN ({', '.join(map(_lit, FALSE))}) THEN false END"
        )
        checks.append(("bad_bool", f"NOT {empty} AND {t} IS NULL"))
    else:  # pragma: no cover - TYPES and this function change together
        raise AssertionError(kind)
    if column.minimum is not None and kind in ("money", "int8", "int16", "int32", "double"):
        checks.append(("below_minimum", f"{t} IS NOT NULL AND {t} < {column.minimum}"))
    if column.codes is not None:
        allowed = ", ".join(_lit(c) for c in column.codes)
        checks.append(("unknown_code", f"NOT {empty} AND {v} NOT IN ({allowed})"))
    out = (
        f"coalesce({t}, '')"
        if kind in ("string", "region", "household_id", "id_number") and allows_empty
        else None
    )
    return ColumnSql(typed, checks, derived, out)


def validate(
    table: pa.Table,
    path: Path,
    headers: list[str],
    feed: Feed,
    mapping: Mapping,
    as_of: dt.date,
    county: str | None,
    known_counties: frozenset[str],
    out: Path,
    spill: Path | None = None,
) -> Result:
    """Write `out/accepted/county=<code>/` (the rows typed as declared) and
    `out/quarantine.parquet` (the others, as the file had them, with their reasons); every
    row of `table` is in exactly one of the two. DuckDB spills to `spill` beyond its memory
    limit."""
    chosen = map_headers(path, headers, feed, mapping)
    if "county" not in chosen and county is None:
        raise IngestError(
            "no_county",
            gettext_noop("%(file)s has no county column: name the county with --county."),
            file=path.name,
        )
    con = duckdb.connect(
        config={"threads": 2, "memory_limit": duckdb_memory(), "preserve_insertion_order": False}
    )
    con.execute("SET enable_progress_bar = false")
    if spill is not None:
        con.execute(f"SET temp_directory = {_lit(spill.as_posix())}")
    if isinstance(table, ParquetSource):
        con.execute(f"CREATE VIEW raw AS {table.sql}")
    else:
        con.register("raw", table)
    stored_types = dict(
        con.execute("SELECT column_name, column_type FROM (DESCRIBE raw)").fetchall()
    )
    sources, typeds, deriveds, outs, reasons, conditions = [], [], [], [], [], []
    for i, column in enumerate(feed.all_columns):
        if column.name in SET_BY_LOADER:
            continue
        if column.name == "county" and "county" not in chosen:
            source = _lit(county)
        elif column.name in chosen:
            source = f"trim(CAST({_q(chosen[column.name])} AS VARCHAR))"
        else:
            source = "NULL"
        codes = mapping.values.get(column.name, {})
        stored = stored_types.get(chosen.get(column.name, ""), "VARCHAR")
        v, t = f"_v{i}", f"_t{i}"
        if not codes and _typed_sql(column, v, t, stored) is not None:
            source = _q(chosen[column.name])  # checked as stored, not as text
        else:
            stored = "VARCHAR"
        if codes:
            cases = " ".join(f"WHEN {_lit(k)} THEN {_lit(c)}" for k, c in codes.items())
            source = f"(CASE {source} {cases} ELSE {source} END)"
        if column.name == "county":
            allowed = ", ".join(map(_lit, sorted(known_counties)))
            sql = ColumnSql(v, [("unknown_county", f"{v} IS NULL OR {v} NOT IN ({allowed})")])
        else:
            sql = _column_sql(column, v, t, as_of, codes, stored)
        sources.append(f"{source} AS {v}")
        typeds.append(f"{sql.typed} AS {t}")
        deriveds += [f"{expr} AS {alias}" for alias, expr in sql.derived]
        outs.append(f"{sql.out or t} AS {_q(column.name)}")
        for code, condition in sql.checks:
            conditions.append(f"coalesce({condition}, false)")
            reasons.append(
                f"CASE WHEN {condition} THEN {{'code': '{code}', 'column': '{column.name}', "
                f"'value': left(CAST({v} AS VARCHAR), 60)}} END"
            )
    # The reasons are spelled out for the rows that have one; a clean row only tests them.
    checks = (
        f"CASE WHEN {' OR '.join(conditions) or 'false'} THEN "
        f"list_filter([{', '.join(reasons)}], lambda x: x IS NOT NULL) ELSE {NO_REASONS} END"
    )
    if "_malformed" in table.column_names:  # a line that is not a row: that is its reason
        checks = (
            "CASE WHEN _malformed IS NOT NULL THEN [{'code': 'malformed_line', 'column': '', "
            f"'value': _malformed}}] ELSE {checks} END"
        )
        sources.append("_malformed")
    carried = f", {_q(SOURCE_LINE)} AS _source_line" if SOURCE_LINE in headers else ""
    # Three steps, so that each source, typed value and helper is computed once per row.
    con.execute(
        f"CREATE TABLE checked AS SELECT {LINE}, {', '.join(outs)}, {checks} AS reasons"
        f"{', _source_line' if carried else ''} FROM ("
        f"  SELECT *, {', '.join(deriveds) or 'NULL AS _none'} FROM ("
        f"    SELECT *, {', '.join(typeds)} FROM ("
        f"      SELECT {LINE}, {', '.join(sources)}{carried} FROM raw)))"
    )
    # Rows with the same key: identical ones are one row (the others quarantined as
    # duplicates of the first); differing ones are all quarantined (which is right is unknown).
    if feed.key:
        _judge_duplicates(con, feed)
    else:
        con.execute("CREATE VIEW judged AS SELECT * FROM checked")
    out_columns = ", ".join(
        f"CAST({_lit(feed.department)} AS VARCHAR) AS department"
        if c.name == "department"
        else f"DATE '{as_of}' AS snapshot_date"
        if c.name == "snapshot_date"
        else f"CAST({_q(c.name)} AS {DUCKDB_TYPES[c.type]}) AS {_q(c.name)}"
        for c in feed.all_columns
    )
    # In the snapshot layout already (partitioned by county), so that a snapshot takes a
    # county's rows by linking the files, not by writing them again.
    con.execute(
        f"COPY (SELECT {out_columns} FROM judged WHERE len(reasons) = 0) "
        f"TO {_lit((out / ACCEPTED).as_posix())} "
        "(FORMAT parquet, PARTITION_BY (county), COMPRESSION zstd)"
    )
    text_cols = ", ".join(f"CAST(r.{_q(h)} AS VARCHAR) AS {_q(h)}" for h in headers)
    con.execute(
        f"COPY (SELECT j.{LINE} AS line, j.reasons, {text_cols} FROM "
        f"(SELECT {LINE}, reasons FROM judged WHERE len(reasons) > 0) j "
        f"JOIN raw r ON r.{LINE} IS NOT DISTINCT FROM j.{LINE} ORDER BY line) "
        f"TO {_lit((out / 'quarantine.parquet').as_posix())} (FORMAT parquet, COMPRESSION zstd)"
    )
    accepted, quarantined = con.execute(
        "SELECT count(*) FILTER (WHERE len(reasons) = 0), count(*) FILTER (WHERE len(reasons) > 0) "
        "FROM judged"
    ).fetchall()[0]
    counties = [
        c
        for (c,) in con.execute(
            "SELECT DISTINCT county FROM judged WHERE len(reasons) = 0 ORDER BY 1"
        ).fetchall()
    ]
    resolved = (
        [
            int(v)
            for (v,) in con.execute(
                "SELECT DISTINCT TRY_CAST(_source_line AS BIGINT) AS v FROM judged "
                "WHERE len(reasons) = 0 AND v IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        if carried
        else []
    )
    counts = dict(
        con.execute(
            "SELECT r.code, count(*) FROM (SELECT unnest(reasons) AS r FROM judged) GROUP BY 1"
        ).fetchall()
    )
    con.close()
    if accepted + quarantined != table.num_rows:  # pragma: no cover
        raise AssertionError("rows lost in validation")
    return Result(
        feed.name, table.num_rows, accepted, quarantined, counties, None, counts, resolved
    )


def _judge_duplicates(con, feed: Feed) -> bool:
    """Create the view `judged`: `checked` with the duplicates' reasons. False when there is
    no duplicate (then `judged` is `checked` itself)."""
    key = ", ".join(_q(k) for k in feed.key)
    own = [c.name for c in feed.all_columns if c.name not in SET_BY_LOADER]
    content = "hash(" + ", ".join(_q(c) for c in own) + ")"
    # Differing contents ⇔ differing hashes (min ≠ max), far cheaper than counting them.
    con.execute(
        f"CREATE TABLE groups AS SELECT {key}, count(*) AS n, "
        f"min({content}) <> max({content}) AS conflict, min({LINE}) AS first_line "
        f"FROM checked WHERE len(reasons) = 0 GROUP BY {key} HAVING count(*) > 1"
    )
    if not con.execute("SELECT count(*) FROM groups").fetchone()[0]:
        con.execute("CREATE VIEW judged AS SELECT * FROM checked")
        return False
    join = " AND ".join(f"c.{_q(k)} IS NOT DISTINCT FROM g.{_q(k)}" for k in feed.key)
    con.execute(
        f"CREATE TABLE conflicts AS SELECT g.first_line, list(c.{LINE} ORDER BY c.{LINE}) AS lines "
        f"FROM checked c JOIN groups g ON {join} "
        f"WHERE g.conflict AND len(c.reasons) = 0 GROUP BY g.first_line"
    )
    con.execute(
        f"""
        CREATE TABLE judged AS
        SELECT c.* REPLACE (
            CASE
              WHEN g.conflict THEN list_append(c.reasons, {{'code': 'duplicate_conflict',
                'column': '{feed.key[0]}', 'value': array_to_string(list_transform(
                list_filter(k.lines, lambda x: x <> c.{LINE}), lambda x: CAST(x AS VARCHAR)), ',')}})
              WHEN c.{LINE} <> g.first_line THEN list_append(c.reasons,
                {{'code': 'duplicate', 'column': '{feed.key[0]}',
                  'value': CAST(g.first_line AS VARCHAR)}})
              ELSE c.reasons
            END AS reasons)
        FROM checked c LEFT JOIN groups g ON {join} AND len(c.reasons) = 0
        LEFT JOIN conflicts k ON k.first_line = g.first_line
        """
    )
    return True


def ingest(
    path: Path,
    feed_name: str,
    as_of: dt.date,
    out: Path,
    *,
    known_counties: frozenset[str],
    mapping: Mapping | None = None,
    encoding: str | None = None,
    county: str | None = None,
) -> Result:
    """Read, validate and write `out/accepted/` and `out/quarantine.parquet` (the
    folder appears complete or not at all)."""
    if feed_name not in FEEDS:
        raise IngestError(
            "unknown_feed",
            gettext_noop("%(feed)s is not a feed; known feeds: %(known)s."),
            feed=shorten(feed_name),
            known=", ".join(FEEDS),
        )
    feed = FEEDS[feed_name]
    path = Path(path)
    table, headers, used = read_file(path, encoding)
    out = Path(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        result = validate(
            table,
            path,
            headers,
            feed,
            mapping or Mapping(),
            as_of,
            county,
            known_counties,
            tmp,
            spill=tmp.parent / f".spill-{os.getpid()}",
        )
        if out.exists():
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(tmp.parent / f".spill-{os.getpid()}", ignore_errors=True)
    result.encoding = used
    return result
