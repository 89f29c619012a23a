"""Loading the lake's elder-care feeds into the platform's records (`minzheng eldercare
load-records`): institutions, beds, staff, consortia and the home and community services.

One run is one transaction: either every record of the lake is in place or nothing changed.
A file or column that is missing, or a county outside the data steward's scope, refuses the
whole run with the file, column and value named. A row that cannot be a record (a bed
counted in two institutions, a resident not in the register, a visit checked out before it
was checked in, an unknown code) is refused on its own and kept as a `RecordRefusal` naming
its file, column and value; the rest loads. Records are keyed by the feeds' own ids, so a
second run over the same lake changes nothing; a record of the steward's scope that the lake
no longer holds is removed (the lake is a full snapshot).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from minzheng.accounts import roles
from minzheng.accounts.permissions import require
from minzheng.audit.services import audit_record
from minzheng.eldercare import institution_models as m
from minzheng.lib import idcard
from minzheng.lib.i18n import RequestError, gettext_noop, shorten
from minzheng.regions.scoping import user_scope

# The feeds read, and the columns each must have.
COLUMNS: dict[str, tuple[str, ...]] = {
    "care_institutions": (
        "institution_id",
        "name",
        "township_code",
        "beds",
        "nursing_beds",
        "dementia_beds",
    ),
    "care_institution_details": (
        "institution_id",
        "kind",
        "star_grade",
        "star_graded_date",
        "lon",
        "lat",
    ),
    "care_residents": ("id_number", "institution_id", "bed_id", "bed_type", "admission_date"),
    "care_staff": ("staff_id", "institution_id", "role"),
    "care_staff_certificates": (
        "staff_id",
        "certificate_level",
        "certificate_no",
        "issued_date",
        "expiry_date",
        "first_aid",
        "first_aid_expiry_date",
    ),
    "care_consortia": (
        "consortium_id",
        "name",
        "level",
        "region_code",
        "lead_institution_id",
        "rehab_beds",
        "rehab_physicians",
        "rehab_therapists",
    ),
    "care_consortium_members": ("consortium_id", "member_id", "member_kind", "role"),
    "home_care_centres": ("centre_id", "name", "township_code", "lon", "lat"),
    "home_care_workers": ("worker_id", "centre_id", "id_number"),
    "meal_points": ("point_id", "centre_id", "village_code", "lon", "lat"),
    "meal_orders": ("order_id", "point_id", "id_number", "order_date", "mode", "price", "subsidy"),
    "home_care_orders": (
        "order_id",
        "centre_id",
        "worker_id",
        "id_number",
        "service_item",
        "service_date",
        "check_in_minute",
        "check_out_minute",
        "check_in_lon",
        "check_in_lat",
        "check_out_lon",
        "check_out_lat",
    ),
    "home_care_beds": ("bed_id", "id_number", "centre_id", "start_date"),
    "respite_care": ("id_number", "start_date", "days"),
    "home_adaptations": ("project_id", "id_number", "completed_date", "cost"),
    "household_locations": ("household_id", "lon", "lat"),
    "hukou_persons": ("id_number", "household_id"),
    "hukou_households": ("household_id", "village_code"),
}
# What each refusal of a row means (shown with its file, column and value).
REFUSALS = {
    "no_details": gettext_noop("the institution has no row in care_institution_details"),
    "unknown_code": gettext_noop("not one of the codes the feed allows"),
    "missing": gettext_noop("missing"),
    "not_in_county": gettext_noop("not a township of the row's county"),
    "bad_bed_counts": gettext_noop("dementia-care ≤ nursing-type ≤ all beds does not hold"),
    "bad_star_grade": gettext_noop("a star grade is 1 to 5, with the date of the grading"),
    "bad_id_number": gettext_noop("not a valid 18-digit ID number"),
    "not_registered": gettext_noop("the person is not in the hukou register"),
    "unknown_bed": gettext_noop("no such bed in the institution"),
    "bed_in_two_institutions": gettext_noop(
        "the bed is another institution's: a bed is counted in one institution only"
    ),
    "bed_occupied": gettext_noop("the bed already has a resident"),
    "bed_type_differs": gettext_noop("the bed's type differs from the institution's numbering"),
    "person_in_two_beds": gettext_noop("the person already has a bed"),
    "unknown_institution": gettext_noop("no such institution"),
    "unknown_staff": gettext_noop("no such staff member"),
    "unknown_consortium": gettext_noop("no such consortium"),
    "unknown_centre": gettext_noop("no such home-care centre"),
    "unknown_point": gettext_noop("no such meal point"),
    "unknown_worker": gettext_noop("no such carer of the centre"),
    "subsidy_above_price": gettext_noop("the subsidy is above the price"),
    "bad_minute": gettext_noop("not a minute of the day (0–1439)"),
    "check_out_first": gettext_noop("checked out before checked in"),
    "bad_days": gettext_noop("at least one day"),
}
MINUTES_A_DAY = 1440
EARTH_RADIUS_M = 6_371_000


class RecordsRefused(RequestError):
    """The whole run refused: the message names the file, the column and the value."""


def _sql_distance(lon1: str, lat1: str, lon2: str, lat2: str) -> str:
    """The great-circle distance in metres (haversine) between two points, as SQL."""
    return (
        f"2 * {EARTH_RADIUS_M} * asin(sqrt(pow(sin(radians({lat2} - {lat1}) / 2), 2) + "
        f"cos(radians({lat1})) * cos(radians({lat2})) * "
        f"pow(sin(radians({lon2} - {lon1}) / 2), 2)))"
    )


@dataclass
class _Run:
    """What one run collects: the records by model, the refused rows."""

    county_of: dict[str, str] = field(default_factory=dict)
    records: dict[type[models.Model], dict[str, dict[str, Any]]] = field(default_factory=dict)
    refusals: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, model: type[models.Model], pk: str, values: dict[str, Any]) -> None:
        self.records.setdefault(model, {})[pk] = values

    def has(self, model: type[models.Model], pk: Any) -> bool:
        return pk in self.records.get(model, {})

    def get(self, model: type[models.Model], pk: Any) -> dict[str, Any] | None:
        return self.records.get(model, {}).get(pk)

    def refuse(self, table: str, record: Any, column: str, value: Any, code: str, region: str):
        key = f"{table}:{record}:{column}"[:130]
        self.refusals[key] = {
            "table": table,
            "record_id": str(record)[:40],
            "column": column,
            "value": shorten(str(value if value is not None else ""))[:100],
            "code": code,
            "region_code": region,
        }


def _connect(lake: Path, steward_prefix: str):
    import duckdb

    con = duckdb.connect()
    for table, columns in COLUMNS.items():
        if not (lake / table).is_dir() or not any((lake / table).glob("*/*.parquet")):
            raise RecordsRefused(
                "missing_file",
                gettext_noop("%(file)s: the lake has no such feed."),
                file=table,
            )
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake / table}/*/*.parquet', "
            "hive_partitioning = true, hive_types = {'county': VARCHAR})"
        )
        have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        for column in (*columns, "county"):
            if column not in have:
                raise RecordsRefused(
                    "missing_column",
                    gettext_noop("%(file)s: the column %(column)s is missing."),
                    file=table,
                    column=column,
                )
        if table.startswith("hukou") or table == "household_locations":
            continue
        outside = con.execute(
            f"SELECT county FROM {table} WHERE NOT starts_with(county, ?) LIMIT 1",
            [steward_prefix],
        ).fetchall()
        if outside:
            raise RecordsRefused(
                "county_out_of_scope",
                gettext_noop("%(file)s: county = %(value)s is outside your scope."),
                file=table,
                value=outside[0][0],
            )
    return con


def _rows(con, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    return con.sql(sql, params=list(params) or None).to_arrow_table().to_pylist()


def _institutions(con, run: _Run) -> None:
    kinds = set(m.Institution.Kind.values)
    for r in _rows(
        con,
        "SELECT i.*, d.institution_id AS detail, d.kind, d.star_grade, d.star_graded_date, "
        "d.lon, d.lat FROM care_institutions i LEFT JOIN care_institution_details d "
        "USING (institution_id) ORDER BY institution_id",
    ):
        iid, county = r["institution_id"], r["county"]
        table = "care_institution_details"
        if r["detail"] is None:
            run.refuse(table, iid, "institution_id", iid, "no_details", county)
            continue
        if r["kind"] not in kinds:
            run.refuse(table, iid, "kind", r["kind"], "unknown_code", county)
            continue
        if r["lon"] is None or r["lat"] is None:
            run.refuse(table, iid, "lon", r["lon"], "missing", county)
            continue
        if not str(r["township_code"] or "").startswith(county):
            run.refuse(
                "care_institutions",
                iid,
                "township_code",
                r["township_code"],
                "not_in_county",
                county,
            )
            continue
        beds, nursing, dementia = r["beds"], r["nursing_beds"], r["dementia_beds"]
        if not (0 <= dementia <= nursing <= beds):
            run.refuse("care_institutions", iid, "nursing_beds", nursing, "bad_bed_counts", county)
            continue
        region = r["township_code"]
        run.add(
            m.Institution,
            iid,
            {
                "name": r["name"],
                "kind": r["kind"],
                "region_code": region,
                "lon": r["lon"],
                "lat": r["lat"],
                "as_of": r["snapshot_date"],
            },
        )
        run.county_of[iid] = county
        grade = r["star_grade"]
        if grade:
            if not 1 <= grade <= 5 or r["star_graded_date"] is None:
                run.refuse(table, iid, "star_grade", grade, "bad_star_grade", county)
            else:
                run.add(
                    m.StarGrading,
                    f"{iid}:{r['star_graded_date']}",
                    {
                        "institution_id": iid,
                        "region_code": region,
                        "graded_on": r["star_graded_date"],
                        "grade": grade,
                        "grader": "",
                    },
                )
        # the beds: numbered from 1, dementia-care first, then the other nursing-type, then
        # ordinary (the feed's convention, docs/data/lake.md)
        for n in range(1, beds + 1):
            kind = "dementia" if n <= dementia else "nursing" if n <= nursing else "ordinary"
            run.add(
                m.Bed,
                f"{iid}-{n:04d}",
                {
                    "institution_id": iid,
                    "region_code": region,
                    "kind": kind,
                    "resident_id_number": "",
                    "admitted_on": None,
                },
            )


def _residents(con, run: _Run) -> None:
    table = "care_residents"
    seen: set[str] = set()
    for r in _rows(
        con,
        "SELECT r.*, p.id_number IS NOT NULL AS registered FROM care_residents r "
        "LEFT JOIN (SELECT DISTINCT id_number FROM hukou_persons) p USING (id_number) "
        "ORDER BY bed_id, id_number",
    ):
        bed_id, county, person = r["bed_id"], r["county"], r["id_number"]
        bed = run.get(m.Bed, bed_id)
        if not idcard.is_valid(person):
            run.refuse(
                table, bed_id, "id_number", idcard.mask(str(person)), "bad_id_number", county
            )
        elif not r["registered"]:
            run.refuse(table, bed_id, "id_number", idcard.mask(person), "not_registered", county)
        elif bed is None:
            run.refuse(table, bed_id, "bed_id", bed_id, "unknown_bed", county)
        elif bed["institution_id"] != r["institution_id"]:
            # the bed is one of another institution's: a bed is counted in one only
            run.refuse(
                table,
                f"{bed_id}@{r['institution_id']}",
                "bed_id",
                bed_id,
                "bed_in_two_institutions",
                county,
            )
        elif bed["resident_id_number"]:
            run.refuse(
                table, f"{bed_id}:{idcard.mask(person)}", "bed_id", bed_id, "bed_occupied", county
            )
        elif bed["kind"] != r["bed_type"]:
            run.refuse(table, bed_id, "bed_type", r["bed_type"], "bed_type_differs", county)
        elif person in seen:
            run.refuse(
                table, bed_id, "id_number", idcard.mask(person), "person_in_two_beds", county
            )
        else:
            seen.add(person)
            bed["resident_id_number"] = person
            bed["admitted_on"] = r["admission_date"]


def _staff(con, run: _Run) -> None:
    certificates = {r["staff_id"]: r for r in _rows(con, "SELECT * FROM care_staff_certificates")}
    levels = set(m.StaffMember.Level.values)
    for r in _rows(con, "SELECT * FROM care_staff ORDER BY staff_id"):
        sid, county = r["staff_id"], r["county"]
        institution = run.get(m.Institution, r["institution_id"])
        if institution is None:
            run.refuse(
                "care_staff",
                sid,
                "institution_id",
                r["institution_id"],
                "unknown_institution",
                county,
            )
            continue
        if r["role"] not in m.StaffMember.Role.values:
            run.refuse("care_staff", sid, "role", r["role"], "unknown_code", county)
            continue
        values = {
            "institution_id": r["institution_id"],
            "region_code": institution["region_code"],
            "role": r["role"],
            "certificate_no": "",
            "certificate_level": "",
            "certificate_issued": None,
            "certificate_expiry": None,
            "first_aid_expiry": None,
        }
        c = certificates.pop(sid, None)
        if c is not None:
            if c["certificate_level"] not in levels:
                run.refuse(
                    "care_staff_certificates",
                    sid,
                    "certificate_level",
                    c["certificate_level"],
                    "unknown_code",
                    county,
                )
            else:
                values.update(
                    certificate_no=c["certificate_no"] or "",
                    certificate_level=c["certificate_level"],
                    certificate_issued=c["issued_date"],
                    certificate_expiry=c["expiry_date"],
                    first_aid_expiry=c["first_aid_expiry_date"] if c["first_aid"] else None,
                )
        run.add(m.StaffMember, sid, values)
    for sid, c in certificates.items():  # certificates of nobody on the staff
        run.refuse("care_staff_certificates", sid, "staff_id", sid, "unknown_staff", c["county"])


def _consortia(con, run: _Run) -> None:
    for r in _rows(con, "SELECT * FROM care_consortia ORDER BY consortium_id"):
        cid, county = r["consortium_id"], r["county"]
        if r["level"] not in m.Consortium.Level.values:
            run.refuse("care_consortia", cid, "level", r["level"], "unknown_code", county)
            continue
        lead = run.get(m.Institution, r["lead_institution_id"])
        if lead is None:
            run.refuse(
                "care_consortia",
                cid,
                "lead_institution_id",
                r["lead_institution_id"],
                "unknown_institution",
                county,
            )
            continue
        run.add(
            m.Consortium,
            cid,
            {
                "name": r["name"],
                "level": r["level"],
                "level_region_code": r["region_code"],
                "region_code": lead["region_code"],
                "lead_id": r["lead_institution_id"],
                "rehab_beds": r["rehab_beds"],
                "rehab_physicians": r["rehab_physicians"],
                "rehab_therapists": r["rehab_therapists"],
            },
        )
    for r in _rows(con, "SELECT * FROM care_consortium_members ORDER BY consortium_id"):
        cid, member, county = r["consortium_id"], r["member_id"], r["county"]
        consortium = run.get(m.Consortium, cid)
        key = f"{cid}:{member}"
        if consortium is None:
            run.refuse(
                "care_consortium_members", key, "consortium_id", cid, "unknown_consortium", county
            )
            continue
        if r["member_kind"] not in m.ConsortiumMember.Kind.values:
            run.refuse(
                "care_consortium_members",
                key,
                "member_kind",
                r["member_kind"],
                "unknown_code",
                county,
            )
            continue
        run.add(
            m.ConsortiumMember,
            key,
            {
                "consortium_id": cid,
                "region_code": consortium["region_code"],
                "member_id": member,
                "member_kind": r["member_kind"],
                "lead": r["role"] == "lead",
            },
        )


def _centres(con, run: _Run) -> None:
    for r in _rows(con, "SELECT * FROM home_care_centres ORDER BY centre_id"):
        run.add(
            m.HomeCareCentre,
            r["centre_id"],
            {
                "name": r["name"],
                "region_code": r["township_code"],
                "lon": r["lon"],
                "lat": r["lat"],
            },
        )
    for r in _rows(con, "SELECT * FROM home_care_workers ORDER BY worker_id"):
        centre = run.get(m.HomeCareCentre, r["centre_id"])
        if centre is None:
            run.refuse(
                "home_care_workers",
                r["worker_id"],
                "centre_id",
                r["centre_id"],
                "unknown_centre",
                r["county"],
            )
            continue
        run.add(
            m.HomeCareWorker,
            r["worker_id"],
            {
                "centre_id": r["centre_id"],
                "region_code": centre["region_code"],
                "id_number": r["id_number"],
            },
        )
    for r in _rows(con, "SELECT * FROM meal_points ORDER BY point_id"):
        if not run.has(m.HomeCareCentre, r["centre_id"]):
            run.refuse(
                "meal_points",
                r["point_id"],
                "centre_id",
                r["centre_id"],
                "unknown_centre",
                r["county"],
            )
            continue
        run.add(
            m.MealPoint,
            r["point_id"],
            {
                "centre_id": r["centre_id"],
                "region_code": r["village_code"],
                "lon": r["lon"],
                "lat": r["lat"],
            },
        )


def _meals(con, run: _Run) -> None:
    modes = set(m.MealOrder.Mode.values)
    for r in _rows(con, "SELECT * FROM meal_orders ORDER BY order_id"):
        oid, county = r["order_id"], r["county"]
        point = run.get(m.MealPoint, r["point_id"])
        if point is None:
            run.refuse("meal_orders", oid, "point_id", r["point_id"], "unknown_point", county)
        elif r["mode"] not in modes:
            run.refuse("meal_orders", oid, "mode", r["mode"], "unknown_code", county)
        elif r["subsidy"] > r["price"]:
            run.refuse("meal_orders", oid, "subsidy", r["subsidy"], "subsidy_above_price", county)
        else:
            run.add(
                m.MealOrder,
                oid,
                {
                    "point_id": r["point_id"],
                    "region_code": point["region_code"],
                    "id_number": r["id_number"],
                    "ordered_on": r["order_date"],
                    "mode": r["mode"],
                    "price": r["price"],
                    "subsidy": r["subsidy"],
                },
            )


def _work_orders(con, run: _Run) -> None:
    far_m, short = settings.EVV_MAX_DISTANCE_M, settings.EVV_MIN_MINUTES
    items = set(m.WorkOrder.Item.values)
    sql = (
        "WITH home AS (SELECT p.id_number, any_value(l.lon) AS lon, any_value(l.lat) AS lat "
        "FROM hukou_persons p JOIN household_locations l USING (household_id) "
        "WHERE p.id_number IN (SELECT id_number FROM home_care_orders) GROUP BY p.id_number) "
        "SELECT o.*, round(greatest("
        + _sql_distance("h.lon", "h.lat", "o.check_in_lon", "o.check_in_lat")
        + ", "
        + _sql_distance("h.lon", "h.lat", "o.check_out_lon", "o.check_out_lat")
        + ")) AS distance FROM home_care_orders o LEFT JOIN home h USING (id_number) "
        "ORDER BY order_id"
    )
    for r in _rows(con, sql):
        oid, county = r["order_id"], r["county"]
        centre = run.get(m.HomeCareCentre, r["centre_id"])
        worker = run.get(m.HomeCareWorker, r["worker_id"])
        t_in, t_out = r["check_in_minute"], r["check_out_minute"]
        if centre is None:
            run.refuse(
                "home_care_orders", oid, "centre_id", r["centre_id"], "unknown_centre", county
            )
        elif worker is None or worker["centre_id"] != r["centre_id"]:
            run.refuse(
                "home_care_orders", oid, "worker_id", r["worker_id"], "unknown_worker", county
            )
        elif r["service_item"] not in items:
            run.refuse(
                "home_care_orders", oid, "service_item", r["service_item"], "unknown_code", county
            )
        elif t_in is None or not 0 <= t_in < MINUTES_A_DAY:
            run.refuse("home_care_orders", oid, "check_in_minute", t_in, "bad_minute", county)
        elif t_out is None or not 0 <= t_out < MINUTES_A_DAY:
            run.refuse("home_care_orders", oid, "check_out_minute", t_out, "bad_minute", county)
        elif t_out < t_in:
            run.refuse(
                "home_care_orders", oid, "check_out_minute", t_out, "check_out_first", county
            )
        else:
            distance = None if r["distance"] is None else int(r["distance"])
            run.add(
                m.WorkOrder,
                oid,
                {
                    "centre_id": r["centre_id"],
                    "worker_id": r["worker_id"],
                    "region_code": centre["region_code"],
                    "id_number": r["id_number"],
                    "service_item": r["service_item"],
                    "service_date": r["service_date"],
                    "check_in": t_in,
                    "check_out": t_out,
                    "check_in_lon": r["check_in_lon"],
                    "check_in_lat": r["check_in_lat"],
                    "check_out_lon": r["check_out_lon"],
                    "check_out_lat": r["check_out_lat"],
                    "duration": t_out - t_in,
                    "distance_m": distance,
                    "far_from_home": distance is not None and distance > far_m,
                    "too_short": t_out - t_in < short,
                },
            )


def _at_home(con, run: _Run) -> None:
    for r in _rows(con, "SELECT * FROM home_care_beds ORDER BY bed_id"):
        centre = run.get(m.HomeCareCentre, r["centre_id"])
        if centre is None:
            run.refuse(
                "home_care_beds",
                r["bed_id"],
                "centre_id",
                r["centre_id"],
                "unknown_centre",
                r["county"],
            )
            continue
        run.add(
            m.HomeCareBed,
            r["bed_id"],
            {
                "centre_id": r["centre_id"],
                "region_code": centre["region_code"],
                "id_number": r["id_number"],
                "started_on": r["start_date"],
            },
        )
    village = (
        "LEFT JOIN (SELECT p.id_number, any_value(h.village_code) AS village FROM hukou_persons "
        "p JOIN hukou_households h USING (household_id) GROUP BY p.id_number) v USING (id_number)"
    )
    for r in _rows(
        con, f"SELECT t.*, v.village FROM respite_care t {village} ORDER BY id_number, start_date"
    ):
        key = f"{r['id_number']}:{r['start_date']}"
        if r["village"] is None:
            run.refuse(
                "respite_care",
                idcard.mask(str(r["id_number"])),
                "id_number",
                idcard.mask(str(r["id_number"])),
                "not_registered",
                r["county"],
            )
        elif r["days"] is None or r["days"] < 1:
            run.refuse("respite_care", key, "days", r["days"], "bad_days", r["county"])
        else:
            run.add(
                m.RespiteStay,
                key,
                {
                    "region_code": r["village"],
                    "id_number": r["id_number"],
                    "started_on": r["start_date"],
                    "days": r["days"],
                },
            )
    for r in _rows(
        con, f"SELECT t.*, v.village FROM home_adaptations t {village} ORDER BY project_id"
    ):
        if r["village"] is None:
            run.refuse(
                "home_adaptations",
                r["project_id"],
                "id_number",
                idcard.mask(str(r["id_number"])),
                "not_registered",
                r["county"],
            )
            continue
        run.add(
            m.HomeAdaptation,
            r["project_id"],
            {
                "region_code": r["village"],
                "id_number": r["id_number"],
                "completed_on": r["completed_date"],
                "cost": r["cost"],
            },
        )


# Parents before children: created in this order, removed in the reverse.
MODELS: tuple[type[models.Model], ...] = (
    m.Institution,
    m.StarGrading,
    m.Bed,
    m.StaffMember,
    m.Consortium,
    m.ConsortiumMember,
    m.HomeCareCentre,
    m.HomeCareWorker,
    m.MealPoint,
    m.MealOrder,
    m.WorkOrder,
    m.HomeCareBed,
    m.RespiteStay,
    m.HomeAdaptation,
    m.RecordRefusal,
)
STEPS: tuple[Callable[[Any, _Run], None], ...] = (
    _institutions,
    _residents,
    _staff,
    _consortia,
    _centres,
    _meals,
    _work_orders,
    _at_home,
)
BATCH = 2000


def _fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


def _sync(model: type[models.Model], wanted: dict[str, dict[str, Any]], scope) -> dict[str, int]:
    """Make the model's rows of the scope exactly `wanted` (by primary key): create the new,
    update the changed, delete the gone; returns the counts."""
    names = _fields(model)
    have = {
        row[0]: row[1:]
        for row in model.objects.within(scope).values_list("pk", *names).iterator(chunk_size=5000)
    }
    new = [model(pk=pk, **v) for pk, v in wanted.items() if pk not in have]
    changed = [
        model(pk=pk, **v)
        for pk, v in wanted.items()
        if pk in have and tuple(v[n] for n in names) != have[pk]
    ]
    gone = [pk for pk in have if pk not in wanted]
    for i in range(0, len(gone), BATCH):
        model.objects.filter(pk__in=gone[i : i + BATCH]).delete()
    model.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        model.objects.bulk_update(changed, names, batch_size=BATCH)
    return {"created": len(new), "updated": len(changed), "deleted": len(gone)}


def load_records(
    lake: Path,
    *,
    user: Any,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Load the elder-care records of a lake within the data steward's scope, all or nothing;
    returns the counts per model and the refused rows by file and reason."""
    require(user, roles.LOAD_FEED, object_type="eldercare_records", object_id=str(lake)[-150:])
    lake = Path(lake)
    if not (lake / "_lake.json").is_file():
        raise RecordsRefused(
            "not_a_lake", gettext_noop("%(file)s: not a lake (no _lake.json)."), file=str(lake)
        )
    snapshot = json.loads((lake / "_lake.json").read_text("utf-8")).get("snapshot_date", "")
    scope = user_scope(user)
    con = _connect(lake, scope.prefix)
    run = _Run()
    total = len(STEPS) + len(MODELS)
    for i, step in enumerate(STEPS, start=1):
        step(con, run)
        if progress:
            progress(i, total)
    con.close()
    run.records[m.RecordRefusal] = run.refusals
    counts: dict[str, dict[str, int]] = {model.__name__: {} for model in MODELS}
    with transaction.atomic():
        # children first out, parents first in: delete in reverse, then create in order
        for model in reversed(MODELS):
            wanted = run.records.get(model, {})
            have = set(model.objects.within(scope).values_list("pk", flat=True))
            gone = [pk for pk in have if pk not in wanted]
            for j in range(0, len(gone), BATCH):
                model.objects.filter(pk__in=gone[j : j + BATCH]).delete()
            counts[model.__name__] = {"deleted": len(gone)}
        for i, model in enumerate(MODELS, start=len(STEPS) + 1):
            done = _sync(model, run.records.get(model, {}), scope)
            counts[model.__name__].update(
                created=done["created"],
                updated=done["updated"],
                rows=len(run.records.get(model, {})),
            )
            if progress:
                progress(i, total)
    refused: dict[tuple[str, str], int] = {}
    for r in run.refusals.values():
        refused[(r["table"], r["code"])] = refused.get((r["table"], r["code"]), 0) + 1
    changed = sum(c["created"] + c["updated"] + c["deleted"] for c in counts.values())
    audit_record(
        actor=user,
        action="load_records",
        request=None,
        object_type="eldercare_records",
        object_id=lake.name[:150],
        region_code=scope.code,
        detail={
            "snapshot_date": snapshot,
            "changed": changed,
            "rows": {k: c["rows"] for k, c in counts.items()},
            "refused": len(run.refusals),
        },
    )
    return {
        "counts": counts,
        "changed": changed,
        "refused": [{"file": t, "code": c, "rows": n} for (t, c), n in sorted(refused.items())],
        "snapshot_date": snapshot,
    }


def as_of_default() -> dt.date | None:
    """The date the loaded records describe (the latest institution's), for validity."""
    return m.Institution.objects.aggregate(d=models.Max("as_of"))["d"]
