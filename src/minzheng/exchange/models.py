"""Deliveries of department feeds: what was loaded, from which file, when, by whom (lineage)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.scoping import RegionScopedQuerySet


class Delivery(models.Model):
    """One file of one feed, validated: its accepted and quarantined rows are Parquet files
    in `folder` under the exchange store; the counts always add up."""

    feed = models.CharField(_("feed"), max_length=40, db_index=True)
    department = models.CharField(_("department"), max_length=40)
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"))
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    as_of = models.DateField(_("as of"), db_index=True)
    counties = models.JSONField(_("counties"), default=list)
    rows = models.BigIntegerField(_("rows"))
    accepted = models.BigIntegerField(_("accepted"))
    quarantined = models.BigIntegerField(_("quarantined"))
    reasons = models.JSONField(_("reasons"), default=dict)
    folder = models.CharField(_("folder"), max_length=255)
    backfill = models.BooleanField(_("backfill"), default=False)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    resolves = models.JSONField(_("quarantined lines it corrects"), default=list)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    # In a user's scope when one of its counties is (the scope layer, minzheng.regions.scoping).
    region_lookup = "counties"
    region_lookup_is_list = True
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["feed", "sha256"], name="one_delivery_per_file")
        ]
        permissions = [("load_feed", "Load department feeds")]

    def __str__(self) -> str:
        return f"{self.feed} {self.as_of} ({self.file_name})"


class Snapshot(models.Model):
    """An immutable lake built from the deliveries current at `as_of` (see
    minzheng.exchange.snapshot); results record the snapshot they were computed from."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    as_of = models.DateField(_("as of"))
    deliveries = models.JSONField(_("deliveries"), default=dict)  # feed → [delivery ids]
    rows = models.JSONField(_("rows"), default=dict)  # feed → rows
    missing = models.JSONField(_("feeds without a delivery"), default=list)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("built by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    built_at = models.DateTimeField(_("built at"), auto_now_add=True)
    pruned = models.BooleanField(_("deleted by retention"), default=False)

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-built_at", "-id"]

    def __str__(self) -> str:
        return self.name
