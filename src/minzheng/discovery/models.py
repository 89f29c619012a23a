"""Tasks (核查任务): a household that screening, a warning signal or a public report says may
need help (or no longer qualify), for its township's caseworkers to visit; scoped by the
household's village."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.scoping import RegionScopedQuerySet


class Task(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        VISITING = "visiting", _("visiting")
        CONVERTED = "converted", _("converted to a case")
        CLOSED = "closed", _("closed as not needed")

    class Source(models.TextChoices):
        SCREENING = "screening", _("screening")
        SIGNAL = "signal", _("warning signal")
        REPORT = "report", _("public report")

    number = models.CharField(_("task number"), max_length=32, unique=True)
    # empty for a public report until the visit finds the household
    household_id = models.CharField(_("household"), max_length=20, db_index=True, blank=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    as_of = models.DateField(_("data as of"))
    # What raised it: findings and signals (kind, programme or signal, person, figures); the
    # key is the hash of what it says, so the same evidence closed as not needed is not raised
    # again within the quiet period.
    evidence = models.JSONField(_("evidence"), default=list)
    evidence_key = models.CharField(_("evidence key"), max_length=64, db_index=True)
    priority = models.FloatField(_("priority"), default=0.0)
    due_date = models.DateField(_("due"), db_index=True)
    closed_reason = models.TextField(_("reason for closing"), blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last acted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    state_since = models.DateTimeField(_("in this state since"), auto_now_add=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["region_code", "state", "due_date"]),
            models.Index(
                fields=["region_code", "state", "due_date"],
                opclasses=["varchar_pattern_ops", "varchar_ops", "date_ops"],
                condition=models.Q(state__in=["open", "visiting"]),
                name="task_open_by_region_prefix",
            ),
            # The open tasks in the order the lists show them (`services.open_tasks`): a
            # county's first page is the first few hundred entries, instead of a walk of the
            # due-date index through every closed task due earlier (seconds at 500,000 tasks).
            models.Index(
                fields=["due_date", "-priority", "number"],
                condition=models.Q(state__in=["open", "visiting"]),
                name="task_open_by_due",
            ),
        ]
        constraints = [
            # one open task per household: new evidence joins it
            models.UniqueConstraint(
                fields=["household_id"],
                condition=models.Q(state__in=["open", "visiting"]) & ~models.Q(household_id=""),
                name="one_open_task_per_household",
            )
        ]

    def __str__(self) -> str:
        return self.number


class PublicReport(models.Model):
    """A report by anyone (一键报送, reached by a township's QR code) of a person or family in
    difficulty. The reporter sees only the reference; their address is kept only as a keyed
    hash, to limit how often one address reports."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    township_code = models.CharField(_("township"), max_length=12, db_index=True)
    location = models.CharField(_("where"), max_length=200)
    description = models.TextField(_("what is the difficulty"), max_length=2000)
    contact = models.CharField(_("contact (optional)"), max_length=100, blank=True)
    address_hash = models.CharField(_("address hash"), max_length=64, db_index=True)
    content_key = models.CharField(_("content key"), max_length=64, db_index=True)
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.PROTECT, related_name="reports"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    region_lookup = "township_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")

    def __str__(self) -> str:
        return self.reference


class RegionFigures(models.Model):
    """What monitoring shows of one region on one as-of date: the signals and findings counted
    there and its multidimensional poverty measure — aggregates only, no person."""

    as_of = models.DateField(_("data as of"))
    code = models.CharField(_("region"), max_length=12)
    level = models.CharField(_("level"), max_length=10)
    figures = models.JSONField(_("figures"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    region_lookup = "code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("figures of a region")
        verbose_name_plural = _("figures of regions")
        constraints = [
            models.UniqueConstraint(fields=["as_of", "code"], name="one_figures_per_region_date")
        ]
        indexes = [models.Index(fields=["code", "as_of"])]

    def __str__(self) -> str:
        return f"{self.code}/{self.as_of}"
