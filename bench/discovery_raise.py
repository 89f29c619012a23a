"""Raising the tasks of a discovery run at scale (issue #13).

    .venv/bin/python bench/discovery_raise.py --run DIR --database URL [--date 2020-12-31]
        [--minzheng BIN] [--times N]

DIR is a folder of `minzheng discover run` (its findings and signals), or any folder with a
`findings/` and a `signals/` folder in it. URL is a database:
`sqlite:////path/file.sqlite3` (the file is removed first) or a PostgreSQL URL (the database
is dropped and created again). Set-up (not timed): `minzheng init --no-demo-users` with this
checkout's command. Then `discover tasks --as-of DATE --run DIR` N times (default 2) with
BIN (default this checkout's `minzheng`; another checkout's gives the "before" numbers on
the same data): the first raises every task, the next ones find nothing changed and must
create none. Each is a child process timed from outside with the peak resident memory of
its process tree (`bench/memwatch.py`), its CPU time (user + system, a fairer comparison on
a shared machine) and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from discovery import MINZHENG, step  # noqa: E402


def fresh(url: str) -> dict:
    """An empty, migrated database at `url`: the environment that uses it."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        Path(parsed.path).unlink(missing_ok=True)
    else:
        name = parsed.path.lstrip("/")
        host = ["-h", parsed.hostname or "127.0.0.1", "-U", parsed.username or "postgres"]
        subprocess.run(["dropdb", *host, "--if-exists", name], check=True)
        subprocess.run(["createdb", *host, name], check=True)
    env = os.environ | {"DATABASE_URL": url}
    subprocess.run(
        [MINZHENG, "init", "--no-demo-users"], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--date", default="2020-12-31")
    parser.add_argument("--minzheng", default=MINZHENG)
    parser.add_argument("--times", type=int, default=2)
    args = parser.parse_args()
    env = fresh(args.database)
    command = ["discover", "tasks", "--as-of", args.date]
    if (args.run / "_run.json").exists():
        command += ["--run", str(args.run)]
    else:  # a folder made otherwise, with findings/ and signals/ in it
        command += [
            "--findings",
            str(args.run / "findings"),
            "--signals",
            str(args.run / "signals"),
        ]
    results = [
        step(f"tasks {i + 1}", command, env, binary=args.minzheng) for i in range(args.times)
    ]
    print(json.dumps({"database": urlparse(args.database).scheme, "binary": args.minzheng}))
    print("| run | seconds | CPU seconds | peak GiB | load before | load after | output |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['step']} | {r['seconds']:,.1f} | {r['cpu_seconds']:,.1f} | {r['peak_gib']:.2f} | "
            f"{r['load_before']} | "
            f"{r['load_after']} | {r['output'].strip()} |"
        )


if __name__ == "__main__":
    main()
