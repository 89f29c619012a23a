"""Demo cases: households of a caseworker's township carried through the real services to
every state, as if the work had been done over the past weeks (`minzheng cases demo`, run by
`make demo` so that the worklist, the queue and the case pages are not empty).

Each step runs through the same service as a page would, at a simulated moment in the past:
the steps of all cases are taken in the order of their moments, so the timelines and the
audit chain stay in time order. Households that already have a case are left alone, so the
command can run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.utils import timezone

from minzheng.cases import services, workflow
from minzheng.cases.models import Case

# target state → the steps that lead there (after opening), each with its day offset
PLANS: dict[str, list[tuple[str, int]]] = {
    workflow.DRAFT: [],
    workflow.SUBMITTED: [("submit", 1)],
    workflow.VERIFYING: [("submit", 1), ("verify", 2)],
    workflow.TOWNSHIP_REVIEW: [("submit", 1), ("verify", 2), ("start_review", 3)],
    workflow.PUBLIC_NOTICE: [
        ("submit", 1),
        ("verify", 2),
        ("start_review", 3),
        ("record_visit", 5),
    ],
    workflow.RETURNED: [("submit", 1), ("verify", 2), ("return", 3)],
    workflow.COUNTY_APPROVAL: [
        ("submit", 1),
        ("verify", 2),
        ("start_review", 3),
        ("record_visit", 4),
        ("close_notice", 13),
    ],
    workflow.APPROVED: [
        ("submit", 1),
        ("verify", 2),
        ("start_review", 3),
        ("record_visit", 4),
        ("close_notice", 13),
        ("approve", 14),
    ],
    workflow.REJECTED: [
        ("submit", 1),
        ("verify", 2),
        ("start_review", 3),
        ("record_visit", 4),
        ("close_notice", 13),
        ("reject", 14),
    ],
}
TEXTS = {
    "record_visit": {"findings": "入户核实：家庭成员、收入与申报一致，居住条件困难。"},
    "return": {"reason": "缺少家庭成员收入证明，请补充后再次提交。"},
    "reject": {"reason": "家庭人均收入高于当地低保标准，不符合条件。"},
}
DAYS_AGO = 20  # the first case was opened this many days before today


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def load_demo_cases(
    caseworker: Any, approver: Any, *, per_state: int = 2, progress: Callable | None = None
) -> dict[str, int]:
    """Open cases for households of the caseworker's scope and take them to every state;
    returns the number of cases per state reached."""
    from minzheng.verification.services import consent_record, household_adults

    households = _households(caseworker, per_state * len(PLANS))
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - dt.timedelta(
        days=DAYS_AGO
    )
    as_of = services.default_as_of()
    # every step of every case on one timeline: (moment, case index, step)
    steps: list[tuple[dt.datetime, int, str]] = []
    # the approved ones first: they take the households enrolled in 低保
    order = [workflow.APPROVED, *(s for s in PLANS if s != workflow.APPROVED)]
    plans = [state for state in order for _ in range(per_state)][: len(households)]
    for i, state in enumerate(plans):
        opened = start + dt.timedelta(minutes=10 * i)
        steps.append((opened, i, "open"))
        steps += [(opened + dt.timedelta(days=d), i, action) for action, d in PLANS[state]]
    cases: dict[int, Case] = {}
    for n, (moment, i, action) in enumerate(sorted(steps)):
        with _at(moment):
            if action == "open":
                household = households[i]
                _house, members = household_adults(
                    user=caseworker, household_id=household, date=timezone.localdate()
                )
                for member in members:
                    consent_record(
                        user=caseworker,
                        request=None,
                        household_id=household,
                        id_number=member["id_number"],
                        method="online",
                        given_at=moment,
                    )
                cases[i] = services.case_open(
                    user=caseworker,
                    request=None,
                    household_id=household,
                    channel="counter",
                    as_of=as_of,
                    payee=_payee(household, members),
                )
            else:
                cases[i] = _step(cases[i], action, moment, caseworker, approver)
        if progress:
            progress(n + 1, len(steps))
    counts: dict[str, int] = {}
    for case in cases.values():
        counts[case.state] = counts.get(case.state, 0) + 1
    _pay(approver, [c for c in cases.values() if c.state == workflow.APPROVED])
    return counts


def _payee(household: str, members: list[dict]) -> dict:
    """A made-up account of the household's first adult at a local bank."""
    digits = "".join(ch for ch in household if ch.isdigit())
    return {
        "name": (members[0].get("name") if members else "") or "户主",
        "bank": "浙江农商银行",
        "account": f"6228{digits:0>15}"[:19],
    }


def _pay(approver: Any, approved: list[Case]) -> None:
    """The first month's payments of the approved cases, and the bank's return with one
    line failed (so that the payment pages show a re-issue to make)."""
    import csv
    import io

    from minzheng.cases import payments

    if not approved:
        return
    month = services.first_paid_month(timezone.localtime(approved[0].decided_at).date())
    run = payments.payment_run(
        user=approver, request=None, county=approved[0].county_code, month=month
    )
    lines = list(run.payments.filter(status="issued").order_by("line"))
    if len(lines) < 2:
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line_id", "status", "reason"])
    writer.writerow([lines[0].line_id, "failed", "户名与账户不符"])
    writer.writerows([p.line_id, "paid", ""] for p in lines[1:])
    payments.payment_returns(
        user=approver, request=None, number=run.number, data=out.getvalue().encode()
    )


def _step(case: Case, action: str, moment: dt.datetime, caseworker, approver) -> Case:
    if action == "approve" and not case.programmes.filter(included=True).exists():
        action = "reject"  # the rules found nothing for this household: a rejection
    user = approver if action in ("approve", "reject") else caseworker
    data = dict(TEXTS.get(action, {}))
    if action == "record_visit":
        data["visit_date"] = timezone.localtime(moment).date()
    return services.case_act(
        user=user, request=None, number=case.number, action=action, version=case.version, **data
    )


def _households(caseworker: Any, wanted: int) -> list[str]:
    """Households of the caseworker's scope with at least one adult and no case yet; those
    enrolled in 低保 first (the rules find them eligible, so some cases are approved)."""
    from minzheng.verification.services import lake

    region = caseworker.region
    taken = set(Case.objects.values_list("household_id", flat=True))
    source = lake()
    with source.lock:
        rows = source.lookup._rows(
            "SELECT h.household_id FROM hukou_households h "
            "WHERE (h.township_code = ? OR h.village_code = ?) AND EXISTS ("
            "  SELECT 1 FROM hukou_persons p WHERE p.household_id = h.household_id "
            "  AND p.birth_date <= ?) "
            "ORDER BY (h.household_id IN (SELECT household_id FROM enrolments "
            "WHERE programme = 'dibao')) DESC, h.household_id LIMIT ?",
            [region.code, region.code, _adult_born_by(services.default_as_of()), wanted * 3],
        )
    return [r["household_id"] for r in rows if r["household_id"] not in taken][:wanted]


def _adult_born_by(day: dt.date) -> dt.date:
    """The latest birth date of someone aged 18 on `day`."""
    return dt.date(day.year - 18, day.month, min(day.day, 28))
