"""What the case pages list: a caseworker's worklist and a county's approval queue, through
the one region-scope layer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from minzheng.cases import workflow
from minzheng.cases.models import Case
from minzheng.lib import workdays

DUE_SOON_WORKDAYS = 3  # "due soon": the limit ends within this many working days
# The lists of a worklist, in the order a caseworker reads them.
WORKLISTS = {
    "overdue": gettext_lazy("Overdue"),
    "due_soon": gettext_lazy("Due soon"),
    "returned": gettext_lazy("Returned for supplements"),
    "mine": gettext_lazy("Opened by me"),
}


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
        "overdue": cases.filter(due_date__lt=today),
        "due_soon": cases.filter(due_date__gte=today, due_date__lte=soon),
        "returned": cases.filter(state=workflow.RETURNED),
        "mine": cases.filter(created_by=user),
    }


def approval_queue(user: Any) -> QuerySet[Case]:
    """The cases of the user's scope waiting for the county's decision, oldest limit first."""
    return open_cases(user).filter(state=workflow.COUNTY_APPROVAL)


def overdue_by_region(user: Any, today: dt.date | None = None) -> list[tuple[str, str, int]]:
    """(code, name, overdue open cases) for each region one level below the user's, in code
    order: where the limits are being missed."""
    from minzheng.regions.selectors import counts_by_child_region

    today = today or timezone.localdate()
    overdue = open_cases(user).filter(due_date__lt=today)
    return counts_by_child_region(user, overdue, {"overdue": None})
