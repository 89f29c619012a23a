"""The check through the page and the API, for the three personas: consent first, masked by
default, audited unmasking, the PDF, and every refusal with its reason."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from minzheng.audit.models import AuditEvent
from minzheng.lib import idcard
from minzheng.verification import services
from minzheng.verification.models import Check, Consent
from minzheng.verification.report import adults

from .conftest import AS_OF, household_in

DATE = AS_OF.isoformat()


@pytest.fixture
def home(lookup):
    """A household of the caseworker's township (清风街道) with two adults or more."""
    return household_in(lookup, "330102001")


def consent_all(user, hid, lookup):
    for m in adults(lookup.household(hid), timezone.localdate()):
        services.consent_record(
            user=user,
            request=None,
            household_id=hid,
            id_number=m["id_number"],
            method="online",
            given_at=timezone.now(),
        )


def run_page(client, hid, **extra):
    return client.post("/verification/", {"household_id": hid, "date": DATE, **extra})


def text(response) -> str:
    return response.content.decode()


def test_without_consent_the_check_is_refused(verify_settings, login, caseworker, home):
    client = login(caseworker)
    response = run_page(client, home)
    assert response.status_code == 403
    assert "授权" in text(response) and 'data-code="consent_missing"' in text(response)
    api = client.post(
        "/api/verification/checks",
        {"household_id": home, "date": DATE},
        content_type="application/json",
    )
    assert api.status_code == 403 and api.json()["code"] == "consent_missing"
    assert "授权" in api.json()["detail"]
    assert not Check.objects.exists()
    assert AuditEvent.objects.filter(action="check_refused", object_id=home).count() == 2


def test_consents_are_recorded_on_the_page(verify_settings, login, caseworker, home, lookup):
    client = login(caseworker)
    page = client.get(f"/verification/households/{home}/consents/")
    assert page.status_code == 200 and "未授权" in text(page)
    members = adults(lookup.household(home), timezone.localdate())
    # Full ID numbers and names are not on the page (masked), but each member is listed.
    for m in members:
        assert m["id_number"] not in text(page).replace(f'value="{m["id_number"]}"', "")
        assert idcard.mask(m["id_number"]) in text(page)
    # A signed form without the scan is refused; with it, recorded with its hash.
    first = members[0]["id_number"]
    form = {"id_number": first, "method": "signed_form", "given_at": "2026-11-01T10:00"}
    refused = client.post(f"/verification/households/{home}/consents/", form)
    assert refused.status_code == 400 and "扫描" in text(refused)
    scan = SimpleUploadedFile("form.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    done = client.post(f"/verification/households/{home}/consents/", form | {"form": scan})
    assert done.status_code == 302
    consent = Consent.objects.get(household_id=home, id_number=first)
    assert consent.method == "signed_form" and len(consent.form_sha256) == 64
    assert AuditEvent.objects.filter(action="consent_record", object_id=str(consent.pk)).exists()


def test_the_caseworker_runs_a_check_reads_it_masked_and_downloads_the_pdf(
    verify_settings, login, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    client = login(caseworker)
    response = run_page(client, home)
    assert response.status_code == 302
    check = Check.objects.get(household_id=home)
    assert response["Location"] == f"/verification/checks/{check.number}/"
    assert check.officer == caseworker and check.report["number"] == check.number
    page = client.get(response["Location"])
    body = text(page)
    assert page.status_code == 200 and "家庭经济状况核对报告" in body and check.number in body
    member = lookup.household(home).members[0]
    assert member["id_number"] not in body and member["name"] not in body
    assert idcard.mask(member["id_number"]) in body
    assert "人社" in body or "公安" in body
    assert "最低生活保障" in body  # the decision aid
    read = AuditEvent.objects.filter(object_type="verification_check", object_id=check.number)
    assert list(read.values_list("action", flat=True)) == ["read_personal", "read_personal"]
    pdf = client.get(f"/verification/checks/{check.number}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = content.replace(" ", "").replace("\n", "")
    assert "家庭经济状况核对报告" in flat
    assert check.number in flat
    assert "cw_qingfeng" in flat  # the checking officer
    assert DATE in flat and "最低生活保障" in flat
    assert idcard.mask(member["id_number"]).replace(" ", "") in flat
    assert member["id_number"] not in flat
    assert read.count() == 3


def test_the_same_county_approver_sees_the_check_and_the_outsider_does_not(
    verify_settings, login, caseworker, approver, outsider, home, lookup, client
):
    consent_all(caseworker, home, lookup)
    check = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    url = f"/verification/checks/{check.number}/"
    client.force_login(approver)
    assert client.get(url).status_code == 200
    assert client.get(f"/api/verification/checks/{check.number}").status_code == 200
    assert check.number in text(client.get("/verification/"))
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(url + "pdf/").status_code == 404
    api = client.get(f"/api/verification/checks/{check.number}")
    assert api.status_code == 404 and api.json()["code"] == "check_not_found"
    assert check.number not in text(client.get("/verification/"))
    # Nor can the outsider run a check of the household, or see its members for consent.
    assert run_page(client, home).status_code == 404
    assert client.get(f"/verification/households/{home}/consents/").status_code == 404
    created = client.post(
        "/api/verification/checks",
        {"household_id": home, "date": DATE},
        content_type="application/json",
    )
    assert created.status_code == 404 and created.json()["code"] == "household_not_found"
    assert not AuditEvent.objects.filter(
        actor=outsider, action="read_personal", outcome="success"
    ).exists()
    # Every refusal is in the audit log, in the outsider's own region (#10 item 3).
    refused = AuditEvent.objects.filter(actor=outsider, outcome="denied")
    assert refused.count() == 6  # report, PDF, API report, page check, consents, API check
    assert set(refused.values_list("region_code", flat=True)) == {outsider.region_id}


def test_the_outsider_checks_households_of_their_own_township(
    verify_settings, login, outsider, lookup
):
    hid = household_in(lookup, "330106001")
    consent_all(outsider, hid, lookup)
    response = login(outsider).post(
        "/api/verification/checks",
        {"household_id": hid, "date": DATE},
        content_type="application/json",
    )
    assert response.status_code == 201
    report = response.json()["report"]
    assert report["household_id"] == hid and report["members"]
    assert all("*" in m["id_number"] for m in report["members"])


def test_unmasking_is_a_permission_and_is_audited(verify_settings, login, caseworker, home, lookup):
    consent_all(caseworker, home, lookup)
    check = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    client = login(caseworker)
    url = f"/verification/checks/{check.number}/?unmask=1"
    assert client.get(url).status_code == 403
    assert client.get(f"/api/verification/checks/{check.number}?unmask=true").status_code == 403
    denied = AuditEvent.objects.filter(action="unmask", outcome="denied", object_id=check.number)
    assert denied.count() == 2
    caseworker.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    client.force_login(type(caseworker).objects.get(pk=caseworker.pk))
    page = client.get(url)
    member = lookup.household(home).members[0]
    assert page.status_code == 200 and member["id_number"] in text(page)
    api = client.get(f"/api/verification/checks/{check.number}?unmask=true").json()
    assert member["id_number"] in {m["id_number"] for m in api["report"]["members"]}
    assert (
        AuditEvent.objects.filter(
            action="unmask", outcome="success", object_id=check.number
        ).count()
        == 2
    )


def test_a_revoked_consent_stops_further_checks(verify_settings, login, caseworker, home, lookup):
    consent_all(caseworker, home, lookup)
    client = login(caseworker)
    assert run_page(client, home).status_code == 302
    consent = Consent.objects.filter(household_id=home).first()
    assert client.post(f"/verification/consents/{consent.pk}/revoke/").status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == caseworker
    response = run_page(client, home)
    assert response.status_code == 403 and idcard.mask(consent.id_number) in text(response)
    # The API records an online confirmation again, and the check runs.
    again = client.post(
        "/api/verification/consents",
        {
            "household_id": home,
            "id_number": consent.id_number,
            "given_at": timezone.now().isoformat(),
        },
        content_type="application/json",
    )
    assert again.status_code == 201 and "*" in again.json()["id_number"]
    assert run_page(client, home).status_code == 302


@pytest.mark.parametrize(
    ("payload", "status", "code", "words"),
    [
        ({"household_id": "H33010200", "date": DATE}, 400, "bad_household_id", "户号 H33010200"),
        ({"household_id": "HOME", "date": "2099-01-01"}, 400, "future_date", "2099-01-01"),
        (
            {"household_id": "H3301020999999", "date": DATE},
            404,
            "household_not_found",
            "H3301020999999",
        ),
    ],
)
def test_the_api_refuses_bad_requests_with_a_reason(
    verify_settings, login, caseworker, home, payload, status, code, words
):
    payload = {k: (home if v == "HOME" else v) for k, v in payload.items()}
    response = login(caseworker).post(
        "/api/verification/checks", payload, content_type="application/json"
    )
    assert response.status_code == status
    assert response.json()["code"] == code and words in response.json()["detail"]


def test_a_declared_id_that_fails_its_check_digit_is_a_400_naming_the_field(
    verify_settings, login, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    person = lookup.household(home).members[0]
    bad = person["id_number"][:17] + ("1" if person["id_number"][17] != "1" else "2")
    declared = {
        "household_id": home,
        "county": "330102",
        "members": [{"id": bad, "birth_date": person["birth_date"].isoformat()}],
    }
    response = login(caseworker).post(
        "/api/verification/checks",
        {"household_id": home, "date": DATE, "declared": declared},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "members[0].id" in response.json()["detail"] and "校验" in response.json()["detail"]


def test_a_declaration_is_compared_on_the_page(verify_settings, login, caseworker, home, lookup):
    consent_all(caseworker, home, lookup)
    members = lookup.household(home).members
    declared = {
        "household_id": home,
        "county": "330102",
        "members": [
            {
                "id": m["id_number"],
                "birth_date": m["birth_date"].isoformat(),
                "relation": m["relation"],
                "income": {"wage": 0},
                "assets": {"deposits": 999999},
            }
            for m in members
        ],
    }
    upload = SimpleUploadedFile(
        "h.json", __import__("json").dumps(declared).encode(), "application/json"
    )
    client = login(caseworker)
    response = run_page(client, home, declaration=upload)
    assert response.status_code == 302
    check = Check.objects.get(household_id=home)
    assert check.flagged and "declared" in check.report["decision"]
    body = text(client.get(response["Location"]))
    assert "有差异" in body or "差异" in body


def test_the_start_page_offers_households_of_the_users_region_only(
    verify_settings, caseworker, outsider, client, lookup
):
    for user, township in ((caseworker, "330102001"), (outsider, "330106001")):
        client.force_login(user)
        body = text(client.get("/verification/"))
        listed = re.findall(r'<td>(H\d{13})</td><td data-testid="village">', body)
        villages = [lookup.household(h).household["village_code"] for h in listed]
        assert listed and all(village.startswith(township) for village in villages)


def test_report_numbers_follow_each_other_within_a_county_and_day(
    verify_settings, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    first = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    second = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    day = timezone.localdate().strftime("%Y%m%d")
    assert first.number == f"HD330102{day}00001"
    assert second.number == f"HD330102{day}00002"
    assert second.report["number"] == second.number


def test_the_page_names_a_future_date_and_a_malformed_number(
    verify_settings, login, caseworker, home
):
    client = login(caseworker)
    future = client.post("/verification/", {"household_id": home, "date": "2099-01-01"})
    assert future.status_code == 400 and "2099-01-01" in text(future) and "晚于今天" in text(future)
    malformed = client.post("/verification/", {"household_id": "H12", "date": DATE})
    assert malformed.status_code == 400 and "户号 H12 格式不正确" in text(malformed)
    assert not Check.objects.exists()


def test_a_declaration_entered_on_the_page_is_compared(
    verify_settings, login, caseworker, outsider, home, lookup, client
):
    consent_all(caseworker, home, lookup)
    url = f"/verification/households/{home}/declare/"
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(caseworker)
    page = client.get(url)
    body = text(page)
    assert page.status_code == 200 and "工资性收入（月）" in body and 'name="m0-wage"' in body
    members = lookup.household(home).members
    assert all(m["id_number"] not in body for m in members)
    # A negative amount is refused, naming the member's field.
    refused = client.post(url, {"date": DATE, "m0-wage": "-5"})
    assert refused.status_code == 400 and "第1名成员" in text(refused)
    assert "工资性收入（月）" in text(refused).split('data-testid="error"')[1][:300]
    # Declaring nothing for a household with income: the report flags the differences.
    done = client.post(url, {"date": DATE, "m0-deposits": "999999", "m0-homes": "0"})
    assert done.status_code == 302
    check = Check.objects.get(household_id=home)
    assert check.flagged and "declared" in check.report["decision"]
    deposits = next(t for t in check.report["totals"] if t["field"] == "deposits")
    assert deposits["declared"] == "999999.00" and deposits["flagged"]
    assert AuditEvent.objects.filter(
        actor=caseworker, object_id=home, action="read_personal"
    ).exists()


def test_a_declaration_of_another_household_is_refused(
    verify_settings, login, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    person = lookup.household(home).members[0]
    declared = {
        "household_id": "H3301020000001",
        "county": "330102",
        "members": [{"id": person["id_number"], "birth_date": person["birth_date"].isoformat()}],
    }
    response = login(caseworker).post(
        "/api/verification/checks",
        {"household_id": home, "date": DATE, "declared": declared},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "declaration_mismatch"
    assert "H3301020000001" in response.json()["detail"] and home in response.json()["detail"]
