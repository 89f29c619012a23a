"""The alert pages and API of the township's staff: open alerts overdue first, an alert with
the person masked, its signal and its steps, acknowledging and resolving; the three personas;
malformed input never a 500."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from minzheng.audit.models import AuditEvent
from minzheng.eldercare import alert_services as services
from minzheng.eldercare.alert_models import Alert
from tests.eldercare.alert_fixtures import record

PERSON = "330102194501010011"


@pytest.fixture
def raised(regions, caseworker):
    """Four alerts of 清风街道 and one of 西溪街道: an old fall (overdue at the township step),
    a fresh water alert and a fresh fall (timers running), one acknowledged."""
    now = timezone.localtime().replace(tzinfo=None)
    services.alerts_raise(
        records=[
            record("fall", "D3301020000001", raised=now - dt.timedelta(days=1)),
            record("no_water", "D3301020000002", raised=now),
            record("fall", "D3301020000003", raised=now),
            record("no_door", "D3301020000004", raised=now),
            record("fall", "D3301060000001", village="330106001001", raised=now),
        ]
    )
    alerts = {a.device_id: a for a in Alert.objects.all()}
    services.alert_acknowledge(
        user=caseworker, request=None, alert_id=alerts["D3301020000004"].alert_id
    )
    return {d: a.alert_id for d, a in alerts.items()}


def listed(body: str) -> list[str]:
    return re.findall(r'data-alert="([^"]+)"', body)


def test_the_list_shows_the_open_alerts_of_the_scope_overdue_first(login, caseworker, raised):
    response = login(caseworker).get("/eldercare/alerts/")
    body = response.content.decode()
    assert response.status_code == 200
    # the old fall has passed every step on the page's own escalation check: overdue first;
    # then the fresh ones by severity, the acknowledged one last; 西溪街道's is not there
    assert listed(body) == [
        raised["D3301020000001"],
        raised["D3301020000003"],
        raised["D3301020000002"],
        raised["D3301020000004"],
    ]
    assert 'data-step="township_visit" data-severity="high" data-overdue="1"' in body
    assert PERSON not in body and "王**" in body  # masked
    assert "乡镇（街道）上门" in body and "已超时" in body  # the step and the timer, in Chinese
    assert AuditEvent.objects.filter(actor=caseworker, object_type="alert_list").exists()
    assert Alert.objects.get(alert_id=raised["D3301020000001"]).step == "township_visit"


def test_the_alert_page_shows_the_person_masked_the_signal_and_the_steps(login, caseworker, raised):
    alert_id = raised["D3301020000001"]
    body = login(caseworker).get(f"/eldercare/alerts/{alert_id}/").content.decode()
    assert PERSON not in body and PERSON[:6] + "*" * 10 + PERSON[-2:] in body
    assert "D3301020000001" in body and "10:00" in body  # the device, the fall's minute
    assert re.findall(r'<tr data-step="([a-z_]+)"', body) == [
        "relative",
        "grid_worker",
        "township_visit",
    ]
    assert "H3301020000001" in body and "短信" in body  # the relative's notice, on record
    assert 'data-testid="overdue"' in body and 'data-testid="acknowledge"' in body
    assert AuditEvent.objects.filter(
        actor=caseworker, action="read_personal", object_id=alert_id
    ).exists()


def test_a_township_caseworker_acknowledges_and_resolves_in_the_pages(login, caseworker, raised):
    client = login(caseworker)
    alert_id = raised["D3301020000002"]
    done = client.post(f"/eldercare/alerts/{alert_id}/acknowledge/", {"note": "已联系亲属"})
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert 'data-testid="resolve"' in page and 'data-testid="acknowledge"' not in page
    missing = client.post(f"/eldercare/alerts/{alert_id}/resolve/", {"note": "无"})
    assert missing.status_code == 400 and "reason" in missing.content.decode()
    done = client.post(
        f"/eldercare/alerts/{alert_id}/resolve/", {"reason": "visited_fine", "note": "上门查看"}
    )
    assert done.status_code == 302
    alert = Alert.objects.get(alert_id=alert_id)
    assert (alert.state, alert.resolution, alert.acknowledged_note) == (
        "resolved",
        "visited_fine",
        "已联系亲属",
    )
    again = client.post(f"/eldercare/alerts/{alert_id}/resolve/", {"reason": "helped"})
    assert again.status_code == 409
    assert alert_id not in listed(client.get("/eldercare/alerts/").content.decode())


def test_the_three_personas(login, caseworker, approver, outsider, raised):
    alert_id = raised["D3301020000003"]
    # the township caseworker: reads and acts
    assert login(caseworker).get(f"/eldercare/alerts/{alert_id}/").status_code == 200
    # the county's approver: reads the whole county, no forms, refused to act (audited)
    client = login(approver)
    body = client.get("/eldercare/alerts/").content.decode()
    assert alert_id in listed(body) and raised["D3301060000001"] not in listed(body)
    page = client.get(f"/eldercare/alerts/{alert_id}/").content.decode()
    assert 'data-testid="acknowledge"' not in page
    assert client.post(f"/eldercare/alerts/{alert_id}/acknowledge/").status_code == 403
    assert AuditEvent.objects.filter(actor=approver, outcome="denied").exists()
    # the other county's caseworker: finds nothing, the same 404 as an unknown alert
    client = login(outsider)
    assert listed(client.get("/eldercare/alerts/").content.decode()) == [raised["D3301060000001"]]
    for url in (
        f"/eldercare/alerts/{alert_id}/",
        "/eldercare/alerts/20261130-fall-D0000000000000/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/eldercare/alerts/{alert_id}/acknowledge/").status_code == 404
    assert (
        client.post(f"/eldercare/alerts/{alert_id}/resolve/", {"reason": "died"}).status_code == 404
    )
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() == 4
    assert Alert.objects.get(alert_id=alert_id).state == "open"


def test_the_api_lists_reads_acknowledges_and_resolves(login, caseworker, outsider, raised):
    client = login(caseworker)
    rows = client.get("/api/eldercare/alerts").json()
    assert [r["alert_id"] for r in rows][:2] == [raised["D3301020000001"], raised["D3301020000003"]]
    assert rows[0]["overdue"] is True and rows[0]["step"] == "township_visit"
    assert rows[1]["minutes_left"] in (4, 5) and rows[1]["person"] != PERSON
    alert_id = raised["D3301020000003"]
    one = client.get(f"/api/eldercare/alerts/{alert_id}").json()
    assert [s["step"] for s in one["steps"]] == ["relative"]
    assert one["evidence"] == {"events": 1, "first_minute": 600}
    url = f"/api/eldercare/alerts/{alert_id}"
    done = client.post(f"{url}/acknowledge", {"note": "收到"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["acknowledged_step"] == "relative"
    twice = client.post(f"{url}/acknowledge", {}, content_type="application/json")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_acknowledged")
    empty = client.post(f"{url}/resolve", {}, content_type="application/json")
    assert empty.status_code == 400 and "reason" in empty.json()["detail"]
    done = client.post(f"{url}/resolve", {"reason": "helped"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["resolution"] == "helped"
    other = login(outsider).post(f"{url}/acknowledge", {}, content_type="application/json")
    assert (other.status_code, other.json()["code"]) == (404, "alert_not_found")


@pytest.mark.parametrize(
    "alert_id",
    ["%00", "x" * 300, "20261130-fall-D1%2F..", "'; DROP TABLE x;--", "１２３", "-1", "None"],
)
def test_malformed_alert_ids_are_not_found_never_an_error(login, caseworker, raised, alert_id):
    client = login(caseworker)
    assert client.get(f"/eldercare/alerts/{alert_id}/").status_code == 404
    assert client.post(f"/eldercare/alerts/{alert_id}/acknowledge/").status_code == 404
    assert client.get(f"/api/eldercare/alerts/{alert_id}").status_code == 404
    response = client.post(
        f"/api/eldercare/alerts/{alert_id}/resolve",
        {"reason": "helped"},
        content_type="application/json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"reason": 5}, 422),
        ({"reason": ["helped"]}, 422),
        ({"reason": "x" * 41}, 422),
        ({"reason": "helped", "note": "x" * 2001}, 422),
        ({"reason": "helped\x00"}, 400),
        ({"reason": "whim"}, 400),
        ("not json", 400),
    ],
)
def test_malformed_api_bodies_are_refused_naming_the_field(login, caseworker, raised, body, status):
    client = login(caseworker)
    url = f"/api/eldercare/alerts/{raised['D3301020000004']}/resolve"
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == status, response.content
    if status == 422:
        assert response.json()["errors"][0]["field"] in ("reason", "note")
    assert Alert.objects.get(alert_id=raised["D3301020000004"]).state == "acknowledged"
