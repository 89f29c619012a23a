"""Documents of a case: judged by their content, size-limited, kept once with their SHA-256
under a name of our own, read only in scope (and the read audited)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minzheng.audit.models import AuditEvent
from minzheng.cases import services
from minzheng.cases.services import CaseError
from minzheng.lib.i18n import TranslatableError

PDF = b"%PDF-1.4\n%minimal\n"
JPEG = b"\xff\xd8\xff\xe0" + b"photo of the kitchen"


def upload(content: bytes, name: str = "户主身份证.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def add(user, case, content: bytes, kind: str = "application", name: str = "a.pdf"):
    return services.attachment_add(
        user=user, request=None, number=case.number, kind=kind, file=upload(content, name)
    )


def test_a_document_is_kept_once_with_its_hash_under_our_own_name(opened, caseworker):
    kept = add(caseworker, opened, PDF, name="王小明身份证.pdf")
    assert kept.sha256 == hashlib.sha256(PDF).hexdigest() and kept.size == len(PDF)
    assert kept.file.name.endswith(".pdf") and "王小明" not in kept.file.name
    assert add(caseworker, opened, PDF).pk == kept.pk  # the same file again: kept once
    photo = add(caseworker, opened, JPEG, kind="visit_photo", name="kitchen.txt")
    assert photo.file.name.endswith(".jpg")
    assert opened.events.filter(action="attachment_added").count() == 2
    assert AuditEvent.objects.filter(action="case_attachment_added").count() == 2
    with services.attachment_get(
        user=caseworker, request=None, number=opened.number, pk=kept.pk
    ).file.open("rb") as handle:
        assert handle.read() == PDF


@pytest.mark.parametrize(
    ("content", "kind", "code"),
    [
        (b"MZ\x90\x00 an executable", "application", "attachment_type"),
        (b"<html>", "application", "attachment_type"),
        (PDF, "selfie", "bad_attachment_kind"),
    ],
)
def test_a_document_of_the_wrong_type_is_refused(opened, caseworker, content, kind, code):
    with pytest.raises(CaseError) as caught:
        add(caseworker, opened, content, kind=kind)
    assert caught.value.code == code and caught.value.status == 400
    assert not opened.attachments.exists()


def test_a_document_over_the_limit_is_refused(opened, caseworker, settings):
    settings.CASE_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(CaseError) as caught:
        add(caseworker, opened, PDF + b"x" * 2048)
    assert caught.value.code == "attachment_too_large" and "file" in caught.value.translated()


def test_only_the_township_adds_and_only_in_scope_reads(opened, caseworker, approver, outsider):
    kept = add(caseworker, opened, PDF)
    with pytest.raises(TranslatableError) as caught:
        add(approver, opened, JPEG)
    assert caught.value.status == 403
    for attempt in (
        lambda: add(outsider, opened, JPEG),
        lambda: services.attachment_get(
            user=outsider, request=None, number=opened.number, pk=kept.pk
        ),
    ):
        with pytest.raises(TranslatableError) as caught:
            attempt()
        assert caught.value.status == 404
    assert services.attachment_get(user=approver, request=None, number=opened.number, pk=kept.pk)
    assert AuditEvent.objects.filter(actor=approver, object_type="attachment").exists()


def test_documents_through_the_page_and_the_api(login, opened, caseworker):
    client = login(caseworker)
    page = client.post(
        f"/cases/{opened.number}/attachments/",
        {"kind": "supplement", "file": upload(PDF, "收入证明.pdf")},
    )
    assert page.status_code == 302
    shown = client.get(f"/cases/{opened.number}/").content.decode()
    assert 'data-testid="attachments"' in shown and "补充材料" in shown
    kept = opened.attachments.get()
    got = client.get(f"/cases/{opened.number}/attachments/{kept.pk}/")
    assert got["Content-Type"] == "application/pdf" and b"".join(got.streaming_content) == PDF
    wrong = client.post(
        f"/api/cases/{opened.number}/attachments",
        {"kind": "visit_photo", "file": upload(b"GIF89a", "x.gif")},
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "attachment_type"
    api = client.post(
        f"/api/cases/{opened.number}/attachments",
        {"kind": "visit_photo", "file": upload(JPEG, "x.jpg")},
    )
    assert api.status_code == 200 and len(api.json()["attachments"]) == 2
