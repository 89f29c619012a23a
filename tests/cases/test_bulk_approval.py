"""Bulk approval of a county's queue: each case checked as one approval is, a chunk per
transaction, restartable after a crash."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from minzheng.accounts.permissions import PermissionRefused
from minzheng.audit.models import AuditEvent
from minzheng.cases import services, workflow
from minzheng.cases.models import Case, CaseProgramme, Enrolment


def make_case(
    number, creator, *, household=None, village="330102001001", state=None, amount="500.00"
):
    case = Case.objects.create(
        number=number,
        household_id=household or f"H{village[:6]}{number[-7:]}",
        region_code=village,
        channel="counter",
        state=state or workflow.COUNTY_APPROVAL,
        as_of=dt.date(2020, 12, 31),
        created_by=creator,
        reviewed_by=creator,
        state_since=timezone.now(),
    )
    if amount is not None:
        CaseProgramme.objects.create(
            case=case,
            programme="dibao",
            proposed=True,
            included=True,
            status="eligible",
            monthly_amount=Decimal(amount),
        )
    return case


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def test_each_case_of_a_bulk_approval_is_checked(clock, caseworker, approver, outsider):
    ok = [make_case(f"JZ33010220261012{i:05d}", caseworker) for i in range(1, 4)]
    make_case("JZ3301062026101200001", outsider, village="330106001001")  # another county
    make_case("JZ3301022026101200010", caseworker, state=workflow.TOWNSHIP_REVIEW)
    make_case("JZ3301022026101200011", approver)  # the approver reviewed it
    make_case("JZ3301022026101200012", caseworker, amount=None)  # nothing to approve
    enrolled = make_case("JZ3301022026101200013", caseworker)
    Enrolment.objects.create(
        programme="dibao",
        household_id=enrolled.household_id,
        beneficiary=enrolled.household_id,
        region_code=enrolled.region_code,
        monthly_amount=Decimal("300"),
        start_month=dt.date(2026, 1, 1),
    )
    twin = make_case("JZ3301022026101200014", caseworker, household=ok[0].household_id)
    numbers = [c.number for c in Case.objects.all()] + ["JZ-nonsense", "JZ\x00; DROP"]
    result = services.case_approve_many(user=approver, request=None, numbers=numbers)
    assert sorted(result["approved"]) == [c.number for c in ok]
    assert result["refused"] == {
        "JZ3301062026101200001": "case_not_found",
        "JZ3301022026101200010": "illegal_transition",
        "JZ3301022026101200011": "separation_of_duties",
        "JZ3301022026101200012": "nothing_to_approve",
        "JZ3301022026101200013": "already_enrolled",
        twin.number: "already_enrolled",
        "JZ-nonsense": "case_not_found",
        "JZ\x00; DROP": "case_not_found",
    }
    for case in ok:
        case.refresh_from_db()
        assert (case.state, case.decided_by, case.version) == (workflow.APPROVED, approver, 2)
        assert case.events.get().action == "approve"
        enrolment = Enrolment.objects.get(case=case)
        assert (enrolment.start_month, enrolment.monthly_amount) == (
            dt.date(2026, 11, 1),
            Decimal("500.00"),
        )
    assert Case.objects.get(number="JZ3301062026101200001").state == workflow.COUNTY_APPROVAL
    audited = AuditEvent.objects.filter(action="case_approve")
    assert audited.filter(outcome="success").count() == 3
    assert audited.filter(outcome="denied").count() == 8


def test_only_an_approver_approves_in_bulk(clock, caseworker):
    make_case("JZ3301022026101200001", caseworker)
    with pytest.raises(PermissionRefused):
        services.case_approve_many(user=caseworker, request=None, numbers=["JZ3301022026101200001"])
    assert Case.objects.get().state == workflow.COUNTY_APPROVAL


def test_a_crash_leaves_whole_chunks_and_the_run_restarts(clock, caseworker, approver, monkeypatch):
    cases = [make_case(f"JZ33010220261012{i:05d}", caseworker) for i in range(1, 6)]
    monkeypatch.setattr(services, "BULK_CHUNK", 2)
    calls = {"n": 0}
    real = Enrolment.objects.bulk_create

    def crash_on_the_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process is stopped mid-run
        return real(*args, **kwargs)

    monkeypatch.setattr(Enrolment.objects, "bulk_create", crash_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        services.case_approve_many(user=approver, request=None, numbers=[c.number for c in cases])
    states = dict(Case.objects.values_list("number", "state"))
    assert sorted(states.values()) == [workflow.APPROVED] * 2 + [workflow.COUNTY_APPROVAL] * 3
    assert Enrolment.objects.count() == 2
    monkeypatch.setattr(Enrolment.objects, "bulk_create", real)
    again = services.case_approve_many(
        user=approver, request=None, numbers=[c.number for c in cases]
    )
    assert len(again["approved"]) == 3
    assert set(again["refused"].values()) == {"illegal_transition"}  # the two approved before
    assert Enrolment.objects.count() == 5
