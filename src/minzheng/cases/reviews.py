"""Periodic review (动态管理): enrolled households are reviewed on a schedule of dated
parameters per programme and household type. A review is a case of its own (channel
`review`, `review_of` the case it reviews) that runs a fresh economic-status check and goes
through the same steps; its decision continues, changes or ends the household's enrolments
(an exit is paid to the end of the decision's month; a 渐退 amount is what the rules give).
An enrolment a caseworker suspended is left as they set it: no review and no run lifts it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.cases import workflow
from minzheng.cases.models import Case, CaseEvent, Enrolment
from minzheng.lib.dates import add_months
from minzheng.lib.i18n import TranslatableError, gettext_noop, pgettext_lazy
from minzheng.lib.numbering import create_numbered

ENDED_BY_REVIEW = pgettext_lazy("enrolment", "ended by the periodic review")
CHANGED_BY_REVIEW = pgettext_lazy("enrolment", "amount changed by the periodic review")


def stable(case: Case, today: dt.date) -> bool:
    """Whether every member is 60 or older or has a grade 1–2 disability (per the inputs
    frozen with the decision)."""
    members = (case.basis.get("inputs") or {}).get("members") or []

    def settled(m: dict) -> bool:
        born = dt.date.fromisoformat(m["birth_date"]) if m.get("birth_date") else None
        old = born is not None and add_months(born, 60 * 12) <= today
        return old or m.get("disability_grade") in (1, 2)

    return bool(members) and all(settled(m) for m in members)


def next_review(case: Case, today: dt.date) -> dt.date:
    """When the household's enrolments of this decision are reviewed next: the shortest
    period of its programmes."""
    from minzheng.cases.services import parameter

    kind = "_stable" if stable(case, today) else ""
    names = set(case.programmes.filter(included=True).values_list("programme", flat=True))
    groups = {"dibao" if n == "dibao" else "other" for n in names} or {"other"}
    months = min(
        parameter(f"cases.review_months_{group}{kind}", case.county_code, today) for group in groups
    )
    return add_months(today, months)


def apply(case: Case, wanted: dict[str, dict[str, Decimal]], today: dt.date) -> dict:
    """A review's decision on the household's active enrolments: the same amount continues
    (with its next review), another amount ends the old enrolment with this month and starts
    anew next month, nothing owed ends it with this month. Returns what is to be enrolled
    anew."""
    this_month = today.replace(day=1)
    due = next_review(case, today)
    remaining = {p: dict(b) for p, b in wanted.items()}
    active = Enrolment.objects.select_for_update().filter(
        household_id=case.household_id, status=Enrolment.Status.ACTIVE
    )
    for e in active:
        amount = remaining.get(e.programme, {}).get(e.beneficiary)
        if amount is not None and amount == e.monthly_amount:
            del remaining[e.programme][e.beneficiary]
            e.next_review = due
            e.save(update_fields=["next_review"])
            continue
        e.status = Enrolment.Status.ENDED
        e.end_month = max(this_month, e.start_month)
        e.status_reason = str(ENDED_BY_REVIEW if amount is None else CHANGED_BY_REVIEW)
        e.status_reason += f" ({case.number})"
        e.status_by = case.decided_by
        e.save(update_fields=["status", "end_month", "status_reason", "status_by"])
    return {p: b for p, b in remaining.items() if b}


def reviews_open(*, user: Any, request: HttpRequest | None, as_of: dt.date) -> list[Case]:
    """Open a review case for every household of the user's scope with an enrolment due for
    review on `as_of` and no open case, and take it through submission and the fresh check
    (a household whose check cannot run yet, e.g. a consent withdrawn, stays a draft)."""
    from minzheng.cases.services import CaseError, _audit, case_act, default_as_of

    require(user, roles.OPEN_CASE, request=request, object_type="review", object_id=str(as_of))
    busy = Case.objects.exclude(state__in=workflow.FINAL).values("household_id")
    due = (
        Enrolment.objects.for_user(user)
        .filter(status=Enrolment.Status.ACTIVE, next_review__lte=as_of, case__isnull=False)
        .exclude(household_id__in=busy)
        .order_by("household_id", "-start_month")
        .values_list("household_id", "case_id", "region_code")
    )
    latest: dict[str, tuple[int, str]] = {}
    for household, case_id, region in due:
        latest.setdefault(household, (case_id, region))
    data_date = default_as_of()
    opened = []
    for household, (case_id, region) in latest.items():

        def create(number: str, household=household, case_id=case_id, region=region) -> Case:
            case = Case.objects.create(
                number=number,
                household_id=household,
                region_code=region,
                channel=Case.Channel.REVIEW,
                review_of_id=case_id,
                as_of=data_date,
                payee=Case.objects.get(pk=case_id).payee,
                created_by=user,
                state_since=timezone.now(),
            )
            CaseEvent.objects.create(case=case, actor=user, action="open", to_state=workflow.DRAFT)
            _audit(user, request, case, "open", channel=Case.Channel.REVIEW)
            return case

        case = create_numbered(Case, "JZ", region, create)
        for action in ("submit", "verify"):
            try:
                case = case_act(
                    user=user,
                    request=request,
                    number=case.number,
                    action=action,
                    version=case.version,
                )
            except (CaseError, TranslatableError):
                break
        opened.append(case)
    return opened


def enrolment_get(*, user: Any, request: HttpRequest | None, pk: Any) -> Enrolment:
    from minzheng.cases.services import CaseError

    found = (
        Enrolment.objects.for_user(user).filter(pk=int(pk)).first()
        if str(pk).isdigit() and len(str(pk)) < 12
        else None
    )
    if found is None:
        not_found(
            CaseError,
            "enrolment_not_found",
            gettext_noop("Enrolment %(id)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="enrolment_read",
            object_type="enrolment",
            object_id=str(pk)[:150],
            id=str(pk)[:20],
        )
    return found


def enrolment_suspend(
    *, user: Any, request: HttpRequest | None, pk: Any, suspend: bool, reason: Any
) -> Enrolment:
    """A caseworker's suspension of an enrolment (or its lifting), with a reason: no payment
    while suspended, and no automatic run lifts it."""
    from minzheng.audit.services import audit_record
    from minzheng.cases.services import CaseError, _text

    enrolment = enrolment_get(user=user, request=request, pk=pk)
    require(user, roles.CHANGE_CASE, request=request, object_type="enrolment", object_id=str(pk))
    reason = _text(reason, "reason")
    source = Enrolment.Status.ACTIVE if suspend else Enrolment.Status.SUSPENDED
    with transaction.atomic():
        updated = Enrolment.objects.filter(pk=enrolment.pk, status=source).update(
            status=Enrolment.Status.SUSPENDED if suspend else Enrolment.Status.ACTIVE,
            status_reason=reason,
            status_by=user,
        )
        if not updated:
            raise CaseError(
                "enrolment_not_" + source,
                gettext_noop("Enrolment %(id)s is %(state)s: it cannot be changed so."),
                status=409,
                id=enrolment.pk,
                state=enrolment.get_status_display(),
            )
        audit_record(
            actor=user,
            action="enrolment_suspend" if suspend else "enrolment_resume",
            request=request,
            object_type="enrolment",
            object_id=str(enrolment.pk),
            region_code=enrolment.region_code,
            detail={"programme": enrolment.programme},
        )
    enrolment.refresh_from_db()
    return enrolment
