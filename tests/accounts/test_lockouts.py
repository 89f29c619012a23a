"""Failed logins and lockouts reach the administrators of the account's region, who unlock."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from minzheng.accounts.services import account_unlock
from minzheng.audit.models import AuditEvent
from minzheng.audit.selectors import audit_verify
from tests.conftest import PASSWORD

LOCKOUTS = "/admin/accounts/lockedaccount/"


def _fail(client, username, times=1):
    for _ in range(times):
        client.post(reverse("web:login"), {"username": username, "password": "wrong-password-1A"})


def _lock(client, *users):
    for user in users:
        _fail(client, user.username, times=5)


def _locked(client):
    response = client.get(LOCKOUTS)
    assert response.status_code == 200
    return {u.username for u in response.context["cl"].result_list}


def test_a_failed_login_is_recorded_in_the_accounts_region(client, caseworker):
    _fail(client, caseworker.username)
    assert AuditEvent.objects.get(action="login", outcome="failure").region_code == "330102001"


def test_a_failed_login_on_an_unknown_name_goes_to_the_province(client, db):
    _fail(client, "nobody-of-that-name")
    assert AuditEvent.objects.get(action="login", outcome="failure").region_code == "330000"


def test_a_lockout_is_recorded_in_the_accounts_region(client, caseworker):
    _lock(client, caseworker)
    assert AuditEvent.objects.get(action="lockout").region_code == "330102001"


def test_the_county_administrator_sees_the_failures_of_the_county_only(
    client, caseworker, outsider, outsider_admin
):
    _fail(client, caseworker.username)
    _fail(client, outsider.username)
    visible = AuditEvent.objects.for_user(outsider_admin).filter(action="login")
    assert [e.object_id for e in visible] == [outsider.username]


def test_a_county_administrator_sees_the_lockout_of_the_county_only(
    client, login, caseworker, outsider, outsider_admin
):
    _lock(client, caseworker, outsider)
    assert _locked(login(outsider_admin)) == {outsider.username}


def test_the_province_administrator_sees_every_lockout(
    client, login, caseworker, outsider, province_admin
):
    _lock(client, caseworker, outsider)
    assert _locked(login(province_admin)) == {caseworker.username, outsider.username}


def test_four_failures_are_not_a_lockout(client, login, caseworker, province_admin):
    _fail(client, caseworker.username, times=4)
    assert _locked(login(province_admin)) == set()


def test_unlocking_lets_the_account_log_in_and_is_audited(client, login, outsider, outsider_admin):
    _lock(client, outsider)
    admin_client = login(outsider_admin)
    response = admin_client.post(LOCKOUTS, {"action": "unlock", "_selected_action": [outsider.pk]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=outsider.username).exists()
    event = AuditEvent.objects.get(action="unlock")
    assert (event.actor_username, event.object_id, event.region_code) == (
        outsider_admin.username,
        outsider.username,
        "330106001",
    )
    assert _locked(admin_client) == set()
    admin_client.logout()
    login_response = client.post(
        reverse("web:login"), {"username": outsider.username, "password": PASSWORD}
    )
    assert login_response.status_code == 302
    assert audit_verify().ok


def test_an_administrator_cannot_unlock_another_countys_account(
    client, login, caseworker, outsider_admin
):
    _lock(client, caseworker)
    login(outsider_admin).post(LOCKOUTS, {"action": "unlock", "_selected_action": [caseworker.pk]})
    assert AccessAttempt.objects.filter(username=caseworker.username).exists()
    assert not AuditEvent.objects.filter(action="unlock").exists()
    with pytest.raises(PermissionDenied):
        account_unlock(actor=outsider_admin, account=caseworker)


def test_the_lockout_list_is_not_for_caseworkers(client, login, caseworker, outsider):
    _lock(client, outsider)
    response = login(caseworker).get(LOCKOUTS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_axes_unscoped_admin_pages_are_gone(login, province_admin):
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        assert not admin.site.is_registered(model)
    assert login(province_admin).get("/admin/axes/accessattempt/").status_code == 404
