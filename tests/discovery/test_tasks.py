"""Tasks from findings and signals: raised once per household, updated with new evidence,
not raised again for evidence closed as not needed nor for a household with a recent case;
visited, converted to a case or closed; the three personas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from minzheng.audit.models import AuditEvent
from minzheng.cases.models import Case
from minzheng.discovery import services, signals
from minzheng.discovery.models import Task
from minzheng.lib.i18n import TranslatableError
from tests.verification.test_web import consent_all

AS_OF = dt.date(2020, 12, 31)


@pytest.mark.django_db
def test_tasks_are_raised_once_per_household_and_updated(evidence, home, clock):
    f, s = evidence()
    done = services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    assert done["created"] == 2 and done["unchanged"] == 0
    task = Task.objects.get(household_id=home)
    assert task.state == "open" and len(task.evidence) == 2
    medical = signals.load_signals().names["medical_spending"].weight
    assert task.priority == pytest.approx(0.5 + medical)  # a finding, and medical spending
    # 10 working days, over the National Day (1–7 October off, Saturday 10 October worked)
    assert task.due_date == dt.date(2026, 10, 16)
    assert task.number.startswith("RW330102")
    again = services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    assert again["created"] == 0 and again["unchanged"] == 2  # nothing changed: nothing new
    f2, s2 = evidence(signal="earner_died", name="later")
    later = services.tasks_raise(as_of=AS_OF, findings=f2, signals=s2)
    assert later["created"] == 0 and later["updated"] == 1
    task.refresh_from_db()
    assert {i["what"] for i in task.evidence} >= {"earner_died"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            number="RW-X",
            household_id=home,
            region_code=task.region_code,
            source="report",
            as_of=AS_OF,
            evidence_key="x",
            due_date=task.due_date,
        )


@pytest.mark.django_db
def test_closed_evidence_stays_quiet_and_a_recent_case_blocks(
    evidence, home, caseworker, clock, verify_settings, lookup
):
    f, s = evidence()
    services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    task = Task.objects.get(household_id=home)
    with pytest.raises(TranslatableError) as caught:
        services.task_act(user=caseworker, request=None, number=task.number, action="close")
    assert caught.value.code == "reason_required" or "reason" in caught.value.translated()
    services.task_act(
        user=caseworker, request=None, number=task.number, action="close", reason="已核实，收入稳定"
    )
    quiet = services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    assert quiet["quiet"] == 1 and not Task.objects.filter(household_id=home, state="open").exists()
    f2, s2 = evidence(signal="earner_died", name="new")
    fresh = services.tasks_raise(as_of=AS_OF, findings=f2, signals=s2)
    assert fresh["created"] == 1  # new evidence: a new task
    fresh_task = Task.objects.get(household_id=home, state="open")
    consent_all(caseworker, home, lookup)
    converted = services.task_act(
        user=caseworker, request=None, number=fresh_task.number, action="convert"
    )
    assert converted.state == "converted" and converted.case.channel == "discovery"
    assert Case.objects.get(pk=converted.case_id).household_id == home
    f3, s3 = evidence(signal="old_alone", name="third")
    blocked = services.tasks_raise(as_of=AS_OF, findings=f3, signals=s3)
    assert blocked["recent_case"] == 1  # the household has a case now
    assert AuditEvent.objects.filter(action="task_convert").count() == 1


@pytest.mark.django_db
def test_steps_follow_the_states_and_the_personas(
    evidence, home, caseworker, approver, outsider, clock
):
    f, s = evidence()
    services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    task = Task.objects.get(household_id=home)
    visiting = services.task_act(
        user=caseworker, request=None, number=task.number, action="start_visit"
    )
    assert visiting.state == "visiting"
    with pytest.raises(TranslatableError) as caught:
        services.task_act(user=caseworker, request=None, number=task.number, action="start_visit")
    assert caught.value.status == 409
    assert services.task_get(user=approver, request=None, number=task.number) == task
    with pytest.raises(TranslatableError) as caught:
        services.task_act(
            user=approver, request=None, number=task.number, action="close", reason="x"
        )
    assert caught.value.status == 403
    for number in (task.number, "RW'; DROP", "x" * 500):
        with pytest.raises(TranslatableError) as caught:
            services.task_get(user=outsider, request=None, number=number)
        assert caught.value.status == 404
    listed = [t.household_id for t in services.open_tasks(caseworker)]
    assert listed == [home, "H3301020099999"]  # the same due date: the higher priority first
    assert list(services.open_tasks(outsider)) == []
    counts = services.counts_by_region(approver)
    assert [(code, n, late) for code, _name, n, late in counts] == [("330102001", 2, 0)]
    # a task kept at the township itself (a public report) counts under the township, not
    # under a village code made of zeros
    Task.objects.filter(household_id="H3301020099999").update(region_code="330102001")
    counts = services.counts_by_region(caseworker)
    codes = [code for code, _name, _n, _late in counts]
    assert "330102001" in codes and "330102001000" not in codes


@pytest.mark.django_db
def test_case_enrolments_for_screening():
    from minzheng.cases.models import Enrolment

    def enrol(programme, beneficiary, start, end=None, status="active"):
        Enrolment.objects.create(
            programme=programme,
            household_id="H3301020000001",
            beneficiary=beneficiary,
            region_code="330102001001",
            monthly_amount=Decimal("100.00"),
            start_month=start,
            end_month=end,
            status=status,
        )

    enrol("dibao", "H3301020000001", dt.date(2026, 1, 1))
    enrol("elderly", "330102194001010011", dt.date(2026, 1, 1))
    enrol("tekun", "330102194001010022", dt.date(2026, 1, 1), dt.date(2026, 5, 1))  # ended
    enrol("child", "330102201501010033", dt.date(2027, 1, 1))  # not yet
    enrol("disability", "330102194001010044", dt.date(2026, 1, 1), status="suspended")
    table = services.case_enrolments(dt.date(2026, 11, 30)).to_pylist()
    assert sorted((r["programme"], r["id_number"]) for r in table) == [
        ("dibao", ""),
        ("elderly", "330102194001010011"),
    ]
    assert services.amount_threshold(dt.date(2026, 11, 30)) == (0.1, 10.0)


@pytest.mark.django_db
def test_the_open_tasks_are_listed_in_the_order_of_their_index(approver):
    """Open and visiting tasks of the scope by due date, highest priority first, number; on
    PostgreSQL that order comes from the partial index `task_open_by_due` with no sort (at
    500,000 tasks a county's first page otherwise walked the due-date index through every
    closed task due earlier: seconds, bench/discovery_tasks.py)."""
    from django.db import connection

    def task(number, state, due, priority=0.5, region="330102001001"):
        Task.objects.create(
            number=number,
            household_id=f"H{number[2:]}",
            region_code=region,
            source="screening",
            state=state,
            as_of=AS_OF,
            evidence_key=number,
            priority=priority,
            due_date=due,
        )

    day = dt.date(2026, 10, 16)
    task("RW3301020001", "closed", day - dt.timedelta(days=30))
    task("RW3301020002", "converted", day - dt.timedelta(days=20))
    task("RW3301020003", "open", day, priority=0.2)
    task("RW3301020004", "visiting", day, priority=0.7)
    task("RW3301020005", "open", day, priority=0.2)
    task("RW3301020006", "open", day - dt.timedelta(days=1), priority=0.1)
    task("RW3301060001", "open", day - dt.timedelta(days=2), region="330106001001")
    listed = [t.number for t in services.open_tasks(approver)]
    assert listed == ["RW3301020006", "RW3301020004", "RW3301020003", "RW3301020005"]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:  # the test's transaction ends the settings
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
    plan = services.open_tasks(approver)[:100].explain()
    assert "task_open_by_due" in plan and "Sort" not in plan, plan
