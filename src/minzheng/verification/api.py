"""The verification API: consents and checks as JSON, every refusal a 4xx with its reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from minzheng.api.errors import ERRORS
from minzheng.policy.household import parse_household
from minzheng.verification import services
from minzheng.verification.models import Consent

router = Router(tags=["verification"])


class CheckIn(Schema):
    household_id: str
    date: dt.date
    declared: dict[str, Any] | None = None  # a household file (v1)


class ConsentIn(Schema):
    household_id: str
    id_number: str
    given_at: dt.datetime


class ConsentOut(Schema):
    id: int
    household_id: str
    id_number: str
    method: str
    given_at: dt.datetime
    revoked_at: dt.datetime | None


def _check_out(check, report: dict) -> dict:
    """The check with its report; each notice also as text in the reader's language."""
    from minzheng.verification.present import notice_text

    notices = [n | {"text": notice_text(n)} for n in report["notices"]]
    return {
        "number": check.number,
        "officer": check.officer.get_username() if check.officer else None,
        "created_at": check.created_at.isoformat(),
        "report": report | {"notices": notices},
    }


@router.post("/checks", response={201: dict, **ERRORS}, summary="Run a check of one household")
def check_create(request: HttpRequest, payload: CheckIn):
    declared = parse_household(payload.declared) if payload.declared is not None else None
    check = services.check_run(
        user=request.user,
        request=request,
        household_id=payload.household_id,
        date=payload.date,
        declared=declared,
        source="api",
    )
    return Status(201, _check_out(check, services.masked(check.report)))


@router.get(
    "/checks/{number}",
    response={200: dict, **ERRORS},
    summary="A check's report (masked unless unmask)",
)
def check_detail(request: HttpRequest, number: str, unmask: bool = False):
    check = services.check_read(user=request.user, request=request, number=number, unmask=unmask)
    return _check_out(check, check.report if unmask else services.masked(check.report))


@router.post(
    "/consents", response={201: ConsentOut, **ERRORS}, summary="Record an online confirmation"
)
def consent_create(request: HttpRequest, payload: ConsentIn):
    consent = services.consent_record(
        user=request.user,
        request=request,
        household_id=payload.household_id,
        id_number=payload.id_number,
        method=Consent.Method.ONLINE,
        given_at=payload.given_at,
    )
    return Status(201, _consent_out(consent))


@router.post(
    "/consents/{consent_id}/revoke",
    response={200: ConsentOut, **ERRORS},
    summary="Revoke a consent",
)
def consent_revoke(request: HttpRequest, consent_id: int):
    consent = services.consent_revoke(user=request.user, request=request, consent_id=consent_id)
    return _consent_out(consent)


def _consent_out(consent: Consent) -> dict:
    from minzheng.lib import idcard

    return {
        "id": consent.pk,
        "household_id": consent.household_id,
        "id_number": idcard.mask(consent.id_number),
        "method": consent.method,
        "given_at": consent.given_at,
        "revoked_at": consent.revoked_at,
    }
