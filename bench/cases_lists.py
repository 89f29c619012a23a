"""The case lists as their users see them, with many cases in the database (issue #12).

    .venv/bin/python bench/cases_lists.py [N] [--postgres URL] [--requests R] [--keep]
        [--county-share S] [--queries]

For issue #12's goal (200,000 cases in PostgreSQL, worklist and approval queue p95 under
150 ms):

    .venv/bin/python bench/cases_lists.py --postgres \
        postgres://postgres@127.0.0.1:5432/minzheng_bench_lists

Sets up a fresh database (SQLite in a temporary folder, or the PostgreSQL database URL,
dropped and created again) as `cases_bulk.py` does, then (not timed): the regions with the
synthetic townships and villages of every county (`minzheng.synth.geography`, seed 1),
three caseworkers in every township that has cases and an approver in each of their
counties, and N cases (default 200,000): a fifth (S) in 上城区 (330102), the rest spread
over nine other counties of four cities, across their townships and villages; in every
workflow state (most decided, a third open), their due dates following from the
working-day limit of their state and how long they have been in it (some overdue, some due
soon), opened by the township's caseworkers; programmes for the cases from the public
notice on, and two timeline events per case; on PostgreSQL then `VACUUM ANALYZE` (as
autovacuum would). `--keep` reuses the PostgreSQL database of an earlier run as it is.

Then it times, through Django's test client and a real clock, with a session of the
township caseworker of 330102001 (`cw`) and of the approver of 上城区 (`ap`): the worklist
`GET /cases/`, the approval queue `GET /cases/queue/` (approver only: the caseworker may
not see it), and the API's list `GET /api/cases` (and, for the approver, its list of the
cases waiting for approval), R requests each (default 200) after 5 warm-up requests. Every
response is checked: status 200, the lists' totals as counted directly in the database, the
rows shown all in the user's scope. Prints p50, p95 (nearest rank) and max per page, the
number of SQL queries of one request (with `--queries`, each query and its time) and the
machine's load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases_bulk import open_database  # noqa: E402

SEED = 1
TOWNSHIP = "330102001"  # the caseworker's township
COUNTY = "330102"  # the approver's county, 上城区
# The cases' counties: 上城区 a fifth (COUNTY_SHARE, `--county-share`), the rest evenly over
# nine other counties of 杭州, 宁波, 温州 and 绍兴.
OTHER_COUNTIES = [
    "330105",
    "330106",
    "330108",
    "330109",
    "330110",
    "330203",
    "330212",
    "330302",
    "330602",
]
COUNTY_SHARE = 0.2
# Share of the cases by state: two thirds decided, the open third along the steps.
STATE_SHARES = {
    "approved": 0.55,
    "rejected": 0.10,
    "draft": 0.03,
    "submitted": 0.04,
    "verifying": 0.04,
    "township_review": 0.08,
    "public_notice": 0.05,
    "county_approval": 0.08,
    "returned": 0.03,
}
# How many days an open case has been in its state, at most (uniform from 0): about twice
# the working-day limit of the state, so that some are overdue and some due soon.
DAYS_IN_STATE = {
    "draft": 14,
    "submitted": 7,
    "verifying": 7,
    "township_review": 30,
    "public_notice": 7,
    "county_approval": 10,
    "returned": 20,
}
# The state a case came from into its state (its last timeline event).
CAME_FROM = {
    "submitted": "draft",
    "verifying": "submitted",
    "township_review": "verifying",
    "public_notice": "township_review",
    "county_approval": "public_notice",
    "approved": "county_approval",
    "rejected": "county_approval",
    "returned": "township_review",
}
STEP_INTO = {
    "submitted": "submit",
    "verifying": "verify",
    "township_review": "start_review",
    "public_notice": "record_visit",
    "county_approval": "close_notice",
    "approved": "approve",
    "rejected": "reject",
    "returned": "return",
}
VERSION = {
    "draft": 1,
    "submitted": 2,
    "verifying": 3,
    "township_review": 4,
    "public_notice": 5,
    "county_approval": 6,
    "approved": 7,
    "rejected": 7,
    "returned": 4,
}
WITH_PROGRAMMES = {"public_notice", "county_approval", "approved", "rejected"}
CHANNELS = {"counter": 0.6, "online": 0.25, "discovery": 0.1, "referral": 0.05}
PASSWORD = "bench-Passw0rd!"
WARM_UP = 5


def load_regions() -> dict[str, dict[str, list[str]]]:
    """The divisions and the synthetic townships and villages of every county; returns the
    villages of each township of the counties that get cases."""
    from minzheng.regions.services import regions_load_divisions, regions_load_file
    from minzheng.synth.calibration import load_calibration
    from minzheng.synth.geography import build_subcounty, load_counties
    from minzheng.synth.lake import _write_regions

    regions_load_divisions()
    calibration = load_calibration()
    counties = load_counties(calibration)
    build_subcounty(counties, calibration, SEED)
    folder = Path(tempfile.mkdtemp(prefix="bench-regions-"))
    _write_regions(folder, counties)
    regions_load_file(path=folder / "regions" / "subcounty.csv")
    villages: dict[str, dict[str, list[str]]] = {}
    for county in counties:
        if county.code == COUNTY or county.code in OTHER_COUNTIES:
            towns: dict[str, list[str]] = {t["code"]: [] for t in county.townships}
            for v in county.villages:
                towns[v["parent_code"]].append(v["code"])
            villages[county.code] = towns
    return villages


def create_users(villages: dict[str, dict[str, list[str]]]) -> tuple[dict, dict, object, object]:
    """Three caseworkers per township (`cw` one of those of TOWNSHIP), an approver per
    county (`ap` of COUNTY). Only `cw` and `ap` can log in; the others are bulk-created."""
    from django.contrib.auth.hashers import make_password

    from minzheng.accounts.models import User
    from minzheng.accounts.services import user_create
    from minzheng.regions.models import Region

    cw = user_create(
        username="cw",
        password=PASSWORD,
        role="caseworker",
        region=Region.objects.get(code=TOWNSHIP),
    )
    ap = user_create(
        username="ap", password=PASSWORD, role="approver", region=Region.objects.get(code=COUNTY)
    )
    unusable = make_password(None)
    others = [
        User(username=f"cw{town}_{i}", role="caseworker", region_id=town, password=unusable)
        for towns in villages.values()
        for town in towns
        for i in range(3)
        if not (town == TOWNSHIP and i == 0)
    ] + [
        User(username=f"ap{county}", role="approver", region_id=county, password=unusable)
        for county in villages
        if county != COUNTY
    ]
    User.objects.bulk_create(others, batch_size=2000)
    by_username = {u.username: u for u in User.objects.exclude(username__in=["cw", "ap"])}
    caseworkers = {
        town: [
            cw if (town == TOWNSHIP and i == 0) else by_username[f"cw{town}_{i}"] for i in range(3)
        ]
        for towns in villages.values()
        for town in towns
    }
    approvers = {c: ap if c == COUNTY else by_username[f"ap{c}"] for c in villages}
    return caseworkers, approvers, cw, ap


def create_cases(n: int, share: float, villages, caseworkers, approvers) -> dict[str, int]:
    """N cases spread over counties (`share` of them in COUNTY), townships, villages, states
    and dates (not timed)."""
    from django.utils import timezone

    from minzheng.cases import services, workflow
    from minzheng.cases.models import Case, CaseEvent, CaseProgramme
    from minzheng.lib import workdays

    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    calendar = services.calendar()
    limits = {
        state: services.parameter(f"cases.limit_{step}", COUNTY, today)
        for state, step in workflow.LIMITS.items()
    }
    notice_days = services.parameter("cases.notice_days", COUNTY, today)
    due_cache: dict[tuple[dt.date, int], dt.date] = {}

    def due(since: dt.date, days: int) -> dt.date:
        if (since, days) not in due_cache:
            due_cache[(since, days)] = workdays.add_workdays(since, days, calendar)
        return due_cache[(since, days)]

    # Townships are not equally busy: a weight from 0.5 to 1.5 each.
    town_weights = {
        county: [rng.uniform(0.5, 1.5) for _ in towns] for county, towns in villages.items()
    }
    shares = {COUNTY: share} | {c: (1 - share) / len(OTHER_COUNTIES) for c in OTHER_COUNTIES}
    counties = rng.choices(list(shares), weights=list(shares.values()), k=n)
    states = rng.choices(list(STATE_SHARES), weights=list(STATE_SHARES.values()), k=n)
    channels = rng.choices(list(CHANNELS), weights=list(CHANNELS.values()), k=n)
    sequence: Counter[str] = Counter()
    cases = []
    for i, (county, state, channel) in enumerate(zip(counties, states, channels, strict=True)):
        town = rng.choices(list(villages[county]), weights=town_weights[county])[0]
        village = rng.choice(villages[county][town])
        workers = caseworkers[town]
        opener = rng.choice(workers)
        reviewer = rng.choice([w for w in workers if w is not opener])
        fields = {}
        if state in workflow.FINAL:
            created = now - dt.timedelta(days=rng.uniform(20, 730))
            since = created + dt.timedelta(days=rng.uniform(10, 19))
            fields = {
                "decided_by": approvers[county],
                "decided_at": since,
                "decision_reason": "" if state == "approved" else "收入超过低保标准",
                "reviewed_by": reviewer,
            }
        else:
            since = now - dt.timedelta(days=rng.uniform(0, DAYS_IN_STATE[state]))
            created = since - dt.timedelta(days=rng.uniform(0, 30) if state != "draft" else 0)
            if state in limits:
                fields["due_date"] = due(timezone.localtime(since).date(), limits[state])
            if state == "public_notice":
                fields["notice_until"] = timezone.localtime(since).date() + dt.timedelta(
                    days=notice_days
                )
            if state in ("public_notice", "county_approval"):
                fields["reviewed_by"] = reviewer
            if state == "returned":
                fields["returned_reason"] = "请补充近六个月的收入证明"
        day = timezone.localtime(created).date()
        prefix = f"JZ{county}{day:%Y%m%d}"
        sequence[prefix] += 1
        cases.append(
            Case(
                number=f"{prefix}{sequence[prefix]:05d}",
                household_id=f"H{county}{i:07d}",
                region_code=village,
                channel=channel,
                state=state,
                version=VERSION[state],
                as_of=dt.date(2020, 12, 31),
                created_by=opener,
                state_since=since,
                **fields,
            )
        )
    t = time.perf_counter()
    cases = Case.objects.bulk_create(cases, batch_size=2000)
    if not all(c.pk for c in cases):  # SQLite before 3.35 gives no ids back
        by_number = dict(Case.objects.values_list("number", "pk"))
        for c in cases:
            c.pk = by_number[c.number]
    seconds = {"cases": time.perf_counter() - t}
    t = time.perf_counter()
    programmes = []
    for c in cases:
        if c.state not in WITH_PROGRAMMES:
            continue
        eligible = c.state != "rejected"
        programmes.append(
            CaseProgramme(
                case=c,
                programme="dibao",
                proposed=True,
                included=eligible,
                status="eligible" if eligible else "ineligible",
                monthly_amount=Decimal(rng.randrange(20000, 110000)) / 100 if eligible else None,
            )
        )
        if rng.random() < 0.3:
            programmes.append(
                CaseProgramme(
                    case=c, programme="medical", proposed=True, included=True, status="referral"
                )
            )
    CaseProgramme.objects.bulk_create(programmes, batch_size=2000)
    seconds["programmes"] = time.perf_counter() - t
    t = time.perf_counter()
    events = []
    for c in cases:
        events.append(CaseEvent(case=c, actor=c.created_by, action="open", to_state="draft"))
        if c.state != "draft":
            events.append(
                CaseEvent(
                    case=c,
                    actor=c.decided_by or c.reviewed_by or c.created_by,
                    action=STEP_INTO[c.state],
                    from_state=CAME_FROM[c.state],
                    to_state=c.state,
                    reason=c.returned_reason or c.decision_reason,
                )
            )
    CaseEvent.objects.bulk_create(events, batch_size=5000)
    seconds["events"] = time.perf_counter() - t
    print(
        f"set-up: {len(cases):,} cases in {seconds['cases']:.1f} s, {len(programmes):,} "
        f"programmes in {seconds['programmes']:.1f} s, {len(events):,} events in "
        f"{seconds['events']:.1f} s",
        file=sys.stderr,
    )
    return {"cases": len(cases), "programmes": len(programmes), "events": len(events)}


def expected_lists(user) -> dict[str, int]:
    """What the pages must show, counted directly in the database (not timed)."""
    from django.utils import timezone

    from minzheng.cases import services, workflow
    from minzheng.cases.models import Case
    from minzheng.cases.selectors import DUE_SOON_WORKDAYS
    from minzheng.lib import workdays

    today = timezone.localdate()
    soon = workdays.add_workdays(today, DUE_SOON_WORKDAYS, services.calendar())
    scope = Case.objects.filter(region_code__startswith=user.region.prefix).exclude(
        state__in=workflow.FINAL
    )
    return {
        "open": scope.count(),
        "overdue": scope.filter(due_date__lt=today).count(),
        "due_soon": scope.filter(due_date__gte=today, due_date__lte=soon).count(),
        "returned": scope.filter(state=workflow.RETURNED).count(),
        "mine": scope.filter(created_by=user).count(),
        "queue": scope.filter(state=workflow.COUNTY_APPROVAL).count(),
    }


def check_in_scope(numbers: list[str], user) -> None:
    from minzheng.cases.models import Case

    found = Case.objects.filter(number__in=numbers, region_code__startswith=user.region.prefix)
    assert found.count() == len(set(numbers)), "a listed case is not in the user's scope"


def check_worklist(response, user, expected: dict[str, int]) -> None:
    html = response.content.decode()
    sections = dict(re.findall(r'data-testid="list-(\w+)">(.*?)</section>', html, re.S))
    assert list(sections) == ["overdue", "due_soon", "returned", "mine"], list(sections)
    for key, body in sections.items():
        total = int(re.search(r"<h2>.*?\((\d+)\)</h2>", body, re.S).group(1))
        numbers = re.findall(r'href="/cases/(JZ\d+)/"', body)
        assert total == expected[key], (key, total, expected[key])
        assert len(numbers) == min(total, 50), (key, len(numbers))
        check_in_scope(numbers, user)
    if user.role == "approver":
        assert "/cases/queue/" in html and str(expected["queue"]) in html
    assert sum(expected[k] for k in sections) > 0, "the worklist lists no case"


def check_queue(response, user, expected: dict[str, int]) -> None:
    html = response.content.decode()
    total = int(re.search(r"<h1>.*?\((\d+)\)</h1>", html, re.S).group(1))
    numbers = re.findall(r'name="numbers" value="(JZ\d+)"', html)
    assert total == expected["queue"] > 0, (total, expected["queue"])
    assert len(numbers) == min(total, 100), len(numbers)
    check_in_scope(numbers, user)


def check_api(response, user, expected: dict[str, int], state: str | None = None) -> None:
    rows = json.loads(response.content)
    total = expected["queue"] if state else expected["open"]
    assert len(rows) == min(total, 100) > 0, (len(rows), total)
    assert all(r["state"] not in ("approved", "rejected") for r in rows)
    assert state is None or all(r["state"] == state for r in rows)
    check_in_scope([r["number"] for r in rows], user)


def client_for(user):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def measure(client, url: str, requests: int, check) -> dict:
    """Time `requests` GETs of `url` after the warm-up; every response is checked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        check(response)
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    check(response)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[math.ceil(0.95 * len(times)) - 1],  # nearest rank
        "max": times[-1],
        "queries": queries.captured_queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=200_000)
    parser.add_argument("--postgres", help="a database URL to use (dropped and recreated)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument(
        "--keep", action="store_true", help="reuse the PostgreSQL database of an earlier run"
    )
    parser.add_argument("--queries", action="store_true", help="print each page's queries")
    parser.add_argument(
        "--county-share",
        type=float,
        default=COUNTY_SHARE,
        help=f"share of the cases in {COUNTY} (default {COUNTY_SHARE}; the rest evenly elsewhere)",
    )
    options = parser.parse_args()
    if options.keep and not options.postgres:
        parser.error("--keep needs --postgres")
    open_database(options.postgres, fresh=not options.keep)
    from django.db import connection

    from minzheng.accounts.models import User
    from minzheng.cases.models import Case

    if options.keep:
        cw, ap = User.objects.get(username="cw"), User.objects.get(username="ap")
        n = Case.objects.count()
    else:
        t = time.perf_counter()
        villages = load_regions()
        caseworkers, approvers, cw, ap = create_users(villages)
        print(f"set-up: regions and users in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        n = create_cases(options.n, options.county_share, villages, caseworkers, approvers)["cases"]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    expected = {u.username: expected_lists(u) for u in (cw, ap)}
    for name, counts in expected.items():
        print(f"{name}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), file=sys.stderr)
    pages = [
        ("worklist", "/cases/", cw, check_worklist),
        ("worklist", "/cases/", ap, check_worklist),
        ("queue", "/cases/queue/", ap, check_queue),
        ("API list", "/api/cases", cw, check_api),
        ("API list", "/api/cases", ap, check_api),
        (
            "API list, waiting for approval",
            "/api/cases?state=county_approval",
            ap,
            lambda r, u, e: check_api(r, u, e, "county_approval"),
        ),
    ]
    clients = {cw.username: client_for(cw), ap.username: client_for(ap)}
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 403 below
    denied = clients["cw"].get("/cases/queue/").status_code
    assert denied == 403, denied
    database = connection.vendor
    print(
        f"\n{database}, {n:,} cases, {options.requests} requests per page after {WARM_UP} warm-up"
        f"; load average {os.getloadavg()[0]:.2f} at the start"
    )
    print("| page | user | p50 | p95 | max | SQL queries |")
    print("|---|---|---|---|---|---|")
    details = []
    by_user = defaultdict(str, {"cw": f"caseworker of {TOWNSHIP}", "ap": f"approver of {COUNTY}"})
    for label, url, user, check in pages:
        result = measure(
            clients[user.username],
            url,
            options.requests,
            lambda r, user=user, check=check: check(r, user, expected[user.username]),
        )
        print(
            f"| {label} `{url}` | {by_user[user.username]} | {result['p50']:.1f} ms | "
            f"{result['p95']:.1f} ms | {result['max']:.1f} ms | {len(result['queries'])} |",
            flush=True,
        )
        details.append((label, user.username, result["queries"]))
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if options.queries:
        for label, username, queries in details:
            print(f"\n{label} ({username}):")
            for q in queries:
                print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")


if __name__ == "__main__":
    main()
