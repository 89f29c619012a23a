"""The case API: open a case, follow it, take its steps, approve a county's queue — for a
resident-facing app and other departments, through the same services, scope and audit as
the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from minzheng.accounts import roles
from minzheng.accounts.permissions import require
from minzheng.api.errors import ERRORS, ErrorOut
from minzheng.audit.services import personal_data_read
from minzheng.cases import exports, reviews, selectors, services, workflow
from minzheng.cases.models import Case
from minzheng.lib import idcard
from minzheng.lib.i18n import gettext_noop, shorten
from minzheng.lib.names import mask_name

router = Router(tags=["cases"])
CASE_ERRORS = ERRORS | {409: ErrorOut}  # a step the state or the version does not allow
PAGE = 100


class PayeeIn(Schema):
    name: str = Field(max_length=40)
    bank: str = Field(max_length=40)
    account: str = Field(max_length=40)


class CaseIn(Schema):
    household_id: str = Field(max_length=40)
    channel: str = Field(max_length=20)
    as_of: dt.date
    payee: PayeeIn | None = None
    # the household's declaration (申报): a household file, as `minzheng explain` reads it
    declared: dict | None = None


class ProgrammeIn(Schema):
    programme: str = Field(max_length=32)
    included: bool
    reason: str = Field(max_length=services.MAX_TEXT)
    version: int = Field(ge=1, le=2**31 - 1)


class ObjectionIn(Schema):
    raised_on: dt.date
    content: str = Field(max_length=services.MAX_TEXT)
    objector: str = Field("", max_length=80)
    version: int = Field(ge=1, le=2**31 - 1)


class ResolutionIn(Schema):
    upheld: bool
    resolution: str = Field(max_length=services.MAX_TEXT)
    version: int = Field(ge=1, le=2**31 - 1)


class SuspensionIn(Schema):
    suspend: bool
    reason: str = Field(max_length=services.MAX_TEXT)


class ReviewsIn(Schema):
    as_of: dt.date


class AttachmentOut(Schema):
    id: int
    kind: str
    sha256: str
    size: int
    uploaded_at: dt.datetime


class EnrolmentOut(Schema):
    id: int
    programme: str
    beneficiary: str
    monthly_amount: Decimal
    start_month: dt.date
    end_month: dt.date | None
    status: str
    status_reason: str
    next_review: dt.date | None


class ObjectionOut(Schema):
    id: int
    raised_on: dt.date
    objector: str
    content: str
    upheld: bool | None
    resolution: str


class StepIn(Schema):
    action: str = Field(max_length=20)
    version: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field("", max_length=services.MAX_TEXT)
    findings: str = Field("", max_length=services.MAX_TEXT)
    visit_date: dt.date | None = None


class ApprovalsIn(Schema):
    numbers: list[str] = Field(max_length=100_000)


class ProgrammeOut(Schema):
    programme: str
    proposed: bool
    included: bool
    status: str
    monthly_amount: Decimal | None
    reason: str


class EventOut(Schema):
    at: dt.datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str


class CaseSummaryOut(Schema):
    number: str
    household_id: str
    state: str
    state_label: str
    version: int
    due_date: dt.date | None
    overdue: bool


class CaseOut(CaseSummaryOut):
    channel: str
    as_of: dt.date
    verification_check: str | None
    notice_until: dt.date | None
    returned_reason: str
    fast_lane: dict
    decided_at: dt.datetime | None
    decision_reason: str
    next_steps: list[str]
    review_of: str | None
    payee: dict
    programmes: list[ProgrammeOut]
    objections: list[ObjectionOut]
    attachments: list[AttachmentOut]
    enrolments: list[EnrolmentOut]
    timeline: list[EventOut]


class ApprovalsOut(Schema):
    approved: list[str]
    refused: dict[str, str]


def _summary(case: Case) -> dict:
    return {
        "number": case.number,
        "household_id": case.household_id,
        "state": case.state,
        "state_label": str(workflow.STATES[case.state]),
        "version": case.version,
        "due_date": case.due_date,
        "overdue": case.due_date is not None and case.due_date < timezone.localdate(),
    }


def _case_out(request: HttpRequest, case: Case) -> dict:
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="case",
        object_id=case.number,
        region_code=case.region_code,
        fields=["household", "programmes", "timeline"],
    )
    return _summary(case) | {
        "channel": case.channel,
        "as_of": case.as_of,
        "verification_check": case.verification_check.number if case.verification_check else None,
        "notice_until": case.notice_until,
        "returned_reason": case.returned_reason,
        "fast_lane": case.fast_lane,
        "decided_at": case.decided_at,
        "decision_reason": case.decision_reason,
        "next_steps": [
            a
            for a in workflow.allowed_actions(case.state)
            if request.user.has_perm(services.permission_for(case, a))
        ],
        "programmes": [
            {
                "programme": p.programme,
                "proposed": p.proposed,
                "included": p.included,
                "status": p.status,
                "monthly_amount": p.monthly_amount,
                "reason": p.reason,
            }
            for p in case.programmes.order_by("programme")
        ],
        "review_of": case.review_of.number if case.review_of_id else None,
        "payee": {
            "name": mask_name(case.payee.get("name", "")),
            "bank": case.payee.get("bank", ""),
            "account": idcard.mask(case.payee.get("account", "")),
        }
        if case.payee
        else {},
        "objections": [
            {
                "id": o.pk,
                "raised_on": o.raised_on,
                "objector": mask_name(o.objector),
                "content": o.content,
                "upheld": o.upheld,
                "resolution": o.resolution,
            }
            for o in case.objections.all()
        ],
        "attachments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "sha256": a.sha256,
                "size": a.size,
                "uploaded_at": a.uploaded_at,
            }
            for a in case.attachments.all()
        ],
        "enrolments": [
            {
                "id": e.pk,
                "programme": e.programme,
                "beneficiary": exports.shown_beneficiary(e.beneficiary),
                "monthly_amount": e.monthly_amount,
                "start_month": e.start_month,
                "end_month": e.end_month,
                "status": e.status,
                "status_reason": e.status_reason,
                "next_review": e.next_review,
            }
            for e in case.enrolments.order_by("programme", "beneficiary")
        ],
        "timeline": [
            {
                "at": e.at,
                "actor": e.actor.get_username(),
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "reason": e.reason,
            }
            for e in case.events.select_related("actor")
        ],
    }


@router.post("", response={201: CaseOut, **CASE_ERRORS}, summary="Open a case of a household")
def case_create(request: HttpRequest, payload: CaseIn):
    case = services.case_open(
        user=request.user,
        request=request,
        household_id=payload.household_id,
        channel=payload.channel,
        as_of=payload.as_of,
        payee=payload.payee.dict() if payload.payee else None,
        declared=payload.declared,
    )
    return Status(201, _case_out(request, case))


@router.get(
    "", response={200: list[CaseSummaryOut], **CASE_ERRORS}, summary="Open cases in your scope"
)
def case_list(request: HttpRequest, state: str | None = None, page: int = 1):
    require(request.user, roles.VIEW_CASE, request=request, object_type="case", object_id="list")
    cases = selectors.open_cases(request.user)
    if state:
        if state not in workflow.STATES:
            raise services.CaseError(
                "unknown_state",
                gettext_noop("state: %(value)s is not one of %(allowed)s."),
                value=shorten(state),
                allowed=", ".join(workflow.STATES),
            )
        cases = cases.filter(state=state)
    start = (min(max(page, 1), 10**6) - 1) * PAGE
    return [_summary(c) for c in cases[start : start + PAGE]]


@router.post(
    "/approvals",
    response={200: ApprovalsOut, **CASE_ERRORS},
    summary="Approve many cases of your county's queue",
)
def case_approvals(request: HttpRequest, payload: ApprovalsIn):
    return services.case_approve_many(user=request.user, request=request, numbers=payload.numbers)


@router.post(
    "/reviews",
    response={200: list[CaseSummaryOut], **CASE_ERRORS},
    summary="Open the periodic reviews due on a date in your scope",
)
def reviews_due(request: HttpRequest, payload: ReviewsIn):
    opened = reviews.reviews_open(user=request.user, request=request, as_of=payload.as_of)
    return [_summary(c) for c in opened]


# after /approvals and /reviews: a case number path would take those names otherwise
@router.get("/{case_number}", response={200: CaseOut, **CASE_ERRORS}, summary="One case")
def case_detail(request: HttpRequest, case_number: str):
    case = services.case_get(user=request.user, request=request, number=case_number)
    return _case_out(request, case)


@router.post(
    "/{case_number}/steps",
    response={200: CaseOut, **CASE_ERRORS},
    summary="Take a step of a case",
)
def case_step(request: HttpRequest, case_number: str, payload: StepIn):
    case = services.case_act(
        user=request.user,
        request=request,
        number=case_number,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        findings=payload.findings,
        visit_date=payload.visit_date,
    )
    return _case_out(request, case)


@router.post(
    "/{case_number}/programmes",
    response={200: CaseOut, **CASE_ERRORS},
    summary="Add or drop a programme of a case, with a reason",
)
def case_programme(request: HttpRequest, case_number: str, payload: ProgrammeIn):
    case = services.programme_set(
        user=request.user,
        request=request,
        number=case_number,
        programme=payload.programme,
        included=payload.included,
        reason=payload.reason,
        version=payload.version,
    )
    return _case_out(request, case)


@router.post(
    "/{case_number}/objections",
    response={200: CaseOut, **CASE_ERRORS},
    summary="Record an objection to a case's public notice",
)
def case_objection(request: HttpRequest, case_number: str, payload: ObjectionIn):
    case = services.objection_record(
        user=request.user,
        request=request,
        number=case_number,
        version=payload.version,
        raised_on=payload.raised_on,
        content=payload.content,
        objector=payload.objector,
    )
    return _case_out(request, case)


@router.post(
    "/{case_number}/objections/{objection_id}",
    response={200: CaseOut, **CASE_ERRORS},
    summary="Resolve an objection",
)
def case_objection_resolve(
    request: HttpRequest, case_number: str, objection_id: int, payload: ResolutionIn
):
    case = services.objection_resolve(
        user=request.user,
        request=request,
        number=case_number,
        version=payload.version,
        objection_id=objection_id,
        upheld=payload.upheld,
        resolution=payload.resolution,
    )
    return _case_out(request, case)


@router.post(
    "/enrolments/{enrolment_id}/suspension",
    response={200: EnrolmentOut, **CASE_ERRORS},
    summary="Suspend an enrolment or lift its suspension, with a reason",
)
def enrolment_suspension(request: HttpRequest, enrolment_id: int, payload: SuspensionIn):
    e = reviews.enrolment_suspend(
        user=request.user,
        request=request,
        pk=enrolment_id,
        suspend=payload.suspend,
        reason=payload.reason,
    )
    return {
        "id": e.pk,
        "programme": e.programme,
        "beneficiary": exports.shown_beneficiary(e.beneficiary),
        "monthly_amount": e.monthly_amount,
        "start_month": e.start_month,
        "end_month": e.end_month,
        "status": e.status,
        "status_reason": e.status_reason,
        "next_review": e.next_review,
    }


@router.post(
    "/{case_number}/attachments",
    response={200: CaseOut, **CASE_ERRORS},
    summary="Add a document to an open case (PDF, JPEG or PNG)",
)
def case_attachment(
    request: HttpRequest, case_number: str, kind: Form[str], file: File[UploadedFile]
):
    services.attachment_add(
        user=request.user, request=request, number=case_number, kind=kind, file=file
    )
    case = services.case_get(user=request.user, request=request, number=case_number)
    return _case_out(request, case)
