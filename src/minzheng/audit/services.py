"""Appending to the audit log. Every read of personal data goes through `personal_data_read`."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from minzheng.audit.models import AuditEvent, AuditHead, Outcome


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address as the server saw it (proxies are configured in the server)."""
    if request is None:
        return None
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def _storable(value: Any) -> Any:
    """What a request sent, as the database can store it: text and JSON in PostgreSQL cannot
    hold NUL characters, so they are written as the escape "\\x00" (the rest as sent)."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def audit_record(
    *,
    actor: Any,
    action: str,
    request: HttpRequest | None = None,
    object_type: str = "",
    object_id: str = "",
    region_code: str = "",
    outcome: Outcome | str = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, atomically with the head (serialised by its row lock)."""
    return audit_record_many(
        actor=actor,
        request=request,
        events=[
            {
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "region_code": region_code,
                "outcome": outcome,
                "detail": detail,
            }
        ],
    )[-1]


def audit_record_many(
    *, actor: Any, events: list[dict[str, Any]], request: HttpRequest | None = None
) -> list[AuditEvent]:
    """Append several events of one actor in one transaction (a batch check writes one per
    household): the same chain as one by one, in one insert."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
                at = timezone.now()
                rows = []
                seq, prev = head.seq, head.hash
                for spec in events:
                    seq += 1
                    event = AuditEvent(
                        seq=seq,
                        at=at,
                        actor=user,
                        actor_username=user.get_username() if user else "",
                        action=spec["action"],
                        object_type=spec.get("object_type", ""),
                        object_id=_storable(str(spec.get("object_id", "")))[:150],
                        region_code=spec.get("region_code") or "",
                        client_ip=client_address(request),
                        outcome=Outcome(spec.get("outcome", Outcome.SUCCESS)),
                        detail=_storable(spec.get("detail") or {}),
                        prev_hash=prev,
                    )
                    event.hash = prev = event.compute_hash()
                    rows.append(event)
                AuditEvent.objects.bulk_create(rows, batch_size=2000)
                head.seq, head.hash = seq, prev
                head.save(update_fields=["seq", "hash"])
                return rows
        except IntegrityError:
            # Two first-ever appends raced to create the head row; the loser retries.
            continue
    raise RuntimeError("could not append to the audit chain after 5 attempts")


def personal_data_read(
    *,
    actor: Any,
    request: HttpRequest | None,
    object_type: str,
    object_id: str,
    region_code: str,
    fields: list[str] | None = None,
    unmasked: bool = False,
) -> AuditEvent:
    """Record that `actor` saw personal data of one object (masked, or unmasked on purpose)."""
    return audit_record(
        actor=actor,
        action="unmask" if unmasked else "read_personal",
        request=request,
        object_type=object_type,
        object_id=object_id,
        region_code=region_code,
        detail={"fields": sorted(fields or []), "unmasked": unmasked},
    )


def refusal_record(
    *,
    actor: Any,
    request: HttpRequest | None,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
) -> AuditEvent:
    """Record a refused request (out of scope, not found, not permitted) in the actor's own
    region: the object asked for may not exist, or may belong to a region the actor may not
    name, so the event belongs to whoever administers the actor."""
    return audit_record(
        actor=actor,
        action=action,
        request=request,
        object_type=object_type,
        object_id=str(object_id)[:150],
        region_code=getattr(actor, "region_id", None) or "",
        outcome=Outcome.DENIED,
        detail={"reason": reason, "path": request.path[:300] if request else ""},
    )
