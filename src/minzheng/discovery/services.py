"""Tasks (核查任务) from screening findings and warning signals, and the caseworker's steps on
them: visit, convert to a case (an application in the case workflow, prefilled with the
household), or close as not needed with a reason.

Raising tasks is idempotent: a household with an open task gets the new evidence in that task
(a database constraint keeps one open task per household), a household with a case opened or
decided recently gets none, and evidence closed as not needed is not raised again within the
quiet period. Re-running on the same results therefore creates nothing new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.services import audit_record
from minzheng.discovery.models import Task
from minzheng.lib import workdays
from minzheng.lib.i18n import RequestError, gettext_noop, pgettext_lazy, shorten
from minzheng.policy.parameters import ParameterSet, load_parameters

PARAMETER_DIR = Path(__file__).parent / "parameters"
OPEN = (Task.State.OPEN, Task.State.VISITING)
# action → (the states it may start from, the state it leads to)
TRANSITIONS = {
    "start_visit": ((Task.State.OPEN,), Task.State.VISITING),
    "convert": (OPEN, Task.State.CONVERTED),
    "close": (OPEN, Task.State.CLOSED),
}
ACTIONS = {
    "start_visit": pgettext_lazy("task action", "start the visit"),
    "convert": pgettext_lazy("task action", "open a case"),
    "close": pgettext_lazy("task action", "close as not needed"),
}
FINDING_LABELS = {
    "eligible_not_enrolled": pgettext_lazy("finding", "eligible but not enrolled"),
    "enrolled_ineligible": pgettext_lazy("finding", "enrolled but no longer eligible"),
    "amount_changed": pgettext_lazy("finding", "amount changed beyond the threshold"),
}


class TaskError(RequestError):
    """A task step refused: the message names the field or the rule."""


@cache
def parameters() -> ParameterSet:
    return load_parameters(PARAMETER_DIR)


def parameter(name: str, county: str, day: dt.date) -> Any:
    return parameters()[name].resolve(day, county).value


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _read(folder: Path | None, pattern: str) -> list[dict]:
    if folder is None:
        return []
    import duckdb

    files = sorted(Path(folder).glob(pattern))
    if not files:
        return []
    paths = ", ".join(f"'{f.as_posix()}'" for f in files)
    cursor = duckdb.sql(f"SELECT * FROM read_parquet([{paths}])")
    names = cursor.columns
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def evidence_of(findings: Path | None, signals: Path | None) -> dict[str, dict]:
    """household → {"region": village code, "items": [...], "signals": {name, …}, "findings"}
    from a screening's findings folder and a signals folder."""
    households: dict[str, dict] = defaultdict(
        lambda: {"region": "", "items": [], "signals": set(), "findings": 0}
    )
    for r in _read(findings, "part-*/*.parquet"):
        h = households[r["household_id"]]
        h["region"] = r["village_code"]
        h["findings"] += 1
        h["items"].append(
            {
                "source": "screening",
                "what": f"{r['programme']}:{r['kind']}",
                "person": r["id_number"] or "",
                "figures": {
                    k: _json(r[k])
                    for k in (
                        "per_capita_income",
                        "dibao_status",
                        "dibao_monthly_amount",
                        "dibao_reasons",
                    )
                    if r.get(k) is not None
                },
            }
        )
    for r in _read(signals, "part-*.parquet"):
        h = households[r["household_id"]]
        h["region"] = r["village_code"]
        h["signals"].add(r["signal"])
        h["items"].append(
            {
                "source": "signal",
                "what": r["signal"],
                "person": r["id_number"],
                "figures": {"when": _json(r["when"]), "amount": _json(r["amount"])},
            }
        )
    return households


def _key(items: list[dict]) -> str:
    """The hash of what the evidence says (its order does not matter)."""
    canonical = sorted(json.dumps(i, sort_keys=True, ensure_ascii=False) for i in items)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def tasks_raise(
    *,
    as_of: dt.date,
    findings: Path | None = None,
    signals: Path | None = None,
    actor: Any = None,
) -> dict[str, int]:
    """Raise or update the tasks of every household the findings and signals name (see the
    module); returns how many were created, updated, unchanged, and skipped and why.

    Set-based (`discovery.raising`): the evidence and its keys are built on DuckDB, the
    households classified and the tasks written by a few statements in the database, in one
    transaction. A household's evidence is `evidence_of`'s, its key `_key`'s."""
    from minzheng.cases.services import calendar
    from minzheng.discovery import raising
    from minzheng.discovery.signals import load_signals

    weights = {s.name: s.weight for s in load_signals().signals}
    today = timezone.localdate()
    holidays = calendar()

    @cache
    def setting(name: str, county: str) -> Any:  # resolved once per county, not per household
        return parameter(name, county, as_of)

    @cache
    def due(limit: int) -> dt.date:  # the same for every task of the day with this limit
        return workdays.add_workdays(today, limit, holidays)

    counts = raising.raise_tasks(
        findings=findings,
        signals=signals,
        as_of=as_of,
        today=today,
        now=timezone.now(),
        weights=weights,
        setting=setting,
        due=due,
        last_sequence=lambda county: _last_sequence(_prefix(county, today)),
    )
    audit_record(
        actor=actor,
        action="tasks_raise",
        object_type="task",
        object_id=as_of.isoformat(),
        detail=counts,
    )
    return counts


def _prefix(county: str, today: dt.date) -> str:
    return f"RW{county}{today:%Y%m%d}"


def _last_sequence(prefix: str) -> int:
    """The last sequence number given today in the county of `prefix` (0: none yet)."""
    last = Task.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    return int(last[len(prefix) :]) if last else 0


def _number(tasks: list[Task], today: dt.date) -> None:
    """Numbers RW<county><date><sequence of the day in the county>, continuing the day's."""
    by_county: dict[str, list[Task]] = defaultdict(list)
    for t in tasks:
        by_county[t.region_code[:6]].append(t)
    for county, group in by_county.items():
        prefix = _prefix(county, today)
        for i, t in enumerate(group, start=_last_sequence(prefix) + 1):
            t.number = f"{prefix}{i:06d}"


def task_get(*, user: Any, request: HttpRequest | None, number: str) -> Task:
    """A task of the user's scope (not found and out of scope: one audited 404)."""
    require(user, roles.VIEW_TASK, request=request, object_type="task", object_id=str(number)[:40])
    wanted = str(number) if str(number).isalnum() and len(str(number)) <= 32 else None
    task = Task.objects.for_user(user).filter(number=wanted).first() if wanted else None
    if task is None:
        not_found(
            TaskError,
            "task_not_found",
            gettext_noop("Task %(number)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="task_read",
            object_type="task",
            object_id=str(number)[:150],
            number=shorten(str(number)),
        )
    return task


def task_act(
    *,
    user: Any,
    request: HttpRequest | None,
    number: str,
    action: str,
    reason: str = "",
    household_id: str = "",
) -> Task:
    """Take a step on a task: start the visit, open a case (channel `discovery`; for a public
    report, of the household the visit found), or close it as not needed with a reason."""
    from minzheng.cases.services import _text, case_open, default_as_of

    task = task_get(user=user, request=request, number=number)
    require(user, roles.CHANGE_TASK, request=request, object_type="task", object_id=task.number)
    if action not in TRANSITIONS:
        raise TaskError(
            "unknown_action",
            gettext_noop("action: %(value)s is not one of %(allowed)s."),
            value=shorten(str(action)),
            allowed=", ".join(TRANSITIONS),
        )
    sources, target = TRANSITIONS[action]
    if task.state not in sources:
        raise TaskError(
            "illegal_transition",
            gettext_noop("A task in the state “%(state)s” cannot take the step “%(action)s”."),
            status=409,
            state=task.get_state_display(),
            action=ACTIONS[action],
        )
    changes: dict[str, Any] = {"state": target, "state_since": timezone.now(), "acted_by": user}
    with transaction.atomic():
        if action == "close":
            changes["closed_reason"] = _text(reason, "reason")
        if action == "convert":
            household = task.household_id or str(household_id).strip()
            if not household:
                raise TaskError(
                    "household_required",
                    gettext_noop("household_id: name the household the visit found."),
                )
            changes["household_id"] = household
            changes["case"] = case_open(
                user=user,
                request=request,
                household_id=household,
                channel="discovery",
                as_of=default_as_of(),
            )
        updated = Task.objects.filter(pk=task.pk, state=task.state).update(**changes)
        if not updated:
            raise TaskError(
                "task_changed",
                gettext_noop("Task %(number)s was changed by someone else; reload it."),
                status=409,
                number=task.number,
            )
        audit_record(
            actor=user,
            action=f"task_{action}",
            request=request,
            object_type="task",
            object_id=task.number,
            region_code=task.region_code,
            detail={"from": task.state, "to": target},
        )
    task.refresh_from_db()
    return task


def open_tasks(user: Any):
    return (
        Task.objects.for_user(user)
        .filter(state__in=OPEN)
        .order_by("due_date", "-priority", "number")
    )


def counts_by_region(user: Any, today: dt.date | None = None) -> list[tuple[str, str, int, int]]:
    """(code, name, open, overdue) for each region one level below the user's."""
    from minzheng.regions.selectors import counts_by_child_region

    today = today or timezone.localdate()
    tasks = open_tasks(user)
    return counts_by_child_region(user, tasks, {"open": Q(), "overdue": Q(due_date__lt=today)})


def case_enrolments(date: dt.date):
    """The case module's enrolments active on `date`, as screening compares them (an Arrow
    table: engine programme, household, the member for a programme paid to persons, amount)."""
    import pyarrow as pa

    from minzheng.cases.models import Enrolment

    month = date.replace(day=1)
    rows = (
        Enrolment.objects.filter(status=Enrolment.Status.ACTIVE, start_month__lte=month)
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
        .values_list("programme", "household_id", "beneficiary", "monthly_amount")
    )
    programmes, households, persons, amounts = [], [], [], []
    for programme, household, beneficiary, amount in rows.iterator(chunk_size=10_000):
        programmes.append(programme)
        households.append(household)
        persons.append("" if beneficiary == household else beneficiary)
        amounts.append(amount)
    return pa.table(
        {
            "programme": pa.array(programmes, pa.string()),
            "household_id": pa.array(households, pa.string()),
            "id_number": pa.array(persons, pa.string()),
            "monthly_amount": pa.array(amounts, pa.decimal128(12, 2)),
        }
    )


def amount_threshold(date: dt.date) -> tuple[float, float]:
    """(share, yuan): an amount change beyond the larger of the two is a finding."""
    return (
        float(parameter("discovery.amount_change_share", "330000", date)),
        float(parameter("discovery.amount_change_yuan", "330000", date)),
    )
