"""The institutions API: the institutions of your scope with their beds by type, occupancy
and valid certified care workers, and one institution with its beds (residents masked) —
the same selectors, scope and audit as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from minzheng.accounts import roles
from minzheng.accounts.permissions import require
from minzheng.api.errors import ERRORS
from minzheng.eldercare import institutions

router = Router(tags=["eldercare"])
PAGE = 100


class InstitutionOut(Schema):
    institution_id: str
    name: str
    kind: str
    region_code: str
    lon: float
    lat: float
    star_grade: int | None
    beds_total: int
    beds_nursing: int
    beds_dementia: int
    occupied: int
    carers_certified_valid: int


class BedOut(Schema):
    bed_id: str
    kind: str
    resident: str
    admitted_on: dt.date | None


class StaffOut(Schema):
    staff_id: str
    certificate_level: str
    certificate_expiry: dt.date | None
    certificate_valid: bool
    first_aid_valid: bool


class InstitutionDetailOut(InstitutionOut):
    as_of: dt.date
    beds: list[BedOut]
    staff: list[StaffOut]


def _out(i) -> dict:
    return {
        "institution_id": i.pk,
        "name": i.name,
        "kind": i.kind,
        "region_code": i.region_code,
        "lon": i.lon,
        "lat": i.lat,
        "star_grade": i.star_grade,
        "beds_total": i.beds_total or 0,
        "beds_nursing": i.beds_nursing or 0,
        "beds_dementia": i.beds_dementia or 0,
        "occupied": i.occupied or 0,
        "carers_certified_valid": i.carers_certified_valid or 0,
    }


@router.get(
    "/institutions",
    response={200: list[InstitutionOut], **ERRORS},
    summary="Institutions in your scope (or a region of it)",
)
def institution_list(request: HttpRequest, region: str = "", page: int = 1):
    require(
        request.user,
        roles.VIEW_INSTITUTION,
        request=request,
        object_type="institution",
        object_id="list",
    )
    rows, _prefix = institutions.institutions_for(request.user, region)
    start = (min(max(page, 1), 10**6) - 1) * PAGE
    return [_out(i) for i in rows[start : start + PAGE]]


@router.get(
    "/institutions/{institution_id}",
    response={200: InstitutionDetailOut, **ERRORS},
    summary="One institution with its beds (residents masked) and staff",
)
def institution_detail(request: HttpRequest, institution_id: str):
    found = institutions.institution_get(
        user=request.user, request=request, institution_id=institution_id
    )
    i = found["institution"]
    return _out(i) | {
        "as_of": i.as_of,
        "beds": [
            {
                "bed_id": b["id"],
                "kind": b["kind"],
                "resident": b["resident"],
                "admitted_on": b["admitted_on"],
            }
            for b in found["beds"]
        ],
        "staff": [
            {
                "staff_id": s["id"],
                "certificate_level": s["level_code"],
                "certificate_expiry": s["expiry"],
                "certificate_valid": s["valid"],
                "first_aid_valid": s["first_aid_valid"],
            }
            for s in found["staff"]
        ],
    }
