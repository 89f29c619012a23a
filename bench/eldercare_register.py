"""The register of older people: latency of its page (issue #15: p95 under 150 ms at 1.0).

    .venv/bin/python bench/eldercare_register.py LAKE [N]    # N requests per user (default 200)

The lake needs its lookup index (`minzheng verify index LAKE`, which writes the register).
Set-up (not timed): a fresh SQLite database under a temporary MINZHENG_VAR_DIR with the
real divisions and the lake's townships and villages, and two users who may read the
register — a caseworker of the township with the most older people and an approver of its
county. Each user then asks for N pages through Django's test client, the whole request
(session, scope, the index's read, the masked rows, the audit event, the template): the
first pages of their scope and of its regions, with each filter (living arrangement, special
group, least grade) and deep pages (`page=…`), in a seeded random order after 20 warm-up
requests. Prints p50, p95, p99 and max in milliseconds per user and for all.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quantiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=100)
    return f"p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms, max {max(times):.0f} ms"


def queries(region: str, children: list[str], pages: int, n: int, rng: random.Random) -> list:
    """N register queries of a user: plain, by child region, by each filter, deep pages."""
    out = []
    choices = [
        {},
        {"living": "alone"},
        {"living": "couple"},
        {"group": "dibao"},
        {"group": "age_80"},
        {"group": "tekun"},
        {"grade": "2"},
        {"living": "alone", "grade": "1"},
    ]
    for _ in range(n):
        q = dict(rng.choice(choices))
        if children and rng.random() < 0.5:
            q["region"] = rng.choice(children)
        if rng.random() < 0.3:
            q["page"] = str(rng.randint(2, max(2, pages)))
        out.append(q)
    return out


def main() -> None:
    lake = Path(sys.argv[1]).resolve()
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        os.environ |= {
            "MINZHENG_VAR_DIR": tmp,
            "MINZHENG_LAKE": str(lake),
            "DJANGO_SETTINGS_MODULE": "minzheng.settings",
        }
        os.environ.pop("DATABASE_URL", None)
        minzheng = str(ROOT / ".venv" / "bin" / "minzheng")
        subprocess.run([minzheng, "init", "--no-demo-users"], check=True, capture_output=True)
        subprocess.run(
            [minzheng, "regions", "load", str(lake / "regions" / "subcounty.csv")],
            check=True,
            capture_output=True,
        )
        import django

        django.setup()
        import duckdb
        from django.test import Client

        from minzheng.accounts.services import user_create
        from minzheng.regions.models import Region
        from minzheng.verification.lookup import INDEX

        con = duckdb.connect(str(lake / INDEX), read_only=True)
        township, older = con.execute(
            "SELECT township_code, count(*) FROM older_register GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        county_older = con.execute(
            "SELECT count(*) FROM older_register WHERE county = ?", [township[:6]]
        ).fetchone()[0]
        total = con.execute("SELECT count(*) FROM older_register").fetchone()[0]
        con.close()
        password = "Bench-Pass#2026"
        users = {
            "caseworker": user_create(
                username="bench_cw",
                password=password,
                role="caseworker",
                region=Region.objects.get(code=township),
            ),
            "approver": user_create(
                username="bench_ap",
                password=password,
                role="approver",
                region=Region.objects.get(code=township[:6]),
            ),
        }
        print(
            f"{lake}: {total:,} older people; township {township} {older:,}, "
            f"county {township[:6]} {county_older:,}"
        )
        rng = random.Random(2026)
        everyone: list[float] = []
        for label, user in users.items():
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            children = list(
                Region.objects.filter(parent=user.region).values_list("code", flat=True)
            )
            people = older if label == "caseworker" else county_older
            asked = queries(user.region.code, children, people // 50, n + 20, rng)
            times = []
            for i, q in enumerate(asked):
                start = time.perf_counter()
                response = client.get("/eldercare/register/", q)
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{label} {q}: HTTP {response.status_code}")
                if i >= 20:
                    times.append(elapsed)
            everyone += times
            print(f"  {label} ({user.region.code}), {len(times)} pages: {quantiles(times)}")
        print(f"  all {len(everyone)} pages: {quantiles(everyone)}")


if __name__ == "__main__":
    main()
