"""The report: lines with their feed, department and date; declared vs found with tolerance;
the engine on both; and every bad input named."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import duckdb
import ibis
import pytest

from minzheng.lib import idcard
from minzheng.policy.engine import Engine
from minzheng.policy.errors import HouseholdFileError
from minzheng.policy.explain import Explainer
from minzheng.policy.household import parse_household
from minzheng.policy.lake import lake_inputs, open_feeds
from minzheng.verification.lookup import INDEX, Lookup
from minzheng.verification.report import (
    Settings,
    VerificationError,
    build_report,
    found_inputs,
)

from .conftest import AS_OF

pytestmark = pytest.mark.lake
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def explainer():
    return Explainer(Engine())


def report(lookup, explainer, hid, date=AS_OF, **kw):
    return build_report(lookup, explainer, hid, date, today=TODAY, **kw)


def declaration(lookup, hid, date=AS_OF, **changes):
    """A household file declaring exactly what the feeds say, with `changes` to the head."""
    house, members = found_inputs(lookup.household(hid), date)
    members = sorted((dict(m) for m in members), key=lambda m: m["relation"] != "head")
    members[0].update(changes)  # the head
    return house, members


def test_found_inputs_are_the_engines_lake_inputs(small_lake, lookup):
    """The same definitions as the screening path, household by household (300 households,
    including every household with a death, a disability certificate or medical spending)."""
    con = ibis.duckdb.connect()
    persons, households = lake_inputs(open_feeds(con, small_lake, ["330102", "330106"]), AS_OF)
    persons = persons.to_pyarrow().to_pylist()
    households = {h["household_id"]: h for h in households.to_pyarrow().to_pylist()}
    by_household: dict[str, list[dict]] = {}
    for p in persons:
        by_household.setdefault(p["household_id"], []).append(p)
    interesting = lookup._rows(
        "SELECT DISTINCT p.household_id FROM hukou_persons p WHERE p.county IN ('330102','330106') "
        "AND (p.id_number IN (SELECT id_number FROM deaths) "
        "OR p.id_number IN (SELECT id_number FROM disability_certs) "
        "OR p.id_number IN (SELECT id_number FROM medical_oop) "
        "OR p.id_number IN (SELECT id_number FROM children_registry) "
        "OR p.id_number IN (SELECT id_number FROM elderly_capability))",
        [],
    )
    sample = sorted({r["household_id"] for r in interesting})[:200] + sorted(households)[:100]
    assert len(sample) >= 250
    for hid in sample:
        house, members = found_inputs(lookup.household(hid), AS_OF)
        assert house == households[hid], hid
        expected = sorted(by_household.get(hid, []), key=lambda m: m["person_id"])
        got = sorted(members, key=lambda m: m["person_id"])
        assert got == expected, hid


def test_each_line_names_its_feed_department_and_snapshot(lookup, explainer):
    hid = lookup._rows(
        "SELECT p.household_id FROM hukou_persons p JOIN si_wages USING (id_number) "
        "JOIN financial_assets USING (id_number) LIMIT 1",
        [],
    )[0]["household_id"]
    r = report(lookup, explainer, hid)
    assert r["complete"] and r["household_id"] == hid
    assert set(r["feeds"]) >= {"si_wages", "pensions", "real_estate", "vehicles", "medical_oop"}
    lines = [line for m in r["members"] for line in m["lines"]]
    feeds = {line["feed"] for line in lines}
    assert {"hukou_persons", "si_wages", "financial_assets"} <= feeds
    for line in lines:
        assert line["department"] and line["snapshot_date"] == "2020-12-31"
        assert line["stale"] is False
    wage_line = next(line for line in lines if line["feed"] == "si_wages")
    assert wage_line["department"] == "人社" and "monthly_wage" in wage_line["values"]
    # No declaration: nothing to compare, nothing flagged, the engine ran on the found data.
    assert not any(c["flagged"] for m in r["members"] for c in m["comparisons"])
    assert set(r["decision"]["found"]["programmes"]) >= {"dibao", "dibian", "tekun", "elderly"}
    assert "declared" not in r["decision"]


def test_floor_area_and_exempt_vehicles_are_shown(lookup, explainer):
    hid = lookup._rows(
        "SELECT p.household_id FROM hukou_persons p JOIN vehicles v "
        "ON v.owner_id_number = p.id_number WHERE v.exempt LIMIT 1",
        [],
    )[0]["household_id"]
    lines = [line for m in report(lookup, explainer, hid)["members"] for line in m["lines"]]
    assert any(line["feed"] == "vehicles" and line["values"]["exempt"] is True for line in lines)
    homes = [line for line in lines if line["feed"] == "real_estate"]
    assert all(line["values"]["floor_area_m2"] > 0 for line in homes)


def test_a_difference_beyond_the_tolerance_is_flagged_with_both_values(lookup, explainer):
    hid = lookup._rows(
        "SELECT p.household_id FROM hukou_persons p JOIN si_wages w USING (id_number) "
        "WHERE p.relation = 'head' AND w.monthly_wage > 3000 LIMIT 1",
        [],
    )[0]["household_id"]
    found = next(
        m for m in found_inputs(lookup.household(hid), AS_OF)[1] if m["relation"] == "head"
    )
    wage = found["wage"]
    settings = Settings(tolerance_share=Decimal("0.05"), tolerance_yuan=Decimal("50"))
    # Within 5 %: not flagged.
    close = declaration(lookup, hid, wage=(wage * Decimal("0.97")).quantize(Decimal("0.01")))
    r = report(lookup, explainer, hid, declared=close, settings=settings)
    head = next(m for m in r["members"] if m["id_number"] == found["person_id"])
    assert not next(c for c in head["comparisons"] if c["field"] == "wage")["flagged"]
    # Declared nothing: flagged, with both values.
    r = report(lookup, explainer, hid, declared=declaration(lookup, hid, wage=Decimal(0)))
    head = next(m for m in r["members"] if m["id_number"] == found["person_id"])
    wage_row = next(c for c in head["comparisons"] if c["field"] == "wage")
    assert wage_row == {
        "field": "wage",
        "label": "工资性收入（月）",
        "declared": "0.00",
        "found": f"{wage:.2f}",
        "flagged": True,
    }
    assert r["flagged"]
    assert next(t for t in r["totals"] if t["field"] == "wage")["flagged"]


def test_the_decision_aid_shows_which_difference_changes_the_outcome(lookup, explainer):
    """A household found ineligible only through income: declaring no income makes it eligible
    for 低保 on the declared data, and the aid names the wage as the decisive difference."""
    candidates = lookup._rows(
        "SELECT h.household_id FROM hukou_households h WHERE h.size = 1 AND EXISTS "
        "(SELECT 1 FROM hukou_persons p JOIN si_wages w USING (id_number) "
        " WHERE p.household_id = h.household_id AND p.relation = 'head' "
        " AND w.monthly_wage BETWEEN 1500 AND 2500) ORDER BY 1 LIMIT 40",
        [],
    )
    for row in candidates:
        hid = row["household_id"]
        declared = declaration(lookup, hid, wage=Decimal(0), employed=False, employment_start=None)
        r = report(lookup, explainer, hid, declared=declared)
        decision = r["decision"]
        if decision["found"]["programmes"]["dibao"]["reasons"] == ["income_above_standard"]:
            break
    else:
        pytest.fail("no single-person household ineligible through income alone")
    assert decision["declared"]["programmes"]["dibao"]["status"] == "eligible"
    assert "dibao" in [c["programme"] for c in decision["changes"]]
    dibao_change = next(c for c in decision["changes"] if c["programme"] == "dibao")
    assert dibao_change["declared_status"] == "eligible"
    assert dibao_change["found_status"] == "ineligible"
    wage = next(d for d in decision["decisive"] if d["field"] == "wage")
    assert "dibao" in wage["changes"]


def test_stale_feeds_are_flagged(lookup, explainer):
    hid = household_in(lookup)
    r = report(lookup, explainer, hid, date=dt.date(2021, 6, 30), settings=Settings(stale_days=90))
    assert all(f["stale"] and f["age_days"] == 181 for f in r["feeds"].values())
    assert {n["code"] for n in r["notices"]} == {"stale_feed"}
    assert all(line["stale"] for m in r["members"] for line in m["lines"])
    fresh = report(
        lookup, explainer, hid, date=dt.date(2021, 6, 30), settings=Settings(stale_days=200)
    )
    assert not any(f["stale"] for f in fresh["feeds"].values())


def household_in(lookup, county: str = "330102") -> str:
    return lookup._rows(
        "SELECT household_id FROM hukou_households WHERE county = ? AND size >= 2 "
        "ORDER BY household_id LIMIT 1",
        [county],
    )[0]["household_id"]


@pytest.mark.parametrize(
    ("hid", "date", "code"),
    [
        ("H330102000000X", AS_OF, "bad_household_id"),
        ("330102000001", AS_OF, "bad_household_id"),
        ("H3301029999999", AS_OF, "household_not_found"),
        (None, TODAY + dt.timedelta(days=1), "future_date"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(lookup, explainer, hid, date, code):
    with pytest.raises(VerificationError) as caught:
        report(lookup, explainer, hid or household_in(lookup), date=date)
    assert caught.value.code == code
    assert caught.value.status == (404 if code == "household_not_found" else 400)


def test_a_bad_check_digit_in_the_declaration_names_the_field(lookup):
    hid = household_in(lookup)
    house, members = declaration(lookup, hid)
    data = {
        "household_id": hid,
        "county": house["county"],
        "members": [
            {
                "id": m["person_id"][:17] + ("0" if m["person_id"][17] != "0" else "1"),
                "birth_date": m["birth_date"].isoformat(),
            }
            for m in members
        ],
    }
    with pytest.raises(HouseholdFileError, match=r"members\[0\]\.id"):
        parse_household(data)


def test_members_outside_the_hukou_and_in_other_counties_are_shown(lookup, explainer):
    hid = household_in(lookup, "330102")
    other = lookup._rows(
        "SELECT id_number, birth_date FROM hukou_persons WHERE county = '330106' "
        "AND birth_date < DATE '1990-01-01' LIMIT 1",
        [],
    )[0]
    house, members = declaration(lookup, hid)
    stranger_id = idcard.make("110101", dt.date(1990, 3, 7), 1)
    stranger = dict(members[0]) | {
        "person_id": stranger_id,
        "relation": "other",
        "birth_date": dt.date(1990, 3, 7),
        "sex": "M",
    }
    moved = dict(members[0]) | {
        "person_id": other["id_number"],
        "relation": "other",
        "birth_date": other["birth_date"],
    }
    declared = (house, [*members[1:], stranger, moved])  # the head left undeclared
    r = report(lookup, explainer, hid, declared=declared)
    codes = {n["code"]: n for n in r["notices"]}
    assert codes["not_in_hukou"]["params"]["id"] == stranger_id
    assert codes["other_household"]["params"]["id"] == other["id_number"]
    assert codes["undeclared_member"]["params"]["id"] == members[0]["person_id"]
    assert codes["different_counties"]["params"]["counties"] == "330102, 330106"
    assert r["counties"] == ["330102", "330106"] and r["flagged"]
    moved_entry = next(m for m in r["members"] if m["id_number"] == other["id_number"])
    assert moved_entry["county"] == "330106" and moved_entry["lines"]
    # Their found values come from their own lines, though they are not of this household.
    wages = sum(
        Decimal(line["values"]["monthly_wage"])
        for line in moved_entry["lines"]
        if line["feed"] == "si_wages"
    )
    found_wage = next(c for c in moved_entry["comparisons"] if c["field"] == "wage")["found"]
    assert Decimal(found_wage) == wages


def test_a_death_is_reported(lookup, explainer):
    row = lookup._rows(
        "SELECT p.household_id, d.id_number, d.death_date FROM deaths d "
        "JOIN hukou_persons p USING (id_number) WHERE d.death_date > DATE '2020-08-01' LIMIT 1",
        [],
    )[0]
    r = report(lookup, explainer, row["household_id"])
    dead = next(m for m in r["members"] if m["id_number"] == row["id_number"])
    assert dead["deceased"] == row["death_date"].isoformat()
    assert any(n["code"] == "deceased" for n in r["notices"])
    # Before the death, the member was alive.
    before = report(
        lookup, explainer, row["household_id"], date=row["death_date"] - dt.timedelta(days=1)
    )
    assert (
        next(m for m in before["members"] if m["id_number"] == row["id_number"])["deceased"] is None
    )


def test_a_feed_that_cannot_be_read_makes_the_report_incomplete(indexed_lake, explainer, tmp_path):
    broken = tmp_path / "lake"
    shutil.copytree(indexed_lake, broken)
    con = duckdb.connect(str(broken / INDEX))
    con.execute("DROP TABLE vehicles")
    con.close()
    lookup = Lookup(broken)
    r = report(lookup, explainer, household_in(lookup))
    assert r["complete"] is False
    assert r["feeds"]["vehicles"]["read"] is False
    notice = next(n for n in r["notices"] if n["code"] == "feed_unreadable")
    assert notice["level"] == "error" and notice["params"]["feed"] == "vehicles"


def test_a_date_before_the_rules_gives_lines_without_the_decision_aid(lookup, explainer):
    r = report(lookup, explainer, household_in(lookup), date=dt.date(2019, 1, 1))
    aid = next(n for n in r["notices"] if n["code"] == "no_decision_aid")
    assert aid["params"]["date"] == "2019-01-01"
    assert r["decision"]["found"]["programmes"] == {} and r["members"][0]["lines"]
