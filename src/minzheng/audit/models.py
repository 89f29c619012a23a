"""An append-only audit log whose rows form a SHA-256 hash chain."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.scoping import RegionScopedQuerySet

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit row."""


class Outcome(models.TextChoices):
    SUCCESS = "success", _("success")
    FAILURE = "failure", _("failure")
    DENIED = "denied", _("denied")


class AuditQuerySet(RegionScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """Who did what, to which object, in which region, from where, with what outcome."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,  # users are deactivated, never deleted, once they act
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=150, blank=True)
    region_code = models.CharField(_("region"), max_length=12, blank=True, db_index=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    region_lookup = "region_code"
    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_username or '-'} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")

    def canonical(self) -> bytes:
        """The bytes the hash covers: every field but the hash itself, in a fixed form."""
        payload = {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "region_code": self.region_code,
            "client_ip": self.client_ip,
            "outcome": self.outcome,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(
            payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()

    def compute_hash(self) -> str:
        """SHA-256 over the canonical form."""
        return hashlib.sha256(self.canonical()).hexdigest()


class AuditHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises appends, and it
    anchors the chain's end, so that deleting the newest rows is detected too."""

    id = models.PositiveSmallIntegerField(_("identifier"), primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(_("sequence"), default=0)
    hash = models.CharField(_("hash"), max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"head seq={self.seq}"
