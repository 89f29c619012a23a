"""Load test of the case pages (issue #12): simulated township caseworkers for a fixed time.

    .venv/bin/python bench/load_cases.py [--users 50] [--spawn-rate 10] [--run-time 2m]
        [--townships 25] [--workers 3] [--threads 4] [--keep-alive 75] [--out DIR]

Needs the bench dependency group (`make bench-env`: locust) and the PostgreSQL server of
the machine on 127.0.0.1:5432 (user postgres, trust auth). Steps:

1. drops and creates the database `minzheng_bench_load` and a temporary MINZHENG_VAR_DIR,
   and builds the demo province there with the Makefile's own steps (`make demo-data`:
   synth at the demo scale, init, feed load-lake, snapshot build, screen, demo cases);
2. creates `--users` township caseworkers (`lc001`, … two per township by default) in
   `--townships` townships spread evenly over the province's townships, the approver of
   each of their counties, and demo cases in every state in each of those townships
   (`minzheng.cases.demo.load_demo_cases`, what `minzheng cases demo` runs), all through
   the project's services;
3. starts gunicorn (`minzheng.wsgi`) on 127.0.0.1 at a free port, in its own process
   (3 workers × 4 threads on the 2-core machine; keep-alive 75 s, see `--keep-alive`);
4. runs locust headless in a second process (`bench/locustfile_cases.py`): each user logs
   in through the login form, then loops over the worklist, case pages, the home page, the
   API's case list and now and then a new case (consents, submit, sometimes the check);
5. prints and saves (`--out`, default `var/bench-load/<time>/`) requests, failures,
   expected conflicts (409 of a race) and p50/p95/max per endpoint and overall, and the
   server's own status counts from its access log; then stops the server.

The database is left in place for inspection (the next run drops it); the temporary
folder is removed unless `--keep`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DATABASE = "minzheng_bench_load"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
PROTECTED = {"minzheng", "minzheng_lead", "postgres"}  # never dropped by this script
PASSWORD = "Load@test2026"  # the caseworkers' password (meets the password policy)
CASEWORKERS_PER_TOWNSHIP_DEFAULT = 2


def log(message: str) -> None:
    # in UTC: the set-up of Django switches the process to the time zone of the app
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}Z] {message}", flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def fresh_database() -> None:
    import psycopg

    assert DATABASE not in PROTECTED
    with psycopg.connect(ADMIN_URL, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{DATABASE}"')


def build_demo(env: dict, var_dir: Path) -> None:
    """The demo province through the Makefile's steps (`-o env`: the environment is already
    set up by `make bench-env`, and re-syncing it without the bench group would remove
    locust)."""
    subprocess.run(
        ["make", "--no-print-directory", "-o", "env", "demo-data", f"DEMO_DIR={var_dir}"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def choose_townships(lake: Path, wanted: int) -> list[str]:
    """`wanted` townships evenly spaced over the code order of those where the lake's
    households live (each county's townships are contiguous in that order)."""
    import duckdb

    rows = duckdb.sql(
        "SELECT township_code, count(*) AS n FROM read_parquet(?, hive_partitioning = true) "
        "GROUP BY 1 ORDER BY 1",
        params=[str(lake / "hukou_households" / "*" / "*.parquet")],
    ).fetchall()
    codes = [code for code, n in rows if n >= 40]  # enough households to pick from
    step = len(codes) / wanted
    return [codes[int(i * step)] for i in range(wanted)]


def seed(townships: list[str], users: int) -> list[dict]:
    """Caseworkers spread over the townships, an approver per county, demo cases in every
    state in each township; returns the caseworkers' accounts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    import django

    django.setup()
    from django.db import connections

    from minzheng.accounts.services import user_create
    from minzheng.cases.demo import load_demo_cases
    from minzheng.regions.models import Region

    accounts = []
    approvers = {}
    first = {}
    for i in range(users):
        township = Region.objects.get(code=townships[i % len(townships)])
        county = township.code[:6]
        if county not in approvers:
            approvers[county] = user_create(
                username=f"la{county}",
                password=PASSWORD,
                role="approver",
                region=Region.objects.get(code=county),
                full_name="审核员",
            )
        user = user_create(
            username=f"lc{i + 1:03d}",
            password=PASSWORD,
            role="caseworker",
            region=township,
            full_name=f"{township.name}经办员",
        )
        first.setdefault(township.code, user)
        accounts.append({"username": user.username, "township": township.code})
    total = Counter()
    for code, user in first.items():
        counts = load_demo_cases(user, approvers[code[:6]], per_state=1)
        total.update(counts)
    log(
        f"{len(accounts)} caseworkers in {len(first)} townships of {len(approvers)} counties; "
        f"{sum(total.values())} demo cases ({', '.join(f'{k} {v}' for k, v in total.items())})"
    )
    connections.close_all()
    return accounts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, options, out: Path):
    app_log = open(out / "app.log", "w")  # the app's own log (Django's warnings)  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(BIN / "python"),
            "-m",
            "gunicorn",
            "minzheng.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={options.workers}",
            f"--threads={options.threads}",
            f"--keep-alive={options.keep_alive}",
            "--timeout=120",
            f"--access-logfile={out / 'access.log'}",
            # client, request line, status, bytes, the server's own time in microseconds
            '--access-logformat=%(h)s "%(r)s" %(s)s %(b)s %(D)s',
            f"--error-logfile={out / 'server.log'}",
            "--no-control-socket",  # no socket in the home folder, shared with other servers
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=app_log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/login/"
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {out / 'server.log'}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def run_locust(env: dict, port: int, options, out: Path) -> int:
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile_cases.py"),
        "--headless",
        "-u",
        str(options.users),
        "-r",
        str(options.spawn_rate),
        "--run-time",
        options.run_time,
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    log("$ " + " ".join(command))
    with open(out / "locust.log", "w") as stream:
        return subprocess.run(
            command, cwd=ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT
        ).returncode


def server_times(out: Path) -> tuple[Counter, list[float]]:
    """Status counts and the server's own times (ms) from its access log (the runner's
    readiness probe included)."""
    statuses: Counter = Counter()
    times: list[float] = []
    for line in (out / "access.log").read_text().splitlines():
        try:
            _client, _request, rest = line.split('"', 2)
            status, _size, micros = rest.split()
        except ValueError:
            continue
        statuses[status] += 1
        times.append(int(micros) / 1000)
    return statuses, times


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (exact, unlike locust's rounded ones)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def table_row(name: str, rows: list[dict]) -> str:
    times = [r["ms"] for r in rows]
    failed = sum(r["failed"] for r in rows)
    expected = sum(1 for r in rows if r["status"] == 409 and not r["failed"])
    return (
        f"| {name} | {len(rows):,} | {failed:,} | {expected:,} | {percentile(times, 0.5):.0f} "
        f"| {percentile(times, 0.95):.0f} | {max(times, default=0):.0f} |"
    )


def report(out: Path, meta: dict) -> str:
    """The results table from every request the users made (`requests.csv`)."""
    rows = [
        {
            "start": float(r["start"]),
            "name": f"{r['type']} {r['name']}",
            "ms": float(r["ms"]),
            "status": int(r["status"]),
            "failed": r["failed"] == "True",
        }
        for r in csv.DictReader((out / "requests.csv").open())
    ]
    first = min(r["start"] for r in rows)
    logins = [r["start"] + r["ms"] / 1000 for r in rows if r["name"] == "POST /login/ (post)"]
    ramp = max(logins, default=first) - first  # until the last user is logged in
    lines = [
        "| endpoint | requests | failures | expected 409 | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted({r["name"] for r in rows}, key=lambda n: (n.split()[1], n)):
        lines.append(table_row(name, [r for r in rows if r["name"] == name]))
    lines.append(table_row("**all**", rows))
    lines.append(table_row("all but the login", [r for r in rows if "/login/" not in r["name"]]))
    lines.append(
        table_row(
            f"all, after the last login ({ramp:.0f} s in)",
            [r for r in rows if r["start"] - first > ramp],
        )
    )
    conflicts = json.loads((out / "conflicts.json").read_text())
    flows = json.loads((out / "flows.json").read_text())
    failures = []
    if (out / "locust_failures.csv").exists():
        for row in csv.DictReader((out / "locust_failures.csv").open()):
            failures.append(f"{row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
    statuses, times = server_times(out)
    seconds = max(r["start"] + r["ms"] / 1000 for r in rows) - first
    text = [
        f"date: {meta['date']}; machine: {os.cpu_count()} cores; load (1/5/15 min) at the "
        f"start of the script {meta['load_at_start']}, when locust starts "
        f"{meta['load_before']}, when it ends {meta['load_after']}",
        f"server: gunicorn {meta['workers']} workers × {meta['threads']} threads, keep-alive "
        f"{meta['keep_alive']} s; users "
        f"{meta['users']} (spawn {meta['spawn_rate']}/s), run time {meta['run_time']}; "
        f"locust exit code {meta['locust_rc']}; {len(rows):,} requests in {seconds:.0f} s "
        f"({len(rows) / seconds:.1f}/s)",
        "",
        *lines,
        "",
        "expected conflicts (409 answers of a race, counted apart from errors): "
        + (json.dumps(conflicts, ensure_ascii=False) if conflicts else "none"),
        "flows completed: " + json.dumps(flows, ensure_ascii=False),
        "server access log: "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        + f"; the server's own time p50 {percentile(times, 0.5):.0f} ms, "
        f"p95 {percentile(times, 0.95):.0f} ms, max {max(times, default=0):.0f} ms",
        "failures: " + ("none" if not failures else ""),
        *[f"  {f}" for f in failures],
    ]
    return "\n".join(text) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="2m")
    parser.add_argument("--townships", type=int, default=0, help="default: users / 2")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=75,
        help="seconds gunicorn keeps an idle connection (default 75, as nginx in front would; "
        "gunicorn's own 2 s closes connections while users think, and a request sent on one "
        "at that moment is reset: browsers retry it, locust's client does not)",
    )
    parser.add_argument("--out", type=Path, help="results folder (default var/bench-load/<time>)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var folder")
    options = parser.parse_args()
    townships = options.townships or max(1, options.users // CASEWORKERS_PER_TOWNSHIP_DEFAULT)
    out = options.out or ROOT / "var" / "bench-load" / f"{dt.datetime.now():%Y%m%dT%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MINZHENG_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {"DATABASE_URL": DATABASE_URL, "MINZHENG_VAR_DIR": str(var_dir)}
    os.environ.update({"DATABASE_URL": DATABASE_URL, "MINZHENG_VAR_DIR": str(var_dir)})
    load_at_start = load()
    log(f"results in {out}; var dir {var_dir}; load {load_at_start}")

    t = time.perf_counter()
    fresh_database()
    build_demo(env, var_dir)
    log(f"demo province built in {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    chosen = choose_townships(var_dir / "lake", townships)
    accounts = seed(chosen, options.users)
    log(f"accounts and cases in {time.perf_counter() - t:.0f} s")
    (out / "accounts.json").write_text(json.dumps(accounts, ensure_ascii=False, indent=1))

    port = free_port()
    server = start_server(env, port, options, out)
    log(f"gunicorn on 127.0.0.1:{port} (pid {server.pid})")
    meta = {
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "load_at_start": load_at_start,
        "users": options.users,
        "spawn_rate": options.spawn_rate,
        "run_time": options.run_time,
        "workers": options.workers,
        "threads": options.threads,
        "keep_alive": options.keep_alive,
    }
    try:
        locust_env = env | {
            "LOAD_ACCOUNTS": str(out / "accounts.json"),
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_OUT": str(out),
        }
        meta["load_before"] = load()
        log(f"locust starts; load {meta['load_before']}")
        meta["locust_rc"] = run_locust(locust_env, port, options, out)
        meta["load_after"] = load()
        log(f"locust done (exit code {meta['locust_rc']}); load {meta['load_after']}")
    finally:
        stop_server(server)
        log("server stopped")
        if not options.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    text = report(out, meta)
    (out / "report.md").write_text(text)
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    print(text)


if __name__ == "__main__":
    main()
