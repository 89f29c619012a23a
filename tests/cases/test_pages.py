"""The case pages with the three personas: the worklist, one case and its steps, the
county's queue with bulk approval."""

from __future__ import annotations

import datetime as dt

from minzheng.audit.models import AuditEvent
from minzheng.cases import services, workflow
from minzheng.cases.models import CalendarDay, Case

from .test_workflow import _to_approval, _to_notice, act


def text(response) -> str:
    return response.content.decode()


def test_a_caseworker_opens_a_case_and_takes_a_step(login, opened, caseworker, lookup):
    client = login(caseworker)
    page = client.get("/cases/")
    assert page.status_code == 200 and "办理时限" in text(page) and opened.number in text(page)
    page = client.get(f"/cases/{opened.number}/")
    assert page.status_code == 200 and 'data-state="draft"' in text(page)
    assert 'data-testid="step-submit"' in text(page)
    assert AuditEvent.objects.filter(
        action="read_personal", object_type="case", object_id=opened.number
    ).exists()
    done = client.post(f"/cases/{opened.number}/act/", {"action": "submit", "version": "1"})
    assert done.status_code == 302
    assert Case.objects.get(pk=opened.pk).state == workflow.SUBMITTED
    # the same form again: the case has moved on
    stale = client.post(f"/cases/{opened.number}/act/", {"action": "submit", "version": "1"})
    assert stale.status_code == 409 and "不能进行" in text(stale)
    bad = client.post(f"/cases/{opened.number}/act/", {"action": "submit", "version": "abc"})
    assert bad.status_code == 400 and "version" in text(bad)


def test_opening_through_the_page_names_what_is_wrong(login, verify_settings, caseworker, home):
    client = login(caseworker)
    new = client.post(
        "/cases/new/", {"household_id": home, "channel": "counter", "as_of": "2020-12-31"}
    )
    assert new.status_code == 302 and new.url.startswith("/cases/JZ330102")
    again = client.post(
        "/cases/new/", {"household_id": home, "channel": "counter", "as_of": "2020-12-31"}
    )
    assert again.status_code == 409 and "已有在办事项" in text(again)
    bad = client.post("/cases/new/", {"household_id": home, "channel": "fax", "as_of": "x"})
    assert bad.status_code == 400 and "申请渠道" in text(bad)


def test_the_outsider_sees_no_case_of_another_county(login, opened, outsider):
    client = login(outsider)
    assert opened.number not in text(client.get("/cases/"))
    assert client.get(f"/cases/{opened.number}/").status_code == 404
    response = client.post(f"/cases/{opened.number}/act/", {"action": "submit", "version": "1"})
    assert response.status_code == 404
    assert Case.objects.get(pk=opened.pk).state == workflow.DRAFT
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() >= 2


def test_the_approver_approves_the_queue_in_one_action(login, opened, caseworker, approver, clock):
    case = _to_approval(opened, caseworker, clock)
    client = login(approver)
    queue = client.get("/cases/queue/")
    assert queue.status_code == 200 and case.number in text(queue)
    page = client.get(f"/cases/{case.number}/")
    assert 'data-testid="step-approve"' in text(page)
    assert 'data-testid="step-record_visit"' not in text(page)
    done = client.post("/cases/queue/", {"all": "1"})
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).state == workflow.APPROVED
    assert "1" in text(client.get("/cases/queue/"))  # the message: 1 approved
    assert login(caseworker).get("/cases/queue/").status_code == 403


def test_the_caseworkers_home_starts_with_the_worklist(login, opened, caseworker, approver):
    home = text(login(caseworker).get("/"))
    assert 'data-testid="home-worklist"' in home and "我的工作台" in home
    assert 'data-testid="home-mine">我创建的：<a href="/cases/#list-mine">1</a>' in home
    assert 'data-testid="home-worklist"' not in text(login(approver).get("/"))


def test_only_a_provincial_administrator_changes_the_holiday_calendar(
    login, province_admin, outsider_admin
):
    county = login(outsider_admin)
    assert county.get("/admin/cases/calendarday/").status_code == 200
    assert county.get("/admin/cases/calendarday/add/").status_code == 403
    province = login(province_admin)
    added = province.post(
        "/admin/cases/calendarday/add/", {"day": "2031-01-06", "workday": "", "note": "元旦"}
    )
    assert added.status_code == 302
    assert CalendarDay.objects.get().workday is False
    assert services.calendar() == {dt.date(2031, 1, 6): False}


def test_programmes_and_objections_from_the_case_page(login, opened, caseworker, clock):

    client = login(caseworker)
    case = act(caseworker, act(caseworker, opened, "submit"), "verify")
    page = text(client.get(f"/cases/{case.number}/"))
    row = case.programmes.order_by("programme").first()
    assert f'data-testid="programme-{row.programme}"' in page
    posted = client.post(
        f"/cases/{case.number}/programmes/",
        {"programme": row.programme, "reason": "入户核实", "version": str(case.version)}
        | ({} if row.included else {"included": "on"}),
    )
    assert posted.status_code == 302
    row.refresh_from_db()
    assert row.reason == "入户核实"
    case = _to_notice(Case.objects.get(pk=case.pk), caseworker, after_verify=True)
    assert 'data-testid="objection-new"' in text(client.get(f"/cases/{case.number}/"))
    raised = client.post(
        f"/cases/{case.number}/objections/",
        {"raised_on": "2026-09-28", "content": "有经营收入", "version": str(case.version)},
    )
    assert raised.status_code == 302
    case.refresh_from_db()
    objection = case.objections.get()
    resolved = client.post(
        f"/cases/{case.number}/objections/{objection.pk}/",
        {"resolution": "经核实不属实", "version": str(case.version)},
    )
    assert resolved.status_code == 302
    objection.refresh_from_db()
    assert objection.upheld is False and objection.resolution == "经核实不属实"
    missing = client.post(
        f"/cases/{case.number}/objections/{objection.pk}/",
        {"resolution": "再次", "version": str(case.version + 1)},
    )
    assert missing.status_code == 404  # resolved already


def test_overdue_cases_are_marked_and_counted_by_region(login, opened, caseworker, approver, clock):
    act(caseworker, opened, "submit")  # intake: 3 working days
    clock.move_to(dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.UTC))  # long past the limit
    page = text(login(approver).get("/cases/"))
    assert 'class="overdue"' in page and 'data-testid="overdue-by-region"' in page
    from minzheng.cases import selectors

    counts = selectors.overdue_by_region(approver)
    assert [(code, n) for code, _name, n in counts] == [("330102001", 1)]
    assert selectors.overdue_by_region(caseworker)[0][0] == opened.region_code
    listed = login(approver).get("/api/cases").json()
    assert [(c["number"], c["overdue"]) for c in listed] == [(opened.number, True)]
    # the outsider's county has none
    from tests.conftest import _user

    assert selectors.overdue_by_region(_user("ap_xihu", "approver", "330106")) == []
