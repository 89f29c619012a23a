"""Reads of the institutions, beds, staff, consortia and home services of a user's scope, for
the pages, the API and the layout plan (`institutions_table`). Scoped through
`RegionScopedQuerySet`; ID numbers masked; every read of personal data is audited by the
caller's service (`institution_get`, `home_services`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractYear
from django.http import HttpRequest
from django.utils.translation import gettext

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.services import personal_data_read
from minzheng.eldercare import institution_models as m
from minzheng.eldercare.records import REFUSALS
from minzheng.lib import idcard
from minzheng.lib.i18n import RequestError, gettext_noop, shorten
from minzheng.regions.scoping import user_scope

ID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,20}")
NURSING_TYPE = (m.Bed.Kind.NURSING, m.Bed.Kind.DEMENTIA)


class InstitutionRefused(RequestError):
    """An institutions page or API request refused (not found or out of scope)."""


def _annotated(qs: QuerySet[m.Institution]) -> QuerySet[m.Institution]:
    """Institutions with their beds by type, occupancy, valid certified carers and star grade
    (each count a subquery, so that the counts do not multiply each other)."""
    beds = m.Bed.objects.filter(institution=OuterRef("pk")).values("institution")

    def bed_count(condition: Q) -> Subquery:
        return Subquery(beds.annotate(n=Count("pk", filter=condition)).values("n")[:1])

    carers = (
        m.StaffMember.objects.filter(
            institution=OuterRef("pk"),
            role=m.StaffMember.Role.CARER,
            certificate_expiry__gte=OuterRef("as_of"),
        )
        .exclude(certificate_no="")
        .values("institution")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    grade = m.StarGrading.objects.filter(institution=OuterRef("pk")).order_by("-graded_on")
    return qs.annotate(
        beds_total=bed_count(Q()),
        beds_nursing=bed_count(Q(kind__in=NURSING_TYPE)),
        beds_dementia=bed_count(Q(kind=m.Bed.Kind.DEMENTIA)),
        occupied=bed_count(~Q(resident_id_number="")),
        carers_certified_valid=Subquery(carers),
        star_grade=Subquery(grade.values("grade")[:1]),
    )


def _prefix(user: Any, region: Any) -> str:
    """The region asked for when it lies in the user's scope, else the user's own."""
    scope = user_scope(user)
    code = str(region or "").strip()[:12]
    return code if code.isdigit() and code.startswith(scope.prefix) else scope.prefix


def institutions_for(user: Any, region: Any = "") -> tuple[QuerySet[m.Institution], str]:
    """The institutions of the user's scope (or of one of its regions), with their counts."""
    prefix = _prefix(user, region)
    qs = m.Institution.objects.for_user(user).filter(region_code__startswith=prefix)
    return _annotated(qs).order_by("region_code", "pk"), prefix


def institutions_table(user_or_regions: Any) -> pa.Table:
    """The institutions of a user's scope, or of the given region codes (a code, or an
    iterable of codes: every institution under any of them), one row each, for the layout
    plan: institution_id, region_code, county, lon, lat, beds_total, beds_nursing (dementia-care
    beds included: they are nursing-type), beds_dementia, occupied, carers_certified_valid."""
    if isinstance(user_or_regions, str):
        codes = [user_or_regions]
    elif isinstance(user_or_regions, Iterable):
        codes = [str(c) for c in user_or_regions]
    else:
        codes = None
    if codes is None:
        qs = m.Institution.objects.for_user(user_or_regions)
    else:
        condition = Q(pk__in=[])
        for code in codes:
            condition |= Q(region_code__startswith=_code_prefix(code))
        qs = m.Institution.objects.filter(condition)
    rows = list(
        _annotated(qs)
        .order_by("pk")
        .values(
            "pk",
            "region_code",
            "lon",
            "lat",
            "beds_total",
            "beds_nursing",
            "beds_dementia",
            "occupied",
            "carers_certified_valid",
        )
    )
    ints = ("beds_total", "beds_nursing", "beds_dementia", "occupied", "carers_certified_valid")
    return pa.table(
        {
            "institution_id": pa.array([r["pk"] for r in rows], pa.string()),
            "region_code": pa.array([r["region_code"] for r in rows], pa.string()),
            "county": pa.array([r["region_code"][:6] for r in rows], pa.string()),
            "lon": pa.array([r["lon"] for r in rows], pa.float64()),
            "lat": pa.array([r["lat"] for r in rows], pa.float64()),
            **{k: pa.array([r[k] or 0 for r in rows], pa.int64()) for k in ints},
        }
    )


def _code_prefix(code: str) -> str:
    """The leading digits a region code's subtree shares (GB/T 2260: 330000 → 33, 330100 →
    3301; township and village codes as they are)."""
    code = code.strip()
    if len(code) == 6 and code.isdigit():
        return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
    return code


def institution_get(*, user: Any, request: HttpRequest | None, institution_id: str):
    """One institution of the user's scope with its beds (residents masked) and staff
    (certificate expiry flagged); the read is audited. Unknown or out of scope: the same 404."""
    require(
        user,
        roles.VIEW_INSTITUTION,
        request=request,
        object_type="institution",
        object_id=institution_id,
    )
    key = str(institution_id)
    # an id is letters, digits and dashes: anything else (a NUL byte, which PostgreSQL refuses)
    # is no institution and never reaches a query
    found = (
        _annotated(m.Institution.objects.for_user(user).filter(pk=key)).first()
        if ID_PATTERN.fullmatch(key)
        else None
    )
    if found is None:
        not_found(
            InstitutionRefused,
            "institution_not_found",
            gettext_noop("Institution %(value)s does not exist or is not in your scope."),
            user=user,
            request=request,
            action="read_personal",
            object_type="institution",
            object_id=shorten(str(institution_id)),
            value=shorten(str(institution_id)),
        )
    on = found.as_of
    beds = [
        {
            "id": b.pk,
            "kind": b.kind,
            "kind_label": b.get_kind_display(),
            "resident": idcard.mask(b.resident_id_number) if b.resident_id_number else "",
            "admitted_on": b.admitted_on,
        }
        for b in found.beds.order_by("pk")
    ]
    staff = [
        {
            "id": s.pk,
            "role": s.get_role_display(),
            "level": s.get_certificate_level_display() if s.certificate_level else "",
            "level_code": s.certificate_level,
            "certificate_no": s.certificate_no,
            "expiry": s.certificate_expiry,
            "valid": s.certificate_valid(on),
            "expired": s.certificate_expired(on),
            "first_aid_expiry": s.first_aid_expiry,
            "first_aid_valid": s.first_aid_valid(on),
            "first_aid_expired": s.first_aid_expiry is not None and not s.first_aid_valid(on),
        }
        for s in found.staff.order_by("role", "pk")
    ]
    personal_data_read(
        actor=user,
        request=request,
        object_type="institution",
        object_id=found.pk,
        region_code=found.region_code,
        fields=["resident_id_number"],
    )
    return {
        "institution": found,
        "beds": beds,
        "staff": staff,
        "gradings": list(found.gradings.order_by("-graded_on")),
        "consortia": list(
            m.Consortium.objects.filter(members__member_id=found.pk).order_by("pk").distinct()
        ),
    }


def consortia_for(user: Any) -> QuerySet[m.Consortium]:
    """The consortia of the user's scope with their member counts."""
    return (
        m.Consortium.objects.for_user(user)
        .select_related("lead")
        .annotate(
            institutions=Count("members", filter=Q(members__member_kind="institution")),
            centres=Count("members", filter=Q(members__member_kind="home_care_centre")),
        )
        .order_by("region_code", "pk")
    )


def respite_over_allowance(user: Any, prefix: str) -> list[dict[str, Any]]:
    """Older people whose respite days in a year exceed the yearly allowance (masked)."""
    allowance = settings.RESPITE_DAYS_PER_YEAR
    rows = (
        m.RespiteStay.objects.for_user(user)
        .filter(region_code__startswith=prefix)
        .annotate(year=ExtractYear("started_on"))
        .values("id_number", "year")
        .annotate(days_used=Sum("days"))
        .filter(days_used__gt=allowance)
        .order_by("-days_used", "id_number")
    )
    return [
        {"person": idcard.mask(r["id_number"]), "year": r["year"], "days": r["days_used"]}
        for r in rows
    ]


def home_services(*, user: Any, request: HttpRequest | None, region: Any = "") -> dict[str, Any]:
    """The home and community services of a township (or of the user's scope): centres, meal
    points and meals, work orders with their EVV flags, home-care beds, respite days against
    the allowance, home adaptations and the refused rows; ID numbers masked, the read audited."""
    require(user, roles.VIEW_INSTITUTION, request=request, object_type="home_services")
    prefix = _prefix(user, region)

    def scoped(model):
        return model.objects.for_user(user).filter(region_code__startswith=prefix)

    orders = scoped(m.WorkOrder)
    flagged = orders.filter(Q(far_from_home=True) | Q(too_short=True)).order_by(
        "service_date", "pk"
    )
    meals = scoped(m.MealOrder).aggregate(
        n=Count("pk"),
        delivered=Count("pk", filter=Q(mode="delivery")),
        subsidy=Sum("subsidy"),
    )
    centres = scoped(m.HomeCareCentre).annotate(
        n_workers=Count("workers", distinct=True), n_points=Count("points", distinct=True)
    )
    result = {
        "prefix": prefix,
        "centres": list(centres.order_by("pk")),
        "meal_points": scoped(m.MealPoint).count(),
        "meals": meals,
        "orders": orders.count(),
        "far": orders.filter(far_from_home=True).count(),
        "short": orders.filter(too_short=True).count(),
        "flagged": [
            {
                "id": o.pk,
                "person": idcard.mask(o.id_number),
                "item": o.get_service_item_display(),
                "date": o.service_date,
                "check_in": _clock(o.check_in),
                "check_out": _clock(o.check_out),
                "duration": o.duration,
                "distance_m": o.distance_m,
                "far": o.far_from_home,
                "short": o.too_short,
            }
            for o in flagged[:200]
        ],
        "home_beds": scoped(m.HomeCareBed).count(),
        "respite_days": scoped(m.RespiteStay).aggregate(n=Sum("days"))["n"] or 0,
        "respite_over": respite_over_allowance(user, prefix),
        "allowance": settings.RESPITE_DAYS_PER_YEAR,
        "adaptations": scoped(m.HomeAdaptation).aggregate(n=Count("pk"), cost=Sum("cost")),
        "refusals": [
            {
                "r": r,
                "reason": gettext(REFUSALS[r.code]) if r.code in REFUSALS else r.code,
            }
            for r in scoped(m.RecordRefusal).order_by("table", "record_id")[:200]
        ],
        "evv_distance": settings.EVV_MAX_DISTANCE_M,
        "evv_minutes": settings.EVV_MIN_MINUTES,
    }
    personal_data_read(
        actor=user,
        request=request,
        object_type="home_services",
        object_id=prefix,
        region_code=prefix,
        fields=["id_number"],
    )
    return result


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def data_date() -> dt.date | None:
    """The date the loaded institution records describe."""
    from django.db.models import Max

    return m.Institution.objects.aggregate(d=Max("as_of"))["d"]
