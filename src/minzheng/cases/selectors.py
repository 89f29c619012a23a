"""What the case pages list: a caseworker's worklist and a county's approval queue, through
the one region-scope layer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from minzheng.cases import workflow
from minzheng.cases.models import Case
from minzheng.lib import workdays

DUE_SOON_WORKDAYS = 3  # "due soon": the limit ends within this many working days


def open_cases(user: Any) -> QuerySet[Case]:
    return (
        Case.objects.for_user(user)
        .exclude(state__in=workflow.FINAL)
        .select_related("created_by")
        .order_by("due_date", "number")
    )


def worklist(user: Any, today: dt.date | None = None) -> dict[str, QuerySet[Case]]:
    """The open cases of the user's scope: theirs, due soon, overdue, returned."""
    from minzheng.cases.services import calendar

    today = today or timezone.localdate()
    soon = workdays.add_workdays(today, DUE_SOON_WORKDAYS, calendar())
    cases = open_cases(user)
    return {
        "mine": cases.filter(created_by=user),
        "due_soon": cases.filter(due_date__gte=today, due_date__lte=soon),
        "overdue": cases.filter(due_date__lt=today),
        "returned": cases.filter(state=workflow.RETURNED),
    }


def approval_queue(user: Any) -> QuerySet[Case]:
    """The cases of the user's scope waiting for the county's decision, oldest limit first."""
    return open_cases(user).filter(state=workflow.COUNTY_APPROVAL)
