"""The province's multidimensional poverty (多维贫困) over the lake: one row of indicators per
household, from the engine's inputs and rules on the as-of date, and the Alkire–Foster
measure of `poverty.yaml` for every level of the hierarchy (framework-free, any backend).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from minzheng.discovery import mpi

MEASURE = Path(__file__).with_name("poverty.yaml")
COLUMNS = {
    "income_to_standard",
    "severe_health",
    "children_out_of_school",
    "homes",
    "working_age_unemployed",
    "older_alone",
}
LEVELS = ("province", "city", "county", "township", "village")


def measure() -> mpi.Measure:
    return mpi.load_measure(MEASURE, COLUMNS)


RULES = ("per_capita_income", "age", "counted")  # the engine's rules the indicators read
STANDARD = "dibao.standard_monthly"  # the parameter the income is compared with


def household_table(engine, con, lake: Path, date: dt.date, counties: list[str]):
    """One row per household: its region codes and the indicator columns."""
    import ibis

    from minzheng.policy.lake import open_feeds
    from minzheng.policy.screen import inputs

    persons, households = inputs(con, lake, date, counties)
    rules = engine.order(list(RULES))
    names = list(dict.fromkeys([*engine.params_needed(rules), STANDARD]))
    params = engine.params_table(date, counties, names)
    P, H = engine.build(persons, households, ibis.memtable(params.table), date, rules)
    return indicators(P, H, open_feeds(con, lake, counties)["hukou_households"])


def indicators(P, H, hukou_households):
    """One row per household from the engine's tables `P` and `H` (with `RULES` and the
    parameter `STANDARD`) and the households' feed: its region codes and the indicators."""
    import ibis

    member = P.counted
    per_household = P.group_by("household_id").aggregate(
        severe_health=(member & (P.serious_illness | P.disability_grade.isin([1, 2]))).sum(),
        children_out_of_school=(member & P.age.between(6, 15) & ~P.student).sum(),
        homes=P.homes.sum(),
        working_age=(member & P.age.between(18, 59)).sum(),
        employed=(member & P.employed).sum(),
        members=member.sum(),
        older=(member & (P.age >= 60)).sum(),
    )
    standard = H[f"param__{STANDARD}"].cast("float64")
    H = H.select(
        "household_id",
        "county",
        income_to_standard=ibis.ifelse(
            standard > 0, H.per_capita_income.cast("float64") / standard, 0.0
        ),
    )
    codes = hukou_households.select("household_id", "township_code", "village_code")
    t = H.join(per_household, "household_id").join(codes, "household_id")
    return t.mutate(
        working_age_unemployed=((t.working_age > 0) & (t.employed == 0)).cast("int64"),
        older_alone=((t.members == 1) & (t.older == 1)).cast("int64"),
        province=ibis.literal("330000"),
        city=t.county.substr(0, 4) + "00",
    ).rename(township="township_code", village="village_code")


def accumulate(sums: dict[str, dict[str, float]], rows: list[dict], levels=LEVELS) -> None:
    """Add the measure's counts per village (`mpi.counts` by village) into `sums`, for the
    region of every level above each village."""
    from minzheng.regions.levels import code_at

    for row in rows:
        row = dict(row)
        village = row.pop("village")
        for level in levels:
            into = sums.setdefault(code_at(village, level), {})
            for key, value in row.items():
                into[key] = into.get(key, 0) + (value or 0)


def results(sums: dict[str, dict[str, float]], chosen: mpi.Measure, levels=LEVELS) -> dict:
    """level → the measure's results per region of that level, from the summed counts."""
    from minzheng.regions.levels import level_of_code

    out: dict[str, list[dict]] = {level: [] for level in levels}
    for code, row in sorted(sums.items()):
        level = level_of_code(code).value
        if level in out:
            out[level].append(mpi.figures(row, chosen) | {"code": code})
    return out


def compute(
    engine,
    con,
    lake: Path,
    date: dt.date,
    counties: list[str],
    levels=LEVELS,
    max_persons: int = 3_000_000,
) -> dict:
    """level → the measure's results per region of that level (with its `code`).

    The measure's counts add up (units, poor, censored scores, deprivations), so they are
    counted per village for a chunk of counties at a time — memory bounded by the chunk, the
    engine run once — and summed up the hierarchy here."""
    from minzheng.policy.screen import county_chunks

    chosen = measure()
    wanted = set(counties)
    sums: dict[str, dict[str, float]] = {}
    chunks = [
        [c for c in chunk if c in wanted] for chunk, _persons in county_chunks(lake, max_persons)
    ]
    for chunk in (c for c in chunks if c):
        table = household_table(engine, con, lake, date, chunk)
        accumulate(
            sums, con.to_pyarrow(mpi.counts(table, chosen, by=["village"])).to_pylist(), levels
        )
    return results(sums, chosen, levels)
