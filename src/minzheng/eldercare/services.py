"""Capability assessments: recorded by one assessor, confirmed by a second, scoped by the
village of the person's hukou household, every read and refusal in the audit log.

The person is found in the lake's lookup index (the same one the household checks read), so
only people registered in the user's scope and aged 60 or more on the day can be assessed.
A confirmed assessment's grade is what the engine reads from the `elderly_capability` feed
(`export_feed` writes it as a delivery of that feed); `engine_effect` shows, before it is
delivered, what the new grade changes in what the household is entitled to.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.models import Outcome
from minzheng.audit.services import audit_record
from minzheng.eldercare.assessment import GradeError, default_assessment
from minzheng.eldercare.models import Assessment
from minzheng.lib import idcard
from minzheng.lib.dates import add_months
from minzheng.lib.i18n import RequestError, gettext_noop, shorten
from minzheng.lib.numbering import create_numbered
from minzheng.regions.scoping import code_in_scope

OLDER_AGE = 60  # the register and the assessment are for people aged 60 or more
MAX_TEXT = 2000
MAX_PLACE = 200
NUMBER_KIND = "PG"  # 评估


class AssessmentRefused(RequestError):
    """An assessment refused: the message names the field (also in `field`)."""

    def __init__(self, code: str, template: str, *, status: int = 400, **params: Any) -> None:
        super().__init__(code, template, status=status, **params)
        self.field = str(params.get("field", ""))


def valid_months() -> int:
    """How long a grade holds before the scheduled re-assessment (months)."""
    return settings.ASSESSMENT_VALID_MONTHS


def _lake():
    from minzheng.verification.services import lake

    return lake()


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def person_in_scope(
    user: Any, request: HttpRequest | None, id_number: Any, on: dt.date
) -> dict[str, Any]:
    """The older person to assess: registered in the user's scope (else the same 404 as an
    unknown person, audited) and aged 60 or more on `on`."""
    number = str(id_number or "").strip().upper()
    if not idcard.is_valid(number):
        raise AssessmentRefused(
            "bad_id_number",
            gettext_noop("id_number: %(value)s is not a valid 18-digit ID number."),
            field="id_number",
            value=shorten(number),
        )
    source = _lake()
    with source.lock:
        where = source.lookup.registrations([number]).get(number)
        found = source.lookup.household(where["household_id"]) if where else None
    if where is None or not code_in_scope(user, where["village_code"]):
        not_found(
            AssessmentRefused,
            "person_not_found",
            gettext_noop("id_number: %(value)s is not registered in your scope."),
            user=user,
            request=request,
            action="read_personal",
            object_type="person",
            object_id=idcard.mask(number),
            value=idcard.mask(number),
            field="id_number",
        )
    member = next(m for m in found.members if m["id_number"] == number)
    dead = [r for r in found.lines.get("deaths", []) if r["id_number"] == number]
    if dead and dead[0]["death_date"] <= on:
        raise AssessmentRefused(
            "person_dead",
            gettext_noop("id_number: the person died on %(date)s."),
            field="id_number",
            date=dead[0]["death_date"].isoformat(),
        )
    age = _age(member["birth_date"], on)
    if age < OLDER_AGE:
        raise AssessmentRefused(
            "not_older",
            gettext_noop(
                "id_number: the person is %(age)s on %(date)s; assessments are for people aged 60 or more."
            ),
            field="id_number",
            age=age,
            date=on.isoformat(),
        )
    return {
        "id_number": number,
        "household_id": where["household_id"],
        "village_code": where["village_code"],
        "birth_date": member["birth_date"],
        "sex": member["sex"],
        "age": age,
    }


def _date(value: Any, field: str, today: dt.date) -> dt.date:
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise AssessmentRefused(
            "bad_date",
            gettext_noop("%(field)s: %(value)s is not a date (YYYY-MM-DD)."),
            field=field,
            value=shorten(str(value)),
        ) from None
    if day > today:
        raise AssessmentRefused(
            "future_date",
            gettext_noop("%(field)s: %(value)s is in the future."),
            field=field,
            value=day.isoformat(),
        )
    return day


def _text(value: Any, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise AssessmentRefused(
            "missing", gettext_noop("%(field)s: this field is required."), field=field
        )
    if len(text) > limit:
        raise AssessmentRefused(
            "too_long",
            gettext_noop("%(field)s: at most %(limit)s characters."),
            field=field,
            limit=limit,
        )
    return text


def _second_assessor(user: Any, username: Any, village_code: str):
    """The second assessor: another active assessor whose scope holds the person."""
    name = str(username or "").strip()
    if not name:
        raise AssessmentRefused(
            "assessor_alone",
            gettext_noop("second_assessor: two assessors assess together; name the second."),
            field="second_assessor",
        )
    other = get_user_model().objects.filter(username=name, is_active=True).first()
    if other is not None and other.pk == user.pk:
        raise AssessmentRefused(
            "assessor_alone",
            gettext_noop(
                "second_assessor: you cannot be your own second assessor; two assessors assess together."
            ),
            field="second_assessor",
        )
    if other is None or not other.has_perm(roles.ASSESS) or not code_in_scope(other, village_code):
        raise AssessmentRefused(
            "bad_second_assessor",
            gettext_noop("second_assessor: %(value)s is not an assessor of the person's region."),
            field="second_assessor",
            value=shorten(name),
        )
    return other


def assessment_record(
    *, user: Any, request: HttpRequest | None, data: dict[str, Any]
) -> Assessment:
    """Record an assessment (the first assessor): every field checked, the grade computed by
    the standard's rules; it counts once the second assessor confirms it."""
    require(user, roles.ASSESS, request=request, object_type="assessment")
    today = timezone.localdate()
    assessed_on = _date(data.get("assessed_on"), "assessed_on", today)
    reason = str(data.get("reason") or "")
    if reason not in Assessment.Reason.values:
        raise AssessmentRefused(
            "bad_reason",
            gettext_noop("reason: %(value)s is not one of %(allowed)s."),
            field="reason",
            value=shorten(reason),
            allowed=", ".join(Assessment.Reason.values),
        )
    place = _text(data.get("place"), "place", MAX_PLACE)
    evidence = _text(data.get("evidence"), "evidence", MAX_TEXT)
    try:
        result = default_assessment().grade(data.get("answers"), data.get("adjustments") or {})
    except GradeError as exc:
        raise AssessmentRefused(exc.code, exc.template, **exc.params) from None
    person = person_in_scope(user, request, data.get("id_number"), assessed_on)
    second = _second_assessor(user, data.get("second_assessor"), person["village_code"])

    def create(number: str) -> Assessment:
        return Assessment.objects.create(
            number=number,
            id_number=person["id_number"],
            household_id=person["household_id"],
            region_code=person["village_code"],
            assessed_on=assessed_on,
            place=place,
            reason=reason,
            evidence=evidence,
            answers=dict(data["answers"]),
            adjustments=dict(data.get("adjustments") or {}),
            by_indicator=result.by_indicator,
            total_score=result.total,
            preliminary_grade=result.preliminary_grade,
            grade=result.grade,
            grade_reasons=list(result.reasons),
            next_due=add_months(assessed_on, valid_months()),
            assessor=user,
            second_assessor=second,
        )

    assessment = create_numbered(Assessment, NUMBER_KIND, person["village_code"], create)
    _audit(user, request, assessment, "assessment_record", grade=assessment.grade)
    return assessment


def _audit(user: Any, request: HttpRequest | None, a: Assessment, action: str, **detail) -> None:
    audit_record(
        actor=user,
        action=action,
        request=request,
        object_type="assessment",
        object_id=a.number,
        region_code=a.region_code,
        detail=detail,
    )


def assessment_get(*, user: Any, request: HttpRequest | None, number: str) -> Assessment:
    """One assessment in the user's scope (else the same 404 as an unknown one, audited)."""
    require(
        user, roles.VIEW_ASSESSMENT, request=request, object_type="assessment", object_id=number
    )
    found = Assessment.objects.for_user(user).filter(number=str(number)[:32]).first()
    if found is None:
        not_found(
            AssessmentRefused,
            "assessment_not_found",
            gettext_noop("Assessment %(number)s does not exist or is not in your scope."),
            user=user,
            request=request,
            action="read_personal",
            object_type="assessment",
            object_id=number,
            number=shorten(str(number)),
        )
    return found


def assessment_confirm(*, user: Any, request: HttpRequest | None, number: str) -> Assessment:
    """The second assessor confirms: only the one named, only once."""
    require(user, roles.ASSESS, request=request, object_type="assessment", object_id=number)
    assessment = assessment_get(user=user, request=request, number=number)
    if assessment.second_assessor_id != user.pk:
        audit_record(
            actor=user,
            action="assessment_confirm",
            request=request,
            object_type="assessment",
            object_id=assessment.number,
            region_code=assessment.region_code,
            outcome=Outcome.DENIED,
            detail={"reason": "not_the_second_assessor"},
        )
        raise AssessmentRefused(
            "not_second_assessor",
            gettext_noop("Only the second assessor named on the assessment may confirm it."),
            status=403,
        )
    if assessment.state != Assessment.State.RECORDED:
        raise AssessmentRefused(
            "already_confirmed",
            gettext_noop("Assessment %(number)s is already confirmed."),
            status=409,
            number=assessment.number,
        )
    assessment.state = Assessment.State.CONFIRMED
    assessment.confirmed_at = timezone.now()
    assessment.save(update_fields=["state", "confirmed_at"])
    _audit(user, request, assessment, "assessment_confirm", grade=assessment.grade)
    return assessment


def assessments_for(user: Any) -> QuerySet[Assessment]:
    """The assessments of the user's scope, the latest first."""
    return Assessment.objects.for_user(user).order_by("-assessed_on", "-number")


def engine_effect(assessment: Assessment) -> dict[str, Any]:
    """What the household is entitled to on the assessment's day with the grade the feeds
    hold and with the assessment's grade: per programme whose result changes, the status and
    the monthly amount before and after, and the household's monthly total."""
    from minzheng.verification.report import found_inputs

    source = _lake()
    day = assessment.assessed_on
    with source.lock:
        found = source.lookup.household(assessment.household_id)
        household, members = found_inputs(found, day)
        person = next((m for m in members if m["person_id"] == assessment.id_number), None)
        if person is None:  # no longer in the household on the day
            return {"before_grade": None, "rows": [], "total": None}
        before_grade = person["capability_grade"]
        before = source.explainer.explain(household, members, day)
        changed = [
            dict(m, capability_grade=assessment.grade)
            if m["person_id"] == assessment.id_number
            else m
            for m in members
        ]
        after = source.explainer.explain(household, changed, day)
    rows = []
    for name, result in after["results"].items():
        old = before["results"].get(name, {})
        pair = {
            key: (old.get(key), result.get(key))
            for key in ("status", "monthly_amount")
            if old.get(key) != result.get(key)
        }
        if pair:
            rows.append(
                {
                    "programme": name,
                    "label": result["label"],
                    "status": (old.get("status"), result.get("status")),
                    "monthly_amount": (old.get("monthly_amount"), result.get("monthly_amount")),
                }
            )
    total = (
        (before["totals"] or {}).get("monthly_amount"),
        (after["totals"] or {}).get("monthly_amount"),
    )
    return {"before_grade": before_grade, "rows": rows, "total": total}


EXPORT_COLUMNS = ("id_number", "assessed_date", "grade", "county")


def export_feed(out: Path, *, user: Any, since: dt.date | None = None) -> int:
    """Write the confirmed assessments of the data steward's scope (assessed on or after
    `since`) as a delivery of the `elderly_capability` feed (CSV, the feed's columns), for
    them to load with `minzheng feed load`; returns the number of rows. Never overwrites a
    file; the export is in the audit log."""
    require(user, roles.LOAD_FEED, object_type="feed", object_id="elderly_capability")
    rows = Assessment.objects.for_user(user).filter(state=Assessment.State.CONFIRMED)
    if since is not None:
        rows = rows.filter(assessed_on__gte=since)
    out = Path(out)
    with out.open("x", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(EXPORT_COLUMNS)
        n = 0
        for a in rows.order_by("assessed_on", "number").iterator():
            writer.writerow([a.id_number, a.assessed_on.isoformat(), a.grade, a.region_code[:6]])
            n += 1
    audit_record(
        actor=user,
        action="export",
        request=None,
        object_type="feed",
        object_id="elderly_capability",
        region_code=getattr(user, "region_id", "") or "",
        detail={"rows": n, "since": since.isoformat() if since else "", "file": out.name},
    )
    return n


class _Register:
    """The register's rows that `filters` select, read from the lake's index a page at a time
    (a sequence for Django's Paginator)."""

    def __init__(self, filters: Any) -> None:
        self.filters = filters

    def count(self) -> int:
        from minzheng.eldercare import register

        source = _lake()
        with source.lock:
            return register.count(source.lookup.con, self.filters)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, part: slice) -> list[dict]:
        from minzheng.eldercare import register

        source = _lake()
        with source.lock:
            return register.page(
                source.lookup.con, self.filters, part.stop - part.start, offset=part.start
            )


def register_page(
    *, user: Any, request: HttpRequest | None, query: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    """One page of the register of older people of the user's scope (or of one of its
    regions), masked: (the page, the filters as understood). A grade confirmed on the
    platform after the feed's latest assessment is shown instead of the feed's."""
    from django.core.paginator import Paginator

    from minzheng.eldercare import register
    from minzheng.lib.names import mask_name
    from minzheng.regions.scoping import user_scope

    require(user, roles.VIEW_REGISTER, request=request, object_type="older_register")
    scope = user_scope(user)
    region = str(query.get("region") or "").strip()[:12]
    if not region.isdigit() or not region.startswith(scope.prefix):
        region = scope.prefix
    grade = str(query.get("grade") or "").strip()
    filters = register.Filters(
        prefix=region,
        living=str(query.get("living") or ""),
        group=str(query.get("group") or ""),
        min_grade=int(grade) if grade in {"0", "1", "2", "3", "4"} else None,
    )
    chosen = Paginator(_Register(filters), register.PAGE_SIZE).get_page(query.get("page"))
    rows = list(chosen.object_list)
    confirmed = {}
    for a in Assessment.objects.filter(
        id_number__in=[r["id_number"] for r in rows], state=Assessment.State.CONFIRMED
    ).order_by("assessed_on", "number"):
        confirmed[a.id_number] = a  # the latest last
    shown_rows = []
    for r in rows:
        a = confirmed.get(r["id_number"])
        grade, assessed, source = r["capability_grade"], r["assessed_date"], "feed"
        if a is not None and (assessed is None or a.assessed_on > assessed):
            grade, assessed, source = a.grade, a.assessed_on, "platform"
        shown_rows.append(
            {
                "person": idcard.mask(r["id_number"]),
                "name": mask_name(r["name"] or ""),
                "sex": r["sex"],
                "age": r["age"],
                "household_id": r["household_id"],
                "village_code": r["village_code"],
                "living": r["living"],
                "groups": [g for g in register.GROUPS if r[g]],
                "grade": grade,
                "assessed": assessed,
                "grade_source": source,
            }
        )
    chosen.object_list = shown_rows
    audit_record(
        actor=user,
        action="read_personal",
        request=request,
        object_type="older_register",
        object_id=region,
        region_code=region,
        detail={"fields": ["id_number", "name", "grade"], "rows": len(shown_rows), "masked": True},
    )
    return chosen, {
        "region": region,
        "living": filters.living if filters.living in register.LIVING else "",
        "group": filters.group if filters.group in register.GROUPS else "",
        "grade": "" if filters.min_grade is None else str(filters.min_grade),
    }


class LayoutRefused(RequestError):
    """A layout page asked for a region it cannot show (404 when unknown or out of scope)."""


@functools.lru_cache(maxsize=32)
def _layout_indicators(lake: Path, prefix: str) -> list[dict[str, Any]]:
    from minzheng.eldercare import layout

    return layout.indicators(lake, prefix)


@functools.lru_cache(maxsize=32)
def _layout_result(lake: Path, area: str, sites: int) -> Any:
    from minzheng.eldercare import layout

    return layout.layout(lake, area, sites=sites)


LAYOUT_SITES = 10
LAYOUT_MAX_SITES = 50


def layout_page(*, user: Any, request: HttpRequest | None, query: dict[str, Any]) -> dict[str, Any]:
    """The layout plan of the user's scope (aggregates only, no personal data): the indicators
    of the scope's regions against the plan's targets, and for one area of the scope (a city,
    county or township: the `area` asked for, else the user's region below the province) the
    1 km coverage of its main urban area and `sites` suggested sites. An area outside the scope
    or unknown is not found (404, audited). Results are kept per lake, area and sites for the
    life of the process: at scale 1.0 a city's first view takes as long as the benchmark."""
    from minzheng.eldercare import layout
    from minzheng.exchange.services import current_lake
    from minzheng.lib.i18n import TranslatableError
    from minzheng.regions.scoping import user_scope

    require(user, roles.VIEW_MONITORING, request=request, object_type="eldercare_layout")
    scope = user_scope(user)
    asked = str(query.get("area") or "").strip()
    area = asked or (scope.code if scope.level != "province" else "")
    if area and (not area.isdigit() or not area.startswith(scope.prefix) or not _known_area(area)):
        not_found(
            LayoutRefused,
            "area_not_found",
            gettext_noop("Region %(region)s is not a city, county or township of your scope."),
            user=user,
            request=request,
            action="layout_read",
            object_type="region",
            object_id=shorten(area),
            region=shorten(area),
        )
    text = str(query.get("sites") or "").strip()
    sites = int(text) if text.isdigit() and 0 < len(text) <= 2 else LAYOUT_SITES
    sites = min(max(sites, 1), LAYOUT_MAX_SITES)
    page: dict[str, Any] = {"area": area, "sites": sites, "scope": scope, "error": ""}
    try:
        lake = current_lake()
        page["indicators"] = _layout_indicators(Path(lake), scope.prefix)
    except TranslatableError as exc:  # no lake yet, or a lake without the feeds
        page["indicators"], page["error"] = [], exc.translated()
        return page
    page["targets"] = layout.load_targets()
    page["result"] = None
    if area:
        try:
            page["result"] = _layout_result(Path(lake), area, sites)
        except TranslatableError as exc:  # e.g. no institution in the area
            page["error"] = exc.translated()
    return page


def _known_area(code: str) -> bool:
    from minzheng.eldercare import layout
    from minzheng.lib.i18n import TranslatableError

    if len(code) not in (6, 9):
        return False
    try:
        prefix = layout.area_prefix(code, "area")
    except TranslatableError:
        return False
    return len(prefix) > 2
