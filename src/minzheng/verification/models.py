"""Consents (授权核对) and the checks made under them; both scoped by the household's village."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.scoping import RegionScopedQuerySet


class Consent(models.Model):
    """One adult member's authorisation for checks of their household's economic status."""

    class Method(models.TextChoices):
        SIGNED_FORM = "signed_form", _("signed form (uploaded)")
        ONLINE = "online", _("online confirmation")

    household_id = models.CharField(_("household"), max_length=20, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    method = models.CharField(_("how"), max_length=16, choices=Method.choices)
    given_at = models.DateTimeField(_("given at"))
    form = models.FileField(_("signed form"), upload_to="consents/%Y/%m/", blank=True)
    form_sha256 = models.CharField(_("form SHA-256"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["household_id", "id_number"])]
        constraints = [
            # A new consent of a member supersedes their active one for the household.
            models.UniqueConstraint(
                fields=["household_id", "id_number"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_consent_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id}/{self.id_number[:6]}…"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Check(models.Model):
    """One verification report, kept as it was produced (for the case file and the PDF)."""

    number = models.CharField(_("report number"), max_length=32, unique=True)
    household_id = models.CharField(_("household"), max_length=20, db_index=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    as_of = models.DateField(_("as of"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Checking officer"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=8, default="web")  # web | api | batch
    flagged = models.BooleanField(_("flagged"), default=False)
    complete = models.BooleanField(_("complete"), default=True)
    report = models.JSONField(_("report"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("verification check")
        verbose_name_plural = _("verification checks")
        permissions = [("unmask_personal_data", _("Can see unmasked names and ID numbers"))]

    def __str__(self) -> str:
        return self.number
