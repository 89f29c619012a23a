"""Bulk approval of one county's queue: N cases approved in one action.

    .venv/bin/python bench/cases_bulk.py [N] [--postgres URL]

Sets up a fresh database (SQLite in a temporary folder, or the PostgreSQL database URL,
dropped and created again), the regions, a township caseworker and the county's approver
of 上城区, and N cases of the county waiting for approval, each with one programme (not
timed); then times `case_approve_many` over all of them and prints the wall time, the
approved and refused counts and the process's peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from decimal import Decimal
from urllib.parse import urlparse


def fresh_postgres(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')


def open_database(postgres: str | None, *, fresh: bool = True) -> None:
    """Set Django up on a new SQLite database in a temporary folder, or on the PostgreSQL
    database URL `postgres` (dropped and created again unless `fresh` is false), migrated."""
    os.environ["MINZHENG_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-cases-")
    if postgres:
        if fresh:
            fresh_postgres(postgres)
        os.environ["DATABASE_URL"] = postgres
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--postgres", help="a database URL to use (dropped and recreated)")
    options = parser.parse_args()
    open_database(options.postgres)
    from django.utils import timezone

    from minzheng.accounts.services import user_create
    from minzheng.cases import services, workflow
    from minzheng.cases.models import Case, CaseProgramme
    from minzheng.regions.models import Region
    from minzheng.regions.services import (
        DEMO_SUBCOUNTY_FILE,
        regions_load_divisions,
        regions_load_file,
    )

    regions_load_divisions()
    regions_load_file(path=DEMO_SUBCOUNTY_FILE)
    password = "bench-Passw0rd!"
    caseworker = user_create(
        username="cw",
        password=password,
        role="caseworker",
        region=Region.objects.get(code="330102001"),
    )
    approver = user_create(
        username="ap", password=password, role="approver", region=Region.objects.get(code="330102")
    )
    now = timezone.now()
    today = timezone.localdate()
    numbers = [f"JZ330102{today:%Y%m%d}{i:06d}" for i in range(options.n)]
    t = time.perf_counter()
    cases = Case.objects.bulk_create(
        [
            Case(
                number=number,
                household_id=f"H330102{i:07d}",
                region_code="330102001001",
                channel="counter",
                state=workflow.COUNTY_APPROVAL,
                as_of=dt.date(2020, 12, 31),
                created_by=caseworker,
                reviewed_by=caseworker,
                state_since=now,
            )
            for i, number in enumerate(numbers)
        ],
        batch_size=2000,
    )
    if not all(c.pk for c in cases):  # SQLite before 3.35 gives no ids back
        cases = list(Case.objects.order_by("pk"))
    CaseProgramme.objects.bulk_create(
        [
            CaseProgramme(
                case=c,
                programme="dibao",
                proposed=True,
                included=True,
                status="eligible",
                monthly_amount=Decimal("886.00"),
            )
            for c in cases
        ],
        batch_size=2000,
    )
    print(f"set-up: {options.n:,} cases in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    t = time.perf_counter()
    result = services.case_approve_many(user=approver, request=None, numbers=numbers)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    database = "PostgreSQL" if options.postgres else "SQLite"
    print(
        f"{database}: {options.n:,} cases, {len(result['approved']):,} approved, "
        f"{len(result['refused']):,} refused in {seconds:.1f} s; peak {peak:.2f} GiB"
    )


if __name__ == "__main__":
    main()
