"""The case workflow (救助"一件事"): open a case, take each legal step, decide.

Every step is one service call: it checks the role, the region scope, the state (the
table in `workflow`) and the version the caller saw, then records who, when, from, to and
why in the case's timeline and in the audit chain, all in one transaction. Two people acting
on one case at once: the first wins, the second is told the case changed (409).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.services import audit_record, audit_record_many
from minzheng.cases import workflow
from minzheng.cases.models import (
    Attachment,
    CalendarDay,
    Case,
    CaseEvent,
    CaseProgramme,
    Enrolment,
    Objection,
)
from minzheng.lib import workdays
from minzheng.lib.i18n import (
    RequestError,
    TranslatableError,
    gettext_noop,
    pgettext_lazy,
    shorten,
)
from minzheng.lib.numbering import create_numbered
from minzheng.policy.parameters import ParameterSet, load_parameters
from minzheng.policy.programmes.bundle import COVERED_DIBAO

PARAMETER_DIR = Path(__file__).parent / "parameters"
COVERED = tuple(COVERED_DIBAO)  # statuses a programme pays under (低保 has the most)
MAX_TEXT = 2000  # findings, reasons
CASE_NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}")
# how an application arrives (a review is opened by the schedule, not applied for)
APPLICATION_CHANNELS = [c for c in Case.Channel.values if c != Case.Channel.REVIEW]


class CaseError(RequestError):
    """A step refused: the message names the field or the rule."""


@cache
def parameters() -> ParameterSet:
    return load_parameters(PARAMETER_DIR)


def parameter(name: str, county: str, day: dt.date) -> Any:
    return parameters()[name].resolve(day, county).value


def default_as_of() -> dt.date:
    """The date of the data in use (the snapshot's), for a new case; today without one."""
    from minzheng.verification.services import lake

    try:
        return dt.date.fromisoformat(lake().lookup.manifest["snapshot_date"])
    except (TranslatableError, KeyError, ValueError):
        return timezone.localdate()


def calendar() -> dict[dt.date, bool]:
    """The administrators' corrections and additions to the holiday calendar."""
    return dict(CalendarDay.objects.values_list("day", "workday"))


def due_date(state: str, county: str, today: dt.date) -> dt.date | None:
    """The working-day limit of the step a case in `state` waits for."""
    step = workflow.LIMITS.get(state)
    if step is None:
        return None
    days = parameter(f"cases.limit_{step}", county, today)
    return workdays.add_workdays(today, days, calendar())


def _text(value: Any, field: str, *, required: bool = True) -> str:
    """Free text as stored: NFKC-normalised, without NUL bytes (which PostgreSQL refuses)."""
    text = unicodedata.normalize("NFKC", str(value or "")).replace("\x00", "").strip()
    if required and not text:
        raise CaseError("field_required", gettext_noop("%(field)s is required."), field=field)
    if len(text) > MAX_TEXT:
        raise CaseError(
            "field_too_long",
            gettext_noop("%(field)s is longer than %(max)s characters."),
            field=field,
            max=MAX_TEXT,
        )
    return text


def _audit(user: Any, request: HttpRequest | None, case: Case, action: str, **detail) -> None:
    audit_record(
        actor=user,
        action=f"case_{action}",
        request=request,
        object_type="case",
        object_id=case.number,
        region_code=case.region_code,
        detail=detail,
    )


def case_open(
    *,
    user: Any,
    request: HttpRequest | None,
    household_id: str,
    channel: str,
    as_of: dt.date,
    declared: dict | None = None,
    payee: dict | None = None,
) -> Case:
    """A new case (draft) of a household of the lake in the user's scope; `payee` is the
    account the assistance is paid to (name, bank, account)."""
    from minzheng.cases.payments import payee_of
    from minzheng.policy.household import parse_household
    from minzheng.verification.report import household_number
    from minzheng.verification.services import scoped_household

    household_id = household_number(household_id)
    require(user, roles.OPEN_CASE, request=request, object_type="household", object_id=household_id)
    if channel not in APPLICATION_CHANNELS:
        raise CaseError(
            "bad_channel",
            gettext_noop("channel: %(value)s is not one of %(allowed)s."),
            value=shorten(str(channel)),
            allowed=", ".join(APPLICATION_CHANNELS),
        )
    payee = payee_of(payee)
    found = scoped_household(user, household_id, as_of, request)
    if declared is not None:
        house, _members = parse_household(declared)
        if house["household_id"] != household_id:
            raise CaseError(
                "declaration_mismatch",
                gettext_noop("The declaration is of household %(declared)s, not of %(household)s."),
                declared=house["household_id"],
                household=household_id,
            )
    region_code = found.household["village_code"]
    open_case = (
        Case.objects.filter(household_id=household_id).exclude(state__in=workflow.FINAL).first()
    )
    if open_case is not None:
        raise CaseError(
            "case_already_open",
            gettext_noop("Household %(household)s already has an open case: %(number)s."),
            status=409,
            household=household_id,
            number=open_case.number,
        )

    def create(number: str) -> Case:
        case = Case.objects.create(
            number=number,
            household_id=household_id,
            region_code=region_code,
            channel=channel,
            as_of=as_of,
            declared=declared or {},
            payee=payee,
            created_by=user,
            state_since=timezone.now(),
        )
        CaseEvent.objects.create(case=case, actor=user, action="open", to_state=workflow.DRAFT)
        _audit(user, request, case, "open", channel=channel)
        return case

    return create_numbered(Case, "JZ", region_code, create)


def _number(value: Any) -> str | None:
    """A case number as the database may be asked for it (letters, digits, dashes), or None
    for anything else (a NUL byte, which PostgreSQL refuses, never reaches a query)."""
    text = str(value)
    return text if CASE_NUMBER.fullmatch(text) else None


def case_get(*, user: Any, request: HttpRequest | None, number: str) -> Case:
    """A case in the user's scope (not found and out of scope: the same audited 404)."""
    require(user, roles.VIEW_CASE, request=request, object_type="case", object_id=number)
    wanted = _number(number)
    case = Case.objects.for_user(user).filter(number=wanted).first() if wanted else None
    if case is None:
        not_found(
            CaseError,
            "case_not_found",
            gettext_noop("Case %(number)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="case_read",
            object_type="case",
            object_id=number,
            number=shorten(str(number)),
        )
    return case


def _conflict(case: Case) -> NoReturn:
    raise CaseError(
        "case_changed",
        gettext_noop(
            "Case %(number)s was changed by someone else while you were working on it; "
            "reload it and try again."
        ),
        status=409,
        number=case.number,
    )


def permission_for(case: Case, action: str) -> str:
    """Deciding (and returning a case from the county's queue) is the approver's; every
    other step the caseworker's."""
    if action in ("approve", "reject") or (
        action == "return" and case.state == workflow.COUNTY_APPROVAL
    ):
        return roles.APPROVE_CASE
    return roles.CHANGE_CASE


def case_act(
    *,
    user: Any,
    request: HttpRequest | None,
    number: str,
    action: str,
    version: int,
    **data: Any,
) -> Case:
    """Take one step of a case: `data` holds what the step needs (reason, findings …)."""
    case = case_get(user=user, request=request, number=number)
    if action not in workflow.TRANSITIONS:
        workflow.next_state(case.state, action)  # the refusal naming the action
    require(
        user, permission_for(case, action), request=request, object_type="case", object_id=number
    )
    target = workflow.next_state(case.state, action)
    if case.version != version:  # before the step's work (a check) is done for nothing
        _conflict(case)
    today = timezone.localdate()
    changes, detail, reason = STEPS[action](user, request, case, today, data)
    after = changes.pop("_after", None)  # what the step writes besides the case itself
    if target != case.state:
        due = due_date(target, case.county_code, today)
        changes |= {"state": target, "state_since": timezone.now(), "due_date": due}
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, version=version).update(
            version=F("version") + 1, **changes
        )
        if not updated:
            _conflict(case)
        if after is not None:
            after()
        CaseEvent.objects.create(
            case=case,
            actor=user,
            action=action,
            from_state=case.state,
            to_state=target,
            reason=reason,
            detail=detail,
        )
        _audit(user, request, case, action, from_state=case.state, to_state=target)
        if target == workflow.APPROVED:
            _enrol(case, today)
        elif target == workflow.REJECTED and case.review_of_id is not None:
            from minzheng.cases import reviews

            reviews.apply(case, {}, today)  # the review found nothing owed: every exit
    case.refresh_from_db()
    return case


def first_paid_month(decided: dt.date) -> dt.date:
    """Assistance is paid from the month after the decision (次月起)."""
    return (decided.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def decided_entitlements(case: Case) -> dict[str, dict[str, Decimal]]:
    """programme → beneficiary → monthly amount of the case's decision: the household's
    programmes at the amount decided, and for a programme paid to persons each entitled
    member at their own amount (the engine over the frozen inputs, on the decision's data
    date)."""
    from minzheng.cases import entitlements
    from minzheng.policy.household import from_trace

    rows = list(case.programmes.filter(included=True, monthly_amount__gt=0).order_by("programme"))
    members = {r.programme for r in rows if entitlements.per_member(r.programme)}
    inputs = case.basis.get("inputs")
    split = {}
    if members and inputs:
        date = dt.date.fromisoformat(case.basis["date"])
        split = entitlements.monthly({case.household_id: from_trace(inputs)}, date, members)
        split = split[case.household_id]
    out = {}
    for row in rows:
        if row.programme in members and inputs:
            if split.get(row.programme):
                out[row.programme] = split[row.programme]
        else:
            out[row.programme] = {case.household_id: row.monthly_amount}
    return out


def _enrol(case: Case, today: dt.date) -> list[Enrolment]:
    """The approved case's monthly entitlements, from the month after the decision (次月起):
    one per programme of the household, or per entitled member for a programme paid to
    persons. A review's decision continues, changes or ends the household's active
    enrolments (a suspended one is left as the caseworker set it). A programme the household
    is already enrolled in for those months is refused by the database, and the whole
    approval with it."""
    from minzheng.cases import reviews

    start = first_paid_month(today)
    wanted = decided_entitlements(case)
    if case.review_of_id is not None:
        wanted = reviews.apply(case, wanted, today)
    review = reviews.next_review(case, today)
    rows = []
    for programme, beneficiaries in wanted.items():
        for beneficiary, amount in beneficiaries.items():
            try:
                with transaction.atomic():
                    rows.append(
                        Enrolment.objects.create(
                            case=case,
                            programme=programme,
                            household_id=case.household_id,
                            beneficiary=beneficiary,
                            region_code=case.region_code,
                            monthly_amount=amount,
                            start_month=start,
                            next_review=review,
                        )
                    )
            except IntegrityError:
                raise CaseError(
                    "already_enrolled",
                    gettext_noop(
                        "Household %(household)s is already enrolled in %(programme)s from "
                        "%(month)s: end that enrolment first."
                    ),
                    status=409,
                    household=case.household_id,
                    programme=programme,
                    month=f"{start:%Y-%m}",
                ) from None
    return rows


# --- the steps: (user, request, case, today, data) → (field changes, event detail, reason) ---


def _submit(user, request, case, today, data):
    from minzheng.verification.report import adults
    from minzheng.verification.services import consents_active, scoped_household

    found = scoped_household(user, case.household_id, case.as_of, request)
    active = consents_active(case.household_id)
    missing = [m for m in adults(found, today) if m["id_number"] not in active]
    if missing:
        raise CaseError(
            "consent_missing",
            gettext_noop(
                "%(count)s adult member(s) have not authorised the economic-status check "
                "(授权核对): record their consent before submitting."
            ),
            status=403,
            count=len(missing),
        )
    return {"returned_reason": ""}, {}, ""


def _verify(user, request, case, today, data):
    """Run the economic-status check, keep its report with the case, and let the rules
    propose the programmes from the checked data (the declaration when there is one)."""
    from minzheng.policy.household import parse_household
    from minzheng.verification.report import found_inputs
    from minzheng.verification.services import check_run, lake, scoped_household

    declared = parse_household(case.declared) if case.declared else None
    check = check_run(
        user=user,
        request=request,
        household_id=case.household_id,
        date=case.as_of,
        declared=declared,
        source="case",
    )
    if declared is None:
        found = scoped_household(user, case.household_id, case.as_of, request)
        declared = found_inputs(found, case.as_of)
    source = lake()
    with source.lock:
        explanation = source.explainer.explain(declared[0], declared[1], case.as_of)
    changes = {
        "verification_check": check,
        "basis": _basis(case, check, explanation),
        "_after": lambda: _propose(case, explanation),  # in the step's transaction
    }
    return changes, {"check": check.number}, ""


def _basis(case: Case, check: Any, explanation: dict) -> dict:
    """What the decision will rest on, compact enough for every case: the inputs, the
    parameter values in force and the results (the full trace follows from these and the
    rules' version), and the figures the fast lane compares."""
    from minzheng import __version__

    trace = explanation["trace"]
    rules = trace["rules"]
    counted = rules["counted"]["values"]
    assets = sum(
        (
            Decimal(str(v or 0))
            for p, v in rules["financial_assets"]["values"].items()
            if counted.get(p)
        ),
        Decimal(0),
    )
    return {
        "check": check.number,
        "snapshot": check.report.get("snapshot", ""),
        "data": "declared" if case.declared else "found",
        "rules_version": __version__,
        "date": trace["date"],
        "county": trace["county"],
        "inputs": trace["inputs"],
        "parameters": trace["parameters"],
        "results": explanation["results"],
        "totals": explanation["totals"],
        "referrals": explanation["referrals"],
        "figures": {
            "members_counted": rules["members_counted"]["value"],
            "financial_assets_counted": str(assets),
        },
    }


def _propose(case: Case, explanation: dict) -> None:
    """The programmes the rules find the household eligible for; a caseworker's earlier
    choice (added or dropped with a reason) is kept."""
    for name, result in explanation["results"].items():
        status = result.get("status") or ""
        covered = status in COVERED or Decimal(str(result.get("one_off_amount") or 0)) > 0
        amount = result.get("monthly_amount")
        row, created = CaseProgramme.objects.get_or_create(
            case=case,
            programme=name,
            defaults={"proposed": covered, "included": covered},
        )
        row.proposed = covered
        if created or not row.reason:
            row.included = covered
        row.status = status
        row.monthly_amount = Decimal(str(amount)) if amount is not None else None
        row.save()


FAST_LANE_REFUSALS = {
    "programme_not_allowed": pgettext_lazy("fast lane", "低保 does not allow the fast lane here"),
    "not_eligible": pgettext_lazy("fast lane", "the rules do not find the household eligible"),
    "check_flagged": pgettext_lazy(
        "fast lane", "the economic-status check flagged a difference or is incomplete"
    ),
    "income_near_standard": pgettext_lazy(
        "fast lane", "per-capita income is not clearly below the standard"
    ),
    "assets_near_limit": pgettext_lazy(
        "fast lane", "per-capita financial assets are not clearly below the limit"
    ),
}


def _fast_lane(user, request, case, today, data):
    """Skip the home visit: the programme allows it, the result is clear by the margin and
    the check found no difference."""
    basis = case.basis
    margin = Decimal(str(parameter("cases.fast_lane_margin", case.county_code, today)))
    check = case.verification_check
    refused = []
    if not parameter("cases.fast_lane_dibao", case.county_code, today):
        refused.append("programme_not_allowed")
    dibao = basis.get("results", {}).get("dibao", {})
    if dibao.get("status") not in COVERED:
        refused.append("not_eligible")
    if check is None or check.flagged or not check.complete:
        refused.append("check_flagged")
    why: dict[str, Any] = {"margin": str(margin)}
    if not refused:
        params = basis["parameters"]
        standard = Decimal(str(params["dibao.standard_monthly"]["value"]))
        months = Decimal(str(params["dibao.asset_limit_months"]["value"]))
        members = Decimal(str(basis["figures"]["members_counted"] or 0)) or Decimal(1)
        assets = Decimal(basis["figures"]["financial_assets_counted"])
        income = Decimal(str(dibao.get("per_capita_income") or 0))
        cent = Decimal("0.01")
        why |= {
            "per_capita_income": str(income),
            "income_limit": str((margin * standard).quantize(cent)),
            "assets_per_capita": str((assets / members).quantize(cent)),
            "asset_limit": str((margin * months * standard).quantize(cent)),
            "check": check.number,
        }
        if income >= margin * standard:
            refused.append("income_near_standard")
        if assets / members >= margin * months * standard:
            refused.append("assets_near_limit")
    if refused:
        raise CaseError(
            "fast_lane_refused",
            gettext_noop("The fast lane is not open to this case (%(reasons)s): visit the home."),
            status=409,
            reasons="; ".join(str(FAST_LANE_REFUSALS[r]) for r in refused),
        )
    notice = today + dt.timedelta(days=parameter("cases.notice_days", case.county_code, today))
    return {"fast_lane": why, "reviewed_by": user, "notice_until": notice}, why, ""


def _start_review(user, request, case, today, data):
    return {}, {}, ""


def _record_visit(user, request, case, today, data):
    visited = data.get("visit_date")
    if not isinstance(visited, dt.date):
        raise CaseError(
            "field_required", gettext_noop("%(field)s is required."), field="visit_date"
        )
    if visited > today or visited < case.created_at.date():
        raise CaseError(
            "visit_date_out_of_range",
            gettext_noop("visit_date: %(value)s is not between the case's opening and today."),
            value=visited.isoformat(),
        )
    findings = _text(data.get("findings"), "findings")
    visit = {"date": visited.isoformat(), "findings": findings, "by": user.username}
    notice = today + dt.timedelta(days=parameter("cases.notice_days", case.county_code, today))
    return {"visit": visit, "reviewed_by": user, "notice_until": notice}, {}, ""


def _close_notice(user, request, case, today, data):
    if case.notice_until is None or today <= case.notice_until:
        raise CaseError(
            "notice_running",
            gettext_noop("The public notice runs until %(until)s; it can be closed after that."),
            status=409,
            until=case.notice_until.isoformat() if case.notice_until else "—",
        )
    if case.objections.filter(upheld__isnull=True).exists():
        raise CaseError(
            "objections_open",
            gettext_noop("Resolve every objection to the public notice before closing it."),
            status=409,
        )
    if case.objections.filter(upheld=True).exists():
        raise CaseError(
            "objection_upheld",
            gettext_noop("An objection to the public notice was upheld: return the case."),
            status=409,
        )
    return {}, {"objections": case.objections.count()}, ""


def _decide(user, request, case, today, data, approve: bool):
    if getattr(getattr(user, "region", None), "code", None) != case.county_code:
        raise CaseError(
            "approval_other_county",
            gettext_noop("Case %(number)s is decided by its own county (%(county)s)."),
            status=403,
            number=case.number,
            county=case.county_code,
        )
    if user.pk in (case.created_by_id, case.reviewed_by_id):
        raise CaseError(
            "separation_of_duties",
            gettext_noop("You created or reviewed case %(number)s: someone else decides it."),
            status=403,
            number=case.number,
        )
    reason = _text(data.get("reason"), "reason", required=not approve)
    if approve and not case.programmes.filter(included=True).exists():
        raise CaseError(
            "nothing_to_approve",
            gettext_noop("Case %(number)s covers no programme: reject it or add one."),
            status=409,
            number=case.number,
        )
    return {"decided_by": user, "decided_at": timezone.now(), "decision_reason": reason}, {}, reason


def _approve(user, request, case, today, data):
    return _decide(user, request, case, today, data, approve=True)


def _reject(user, request, case, today, data):
    return _decide(user, request, case, today, data, approve=False)


def _return(user, request, case, today, data):
    reason = _text(data.get("reason"), "reason")
    return {"returned_reason": reason}, {}, reason


STEPS = {
    "submit": _submit,
    "verify": _verify,
    "start_review": _start_review,
    "fast_lane": _fast_lane,
    "record_visit": _record_visit,
    "close_notice": _close_notice,
    "approve": _approve,
    "reject": _reject,
    "return": _return,
}
assert set(STEPS) == set(workflow.TRANSITIONS)


def attachment_add(
    *, user: Any, request: HttpRequest | None, number: str, kind: str, file: Any
) -> Attachment:
    """Keep a document with an open case: a PDF, JPEG or PNG by its content, at most the
    configured size, under a name of our own; the same file twice is kept once."""
    import hashlib

    from django.conf import settings
    from django.core.files import File

    from minzheng.verification import uploads

    case = case_get(user=user, request=request, number=number)
    require(user, roles.CHANGE_CASE, request=request, object_type="case", object_id=number)
    if case.state in workflow.FINAL:
        raise CaseError(
            "case_decided",
            gettext_noop("Case %(number)s is decided: documents can no longer be added."),
            status=409,
            number=case.number,
        )
    if kind not in Attachment.Kind.values:
        raise CaseError(
            "bad_attachment_kind",
            gettext_noop("kind: %(value)s is not one of %(allowed)s."),
            value=shorten(str(kind)),
            allowed=", ".join(Attachment.Kind.values),
        )
    file.seek(0)
    ext = uploads.form_kind(file.read(uploads.HEAD_BYTES))
    file.seek(0)
    if ext is None:
        raise CaseError(
            "attachment_type",
            gettext_noop(
                "file: a document must be a PDF, JPEG or PNG file (judged by its content, "
                "whatever its name)."
            ),
        )
    limit = settings.CASE_ATTACHMENT_MAX_BYTES
    if file.size > limit:
        raise CaseError(
            "attachment_too_large",
            gettext_noop("file: %(size)s MB; at most %(limit)s MB are accepted."),
            size=f"{file.size / 2**20:.1f}",
            limit=f"{limit / 2**20:g}",
        )
    sha = hashlib.sha256()
    for chunk in file.chunks():
        sha.update(chunk)
    digest = sha.hexdigest()
    found = case.attachments.filter(sha256=digest).first()
    if found is not None:
        return found
    with transaction.atomic():
        attachment = Attachment.objects.create(
            case=case,
            kind=kind,
            file=File(file, name=uploads.stored_name(ext)),
            sha256=digest,
            size=file.size,
            uploaded_by=user,
        )
        CaseEvent.objects.create(
            case=case,
            actor=user,
            action="attachment_added",
            from_state=case.state,
            to_state=case.state,
            detail={"kind": kind, "sha256": digest},
        )
        _audit(user, request, case, "attachment_added", kind=kind, sha256=digest)
    return attachment


def attachment_get(*, user: Any, request: HttpRequest | None, number: str, pk: int) -> Attachment:
    """A document of a case in the user's scope (an audited read of personal data)."""
    from minzheng.audit.services import personal_data_read

    case = case_get(user=user, request=request, number=number)
    found = case.attachments.filter(pk=pk).first()
    if found is None:
        not_found(
            CaseError,
            "attachment_not_found",
            gettext_noop("Case %(number)s has no document %(id)s."),
            user=user,
            request=request,
            action="case_read",
            object_type="attachment",
            object_id=f"{case.number}/{pk}",
            number=case.number,
            id=pk,
        )
    personal_data_read(
        actor=user,
        request=request,
        object_type="attachment",
        object_id=f"{case.number}/{found.pk}",
        region_code=case.region_code,
        fields=["document"],
    )
    return found


def programme_set(
    *,
    user: Any,
    request: HttpRequest | None,
    number: str,
    programme: str,
    included: bool,
    reason: str,
    version: int,
) -> Case:
    """Add or drop a programme of a case before the township review ends, with a reason."""
    case = case_get(user=user, request=request, number=number)
    require(user, roles.CHANGE_CASE, request=request, object_type="case", object_id=number)
    if case.state not in (workflow.VERIFYING, workflow.TOWNSHIP_REVIEW):
        raise CaseError(
            "programmes_fixed",
            gettext_noop("In the state “%(state)s” the programmes of a case can no longer change."),
            status=409,
            state=workflow.STATES[case.state],
        )
    row = case.programmes.filter(programme=programme).first()
    if row is None:
        raise CaseError(
            "unknown_programme",
            gettext_noop("programme: %(value)s is not a programme of this case."),
            value=shorten(str(programme)),
        )
    reason = _text(reason, "reason")
    row.included, row.reason = bool(included), reason
    _with_version(
        case,
        version,
        lambda: row.save(update_fields=["included", "reason"]),
        user,
        request,
        "programme_added" if included else "programme_dropped",
        reason=reason,
        detail={"programme": programme},
    )
    case.refresh_from_db()
    return case


BULK_CHUNK = 2000
BULK_REFUSALS = {
    "case_not_found": pgettext_lazy("bulk approval", "not found or outside your scope"),
    "illegal_transition": pgettext_lazy("bulk approval", "not waiting for the county's decision"),
    "approval_other_county": pgettext_lazy("bulk approval", "another county's case"),
    "separation_of_duties": pgettext_lazy("bulk approval", "you created or reviewed it"),
    "nothing_to_approve": pgettext_lazy("bulk approval", "covers no programme"),
    "already_enrolled": pgettext_lazy("bulk approval", "the household is already enrolled"),
}


def refusal_label(code: str) -> str:
    return str(BULK_REFUSALS.get(code, code))


def case_approve_many(
    *, user: Any, request: HttpRequest | None, numbers: list[str]
) -> dict[str, Any]:
    """Approve many cases of the approver's county in one action (a county's queue), each
    still checked as one approval is: scope, state, county, separation of duties, something
    to approve, no second enrolment. Set-based, a chunk of cases per transaction: a crash
    leaves every chunk approved whole or not at all. Returns the approved numbers and, for
    each refused one, why."""
    require(user, roles.APPROVE_CASE, request=request, object_type="case", object_id="bulk")
    given = list(dict.fromkeys(str(n)[:40] for n in numbers))
    wanted = [n for n in given if _number(n)]
    approved: list[str] = []
    refused: dict[str, str] = {n: "case_not_found" for n in given if not _number(n)}
    if refused:  # not even a case number: refused, and audited like any other refusal
        audit_record_many(actor=user, request=request, events=_refusals(user, refused))
    county = getattr(getattr(user, "region", None), "code", None)
    today, now = timezone.localdate(), timezone.now()
    start = first_paid_month(today)
    for i in range(0, len(wanted), BULK_CHUNK):
        part = wanted[i : i + BULK_CHUNK]
        with transaction.atomic():
            done, why = _approve_chunk(user, request, part, county, now, start)
        approved += done
        refused |= why
    return {"approved": approved, "refused": refused}


def _approve_chunk(user, request, numbers, county, now, start) -> tuple[list[str], dict]:
    cases = {
        c.number: c
        for c in Case.objects.for_user(user).select_for_update().filter(number__in=numbers)
    }
    refused = {n: "case_not_found" for n in numbers if n not in cases}
    candidates = []
    for case in cases.values():
        if case.state != workflow.COUNTY_APPROVAL:
            refused[case.number] = "illegal_transition"
        elif case.county_code != county:
            refused[case.number] = "approval_other_county"
        elif user.pk in (case.created_by_id, case.reviewed_by_id):
            refused[case.number] = "separation_of_duties"
        else:
            candidates.append(case)
    rows: dict[int, list[CaseProgramme]] = {}
    for row in CaseProgramme.objects.filter(
        case__in=[c.pk for c in candidates], included=True
    ).order_by("programme"):
        rows.setdefault(row.case_id, []).append(row)
    taken = set(
        Enrolment.objects.filter(beneficiary__in=[c.household_id for c in candidates])
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=start))
        .values_list("programme", "beneficiary")
    )
    ok = []
    for case in candidates:
        programmes = rows.get(case.pk, [])
        paid = [(r.programme, case.household_id) for r in programmes if r.monthly_amount]
        if not programmes:
            refused[case.number] = "nothing_to_approve"
        elif any(p in taken for p in paid):
            refused[case.number] = "already_enrolled"
        else:
            taken.update(paid)  # a second case of the household in this batch is refused
            ok.append(case)
    updated = Case.objects.filter(pk__in=[c.pk for c in ok], state=workflow.COUNTY_APPROVAL).update(
        state=workflow.APPROVED,
        version=F("version") + 1,
        decided_by=user,
        decided_at=now,
        state_since=now,
        due_date=None,
    )
    if updated != len(ok):  # pragma: no cover - rows are locked (PostgreSQL) or serialised
        raise AssertionError("cases changed during a bulk approval")
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=c,
                actor=user,
                action="approve",
                from_state=workflow.COUNTY_APPROVAL,
                to_state=workflow.APPROVED,
                detail={"bulk": True},
            )
            for c in ok
        ],
        batch_size=1000,
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                case=c,
                programme=r.programme,
                household_id=c.household_id,
                beneficiary=c.household_id,
                region_code=c.region_code,
                monthly_amount=r.monthly_amount,
                start_month=start,
            )
            for c in ok
            for r in rows[c.pk]
            if r.monthly_amount
        ],
        batch_size=1000,
    )
    events = [
        {
            "action": "case_approve",
            "object_type": "case",
            "object_id": c.number,
            "region_code": c.region_code,
            "detail": {
                "from_state": workflow.COUNTY_APPROVAL,
                "to_state": workflow.APPROVED,
                "bulk": True,
            },
        }
        for c in ok
    ] + _refusals(user, refused)
    audit_record_many(actor=user, request=request, events=events)
    return [c.number for c in ok], refused


def objection_record(
    *,
    user: Any,
    request: HttpRequest | None,
    number: str,
    version: int,
    raised_on: dt.date,
    content: str,
    objector: str = "",
) -> Objection:
    """An objection raised during the public notice (the objector may stay anonymous)."""
    case = case_get(user=user, request=request, number=number)
    require(user, roles.CHANGE_CASE, request=request, object_type="case", object_id=number)
    if case.state != workflow.PUBLIC_NOTICE:
        raise CaseError(
            "not_in_notice",
            gettext_noop("Case %(number)s is not in its public notice."),
            status=409,
            number=case.number,
        )
    if not isinstance(raised_on, dt.date):
        raise CaseError("field_required", gettext_noop("%(field)s is required."), field="raised_on")
    if raised_on > timezone.localdate():
        raise CaseError(
            "date_in_future",
            gettext_noop("%(field)s: %(value)s is in the future."),
            field="raised_on",
            value=raised_on.isoformat(),
        )
    content = _text(content, "content")
    objector = _text(objector, "objector", required=False)[:80]
    return _with_version(
        case,
        version,
        lambda: Objection.objects.create(
            case=case, raised_on=raised_on, objector=objector, content=content, recorded_by=user
        ),
        user,
        request,
        "objection_recorded",
    )


def objection_resolve(
    *,
    user: Any,
    request: HttpRequest | None,
    number: str,
    version: int,
    objection_id: int,
    upheld: bool,
    resolution: str,
) -> Objection:
    """How an objection was looked into: upheld (the case goes back) or not, and why."""
    case = case_get(user=user, request=request, number=number)
    require(user, roles.CHANGE_CASE, request=request, object_type="case", object_id=number)
    objection = case.objections.filter(pk=objection_id, upheld__isnull=True).first()
    if objection is None:
        not_found(
            CaseError,
            "objection_not_found",
            gettext_noop("Objection %(id)s of case %(number)s is not open."),
            user=user,
            request=request,
            action="objection_resolve",
            object_type="objection",
            object_id=objection_id,
            id=objection_id,
            number=case.number,
        )
    objection.resolution = _text(resolution, "resolution")
    objection.upheld = bool(upheld)
    objection.resolved_by, objection.resolved_at = user, timezone.now()
    return _with_version(
        case, version, lambda: objection.save() or objection, user, request, "objection_resolved"
    )


def _with_version(
    case: Case,
    version: int,
    change,
    user,
    request,
    action: str,
    *,
    reason: str = "",
    detail: dict | None = None,
):
    """Make `change` part of the case: its version goes up (a concurrent change loses with
    a conflict), its timeline and the audit chain say so, all in one transaction."""
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, version=version).update(version=F("version") + 1):
            _conflict(case)
        result = change()
        CaseEvent.objects.create(
            case=case,
            actor=user,
            action=action,
            from_state=case.state,
            to_state=case.state,
            reason=reason,
            detail=detail or {},
        )
        _audit(user, request, case, action, **(detail or {}))
    return result


def _refusals(user: Any, refused: dict[str, str]) -> list[dict]:
    """A bulk approval's refusals as audit events, in the approver's own region."""
    return [
        {
            "action": "case_approve",
            "object_type": "case",
            "object_id": number,
            "region_code": getattr(getattr(user, "region", None), "code", ""),
            "outcome": "denied",
            "detail": {"reason": reason, "bulk": True},
        }
        for number, reason in refused.items()
    ]
