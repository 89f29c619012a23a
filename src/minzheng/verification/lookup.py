"""Finding one household's lines in every department feed without scanning the province.

`build_index(lake)` copies the lake's feeds into a DuckDB database beside the Parquet
(`_index.duckdb`), each table sorted by the person's ID number (households by their number),
so DuckDB's row-group min/max statistics turn a lookup into a read of one row group.
Framework-free: the Django app and the CLI build on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import BackendError
from minzheng.policy.lake import lake_manifest

INDEX = "_index.duckdb"
# feed → the column that names the person (or household) it is about
KEYS = {
    "hukou_households": "household_id",
    "hukou_persons": "id_number",
    "deaths": "id_number",
    "si_wages": "id_number",
    "pensions": "id_number",
    "unemployment": "id_number",
    "tax_income": "id_number",
    "real_estate": "owner_id_number",
    "vehicles": "owner_id_number",
    "financial_assets": "id_number",
    "businesses": "owner_id_number",
    "housing_fund": "id_number",
    "medical_oop": "id_number",
    "disability_certs": "id_number",
    "elderly_capability": "id_number",
    "enrolments": "id_number",
    "children_registry": "id_number",
}


def build_index(lake: Path, *, threads: int = 2) -> Path:
    """Write `_index.duckdb` beside the lake's Parquet (replacing an older one, atomically)."""
    lake_manifest(lake)
    final = Path(lake) / INDEX
    tmp = Path(lake) / f".{INDEX}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp), config={"threads": threads, "preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")
    try:
        for table, key in KEYS.items():
            source = (Path(lake) / table / "*" / "*.parquet").as_posix()
            con.execute(
                f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{source}', "
                f"hive_partitioning = true, hive_types_autocast = false) ORDER BY {key}"
            )
        con.execute(
            "CREATE TABLE members AS SELECT household_id, id_number FROM hukou_persons "
            "ORDER BY household_id"
        )
        # Each feed's sender and snapshot date, so that a feed with no line about a household
        # can still be shown as read (and flagged when stale).
        con.execute(
            "CREATE TABLE feeds (feed VARCHAR, department VARCHAR, snapshot_date DATE, n BIGINT)"
        )
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


@dataclass
class Found:
    household: dict | None
    members: list[dict]
    lines: dict[str, list[dict]] = field(default_factory=dict)  # feed → rows about the members
    unreadable: dict[str, str] = field(default_factory=dict)  # feed → why it could not be read


class Lookup:
    """Read-only lookups on a lake's index (one connection, reused)."""

    def __init__(self, lake: Path) -> None:
        path = Path(lake) / INDEX
        if not path.is_file():
            raise BackendError(
                "no_index",
                gettext_noop("%(path)s has no lookup index (_index.duckdb) yet."),
                path=str(lake),
            )
        self.con = duckdb.connect(str(path), read_only=True)
        self.con.execute("SET enable_progress_bar = false")
        try:
            self.feeds = {r["feed"]: r for r in self._rows("SELECT * FROM feeds", [])}
        except duckdb.CatalogException:
            raise BackendError(
                "old_index",
                gettext_noop("%(path)s was indexed by an older version: rebuild the index."),
                path=str(lake),
            ) from None
        self.manifest = lake_manifest(lake)

    def _rows(self, sql: str, params: list) -> list[dict]:
        cursor = self.con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def household(self, household_id: str, also: list[str] = ()) -> Found:
        """The household, its members, and every feed line about any member (and about the
        ID numbers `also`, such as declared members who are not in the household's hukou)."""
        house = self._rows("SELECT * FROM hukou_households WHERE household_id = ?", [household_id])
        ids = [
            r["id_number"]
            for r in self._rows(
                "SELECT id_number FROM members WHERE household_id = ?", [household_id]
            )
        ]
        ids += [i for i in also if i not in ids]
        return self.persons(ids, household=house[0] if house else None)

    def persons(self, ids: list[str], household: dict | None = None) -> Found:
        """Every feed line about these ID numbers."""
        found = Found(household, [])
        if not ids:
            return found
        for table, key in KEYS.items():
            if table == "hukou_households":
                continue
            # One equality branch per person: each is pruned to a row group by the sorted
            # key's min/max statistics (an IN list is not, and scans the table).
            sql = " UNION ALL ".join(f"SELECT * FROM {table} WHERE {key} = ?" for _ in ids)
            try:
                rows = self._rows(sql, list(ids))
            except duckdb.Error as exc:
                # Nothing is silently left out: the report says this feed could not be read.
                found.unreadable[table] = str(exc).splitlines()[0]
                continue
            if table == "hukou_persons":
                found.members = rows
            else:
                found.lines[table] = rows
        return found
