"""Batch checks for periodic reviews: many households at once, set-based.

One pass over each feed of the lookup index takes every line about the batch's members
(a semi-join; the index is sorted by ID number), the engine runs over all of them at once
on the same inputs as a single check, and each household gets its outcome and its flags.
Framework-free: the CLI adds consent, scope and the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from minzheng.exchange.feeds import LOOKUP_FEEDS
from minzheng.policy.backends import connect
from minzheng.policy.engine import Engine
from minzheng.policy.lake import lake_inputs
from minzheng.policy.screen import household_outputs
from minzheng.verification.lookup import KEYS, index_path
from minzheng.verification.report import ADULT_AGE, HOUSEHOLD_ID, VerificationError

# Why a household is flagged for the caseworker's attention.
FLAGS = {
    "enrolled_but_ineligible": "enrolled in 低保 but ineligible on the found data",
    "eligible_not_enrolled": "eligible for 低保 on the found data but not enrolled",
    "member_died": "a member has died",
    "not_in_hukou": "the household is not in the hukou feed",
}
RESULTS = "results.parquet"
SUMMARY = "summary.json"


def read_households(path: Path) -> list[str]:
    """Household numbers, one per line (a CSV with a household_id column also works);
    a malformed number names its line."""
    ids: list[str] = []
    seen: set[str] = set()
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",") if lines else []
    column = header.index("household_id") if "household_id" in header else None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or (column is not None and number == 1):
            continue
        value = line.split(",")[column or 0].strip()
        if not HOUSEHOLD_ID.match(value):
            raise VerificationError(
                "bad_household_line",
                "%(file)s line %(line)s: %(value)s is not a hukou number.",
                file=str(path),
                line=number,
                value=value,
            )
        if value not in seen:
            seen.add(value)
            ids.append(value)
    return ids


def _extract(con, ids: list[str], progress: Callable[[int, int], None] | None) -> dict:
    """Temp tables holding every line about the batch's households and their members."""
    raw = con.con
    raw.register("batch_ids", pa.table({"household_id": pa.array(ids, pa.string())}))
    raw.execute(
        "CREATE TEMP TABLE batch_members AS SELECT m.* FROM idx.members m "
        "SEMI JOIN batch_ids b ON m.household_id = b.household_id"
    )
    feeds = LOOKUP_FEEDS
    steps = len(feeds) + 1
    if progress:
        progress(1, steps)
    tables = {}
    for i, name in enumerate(feeds, start=2):
        key = KEYS[name]
        source = "batch_ids" if name == "hukou_households" else "batch_members"
        other = "household_id" if name == "hukou_households" else "id_number"
        raw.execute(
            f"CREATE TEMP TABLE f_{name} AS SELECT * FROM idx.{name} t "
            f"SEMI JOIN {source} s ON t.{key} = s.{other}"
        )
        tables[name] = con.table(f"f_{name}")
        if progress:
            progress(i, steps)
    return tables


def verify_batch(
    lake: Path,
    household_ids: Iterable[str],
    date: dt.date,
    out: Path,
    *,
    engine: Engine | None = None,
    refused: dict[str, str] | None = None,
    stale_days: int = 90,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Check the households (except those `refused`, household → reason), write
    `out/results.parquet` and `out/summary.json` (complete or not at all); return the summary."""
    ids = list(dict.fromkeys(household_ids))
    refused = refused or {}
    checked = [h for h in ids if h not in refused]
    engine = engine or Engine()
    index = index_path(lake)
    con = connect("duckdb")
    con.raw_sql(f"ATTACH '{index}' AS idx (READ_ONLY)")
    con.raw_sql("SET enable_progress_bar = false")
    feeds = _extract(con, checked, progress)
    persons, households = lake_inputs(feeds, date)
    outputs = household_outputs(engine)
    result = engine.run(persons, households, date, outputs)
    d = ibis.literal(date)
    deaths = feeds["deaths"].filter(feeds["deaths"].death_date <= d)
    members = con.table("batch_members")
    died = (
        members.join(deaths, members.id_number == deaths.id_number)
        .group_by(hid=members.household_id)
        .aggregate(members_died=ibis._.count())
    )
    house = feeds["hukou_households"]
    enrolled = households.select("household_id", "enrolled_dibao")
    villages = house.select(hid=house.household_id, village_code=house.village_code)
    facts = enrolled.join(villages, enrolled.household_id == villages.hid).drop("hid")
    joined = result.join(facts, "household_id")
    joined = joined.left_join(died, joined.household_id == died.hid).drop("hid")
    table = joined.mutate(members_died=joined.members_died.fill_null(0)).order_by("household_id")
    found = con.to_pyarrow(table)
    feed_dates = con.raw_sql("SELECT feed, department, snapshot_date FROM idx.feeds").fetchall()
    con.disconnect()
    rows = _flag(found, ids, refused)
    summary = {
        "date": date.isoformat(),
        "households": len(ids),
        "checked": len(checked) - sum(1 for r in rows if r["outcome"] == "not_in_hukou"),
        "refused": dict(sorted(_count(refused.values()).items())),
        "flagged": sum(1 for r in rows if r["flags"]),
        "flags": {flag: sum(1 for r in rows if flag in r["flags"]) for flag in FLAGS},
        "stale_feeds": sorted(
            feed for feed, _dept, snap in feed_dates if (date - snap).days > stale_days
        ),
    }
    _write(out, rows, summary)
    return summary


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


def _flag(found: pa.Table, ids: list[str], refused: dict[str, str]) -> list[dict]:
    by_id = {r["household_id"]: r for r in found.to_pylist()}
    rows = []
    for hid in ids:
        if hid in refused:
            rows.append(
                {"household_id": hid, "outcome": "refused", "reason": refused[hid], "flags": ""}
            )
            continue
        r = by_id.get(hid)
        if r is None:
            rows.append(
                {
                    "household_id": hid,
                    "outcome": "not_in_hukou",
                    "reason": "",
                    "flags": "not_in_hukou",
                }
            )
            continue
        flags = []
        status = r.get("dibao_status")
        if r["enrolled_dibao"] and status == "ineligible":
            flags.append("enrolled_but_ineligible")
        if not r["enrolled_dibao"] and status in ("eligible", "single_person"):
            flags.append("eligible_not_enrolled")
        if r["members_died"]:
            flags.append("member_died")
        rows.append(r | {"outcome": "checked", "reason": "", "flags": ",".join(flags)})
    return rows


def _write(out: Path, rows: list[dict], summary: dict) -> None:
    out = Path(out).resolve()
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        columns = list(dict.fromkeys(k for r in rows for k in r))
        table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
        pq.write_table(table, tmp / RESULTS)
        (tmp / SUMMARY).write_text(json.dumps(summary, ensure_ascii=False, indent=2), "utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def household_facts(lake: Path, ids: list[str], today: dt.date) -> dict[str, tuple[str, set[str]]]:
    """Household → (village code, ID numbers of the living members aged 18+ today): who
    must have consented, and where the household lies (for the officer's scope)."""
    import duckdb

    con = duckdb.connect(str(index_path(lake)), read_only=True)
    con.execute("SET enable_progress_bar = false")
    con.register("batch_ids", pa.table({"household_id": pa.array(ids, pa.string())}))
    adult_born = _years_before(today, ADULT_AGE)
    rows = con.execute(
        "SELECT h.household_id, h.village_code, p.id_number FROM hukou_households h "
        "SEMI JOIN batch_ids b ON h.household_id = b.household_id "
        "LEFT JOIN (SELECT p.household_id, p.id_number FROM hukou_persons p "
        "  SEMI JOIN (SELECT m.id_number FROM members m SEMI JOIN batch_ids b "
        "             ON m.household_id = b.household_id) s ON p.id_number = s.id_number "
        "  WHERE p.birth_date <= ? AND p.id_number NOT IN "
        "  (SELECT id_number FROM deaths WHERE death_date <= ?)) p "
        "ON p.household_id = h.household_id",
        [adult_born, today],
    ).fetchall()
    con.close()
    facts: dict[str, tuple[str, set[str]]] = {}
    for hid, village, pid in rows:
        entry = facts.setdefault(hid, (village, set()))
        if pid:
            entry[1].add(pid)
    return facts


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
