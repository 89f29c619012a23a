"""The engine's inputs from the lake's department feeds, as Ibis expressions (any backend)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import ibis
import ibis.expr.types as ir

from minzheng.exchange.feeds import ENGINE_FEEDS
from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import BackendError
from minzheng.policy.inputs import INPUTS
from minzheng.policy.rules import MONEY, PERSON

FEEDS = ENGINE_FEEDS  # the feeds the engine reads, as declared


def lake_manifest(lake: Path) -> dict:
    """The lake's manifest, or a clear error."""
    marker = Path(lake) / "_lake.json"
    if not marker.is_file():
        raise BackendError(
            "not_a_lake", gettext_noop("%(path)s is not a lake (no _lake.json)."), path=str(lake)
        )
    return json.loads(marker.read_text(encoding="utf-8"))


def open_feeds(
    con: ibis.BaseBackend,
    lake: Path,
    counties: list[str] | None = None,
    extra: tuple[str, ...] = (),
) -> dict[str, ir.Table]:
    """One table per engine feed, and per feed of `extra` the lake holds (a lake written
    before a feed was declared lacks it); the county partition is text on every backend."""
    lake_manifest(lake)
    tables = {}
    wanted = list(FEEDS) + [n for n in extra if n not in FEEDS and (Path(lake) / n).is_dir()]
    for name in wanted:
        folder = Path(lake) / name
        if con.name == "duckdb":
            table = con.read_parquet(
                str(folder / "*" / "*.parquet"),
                hive_partitioning=True,
                hive_types_autocast=False,
            )
        elif con.name == "pyspark":
            table = con.read_parquet(str(folder))
        else:
            raise BackendError(
                "unsupported_backend",
                gettext_noop("The %(backend)s backend cannot read the lake."),
                backend=con.name,
            )
        if "county" in table.columns:
            table = table.mutate(county=table.county.cast("string"))
            if counties is not None:
                table = table.filter(table.county.isin(counties))
        tables[name] = table
    return tables


def _money_sum(column: ir.Value, where: ir.BooleanValue | None = None) -> ir.Value:
    return column.cast(MONEY).sum(where=where)


def _by_id(table: ir.Table, key: str = "id_number", **metrics) -> ir.Table:
    return table.group_by(table[key].name("pid")).aggregate(**metrics)


def _wages(w: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(w, wage=_money_sum(w.monthly_wage), employment_start=w.employment_start.max())


def _tax(t: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(
        t, business=_money_sum(t.business_monthly), property=_money_sum(t.property_monthly)
    )


def _pensions(p: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(p, pension=_money_sum(p.monthly_amount))


def _unemployment(u: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(u, transfer=_money_sum(u.monthly_benefit))


def _assets(f: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(
        f,
        deposits=_money_sum(f.balance, f.kind == "deposit"),
        securities=_money_sum(f.balance, f.kind == "securities"),
    )


def _vehicles(v: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(v, "owner_id_number", vehicles=v.plate.count(where=~v.exempt))


def _estate(r: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(
        r,
        "owner_id_number",
        homes=r.property_id.count(where=r.use == "residential"),
        commercial_property=r.property_id.count(where=r.use == "commercial"),
    )


def _medical(m: ir.Table, d: ir.Value) -> ir.Table:
    recent = (m.month <= d) & (m.month > d - ibis.interval(months=12))
    return _by_id(m, medical_oop_12m=_money_sum(m.oop_amount, recent))


def _disability(c: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(c, disability_grade=c.grade.cast("int64").min(), disability_kind=c.kind.max())


def _capability(a: ir.Table, d: ir.Value) -> ir.Table:
    """The grade of the person's latest assessment on or before the date: a re-assessment
    replaces the earlier grade, better or worse; one dated later does not count yet."""
    known = a.filter(a.assessed_date <= d)
    return _by_id(known, capability_grade=known.grade.cast("int64").argmax(known.assessed_date))


def _children(k: ir.Table, d: ir.Value) -> ir.Table:
    return _by_id(
        k,
        father_status=k.father_status.max(),
        mother_status=k.mother_status.max(),
        placement=k.placement.max(),
    )


# How the engine's per-person inputs derive from each feed: feed → (its table, the date) →
# one row per person (`pid`) with the derived columns. hukou_persons, hukou_households,
# deaths and enrolments shape the frame itself (in `lake_inputs`).
DERIVATIONS = {
    "si_wages": _wages,
    "tax_income": _tax,
    "pensions": _pensions,
    "unemployment": _unemployment,
    "financial_assets": _assets,
    "vehicles": _vehicles,
    "real_estate": _estate,
    "medical_oop": _medical,
    "disability_certs": _disability,
    "elderly_capability": _capability,
    "children_registry": _children,
}
FRAME_FEEDS = ("hukou_persons", "hukou_households", "deaths", "enrolments")


def lake_inputs(feeds: dict[str, ir.Table], date: dt.date) -> tuple[ir.Table, ir.Table]:
    """(persons, households) input tables at `date` from the feeds."""
    d = ibis.literal(date)
    people = feeds["hukou_persons"]
    deaths = feeds["deaths"].filter(feeds["deaths"].death_date <= d)
    alive = people.anti_join(deaths, people.id_number == deaths.id_number)
    persons = alive
    for name, derive in DERIVATIONS.items():
        extra = derive(feeds[name], d)
        persons = persons.left_join(extra, persons.id_number == extra.pid).drop("pid")
    h = feeds["hukou_households"]
    sizes = h.select(hid=h.household_id, household_size=h.size)
    persons = persons.left_join(sizes, persons.household_id == sizes.hid).drop("hid")
    columns = {
        "household_id": persons.household_id,
        "county": persons.county,
        "person_id": persons.id_number,
        "relation": persons.relation,
        "birth_date": persons.birth_date,
        "sex": persons.sex,
        "status": persons.status,
        "disability_grade": persons.disability_grade.fill_null(0),
        "disability_kind": persons.disability_kind.fill_null(""),
        "serious_illness": ibis.literal(False),
        "employed": persons.wage.notnull(),
        "employment_start": persons.employment_start,
        "exempt": ibis.literal(0).cast(MONEY),
        "other": ibis.literal(0).cast(MONEY),
        "education_12m": ibis.literal(0).cast(MONEY),
        # No feed names legal supporters: people living alone are taken to have none capable.
        "supporter_capable": persons.household_size.fill_null(1) > 1,
        "father_status": persons.father_status.fill_null("alive"),
        "mother_status": persons.mother_status.fill_null("alive"),
        "placement": persons.placement.fill_null("family"),
        "student": persons.school_stage.fill_null("") != "",
    }
    for name, spec in INPUTS.items():
        if spec.entity != PERSON or name in columns:
            continue
        if spec.kind == "money":
            columns[name] = persons[name].fill_null(0).cast(MONEY)
        else:
            columns[name] = persons[name].fill_null(spec.default).cast("int64")
    persons = persons.select(**columns)

    e = feeds["enrolments"]
    enrolled = e.filter(e.programme == "dibao").select(hid=e.household_id).distinct()
    households = h.left_join(enrolled, h.household_id == enrolled.hid)
    households = households.select(
        household_id=households.household_id,
        county=households.county,
        enrolled_dibao=households.hid.notnull(),
        emergency_loss=ibis.literal(0).cast(MONEY),
    )
    return persons, households
