"""The cross-county rule: a declaration cannot be used to read people the officer may not read.

A declared member who is not of the household in the hukou feed is read only when they are
registered in the officer's scope and gave their own consent for this household; otherwise
the report says they were not checked, and nothing of theirs is read (#10, item 1).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader

from minzheng.audit.models import AuditEvent
from minzheng.verification import services
from minzheng.verification.models import Check

from .conftest import AS_OF, household_in
from .test_web import DATE, consent_all

# What the breach exposed: none of these may appear about the other person.
SECRET_COLUMNS = ("monthly_wage", "employer_code", "floor_area", "plate", "balance")


def resident_of(lookup, county: str, not_household: str = "", where: str = "") -> dict:
    """An adult with wage lines, registered in `county`, not of `not_household`."""
    return lookup._rows(
        "SELECT p.id_number, p.name, p.birth_date, p.household_id, h.village_code "
        "FROM hukou_persons p JOIN hukou_households h USING (household_id) "
        "WHERE p.county = ? AND p.household_id <> ? AND p.birth_date < DATE '1985-01-01' "
        "AND p.id_number IN (SELECT id_number FROM si_wages) "
        + where
        + " ORDER BY p.id_number LIMIT 1",
        [county, not_household],
    )[0]


def declaration(lookup, hid: str, *extra: dict) -> dict:
    members = [m for m in lookup.household(hid).members if m["household_id"] == hid]
    return {
        "household_id": hid,
        "county": hid[1:7],
        "members": [
            {"id": m["id_number"], "birth_date": m["birth_date"].isoformat()} for m in members
        ]
        + [
            {"id": p["id_number"], "birth_date": p["birth_date"].isoformat(), "relation": "other"}
            for p in extra
        ],
    }


def body_of(response) -> str:
    """The response as text (JSON without escapes, so that names can be searched)."""
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def assert_nothing_of(person: dict, check: Check, body: str) -> None:
    entry = next(m for m in check.report["members"] if m["id_number"] == person["id_number"])
    assert entry["checked"] is False
    assert entry["lines"] == []
    assert entry["name"] is None and entry["household_id"] is None
    assert all(c["found"] is None for c in entry["comparisons"])
    assert person["name"] not in body
    assert person["household_id"] not in body
    stored = json.dumps(check.report, ensure_ascii=False)
    assert person["name"] not in stored and person["household_id"] not in stored
    assert check.report["complete"] is False


def test_the_outsider_reads_nothing_of_another_countys_resident_through_the_api(
    verify_settings, login, outsider, lookup
):
    hid = household_in(lookup, "330106001")
    consent_all(outsider, hid, lookup)
    victim = resident_of(lookup, "330102")
    client = login(outsider)
    response = client.post(
        "/api/verification/checks",
        {"household_id": hid, "date": DATE, "declared": declaration(lookup, hid, victim)},
        content_type="application/json",
    )
    assert response.status_code == 201
    check = Check.objects.get(number=response.json()["number"])
    assert_nothing_of(victim, check, body_of(response))
    notice = next(n for n in check.report["notices"] if n["code"] == "member_outside_scope")
    assert notice["level"] == "error"
    assert "协查" in body_of(response)  # the report names the lawful route
    for column in SECRET_COLUMNS:
        entry = next(m for m in check.report["members"] if m["id_number"] == victim["id_number"])
        assert column not in json.dumps(entry)
    # 上城区 sees that its resident was asked for, and refused.
    attempt = AuditEvent.objects.get(object_type="person", actor=outsider)
    assert attempt.outcome == "denied" and attempt.region_code == victim["village_code"]
    assert not AuditEvent.objects.filter(
        actor=outsider, outcome="success", region_code__startswith="330102"
    ).exists()


def test_the_outsider_reads_nothing_of_another_countys_resident_through_the_page(
    verify_settings, login, outsider, lookup
):
    hid = household_in(lookup, "330106001")
    consent_all(outsider, hid, lookup)
    victim = resident_of(lookup, "330102")
    upload = SimpleUploadedFile(
        "h.json", json.dumps(declaration(lookup, hid, victim)).encode(), "application/json"
    )
    client = login(outsider)
    response = client.post(
        "/verification/", {"household_id": hid, "date": DATE, "declaration": upload}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    check = Check.objects.get(household_id=hid)
    assert_nothing_of(victim, check, body_of(page))
    assert "协查" in body_of(page)


def test_the_approver_unmasking_reads_nothing_of_another_countys_resident(
    verify_settings, login, caseworker, approver, lookup, home_of_caseworker
):
    from django.contrib.auth.models import Permission

    approver.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    hid = home_of_caseworker
    consent_all(caseworker, hid, lookup)
    victim = resident_of(lookup, "330106")
    client = login(approver)
    response = client.post(
        "/api/verification/checks",
        {"household_id": hid, "date": DATE, "declared": declaration(lookup, hid, victim)},
        content_type="application/json",
    )
    assert response.status_code == 201
    number = response.json()["number"]
    unmasked = client.get(f"/api/verification/checks/{number}?unmask=true")
    assert unmasked.status_code == 200
    assert_nothing_of(victim, Check.objects.get(number=number), body_of(unmasked))
    page = client.get(f"/verification/checks/{number}/?unmask=1")
    assert page.status_code == 200
    assert_nothing_of(victim, Check.objects.get(number=number), body_of(page))
    pdf = client.get(f"/verification/checks/{number}/pdf/?unmask=1")
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "家庭经济状况核对报告" in text.replace(" ", "")  # the text can be read back
    assert victim["name"] not in text.replace(" ", "").replace("\n", "")
    assert victim["household_id"] not in text


@pytest.fixture
def home_of_caseworker(lookup):
    return household_in(lookup, "330102001")


def test_a_member_of_another_household_in_scope_is_read_only_with_their_own_consent(
    verify_settings, login, caseworker, lookup, home_of_caseworker
):
    hid = home_of_caseworker
    consent_all(caseworker, hid, lookup)
    neighbour = resident_of(lookup, "330102", hid, "AND h.township_code = '330102001'")
    client = login(caseworker)
    payload = {"household_id": hid, "date": DATE, "declared": declaration(lookup, hid, neighbour)}
    first = client.post("/api/verification/checks", payload, content_type="application/json")
    assert first.status_code == 201
    check = Check.objects.get(number=first.json()["number"])
    entry = next(m for m in check.report["members"] if m["id_number"] == neighbour["id_number"])
    assert entry["checked"] is False and entry["lines"] == []
    assert any(n["code"] == "member_consent_missing" for n in check.report["notices"])
    # Their own consent, for this household, lets the next check read them.
    consent = client.post(
        "/api/verification/consents",
        {
            "household_id": hid,
            "id_number": neighbour["id_number"],
            "given_at": timezone.now().isoformat(),
        },
        content_type="application/json",
    )
    assert consent.status_code == 201
    second = client.post("/api/verification/checks", payload, content_type="application/json")
    check = Check.objects.get(number=second.json()["number"])
    entry = next(m for m in check.report["members"] if m["id_number"] == neighbour["id_number"])
    assert entry["checked"] is True and entry["lines"]
    # The read is in the audit log of the neighbour's own village too.
    regions = set(
        AuditEvent.objects.filter(object_id=check.number, action="read_personal").values_list(
            "region_code", flat=True
        )
    )
    assert regions == {check.region_code, neighbour["village_code"]} or (
        check.region_code == neighbour["village_code"] and regions == {check.region_code}
    )


def test_consent_for_this_household_is_refused_to_a_person_of_another_county(
    verify_settings, login, caseworker, lookup, home_of_caseworker
):
    victim = resident_of(lookup, "330106")
    response = login(caseworker).post(
        "/api/verification/consents",
        {
            "household_id": home_of_caseworker,
            "id_number": victim["id_number"],
            "given_at": timezone.now().isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_an_adult_member"


@override_settings(VERIFY_MAX_DECLARED_MEMBERS=3)
def test_a_declaration_with_too_many_members_is_refused(
    verify_settings, login, caseworker, lookup, home_of_caseworker
):
    hid = home_of_caseworker
    consent_all(caseworker, hid, lookup)
    declared = declaration(lookup, hid)
    from minzheng.lib import idcard

    declared["members"] += [
        {"id": idcard.make("330106", AS_OF.replace(year=1970), n), "birth_date": "1970-12-31"}
        for n in range(1, 5)
    ]
    response = login(caseworker).post(
        "/api/verification/checks",
        {"household_id": hid, "date": DATE, "declared": declared},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_members"
    assert "3" in response.json()["detail"]
    assert not Check.objects.exists()


def test_the_library_reads_declared_members_only_when_the_service_allows_it(
    verify_settings, caseworker, lookup, home_of_caseworker
):
    """The service decides; `build_report` reads nobody in `unchecked`."""
    hid = home_of_caseworker
    consent_all(caseworker, hid, lookup)
    victim = resident_of(lookup, "330106")
    from minzheng.policy.household import parse_household

    check = services.check_run(
        user=caseworker,
        request=None,
        household_id=hid,
        date=AS_OF,
        declared=parse_household(declaration(lookup, hid, victim)),
    )
    entry = next(m for m in check.report["members"] if m["id_number"] == victim["id_number"])
    assert entry["unchecked_reason"] == "outside_scope"
