"""Scanned consent forms: accepted by what they contain, stored under a name of our own.

The name and content type a browser sends are the sender's word; the first bytes of the file
are not. Framework-free: the service turns a refusal into a 400 with its code.
"""

from __future__ import annotations

import uuid
from typing import BinaryIO

from minzheng.lib.i18n import gettext_noop
from minzheng.verification.report import VerificationError

# (leading bytes, extension of the stored file): the three kinds a scanner or phone produces.
SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
HEAD_BYTES = max(len(magic) for magic, _ext in SIGNATURES)


def form_kind(head: bytes) -> str | None:
    """The extension of a scan by its first bytes (pdf, jpg or png), or None for anything else."""
    return next((ext for magic, ext in SIGNATURES if head.startswith(magic)), None)


def form_checked(file: BinaryIO, size: int, limit: int) -> str:
    """The extension a scanned form is stored with, once its content is a PDF, JPEG or PNG and
    it is at most `limit` bytes; otherwise a refusal (`form_type`, `form_too_large`)."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    kind = form_kind(head)
    if kind is None:
        raise VerificationError(
            "form_type",
            gettext_noop(
                "The signed form must be a PDF, JPEG or PNG file (judged by its content, "
                "whatever its name)."
            ),
        )
    if size > limit:
        raise VerificationError(
            "form_too_large",
            gettext_noop("The signed form is %(size)s MB; at most %(limit)s MB are accepted."),
            size=f"{size / 2**20:.1f}",
            limit=f"{limit / 2**20:g}",
        )
    return kind


def stored_name(kind: str) -> str:
    """A new name for a stored form (the model's `upload_to` puts it under consents/<yyyy>/<mm>/);
    the uploaded name is never used: it is the sender's, and may name the person."""
    return f"{uuid.uuid4()}.{kind}"
