"""Alerts for older people living alone (独居老人监测预警) as platform records: raised from the
rules' output (`eldercare.alerts`), escalated along the chain relative → village/grid worker →
township visit while nobody acknowledges them, acknowledged and resolved with a reason by the
township's staff. Scoped by the village of the person's hukou household."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minzheng.regions.scoping import RegionScopedQuerySet


class Resolution(models.TextChoices):
    """How an alert ended: the fixed list a resolution picks from (a note adds the rest)."""

    FALSE_ALARM = "false_alarm", pgettext_lazy("alert resolution", "false alarm")
    VISITED_FINE = "visited_fine", pgettext_lazy("alert resolution", "visited, fine")
    HELPED = "helped", pgettext_lazy("alert resolution", "helped on the spot")
    HOSPITAL = "hospital", pgettext_lazy("alert resolution", "sent to hospital")
    DIED = "died", pgettext_lazy("alert resolution", "found dead")


class Alert(models.Model):
    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert state", "awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert state", "acknowledged, not resolved")
        RESOLVED = "resolved", pgettext_lazy("alert state", "resolved")

    class Step(models.TextChoices):
        # the order is the chain's (alerts.ESCALATION)
        RELATIVE = "relative", pgettext_lazy("alert step", "relative")
        GRID_WORKER = "grid_worker", pgettext_lazy("alert step", "village/grid worker")
        TOWNSHIP_VISIT = "township_visit", pgettext_lazy("alert step", "township visit")

    class Severity(models.TextChoices):
        LOW = "low", pgettext_lazy("alert severity", "low")
        MEDIUM = "medium", pgettext_lazy("alert severity", "medium")
        HIGH = "high", pgettext_lazy("alert severity", "high")

    Resolution = Resolution

    alert_id = models.CharField(_("alert id"), max_length=80, unique=True)
    rule = models.CharField(_("rule"), max_length=40)
    rule_label = models.CharField(_("rule label"), max_length=100)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    device_id = models.CharField(_("device"), max_length=20)
    device_kind = models.CharField(_("device kind"), max_length=10)
    id_number = models.CharField(_("ID number"), max_length=18, db_index=True)
    name = models.CharField(_("full name"), max_length=50, blank=True)
    household_id = models.CharField(_("household"), max_length=20)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    raised_at = models.DateTimeField(_("raised at"))
    evidence = models.JSONField(_("signal"), default=dict)
    # the rule's acknowledgement timers when it was raised (minutes after raised_at, by step):
    # a later change of the rule file does not move the timers of alerts already running
    timers = models.JSONField(_("escalation timers (minutes)"))
    step = models.CharField(
        _("escalation step"), max_length=20, choices=Step.choices, default=Step.RELATIVE
    )
    step_due_at = models.DateTimeField(_("acknowledgement due"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.OPEN, db_index=True
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_step = models.CharField(
        _("acknowledged at step"), max_length=20, choices=Step.choices, blank=True
    )
    acknowledged_note = models.TextField(_("acknowledgement note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["region_code", "state", "step_due_at"]),
            models.Index(fields=["state", "step_due_at"]),
        ]
        constraints = [
            # the chain's records hold: acknowledged means who, when and at which step;
            # resolved means acknowledged and a reason from the list
            models.CheckConstraint(
                condition=models.Q(state="open")
                | (
                    models.Q(acknowledged_by__isnull=False)
                    & models.Q(acknowledged_at__isnull=False)
                    & ~models.Q(acknowledged_step="")
                ),
                name="alert_acknowledged_records_who_when_step",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="resolved")
                | (
                    models.Q(resolved_by__isnull=False)
                    & models.Q(resolved_at__isnull=False)
                    & models.Q(resolution__in=Resolution.values)
                ),
                name="alert_resolved_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.alert_id


class AlertStep(models.Model):
    """One step of an alert's escalation: when it began (the alert raised, or the previous
    step's timer ran out), when its acknowledgement timer runs out, when the platform recorded
    it, and for the relative the notification recorded."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField(_("escalation step"), max_length=20, choices=Alert.Step.choices)
    started_at = models.DateTimeField(_("step began"))
    due_at = models.DateTimeField(_("acknowledgement due"))
    recorded_at = models.DateTimeField(_("recorded at"))
    notice = models.JSONField(_("notification"), default=dict, blank=True)

    region_lookup = "alert__region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["alert", "started_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "step"], name="one_record_per_alert_step")
        ]

    def __str__(self) -> str:
        return f"{self.alert_id}/{self.step}"
