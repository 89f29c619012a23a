"""Capability assessments in the web app: two assessors, the grade and what it changes in
what the engine gives, bad input named by field, and the three personas."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from minzheng.accounts.permissions import PermissionRefused
from minzheng.accounts.services import user_create
from minzheng.audit.models import AuditEvent
from minzheng.eldercare import services
from minzheng.eldercare.assessment import default_assessment
from minzheng.eldercare.models import Assessment
from minzheng.regions.models import Region
from tests.conftest import PASSWORD

pytestmark = pytest.mark.lake
AS_OF = dt.date(2020, 12, 31)
OLDER = "p.birth_date <= DATE '1960-12-31' AND p.id_number NOT IN (SELECT id_number FROM deaths)"


def older_in(lookup, prefix: str, where: str = "") -> list[str]:
    """ID numbers of people aged 60+ on AS_OF registered in villages under `prefix`."""
    return [
        r["id_number"]
        for r in lookup._rows(
            "SELECT p.id_number FROM hukou_persons p JOIN hukou_households h USING (household_id) "
            f"WHERE h.village_code LIKE ? AND {OLDER} {where} ORDER BY p.id_number",
            [prefix + "%"],
        )
    ]


def form(person: str, second: str, scores: dict[str, int] | None = None, **extra) -> dict:
    """The form as the browser posts it: every item at the given (default: lowest) score."""
    standard = default_assessment()
    data = {
        "id_number": person,
        "assessed_on": AS_OF.isoformat(),
        "place": "家中",
        "reason": "first",
        "second_assessor": second,
        "evidence": "现场评估，照片两张",
    }
    for code, item in standard.items.items():
        data[f"item:{code}"] = str((scores or {}).get(code, item.scores[0]))
    return data | extra


@pytest.fixture
def assessors(regions):
    county = Region.objects.get(code="330102")
    return [
        user_create(username=name, password=PASSWORD, role="assessor", region=county)
        for name in ("pg_a", "pg_b")
    ]


def test_two_assessors_grade_a_person_and_the_grade_changes_what_the_engine_gives(
    verify_settings, login, lookup, assessors
):
    a, b = assessors
    # an older person of 上城区 supported as 特困, whose care share follows the grade
    tekun = older_in(
        lookup,
        "330102",
        "AND p.id_number IN (SELECT id_number FROM enrolments WHERE programme = 'tekun')",
    )
    assert tekun
    client = login(a)
    assert client.get("/eldercare/assessments/new/").status_code == 200
    response = client.post("/eldercare/assessments/new/", form(tekun[0], "pg_b"))
    assert response.status_code == 302
    assessment = Assessment.objects.get(id_number=tekun[0])
    # every item at its lowest score: total 0, grade 4 (能力完全丧失)
    assert (assessment.total_score, assessment.grade, assessment.state) == (0, 4, "recorded")
    assert assessment.next_due == dt.date(2021, 12, 31)
    page = client.get(response["Location"]).content.decode()
    assert 'data-grade="4"' in page and tekun[0] not in page  # masked
    assert AuditEvent.objects.filter(action="read_personal", object_id=assessment.number).exists()
    # the grade raises the 特困 care share: the amount after is higher than before
    effect = services.engine_effect(assessment)
    rows = {r["programme"]: r for r in effect["rows"]}
    assert effect["before_grade"] != 4
    before, after = rows["tekun"]["monthly_amount"]
    assert float(after) > float(before)
    assert 'data-programme="tekun"' in page
    # the first assessor cannot confirm; the second can, once
    assert client.post(f"/eldercare/assessments/{assessment.number}/confirm/").status_code == 403
    assert AuditEvent.objects.filter(
        action="assessment_confirm", object_id=assessment.number, outcome="denied"
    ).exists()
    second = login(b)
    assert second.post(f"/eldercare/assessments/{assessment.number}/confirm/").status_code == 302
    assessment.refresh_from_db()
    assert assessment.state == "confirmed" and assessment.confirmed_at is not None
    assert second.post(f"/eldercare/assessments/{assessment.number}/confirm/").status_code == 409


def test_the_confirmed_grade_is_delivered_in_the_engines_feed(
    verify_settings, lookup, assessors, tmp_path
):
    a, _b = assessors
    people = older_in(lookup, "330102")[:2]
    recorded = [
        services.assessment_record(
            user=a,
            request=None,
            data={
                "id_number": p,
                "assessed_on": AS_OF,
                "place": "家中",
                "reason": "first",
                "second_assessor": "pg_b",
                "evidence": "现场评估",
                "answers": {c: i.maximum for c, i in default_assessment().items.items()},
            },
        )
        for p in people
    ]
    services.assessment_confirm(user=_b, request=None, number=recorded[0].number)
    out = tmp_path / "capability.csv"
    steward = user_create(
        username="st_sc",
        password=PASSWORD,
        role="data_steward",
        region=Region.objects.get(code="330102"),
    )
    assert services.export_feed(out, user=steward) == 1  # the one confirmed
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows == [
        {"id_number": people[0], "assessed_date": "2020-12-31", "grade": "0", "county": "330102"}
    ]
    with pytest.raises(FileExistsError):  # never overwritten
        services.export_feed(out, user=steward)
    assert AuditEvent.objects.filter(action="export", object_id="elderly_capability").exists()
    # the command line: the same file, and never over an existing one
    from typer.testing import CliRunner

    from minzheng.cli import app

    cli = tmp_path / "cli.csv"
    done = CliRunner().invoke(app, ["eldercare", "export", "--out", str(cli), "--user", "st_sc"])
    assert done.exit_code == 0, done.output
    assert cli.read_bytes() == out.read_bytes() and "1 " in done.output
    again = CliRunner().invoke(app, ["eldercare", "export", "--out", str(cli), "--user", "st_sc"])
    assert again.exit_code == 1
    with pytest.raises(PermissionRefused):  # an assessor does not deliver feeds
        services.export_feed(tmp_path / "other.csv", user=a)
    # the file is a delivery the exchange accepts for the feed, every row valid
    from minzheng.exchange.ingest import ingest

    result = ingest(
        out,
        "elderly_capability",
        AS_OF,
        tmp_path / "delivery",
        known_counties=frozenset({"330102"}),
    )
    assert (result.accepted, result.quarantined) == (1, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"second_assessor": "pg_a"}, "second_assessor"),  # assessing alone
        ({"second_assessor": ""}, "second_assessor"),
        ({"second_assessor": "cw_qingfeng"}, "second_assessor"),  # not an assessor
        ({"item:B.1.1": ""}, "answers[B.1.1]"),  # a missing item
        ({"item:B.1.1": "7"}, "answers[B.1.1]"),  # not one of the item's scores
        ({"item:B.1.1": "x" * 5000}, "answers[B.1.1]"),
        ({"assessed_on": "2020-13-01"}, "assessed_on"),
        ({"assessed_on": "2099-01-01"}, "assessed_on"),
        ({"place": ""}, "place"),
        ({"evidence": "字" * 2001}, "evidence"),
        ({"reason": "whim"}, "reason"),
        ({"count:care_risk_events:falls": "-1"}, "adjustments[care_risk_events][falls]"),
        ({"id_number": "12345"}, "id_number"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_kept(
    verify_settings, login, lookup, assessors, caseworker, change, field
):
    person = older_in(lookup, "330102")[0]
    response = login(assessors[0]).post(
        "/eldercare/assessments/new/", form(person, "pg_b", **change)
    )
    body = response.content.decode()
    assert response.status_code == 400, body
    assert f'data-field="{field}"' in body
    assert not Assessment.objects.exists()
    if "place" not in change:
        assert 'value="家中"' in body  # what was typed is shown again, nothing lost


def test_a_person_under_60_or_outside_the_scope_cannot_be_assessed(
    verify_settings, login, lookup, assessors
):
    client = login(assessors[0])
    young = lookup._rows(
        "SELECT p.id_number FROM hukou_persons p JOIN hukou_households h USING (household_id) "
        "WHERE h.village_code LIKE '330102%' AND p.birth_date > DATE '1970-01-01' LIMIT 1",
        [],
    )[0]["id_number"]
    response = client.post("/eldercare/assessments/new/", form(young, "pg_b"))
    assert response.status_code == 400 and 'data-field="id_number"' in response.content.decode()
    elsewhere = older_in(lookup, "330106")[0]  # 西湖区
    response = client.post("/eldercare/assessments/new/", form(elsewhere, "pg_b"))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="read_personal", outcome="denied").exists()
    assert not Assessment.objects.exists()


def test_the_three_personas(
    verify_settings, login, lookup, assessors, caseworker, approver, outsider
):
    person = older_in(lookup, "330102001")[0]  # 清风街道, the caseworker's township
    a, _b = assessors
    assessment = services.assessment_record(
        user=a,
        request=None,
        data={
            "id_number": person,
            "assessed_on": AS_OF,
            "place": "家中",
            "reason": "first",
            "second_assessor": "pg_b",
            "evidence": "现场评估",
            "answers": {c: i.maximum for c, i in default_assessment().items.items()},
        },
    )
    url = f"/eldercare/assessments/{assessment.number}/"
    for user in (caseworker, approver):
        client = login(user)
        listing = client.get("/eldercare/").content.decode()
        assert assessment.number in listing and person not in listing
        page = client.get(url)
        assert page.status_code == 200 and person not in page.content.decode()
        assert client.get("/eldercare/assessments/new/").status_code == 403
        assert client.post(f"{url}confirm/").status_code == 403
    client = login(outsider)
    assert assessment.number not in client.get("/eldercare/").content.decode()
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(
        actor=outsider, object_id=assessment.number, outcome="denied"
    ).exists()
