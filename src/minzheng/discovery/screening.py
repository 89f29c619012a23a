"""Screening for discovery (主动发现): the engine over the whole lake at an explicit date,
compared with who is enrolled (the department's enrolment register), finds (a) those the
rules find eligible who are not enrolled and (b) those enrolled whom the rules no longer find
eligible, per programme of the register (framework-free, any Ibis backend).

A programme the register keeps per household (低保, 低边) is compared household by household
on the household's status; one it keeps per person (特困, the two disability allowances, the
children's categories) person by person on the person's rule. Each finding carries the
figures that support it (status, amount, the 低保 reasons); the full explanation of one
household is `minzheng explain` (or the task's page) on the same date.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ELIGIBLE_NOT_ENROLLED = "eligible_not_enrolled"
ENROLLED_INELIGIBLE = "enrolled_ineligible"
KINDS = (ELIGIBLE_NOT_ENROLLED, ENROLLED_INELIGIBLE)  # scored against the planted truth


@dataclass(frozen=True)
class Compared:
    """How a programme of the register is compared: the engine programme it belongs to, the
    rule (household or person) and the values of it that mean eligible."""

    programme: str  # the engine's programme
    rule: str
    eligible: tuple  # values of the rule that mean eligible; () for "above zero"
    per_person: bool


COVERED_DIBAO = ("eligible", "gradual_exit", "single_person")
REGISTER: dict[str, Compared] = {
    "dibao": Compared("dibao", "dibao_status", COVERED_DIBAO, False),
    "dibian": Compared("dibian", "dibian_status", ("eligible",), False),
    "tekun": Compared("tekun", "tekun_entitled", (True,), True),
    "disability_living": Compared("disability", "disability_living", (), True),
    "disability_care": Compared("disability", "disability_care", (), True),
    "orphan": Compared("child", "child_category", ("orphan",), True),
    "de_facto_child": Compared("child", "child_category", ("de_facto_unsupported",), True),
    "kunjing_child": Compared("child", "child_category", ("kunjing",), True),
}
# A household on the register of a programme that supersedes another is not missing from it
# (a 特困 household is not also on 低保; 低边 is for those on neither).
COVERED_BY = {"dibao": ("dibao", "tekun"), "dibian": ("dibian", "dibao", "tekun")}
EVIDENCE = ("per_capita_income", "dibao_monthly_amount", "dibao_reasons", "members_counted")


def _eligible(column, compared: Compared):
    if compared.eligible:
        return column.isin(list(compared.eligible)).fill_null(False)
    return (column > 0).fill_null(False)


AMOUNT_CHANGED = "amount_changed"
# The engine's programmes whose monthly amount a case enrolment is compared with.
AMOUNTS = ("dibao", "tekun", "child", "disability", "elderly", "eldercare")


def register_names(engine_programme: str) -> list[str]:
    """The register's programmes an enrolment in an engine programme stands for."""
    return [n for n, c in REGISTER.items() if c.programme == engine_programme]


def engine_outputs(engine) -> tuple[list[str], dict[str, str]]:
    """The rules screening reads (register rules, evidence, amounts) and, per engine
    programme of `AMOUNTS`, its monthly amount rule."""
    amounts = {p.name: p.outputs["monthly_amount"] for p in engine.programmes if p.name in AMOUNTS}
    outputs = list(
        dict.fromkeys([c.rule for c in REGISTER.values()] + list(EVIDENCE) + list(amounts.values()))
    )
    return outputs, amounts


def findings_table(
    engine,
    con,
    lake: Path,
    date: dt.date,
    counties: list[str],
    enrolled=None,
    threshold: tuple[float, float] = (0.1, 10.0),
):
    """The lazy table of findings for some counties: register programme, kind, household,
    person (empty for a household programme), county, and the household's evidence.

    `enrolled` (an Arrow table: engine programme, household_id, id_number — the member for a
    programme paid to persons, else empty — and monthly_amount) are the case module's
    enrolments on the date: they count as on the register, and (c) a household whose amount
    by the rules differs from the enrolled one by more than the larger of `threshold` (a
    share of it, yuan) is an `amount_changed` finding."""
    import ibis

    from minzheng.policy.lake import open_feeds
    from minzheng.policy.screen import inputs

    persons, households = inputs(con, lake, date, counties)
    outputs, amounts = engine_outputs(engine)
    rules = engine.order(outputs)
    params = engine.params_table(date, counties, engine.params_needed(rules))
    P, H = engine.build(persons, households, ibis.memtable(params.table), date, rules)
    feeds = open_feeds(con, lake, counties)
    cases = ibis.memtable(enrolled) if enrolled is not None and enrolled.num_rows else None
    return compare(
        P, H, feeds["enrolments"], feeds["hukou_households"], date, amounts, cases, threshold
    )


def compare(
    P,
    H,
    register,
    hukou_households,
    date: dt.date,
    amounts: dict[str, str],
    cases=None,
    threshold: tuple[float, float] = (0.1, 10.0),
):
    """The findings from the engine's person and household tables `P` and `H` (with the
    rules of `engine_outputs`), the register (the enrolments feed), the households' villages
    and the case module's enrolments `cases` (a table, or None): see `findings_table`."""
    import ibis

    register = register.filter(register.start_date.isnull() | (register.start_date <= date))
    register = register.select("programme", "household_id", "id_number")
    if cases is not None:
        for programme in AMOUNTS:
            mine = cases.filter(cases.programme == programme)
            for name in register_names(programme):
                register = register.union(
                    mine.select(
                        programme=ibis.literal(name),
                        household_id=mine.household_id,
                        id_number=mine.id_number,
                    )
                )
    evidence = H.select(
        "household_id",
        per_capita_income=H.per_capita_income.cast("decimal(20, 2)"),
        dibao_monthly_amount=H.dibao_monthly_amount.cast("decimal(20, 2)"),
        dibao_reasons=H.dibao_reasons,
        dibao_status=H.dibao_status,
        members_counted=H.members_counted,
    )
    parts = []
    for name, compared in REGISTER.items():
        enrolled = register.filter(register.programme == name)
        if compared.per_person:
            found = P.select(
                "household_id",
                "county",
                id_number=P.person_id,
                eligible=_eligible(P[compared.rule], compared),
            )
            listed = enrolled.select(id_number=enrolled.id_number, on_register=ibis.literal(True))
            joined = found.left_join(listed.distinct(), "id_number").select(
                "household_id", "county", "id_number", "eligible", "on_register"
            )
        else:
            found = H.select(
                "household_id",
                "county",
                id_number=ibis.literal("", type="string"),
                eligible=_eligible(H[compared.rule], compared),
            )
            listed = enrolled.select("household_id", on_register=ibis.literal(True)).distinct()
            covering = register.filter(register.programme.isin(list(COVERED_BY.get(name, ()))))
            covered = covering.select("household_id", covered=ibis.literal(True)).distinct()
            joined = (
                found.left_join(listed, "household_id")
                .select("household_id", "county", "id_number", "eligible", "on_register")
                .left_join(covered, "household_id")
                .select("household_id", "county", "id_number", "eligible", "on_register", "covered")
            )
        on_register = joined.on_register.fill_null(False)
        covered = joined.covered.fill_null(False) if "covered" in joined.columns else on_register
        kind = ibis.cases(
            (joined.eligible & ~on_register & ~covered, ELIGIBLE_NOT_ENROLLED),
            (~joined.eligible & on_register, ENROLLED_INELIGIBLE),
            else_=ibis.null("string"),
        )
        parts.append(
            joined.mutate(programme=ibis.literal(name), kind=kind)
            .filter(lambda t: t.kind.notnull())
            .select("programme", "kind", "household_id", "id_number", "county")
        )
    if cases is not None:
        share, yuan = threshold
        by_household = cases.group_by(["household_id", "programme"]).aggregate(
            enrolled_amount=cases.monthly_amount.sum().cast("decimal(20, 2)")
        )
        for programme, rule in amounts.items():
            mine = by_household.filter(by_household.programme == programme)
            engine_amount = H.select(
                "household_id", "county", amount=H[rule].cast("decimal(20, 2)")
            )
            joined = mine.join(engine_amount, "household_id")
            gap = (joined.amount.fill_null(0) - joined.enrolled_amount).abs().cast("float64")
            limit = ibis.greatest(joined.enrolled_amount.cast("float64") * share, yuan)
            parts.append(
                joined.filter(gap > limit).select(
                    programme=ibis.literal(programme),
                    kind=ibis.literal(AMOUNT_CHANGED),
                    household_id=joined.household_id,
                    id_number=ibis.literal("", type="string"),
                    county=joined.county,
                )
            )
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    villages = hukou_households.select("household_id", "village_code")
    return union.join(evidence, "household_id").join(villages, "household_id")


def run(
    engine,
    con,
    lake: Path,
    date: dt.date,
    out: Path,
    progress: Callable[[int, int, str], None] | None = None,
    max_persons: int = 3_000_000,
    enrolled=None,
    threshold: tuple[float, float] = (0.1, 10.0),
) -> dict:
    """Write the findings of the whole lake into `out` (complete or not at all), chunk by
    chunk of counties; returns the counts by programme and kind."""
    from minzheng.policy.lake import lake_manifest
    from minzheng.policy.screen import county_chunks, write_chunk

    out = Path(out).resolve()
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    chunks = county_chunks(lake, max_persons)
    total = sum(persons for _counties, persons in chunks)
    done = 0
    try:
        for i, (counties, persons) in enumerate(chunks):
            table = findings_table(engine, con, lake, date, counties, enrolled, threshold)
            write_chunk(con, table, tmp / f"part-{i:03d}")
            done += persons
            if progress:
                progress(done, total, counties[-1])
        source = lake_manifest(lake)
        counts = summary(tmp)
        (tmp / "_findings.json").write_text(
            json.dumps(
                {
                    "date": date.isoformat(),
                    "lake": str(Path(lake).resolve()),
                    "snapshot": source.get("snapshot", ""),
                    "snapshot_date": source.get("snapshot_date", ""),
                    "counts": counts,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        if out.exists():
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts


def _read(folder: Path, pattern: str = "*/*.parquet") -> str:
    return f"read_parquet('{(Path(folder) / pattern).as_posix()}', hive_partitioning = true)"


def summary(folder: Path) -> dict[str, dict[str, int]]:
    """programme → kind → number of findings."""
    import duckdb

    rows = duckdb.sql(
        f"SELECT programme, kind, count(*) FROM {_read(folder, 'part-*/*.parquet')} "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    out: dict[str, dict[str, int]] = {}
    for programme, kind, n in rows:
        out.setdefault(programme, {})[kind] = n
    return out


def score(findings: Path, truth: Path) -> list[dict]:
    """Recall and precision of the findings against the planted truth of a synthetic
    province (`truth/planted_errors`), per register programme and kind: households for a
    household programme, persons for a person programme."""
    import duckdb

    con = duckdb.connect()
    found = _read(findings, "part-*/*.parquet")
    planted = _read(Path(truth) / "planted_errors")
    rows = []
    for name, compared in REGISTER.items():
        key = "id_number" if compared.per_person else "household_id"
        for kind in KINDS:
            f = f"SELECT DISTINCT {key} AS k FROM {found} WHERE programme = ? AND kind = ?"
            t = f"SELECT DISTINCT {key} AS k FROM {planted} WHERE programme = ? AND kind = ?"
            n_found, n_true, hits = con.execute(
                f"WITH f AS ({f}), t AS ({t}) SELECT (SELECT count(*) FROM f), "
                "(SELECT count(*) FROM t), (SELECT count(*) FROM f JOIN t USING (k))",
                [name, kind, name, kind],
            ).fetchone()
            if not n_found and not n_true:
                continue
            rows.append(
                {
                    "programme": name,
                    "kind": kind,
                    "unit": "person" if compared.per_person else "household",
                    "found": n_found,
                    "planted": n_true,
                    "matched": hits,
                    "recall": hits / n_true if n_true else None,
                    "precision": hits / n_found if n_found else None,
                }
            )
    return rows
