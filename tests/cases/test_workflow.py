"""A case through its legal steps: the state table, time limits, separation of duties,
optimistic locking, frozen decisions, and the three personas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from minzheng.accounts.permissions import PermissionRefused
from minzheng.audit.models import AuditEvent
from minzheng.cases import services, workflow
from minzheng.cases.models import CalendarDay, Case
from minzheng.cases.services import CaseError
from minzheng.cases.workflow import TransitionError
from minzheng.regions.services import regions_load_file
from tests.conftest import _user
from tests.verification.conftest import AS_OF, household_in
from tests.verification.test_web import consent_all


def act(user, case, action, **data):
    return services.case_act(
        user=user, request=None, number=case.number, action=action, version=case.version, **data
    )


def test_the_state_table_refuses_illegal_steps_naming_the_state():
    assert workflow.next_state(workflow.DRAFT, "submit") == workflow.SUBMITTED
    assert workflow.allowed_actions(workflow.COUNTY_APPROVAL) == ["approve", "reject", "return"]
    with pytest.raises(TransitionError) as caught:
        workflow.next_state(workflow.DRAFT, "approve")
    assert caught.value.status == 409
    assert caught.value.translated() == "处于“草稿”状态的事项不能进行“批准”。"
    with pytest.raises(TransitionError):
        workflow.next_state(workflow.DRAFT, "pay everyone")


def test_a_case_goes_from_application_to_approval(
    verify_settings, clock, approver, poor_home, lookup, indexed_lake
):
    regions_load_file(path=indexed_lake / "regions" / "subcounty.csv")  # every township
    caseworker = _user("cw_102", "caseworker", "330102102")
    consent_all(caseworker, poor_home, lookup)
    case = services.case_open(
        user=caseworker, request=None, household_id=poor_home, channel="counter", as_of=AS_OF
    )
    case = act(caseworker, case, "submit")
    # The intake limit: 3 working days from Monday 28 September skip the holiday (1–7 Oct).
    assert (case.state, case.due_date) == (workflow.SUBMITTED, dt.date(2026, 10, 8))
    case = act(caseworker, case, "verify")
    assert case.state == workflow.VERIFYING and case.verification_check is not None
    assert case.basis["check"] == case.verification_check.number
    dibao = case.programmes.get(programme="dibao")
    assert dibao.proposed and dibao.included and dibao.monthly_amount > 0
    case = act(caseworker, case, "start_review")
    assert case.due_date == dt.date(2026, 10, 23)  # 15 working days, the holiday skipped
    case = act(caseworker, case, "record_visit", visit_date=dt.date(2026, 9, 28), findings="属实")
    assert case.state == workflow.PUBLIC_NOTICE and case.notice_until == dt.date(2026, 10, 5)
    with pytest.raises(CaseError) as caught:
        act(caseworker, case, "close_notice")
    assert caught.value.code == "notice_running"
    clock.move_to(dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC))
    case = act(caseworker, case, "close_notice")
    assert case.state == workflow.COUNTY_APPROVAL
    case = act(approver, case, "approve")
    assert case.state == workflow.APPROVED and case.decided_by == approver
    assert case.decided_at is not None
    # What the decision rests on is kept with it: the inputs, the parameter values, results.
    basis = case.basis
    assert basis["date"] == AS_OF.isoformat() and "dibao.standard_monthly" in basis["parameters"]
    assert basis["results"]["dibao"]["monthly_amount"] == str(dibao.monthly_amount)
    assert basis["inputs"]["household"]["household_id"] == poor_home
    steps = [e.action for e in case.events.all()]
    assert steps == [
        "open",
        "submit",
        "verify",
        "start_review",
        "record_visit",
        "close_notice",
        "approve",
    ]
    assert AuditEvent.objects.filter(object_type="case", object_id=case.number).count() == len(
        steps
    )
    with pytest.raises(TransitionError):
        act(approver, case, "reject", reason="x")


def test_a_returned_case_carries_its_reason_and_supplement_limit(opened, caseworker):
    case = act(caseworker, opened, "submit")
    with pytest.raises(CaseError) as caught:
        act(caseworker, case, "return", reason="  ")
    assert caught.value.code == "field_required" and "reason" in str(caught.value)
    case = act(caseworker, case, "return", reason="缺少\x00收入证明")  # a NUL byte: dropped
    assert case.state == workflow.RETURNED and case.returned_reason == "缺少收入证明"
    assert case.due_date == dt.date(2026, 10, 16)  # 10 working days: no holiday, Sat 10th worked
    case = act(caseworker, case, "submit")
    assert case.state == workflow.SUBMITTED and case.returned_reason == ""


def test_an_administrators_calendar_day_moves_the_limit(opened, caseworker):
    CalendarDay.objects.create(day=dt.date(2026, 10, 8), workday=False, note="台风停工")
    case = act(caseworker, opened, "submit")
    assert case.due_date == dt.date(2026, 10, 9)


def test_the_second_of_two_simultaneous_steps_gets_a_conflict(opened, caseworker):
    stale = Case.objects.get(pk=opened.pk)
    act(caseworker, opened, "submit")
    with pytest.raises(CaseError) as caught:
        act(caseworker, stale, "return", reason="x")
    assert caught.value.status == 409 and caught.value.code == "case_changed"


def test_submitting_needs_every_adults_consent(verify_settings, clock, caseworker, lookup):
    other = household_in(lookup, "330102001", where="AND h.household_id > 'H3301020000000'")
    case = services.case_open(
        user=caseworker, request=None, household_id=other, channel="online", as_of=AS_OF
    )
    with pytest.raises(CaseError) as caught:
        act(caseworker, case, "submit")
    assert caught.value.code == "consent_missing" and caught.value.status == 403


def test_one_open_case_per_household_and_a_known_channel(opened, caseworker, home):
    with pytest.raises(CaseError) as caught:
        services.case_open(
            user=caseworker, request=None, household_id=home, channel="counter", as_of=AS_OF
        )
    assert caught.value.code == "case_already_open" and opened.number in str(caught.value)
    with pytest.raises(CaseError) as caught:
        services.case_open(
            user=caseworker, request=None, household_id=home, channel="fax", as_of=AS_OF
        )
    assert caught.value.code == "bad_channel" and "fax" in str(caught.value)


def test_the_outsider_neither_reads_nor_acts_and_is_audited(opened, outsider):
    with pytest.raises(CaseError) as caught:
        services.case_get(user=outsider, request=None, number=opened.number)
    assert caught.value.status == 404
    with pytest.raises(CaseError):
        act(outsider, opened, "submit")
    denied = AuditEvent.objects.filter(actor=outsider, outcome="denied", object_type="case")
    assert denied.count() == 2


def test_the_outsider_cannot_open_a_case_of_another_county(verify_settings, outsider, home):
    from minzheng.verification.services import VerificationError

    with pytest.raises(VerificationError) as caught:
        services.case_open(
            user=outsider, request=None, household_id=home, channel="counter", as_of=AS_OF
        )
    assert caught.value.status == 404


def _to_approval(case, caseworker, clock):
    case = act(caseworker, case, "submit")
    case = act(caseworker, case, "verify")
    case.programmes.update(included=True)  # whatever the rules said, something to decide
    case = act(caseworker, case, "start_review")
    case = act(caseworker, case, "record_visit", visit_date=dt.date(2026, 9, 28), findings="属实")
    clock.move_to(dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC))
    return act(caseworker, case, "close_notice")


def test_nobody_decides_a_case_they_created_or_reviewed(
    verify_settings, clock, approver, home, lookup
):
    # An approver who was also granted the caseworker's steps opens and reviews a case.
    approver.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="cases", codename__in=["add_case", "change_case"]
        ),
        *Permission.objects.filter(content_type__app_label="verification", codename="add_consent"),
    )
    approver = type(approver).objects.get(pk=approver.pk)
    consent_all(approver, home, lookup)
    case = services.case_open(
        user=approver, request=None, household_id=home, channel="counter", as_of=AS_OF
    )
    case = _to_approval(case, approver, clock)
    with pytest.raises(CaseError) as caught:
        act(approver, case, "approve")
    assert caught.value.code == "separation_of_duties" and caught.value.status == 403


def test_the_caseworker_may_not_decide_nor_another_countys_approver(
    opened, caseworker, clock, regions
):
    case = _to_approval(opened, caseworker, clock)
    with pytest.raises(PermissionRefused):
        act(caseworker, case, "approve")
    xihu = _user("ap_xihu", "approver", "330106")
    with pytest.raises(CaseError) as caught:
        act(xihu, case, "approve")
    assert caught.value.code == "case_not_found" and caught.value.status == 404
    # A provincial user granted the approver's permissions is still not the county.
    province = _user("an_zj", "analyst", "330000")
    province.user_permissions.add(
        *Permission.objects.filter(codename__in=["approve_case", "view_case"])
    )
    province = type(province).objects.get(pk=province.pk)
    with pytest.raises(CaseError) as caught:
        act(province, case, "approve")
    assert caught.value.code == "approval_other_county"
    assert Case.objects.get(pk=case.pk).state == workflow.COUNTY_APPROVAL


def test_the_fast_lane_is_refused_with_its_reasons(opened, caseworker):
    case = act(caseworker, opened, "submit")
    case = act(caseworker, case, "verify")
    assert case.basis["results"]["dibao"]["status"] == "ineligible"
    with pytest.raises(CaseError) as caught:
        act(caseworker, case, "fast_lane")
    assert caught.value.code == "fast_lane_refused"
    assert "规则认定不符合条件" in caught.value.translated()
    assert Case.objects.get(pk=case.pk).state == workflow.VERIFYING


def test_a_clear_case_takes_the_fast_lane_and_says_why(
    verify_settings, regions, clock, approver, poor_home, lookup, indexed_lake
):
    regions_load_file(path=indexed_lake / "regions" / "subcounty.csv")
    caseworker = _user("cw_102", "caseworker", "330102102")
    consent_all(caseworker, poor_home, lookup)
    case = services.case_open(
        user=caseworker, request=None, household_id=poor_home, channel="counter", as_of=AS_OF
    )
    case = act(caseworker, act(caseworker, case, "submit"), "verify")
    case = act(caseworker, case, "fast_lane")
    assert case.state == workflow.PUBLIC_NOTICE and case.visit == {}
    assert case.reviewed_by == caseworker and case.notice_until == dt.date(2026, 10, 5)
    why = case.fast_lane
    assert why["check"] == case.verification_check.number and why["margin"] == "0.8"
    assert Decimal(why["per_capita_income"]) < Decimal(why["income_limit"])
    assert Decimal(why["assets_per_capita"]) < Decimal(why["asset_limit"])
    standard = case.basis["parameters"]["dibao.standard_monthly"]["value"]
    assert Decimal(why["income_limit"]) == Decimal("0.8") * Decimal(str(standard))
    # County approval remains.
    clock.move_to(dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC))
    case = act(approver, act(caseworker, case, "close_notice"), "approve")
    assert case.state == workflow.APPROVED


def test_programmes_are_added_or_dropped_with_a_reason(opened, caseworker):
    case = act(caseworker, opened, "submit")
    case = act(caseworker, case, "verify")
    row = case.programmes.order_by("programme").first()
    with pytest.raises(CaseError):
        services.programme_set(
            user=caseworker,
            request=None,
            number=case.number,
            programme=row.programme,
            included=not row.included,
            reason="",
            version=case.version,
        )
    case = services.programme_set(
        user=caseworker,
        request=None,
        number=case.number,
        programme=row.programme,
        included=not row.included,
        reason="入户核实后调整",
        version=case.version,
    )
    row.refresh_from_db()
    assert row.reason == "入户核实后调整"
    # A fresh check keeps the caseworker's choice.
    case = act(caseworker, case, "return", reason="补充材料")
    case = act(caseworker, case, "submit")
    case = act(caseworker, case, "verify")
    assert case.programmes.get(pk=row.pk).included == row.included


def _to_notice(case, caseworker, after_verify=False):
    if not after_verify:
        case = act(caseworker, act(caseworker, case, "submit"), "verify")
    case = act(caseworker, case, "start_review")
    return act(caseworker, case, "record_visit", visit_date=dt.date(2026, 9, 28), findings="属实")


def objection(user, case, **kw):
    values = {"raised_on": dt.date(2026, 9, 28), "content": "该户有经营性收入", "objector": ""}
    return services.objection_record(
        user=user, request=None, number=case.number, version=case.version, **(values | kw)
    )


def resolve(user, case, objection_id, upheld):
    return services.objection_resolve(
        user=user,
        request=None,
        number=case.number,
        version=case.version,
        objection_id=objection_id,
        upheld=upheld,
        resolution="经核实",
    )


def test_objections_to_the_notice_are_resolved_before_it_closes(opened, caseworker, clock):
    with pytest.raises(CaseError) as caught:
        objection(caseworker, opened)
    assert caught.value.code == "not_in_notice"
    case = _to_notice(opened, caseworker)
    clock.move_to(dt.datetime(2026, 9, 29, 9, 0, tzinfo=dt.UTC))
    raised = objection(caseworker, case)
    case.refresh_from_db()
    with pytest.raises(CaseError) as caught:
        objection(caseworker, case, raised_on=dt.date(2026, 12, 1))  # a future date
    assert caught.value.code == "date_in_future" and "raised_on" in str(caught.value)
    clock.move_to(dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC))
    with pytest.raises(CaseError) as caught:
        act(caseworker, case, "close_notice")
    assert caught.value.code == "objections_open"
    resolve(caseworker, case, raised.pk, upheld=False)
    case.refresh_from_db()
    case = act(caseworker, case, "close_notice")
    assert case.state == workflow.COUNTY_APPROVAL
    assert [e.action for e in case.events.all()][-3:] == [
        "objection_recorded",
        "objection_resolved",
        "close_notice",
    ]


def test_an_upheld_objection_sends_the_case_back(opened, caseworker, clock):
    case = _to_notice(opened, caseworker)
    raised = objection(caseworker, case)
    case.refresh_from_db()
    resolve(caseworker, case, raised.pk, upheld=True)
    case.refresh_from_db()
    clock.move_to(dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC))
    with pytest.raises(CaseError) as caught:
        act(caseworker, case, "close_notice")
    assert caught.value.code == "objection_upheld"
    case = act(caseworker, case, "return", reason="公示期间异议成立")
    assert case.state == workflow.RETURNED
