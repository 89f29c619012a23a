from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from minzheng.audit.models import AuditEvent
from tests.conftest import PASSWORD


def _post_login(client, username, password):
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_a_good_login_reaches_home_and_is_audited(client, caseworker):
    response = _post_login(client, caseworker.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    event = AuditEvent.objects.get(action="login", outcome="success")
    assert event.actor_username == caseworker.username and event.region_code == "330102001"


def test_a_wrong_password_shows_a_chinese_error_and_is_audited(client, caseworker):
    response = _post_login(client, caseworker.username, "wrong-password-1A")
    assert response.status_code == 200
    assert "用户名" in response.content.decode() and "密码" in response.content.decode()
    failure = AuditEvent.objects.get(action="login", outcome="failure")
    assert failure.object_id == caseworker.username and failure.client_ip == "127.0.0.1"


def test_five_failures_lock_the_account_for_fifteen_minutes(client, caseworker):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _post_login(client, caseworker.username, "wrong-password-1A")
        locked = _post_login(client, caseworker.username, PASSWORD)
        assert locked.status_code == 429
        page = locked.content.decode()
        assert caseworker.username in page and "15" in page and "锁定" in page
        assert AuditEvent.objects.filter(action="lockout", object_id=caseworker.username).exists()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert _post_login(client, caseworker.username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert _post_login(client, caseworker.username, PASSWORD).status_code == 302


def test_four_failures_do_not_lock(client, caseworker):
    for _ in range(4):
        _post_login(client, caseworker.username, "wrong-password-1A")
    assert _post_login(client, caseworker.username, PASSWORD).status_code == 302


def test_the_lockout_is_per_account(client, caseworker, approver):
    for _ in range(5):
        _post_login(client, caseworker.username, "wrong-password-1A")
    assert _post_login(client, approver.username, PASSWORD).status_code == 302


def test_the_session_ends_after_thirty_idle_minutes(client, caseworker):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _post_login(client, caseworker.username, PASSWORD)
    # Activity every 29 minutes keeps the session alive …
    for step in (29, 58):
        with time_machine.travel(start + timedelta(minutes=step), tick=False):
            assert client.get(reverse("web:home")).status_code == 200
    # … 31 idle minutes end it.
    with time_machine.travel(start + timedelta(minutes=58 + 31), tick=False):
        response = client.get(reverse("web:home"))
        assert response.status_code == 302 and reverse("web:login") in response["Location"]
