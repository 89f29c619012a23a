"""The discovery task list as its users see it, with many tasks in the database (issue #13).

    .venv/bin/python bench/discovery_tasks.py [N] [--postgres URL] [--requests R] [--keep]
        [--county-share S] [--queries] [--wait-load L]

For issue #13's goal (500,000 tasks in PostgreSQL, task list p95 under 150 ms):

    .venv/bin/python bench/discovery_tasks.py --postgres \
        postgres://postgres@127.0.0.1:5432/minzheng_bench_tasks

Sets up a fresh database (SQLite in a temporary folder, or the PostgreSQL database URL,
dropped and created again) as `cases_lists.py` does, then (not timed): the regions with the
synthetic townships and villages of every county (`minzheng.synth.geography`, seed 1), three
caseworkers in every township and an approver in each county (`cases_lists.create_users`),
and N discovery tasks (default 500,000): a fifth (S) in 上城区 (330102), the rest spread over
nine other counties of four cities, across their townships and villages; raised over two
years from screening findings, warning signals and public reports, with the evidence, key
and priority that `services.tasks_raise` (and `reports.report_submit`) give them; most
closed as not needed or converted to a case, the rest open or being visited, due ten
working days after they were raised (`discovery.task_limit`; some overdue). Converted tasks
name no case (the lists show open tasks only, which never have one) and reports have no
`PublicReport` rows. On PostgreSQL then `VACUUM ANALYZE` (as autovacuum would). `--keep`
reuses the PostgreSQL database of an earlier run as it is.

Then it times, through Django's test client and a real clock, with a session of the
township caseworker of 330102001 (`cw`) and of the approver of 上城区 (`ap`; the role matrix
gives both `discovery.view_task`): the task list `GET /discovery/` and the API's list
`GET /api/discovery/tasks`, R requests each (default 200) after 5 warm-up requests. Every
response is checked (outside the timed span): status 200, the page's total and its counts
by region (open, overdue) as counted directly in the database, the first page's rows exactly
those of a direct query (in the user's scope, open, in due-date order). Prints p50, p95
(nearest rank) and max per page, the number of SQL queries of one request (with
`--queries`, each query and its time) and the machine's load average before and after.
`--wait-load L` waits (up to 10 minutes) for the 1-minute load average to fall below L
before timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import math
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases_bulk import open_database  # noqa: E402
from cases_lists import (  # noqa: E402
    COUNTY,
    OTHER_COUNTIES,
    PASSWORD,
    TOWNSHIP,
    client_for,
    create_users,
    load_regions,
)

SEED = 1
COUNTY_SHARE = 0.2
# Share of the tasks by state: most visited and closed as not needed or converted to a
# case over the two years, the backlog open or being visited.
STATE_SHARES = {"open": 0.10, "visiting": 0.05, "converted": 0.15, "closed": 0.70}
# What raised a task: screening findings (with signals sometimes), signals alone, a report.
SOURCE_SHARES = {"screening": 0.55, "signal": 0.40, "report": 0.05}
# How many days ago an open task was raised, at most (uniform from 0): the limit is ten
# working days (two weeks), so that some are overdue and some due soon.
DAYS_OPEN = {"open": 25, "visiting": 35}
# A finding: (register programme, kind, per person); weights of their frequency.
FINDINGS = {
    ("dibao", "eligible_not_enrolled", False): 0.30,
    ("dibao", "enrolled_ineligible", False): 0.15,
    ("dibao", "amount_changed", False): 0.10,
    ("dibian", "eligible_not_enrolled", False): 0.12,
    ("tekun", "eligible_not_enrolled", True): 0.05,
    ("disability_living", "eligible_not_enrolled", True): 0.10,
    ("disability_care", "eligible_not_enrolled", True): 0.08,
    ("kunjing_child", "eligible_not_enrolled", True): 0.05,
    ("orphan", "enrolled_ineligible", True): 0.05,
}
# The signals of signals.yaml, their frequency weights (their priority weights come from it).
SIGNALS = {
    "medical_spending": 0.35,
    "unemployed_low_income": 0.25,
    "old_alone": 0.15,
    "new_severe_disability": 0.10,
    "earner_died": 0.10,
    "child_without_parents": 0.05,
}
REASONS = ["income_above_standard", "assets_above_limit", "vehicle", "housing"]
CLOSED_REASONS = [
    "入户核查：家庭人均收入已高于当地低保标准，暂无需救助",
    "入户核查：家庭已由子女赡养，生活有保障",
    "入户核查：医疗费用已由大病保险报销，家庭无困难",
    "入户核查：当事人已就业，收入稳定",
    "入户核查：户籍人员已迁出本辖区，转迁入地核查",
    "电话及入户均联系不上，村委会核实家庭无困难",
]
REPORT_TEXTS = [
    ("村东头老李家", "老人独居，腿脚不便，最近没见有人照顾"),
    ("小区3号楼", "一家人男主人去世，孩子还在上学，生活困难"),
    ("集贸市场旁出租屋", "外地来的母子俩，孩子生病住院，拿不出钱"),
    ("村委会附近", "残疾人一个人生活，房子漏雨"),
]
WARM_UP = 5


def _key(items: list[dict]) -> str:
    """The key `services.tasks_raise` gives a task's evidence (see `services._key`)."""
    canonical = sorted(json.dumps(i, sort_keys=True, ensure_ascii=False) for i in items)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


@contextmanager
def raised_at_will(model):
    """Let bulk_create keep the creation and state times the benchmark gives (auto_now_add
    would stamp every row with the time of the insert)."""
    fields = [f for f in model._meta.fields if getattr(f, "auto_now_add", False)]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def create_tasks(n: int, share: float, villages, caseworkers, chunk: int = 20_000) -> dict:
    """N tasks over counties (`share` of them in COUNTY), townships, villages, states,
    sources and dates, in chunks of `chunk` (not timed)."""
    from django.utils import timezone

    from minzheng.cases.services import calendar
    from minzheng.discovery import services
    from minzheng.discovery.models import Task
    from minzheng.discovery.signals import load_signals
    from minzheng.lib import idcard, workdays

    rng = random.Random(SEED)
    now = timezone.now()
    weights = {s.name: s.weight for s in load_signals().signals}
    holidays = calendar()
    due_cache: dict[dt.date, dt.date] = {}

    def due(raised: dt.date) -> dt.date:
        if raised not in due_cache:
            limit = services.parameter("discovery.task_limit", COUNTY, raised)
            due_cache[raised] = workdays.add_workdays(raised, limit, holidays)
        return due_cache[raised]

    finding_weight = float(services.parameter("discovery.finding_weight", COUNTY, now.date()))
    town_weights = {
        county: [rng.uniform(0.5, 1.5) for _ in towns] for county, towns in villages.items()
    }
    shares = {COUNTY: share} | {c: (1 - share) / len(OTHER_COUNTIES) for c in OTHER_COUNTIES}
    findings, finding_weights = list(FINDINGS), list(FINDINGS.values())
    signals, signal_weights = list(SIGNALS), list(SIGNALS.values())
    households: Counter[str] = Counter()  # the last household number of each county
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)  # county → (household, village)
    sequence: Counter[str] = Counter()
    counts: Counter[str] = Counter()

    def person(county: str) -> str:
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
        return idcard.make(county, born, rng.randrange(0, 1000))

    def finding_item(county: str, programme: str, kind: str, per_person: bool) -> dict:
        status = "eligible" if kind == "eligible_not_enrolled" else "ineligible"
        income = Decimal(rng.randrange(20_000, 300_000)) / 100
        figures = {"per_capita_income": str(income), "dibao_status": status}
        if status == "eligible":
            figures["dibao_monthly_amount"] = str(Decimal(rng.randrange(10_000, 110_000)) / 100)
        else:
            figures["dibao_reasons"] = ",".join(rng.sample(REASONS, rng.choice((1, 1, 2))))
        return {
            "source": "screening",
            "what": f"{programme}:{kind}",
            "person": person(county) if per_person else "",
            "figures": figures,
        }

    def signal_item(county: str, name: str, raised: dt.date) -> dict:
        when = raised - dt.timedelta(days=rng.randrange(5, 60))
        amount = (
            str(Decimal(rng.randrange(2_000_000, 8_000_000)) / 100)
            if name == "medical_spending"
            else None
        )
        return {
            "source": "signal",
            "what": name,
            "person": person(county),
            "figures": {"when": when.isoformat(), "amount": amount},
        }

    def make(county: str, state: str, source: str) -> Task:
        towns = list(villages[county])
        town = rng.choices(towns, weights=town_weights[county])[0]
        if state in DAYS_OPEN:
            created = now - dt.timedelta(days=rng.uniform(0, DAYS_OPEN[state]))
            since = (
                created + (now - created) * rng.uniform(0, 1) if state == "visiting" else created
            )
        else:
            created = now - dt.timedelta(days=rng.uniform(20, 730))
            since = created + dt.timedelta(days=rng.uniform(2, 20))
        raised = timezone.localtime(created).date()
        as_of = raised.replace(day=1) - dt.timedelta(days=1)  # last month's data
        household, village = "", rng.choice(villages[county][town])
        if state not in DAYS_OPEN and seen[county] and rng.random() < 0.15:
            household, village = rng.choice(seen[county])  # a household raised again
        elif source != "report" or state == "converted" or rng.random() < 0.5:
            households[county] += 1
            household = f"H{county}{households[county]:07d}"
            seen[county].append((household, village))
        if source == "report":
            location, description = rng.choice(REPORT_TEXTS)
            items = [
                {
                    "source": "report",
                    "what": "report",
                    "person": "",
                    "figures": {"location": location, "description": description},
                }
            ]
            key = hashlib.sha256(f"{town}\n{location}\n{description}".encode()).hexdigest()
            priority, region = finding_weight, town
        else:
            items, names = [], set()
            if source == "screening":
                for f in {
                    rng.choices(findings, finding_weights)[0] for _ in range(rng.choice((1, 1, 2)))
                }:
                    items.append(finding_item(county, *f))
            for _ in range(
                rng.choice((1, 1, 1, 2, 3)) if source == "signal" else rng.choice((0, 0, 1))
            ):
                name = rng.choices(signals, signal_weights)[0]
                names.add(name)
                items.append(signal_item(county, name, raised))
            items.sort(key=lambda i: (i["source"], i["what"], i["person"]))
            key = _key(items)
            found = any(i["source"] == "screening" for i in items)
            priority = min(
                1.0, sum(weights.get(s, 0) for s in names) + (finding_weight if found else 0)
            )
            region = village
        prefix = f"RW{county}{raised:%Y%m%d}"
        sequence[prefix] += 1
        workers = caseworkers[town]
        fields = {}
        if state != "open":
            fields["acted_by"] = rng.choice(workers)
        if state == "closed":
            fields["closed_reason"] = rng.choice(CLOSED_REASONS)
        counts[state] += 1
        return Task(
            number=f"{prefix}{sequence[prefix]:06d}",
            household_id=household,
            region_code=region,
            source=source,
            state=state,
            as_of=as_of,
            evidence=items,
            evidence_key=key,
            priority=priority,
            due_date=due(raised),
            created_at=created,
            state_since=since,
            **fields,
        )

    t = time.perf_counter()
    total = 0
    with raised_at_will(Task):
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            counties = rng.choices(list(shares), weights=list(shares.values()), k=size)
            states = rng.choices(list(STATE_SHARES), weights=list(STATE_SHARES.values()), k=size)
            sources = rng.choices(list(SOURCE_SHARES), weights=list(SOURCE_SHARES.values()), k=size)
            tasks = [make(*row) for row in zip(counties, states, sources, strict=True)]
            Task.objects.bulk_create(tasks, batch_size=2000)
            total += len(tasks)
    seconds = time.perf_counter() - t
    print(
        f"set-up: {total:,} tasks in {seconds:.1f} s ("
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + ")",
        file=sys.stderr,
    )
    return {"tasks": total, "seconds": seconds}


def expected_lists(user) -> dict:
    """What the pages must show, counted and listed directly in the database (not timed)."""
    from django.db.models.functions import Substr
    from django.utils import timezone

    from minzheng.discovery.models import Task

    today = timezone.localdate()
    scope = Task.objects.filter(
        region_code__startswith=user.region.prefix, state__in=["open", "visiting"]
    )
    width = user.region.level_enum.child.prefix_length
    parts = Counter(scope.annotate(p=Substr("region_code", 1, width)).values_list("p", flat=True))
    late = Counter(
        scope.filter(due_date__lt=today)
        .annotate(p=Substr("region_code", 1, width))
        .values_list("p", flat=True)
    )
    length = user.region.level_enum.child.code_length
    return {
        "open": scope.count(),
        "overdue": scope.filter(due_date__lt=today).count(),
        "by_region": {p.ljust(length, "0"): (n, late[p]) for p, n in parts.items()},
        "first": list(
            scope.order_by("due_date", "-priority", "number").values_list("number", flat=True)[:100]
        ),
        "today": today,
    }


def check_page(response, user, expected: dict) -> None:
    html = response.content.decode()
    total = int(re.search(r"<h1>.*?\((\d+)\)</h1>", html, re.S).group(1))
    assert total == expected["open"] > 0, (total, expected["open"])
    numbers = re.findall(r'href="/discovery/tasks/(RW\d+)/"', html)
    assert numbers == expected["first"], "the first page is not the expected tasks"
    regions = re.search(r'data-testid="tasks-by-region">(.*?)</section>', html, re.S).group(1)
    rows = re.findall(
        r'<td>[^<]*\((\d+)\)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>', regions
    )
    shown = {code: (int(n), int(late)) for code, n, late in rows}
    assert shown == expected["by_region"], "the counts by region differ from the database's"
    assert sum(late for _, late in shown.values()) == expected["overdue"]


def check_api(response, user, expected: dict) -> None:
    rows = json.loads(response.content)
    assert [r["number"] for r in rows] == expected["first"], "the API's first page differs"
    assert all(r["state"] in ("open", "visiting") for r in rows)
    today = expected["today"].isoformat()
    assert all(r["overdue"] == (r["due_date"] < today) for r in rows)
    assert all(r["case"] is None for r in rows)


def check_in_scope(numbers: list[str], user) -> None:
    from minzheng.discovery.models import Task

    found = Task.objects.filter(number__in=numbers, region_code__startswith=user.region.prefix)
    assert found.count() == len(set(numbers)), "a listed task is not in the user's scope"


def measure(client, url: str, requests: int, check) -> dict:
    """Time `requests` GETs of `url` after the warm-up; every response is checked, outside
    the timed span."""
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


def wait_for_load(limit: float, patience: float = 600) -> None:
    start = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - start < patience:
        time.sleep(15)
    print(
        f"waited {time.monotonic() - start:.0f} s for the load average to fall below {limit}: "
        f"{os.getloadavg()[0]:.2f}",
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=500_000)
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
        help=f"share of the tasks in {COUNTY} (default {COUNTY_SHARE}; the rest evenly elsewhere)",
    )
    parser.add_argument(
        "--wait-load",
        type=float,
        help="before timing, wait (up to 10 minutes) for the load average to fall below this",
    )
    options = parser.parse_args()
    if options.keep and not options.postgres:
        parser.error("--keep needs --postgres")
    open_database(options.postgres, fresh=not options.keep)
    from django.db import connection

    from minzheng.accounts.models import User
    from minzheng.accounts.services import user_create
    from minzheng.discovery.models import Task

    if options.keep:
        cw, ap = User.objects.get(username="cw"), User.objects.get(username="ap")
        n = Task.objects.count()
    else:
        t = time.perf_counter()
        villages = load_regions()
        caseworkers, _approvers, cw, ap = create_users(villages)
        print(f"set-up: regions and users in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        n = create_tasks(options.n, options.county_share, villages, caseworkers)["tasks"]
        if connection.vendor == "postgresql":
            t = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            print(f"set-up: VACUUM ANALYZE in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_size_pretty(pg_table_size('discovery_task')),"
                " pg_size_pretty(pg_indexes_size('discovery_task')), version()"
            )
            table, indexes, version = cursor.fetchone()
        print(f"discovery_task: {table} table, {indexes} indexes; {version}", file=sys.stderr)
    print(
        "tasks by state: " + str(dict(Counter(Task.objects.values_list("state", flat=True)))),
        file=sys.stderr,
    )
    expected = {u.username: expected_lists(u) for u in (cw, ap)}
    for name, e in expected.items():
        print(
            f"{name}: open {e['open']:,}, overdue {e['overdue']:,}, "
            f"{len(e['by_region'])} regions below",
            file=sys.stderr,
        )
    pages = [
        ("task list", "/discovery/", cw, check_page),
        ("task list", "/discovery/", ap, check_page),
        ("API list", "/api/discovery/tasks", cw, check_api),
        ("API list", "/api/discovery/tasks", ap, check_api),
    ]
    clients = {cw.username: client_for(cw), ap.username: client_for(ap)}
    for user in (cw, ap):  # the first page of each, in scope
        response = clients[user.username].get("/api/discovery/tasks")
        check_in_scope([r["number"] for r in json.loads(response.content)], user)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 403 below
    analyst = User.objects.filter(username="an").first() or user_create(
        username="an", password=PASSWORD, role="analyst", region=ap.region.parent
    )
    denied = client_for(analyst).get("/discovery/").status_code
    assert denied == 403, denied
    if options.wait_load is not None:
        wait_for_load(options.wait_load)
    database = connection.vendor
    print(
        f"\n{database}, {n:,} tasks, {options.requests} requests per page after {WARM_UP} warm-up"
        f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start"
    )
    print("| page | user | p50 | p95 | max | SQL queries |")
    print("|---|---|---|---|---|---|")
    details = []
    by_user = {"cw": f"caseworker of {TOWNSHIP}", "ap": f"approver of {COUNTY}"}
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
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    if options.queries:
        for label, username, queries in details:
            print(f"\n{label} ({username}):")
            for q in queries:
                print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")


if __name__ == "__main__":
    main()
