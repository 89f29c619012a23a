"""The escalation chain of the alerts for older people living alone: raising the evaluated
alerts as records, escalating the unacknowledged ones whose timer ran out, acknowledging and
resolving them — every write a service that leaves a row and an audit event behind.

**Raising** stores each alert of the rules' output once (the alert id — date, rule, device —
is unique: loading the same day twice creates nothing twice), at the first step of the chain,
the relative, whose notification is recorded: the platform has no SMS gateway and no feed of
the households' contacts, so the notification is stored as sent to the household's contact
and nothing leaves the platform.

**Escalating** moves every open alert whose acknowledgement timer ran out to the next step
(the rule's `escalation` minutes after it was raised: relative, then the village/grid worker,
then a visit from the township), several steps at once when several timers ran out; at the
township step it stays, overdue. `minzheng eldercare escalate` runs it (every minute), and the
alert pages run it for the user's scope when they load, so nothing depends on a scheduler.

**Acknowledging** (who, when, at which step) stops the timer; **resolving** needs a reason
from the fixed list (`Resolution`) and a note. Only the township's staff act
(`eldercare.change_alert`); the county reads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.services import audit_record
from minzheng.eldercare import alerts as rules_module
from minzheng.eldercare.alert_models import Alert, AlertStep, Resolution
from minzheng.lib.i18n import RequestError, gettext_noop, shorten

STEPS = tuple(rules_module.ESCALATION)  # relative, grid_worker, township_visit
OPEN_STATES = (Alert.State.OPEN, Alert.State.ACKNOWLEDGED)
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
ALERT_ID = re.compile(r"\d{8}-[a-z][a-z0-9_]{0,39}-[A-Za-z0-9_.-]{1,20}")
# what a stored alert's fields hold at most (the model's lengths): longer is flagged
LIMITS = {"device_id": 20, "household_id": 20, "id_number": 18}
MAX_NOTE = 2000
BATCH = 1000
NOT_FOUND = gettext_noop("Alert %(alert_id)s does not exist or is outside your scope.")
NO_VILLAGE = gettext_noop(
    "elder_devices: %(field)s = %(value)s is not a household of the hukou register."
)


class AlertRefused(RequestError):
    """An alert action refused: the message names the field (also in `field`)."""

    def __init__(self, code: str, template: str, *, status: int = 400, **params: Any) -> None:
        super().__init__(code, template, status=status, **params)
        self.field = str(params.get("field", ""))


def rules_path() -> Path:
    """The alert rule file in use (`MINZHENG_ELDER_ALERT_RULES`, default the platform's)."""
    return Path(settings.ELDER_ALERT_RULES)


# --- raising --------------------------------------------------------------------------------


@dataclass
class RaiseResult:
    """What raising a day's alerts did: created, already there, and the flagged inputs (each
    with the field it names)."""

    created: int = 0
    existing: int = 0
    flagged: list[dict] = field(default_factory=list)


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _relative_notice(household_id: str) -> dict[str, Any]:
    # No SMS gateway and no contacts feed: the notification is kept as sent, on record only.
    return {"to": "household_contact", "household_id": household_id, "channel": "record_only"}


def alerts_raise(
    *,
    records: list[dict[str, Any]],
    rules: rules_module.RuleSet | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
    flagged: list[dict] | None = None,
) -> RaiseResult:
    """Store the evaluated alerts (records of `alerts.evaluate` with the person's
    `village_code` and `name`) at the chain's first step, each alert id once; audited."""
    rules = rules or rules_module.load_rules(rules_path())
    by_name = {r.name: r for r in rules.rules}
    now = now or timezone.now()
    result = RaiseResult(flagged=list(flagged or []))
    wanted = {}
    for rec in records:
        rule = by_name.get(rec["rule"])
        if rule is None:  # an alert of a rule this file does not know: say so, keep nothing
            result.flagged.append(
                {"code": "unknown_rule", "field": "rule", "value": rec["rule"], "events": 0}
            )
            continue
        too_long = [k for k, n in LIMITS.items() if len(str(rec.get(k) or "")) > n]
        if too_long or not ALERT_ID.fullmatch(str(rec.get("alert_id", ""))):
            name = (too_long or ["device_id"])[0]
            result.flagged.append(
                {"code": "bad_value", "field": name, "value": str(rec.get(name)), "events": 0}
            )
            continue
        if not rec.get("village_code"):
            result.flagged.append(
                {
                    "code": "no_village",
                    "field": "household_id",
                    "value": rec.get("household_id") or "",
                    "events": 0,
                }
            )
            continue
        wanted[rec["alert_id"]] = (rec, rule)
    ids = list(wanted)
    existing: set[str] = set()
    for i in range(0, len(ids), BATCH):
        existing |= set(
            Alert.objects.filter(alert_id__in=ids[i : i + BATCH]).values_list("alert_id", flat=True)
        )
    result.existing = len(existing)
    new = []
    for alert_id, (rec, rule) in wanted.items():
        if alert_id in existing:
            continue
        raised = _aware(rec["raised_at"])
        timers = dict(zip(STEPS, rule.escalation, strict=True))
        evidence = rec.get("evidence") or {}
        new.append(
            Alert(
                alert_id=alert_id,
                rule=rule.name,
                rule_label=rule.label[:100],
                severity=rule.severity,
                device_id=rec["device_id"],
                device_kind=rec["device_kind"],
                id_number=rec["id_number"],
                name=(rec.get("name") or "")[:50],
                household_id=rec["household_id"],
                region_code=rec["village_code"],
                raised_at=raised,
                evidence=json.loads(evidence) if isinstance(evidence, str) else evidence,
                timers=timers,
                step=STEPS[0],
                step_due_at=raised + dt.timedelta(minutes=timers[STEPS[0]]),
            )
        )
    with transaction.atomic():
        # a concurrent raise of the same day: the unique alert id keeps each once
        Alert.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
        stored = {
            a.alert_id: a
            for i in range(0, len(new), BATCH)
            for a in Alert.objects.filter(
                alert_id__in=[n.alert_id for n in new[i : i + BATCH]], step=STEPS[0]
            )
        }
        steps = [
            AlertStep(
                alert=a,
                step=STEPS[0],
                started_at=a.raised_at,
                due_at=a.step_due_at,
                recorded_at=now,
                notice=_relative_notice(a.household_id),
            )
            for a in stored.values()
        ]
        AlertStep.objects.bulk_create(steps, batch_size=BATCH, ignore_conflicts=True)
    result.created = len(new)
    audit_record(
        actor=actor,
        action="alerts_raise",
        object_type="alert",
        object_id=str(len(records)),
        detail={
            "created": result.created,
            "existing": result.existing,
            "flagged": len(result.flagged),
            "rules": sorted(by_name),
        },
    )
    return result


def lake_records(
    lake: Path, date: dt.date, rules: rules_module.RuleSet
) -> tuple[rules_module.Evaluation, list[dict]]:
    """The evaluation of `date` over a lake's devices, and its alerts each with the village of
    the person's hukou household and their name."""
    con = rules_module.connect_lake(lake)
    evaluation = rules_module.evaluate(con, date, rules)
    con.register("_alerts", evaluation.alerts)
    for name in ("hukou_households", "hukou_persons"):
        glob = (Path(lake) / name / "*" / "*.parquet").as_posix().replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{glob}',"
            " hive_partitioning = true, hive_types = {'county': VARCHAR})"
        )
    rows = (
        con.sql(
            "SELECT a.*, h.village_code, p.name FROM _alerts a"
            " LEFT JOIN hukou_households h USING (household_id)"
            " LEFT JOIN hukou_persons p ON p.id_number = a.id_number"
            " ORDER BY a.alert_id"
        )
        .to_arrow_table()
        .to_pylist()
    )
    return evaluation, rows


def alerts_raise_lake(
    *, lake: Path, date: dt.date, rules: rules_module.RuleSet | None = None, actor: Any = None
) -> RaiseResult:
    """Evaluate a day of a lake's device signals and raise its alerts (see `alerts_raise`)."""
    rules = rules or rules_module.load_rules(rules_path())
    evaluation, records = lake_records(lake, date, rules)
    flagged = evaluation.flagged.to_pylist()
    return alerts_raise(records=records, rules=rules, actor=actor, flagged=flagged)


def flagged_message(row: dict) -> str:
    """A flagged input in the user's language, naming the field and its value."""
    from django.utils.translation import gettext

    template = {
        "unknown_device": rules_module.UNKNOWN_DEVICE,
        "unknown_rule": gettext_noop(
            "alerts: %(field)s = %(value)s is not a rule of the rule file."
        ),
        "bad_value": gettext_noop(
            "elder_devices: %(field)s = %(value)s is too long or has characters an id cannot have."
        ),
    }.get(str(row.get("code")), NO_VILLAGE)
    return gettext(template) % {
        "field": row.get("field", ""),
        "value": shorten(str(row.get("value", ""))),
        "events": row.get("events", 0),
    }


# --- escalating -----------------------------------------------------------------------------


def _next_steps(alert: Alert, now: dt.datetime) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """The steps an open alert passes through by `now`: (step, began, due) for each."""
    out = []
    index = STEPS.index(alert.step)
    due = alert.step_due_at
    while due <= now and index + 1 < len(STEPS):
        index += 1
        step = STEPS[index]
        began, due = due, alert.raised_at + dt.timedelta(minutes=int(alert.timers[step]))
        out.append((step, began, due))
    return out


def alerts_escalate(
    *, now: dt.datetime | None = None, user: Any = None, request: HttpRequest | None = None
) -> int:
    """Move every open alert whose acknowledgement timer ran out by `now` to the next step
    (of the user's scope when a user is given, else all); returns how many moved. Safe to run
    concurrently: an alert moves only from the step it was read at."""
    now = now or timezone.now()
    due = Alert.objects.filter(
        state=Alert.State.OPEN, step_due_at__lte=now, step__in=STEPS[:-1]
    ).order_by("step_due_at")
    if user is not None:
        due = due.filter(pk__in=Alert.objects.for_user(user).values("pk"))
    moved = []
    for alert in due.iterator(chunk_size=BATCH):
        passes = _next_steps(alert, now)
        if not passes:
            continue
        step, _began, step_due = passes[-1]
        try:
            with transaction.atomic():
                updated = Alert.objects.filter(
                    pk=alert.pk, state=Alert.State.OPEN, step=alert.step
                ).update(step=step, step_due_at=step_due)
                if not updated:  # acknowledged or escalated meanwhile
                    continue
                AlertStep.objects.bulk_create(
                    [
                        AlertStep(alert=alert, step=s, started_at=b, due_at=d, recorded_at=now)
                        for s, b, d in passes
                    ]
                )
        except IntegrityError:  # another run recorded the same step first
            continue
        moved.append((alert, alert.step, step))
    if moved:
        audit_record(
            actor=user,
            action="alerts_escalate",
            request=request,
            object_type="alert",
            object_id=str(len(moved)),
            region_code=getattr(user, "region_id", None) or "",
            detail={
                "at": now.isoformat(),
                "moved": [[a.alert_id, old, new] for a, old, new in moved[:100]],
                "count": len(moved),
            },
        )
    return len(moved)


# --- reading --------------------------------------------------------------------------------


def open_alerts(user: Any, now: dt.datetime | None = None) -> QuerySet[Alert]:
    """The alerts of the user's scope not yet resolved: overdue first (the township's timer
    ran out), then awaiting acknowledgement by severity and timer, then acknowledged ones."""
    now = now or timezone.now()
    return (
        Alert.objects.for_user(user)
        .filter(state__in=OPEN_STATES)
        .annotate(
            urgency=Case(
                When(state=Alert.State.OPEN, step_due_at__lte=now, then=Value(0)),
                When(state=Alert.State.OPEN, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            severity_rank=Case(
                *[When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()],
                default=Value(3),
                output_field=IntegerField(),
            ),
        )
        .order_by("urgency", "severity_rank", "step_due_at", "alert_id")
    )


def alert_get(*, user: Any, request: HttpRequest | None, alert_id: Any) -> Alert:
    """One alert of the user's scope (unknown, malformed and out of scope: one audited 404)."""
    text = str(alert_id)
    require(user, roles.VIEW_ALERT, request=request, object_type="alert", object_id=text[:80])
    wanted = text if len(text) <= 80 and ALERT_ID.fullmatch(text) else None
    alert = Alert.objects.for_user(user).filter(alert_id=wanted).first() if wanted else None
    if alert is None:
        not_found(
            AlertRefused,
            "alert_not_found",
            NOT_FOUND,
            user=user,
            request=request,
            action="read_personal",
            object_type="alert",
            object_id=text[:150],
            alert_id=shorten(text),
        )
    return alert


# --- acting ---------------------------------------------------------------------------------


def _note(value: Any, field_name: str, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise AlertRefused(
            "missing", gettext_noop("%(field)s: this field is required."), field=field_name
        )
    if len(text) > MAX_NOTE:
        raise AlertRefused(
            "too_long",
            gettext_noop("%(field)s: at most %(limit)s characters."),
            field=field_name,
            limit=MAX_NOTE,
        )
    return text.replace("\x00", "")


def _changed(alert: Alert) -> AlertRefused:
    return AlertRefused(
        "alert_changed",
        gettext_noop("Alert %(alert_id)s was changed by someone else; reload it."),
        status=409,
        alert_id=alert.alert_id,
    )


def _audit(user: Any, request: HttpRequest | None, alert: Alert, action: str, **detail) -> None:
    audit_record(
        actor=user,
        action=action,
        request=request,
        object_type="alert",
        object_id=alert.alert_id,
        region_code=alert.region_code,
        detail=detail,
    )


def alert_acknowledge(
    *, user: Any, request: HttpRequest | None, alert_id: Any, note: Any = "", now=None
) -> Alert:
    """Acknowledge an open alert (who, when, at which step): its timer stops."""
    alert = alert_get(user=user, request=request, alert_id=alert_id)
    require(
        user, roles.CHANGE_ALERT, request=request, object_type="alert", object_id=alert.alert_id
    )
    text = _note(note, "note")
    if alert.state != Alert.State.OPEN:
        raise AlertRefused(
            "already_acknowledged",
            gettext_noop("Alert %(alert_id)s is already acknowledged."),
            status=409,
            alert_id=alert.alert_id,
        )
    now = now or timezone.now()
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, state=Alert.State.OPEN, step=alert.step).update(
            state=Alert.State.ACKNOWLEDGED,
            acknowledged_by=user,
            acknowledged_at=now,
            acknowledged_step=alert.step,
            acknowledged_note=text,
        )
        if not updated:
            raise _changed(alert)
        _audit(user, request, alert, "alert_acknowledge", step=alert.step)
    alert.refresh_from_db()
    return alert


def alert_resolve(
    *,
    user: Any,
    request: HttpRequest | None,
    alert_id: Any,
    reason: Any,
    note: Any = "",
    now=None,
) -> Alert:
    """Resolve an acknowledged alert with a reason of the fixed list and a note."""
    alert = alert_get(user=user, request=request, alert_id=alert_id)
    require(
        user, roles.CHANGE_ALERT, request=request, object_type="alert", object_id=alert.alert_id
    )
    code = str(reason or "").strip()
    if not code:
        raise AlertRefused(
            "reason_missing",
            gettext_noop("reason: say how the alert ended (%(allowed)s)."),
            field="reason",
            allowed=", ".join(Resolution.values),
        )
    if code not in Resolution.values:
        raise AlertRefused(
            "bad_reason",
            gettext_noop("reason: %(value)s is not one of the ways an alert ends (%(allowed)s)."),
            field="reason",
            value=shorten(code),
            allowed=", ".join(Resolution.values),
        )
    text = _note(note, "note")
    if alert.state == Alert.State.RESOLVED:
        raise AlertRefused(
            "already_resolved",
            gettext_noop("Alert %(alert_id)s is already resolved."),
            status=409,
            alert_id=alert.alert_id,
        )
    if alert.state != Alert.State.ACKNOWLEDGED:
        raise AlertRefused(
            "not_acknowledged",
            gettext_noop("Alert %(alert_id)s must be acknowledged before it is resolved."),
            status=409,
            alert_id=alert.alert_id,
        )
    now = now or timezone.now()
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, state=Alert.State.ACKNOWLEDGED).update(
            state=Alert.State.RESOLVED,
            resolved_by=user,
            resolved_at=now,
            resolution=code,
            resolution_note=text,
        )
        if not updated:
            raise _changed(alert)
        _audit(user, request, alert, "alert_resolve", reason=code)
    alert.refresh_from_db()
    return alert
