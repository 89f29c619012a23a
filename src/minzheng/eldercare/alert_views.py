"""The alert pages for the township's staff: the open alerts of their scope (overdue first) and
an alert with the person (masked), the device, the signal that raised it, the escalation
steps, and the acknowledge and resolve forms. Both pages first run the escalation check for
the user's scope, so that nothing waits for the scheduler; every read is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from minzheng.accounts import roles
from minzheng.accounts.permissions import permission_required
from minzheng.audit.services import personal_data_read
from minzheng.eldercare import alert_services as services
from minzheng.eldercare.alert_models import Alert, Resolution
from minzheng.lib import idcard
from minzheng.lib.i18n import TranslatableError
from minzheng.lib.names import mask_name
from minzheng.regions.scoping import user_scope
from minzheng.web.views import refused

PAGE = 50
EVIDENCE_LABELS = {
    "litres": gettext_lazy("litres used in the day"),
    "readings": gettext_lazy("meter readings"),
    "events": gettext_lazy("signals"),
    "first_minute": gettext_lazy("first at"),
    "still_minutes": gettext_lazy("minutes without movement"),
    "since_minute": gettext_lazy("still since"),
}
DEVICE_LABELS = {
    "water": pgettext_lazy("device kind", "water meter"),
    "door": pgettext_lazy("device kind", "door sensor"),
    "wearable": pgettext_lazy("device kind", "wearable"),
}


def _clock(minute: Any) -> str:
    """A minute of the day as HH:MM."""
    try:
        m = int(minute)
    except (TypeError, ValueError):
        return str(minute)
    return f"{m // 60:02d}:{m % 60:02d}"


def _evidence(alert: Alert) -> list[tuple[str, str]]:
    rows = []
    for key, value in (alert.evidence or {}).items():
        shown = _clock(value) if key in ("first_minute", "since_minute") else str(value)
        rows.append((str(EVIDENCE_LABELS.get(key, key)), shown))
    return rows


def _row(alert: Alert, now: dt.datetime) -> dict[str, Any]:
    waiting = alert.state == Alert.State.OPEN
    return {
        "a": alert,
        "person": idcard.mask(alert.id_number),
        "name": mask_name(alert.name),
        "device": DEVICE_LABELS.get(alert.device_kind, alert.device_kind),
        "overdue": waiting and alert.step_due_at <= now,
        "waiting": waiting,
    }


@login_required
@permission_required(roles.VIEW_ALERT)
def alert_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    services.alerts_escalate(now=now, user=request.user, request=request)
    page = Paginator(services.open_alerts(request.user, now), PAGE).get_page(
        request.GET.get("page")
    )
    rows = [_row(a, now) for a in page.object_list]
    scope = user_scope(request.user)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="alert_list",
        object_id=scope.code if scope else "",
        region_code=scope.code if scope else "",
        fields=["id_number", "name"],
    )
    return render(
        request,
        "eldercare/alerts.html",
        {"page": page, "rows": rows, "now": now, "total": page.paginator.count},
    )


@login_required
@permission_required(roles.VIEW_ALERT)
def alert_page(request: HttpRequest, alert_id: str) -> HttpResponse:
    now = timezone.now()
    try:
        alert = services.alert_get(user=request.user, request=request, alert_id=alert_id)
    except TranslatableError as exc:
        return refused(request, exc)
    if services.alerts_escalate(now=now, user=request.user, request=request):
        alert.refresh_from_db()
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="alert",
        object_id=alert.alert_id,
        region_code=alert.region_code,
        fields=["id_number", "name", "evidence"],
    )
    may_act = request.user.has_perm(roles.CHANGE_ALERT)
    return render(
        request,
        "eldercare/alert.html",
        {
            **_row(alert, now),
            "now": now,
            "evidence": _evidence(alert),
            "steps": list(alert.steps.order_by("started_at", "pk")),
            "may_acknowledge": may_act and alert.state == Alert.State.OPEN,
            "may_resolve": may_act and alert.state == Alert.State.ACKNOWLEDGED,
            "resolutions": Resolution.choices,
            "max_note": services.MAX_NOTE,
        },
    )


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: str) -> HttpResponse:
    try:
        alert = services.alert_acknowledge(
            user=request.user, request=request, alert_id=alert_id, note=request.POST.get("note")
        )
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(request, gettext("Acknowledged: the escalation timer has stopped."))
    return redirect("eldercare:alert", alert_id=alert.alert_id)


@login_required
@require_POST
def alert_resolve(request: HttpRequest, alert_id: str) -> HttpResponse:
    try:
        alert = services.alert_resolve(
            user=request.user,
            request=request,
            alert_id=alert_id,
            reason=request.POST.get("reason"),
            note=request.POST.get("note"),
        )
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(request, gettext("Resolved."))
    return redirect("eldercare:alert", alert_id=alert.alert_id)
