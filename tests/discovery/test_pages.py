"""The task pages and API with the three personas."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.audit.models import AuditEvent
from minzheng.discovery import services
from minzheng.discovery.models import Task

AS_OF = dt.date(2020, 12, 31)


@pytest.fixture
def task(db, evidence, home, clock):
    f, s = evidence()
    services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    return Task.objects.get(household_id=home)


def text(response) -> str:
    return response.content.decode()


def test_the_caseworker_lists_reads_and_visits(login, task, caseworker):
    client = login(caseworker)
    page = text(client.get("/discovery/"))
    assert task.number in page and "核查任务" in page
    shown = client.get(f"/discovery/tasks/{task.number}/")
    body = text(shown)
    assert shown.status_code == 200 and "医疗自付" in body and "应保未保" in body
    assert "330102195001010011" not in body and "330102**********11" in body  # masked
    assert AuditEvent.objects.filter(action="read_personal", object_id=task.number).exists()
    moved = client.post(f"/discovery/tasks/{task.number}/act/", {"action": "start_visit"})
    assert moved.status_code == 302 and Task.objects.get(pk=task.pk).state == "visiting"
    bad = client.post(f"/discovery/tasks/{task.number}/act/", {"action": "close", "reason": ""})
    assert bad.status_code == 400 and Task.objects.get(pk=task.pk).state == "visiting"


def test_the_county_sees_counts_and_the_outsider_nothing(login, task, approver, outsider, clock):
    clock.move_to(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))  # past the due date
    page = text(login(approver).get("/discovery/"))
    assert 'data-testid="tasks-by-region"' in page and 'class="overdue"' in page
    client = login(outsider)
    assert task.number not in text(client.get("/discovery/"))
    assert client.get(f"/discovery/tasks/{task.number}/").status_code == 404
    api = client.get(f"/api/discovery/tasks/{task.number}")
    assert api.status_code == 404


def test_the_api_lists_and_steps(login, task, caseworker):
    client = login(caseworker)
    listed = client.get("/api/discovery/tasks").json()
    assert task.number in [t["number"] for t in listed]
    one = client.get(f"/api/discovery/tasks/{task.number}").json()
    persons = {e["source"]: e["person"] for e in one["evidence"]}
    assert persons == {"screening": "", "signal": "330102**********11"}
    closed = client.post(
        f"/api/discovery/tasks/{task.number}/steps",
        {"action": "close", "reason": "已核实，无需救助"},
        content_type="application/json",
    )
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = client.post(
        f"/api/discovery/tasks/{task.number}/steps",
        {"action": "start_visit"},
        content_type="application/json",
    )
    assert again.status_code == 409
    wrong = client.post(
        f"/api/discovery/tasks/{task.number}/steps",
        {"action": "fly"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "unknown_action"


def test_unmasking_the_evidence_is_the_approvers_and_is_audited(login, task, caseworker, approver):
    page = login(approver).get(f"/discovery/tasks/{task.number}/?unmask=1").content.decode()
    assert "330102195001010011" in page
    assert AuditEvent.objects.filter(action="unmask", actor=approver, outcome="success").exists()
    page = login(caseworker).get(f"/discovery/tasks/{task.number}/?unmask=1").content.decode()
    assert "330102195001010011" not in page and "330102**********11" in page
    assert AuditEvent.objects.filter(action="unmask", actor=caseworker, outcome="denied").exists()
