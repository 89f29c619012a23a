"""The alert API: the open alerts of your scope, one alert with its signal and escalation steps
(ID numbers and names masked), acknowledging and resolving it — the same services, scope and
audit as the pages (and the same escalation check first)."""

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
from minzheng.eldercare import alert_services as services
from minzheng.eldercare.alert_models import Alert
from minzheng.lib import idcard
from minzheng.lib.names import mask_name
from minzheng.regions.scoping import user_scope

router = Router(tags=["eldercare"])
ALERT_ERRORS = ERRORS | {409: ErrorOut}
PAGE = 100


class AlertSummaryOut(Schema):
    alert_id: str
    rule: str
    rule_label: str
    severity: str
    state: str
    step: str
    step_due_at: dt.datetime
    minutes_left: int | None
    overdue: bool
    region_code: str
    person: str
    name: str


class StepOut(Schema):
    step: str
    started_at: dt.datetime
    due_at: dt.datetime
    recorded_at: dt.datetime
    notice: dict


class AlertOut(AlertSummaryOut):
    device_id: str
    device_kind: str
    household_id: str
    raised_at: dt.datetime
    evidence: dict
    steps: list[StepOut]
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    acknowledged_step: str
    acknowledged_note: str
    resolved_by: str | None
    resolved_at: dt.datetime | None
    resolution: str
    resolution_note: str


class AcknowledgeIn(Schema):
    note: str = Field("", max_length=2000)


class ResolveIn(Schema):
    reason: str = Field("", max_length=40)
    note: str = Field("", max_length=2000)


def _summary(a: Alert, now: dt.datetime) -> dict:
    waiting = a.state == Alert.State.OPEN
    return {
        "alert_id": a.alert_id,
        "rule": a.rule,
        "rule_label": a.rule_label,
        "severity": a.severity,
        "state": a.state,
        "step": a.step,
        "step_due_at": a.step_due_at,
        "minutes_left": int((a.step_due_at - now).total_seconds() // 60) if waiting else None,
        "overdue": waiting and a.step_due_at <= now,
        "region_code": a.region_code,
        "person": idcard.mask(a.id_number),
        "name": mask_name(a.name),
    }


def _alert_out(request: HttpRequest, a: Alert) -> dict:
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="alert",
        object_id=a.alert_id,
        region_code=a.region_code,
        fields=["id_number", "name", "evidence"],
    )
    return _summary(a, timezone.now()) | {
        "device_id": a.device_id,
        "device_kind": a.device_kind,
        "household_id": a.household_id,
        "raised_at": a.raised_at,
        "evidence": a.evidence,
        "steps": list(a.steps.order_by("started_at", "pk")),
        "acknowledged_by": a.acknowledged_by.username if a.acknowledged_by_id else None,
        "acknowledged_at": a.acknowledged_at,
        "acknowledged_step": a.acknowledged_step,
        "acknowledged_note": a.acknowledged_note,
        "resolved_by": a.resolved_by.username if a.resolved_by_id else None,
        "resolved_at": a.resolved_at,
        "resolution": a.resolution,
        "resolution_note": a.resolution_note,
    }


@router.get(
    "/alerts",
    response={200: list[AlertSummaryOut], **ALERT_ERRORS},
    summary="Open alerts in your scope (overdue first)",
)
def alert_list(request: HttpRequest, page: int = 1):
    require(request.user, roles.VIEW_ALERT, request=request, object_type="alert", object_id="list")
    now = timezone.now()
    services.alerts_escalate(now=now, user=request.user, request=request)
    start = (min(max(page, 1), 10**6) - 1) * PAGE
    rows = [_summary(a, now) for a in services.open_alerts(request.user, now)[start : start + PAGE]]
    scope = user_scope(request.user)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="alert_list",
        object_id=scope.code if scope else "",
        region_code=scope.code if scope else "",
        fields=["id_number", "name"],
    )
    return rows


@router.get("/alerts/{alert_key}", response={200: AlertOut, **ALERT_ERRORS}, summary="One alert")
def alert_detail(request: HttpRequest, alert_key: str):
    alert = services.alert_get(user=request.user, request=request, alert_id=alert_key)
    if services.alerts_escalate(user=request.user, request=request):
        alert.refresh_from_db()
    return _alert_out(request, alert)


@router.post(
    "/alerts/{alert_key}/acknowledge",
    response={200: AlertOut, **ALERT_ERRORS},
    summary="Acknowledge an open alert (its timer stops)",
)
def alert_acknowledge(request: HttpRequest, alert_key: str, payload: AcknowledgeIn):
    services.alerts_escalate(user=request.user, request=request)
    alert = services.alert_acknowledge(
        user=request.user, request=request, alert_id=alert_key, note=payload.note
    )
    return _alert_out(request, alert)


@router.post(
    "/alerts/{alert_key}/resolve",
    response={200: AlertOut, **ALERT_ERRORS},
    summary="Resolve an acknowledged alert with a reason (false_alarm, visited_fine, helped,"
    " hospital, died) and a note",
)
def alert_resolve(request: HttpRequest, alert_key: str, payload: ResolveIn):
    alert = services.alert_resolve(
        user=request.user,
        request=request,
        alert_id=alert_key,
        reason=payload.reason,
        note=payload.note,
    )
    return _alert_out(request, alert)
