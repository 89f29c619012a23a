"""An approved case enrols the household from the next month at the decided amounts; the
database itself refuses a second enrolment of a programme for overlapping months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from minzheng.cases import entitlements, services, workflow
from minzheng.cases.models import Case, Enrolment
from minzheng.cases.services import CaseError
from minzheng.regions.services import regions_load_file
from tests.conftest import _user
from tests.verification.conftest import AS_OF
from tests.verification.test_web import consent_all

from .test_workflow import _to_approval, act


def enrolment(**kw) -> Enrolment:
    values = {
        "programme": "dibao",
        "household_id": "H3301020000001",
        "beneficiary": "H3301020000001",
        "region_code": "330102001001",
        "monthly_amount": Decimal("500.00"),
        "start_month": dt.date(2026, 1, 1),
        "end_month": None,
    } | kw
    return Enrolment.objects.create(**values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ((dt.date(2026, 1, 1), None), (dt.date(2027, 1, 1), None), True),
        ((dt.date(2026, 1, 1), dt.date(2026, 6, 1)), (dt.date(2026, 6, 1), None), True),
        ((dt.date(2026, 1, 1), dt.date(2026, 6, 1)), (dt.date(2026, 7, 1), None), False),
        ((dt.date(2026, 3, 1), None), (dt.date(2026, 1, 1), dt.date(2026, 2, 1)), False),
        ((dt.date(2026, 3, 1), None), (dt.date(2026, 1, 1), dt.date(2026, 3, 1)), True),
    ],
)
def test_the_database_refuses_overlapping_months(first, second, overlap):
    enrolment(start_month=first[0], end_month=first[1])
    enrolment(programme="tekun", start_month=second[0], end_month=second[1])  # another programme
    if overlap:
        with pytest.raises(IntegrityError), transaction.atomic():
            enrolment(start_month=second[0], end_month=second[1])
    else:
        enrolment(start_month=second[0], end_month=second[1])
    assert Enrolment.objects.filter(programme="dibao").count() == (1 if overlap else 2)


@pytest.mark.django_db
def test_an_update_into_overlap_is_refused_and_whole_months_only():
    enrolment(start_month=dt.date(2026, 1, 1), end_month=dt.date(2026, 3, 1))
    later = enrolment(start_month=dt.date(2026, 5, 1))
    later.start_month = dt.date(2026, 2, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        later.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        enrolment(beneficiary="H3301020000002", start_month=dt.date(2026, 1, 15))
    with pytest.raises(IntegrityError), transaction.atomic():
        enrolment(
            beneficiary="H3301020000003",
            start_month=dt.date(2026, 5, 1),
            end_month=dt.date(2026, 4, 1),
        )


@pytest.fixture
def approvable(verify_settings, regions, clock, poor_home, lookup, indexed_lake):
    regions_load_file(path=indexed_lake / "regions" / "subcounty.csv")
    caseworker = _user("cw_102", "caseworker", "330102102")
    consent_all(caseworker, poor_home, lookup)
    case = services.case_open(
        user=caseworker, request=None, household_id=poor_home, channel="counter", as_of=AS_OF
    )
    return _to_approval(case, caseworker, clock)


def test_approval_enrols_from_the_next_month_at_the_decided_amounts(approvable, approver):
    case = act(approver, approvable, "approve")
    rows = {e.programme: e for e in Enrolment.objects.filter(case=case)}
    decided = {
        p.programme: p.monthly_amount
        for p in case.programmes.filter(included=True, monthly_amount__gt=0)
    }
    assert {k: e.monthly_amount for k, e in rows.items()} == decided and "dibao" in rows
    # approved on 6 October 2026: paid from November
    assert {e.start_month for e in rows.values()} == {dt.date(2026, 11, 1)}
    assert {e.beneficiary for e in rows.values()} == {case.household_id}


def test_an_approval_that_would_enrol_twice_is_refused_whole(approvable, approver):
    enrolment(
        household_id=approvable.household_id,
        beneficiary=approvable.household_id,
        start_month=dt.date(2026, 1, 1),
    )
    with pytest.raises(CaseError) as caught:
        act(approver, approvable, "approve")
    assert caught.value.code == "already_enrolled" and caught.value.status == 409
    case = Case.objects.get(pk=approvable.pk)
    assert case.state == workflow.COUNTY_APPROVAL and case.decided_by is None
    assert Enrolment.objects.filter(case=case).count() == 0
    assert not case.events.filter(action="approve").exists()


@pytest.mark.django_db
def test_a_programme_paid_to_persons_enrols_each_entitled_member(regions, caseworker):
    """The 高龄津贴 is each older member's; 低保 is the household's."""
    household = "H3301020000009"
    members = [
        {"person_id": "330102194001010011", "relation": "head", "birth_date": "1940-01-01"},
        {"person_id": "330102194501010022", "relation": "spouse", "birth_date": "1945-01-01"},
        {"person_id": "330102199001010033", "relation": "child", "birth_date": "1990-01-01"},
    ]
    inputs = {
        "household": {
            "household_id": household,
            "county": "330102",
            "enrolled_dibao": True,
            "emergency_loss": "0.00",
        },
        "members": [
            m | {"household_id": household, "county": "330102", "sex": "m", "status": "normal"}
            for m in members
        ],
    }
    case = Case.objects.create(
        number="JZ-TEST-1",
        household_id=household,
        region_code="330102001001",
        channel="counter",
        as_of=dt.date(2026, 11, 1),
        basis={"inputs": inputs, "date": "2026-11-01"},
        created_by=caseworker,
        state_since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    case.programmes.create(
        programme="elderly", proposed=True, included=True, monthly_amount=Decimal("250.00")
    )
    case.programmes.create(
        programme="dibao", proposed=True, included=True, monthly_amount=Decimal("900.00")
    )
    wanted = services.decided_entitlements(case)
    assert wanted["dibao"] == {household: Decimal("900.00")}
    # the two members of 80 and over, each at their own amount
    assert set(wanted["elderly"]) == {"330102194001010011", "330102194501010022"}
    assert all(a > 0 for a in wanted["elderly"].values())


@pytest.mark.django_db
def test_the_elder_care_subsidy_enrols_each_graded_older_member(regions, caseworker):
    """养老服务补贴 is paid to persons: the older members with a capability grade, each at the
    amount of their grade."""
    household = "H3301020000011"
    members = [
        {"person_id": "330102194601010011", "birth_date": "1946-01-01", "capability_grade": 3},
        {"person_id": "330102194801010022", "birth_date": "1948-01-01", "capability_grade": 1},
        {"person_id": "330102194901010033", "birth_date": "1949-01-01", "capability_grade": 0},
    ]
    inputs = {
        "household": {
            "household_id": household,
            "county": "330102",
            "enrolled_dibao": True,
            "emergency_loss": "0.00",
        },
        "members": [
            m | {"household_id": household, "county": "330102", "sex": "m", "status": "normal"}
            for m in members
        ],
    }
    case = Case.objects.create(
        number="JZ-TEST-2",
        household_id=household,
        region_code="330102001001",
        channel="counter",
        as_of=dt.date(2026, 11, 1),
        basis={"inputs": inputs, "date": "2026-11-01"},
        created_by=caseworker,
        state_since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    case.programmes.create(
        programme="eldercare", proposed=True, included=True, monthly_amount=Decimal("500.00")
    )
    wanted = services.decided_entitlements(case)
    params = entitlements._engine().parameters

    def amount(name):
        return params[f"eldercare.amount_{name}"].resolve(dt.date(2026, 11, 1), "330102").value

    assert wanted["eldercare"] == {
        "330102194601010011": amount("severe"),
        "330102194801010022": amount("mild"),
    }


def test_a_crash_in_the_middle_of_an_approval_leaves_the_case_in_the_queue(approvable, approver):
    from unittest import mock

    with mock.patch.object(Enrolment.objects, "create", side_effect=RuntimeError("killed")):
        with pytest.raises(RuntimeError):
            act(approver, approvable, "approve")
    case = Case.objects.get(pk=approvable.pk)
    assert case.state == workflow.COUNTY_APPROVAL and case.version == approvable.version
    assert not case.events.filter(action="approve").exists() and not Enrolment.objects.exists()
    assert act(approver, case, "approve").state == workflow.APPROVED  # and it can be done again
