"""Finding one household's lines in every department feed without scanning the province.

`build_index(lake)` copies the lake's feeds into a DuckDB database beside the Parquet
(`_index.duckdb`), each table sorted by the person's ID number (households by their number),
so DuckDB's row-group min/max statistics turn a lookup into a read of one row group.
Framework-free: the Django app and the CLI build on it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from minzheng.eldercare import register
from minzheng.exchange.feeds import FEEDS, LOOKUP_FEEDS
from minzheng.lib.i18n import gettext_noop
from minzheng.policy.backends import duckdb_memory
from minzheng.policy.errors import BackendError
from minzheng.policy.lake import lake_manifest

INDEX = "_index.duckdb"
VERSION = 3  # raised whenever the index's layout changes; older indexes must be rebuilt
# feed → the column that names the person (or household) it is about, as declared
KEYS = {name: FEEDS[name].subject for name in LOOKUP_FEEDS}


def build_index(lake: Path, *, threads: int = 2) -> Path:
    """Write `_index.duckdb` beside the lake's Parquet (replacing an older one, atomically)."""
    lake_manifest(lake)
    final = Path(lake) / INDEX
    tmp = Path(lake) / f".{INDEX}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(
        str(tmp),
        config={
            "threads": threads,
            "preserve_insertion_order": True,
            "memory_limit": duckdb_memory(),
        },
    )
    con.execute("SET enable_progress_bar = false")
    try:
        for table, key in KEYS.items():
            source = (Path(lake) / table / "*" / "*.parquet").as_posix()
            con.execute(
                f"CREATE TABLE {table} AS SELECT {_numeric(key)} AS k, * FROM "
                f"read_parquet('{source}', hive_partitioning = true, "
                f"hive_types_autocast = false) ORDER BY k"
            )
        con.execute(
            f"CREATE TABLE members AS SELECT {_numeric('household_id')} AS hk, household_id, "
            "id_number FROM hukou_persons ORDER BY hk"
        )
        # The register of older people (老年人信息库), sorted by village.
        snapshot = dt.date.fromisoformat(lake_manifest(lake)["snapshot_date"])
        con.execute(register.create_sql(snapshot))
        # Each feed's sender and snapshot date, so that a feed with no line about a household
        # can still be shown as read (and flagged when stale).
        con.execute(
            "CREATE TABLE feeds (feed VARCHAR, department VARCHAR, snapshot_date DATE, n BIGINT)"
        )
        con.execute(f"CREATE TABLE index_info AS SELECT {VERSION} AS version")
        for table in KEYS:
            con.execute(
                f"INSERT INTO feeds SELECT '{table}', min(department), min(snapshot_date), "
                f"count(*) FROM {table}"
            )
        con.close()
        os.replace(tmp, final)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    return final


def _numeric(key: str) -> str:
    """The sort key as a number: DuckDB keeps exact min/max statistics for integers (for text
    only a prefix, which ID numbers of one county and decade share), so an equality lookup
    reads one row group. An ID number is its first 17 digits; a hukou number its digits."""
    if key == "household_id":
        return "TRY_CAST(substr(household_id, 2) AS BIGINT)"
    return f"TRY_CAST(substr({key}, 1, 17) AS BIGINT)"


def numeric_id(value: str) -> int | None:
    """`_numeric` in Python, for the lookup's parameters."""
    digits = value[1:] if value.startswith("H") else value[:17]
    return int(digits) if digits.isdigit() else None


@dataclass
class Found:
    household: dict | None
    members: list[dict]
    lines: dict[str, list[dict]] = field(default_factory=dict)  # feed → rows about the members
    unreadable: dict[str, str] = field(default_factory=dict)  # feed → why it could not be read


def index_path(lake: Path) -> Path:
    """The lake's lookup index, or a clear error when it has not been built."""
    path = Path(lake) / INDEX
    if not path.is_file():
        raise BackendError(
            "no_index",
            gettext_noop("%(path)s has no lookup index (_index.duckdb) yet."),
            path=str(lake),
        )
    return path


class Lookup:
    """Read-only lookups on a lake's index (one connection, reused)."""

    def __init__(self, lake: Path) -> None:
        self.con = duckdb.connect(str(index_path(lake)), read_only=True)
        self.con.execute("SET enable_progress_bar = false")
        try:
            version = self._rows("SELECT version FROM index_info", [])[0]["version"]
        except duckdb.CatalogException:
            version = None
        if version != VERSION:
            raise BackendError(
                "old_index",
                gettext_noop("%(path)s was indexed by an older version: rebuild the index."),
                path=str(lake),
            )
        self.feeds = {r["feed"]: r for r in self._rows("SELECT * FROM feeds", [])}
        self.manifest = lake_manifest(lake)

    def _rows(self, sql: str, params: list) -> list[dict]:
        cursor = self.con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def households_in(
        self,
        region_prefix: str,
        limit: int = 20,
        *,
        offset: int = 0,
        number_prefix: str = "",
        villages: list[str] | None = None,
    ) -> list[dict]:
        """Households of a region subtree (by the village code's prefix), to pick from, in
        hukou-number order: those whose number starts with `number_prefix`, and in one of
        `villages` when given (hukou number, village, size: nothing about a person)."""
        where, params = self._households_where(region_prefix, number_prefix, villages)
        return self._rows(
            f"SELECT household_id, village_code, size FROM hukou_households WHERE {where} "
            "ORDER BY k LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )

    def households_count(
        self, region_prefix: str, *, number_prefix: str = "", villages: list[str] | None = None
    ) -> int:
        """How many households `households_in` pages through."""
        where, params = self._households_where(region_prefix, number_prefix, villages)
        return self._rows(f"SELECT count(*) AS n FROM hukou_households WHERE {where}", params)[0][
            "n"
        ]

    @staticmethod
    def _households_where(
        region_prefix: str, number_prefix: str, villages: list[str] | None
    ) -> tuple[str, list]:
        where, params = ["starts_with(village_code, ?)"], [region_prefix]
        if number_prefix:
            where.append("starts_with(household_id, ?)")
            params.append(number_prefix)
        if villages is not None:
            where.append("list_contains(?::VARCHAR[], village_code)")
            params.append(list(villages))
        return " AND ".join(where), params

    def household(self, household_id: str, also: list[str] = ()) -> Found:
        """The household, its members, and every feed line about any member (and about the
        ID numbers `also`, such as declared members who are not in the household's hukou)."""
        key = numeric_id(household_id)
        house = self._rows("SELECT * FROM hukou_households WHERE k = ?", [key])
        ids = [
            r["id_number"] for r in self._rows("SELECT id_number FROM members WHERE hk = ?", [key])
        ]
        ids += [i for i in also if i not in ids]
        return self.persons(ids, household=house[0] if house else None)

    def registrations(self, ids: list[str]) -> dict[str, dict]:
        """ID number → where the person is registered (household and village), for deciding
        whether their data may be read; nothing else about them is read."""
        keys = [k for k in (numeric_id(i) for i in ids) if k is not None]
        if not keys:
            return {}
        people = self._rows(
            " UNION ALL ".join(
                "SELECT id_number, household_id FROM hukou_persons WHERE k = ?" for _ in keys
            ),
            keys,
        )
        people = [p for p in people if p["id_number"] in ids]
        homes = [numeric_id(p["household_id"]) for p in people]
        villages = (
            {
                r["household_id"]: r["village_code"]
                for r in self._rows(
                    " UNION ALL ".join(
                        "SELECT household_id, village_code FROM hukou_households WHERE k = ?"
                        for _ in homes
                    ),
                    homes,
                )
            }
            if homes
            else {}
        )
        return {
            p["id_number"]: {
                "household_id": p["household_id"],
                "village_code": villages.get(p["household_id"], ""),
            }
            for p in people
        }

    def deaths(self, ids: list[str]) -> dict[str, dt.date]:
        """The registered date of death of those of these ID numbers who died, in one query
        (a join on the sorted key, for the thousands of a payment run)."""
        import pyarrow as pa

        keys = pa.table({"k": pa.array([numeric_id(i) for i in ids], pa.int64())})
        self.con.register("wanted_keys", keys)
        try:
            rows = self.con.execute(
                "SELECT id_number, min(death_date) FROM deaths "
                "WHERE k IN (SELECT k FROM wanted_keys) GROUP BY id_number"
            ).fetchall()
        finally:
            self.con.unregister("wanted_keys")
        return dict(rows)

    def persons(self, ids: list[str], household: dict | None = None) -> Found:
        """Every feed line about these ID numbers."""
        found = Found(household, [])
        if not ids:
            return found
        keys = [numeric_id(i) for i in ids]
        for table in KEYS:
            if table == "hukou_households":
                continue
            # One equality branch per person: each is pruned to a row group by the sorted
            # key's min/max statistics (an IN list is not, and scans the table).
            sql = " UNION ALL ".join(f"SELECT * FROM {table} WHERE k = ?" for _ in ids)
            try:
                rows = self._rows(sql, keys)
            except duckdb.Error as exc:
                # Nothing is silently left out: the report says this feed could not be read.
                found.unreadable[table] = str(exc).splitlines()[0]
                continue
            if table == "hukou_persons":
                found.members = rows
            else:
                found.lines[table] = rows
        return found
