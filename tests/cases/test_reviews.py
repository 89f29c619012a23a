"""Periodic review: due on the schedule's date, a fresh check, and a decision that continues,
changes or ends the enrolments; a caseworker's suspension survives every automatic run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.cases import payments, reviews, workflow
from minzheng.cases.models import Case, Enrolment
from minzheng.cases.services import CaseError
from minzheng.lib.dates import add_months
from tests.conftest import _user

from .test_enrolments import approvable  # noqa: F401 (a fixture)
from .test_workflow import act


def at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def enrolled(approvable, approver):  # noqa: F811
    return act(approver, approvable, "approve")


@pytest.fixture
def township(enrolled):
    return type(enrolled.created_by).objects.get(pk=enrolled.created_by_id)


def test_the_review_date_follows_the_schedule_of_the_household_type(enrolled):
    enrolment = enrolled.enrolments.get(programme="dibao")
    decided = enrolled.decided_at.date()
    months = 12 if reviews.stable(enrolled, decided) else 6
    assert enrolment.next_review == add_months(decided, months)
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)


def _review(township, clock, enrolment):
    clock.move_to(at(enrolment.next_review))
    assert reviews.reviews_open(user=township, request=None, as_of=dt.date(2026, 10, 7)) == []
    opened = reviews.reviews_open(user=township, request=None, as_of=enrolment.next_review)
    assert len(opened) == 1
    review = opened[0]
    assert review.channel == Case.Channel.REVIEW and review.review_of_id == enrolment.case_id
    assert review.state == workflow.VERIFYING and review.verification_check is not None
    # a second run opens nothing more: the household has an open case
    assert reviews.reviews_open(user=township, request=None, as_of=enrolment.next_review) == []
    review.programmes.filter(programme="dibao").update(included=True)
    review = act(township, review, "start_review")
    review = act(
        township, review, "record_visit", visit_date=enrolment.next_review, findings="属实"
    )
    clock.move_to(at(review.notice_until + dt.timedelta(days=1)))
    return act(township, review, "close_notice")


def test_a_review_with_another_amount_ends_the_old_enrolment_and_starts_anew(
    enrolled, township, approver, clock
):
    old = enrolled.enrolments.get(programme="dibao")
    Enrolment.objects.filter(pk=old.pk).update(monthly_amount=Decimal("1.00"))
    old.refresh_from_db()
    review = act(approver, _review(township, clock, old), "approve")
    old.refresh_from_db()
    this_month = review.decided_at.date().replace(day=1)
    assert old.status == Enrolment.Status.ENDED and old.end_month == this_month
    assert review.number in old.status_reason
    new = review.enrolments.get(programme="dibao")
    assert new.start_month == payments.next_month(this_month) and new.monthly_amount > 1
    assert new.next_review > review.decided_at.date()


def test_a_review_with_the_same_amount_continues_the_enrolment(enrolled, township, approver, clock):
    old = enrolled.enrolments.get(programme="dibao")
    review = _review(township, clock, old)
    decided = review.programmes.get(programme="dibao").monthly_amount
    Enrolment.objects.filter(pk=old.pk).update(monthly_amount=decided)
    review = act(approver, review, "approve")
    old.refresh_from_db()
    assert old.status == Enrolment.Status.ACTIVE and old.end_month is None
    assert old.next_review > review.decided_at.date()
    assert not review.enrolments.exists()


def test_a_rejected_review_is_an_exit_paid_to_the_end_of_the_month(
    enrolled, township, approver, clock
):
    old = enrolled.enrolments.get(programme="dibao")
    review = act(approver, _review(township, clock, old), "reject", reason="收入超过标准")
    old.refresh_from_db()
    this_month = review.decided_at.date().replace(day=1)
    assert old.status == Enrolment.Status.ENDED and old.end_month == this_month
    after = payments.payment_run(
        user=approver, request=None, county="330102", month=payments.next_month(this_month)
    )
    assert not after.payments.exists()


def test_a_suspension_survives_the_payment_run_and_the_review_schedule(
    enrolled, township, approver, clock
):
    enrolment = enrolled.enrolments.get(programme="dibao")
    with pytest.raises(CaseError):  # a reason is required
        reviews.enrolment_suspend(
            user=township, request=None, pk=enrolment.pk, suspend=True, reason=""
        )
    reviews.enrolment_suspend(
        user=township, request=None, pk=enrolment.pk, suspend=True, reason="外出务工，待核实"
    )
    clock.move_to(at(dt.date(2026, 11, 20)))
    run = payments.payment_run(user=approver, request=None, county="330102", month="2026-11")
    assert not run.payments.exists()
    clock.move_to(at(enrolment.next_review))
    assert reviews.reviews_open(user=township, request=None, as_of=enrolment.next_review) == []
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.SUSPENDED and enrolment.status_by == township
    reviews.enrolment_suspend(
        user=township, request=None, pk=enrolment.pk, suspend=False, reason="已核实"
    )
    month = enrolment.next_review.replace(day=1)
    run = payments.payment_run(user=approver, request=None, county="330102", month=month)
    assert run.payments.filter(enrolment=enrolment).count() == 1


def test_only_the_households_township_suspends_and_reviews(enrolled, outsider, approver):
    enrolment = enrolled.enrolments.get(programme="dibao")
    for user, status in ((outsider, 404), (approver, 403)):
        with pytest.raises(Exception) as caught:
            reviews.enrolment_suspend(
                user=user, request=None, pk=enrolment.pk, suspend=True, reason="x"
            )
        assert caught.value.status == status
    assert reviews.reviews_open(user=outsider, request=None, as_of=dt.date(2030, 1, 1)) == []
    other = _user("cw_other", "caseworker", "330106001")
    with pytest.raises(Exception) as caught:
        reviews.enrolment_suspend(user=other, request=None, pk="1; DROP", suspend=True, reason="x")
    assert caught.value.status == 404
