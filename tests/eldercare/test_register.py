"""The register of older people: its table checked against the household lookups person by
person, the page with the three personas, filters and malformed queries."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.audit.models import AuditEvent
from minzheng.eldercare import register, services
from minzheng.eldercare.assessment import default_assessment
from minzheng.lib import idcard

from .test_pages import AS_OF, assessors  # noqa: F401 (a fixture)

pytestmark = pytest.mark.lake


def _age(born: dt.date) -> int:
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


def test_the_register_is_what_each_household_says(lookup):
    rows = register.page(lookup.con, register.Filters(prefix="330102"), limit=100_000)
    assert len(rows) == register.count(lookup.con, register.Filters(prefix="330102")) > 150
    for row in rows[:150]:
        found = lookup.household(row["household_id"])
        dead = {r["id_number"] for r in found.lines.get("deaths", []) if r["death_date"] <= AS_OF}
        living = [
            m
            for m in found.members
            if m["household_id"] == row["household_id"] and m["id_number"] not in dead
        ]
        me = next(m for m in living if m["id_number"] == row["id_number"])
        assert row["age"] == _age(me["birth_date"]) >= 60
        couple = len(living) == 2 and {m["relation"] for m in living} == {"head", "spouse"}
        expected = "alone" if len(living) == 1 else "couple" if couple else "family"
        assert row["living"] == expected, row["id_number"]
        mine = [e for e in found.lines.get("enrolments", []) if e["id_number"] == row["id_number"]]
        assert row["tekun"] == any(e["programme"] == "tekun" for e in mine)
        grades = sorted(
            (c["assessed_date"], c["grade"])
            for c in found.lines.get("elderly_capability", [])
            if c["id_number"] == row["id_number"] and c["assessed_date"] <= AS_OF
        )
        assert row["capability_grade"] == (grades[-1][1] if grades else None)
        assert row["age_80"] == (row["age"] >= 80)
    # everyone of 60 or more, alive, is in it: none left out, none twice
    ids = [r["id_number"] for r in rows]
    assert len(ids) == len(set(ids))


def test_the_page_with_the_three_personas(verify_settings, login, caseworker, approver, outsider):
    client = login(caseworker)
    page = client.get("/eldercare/register/")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="register"' in body
    rows = register.page(lookup_con(), register.Filters(prefix="330102001"), limit=5)
    assert idcard.mask(rows[0]["id_number"]) in body and rows[0]["id_number"] not in body
    assert rows[0]["name"] not in body  # names masked too
    assert AuditEvent.objects.filter(
        action="read_personal", object_type="older_register", object_id="330102001"
    ).exists()
    alone = client.get("/eldercare/register/?living=alone").content.decode()
    assert 'data-living="alone"' in alone and 'data-living="family"' not in alone
    # a region outside the scope is not read: the page falls back to the user's own region
    other = client.get("/eldercare/register/?region=330106001").content.decode()
    assert (
        AuditEvent.objects.filter(object_type="older_register", object_id="330106001").count() == 0
    )
    assert 'data-testid="register"' in other
    # the county sees its townships; another county's caseworker sees none of them
    county = login(approver).get("/eldercare/register/?region=330102001").content.decode()
    assert idcard.mask(rows[0]["id_number"]) in county
    assert idcard.mask(rows[0]["id_number"]) not in (
        login(outsider).get("/eldercare/register/?region=330102001").content.decode()
    )


def lookup_con():
    from minzheng.verification.services import lake

    return lake().lookup.con


@pytest.mark.parametrize(
    "query",
    [
        "grade=abc",
        "grade=9",
        "page=-1",
        "page=99999",
        "region=%3Cscript%3E",
        "group=1;drop",
        "living=x",
    ],
)
def test_malformed_queries_are_answered_not_crashed(verify_settings, login, caseworker, query):
    response = login(caseworker).get(f"/eldercare/register/?{query}")
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_a_grade_confirmed_here_replaces_the_feeds_older_one(
    verify_settings,
    login,
    caseworker,
    assessors,  # noqa: F811
):
    a, b = assessors
    row = register.page(lookup_con(), register.Filters(prefix="330102001"), limit=1)[0]
    assessment = services.assessment_record(
        user=a,
        request=None,
        data={
            "id_number": row["id_number"],
            "assessed_on": AS_OF,
            "place": "家中",
            "reason": "change",
            "second_assessor": "pg_b",
            "evidence": "现场评估",
            "answers": {c: i.scores[0] for c, i in default_assessment().items.items()},
        },
    )
    page = services.register_page(user=caseworker, request=None, query={})[0]
    shown = next(r for r in page.object_list if r["person"] == idcard.mask(row["id_number"]))
    assert shown["grade_source"] == "feed"  # recorded, not confirmed: it does not count yet
    services.assessment_confirm(user=b, request=None, number=assessment.number)
    page = services.register_page(user=caseworker, request=None, query={})[0]
    shown = next(r for r in page.object_list if r["person"] == idcard.mask(row["id_number"]))
    assert (shown["grade"], shown["grade_source"]) == (4, "platform")
