"""Economic-status checks: latency of one household's report and time of a batch.

    .venv/bin/python bench/verify.py report LAKE [N]     # N households (default 300), warm
    .venv/bin/python bench/verify.py batch LAKE [N]      # N households (default 100,000)
    .venv/bin/python bench/verify.py cli LAKE [N]        # the CLI end to end, same N

The lake needs its index (`minzheng verify index LAKE`). `report` times `build_report` — the
lookup in every feed, the comparison and the engine's explain on the found data, and (second
line) with a declaration that understates the head's wage, so that the declared data is
explained too and the decisive difference found — each for N other households drawn at
random (seeded), after 20 warm-up reports; it prints p50, p95, p99 and max in milliseconds.
`batch` times `verify_batch` on N households drawn at random: extraction from every feed,
the engine over all of them, flags and the Parquet results (consent and the audit log are
the Django layer's; see docs/benchmarks.md for the CLI end to end).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import duckdb

from minzheng.policy.engine import Engine
from minzheng.policy.explain import Explainer
from minzheng.verification.batch import verify_batch
from minzheng.verification.lookup import INDEX, Lookup
from minzheng.verification.report import build_report, found_inputs

DATE = dt.date(2020, 12, 31)


def sample(lake: Path, n: int, seed: int = 2026) -> list[str]:
    con = duckdb.connect(str(lake / INDEX), read_only=True)
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({seed / 10_000})")
    rows = con.execute(
        f"SELECT household_id FROM hukou_households USING SAMPLE reservoir({n} ROWS) "
        f"REPEATABLE ({seed})"
    ).fetchall()
    con.close()
    ids = sorted(r[0] for r in rows)
    random.Random(seed).shuffle(ids)
    return ids


def quantiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=100)
    return f"p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms, max {max(times):.0f} ms"


def report(lake: Path, n: int) -> None:
    ids = sample(lake, 2 * n + 20)
    lookup = Lookup(lake)
    explainer = Explainer(Engine())
    for hid in ids[:20]:
        build_report(lookup, explainer, hid, DATE)
    plain, declared_times, members = [], [], 0
    for hid in ids[20 : 20 + n]:
        start = time.perf_counter()
        r = build_report(lookup, explainer, hid, DATE)
        plain.append((time.perf_counter() - start) * 1000)
        members += len(r["members"])
    # Other households, each checked once with its declaration (nothing of it seen before
    # but what the engine remembers of earlier households).
    declarations = []
    for hid in ids[20 + n :]:
        house, rows = found_inputs(lookup.household(hid), DATE)
        if rows:
            rows = [dict(m) for m in rows]
            rows[0]["wage"] = Decimal(0)
            declarations.append((hid, (house, rows)))
    for hid, declared in declarations:
        start = time.perf_counter()
        build_report(lookup, explainer, hid, DATE, declared=declared)
        declared_times.append((time.perf_counter() - start) * 1000)
    print(f"{lake}: {n} households ({members / n:.2f} members each) + {len(declarations)} declared")
    print(f"  report, found data only:                  {quantiles(plain)}")
    print(f"  report with a declaration (2-3 explains): {quantiles(declared_times)}")


def batch(lake: Path, n: int) -> None:
    ids = sample(lake, n)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = verify_batch(lake, ids, DATE, Path(tmp) / "out")
        seconds = time.perf_counter() - start
    print(f"{lake}: {n:,} households in {seconds:.1f} s")
    print(f"  checked {summary['checked']:,}, flagged {summary['flagged']:,}: {summary['flags']}")


def cli(lake: Path, n: int) -> None:
    """The CLI end to end (consent from the database, scope, one audit event per household)
    on a fresh SQLite database under a temporary MINZHENG_VAR_DIR; set-up is not timed."""
    import os
    import subprocess

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from memwatch import run

    ids = sample(lake, n)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MINZHENG_VAR_DIR=tmp, MINZHENG_LAKE=str(lake))
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [".venv/bin/minzheng", "init", "--no-demo-users"],
            env=env,
            check=True,
            capture_output=True,
        )
        setup = (
            "import django, os, sys; django.setup()\n"
            "from django.utils import timezone\n"
            "from minzheng.accounts.services import user_create\n"
            "from minzheng.regions.models import Region\n"
            "from minzheng.verification.batch import household_facts\n"
            "from minzheng.verification.models import Consent\n"
            "from pathlib import Path\n"
            "ids = Path(sys.argv[1]).read_text().split()\n"
            "u = user_create(username='reviewer', password='Bench-Pass#2026', role='administrator',"
            " region=Region.objects.get(code='330000'))\n"
            "facts = household_facts(Path(os.environ['MINZHENG_LAKE']), ids, timezone.localdate())\n"
            "Consent.objects.bulk_create((Consent(household_id=h, id_number=p, region_code=v,"
            " method='online', given_at=timezone.now(), recorded_by=u)"
            " for h, (v, adults) in facts.items() for p in adults), batch_size=5000)\n"
        )
        listing = Path(tmp) / "households.txt"
        listing.write_text("\n".join(ids) + "\n")
        env["DJANGO_SETTINGS_MODULE"] = "minzheng.settings"
        subprocess.run(
            [".venv/bin/python", "-c", setup, str(listing)],
            env=env,
            check=True,
            capture_output=True,
        )
        args = [
            ".venv/bin/minzheng",
            "verify",
            "--households",
            str(listing),
            "--date",
            DATE.isoformat(),
            "--officer",
            "reviewer",
            "--out",
            str(Path(tmp) / "review"),
        ]
        seconds, gib, result = run(args, env=env)
        print(result.stdout[-1500:])
        print(
            f"{lake}: CLI, {n:,} households with consent and audit: {seconds:.1f} s, peak {gib:.2f} GiB"
        )


if __name__ == "__main__":
    mode, lake = sys.argv[1], Path(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else (300 if mode == "report" else 100_000)
    {"report": report, "batch": batch, "cli": cli}[mode](lake, count)
