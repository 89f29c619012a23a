"""Load a lake through the validating loader, build a snapshot, and screen from it.

    .venv/bin/python bench/exchange.py LAKE [--var VAR] [--skip-screen]

Runs, each as its own process under `bench/memwatch.py` (wall time, peak memory of the
process tree), in a fresh `MINZHENG_VAR_DIR` (default /tmp/bench-exchange-var):

1. `minzheng init --subcounty LAKE/regions/subcounty.csv` (not timed)
2. `minzheng feed load-lake LAKE --user steward`
3. `minzheng snapshot build --as-of DATE --user steward`
4. `minzheng screen --programme dibao --date DATE --out OUT` (from the snapshot's frame)
5. `minzheng screen --date DATE --out OUT` (the whole catalogue, from the snapshot's frame)

and prints one Markdown table row per step (wall time, peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import memwatch  # bench/memwatch.py, beside this script

BIN = Path(sys.executable).parent


def run(label: str, args: list[str], env: dict) -> None:
    seconds, gib, done = memwatch.run(args, env=env)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{label} failed ({done.returncode})")
    print(f"| {label} | {seconds:.1f} s | {gib:.2f} GiB |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lake", type=Path)
    parser.add_argument("--var", type=Path, default=Path("/tmp/bench-exchange-var"))
    parser.add_argument("--skip-screen", action="store_true")
    options = parser.parse_args()
    lake = options.lake.resolve()
    manifest = json.loads((lake / "_lake.json").read_text(encoding="utf-8"))
    date = manifest["snapshot_date"]
    shutil.rmtree(options.var, ignore_errors=True)
    env = dict(os.environ, MINZHENG_VAR_DIR=str(options.var))
    env.pop("MINZHENG_LAKE", None)
    minzheng = str(BIN / "minzheng")
    subprocess.run(
        [minzheng, "init", "--subcounty", str(lake / "regions" / "subcounty.csv")],
        env=env,
        check=True,
        capture_output=True,
    )
    print(f"lake {lake}: {manifest.get('persons', '?'):,} persons, date {date}")
    print("| step | wall time | peak memory |\n|---|---|---|")
    run("feed load-lake", [minzheng, "feed", "load-lake", str(lake), "--user", "steward"], env)
    run(
        "snapshot build",
        [minzheng, "snapshot", "build", "--as-of", date, "--user", "steward"],
        env,
    )
    if options.skip_screen:
        return
    out = options.var / "screen"
    run(
        "screen 低保 from the snapshot",
        [minzheng, "screen", "--programme", "dibao", "--date", date, "--out", str(out)],
        env,
    )
    shutil.rmtree(out, ignore_errors=True)
    run(
        "screen whole catalogue from the snapshot",
        [minzheng, "screen", "--date", date, "--out", str(out)],
        env,
    )


if __name__ == "__main__":
    main()
