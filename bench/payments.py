"""The monthly payment run of the whole province (issue #12).

    .venv/bin/python bench/payments.py [--lake DIR] [--postgres URL] [--month 2026-11]

1. The lake (default var/bench-lake-1.0, generated with `minzheng synth --scale 1.0 --seed 1`
   when it does not exist) and its lookup index (`minzheng verify index`), used as
   MINZHENG_LAKE.
2. A fresh PostgreSQL database (dropped and created again), migrated, with the regions (the
   shipped divisions and the lake's regions/subcounty.csv) and one approver per county.
3. Not timed: for every household the lake's `enrolments` feed lists, an approved case whose
   `basis` holds the inputs at the snapshot date in the explainer's JSON form, and its
   enrolments from the month paid on (the household for a household's programme, each
   enrolled member for a programme paid to persons), at the amounts of one
   `entitlements.monthly` call per chunk over those inputs (the decided amounts).
4. Timed, in a child process (wall time and the peak memory of its process tree, sampled
   from /proc as bench/memwatch.py does; the child also reports its ru_maxrss): the payment
   run of every county for the month, each by its county's approver as `minzheng payments
   run` does, with per-phase times; then a second run of the same month (it must add 0
   lines).

`--skip-setup` reuses the database of an earlier call (its payments removed and the
enrolments the run ended made active again first), to time the run again after a change.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memwatch import run as watched  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_LAKE = ROOT / "var" / "bench-lake-1.0"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/minzheng_bench_pay"
PROTECTED = {"minzheng", "minzheng_lead", "postgres", "template0", "template1"}
# The registry's programme codes → the programme paid monthly by the engine (dibian, the
# marginal households, has no monthly amount of its own: not paid by the run).
PROGRAMMES = {
    "dibao": "dibao",
    "tekun": "tekun",
    "disability_care": "disability",
    "disability_living": "disability",
    "orphan": "child",
    "de_facto_child": "child",
    "kunjing_child": "child",
}
BATCH = 5_000


def log(message: str) -> None:
    print(
        f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True
    )


def load() -> float:
    return os.getloadavg()[0]


def ensure_lake(lake: Path, scale: float) -> bool:
    """Generate the lake if missing (True) and build its lookup index if missing."""
    made = False
    if not (lake / "_lake.json").is_file():
        log(f"generating the lake {lake} (scale {scale}, seed 1)")
        command = [str(BIN / "minzheng"), "synth", "--scale", str(scale), "--seed", "1"]
        seconds, gib, done = watched(command + ["--out", str(lake)])
        made = True
        if done.returncode:
            sys.exit(done.stderr[-2000:])
        log(f"lake: {seconds:.1f} s, peak {gib:.2f} GiB")
    if not (lake / "_index.duckdb").is_file():
        log("building the lookup index")
        seconds, gib, done = watched([str(BIN / "minzheng"), "verify", "index", str(lake)])
        if done.returncode:
            sys.exit(done.stderr[-2000:])
        log(f"index: {seconds:.1f} s, peak {gib:.2f} GiB")
    return made


def fresh_postgres(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if name in PROTECTED or not name.startswith("minzheng_bench"):
        sys.exit(f"refusing to drop the database {name!r}")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str, lake: Path) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["MINZHENG_LAKE"] = str(lake)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    import django

    django.setup()


# --- set-up (not timed) ---------------------------------------------------------------------


def approvers() -> dict[str, object]:
    """One approver per county (no password: they never log in here)."""
    from minzheng.accounts.models import Role, User
    from minzheng.regions.levels import Level
    from minzheng.regions.models import Region

    users = {}
    for region in Region.objects.filter(level=Level.COUNTY).order_by("code"):
        user = User(username=f"pay{region.code}", role=Role.APPROVER, region=region)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        users[region.code] = user
    return users


def read_chunk(lake: Path, date: dt.date, counties: list[str]):
    """(households, persons, enrolments) of the chunk's enrolled households, as Python rows:
    the engine's inputs at `date` derived from the feeds as a screening derives them."""
    import ibis

    from minzheng.policy import screen

    con = ibis.duckdb.connect(threads=2, memory_limit="4GB")
    try:

        def feed(name: str):
            t = con.read_parquet(
                str(lake / name / "*" / "*.parquet"),
                hive_partitioning=True,
                hive_types_autocast=False,
            )
            t = t.mutate(county=t.county.cast("string"))
            return t.filter(t.county.isin(counties))

        e = feed("enrolments")
        e = e.filter(e.programme.isin(list(PROGRAMMES)))
        wanted = e.select(hid=e.household_id).distinct()
        villages = feed("hukou_households").select(hid="household_id", village="village_code")
        persons, households = screen.inputs(con, lake, date, counties)
        persons = persons.semi_join(wanted, persons.household_id == wanted.hid)
        households = households.semi_join(wanted, households.household_id == wanted.hid)
        households = households.join(villages, households.household_id == villages.hid).drop("hid")
        house_rows = con.to_pyarrow(households).to_pylist()
        person_rows = con.to_pyarrow(persons).to_pylist()
        enrol_rows = con.to_pyarrow(e.select("id_number", "household_id", "programme")).to_pylist()
    finally:
        con.disconnect()
    return house_rows, person_rows, enrol_rows


def set_up(lake: Path, month: dt.date) -> dict:
    from django.utils import timezone

    from minzheng.cases import entitlements, workflow
    from minzheng.cases.models import Case, Enrolment
    from minzheng.policy import screen
    from minzheng.policy.explain import _json_value
    from minzheng.policy.household import from_trace
    from minzheng.policy.lake import lake_manifest
    from minzheng.regions.services import regions_load_divisions, regions_load_file

    start = time.perf_counter()
    regions_load_divisions()
    regions_load_file(path=lake / "regions" / "subcounty.csv")
    users = approvers()
    log(f"regions and {len(users)} approvers in {time.perf_counter() - start:.1f} s")
    date = dt.date.fromisoformat(lake_manifest(lake)["snapshot_date"])
    now = timezone.now()
    stats: Counter = Counter()
    timing: Counter = Counter()
    for counties, residents in screen.county_chunks(lake, 3_000_000):
        t = time.perf_counter()
        house_rows, person_rows, enrol_rows = read_chunk(lake, date, counties)
        timing["read"] += time.perf_counter() - t
        t = time.perf_counter()
        members = defaultdict(list)
        for p in person_rows:
            members[p["household_id"]].append({k: _json_value(v) for k, v in p.items()})
        del person_rows
        registry = defaultdict(lambda: defaultdict(set))  # household → programme → ids
        for r in enrol_rows:
            registry[r["household_id"]][PROGRAMMES[r["programme"]]].add(r["id_number"])
        stats["registry_rows"] += len(enrol_rows)
        stats["registry_households"] += len(registry)
        del enrol_rows
        cases = {}
        for h in house_rows:
            hid = h["household_id"]
            if not members.get(hid):
                stats["skipped_no_living_member"] += 1
                continue
            village = h.pop("village")
            inputs = {
                "household": {k: _json_value(v) for k, v in h.items()},
                "members": members[hid],
            }
            cases[hid] = (village, inputs)
        stats["skipped_not_in_hukou"] += len(
            set(registry) - {h["household_id"] for h in house_rows}
        )
        del house_rows, members
        timing["json"] += time.perf_counter() - t
        t = time.perf_counter()
        amounts: dict = {}
        keys = list(cases)
        for i in range(0, len(keys), 50_000):
            part = {k: from_trace(cases[k][1]) for k in keys[i : i + 50_000]}
            amounts |= entitlements.monthly(part, date, set(PROGRAMMES.values()))
        timing["engine"] += time.perf_counter() - t
        t = time.perf_counter()
        serial = Counter()
        case_rows = []
        for hid, (village, inputs) in cases.items():
            county = village[:6]
            serial[county] += 1
            user = users[county]
            case_rows.append(
                Case(
                    number=f"JZ{county}{date:%Y%m%d}{serial[county]:06d}",
                    household_id=hid,
                    region_code=village,
                    channel=Case.Channel.COUNTER,
                    state=workflow.APPROVED,
                    as_of=date,
                    created_by=user,
                    reviewed_by=user,
                    decided_by=user,
                    decided_at=now,
                    state_since=now,
                    payee={
                        "name": "户主",
                        "bank": "农村商业银行",
                        "account": f"62{int(hid[1:]) % 10**14:014d}",
                    },
                    basis={"inputs": inputs, "date": date.isoformat()},
                )
            )
        created = []
        for i in range(0, len(case_rows), BATCH):
            created += Case.objects.bulk_create(case_rows[i : i + BATCH])
        stats["cases"] += len(created)
        del case_rows
        enrolment_rows = []
        for case in created:
            hid = case.household_id
            living = {m["person_id"] for m in case.basis["inputs"]["members"]}
            for programme, ids in sorted(registry[hid].items()):
                owed = amounts.get(hid, {}).get(programme, {})
                if entitlements.per_member(programme):
                    beneficiaries = sorted(ids & living)
                    stats["skipped_member_not_living"] += len(ids - living)
                else:
                    beneficiaries = [hid]
                for b in beneficiaries:
                    amount = owed.get(b, Decimal(0))
                    stats[f"enrolments_{programme}"] += 1
                    if amount <= 0:
                        stats["enrolments_without_decided_amount"] += 1
                    enrolment_rows.append(
                        Enrolment(
                            case=case,
                            programme=programme,
                            household_id=hid,
                            beneficiary=b,
                            region_code=case.region_code,
                            monthly_amount=amount,
                            start_month=month,
                        )
                    )
        for i in range(0, len(enrolment_rows), BATCH):
            Enrolment.objects.bulk_create(enrolment_rows[i : i + BATCH])
        stats["enrolments"] += len(enrolment_rows)
        timing["insert"] += time.perf_counter() - t
        log(
            f"{counties[0]}…{counties[-1]} ({residents:,} residents): {stats['cases']:,} cases, "
            f"{stats['enrolments']:,} enrolments so far ({time.perf_counter() - start:.0f} s)"
        )
        del cases, created, enrolment_rows, amounts, registry
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "phases": {k: round(v, 1) for k, v in timing.items()},
        "snapshot_date": date.isoformat(),
        **stats,
    }


def reset_payments() -> None:
    """Back to before the first run: no payments, every enrolment active again."""
    from minzheng.cases.models import Enrolment, Payment, PaymentRun

    Payment.objects.all().delete()
    PaymentRun.objects.all().delete()
    Enrolment.objects.exclude(status=Enrolment.Status.ACTIVE, end_month__isnull=True).update(
        status=Enrolment.Status.ACTIVE, end_month=None, status_reason=""
    )


def high_water_kib() -> int:
    """The process's peak resident memory since its exec (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- the timed run (in a child process) ---------------------------------------------------------


def timed_run(month: str, profile: str | None) -> dict:
    """Every county's payment run for the month, as `minzheng payments run` does, with phase
    timers around the steps of `payments.compute` and `payment_run`."""
    from minzheng.accounts.models import User
    from minzheng.cases import entitlements, payments
    from minzheng.cases.models import Payment
    from minzheng.policy import household
    from minzheng.verification import lookup

    phases: Counter = Counter()
    mark: dict[str, float] = {}

    def timer(owner, name: str, phase: str, on_enter=None):
        original = getattr(owner, name)

        def wrapped(*args, **kwargs):
            t = time.perf_counter()
            if on_enter:
                on_enter(t)
            try:
                return original(*args, **kwargs)
            finally:
                phases[phase] += time.perf_counter() - t

        setattr(owner, name, wrapped)

    def compute_started(t: float) -> None:
        mark["compute"] = t

    def deaths_started(t: float) -> None:
        phases["read enrolments and frozen inputs"] += t - mark["compute"]

    timer(payments, "compute", "compute (total)", compute_started)
    timer(payments, "payment_run", "run (total)")
    timer(lookup.Lookup, "deaths", "deaths lookup", deaths_started)
    timer(household, "from_trace", "from_trace + without_the_dead")
    timer(entitlements, "without_the_dead", "from_trace + without_the_dead")
    timer(entitlements, "monthly", "engine (entitlements.monthly)")
    timer(Payment.objects, "bulk_create", "insert payments")
    timer(payments, "_stop", "end enrolments of the dead")

    payers = {u.region.code: u for u in User.objects.filter(username__startswith="pay")}
    payers = dict(sorted(payers.items()))
    t0 = time.perf_counter()
    runs = []
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    for county, user in payers.items():
        runs.append(payments.payment_run(user=user, request=None, county=county, month=month))
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    seconds = time.perf_counter() - t0
    added = sum(r.notes.get("last_added", 0) for r in runs)
    stopped: Counter = Counter()
    lines, total = 0, Decimal(0)
    for r in runs:
        stopped.update(r.notes.get("stopped", {}))
        tot = payments.totals(r)
        lines += tot["count"]
        total += tot["sum"]
    phases["write (run total − compute)"] = phases["run (total)"] - phases["compute (total)"]
    return {
        "counties": len(runs),
        "seconds": round(seconds, 1),
        "added": added,
        "lines": lines,
        "sum": str(total),
        "stopped": dict(stopped),
        "phases": {k: round(v, 1) for k, v in phases.items()},
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent
        "peak_rss_gib": round(high_water_kib() / 1024 / 1024, 2),
    }


def child(options) -> None:
    django_setup(options.postgres, options.lake)
    result = timed_run(options.month, options.profile)
    print(json.dumps(result))


def wait_for_quiet(limit: float = 1.5, patience: int = 20 * 60) -> float:
    waited = 0
    while load() > limit and waited < patience:
        log(f"1-minute load {load():.2f} > {limit}: waiting")
        time.sleep(30)
        waited += 30
    return load()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lake", type=Path, default=DEFAULT_LAKE)
    parser.add_argument("--postgres", default=DEFAULT_DB)
    parser.add_argument("--scale", type=float, default=1.0, help="of a lake generated here")
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--skip-setup", action="store_true", help="reuse the database")
    parser.add_argument("--profile", help="write a cProfile of the first run to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    options.lake = options.lake.resolve()
    if options.child:
        child(options)
        return
    month = dt.date.fromisoformat(f"{options.month}-01")
    ensure_lake(options.lake, options.scale)
    os.environ["MINZHENG_VAR_DIR"] = str(ROOT / "var")
    if not options.skip_setup:
        fresh_postgres(options.postgres)
    django_setup(options.postgres, options.lake)
    from django.core.management import call_command

    if not options.skip_setup:
        call_command("migrate", verbosity=0)
        setup = set_up(options.lake, month)
        log(f"set-up: {json.dumps(setup)}")
        print(f"set-up: {json.dumps(setup)}")
    else:
        reset_payments()
    from django.db import connections

    connections.close_all()
    command = [sys.executable, __file__, "--child", "--lake", str(options.lake)]
    command += ["--postgres", options.postgres, "--month", options.month]
    for attempt in ("first", "second"):
        start_load = wait_for_quiet()
        extra = ["--profile", options.profile] if options.profile and attempt == "first" else []
        log(f"{attempt} run, load {start_load:.2f}")
        seconds, gib, done = watched(command + extra)
        if done.returncode:
            sys.exit(done.stderr[-4000:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result |= {
            "wall_s": round(seconds, 1),
            "peak_tree_gib": round(gib, 2),
            "load_start": round(start_load, 2),
            "load_end": round(load(), 2),
        }
        print(f"{attempt} run: {json.dumps(result, ensure_ascii=False)}", flush=True)


if __name__ == "__main__":
    main()
