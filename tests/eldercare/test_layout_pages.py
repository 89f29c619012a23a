"""The layout plan's page: aggregates of the user's own regions only; the three personas, the
province's analyst and the data steward; malformed input never a 500."""

from __future__ import annotations

import json

import pytest

from minzheng.accounts.services import user_create
from minzheng.audit.models import AuditEvent
from minzheng.regions.models import Region
from tests.conftest import PASSWORD

pytestmark = pytest.mark.lake

URL = "/eldercare/layout/"


@pytest.fixture
def analyst(regions):
    return user_create(
        username="an_layout",
        password=PASSWORD,
        role="analyst",
        region=Region.objects.get(code="330000"),
    )


def codes(page: str, testid: str) -> list[str]:
    table = page.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return [part.split('"', 1)[0] for part in table.split('data-code="')[1:]]


def test_the_township_caseworker_sees_only_the_township(verify_settings, login, caseworker):
    page = login(caseworker).get(URL)
    assert page.status_code == 200
    assert codes(page.content.decode(), "layout-indicators") == ["330102001"]


def test_the_county_approver_sees_the_county_and_is_told_it_has_no_institution(
    verify_settings, login, approver
):
    page = login(approver).get(URL)
    body = page.content.decode()
    assert page.status_code == 200
    assert codes(body, "layout-indicators") == ["330102"]
    assert 'data-testid="layout-error"' in body  # the small lake has none in 上城区
    assert 'data-testid="layout-coverage"' not in body


def test_the_outsider_asking_for_another_county_finds_nothing_and_is_audited(
    verify_settings, login, outsider
):
    page = login(outsider).get(URL, {"area": "330102"})
    assert page.status_code == 404
    assert AuditEvent.objects.filter(actor=outsider, action="layout_read").exists()


def test_the_outsider_sees_only_their_own_township(verify_settings, login, outsider):
    page = login(outsider).get(URL)
    assert codes(page.content.decode(), "layout-indicators") == ["330106001"]


def test_the_analyst_sees_a_citys_coverage_sites_and_map_data(verify_settings, login, analyst):
    page = login(analyst).get(URL, {"area": "330200", "sites": "2"})
    body = page.content.decode()
    assert page.status_code == 200
    found = codes(body, "layout-indicators")
    assert found[0] == "330000"
    assert "330200" in found
    coverage = codes(body, "layout-coverage")
    assert coverage[-1] == "330200"
    data = json.loads(
        body.split('id="layout-data" type="application/json">', 1)[1].split("<", 1)[0]
    )
    assert len(data["sites"]) <= 2
    assert {f["kind"] for f in data["facilities"]} <= {"institution", "home_care_centre"}
    assert "id_number" not in body  # aggregates only


def test_the_province_analyst_is_asked_to_choose_an_area(verify_settings, login, analyst):
    body = login(analyst).get(URL).content.decode()
    assert 'data-testid="layout-choose"' in body


@pytest.mark.parametrize(
    "area", ["abc", "33", "330000x", "339999", "3301", "x" * 5000, "3302\x00", "330199"]
)
def test_a_malformed_or_unknown_area_is_not_found(verify_settings, login, analyst, area):
    page = login(analyst).get(URL, {"area": area})
    assert page.status_code == 404


@pytest.mark.parametrize("sites", ["-5", "0", "abc", "9" * 400, "1.5", ""])
def test_a_malformed_number_of_sites_falls_back_to_a_valid_one(
    verify_settings, login, analyst, sites
):
    page = login(analyst).get(URL, {"area": "330200", "sites": sites})
    assert page.status_code == 200
    data = page.content.decode().split('id="layout-data" type="application/json">', 1)[1]
    assert len(json.loads(data.split("<", 1)[0])["sites"]) <= 50


def test_the_data_steward_is_refused(verify_settings, client, regions):
    steward = user_create(
        username="st_layout",
        password=PASSWORD,
        role="data_steward",
        region=Region.objects.get(code="330000"),
    )
    client.force_login(steward)
    assert client.get(URL).status_code == 403


def test_the_page_says_so_when_there_is_no_lake(client, approver, settings, tmp_path):
    settings.VERIFY_LAKE = None
    settings.EXCHANGE_DIR = tmp_path / "exchange"
    client.force_login(approver)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'data-testid="layout-error"' in page.content.decode()
