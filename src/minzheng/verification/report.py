"""One household's verification report: what every feed says, compared with what was declared,
and the policy engine on both.

Framework-free: the report is JSON-ready data with codes and English msgids; the web page,
the API, the PDF and the CLI translate it. Nothing is silently left out: a feed that could
not be read makes the report incomplete, and a notice says which.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from minzheng.lib import idcard
from minzheng.lib.dates import add_months
from minzheng.lib.i18n import RequestError, gettext_noop, shorten
from minzheng.policy.errors import PolicyError
from minzheng.policy.explain import Explainer, _json_value
from minzheng.policy.inputs import INPUTS
from minzheng.verification.lookup import KEYS, Found, Lookup

HOUSEHOLD_ID = re.compile(r"^H[0-9]{13}$")
# How far before the oldest feed snapshot a check may be made as of.
HISTORY_YEARS = 3
ADULT_AGE = 18
# Declared values compared with the found ones (the engine's input names).
MONEY_FIELDS = (
    "wage",
    "business",
    "property",
    "pension",
    "transfer",
    "deposits",
    "securities",
    "medical_oop_12m",
)
COUNT_FIELDS = ("homes", "commercial_property", "vehicles", "disability_grade")
COMPARED = MONEY_FIELDS + COUNT_FIELDS
# Columns a line does not repeat (its feed, sender and date are shown once per line).
HIDDEN = {"k", "department", "snapshot_date", "county", "name", "sex", "birth_date", *KEYS.values()}


class VerificationError(RequestError):
    """A check that cannot be made, with the reason (shown as a 4xx by the API)."""


@dataclass(frozen=True)
class Settings:
    """The tolerances of a check: amounts differing by more than both `tolerance_yuan` and
    `tolerance_share` of the larger value are flagged; feeds older than `stale_days` are."""

    tolerance_share: Decimal = Decimal("0.05")
    tolerance_yuan: Decimal = Decimal("50")
    stale_days: int = 90


def notice(code: str, level: str, template: str, **params: Any) -> dict:
    """A message of the report: `level` is error (the check is incomplete), warning or info."""
    return {"code": code, "level": level, "template": template, "params": params}


def household_number(value: object) -> str:
    """A hukou number as typed, read as ASCII (full-width digits are the same number, NFKC)
    without surrounding spaces; validation is `validate_request`'s."""
    if not isinstance(value, str):
        return value  # type: ignore[return-value]
    return unicodedata.normalize("NFKC", value).strip().upper()


def validate_request(
    household_id: str, date: dt.date, today: dt.date, oldest_snapshot: dt.date | None = None
) -> None:
    """Refuse a malformed household number, a date in the future, or a date more than
    `HISTORY_YEARS` before the oldest feed snapshot (what no feed can describe)."""
    if not isinstance(household_id, str) or not HOUSEHOLD_ID.match(household_id):
        raise VerificationError(
            "bad_household_id",
            gettext_noop(
                "household_id = %(value)s is not a hukou number (H, the 6-digit county code "
                "and 7 digits)."
            ),
            value=shorten(str(household_id)),
        )
    if date > today:
        raise VerificationError(
            "future_date",
            gettext_noop("date = %(date)s is in the future (today is %(today)s)."),
            date=date.isoformat(),
            today=today.isoformat(),
        )
    if oldest_snapshot is None:
        return
    earliest = oldest_snapshot.replace(
        year=oldest_snapshot.year - HISTORY_YEARS, day=min(oldest_snapshot.day, 28)
    )
    if date < earliest:
        raise VerificationError(
            "date_before_feeds",
            gettext_noop(
                "date = %(date)s is before what the feeds can describe: the oldest snapshot "
                "is of %(oldest)s and a check reaches back at most %(years)s years before it "
                "(to %(earliest)s)."
            ),
            date=date.isoformat(),
            oldest=oldest_snapshot.isoformat(),
            years=HISTORY_YEARS,
            earliest=earliest.isoformat(),
        )


def oldest_snapshot(feeds: dict[str, dict]) -> dt.date | None:
    """The oldest snapshot date among the feeds of an index."""
    return min((m["snapshot_date"] for m in feeds.values() if m.get("snapshot_date")), default=None)


def adults(found: Found, date: dt.date) -> list[dict]:
    """The household's living members aged 18 or more at `date` (who must consent)."""
    dead = {r["id_number"] for r in found.lines.get("deaths", []) if r["death_date"] <= date}
    return [
        m
        for m in found.members
        if m["id_number"] not in dead
        and idcard.parse(m["id_number"]).age_on(date) >= ADULT_AGE
        and m["household_id"] == (found.household or {}).get("household_id")
    ]


def found_inputs(found: Found, date: dt.date, everyone: bool = False) -> tuple[dict, list[dict]]:
    """The engine's inputs from the found lines: the same definitions as `policy.lake`'s
    `lake_inputs` (a test compares both over the synthetic province). The household's living
    members, or with `everyone` every person found (for comparing declared members who are
    registered elsewhere)."""
    house = found.household or {}
    hid = house.get("household_id")
    lines = found.lines
    dead = {r["id_number"] for r in lines.get("deaths", []) if r["death_date"] <= date}
    since = add_months(date, -12)

    def rows(table: str, pid: str, key: str = "id_number") -> list[dict]:
        return [r for r in lines.get(table, []) if r[key] == pid]

    def total(items: list[dict], column: str) -> Decimal:
        return sum((Decimal(r[column]) for r in items), Decimal(0))

    members = []
    for m in found.members:
        pid = m["id_number"]
        if not everyone and (m["household_id"] != hid or pid in dead):
            continue
        wages = rows("si_wages", pid)
        tax = rows("tax_income", pid)
        assets = rows("financial_assets", pid)
        estate = rows("real_estate", pid, "owner_id_number")
        certs = rows("disability_certs", pid)
        # the latest assessment on or before the date (as the engine's lake inputs)
        capability = sorted(
            (c for c in rows("elderly_capability", pid) if c["assessed_date"] <= date),
            key=lambda c: c["assessed_date"],
        )
        child = rows("children_registry", pid)
        row = {
            "household_id": hid,
            "county": m["county"],
            "person_id": pid,
            "relation": m["relation"],
            "birth_date": m["birth_date"],
            "sex": m["sex"],
            "status": m["status"],
            "disability_grade": min((int(c["grade"]) for c in certs), default=0),
            "disability_kind": max((c["kind"] for c in certs), default=""),
            "serious_illness": False,
            "employed": bool(wages),
            "employment_start": max((w["employment_start"] for w in wages), default=None),
            "wage": total(wages, "monthly_wage"),
            "business": total(tax, "business_monthly"),
            "property": total(tax, "property_monthly"),
            "pension": total(rows("pensions", pid), "monthly_amount"),
            "transfer": total(rows("unemployment", pid), "monthly_benefit"),
            "other": Decimal(0),
            "exempt": Decimal(0),
            "deposits": total([a for a in assets if a["kind"] == "deposit"], "balance"),
            "securities": total([a for a in assets if a["kind"] == "securities"], "balance"),
            "vehicles": sum(1 for v in rows("vehicles", pid, "owner_id_number") if not v["exempt"]),
            "commercial_property": sum(1 for r in estate if r["use"] == "commercial"),
            "homes": sum(1 for r in estate if r["use"] == "residential"),
            "medical_oop_12m": total(
                [r for r in rows("medical_oop", pid) if since < r["month"] <= date], "oop_amount"
            ),
            "education_12m": Decimal(0),
            # No feed names legal supporters: people living alone are taken to have none capable.
            "supporter_capable": (house.get("size") or 1) > 1,
            "capability_grade": int(capability[-1]["grade"]) if capability else 0,
            "father_status": max((c["father_status"] for c in child), default="alive"),
            "mother_status": max((c["mother_status"] for c in child), default="alive"),
            "placement": max((c["placement"] for c in child), default="family"),
            "student": bool(m.get("school_stage")),
        }
        members.append(row)
    household = {
        "household_id": hid,
        "county": house.get("county"),
        "enrolled_dibao": any(
            e["household_id"] == hid and e["programme"] == "dibao"
            for e in lines.get("enrolments", [])
        ),
        "emergency_loss": Decimal(0),
    }
    return household, members


def _differs(field: str, declared: Any, found: Any, settings: Settings) -> bool:
    if field in MONEY_FIELDS:
        gap = abs(Decimal(declared) - Decimal(found))
        larger = max(abs(Decimal(declared)), abs(Decimal(found)))
        return gap > settings.tolerance_yuan and gap > settings.tolerance_share * larger
    return declared != found


def _comparisons(declared: dict | None, found: dict | None, settings: Settings) -> list[dict]:
    out = []
    for field in COMPARED:
        d = None if declared is None else declared[field]
        f = None if found is None else found[field]
        kind = INPUTS[field].kind
        out.append(
            {
                "field": field,
                "label": INPUTS[field].label,
                "declared": _json_value(d, kind),
                "found": _json_value(f if f is not None else INPUTS[field].default, kind),
                "flagged": d is not None
                and _differs(field, d, f or INPUTS[field].default, settings),
            }
        )
    return out


def _summary(explanation: dict) -> dict:
    """What a caseworker compares: each programme's status and amounts, totals, referrals."""
    programmes = {}
    for name, r in explanation["results"].items():
        programmes[name] = {k: v for k, v in r.items() if k != "members"} | {
            "members": r.get("members", [])
        }
    return {
        "programmes": programmes,
        "totals": explanation["totals"],
        "referrals": [r["kind"] for r in explanation["referrals"]],
    }


def _outcome(summary: dict) -> dict:
    return {
        name: (r.get("status"), r.get("monthly_amount"), r.get("one_off_amount"))
        for name, r in summary["programmes"].items()
    }


def _changes(declared: dict, found: dict) -> list[dict]:
    """Programmes whose status or amount differs between the declared and the found data."""
    out = []
    for name, f in found["programmes"].items():
        d = declared["programmes"].get(name, {})
        keys = ("status", "monthly_amount", "one_off_amount")
        if any(d.get(k) != f.get(k) for k in keys):
            out.append(
                {"programme": name, "label": f["label"]}
                | {f"declared_{k}": d.get(k) for k in keys}
                | {f"found_{k}": f.get(k) for k in keys}
            )
    return out


def build_report(
    lookup: Lookup,
    explainer: Explainer,
    household_id: str,
    date: dt.date,
    *,
    declared: tuple[dict, list[dict]] | None = None,
    settings: Settings = Settings(),
    today: dt.date | None = None,
    found: Found | None = None,
    unchecked: dict[str, str] | None = None,
) -> dict:
    """The report of one household as of `date` (see docs/verification.md). Declared members
    in `unchecked` (ID number → reason code) are not looked up: the report says why."""
    validate_request(household_id, date, today or dt.date.today(), oldest_snapshot(lookup.feeds))
    declared_rows = {m["person_id"]: m for m in (declared[1] if declared else [])}
    unchecked = unchecked or {}
    if found is None:
        found = lookup.household(
            household_id, also=[i for i in declared_rows if i not in unchecked]
        )
    if any(m["id_number"] in unchecked for m in found.members):
        raise ValueError("a member of the hukou household cannot be left unchecked")
    if found.household is None:
        raise VerificationError(
            "household_not_found",
            gettext_noop("Household %(household)s is not in the hukou feed."),
            status=404,
            household=household_id,
        )
    notices: list[dict] = []
    for feed, why in found.unreadable.items():
        notices.append(
            notice(
                "feed_unreadable",
                "error",
                gettext_noop(
                    "The %(feed)s feed could not be read (%(why)s): the report is incomplete."
                ),
                feed=feed,
                why=why,
            )
        )
    feeds = {}
    for feed, meta in lookup.feeds.items():
        age = (date - meta["snapshot_date"]).days
        stale = age > settings.stale_days
        feeds[feed] = {
            "department": meta["department"],
            "snapshot_date": meta["snapshot_date"].isoformat(),
            "age_days": age,
            "stale": stale,
            "read": feed not in found.unreadable,
        }
        if stale:
            notices.append(
                notice(
                    "stale_feed",
                    "warning",
                    gettext_noop(
                        "The %(feed)s feed (%(department)s) is %(age)s days old on %(date)s "
                        "(more than %(limit)s): its lines may be out of date."
                    ),
                    feed=feed,
                    department=meta["department"],
                    age=age,
                    date=date.isoformat(),
                    limit=settings.stale_days,
                )
            )
    later = sorted(name for name, f in feeds.items() if f["age_days"] < 0)
    if later:
        notices.append(
            notice(
                "snapshot_after_date",
                "info",
                gettext_noop(
                    "%(feeds)s were taken after %(date)s: they describe the household on "
                    "their snapshot dates, not on the date of the check."
                ),
                feeds=", ".join(later),
                date=date.isoformat(),
            )
        )
    household, found_members = found_inputs(found, date)
    found_by_id = {m["person_id"]: m for m in found_inputs(found, date, everyone=True)[1]}
    order = ("head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling")
    ranked = sorted(
        found.members,
        key=lambda m: (
            m["household_id"] != household_id,
            order.index(m["relation"]) if m["relation"] in order else len(order),
            m["birth_date"],
        ),
    )
    hukou = {m["id_number"]: m for m in ranked}
    people = list(dict.fromkeys([*hukou, *declared_rows]))
    members = []
    for pid in people:
        if pid in unchecked:
            members.append(_unchecked_member(pid, declared_rows[pid], unchecked[pid], date))
            notices.append(_unchecked_notice(pid, unchecked[pid]))
            continue
        person = hukou.get(pid)
        in_household = person is not None and person["household_id"] == household_id
        lines = []
        feed_rows = [("hukou_persons", [person] if person else []), *found.lines.items()]
        for feed, rows in feed_rows:
            key = KEYS[feed]
            for row in rows:
                if row.get(key) != pid or feed == "hukou_households":
                    continue
                if feed == "medical_oop" and not (add_months(date, -12) < row["month"] <= date):
                    continue
                if feed == "deaths" and row["death_date"] > date:
                    continue
                lines.append(
                    {
                        "feed": feed,
                        "department": row["department"],
                        "snapshot_date": row["snapshot_date"].isoformat(),
                        "stale": feeds[feed]["stale"],
                        "values": {k: _json_value(v) for k, v in row.items() if k not in HIDDEN},
                    }
                )
        deceased = next(
            (
                r["death_date"]
                for r in found.lines.get("deaths", [])
                if r["id_number"] == pid and r["death_date"] <= date
            ),
            None,
        )
        card = idcard.parse(pid)
        entry = {
            "id_number": pid,
            "name": person["name"] if person else None,
            "relation": person["relation"] if person else None,
            "birth_date": card.birth_date.isoformat(),
            "sex": card.sex,
            "age": card.age_on(date),
            "county": person["county"] if person else None,
            "household_id": person["household_id"] if person else None,
            "declared": pid in declared_rows,
            "checked": True,
            "deceased": deceased.isoformat() if deceased else None,
            "lines": lines,
            "comparisons": _comparisons(
                declared_rows.get(pid) if declared else None, found_by_id.get(pid), settings
            ),
        }
        members.append(entry)
        if person is None:
            notices.append(
                notice(
                    "not_in_hukou",
                    "warning",
                    gettext_noop("Declared member %(id)s is not in the hukou feed."),
                    id=pid,
                )
            )
        elif not in_household:
            notices.append(
                notice(
                    "other_household",
                    "warning",
                    gettext_noop(
                        "Declared member %(id)s belongs to hukou household %(other)s, not to "
                        "%(household)s."
                    ),
                    id=pid,
                    other=person["household_id"],
                    household=household_id,
                )
            )
        elif declared and pid not in declared_rows and not deceased:
            notices.append(
                notice(
                    "undeclared_member",
                    "warning",
                    gettext_noop("Hukou member %(id)s was not declared."),
                    id=pid,
                )
            )
        if deceased:
            notices.append(
                notice(
                    "deceased",
                    "warning",
                    gettext_noop("Member %(id)s died on %(date)s."),
                    id=pid,
                    date=deceased.isoformat(),
                )
            )
    counties = sorted({m["county"] for m in members if m["county"]})
    if len(counties) > 1:
        notices.append(
            notice(
                "different_counties",
                "info",
                gettext_noop("The members are registered in different counties: %(counties)s."),
                counties=", ".join(counties),
            )
        )
    totals = []
    for field in COMPARED:
        if field == "disability_grade":
            continue
        found_total = sum((m[field] for m in found_members), INPUTS[field].default)
        declared_total = (
            sum((m[field] for m in declared[1]), INPUTS[field].default) if declared else None
        )
        totals.append(
            {
                "field": field,
                "label": INPUTS[field].label,
                "declared": _json_value(declared_total, INPUTS[field].kind),
                "found": _json_value(found_total, INPUTS[field].kind),
                "flagged": declared is not None
                and _differs(field, declared_total, found_total, settings),
            }
        )
    try:
        decision = {"found": _summary(explainer.explain(household, found_members, date))}
    except PolicyError as exc:
        # The lines stand on their own; the aid needs rules in force on the date.
        notices.append(notice("no_decision_aid", "warning", exc.template, **exc.params))
        decision = {"found": {"programmes": {}, "totals": {}, "referrals": []}}
        declared_for_aid = None
    else:
        declared_for_aid = declared
    if declared_for_aid:
        declared_summary = _summary(explainer.explain(declared[0], declared[1], date))
        decision["declared"] = declared_summary
        decision["changes"] = _changes(declared_summary, decision["found"])
        decision["decisive"] = _decisive(
            explainer, declared, found_by_id, members, date, _outcome(declared_summary)
        )
    house_row = found.household
    return {
        "household_id": household_id,
        "date": date.isoformat(),
        # the data it was made from: the snapshot's name (empty for a lake folder)
        "snapshot": lookup.manifest.get("snapshot", ""),
        "village_code": house_row["village_code"],
        "township_code": house_row["township_code"],
        "county": house_row["county"],
        "counties": counties,
        "complete": not found.unreadable and not unchecked,
        "flagged": any(c["flagged"] for m in members for c in m["comparisons"])
        or any(n["level"] != "info" for n in notices if n["code"] != "stale_feed"),
        "settings": {
            "tolerance_share": str(settings.tolerance_share),
            "tolerance_yuan": str(settings.tolerance_yuan),
            "stale_days": settings.stale_days,
        },
        "feeds": feeds,
        "notices": notices,
        "members": members,
        "totals": totals,
        "enrolled_dibao": household["enrolled_dibao"],
        "decision": decision,
    }


# Why a declared member's data was not read (see docs/security.md, the cross-county rule).
UNCHECKED_REASONS = {
    # Registered in the officer's scope, but not in this household and no consent for it.
    "consent_missing": gettext_noop(
        "Declared member %(id)s is not a member of this household in the hukou feed and has "
        "not authorised this household's check: their data was not read. Record their own "
        "consent for this household first."
    ),
    # Not registered in the officer's scope (another township or county) or not at all.
    "outside_scope": gettext_noop(
        "Declared member %(id)s is not a member of this household in the hukou feed and is "
        "not registered in your region: their data was not read. Their own county must check "
        "them (协查)."
    ),
}


def _unchecked_member(pid: str, declared: dict, reason: str, date: dt.date) -> dict:
    """A declared member whose data was not read: what they declared, nothing found."""
    card = idcard.parse(pid)
    comparisons = [
        {
            "field": field,
            "label": INPUTS[field].label,
            "declared": _json_value(declared[field], INPUTS[field].kind),
            "found": None,
            "flagged": False,
        }
        for field in COMPARED
    ]
    return {
        "id_number": pid,
        "name": None,
        "relation": None,
        "birth_date": card.birth_date.isoformat(),
        "sex": card.sex,
        "age": card.age_on(date),
        "county": None,
        "household_id": None,
        "declared": True,
        "checked": False,
        "unchecked_reason": reason,
        "deceased": None,
        "lines": [],
        "comparisons": comparisons,
    }


def _unchecked_notice(pid: str, reason: str) -> dict:
    """An unchecked member makes the report incomplete (an error-level notice)."""
    return notice(f"member_{reason}", "error", UNCHECKED_REASONS[reason], id=pid)


def _decisive(
    explainer: Explainer,
    declared: tuple[dict, list[dict]],
    found_by_id: dict[str, dict],
    members: list[dict],
    date: dt.date,
    base: dict,
) -> list[dict]:
    """For each field whose declared value was flagged: would taking the found value (for
    every member where it differs) alone change a programme's outcome?"""
    flagged = {c["field"] for m in members for c in m["comparisons"] if c["flagged"]}
    if not flagged:
        return []
    out = []
    for field in COMPARED:
        if field not in flagged:
            continue
        changed_members = [
            m | {field: found_by_id[m["person_id"]][field]} if m["person_id"] in found_by_id else m
            for m in declared[1]
        ]
        outcome = _outcome(_summary(explainer.explain(declared[0], changed_members, date)))
        programmes = [name for name in outcome if outcome[name] != base.get(name)]
        out.append({"field": field, "label": INPUTS[field].label, "changes": programmes})
    return out
