"""A simulation run (framework-free): the baseline and one or more scenarios over the same
lake and date, chunk by chunk of counties, sharing the loaded population.

Per chunk the engine evaluates every programme once under the parameters in force (the
baseline) and the result — persons and households with a column per rule — is kept in the
backend (`cache`). A scenario then re-evaluates only the rules its changes reach: those
reading a parameter it overrides or replaced by it, and everything that reads those, over
the baseline's columns; the rest are the baseline's as they are. So a scenario that changes
the 低保 standard does not re-derive incomes, ages or assets.

What is kept per scenario are aggregates by county (summed up to the city and the province
by `results`): per programme the households and persons covered, the monthly cost, those
newly covered and newly excluded against the baseline and those whose amount changed; and
the persons below the baseline's 低保 standard before and after transfers, with the poverty
gap. No person and no household leaves this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from minzheng.policy.engine import Engine
from minzheng.simulation.scenarios import Scenario

BASELINE = "baseline"
# The baseline's columns about the household itself (not a programme's figures).
ABOUT = ("line", "older", "child", "disability", "urban")
# Not programmes a household is covered by (the bundle's totals, the shared rules).
NOT_COVERAGE = ("common", "bundle")


@dataclass(frozen=True)
class Measured:
    """How a programme is measured: the rule that says a household is covered, its monthly
    amount (or one-off amount) and the person rule of its beneficiaries."""

    programme: str
    label: str
    status: str
    monthly: str | None
    one_off: str | None
    members: str | None


def measured(engine: Engine) -> list[Measured]:
    out = []
    for p in engine.programmes:
        if p.name in NOT_COVERAGE or "status" not in p.outputs:
            continue
        o = p.outputs
        out.append(
            Measured(
                p.name,
                p.label,
                o["status"],
                o.get("monthly_amount"),
                o.get("one_off_amount"),
                o.get("members"),
            )
        )
    return out


def outputs_of(engine: Engine) -> list[str]:
    """Every rule a run reads."""
    names = ["members_counted", "per_capita_income", "age", "counted"]
    for m in measured(engine):
        names += [n for n in (m.status, m.monthly, m.one_off, m.members) if n]
    return list(dict.fromkeys(names))


def reached(engine: Engine, rules, scenario: Scenario) -> list:
    """The rules (in order) a scenario's changes reach."""
    changed = scenario.parameters
    out: list = []
    names: set[str] = set()
    for rule in rules:
        if (
            rule.name in scenario.rules
            or changed & set(rule.params)
            or any(n in names for n in engine._requires(rule))
        ):
            out.append(rule)
            names.add(rule.name)
    return out


def _household_figures(P, H, ms: list[Measured], base: bool = False):
    """One row per household: county, members, per-capita income, the monthly transfers of
    every programme together, per programme covered (bool), monthly amount, one-off amount
    and persons covered; for the `base`line also the county's 低保 standard (`line`) and who
    lives there (older people, children, a disabled member)."""
    import ibis

    members = {m.members for m in ms if m.members}
    kinds = {}
    if base:
        counted = P.counted.fill_null(False)
        kinds = {
            "older": (counted & (P.age >= 60)).cast("int64").sum() > 0,
            "child": (counted & (P.age < 18)).cast("int64").sum() > 0,
            "disability": (counted & (P.disability_grade > 0)).cast("int64").sum() > 0,
        }
    if members or kinds:
        counts = P.group_by("household_id").aggregate(
            **{f"n__{n}": P[n].cast("int64").sum() for n in members}, **kinds
        )
        H = H.left_join(counts, "household_id")
        if "household_id_right" in H.columns:
            H = H.drop("household_id_right")
    columns = {
        "county": H.county,
        "members": H.members_counted.cast("int64"),
        "income": H.per_capita_income.cast("decimal(20, 2)"),
    }
    if base:
        columns["line"] = H["param__dibao.standard_monthly"]
        columns |= {k: H[k].fill_null(False) for k in ("older", "child", "disability")}
    for m in ms:
        if m.monthly:
            covered = (H[m.monthly] > 0).fill_null(False)
        elif m.one_off:
            covered = (H[m.one_off] > 0).fill_null(False)
        else:
            covered = (H[m.status] == "eligible").fill_null(False)
        columns[f"cov__{m.programme}"] = covered
        zero = ibis.literal(Decimal(0), "decimal(20, 2)")
        columns[f"amt__{m.programme}"] = (
            H[m.monthly].cast("decimal(20, 2)").fill_null(zero) if m.monthly else zero
        )
        columns[f"one__{m.programme}"] = (
            H[m.one_off].cast("decimal(20, 2)").fill_null(zero) if m.one_off else zero
        )
        persons = (
            H[f"n__{m.members}"].fill_null(0) if m.members else H.members_counted.cast("int64")
        )
        columns[f"per__{m.programme}"] = ibis.ifelse(covered, persons, 0)
    columns["transfers"] = sum(
        (columns[f"amt__{m.programme}"] for m in ms), ibis.literal(Decimal(0))
    ).cast("decimal(20, 2)")
    return H.select("household_id", **columns)


def _by_county(base, scen, ms: list[Measured], line_column: str):
    """Per county: the scenario's figures and the changes against the baseline."""
    import ibis

    t = base.join(scen, "household_id", rname="{name}_s")
    metrics = {
        "households": t.count(),
        "persons": t.members.sum(),
    }
    transfers_b = sum((t[f"amt__{m.programme}"] for m in ms), ibis.literal(Decimal(0)))
    transfers_s = sum((t[f"amt__{m.programme}_s"] for m in ms), ibis.literal(Decimal(0)))
    size = ibis.greatest(t.members, 1).cast("float64")
    line = t[line_column].cast("float64")
    before = t.income.cast("float64")
    after_b = before + transfers_b.cast("float64") / size
    after_s = before + transfers_s.cast("float64") / size
    persons = t.members.cast("float64")
    metrics |= {
        "poor_before": persons.sum(where=before < line),
        "gap_before": (persons * ibis.greatest(line - before, 0) / line).sum(where=line > 0),
        "poor_after_baseline": persons.sum(where=after_b < line),
        "gap_after_baseline": (persons * ibis.greatest(line - after_b, 0) / line).sum(
            where=line > 0
        ),
        "poor_after": persons.sum(where=after_s < line),
        "gap_after": (persons * ibis.greatest(line - after_s, 0) / line).sum(where=line > 0),
    }
    for m in ms:
        p = m.programme
        cb, cs = t[f"cov__{p}"], t[f"cov__{p}_s"]
        metrics |= {
            f"{p}__households": cs.sum(),
            f"{p}__persons": t[f"per__{p}_s"].sum(),
            f"{p}__monthly_cost": t[f"amt__{p}_s"].sum(),
            f"{p}__one_off_cost": t[f"one__{p}_s"].sum(),
            f"{p}__baseline_households": cb.sum(),
            f"{p}__baseline_persons": t[f"per__{p}"].sum(),
            f"{p}__baseline_monthly_cost": t[f"amt__{p}"].sum(),
            f"{p}__newly_covered": (cs & ~cb).sum(),
            f"{p}__newly_excluded": (cb & ~cs).sum(),
            f"{p}__amount_changed": (cb & cs & (t[f"amt__{p}"] != t[f"amt__{p}_s"])).sum(),
        }
    return t.group_by("county").aggregate(**metrics)


def _drop_reached(P, H, reach: list):
    """The baseline's tables without the columns a scenario evaluates again: the reached
    rules, what was derived from them (a person's copy of a household value, an aggregate),
    and the parameters (joined again, the scenario's)."""
    names = {r.name for r in reach}

    def keep(t):
        return [
            c
            for c in t.columns
            if c not in names
            and not c.startswith("param__")
            and not (c.startswith("hh__") and c[4:] in names)
            and not (c.startswith("agg__") and _reads_reached(c, names))
        ]

    return P.select(*keep(P)), H.select(*keep(H))


def _reads_reached(column: str, names: set[str]) -> bool:
    """Whether an aggregate column `agg__op__name[__where]` sums or filters a reached rule."""
    parts = column.split("__")[2:]
    return any(p in names for p in parts)


def _keep(con, name: str, table):
    """The table computed once and kept in the backend: a temporary table `name` on DuckDB
    (this Ibis's own cache cannot drop its tables there), Spark's cache elsewhere."""
    if con.name == "duckdb":
        _forget(con, (name,))  # (created without overwrite: this Ibis cannot drop it itself)
        return con.create_table(name, table, temp=True)
    return table.cache()


def _forget(con, names: tuple[str, ...]) -> None:
    if con.name == "duckdb":
        for name in names:
            con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')


def figures(
    engine: Engine,
    con,
    lake: Path,
    date: dt.date,
    scenarios: list[Scenario],
    max_persons: int = 3_000_000,
):
    """Per chunk of counties: (counties, persons, the baseline's household figures with the
    county's 低保 standard as `line` and who lives there, {scenario name: its household
    figures}) — lazy tables, valid until the next chunk is asked for."""
    import ibis

    from minzheng.policy.lake import open_feeds
    from minzheng.policy.screen import county_chunks, inputs

    ms = measured(engine)
    outputs = outputs_of(engine)
    rules = engine.order(outputs)
    needed = list(dict.fromkeys([*engine.params_needed(rules), "dibao.standard_monthly"]))
    variants = []
    for s in scenarios:
        changed = Engine(engine.programmes, s.apply(engine.parameters), s.reform())
        variants.append((s, changed, reached(changed, changed.order(outputs), s)))
    for counties, persons_n in county_chunks(lake, max_persons):
        persons, households = inputs(con, lake, date, counties)
        params = engine.params_table(date, counties, needed)
        P, _H = engine.build(persons, households, ibis.memtable(params.table), date, rules)
        P = _keep(con, "_sim_persons", P)
        # the households' rules again over the persons kept, so as not to derive them twice
        _P, H = engine.build(
            P.drop(*[c for c in P.columns if c.startswith("param__")]),
            households,
            ibis.memtable(params.table),
            date,
            [r for r in rules if r.entity != "person"],
        )
        H = _keep(con, "_sim_households", H)
        try:
            urban = open_feeds(con, lake, counties)["hukou_households"].select(
                "household_id", "urban"
            )
            base = _household_figures(P, H, ms, base=True).left_join(urban, "household_id")
            base = base.drop("household_id_right").mutate(urban=base.urban.fill_null(False))
            base = _keep(con, "_sim_baseline", base)
            plain = base.drop(*ABOUT)
            out = {}
            for s, changed, reach in variants:
                if not reach:  # nothing it changes is in force on the date
                    out[s.name] = plain
                    continue
                P0, H0 = _drop_reached(P, H, reach)
                table = changed.params_table(date, counties, changed.params_needed(reach))
                P2, H2 = changed.build(P0, H0, ibis.memtable(table.table), date, reach)
                out[s.name] = _household_figures(P2, H2, ms)
            yield counties, persons_n, base, out
        finally:
            _forget(con, ("_sim_baseline", "_sim_persons", "_sim_households"))


def simulate(
    engine: Engine,
    con,
    lake: Path,
    date: dt.date,
    scenarios: list[Scenario],
    progress: Callable[[int, int, str], None] | None = None,
    max_persons: int = 3_000_000,
    work: Path | None = None,
) -> dict[str, list[dict]]:
    """scenario name (and `baseline`) → one row of figures per county (see the module).
    With `work`, every household's figures are written there too (`baseline/`, and `sJ/`
    for the J-th scenario) for `analysis.distribution_of`: a scratch folder the caller
    deletes, never a result."""
    from minzheng.policy.screen import county_chunks

    ms = measured(engine)
    total = sum(persons for _c, persons in county_chunks(lake, max_persons))
    done = 0
    results: dict[str, list[dict]] = {BASELINE: []} | {s.name: [] for s in scenarios}
    covered = [f"{kind}__{m.programme}" for m in ms for kind in ("cov", "amt")]
    for i, (counties, persons_n, base, scenario_tables) in enumerate(
        figures(engine, con, lake, date, scenarios, max_persons)
    ):
        plain = base.drop(*ABOUT)
        results[BASELINE] += con.to_pyarrow(_by_county(base, plain, ms, "line")).to_pylist()
        for name, table in scenario_tables.items():
            results[name] += con.to_pyarrow(_by_county(base, table, ms, "line")).to_pylist()
        if work is not None:
            kept = ["household_id", "county", "members", "income", "transfers", *covered]
            parts = [("baseline", base.select(*kept, *ABOUT))] + [
                (f"s{j}", table.select("household_id", "transfers", *covered))
                for j, table in enumerate(scenario_tables.values())
            ]
            for folder, table in parts:
                (Path(work) / folder).mkdir(parents=True, exist_ok=True)
                con.to_parquet(table, Path(work) / folder / f"part-{i:03d}.parquet")
        done += persons_n
        if progress:
            progress(done, total, counties[-1])
    return results
