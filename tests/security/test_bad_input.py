"""Bad input gets a 4xx with a Chinese message naming the field and value, never a 500
(#10 items 4 and 6): every case here answered a 500 or an English message before."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from minzheng.verification.models import Check, Consent
from tests.verification.conftest import AS_OF, household_in
from tests.verification.test_web import DATE, consent_all

API = "/api/verification/checks"


@pytest.fixture
def home(lookup):
    return household_in(lookup, "330102001")


@pytest.fixture
def ready(verify_settings, caseworker, home, lookup, login):
    """The caseworker, logged in, with every adult's consent for their household."""
    consent_all(caseworker, home, lookup)
    return login(caseworker)


def declared_with(lookup, home: str, **fields) -> dict:
    """The household's own members, the first with `fields` (raw JSON text substituted)."""
    members = [m for m in lookup.household(home).members if m["household_id"] == home]
    rows = [{"id": m["id_number"], "birth_date": m["birth_date"].isoformat()} for m in members]
    rows[0] |= fields
    return {"household_id": home, "county": home[1:7], "members": rows}


def post_raw(client, body: str):
    return client.post(API, body, content_type="application/json")


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_date_before_the_feeds_is_refused(ready, home):
    for date in ("0001-01-01", "1900-01-01"):
        response = ready.post(API, {"household_id": home, "date": date}, "application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "date_before_feeds"
        assert date in response.json()["detail"] and chinese(response.json()["detail"])
    assert not Check.objects.exists()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"wage": 1e400}', "income.wage"),
        ('{"wage": 1e308}', "income.wage"),
        ('{"wage": "1' + "0" * 30 + '"}', "income.wage"),
        ('{"wage": 1' + "0" * 30 + "}", "income.wage"),
    ],
)
def test_absurd_amounts_are_a_400_naming_the_field(ready, home, lookup, raw, field):
    body = json.dumps({"household_id": home, "date": DATE, "declared": "X"})
    declared = json.dumps(declared_with(lookup, home))
    declared = declared.replace('"members": [{', '"members": [{"income": ' + raw + ", ", 1)
    response = post_raw(ready, body.replace('"X"', declared))
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"] and chinese(response.json()["detail"])
    assert len(response.content) < 2000  # the value is not echoed back whole


def test_a_five_thousand_digit_number_is_a_400(ready, home, lookup):
    declared = json.dumps(declared_with(lookup, home)).replace(
        '"members": [{', '"members": [{"homes": ' + "9" * 5000 + ", ", 1
    )
    response = post_raw(
        ready,
        json.dumps({"household_id": home, "date": DATE})[:-1] + ', "declared": ' + declared + "}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_body" and chinese(response.json()["detail"])


def test_homes_and_emergency_loss_out_of_bounds_are_named(ready, home, lookup):
    declared = declared_with(lookup, home, homes=10**30)
    response = ready.post(
        API, {"household_id": home, "date": DATE, "declared": declared}, "application/json"
    )
    assert response.status_code == 400 and "homes" in response.json()["detail"]
    declared = declared_with(lookup, home) | {"emergency_loss": "1e999999"}
    response = ready.post(
        API, {"household_id": home, "date": DATE, "declared": declared}, "application/json"
    )
    assert response.status_code == 400 and "emergency_loss" in response.json()["detail"]


@pytest.mark.parametrize("value", ["²", "³", "３", "2.5", "-1"])
def test_the_declare_page_names_a_count_that_is_not_one(ready, home, value):
    url = f"/verification/households/{home}/declare/"
    response = ready.post(url, {"date": DATE, "m0-homes": value})
    assert response.status_code == 400
    body = response.content.decode()
    error = body[body.index('data-testid="error"') :][:400]
    assert "第1名成员" in error and "住房" in error, error  # the row and the field, in words
    assert "members[" not in body
    assert not Check.objects.exists()


@pytest.mark.parametrize("value", ["notadate", "2020-02-30", "20201231", "0001-01-01"])
def test_the_declare_page_refuses_a_date_instead_of_replacing_it(ready, home, value):
    response = ready.post(f"/verification/households/{home}/declare/", {"date": value})
    assert response.status_code == 400
    assert value in response.content.decode()
    assert not Check.objects.exists()


def test_a_consent_time_without_a_zone_is_local_time(
    verify_settings, caseworker, home, lookup, login
):
    from minzheng.verification.report import adults

    member = adults(lookup.household(home), timezone.localdate())[0]["id_number"]
    response = login(caseworker).post(
        "/api/verification/consents",
        {"household_id": home, "id_number": member, "given_at": "2026-01-05T09:30:00"},
        "application/json",
    )
    assert response.status_code == 201
    given = Consent.objects.get().given_at
    assert timezone.localtime(given).hour == 9 and given.utcoffset() is not None


@pytest.mark.parametrize("given_at", ["0001-01-01T00:00", "1900-01-01T00:00"])
def test_a_consent_before_the_persons_birth_is_refused(
    verify_settings, caseworker, home, lookup, login, given_at
):
    from minzheng.verification.report import adults

    member = adults(lookup.household(home), timezone.localdate())[0]["id_number"]
    client = login(caseworker)
    page = client.post(
        f"/verification/households/{home}/consents/",
        {"id_number": member, "method": "online", "given_at": given_at},
    )
    assert page.status_code == 400 and "早于本人出生日期" in page.content.decode()
    api = client.post(
        "/api/verification/consents",
        {"household_id": home, "id_number": member, "given_at": given_at + ":00+08:00"},
        "application/json",
    )
    assert api.status_code == 400 and api.json()["code"] == "given_before_birth"
    future = client.post(
        "/api/verification/consents",
        {"household_id": home, "id_number": member, "given_at": "9999-12-31T23:59:00"},
        "application/json",
    )
    assert future.status_code == 400 and future.json()["code"] == "future_date"
    assert not Consent.objects.exists()


def test_a_deeply_nested_declaration_file_is_a_400(ready, home):
    upload = SimpleUploadedFile("h.json", b"[" * 100_000 + b"]" * 100_000, "application/json")
    response = ready.post(
        "/verification/", {"household_id": home, "date": DATE, "declaration": upload}
    )
    assert response.status_code == 400 and 'data-code="bad_json"' in response.content.decode()


def test_a_full_width_hukou_number_is_the_same_household(ready, home):
    wide = home.translate({ord(c): ord(c) + 0xFEE0 for c in "H0123456789"})
    assert wide != home
    response = ready.post(API, {"household_id": f" {wide} ", "date": DATE}, "application/json")
    assert response.status_code == 201, response.content
    assert response.json()["report"]["household_id"] == home
    page = ready.get(f"/verification/households/{wide}/consents/")
    assert page.status_code == 200 and "未授权" not in page.content.decode()


def test_api_errors_are_json_with_a_chinese_detail_and_a_code(ready, home):
    missing = ready.post(API, {"date": DATE}, "application/json")
    assert missing.status_code == 422
    assert missing.json()["code"] == "invalid_request"
    assert missing.json()["errors"] == [{"field": "household_id", "message": "必填"}]
    assert "Field required" not in missing.content.decode()
    bad_date = ready.post(API, {"household_id": home, "date": "2020-13-45"}, "application/json")
    assert bad_date.status_code == 422 and "日期" in bad_date.json()["detail"]
    unreadable = post_raw(ready, "{not json")
    assert unreadable.status_code == 400 and unreadable.json()["code"] == "bad_body"
    assert chinese(unreadable.json()["detail"])


def test_a_failed_csrf_check_is_json_in_chinese(verify_settings, caseworker, home):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)
    response = client.post(API, {"household_id": home, "date": DATE}, "application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed" and chinese(response.json()["detail"])


def test_an_oversized_body_is_json(ready, home, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_raw(ready, json.dumps({"household_id": home, "date": DATE, "x": "y" * 5000}))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "body_too_large"


def test_the_openapi_schema_documents_the_4xx_answers(client, caseworker):
    client.force_login(caseworker)
    schema = client.get("/api/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404", "422"} <= codes, (method, path)


def test_the_declaration_upload_is_checked_as_of_a_past_date(ready, home):
    """Regression guard: the page still runs a good check after all the refusals above."""
    response = ready.post("/verification/", {"household_id": home, "date": AS_OF.isoformat()})
    assert response.status_code == 302


def test_a_page_refusing_a_request_says_so_in_chinese(ready, home, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = ready.post(
        f"/verification/households/{home}/declare/", {f"m0-x{i}": "1" for i in range(10)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "无法受理" in body and "Bad Request" not in body
