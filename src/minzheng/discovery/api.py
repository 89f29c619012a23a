"""The task API: the open tasks of your scope, one task with its evidence (ID numbers
masked), and its steps — the same services, scope and audit as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from minzheng.accounts import roles
from minzheng.accounts.permissions import require
from minzheng.api.errors import ERRORS, ErrorOut
from minzheng.audit.services import personal_data_read
from minzheng.discovery import services
from minzheng.discovery.models import Task
from minzheng.lib import idcard

router = Router(tags=["discovery"])
TASK_ERRORS = ERRORS | {409: ErrorOut}
PAGE = 100


class TaskSummaryOut(Schema):
    number: str
    household_id: str
    state: str
    source: str
    priority: float
    due_date: dt.date
    overdue: bool
    case: str | None


class EvidenceOut(Schema):
    source: str
    what: str
    person: str
    figures: dict


class TaskOut(TaskSummaryOut):
    as_of: dt.date
    closed_reason: str
    evidence: list[EvidenceOut]


class StepIn(Schema):
    action: str = Field(max_length=20)
    reason: str = Field("", max_length=2000)
    household_id: str = Field("", max_length=20)


def _summary(t: Task) -> dict:
    return {
        "number": t.number,
        "household_id": t.household_id,
        "state": t.state,
        "source": t.source,
        "priority": t.priority,
        "due_date": t.due_date,
        "overdue": t.state in services.OPEN and t.due_date < timezone.localdate(),
        "case": t.case.number if t.case_id else None,
    }


def _task_out(request: HttpRequest, t: Task) -> dict:
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="task",
        object_id=t.number,
        region_code=t.region_code,
        fields=["evidence"],
    )
    return _summary(t) | {
        "as_of": t.as_of,
        "closed_reason": t.closed_reason,
        "evidence": [
            {
                "source": e.get("source", ""),
                "what": e.get("what", ""),
                "person": idcard.mask(e["person"]) if e.get("person") else "",
                "figures": e.get("figures", {}),
            }
            for e in t.evidence
        ],
    }


@router.get(
    "/tasks",
    response={200: list[TaskSummaryOut], **TASK_ERRORS},
    summary="Open tasks in your scope",
)
def task_list(request: HttpRequest, page: int = 1):
    require(request.user, roles.VIEW_TASK, request=request, object_type="task", object_id="list")
    start = (min(max(page, 1), 10**6) - 1) * PAGE
    tasks = services.open_tasks(request.user).select_related("case")
    return [_summary(t) for t in tasks[start : start + PAGE]]


@router.get("/tasks/{task_number}", response={200: TaskOut, **TASK_ERRORS}, summary="One task")
def task_detail(request: HttpRequest, task_number: str):
    return _task_out(
        request, services.task_get(user=request.user, request=request, number=task_number)
    )


@router.post(
    "/tasks/{task_number}/steps",
    response={200: TaskOut, **TASK_ERRORS},
    summary="Take a step: start_visit, convert (open a case), close (with a reason)",
)
def task_step(request: HttpRequest, task_number: str, payload: StepIn):
    task = services.task_act(
        user=request.user,
        request=request,
        number=task_number,
        action=payload.action,
        reason=payload.reason,
    )
    return _task_out(request, task)
