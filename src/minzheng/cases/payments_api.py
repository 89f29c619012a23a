"""The payment API: run a county's month, follow its control totals and lines, apply the
bank's return and re-issue a failed line — the same services, scope and audit as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import File, Path, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from minzheng.accounts import roles
from minzheng.accounts.permissions import require
from minzheng.api.errors import ERRORS, ErrorOut
from minzheng.audit.services import personal_data_read
from minzheng.cases import exports, payments
from minzheng.cases.api import PayeeIn
from minzheng.cases.models import Payment, PaymentRun
from minzheng.lib.i18n import gettext_noop, shorten
from minzheng.lib.names import mask_name

router = Router(tags=["payments"])
PAYMENT_ERRORS = ERRORS | {409: ErrorOut}
PAGE = 500


class RunIn(Schema):
    county: str = Field(max_length=12)
    month: str = Field(max_length=10, description="the month, as 2026-11")


class TotalOut(Schema):
    count: int
    sum: Decimal


class RunOut(Schema):
    number: str
    county: str
    month: dt.date
    snapshot: str
    count: int
    sum: Decimal
    by_programme: dict[str, TotalOut]
    by_status: dict[str, TotalOut]
    stopped: dict[str, int]


class LineOut(Schema):
    line_id: str
    household_id: str
    beneficiary: str
    payee: str
    programme: str
    month: dt.date
    amount: Decimal
    status: str
    reason: str
    reissue_of: str | None


class ReturnsOut(Schema):
    lines: int
    paid: int
    failed: int


class ReissueIn(Schema):
    payee: PayeeIn | None = None


def _run_out(run: PaymentRun) -> dict:
    totals = payments.totals(run)
    return {
        "number": run.number,
        "county": run.county_code,
        "month": run.month,
        "snapshot": run.snapshot,
        "count": totals["count"],
        "sum": totals["sum"],
        "by_programme": totals["by_programme"],
        "by_status": totals["by_status"],
        "stopped": run.notes.get("stopped", {}),
    }


def _line_out(p: Payment) -> dict:
    return {
        "line_id": p.line_id,
        "household_id": p.household_id,
        "beneficiary": exports.shown_beneficiary(p.beneficiary),
        "payee": mask_name(p.payee.get("name", "")),
        "programme": p.programme,
        "month": p.month,
        "amount": p.amount,
        "status": p.status,
        "reason": p.reason,
        "reissue_of": p.reissue_of.line_id if p.reissue_of_id else None,
    }


@router.post("", response={200: RunOut, **PAYMENT_ERRORS}, summary="Run a county's month")
def run_create(request: HttpRequest, payload: RunIn):
    run = payments.payment_run(
        user=request.user, request=request, county=payload.county, month=payload.month
    )
    return _run_out(run)


@router.get("", response={200: list[RunOut], **PAYMENT_ERRORS}, summary="Payment runs in scope")
def run_list(request: HttpRequest, page: int = 1):
    require(request.user, roles.VIEW_PAYMENT, request=request, object_type="payment_run")
    start = (min(max(page, 1), 10**6) - 1) * 50
    return [_run_out(r) for r in PaymentRun.objects.for_user(request.user)[start : start + 50]]


@router.get("/{run_number}", response={200: RunOut, **PAYMENT_ERRORS}, summary="One run's totals")
def run_detail(request: HttpRequest, run_number: str):
    return _run_out(payments.run_get(user=request.user, request=request, number=run_number))


@router.get(
    "/{run_number}/lines",
    response={200: list[LineOut], **PAYMENT_ERRORS},
    summary="A run's lines (names and ID numbers masked)",
)
def run_lines(request: HttpRequest, run_number: str, status: str | None = None, page: int = 1):
    run = payments.run_get(user=request.user, request=request, number=run_number)
    lines = run.payments.select_related("run", "reissue_of__run").order_by("line")
    if status:
        if status not in Payment.Status.values:
            raise payments.PaymentError(
                "unknown_status",
                gettext_noop("status: %(value)s is not one of %(allowed)s."),
                value=shorten(status),
                allowed=", ".join(Payment.Status.values),
            )
        lines = lines.filter(status=status)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="payment_run",
        object_id=run.number,
        region_code=run.county_code,
        fields=["payment_list"],
    )
    start = (min(max(page, 1), 10**6) - 1) * PAGE
    return [_line_out(p) for p in lines[start : start + PAGE]]


@router.post(
    "/{run_number}/returns",
    response={200: ReturnsOut, **PAYMENT_ERRORS},
    summary="Apply the bank's return file (CSV: line_id, status, reason)",
)
def run_returns(request: HttpRequest, run_number: str, file: File[UploadedFile]):
    return payments.payment_returns(
        user=request.user,
        request=request,
        number=run_number,
        data=file.read(payments.MAX_RETURN_BYTES + 1),
    )


@router.post(
    "/{run_number}/lines/{line}/reissue",
    response={200: LineOut, **PAYMENT_ERRORS},
    summary="Re-issue a failed line once, to a corrected account if given",
)
def line_reissue(
    request: HttpRequest, run_number: str, payload: ReissueIn, line: int = Path(..., ge=1, le=10**9)
):
    again = payments.payment_reissue(
        user=request.user,
        request=request,
        number=run_number,
        line=line,
        payee=payload.payee.dict() if payload.payee else None,
    )
    return _line_out(again)
