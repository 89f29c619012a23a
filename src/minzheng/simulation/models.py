"""Simulation runs as analysts start them from the page: what was asked, how far it got, and
the results — aggregates only (counts and sums by programme and region), never a person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.scoping import RegionScopedQuerySet


class SimulationRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    number = models.CharField(_("number"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region_code = models.CharField(_("region"), max_length=12)  # of who started it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    as_of = models.DateField(_("as-of date"))
    # the scenario files as given: [{"name": file name, "text": YAML}]
    scenarios = models.JSONField(_("scenarios"), default=list)
    ideal = models.CharField(_("ideal population"), max_length=200, blank=True)
    budget = models.DecimalField(
        _("annual budget (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    done = models.BigIntegerField(_("persons done"), default=0)
    total = models.BigIntegerField(_("persons in all"), default=0)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    results = models.JSONField(_("results"), null=True, blank=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number
