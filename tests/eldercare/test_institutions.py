"""The institutions, consortia and home-services pages, the API and `institutions_table`:
scoped, residents and clients masked, reads and refusals audited, the three personas."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from minzheng.audit.models import AuditEvent
from minzheng.eldercare import institution_models as m
from minzheng.eldercare.institutions import institutions_table
from minzheng.lib import idcard

from .conftest import CLIENT, RESIDENT

OURS, THEIRS = "Y3301020001", "Y3301060001"


def test_the_caseworker_lists_the_townships_institutions_with_beds_and_valid_carers(
    login, caseworker, records
):
    page = login(caseworker).get("/eldercare/institutions/").content.decode()
    assert f'data-institution="{OURS}"' in page
    assert THEIRS not in page
    row = page.split(f'data-institution="{OURS}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-beds="4"' in row
    assert 'data-nursing="2"' in row  # the dementia-care bed is nursing-type too
    assert 'data-occupied="1"' in row
    assert 'data-carers="1"' in row  # the expired certificate does not count


def test_the_same_county_approver_sees_the_institution_and_the_outsider_does_not(
    login, approver, outsider, records
):
    assert OURS in login(approver).get("/eldercare/institutions/").content.decode()
    client = login(outsider)
    listing = client.get("/eldercare/institutions/").content.decode()
    assert OURS not in listing and THEIRS in listing
    assert client.get(f"/eldercare/institutions/{OURS}/").status_code == 404
    assert AuditEvent.objects.filter(
        actor=outsider, object_type="institution", object_id=OURS, outcome="denied"
    ).exists()


def test_the_institution_page_masks_residents_flags_expired_certificates_and_is_audited(
    login, caseworker, records
):
    response = login(caseworker).get(f"/eldercare/institutions/{OURS}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert RESIDENT not in page
    assert idcard.mask(RESIDENT) in page
    assert f'data-staff="{OURS}S2" data-expired="1"' in page
    assert f'data-staff="{OURS}S1" data-expired' not in page
    assert 'data-grade="3"' in page  # the star-grade record
    assert AuditEvent.objects.filter(
        actor=caseworker, action="read_personal", object_type="institution", object_id=OURS
    ).exists()


@pytest.mark.parametrize("bad", ["x" * 5000, "../..", "%00", "Y330102'--", "一二三"])
def test_a_malformed_institution_id_is_a_404_never_a_500(login, caseworker, records, bad):
    assert login(caseworker).get(f"/eldercare/institutions/{bad}/").status_code == 404


def test_a_malformed_region_or_page_falls_back_to_the_users_scope(login, caseworker, records):
    client = login(caseworker)
    for query in ("?region=330106001", "?region=abc", "?page=-1", "?page=x&region=" + "9" * 99):
        for url in (
            "/eldercare/institutions/",
            "/eldercare/home-services/",
            "/eldercare/consortia/",
        ):
            response = client.get(url + query)
            assert response.status_code == 200
            assert THEIRS not in response.content.decode()


def test_consortia_are_scoped(login, caseworker, outsider, records):
    assert "KY330102001" in login(caseworker).get("/eldercare/consortia/").content.decode()
    assert "KY330102001" not in login(outsider).get("/eldercare/consortia/").content.decode()


def test_home_services_show_flagged_visits_and_respite_above_the_allowance_masked(
    login, caseworker, outsider, records
):
    page = login(caseworker).get("/eldercare/home-services/").content.decode()
    assert 'data-order="HO2"' in page and 'data-order="HO3"' in page
    assert 'data-order="HO1"' not in page  # neither far nor short
    assert 'data-flag="far"' in page and 'data-flag="short"' in page
    assert CLIENT not in page and idcard.mask(CLIENT) in page
    over = page.split('data-testid="respite-over"', 1)[1].split("</table>", 1)[0]
    assert "<td>35</td>" in over  # 20 + 15 days in 2020, the allowance is 30
    assert AuditEvent.objects.filter(
        actor=caseworker, action="read_personal", object_type="home_services"
    ).exists()
    assert (
        'data-order="HO2"' not in login(outsider).get("/eldercare/home-services/").content.decode()
    )


def test_roles_without_the_permission_are_refused(login, everyone_else, records):
    for user in everyone_else:
        client = login(user)
        for url in ("/eldercare/institutions/", f"/eldercare/institutions/{OURS}/"):
            assert client.get(url).status_code == 403


@pytest.fixture
def everyone_else(regions):
    from minzheng.accounts.services import user_create
    from minzheng.regions.models import Region
    from tests.conftest import PASSWORD

    province = Region.objects.get(code="330000")
    return [
        user_create(username=f"u_{role}", password=PASSWORD, role=role, region=province)
        for role in ("analyst", "data_steward", "administrator")
    ]


def test_the_api_lists_and_shows_institutions_to_the_three_personas(
    login, caseworker, approver, outsider, records
):
    rows = login(caseworker).get("/api/eldercare/institutions").json()
    assert [r["institution_id"] for r in rows] == [OURS]
    assert (rows[0]["beds_total"], rows[0]["occupied"], rows[0]["carers_certified_valid"]) == (
        4,
        1,
        1,
    )
    detail = login(approver).get(f"/api/eldercare/institutions/{OURS}").json()
    assert {b["resident"] for b in detail["beds"]} == {"", idcard.mask(RESIDENT)}
    assert {s["staff_id"]: s["certificate_valid"] for s in detail["staff"]}[f"{OURS}S2"] is False
    response = login(outsider).get(f"/api/eldercare/institutions/{OURS}")
    assert response.status_code == 404
    assert response.json()["code"] == "institution_not_found"
    assert [
        r["institution_id"] for r in login(outsider).get("/api/eldercare/institutions").json()
    ] == [THEIRS]


def test_institutions_table_gives_the_layout_plan_its_rows(caseworker, records):
    table = institutions_table(caseworker)
    assert table.column_names == [
        "institution_id",
        "region_code",
        "county",
        "lon",
        "lat",
        "beds_total",
        "beds_nursing",
        "beds_dementia",
        "occupied",
        "carers_certified_valid",
    ]
    assert table.to_pylist() == [
        {
            "institution_id": OURS,
            "region_code": "330102001",
            "county": "330102",
            "lon": 120.17,
            "lat": 30.25,
            "beds_total": 4,
            "beds_nursing": 2,
            "beds_dementia": 1,
            "occupied": 1,
            "carers_certified_valid": 1,
        }
    ]
    assert institutions_table(["330100", "330106"]).column("institution_id").to_pylist() == [
        OURS,
        THEIRS,
    ]
    assert institutions_table("330106").column("institution_id").to_pylist() == [THEIRS]
    assert institutions_table([]).num_rows == 0


def test_a_bed_cannot_be_counted_in_two_institutions_nor_hold_two_people(records):
    theirs = records["theirs"]
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Bed.objects.create(
            pk=f"{OURS}-0001", institution=theirs, region_code=theirs.region_code, kind="ordinary"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Bed.objects.filter(pk=f"{THEIRS}-0001").update(resident_id_number=RESIDENT)


def test_a_visit_checked_out_before_check_in_cannot_be_stored(records):
    visit = m.WorkOrder.objects.get(pk="HO1")
    with pytest.raises(IntegrityError), transaction.atomic():
        m.WorkOrder.objects.filter(pk=visit.pk).update(check_out=visit.check_in - 1)


def test_a_certificate_is_valid_until_its_expiry(records):
    s = m.StaffMember.objects.get(pk=f"{OURS}S1")
    assert s.certificate_valid(dt.date(2023, 1, 1))
    assert s.certificate_expired(dt.date(2023, 1, 2))
    assert not m.StaffMember.objects.get(pk=f"{OURS}S3").certificate_valid(dt.date(2020, 1, 1))
