"""The case API: a household from application to approval, the refusals, the personas."""

from __future__ import annotations

import datetime as dt
import io

from minzheng.cases import workflow
from tests.conftest import _user
from tests.verification.conftest import AS_OF
from tests.verification.test_web import consent_all


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_household_from_application_to_approval_through_the_api(
    login, verify_settings, regions, clock, approver, poor_home, lookup, indexed_lake
):
    from minzheng.regions.services import regions_load_file

    regions_load_file(path=indexed_lake / "regions" / "subcounty.csv")
    caseworker = _user("cw_api", "caseworker", "330102102")
    consent_all(caseworker, poor_home, lookup)
    client = login(caseworker)
    opened = post(
        client,
        "/api/cases",
        {
            "household_id": poor_home,
            "channel": "online",
            "as_of": AS_OF.isoformat(),
            "payee": {"name": "李四", "bank": "浙江农商银行", "account": "6228480012345678"},
        },
    )
    assert opened.status_code == 201, opened.json()
    assert opened.json()["payee"] == {
        "name": "李*",
        "bank": "浙江农商银行",
        "account": "622848********78",
    }
    case = opened.json()
    assert case["state"] == "draft" and case["next_steps"] == ["submit"]
    url = f"/api/cases/{case['number']}"

    def step(action, **extra):
        response = post(
            client, f"{url}/steps", {"action": action, "version": case["version"], **extra}
        )
        assert response.status_code == 200, response.json()
        return response.json()

    case = step("submit")
    case = step("verify")
    assert case["verification_check"] and any(
        p["programme"] == "dibao" and p["included"] for p in case["programmes"]
    )
    stale = post(client, f"{url}/steps", {"action": "fast_lane", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "case_changed"
    case = step("fast_lane")
    assert case["state"] == "public_notice" and case["fast_lane"]["margin"] == "0.8"
    clock.move_to(dt.datetime(2026, 10, 6, 9, 0, tzinfo=dt.UTC))
    client = login(caseworker)  # a week later: the idle session has ended
    case = step("close_notice")
    assert case["next_steps"] == []  # the caseworker does not decide
    decided = post(login(approver), "/api/cases/approvals", {"numbers": [case["number"]]})
    assert decided.json() == {"approved": [case["number"]], "refused": {}}
    final = login(approver).get(url).json()
    assert final["state"] == workflow.APPROVED and final["state_label"] == "已批准"
    assert [e["action"] for e in final["timeline"]] == [
        "open",
        "submit",
        "verify",
        "fast_lane",
        "close_notice",
        "approve",
    ]
    # … to its first payment: November's run, and the bank's return
    assert [e["start_month"] for e in final["enrolments"]] == ["2026-11-01"] * len(
        final["enrolments"]
    )
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    payer = login(approver)
    run = post(payer, "/api/payments", {"county": "330102", "month": "2026-11"}).json()
    assert run["count"] == len(final["enrolments"]) >= 1
    lines = payer.get(f"/api/payments/{run['number']}/lines").json()
    answer = io.BytesIO(
        b"line_id,status,reason\n"
        + "".join(f"{line['line_id']},成功,\n" for line in lines).encode()
    )
    answer.name = "回盘.csv"
    done = payer.post(f"/api/payments/{run['number']}/returns", {"file": answer}).json()
    assert done == {"lines": len(lines), "paid": len(lines), "failed": 0}
    paid = payer.get(f"/api/payments/{run['number']}").json()
    assert paid["by_status"] == {"paid": {"count": run["count"], "sum": run["sum"]}}


def test_the_api_names_what_is_wrong(login, opened, caseworker, outsider):
    client = login(caseworker)
    url = f"/api/cases/{opened.number}/steps"
    illegal = post(client, url, {"action": "approve", "version": 1})
    assert illegal.status_code == 403  # deciding is the approver's
    unknown = post(client, url, {"action": "pay", "version": 1})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_action"
    wrong = post(client, url, {"action": "submit", "version": "x"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"].endswith("version")
    missing = post(client, url, {"action": "return", "version": 1})
    assert missing.status_code == 409 and "草稿" in missing.json()["detail"]
    listed = client.get("/api/cases?state=draft").json()
    assert [c["number"] for c in listed] == [opened.number]
    odd = client.get("/api/cases?state=%00")
    assert odd.status_code == 400 and odd.json()["code"] == "unknown_state"
    outside = login(outsider)
    assert outside.get(f"/api/cases/{opened.number}").status_code == 404
    assert outside.get("/api/cases").json() == []
    assert post(outside, url, {"action": "submit", "version": 1}).status_code == 404


def test_an_application_with_the_households_declaration(
    login, verify_settings, clock, caseworker, home, lookup
):
    consent_all(caseworker, home, lookup)
    found = lookup.household(home)
    members = [
        {"id": m["id_number"], "birth_date": m["birth_date"].isoformat(), "income": {"wage": 800}}
        for m in found.members
        if m["household_id"] == home
    ]
    declared = {"household_id": home, "county": home[1:7], "members": members}
    client = login(caseworker)
    bad = post(
        client,
        "/api/cases",
        {
            "household_id": home,
            "channel": "counter",
            "as_of": AS_OF.isoformat(),
            "declared": {**declared, "members": [{**members[0], "income": {"wage": -5}}]},
        },
    )
    assert bad.status_code == 400 and "members[0].income.wage" in bad.json()["detail"]
    opened = post(
        client,
        "/api/cases",
        {
            "household_id": home,
            "channel": "counter",
            "as_of": AS_OF.isoformat(),
            "declared": declared,
        },
    )
    assert opened.status_code == 201, opened.json()
    number = opened.json()["number"]
    for action, version in (("submit", 1), ("verify", 2)):
        step = post(client, f"/api/cases/{number}/steps", {"action": action, "version": version})
        assert step.status_code == 200, step.json()
    from minzheng.cases.models import Case

    assert Case.objects.get(number=number).basis["data"] == "declared"
