"""One task raising in this process, step by step, with its CPU time (issue #13).

    DATABASE_URL=URL .venv/bin/python bench/discovery_raise_steps.py DIR [--date 2020-12-31]

DIR: a folder with `findings/` and `signals/` (a `discover run` folder, for instance); the
database of DATABASE_URL must be migrated (`bench/discovery_raise.py` makes one). Calls
`services.tasks_raise` once and prints each database statement and load of
`discovery.raising` with its wall time, then the total wall time, this process's CPU time
(user + system: DuckDB, Arrow, Python, SQLite) and, on PostgreSQL, the CPU time of the
server process serving the connection (from /proc: the database runs on this machine). On
a machine shared with other work, the CPU times say what the raising costs; the wall times
say how long it waited as well.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import resource
import time
from pathlib import Path


def _cpu_of(pid: int) -> float:
    """User + system seconds of a process of this machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--date", default="2020-12-31")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    import django

    django.setup()
    from django.db import connection

    from minzheng.discovery import raising, services

    def timed(function, label):
        @functools.wraps(function)
        def wrapper(*a, **k):
            start = time.perf_counter()
            result = function(*a, **k)
            print(f"{time.perf_counter() - start:9.2f} s  {label} {str(a[0])[:90]}", flush=True)
            return result

        return wrapper

    for name in ("_execute", "_fetch", "load"):
        setattr(raising, name, timed(getattr(raising, name), name.strip("_")))
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    server_before = _cpu_of(backend) if backend else 0.0
    own_before, start = _own_cpu(), time.perf_counter()
    counts = services.tasks_raise(
        as_of=dt.date.fromisoformat(args.date),
        findings=args.folder / "findings",
        signals=args.folder / "signals",
    )
    wall, own = time.perf_counter() - start, _own_cpu() - own_before
    server = _cpu_of(backend) - server_before if backend else 0.0
    print(counts)
    print(
        f"wall {wall:.1f} s; CPU: this process {own:.1f} s, database server {server:.1f} s; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
