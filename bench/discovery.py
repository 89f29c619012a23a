"""Discovery in one pass at scale (issue #13).

    .venv/bin/python bench/discovery.py --lake var/bench-lake-1.0 [--date 2020-12-31]
        [--out DIR] [--separate] [--tasks postgres://postgres@127.0.0.1:5432/DB]
        [--chunk-persons 3000000]

Goals of issue #13 at scale 1.0 on this machine: the whole screening with every signal and
the poverty measure under 5 minutes and 8 GB; a second run with nothing changed under the
first's time, raising no new task.

Each step is a `minzheng` command in a child process, timed from outside with the peak
resident memory of its process tree sampled from /proc every 0.1 s (`bench/memwatch.py`);
the machine's load average is printed before and after each. Steps:

- `first` (not with `--no-runs`): `discover run --force` (everything evaluated; its stages' times from `_run.json`);
- `second`: `discover run` again with nothing changed (the results reused);
- with `--separate`: `discover screen`, `discover signals` and `discover mpi --level village`
  each on its own, as before the one pass (for comparison);
- with `--tasks URL`: a PostgreSQL database (dropped and created, then migrated; set-up not
  timed), and `discover tasks --run OUT` twice: the first raises the tasks, the second (the
  same results) must create none.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memwatch import run as watched  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MINZHENG = str(ROOT / ".venv" / "bin" / "minzheng")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def step(name: str, args: list[str], env: dict | None = None, binary: str = MINZHENG) -> dict:
    """Run one command, print and return its figures."""
    before = load()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, gib, done = watched([binary, *args], env=env)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = load()
    result = {
        "step": name,
        "command": "minzheng " + " ".join(args),
        "seconds": round(seconds, 1),
        "peak_gib": round(gib, 2),
        # CPU seconds of the command (user + system): on a shared machine a fairer
        # comparison than the wall time, which waits for the other processes
        "cpu_seconds": round(used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime, 1),
        "exit": done.returncode,
        "load_before": before,
        "load_after": after,
        "output": done.stdout[-3000:],
    }
    if done.returncode:
        result["error"] = done.stderr[-3000:]
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def database(url: str) -> dict:
    """A fresh PostgreSQL database of `url`, migrated: the environment to use it."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    host = ["-h", parsed.hostname or "127.0.0.1", "-U", parsed.username or "postgres"]
    subprocess.run(["dropdb", *host, "--if-exists", name], check=True)
    subprocess.run(["createdb", *host, name], check=True)
    env = os.environ | {"DATABASE_URL": url}
    subprocess.run([MINZHENG, "init", "--no-demo-users"], check=True, env=env)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--date", default="2020-12-31")
    parser.add_argument("--out", type=Path, default=Path("/tmp/minzheng-bench-discovery"))
    parser.add_argument("--chunk-persons", type=int, default=3_000_000)
    parser.add_argument("--separate", action="store_true")
    parser.add_argument("--tasks", metavar="DATABASE_URL")
    parser.add_argument(
        "--no-runs", action="store_true", help="Only the other steps, on OUT's last run."
    )
    args = parser.parse_args()
    common = ["--date", args.date, "--lake", str(args.lake)]
    chunk = ["--chunk-persons", str(args.chunk_persons)]
    run = ["discover", "run", *common, "--out", str(args.out / "run"), *chunk]
    results = []
    if not args.no_runs:
        results.append(step("first", [*run, "--force"]))
        stages = json.loads((args.out / "run" / "_run.json").read_text(encoding="utf-8"))
        print(json.dumps({"stages": stages["seconds"]}), flush=True)
        results.append(step("second", run))
    if args.tasks:
        env = database(args.tasks)
        tasks = ["discover", "tasks", "--as-of", args.date, "--run", str(args.out / "run")]
        results.append(step("tasks first", tasks, env))
        results.append(step("tasks second", tasks, env))
    if args.separate:
        apart = args.out / "separate"
        results.append(
            step("screen", ["discover", "screen", *common, "--out", str(apart / "f"), *chunk])
        )
        results.append(step("signals", ["discover", "signals", *common, "--out", str(apart / "s")]))
        results.append(step("mpi", ["discover", "mpi", *common, "--level", "village"]))
    print("| step | seconds | peak GiB | load before | load after |")
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['step']} | {r['seconds']:,.1f} | {r['peak_gib']:.2f} | {r['load_before']} | "
            f"{r['load_after']} |"
        )


if __name__ == "__main__":
    main()
