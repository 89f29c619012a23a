"""Reads over the audit log: the chain check."""

from __future__ import annotations

from dataclasses import dataclass

from minzheng.audit.models import GENESIS_HASH, AuditEvent, AuditHead


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""


def audit_verify(*, batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first row that was edited, deleted or inserted."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)
    for event in rows:
        if event.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                expected_seq,
                f"row seq={expected_seq} is missing (deleted); the next row is seq={event.seq}",
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                False, checked, event.seq, f"row seq={event.seq} does not link to the row before it"
            )
        if event.compute_hash() != event.hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                f"row seq={event.seq} was edited: its content no longer matches its hash",
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"the chain ends at seq={checked} but its head records seq={head_seq}: "
            "the newest rows were deleted (or the head was altered)",
        )
    return ChainReport(True, checked)
