"""The pages a caseworker uses: the households to pick (by village name, searched, paged),
the consent form (nothing preselected, a confirmation after recording, a confirmation page
before revoking), the declaration upload explained, and a refused unmasking that still shows
the masked report."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from minzheng.audit.models import AuditEvent
from minzheng.lib import idcard
from minzheng.lib.names import mask_name
from minzheng.regions.models import Region
from minzheng.regions.services import regions_load_file
from minzheng.verification import services
from minzheng.verification.models import Consent
from minzheng.verification.report import adults

from .conftest import AS_OF, household_in
from .test_web import consent_all

ROW = re.compile(
    r'<tr><td>(H\d{13})</td><td data-testid="village">([^<]*)</td><td class="num">(\d+)</td>'
)


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[dict]:
    """The rows of the households table: hukou number, village as shown, size."""
    return [
        {"household_id": h, "village": v, "size": int(n)} for h, v, n in ROW.findall(text(response))
    ]


@pytest.fixture
def home(lookup):
    return household_in(lookup, "330102001")


@pytest.fixture
def lake_villages(regions, indexed_lake, tmp_path):
    """The lake's townships and villages of the personas' two counties, by name, as
    `minzheng init --subcounty` loads them."""
    lines = (indexed_lake / "regions" / "subcounty.csv").read_text("utf-8").splitlines()
    wanted = [lines[0], *(x for x in lines[1:] if x.startswith(("330102", "330106")))]
    path = tmp_path / "subcounty.csv"
    path.write_text("\n".join(wanted) + "\n", "utf-8")
    regions_load_file(path=path)
    return Region.objects.filter(level="village").in_bulk()


def test_the_households_to_pick_are_listed_by_village_name(
    verify_settings, login, caseworker, lookup, lake_villages
):
    rows = listed(login(caseworker).get("/verification/"))
    villages = {h["household_id"]: h["village_code"] for h in lookup.households_in("330102001", 99)}
    assert len(rows) == min(20, len(villages))
    for row in rows:
        assert row["village"] == lake_villages[villages[row["household_id"]]].name


def test_the_households_to_pick_are_paged_twenty_at_a_time(
    verify_settings, login, approver, lookup, lake_villages
):
    client = login(approver)
    everyone = lookup.households_in("330102", 10**6)
    first = client.get("/verification/")
    second = client.get("/verification/?page=2")
    assert [r["household_id"] for r in listed(first)] == [h["household_id"] for h in everyone[:20]]
    assert [r["household_id"] for r in listed(second)] == [
        h["household_id"] for h in everyone[20:40]
    ]
    assert 'href="?page=2"' in text(first)
    assert f"共 {len(everyone)} 户" in text(first)
    # A page beyond the last shows the last one; a page that is no number, the first.
    last = listed(client.get("/verification/?page=99999"))
    assert last[-1]["household_id"] == everyone[-1]["household_id"]
    assert listed(client.get("/verification/?page=x")) == listed(first)


def test_the_households_to_pick_are_searched_by_hukou_number_prefix(
    verify_settings, login, approver, lookup
):
    client = login(approver)
    number = lookup.households_in("330102", 10**6)[-1]["household_id"]
    rows = listed(client.get("/verification/", {"q": number[:-1]}))
    assert number in {r["household_id"] for r in rows}
    assert all(r["household_id"].startswith(number[:-1]) for r in rows)
    # The "H" may be left out; the search is kept from page to page.
    response = client.get("/verification/", {"q": "3301020000"})
    assert all(r["household_id"].startswith("H3301020000") for r in listed(response))
    assert len(listed(response)) == 20
    assert 'href="?q=3301020000&amp;page=2"' in text(response)


def test_the_households_to_pick_are_searched_by_village_name(
    verify_settings, login, approver, lookup, lake_villages
):
    code = lookup.households_in("330102", 1, offset=50)[0]["village_code"]
    name = lake_villages[code].name
    matching = [c for c, v in lake_villages.items() if name in v.name and c.startswith("330102")]
    client = login(approver)
    rows = listed(client.get("/verification/", {"q": name}))
    expected = lookup.households_in("330102", 20, villages=matching)
    assert [r["household_id"] for r in rows] == [h["household_id"] for h in expected]
    assert all(name in r["village"] for r in rows)
    nothing = client.get("/verification/", {"q": "没有这个村"})
    assert listed(nothing) == []
    assert "没有符合条件的住户" in text(nothing)


def test_the_outsider_finds_no_household_of_another_county_by_search(
    verify_settings, login, outsider, home, lookup, lake_villages
):
    client = login(outsider)
    village = lake_villages[lookup.household(home).household["village_code"]].name
    for query in (home, home[:-2], village):
        rows = listed(client.get("/verification/", {"q": query}))
        assert all(r["household_id"].startswith("H330106") for r in rows)


def test_the_households_to_pick_show_nothing_about_a_person(
    verify_settings, login, caseworker, lookup
):
    body = text(login(caseworker).get("/verification/"))
    start = body.index('data-testid="households"')
    listing = body[start : body.index("</table>", start)]
    members = [m for row in ROW.findall(listing) for m in lookup.household(row[0]).members]
    assert members
    assert not re.search(r"\d{17}[\dX]", listing)
    assert [m["name"] for m in members if m["name"] in listing] == []


def consents_url(home: str) -> str:
    return f"/verification/households/{home}/consents/"


def test_the_consent_form_preselects_no_method(verify_settings, login, caseworker, home, lookup):
    client = login(caseworker)
    body = text(client.get(consents_url(home)))
    select = re.search(r'<select name="method"[^>]*>(.*?)</select>', body, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert options[0][:1] == ("",)
    assert options[0][2] == "请选择"
    assert [value for value, selected, _label in options if selected] in ([], [""])
    member = adults(lookup.household(home), timezone.localdate())[0]["id_number"]
    refused = client.post(consents_url(home), {"id_number": member, "given_at": "2026-11-01T10:00"})
    assert refused.status_code == 400
    assert "这个字段是必填项" in text(refused)
    assert not Consent.objects.exists()


def test_recording_a_consent_confirms_it_naming_the_member_masked(
    verify_settings, login, caseworker, home, lookup
):
    member = adults(lookup.household(home), timezone.localdate())[0]
    response = login(caseworker).post(
        consents_url(home),
        {"id_number": member["id_number"], "method": "online", "given_at": "2026-11-01T10:00"},
        follow=True,
    )
    body = text(response)
    shown = f"{mask_name(member['name'])} {idcard.mask(member['id_number'])}"
    assert response.redirect_chain == [(consents_url(home), 302)]
    assert f"已登记 {shown} 的授权。" in body
    assert member["id_number"] not in body.replace(f'value="{member["id_number"]}"', "")


def test_revoking_a_consent_asks_for_confirmation_first_and_confirms_after(
    verify_settings, login, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    consent = Consent.objects.filter(household_id=home).first()
    url = f"/verification/consents/{consent.pk}/revoke/"
    client = login(caseworker)
    assert f'href="{url}"' in text(client.get(consents_url(home)))
    page = client.get(url)
    body = text(page)
    assert page.status_code == 200
    assert idcard.mask(consent.id_number) in body
    assert re.search(r'<form method="post" data-testid="revoke-form">', body)
    assert "<script>" not in body
    assert "onclick" not in body
    consent.refresh_from_db()
    assert consent.revoked_at is None  # asking is not revoking
    done = client.post(url, follow=True)
    assert done.redirect_chain == [(consents_url(home), 302)]
    assert f"已撤销 {idcard.mask(consent.id_number)} 的授权。" in text(done)
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert AuditEvent.objects.filter(action="consent_revoke", object_id=str(consent.pk)).exists()
    again = text(client.get(url))
    assert 'data-testid="already-revoked"' in again
    assert "revoke-form" not in again


def test_only_the_caseworker_of_the_household_may_open_the_revocation(
    verify_settings, client, caseworker, approver, outsider, home, lookup
):
    consent_all(caseworker, home, lookup)
    consent = Consent.objects.filter(household_id=home).first()
    url = f"/verification/consents/{consent.pk}/revoke/"
    for user, status in ((outsider, 404), (approver, 403)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status
        assert idcard.mask(consent.id_number) not in text(response)
        assert AuditEvent.objects.filter(actor=user, outcome="denied").count() == 1
    assert AuditEvent.objects.get(actor=outsider, outcome="denied").region_code == "330106001"
    client.force_login(outsider)
    assert client.get("/verification/consents/999999/revoke/").status_code == 404


def test_the_declaration_upload_is_explained_in_words_a_caseworker_understands(
    verify_settings, login, caseworker
):
    body = text(login(caseworker).get("/verification/"))
    help_text = re.search(r'<span class="helptext" id="id_declaration_helptext">(.*?)</span>', body)
    assert help_text is not None
    assert 'aria-describedby="id_declaration_helptext"' in body
    words = help_text.group(1)
    assert "住户自己申报的家庭成员、收入和财产" in words
    assert "家庭文件" in words  # the format, and where it is described
    assert "录入申报并核对" in words  # the easier way
    assert "申报文件（可选）" in body


def test_a_refused_unmasking_still_shows_the_masked_report_under_the_reason(
    verify_settings, login, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    check = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    response = login(caseworker).get(f"/verification/checks/{check.number}/?unmask=1")
    body = text(response)
    member = lookup.household(home).members[0]
    assert response.status_code == 403
    assert 'data-code="unmask_denied"' in body
    assert "拒绝" in body
    assert "您没有查看未脱敏个人信息的权限" in body
    assert 'data-testid="report-number"' in body  # the report itself
    assert idcard.mask(member["id_number"]) in body
    assert member["id_number"] not in body
    assert member["name"] not in body
    events = AuditEvent.objects.filter(object_id=check.number)
    assert events.filter(action="unmask", outcome="denied").count() == 1
    assert events.filter(action="read_personal", outcome="success").count() == 2  # run, read


def test_a_refused_unmasking_of_the_pdf_is_a_403_page_offering_the_masked_pdf(
    verify_settings, login, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    check = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    client = login(caseworker)
    url = f"/verification/checks/{check.number}/pdf/"
    response = client.get(url + "?unmask=1")
    body = text(response)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert 'data-code="unmask_denied"' in body
    assert f'href="{url}" data-testid="masked-pdf"' in body
    assert lookup.household(home).members[0]["id_number"] not in body
    assert client.get(url)["Content-Type"] == "application/pdf"


def test_the_outsider_still_gets_404_for_an_unmasked_report(
    verify_settings, client, caseworker, outsider, home, lookup
):
    consent_all(caseworker, home, lookup)
    check = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    client.force_login(outsider)
    for url in ("/", "/pdf/"):
        response = client.get(f"/verification/checks/{check.number}{url}?unmask=1")
        assert response.status_code == 404
        assert 'data-testid="report-number"' not in text(response)
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() == 2
    assert not AuditEvent.objects.filter(
        actor=outsider, action__in=["read_personal", "unmask"], outcome="success"
    ).exists()
