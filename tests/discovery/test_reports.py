"""The public reporting channel: no login, CSRF, bounded fields, a rate limit per address,
nothing echoed back, one task for a repeated report, a QR code per township."""

from __future__ import annotations

import pytest
from django.test import Client

from minzheng.discovery.models import PublicReport, Task

TOWNSHIP = "330102001"
GOOD = {
    "location": "清波街道某小区3幢",
    "description": "独居老人，行动不便，多日未见出门。",
    "contact": "",
}


@pytest.fixture
def public(regions, clock):
    return Client(enforce_csrf_checks=True)


def _post(client, data, township=TOWNSHIP, address="203.0.113.7"):
    page = client.get(f"/report/{township}/", REMOTE_ADDR=address)
    token = page.cookies["csrftoken"].value
    return client.post(
        f"/report/{township}/", {**data, "csrfmiddlewaretoken": token}, REMOTE_ADDR=address
    )


def test_a_report_becomes_a_task_and_shows_only_the_reference(public):
    page = public.get(f"/report/{TOWNSHIP}/")
    assert page.status_code == 200 and "报送" in page.content.decode()
    done = _post(public, GOOD)
    body = done.content.decode()
    report = PublicReport.objects.get()
    assert done.status_code == 200 and report.reference in body
    assert GOOD["description"] not in body and GOOD["location"] not in body
    task = report.task
    assert task.source == "report" and task.region_code == TOWNSHIP and task.household_id == ""
    assert task.evidence[0]["figures"]["description"] == GOOD["description"]
    assert report.address_hash != "203.0.113.7" and len(report.address_hash) == 64
    # the same report again (another address): one task, two references
    _post(public, GOOD, address="198.51.100.1")
    assert Task.objects.count() == 1 and PublicReport.objects.count() == 2


def test_bad_reports_are_refused(public, settings):
    assert public.post(f"/report/{TOWNSHIP}/", GOOD).status_code == 403  # no CSRF token
    long = _post(public, {**GOOD, "description": "x" * 2001})
    assert long.status_code == 400 and "description" in long.content.decode()
    empty = _post(public, {**GOOD, "location": "  "})
    assert empty.status_code == 400
    html = _post(public, {**GOOD, "description": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in html.content.decode()
    assert public.get("/report/339999999/").status_code == 404
    assert public.get("/report/abc/").status_code == 404
    settings.REPORTS_PER_HOUR = 2
    _post(public, {**GOOD, "description": "一"}, address="192.0.2.9")
    _post(public, {**GOOD, "description": "二"}, address="192.0.2.9")
    third = _post(public, {**GOOD, "description": "三"}, address="192.0.2.9")
    assert third.status_code == 429 and "一小时" in third.content.decode()


def test_each_township_has_a_qr_code(public):
    qr = public.get(f"/report/{TOWNSHIP}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<?xml") and b"<svg" in qr.content
    assert public.get("/report/330102/qr.svg").status_code == 404  # a county, not a township


def test_a_reported_task_is_converted_for_the_household_the_visit_found(
    public, caseworker, home, verify_settings, lookup
):
    from minzheng.discovery import services
    from minzheng.lib.i18n import TranslatableError
    from tests.verification.test_web import consent_all

    _post(public, GOOD)
    task = PublicReport.objects.get().task
    services.task_act(user=caseworker, request=None, number=task.number, action="start_visit")
    with pytest.raises(TranslatableError) as caught:
        services.task_act(user=caseworker, request=None, number=task.number, action="convert")
    assert caught.value.code == "household_required"
    consent_all(caseworker, home, lookup)
    done = services.task_act(
        user=caseworker, request=None, number=task.number, action="convert", household_id=home
    )
    assert (
        done.state == "converted" and done.household_id == home and done.case.channel == "discovery"
    )


def test_a_report_colliding_with_another_is_retried_then_refused_cleanly(public):
    from unittest import mock

    from django.db import IntegrityError

    real = PublicReport.objects.create
    calls = []

    def once_busy(**kw):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("duplicate reference")
        return real(**kw)

    with mock.patch.object(PublicReport.objects, "create", side_effect=once_busy):
        assert _post(public, GOOD).status_code == 200  # the second attempt saves it
    with mock.patch.object(PublicReport.objects, "create", side_effect=IntegrityError("busy")):
        busy = _post(public, {**GOOD, "description": "另一件事"}, address="198.51.100.9")
    assert busy.status_code == 503 and "稍后" in busy.content.decode()
    assert PublicReport.objects.count() == 1
