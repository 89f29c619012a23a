"""Benchmark of the synthetic-province generator.

    .venv/bin/python bench/synth.py --scale 0.01 --scale 0.1 [--scale 1.0] [--out /tmp/bench-lakes]

For each scale: wall time, persons and rows per second, peak memory of the whole process
tree (sampled every 0.1 s from /proc), and the calibration report's pass count. Prints a
Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memwatch import run  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, action="append", required=True)
    parser.add_argument("--out", type=Path, default=Path("/tmp/minzheng-bench"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the lakes")
    args = parser.parse_args()
    rows = []
    for scale in args.scale:
        out = args.out / f"lake-{scale}"
        command = [
            str(BIN / "minzheng"),
            "synth",
            "--scale",
            str(scale),
            "--seed",
            "1",
            "--out",
            str(out),
            "--workers",
            str(args.workers),
            "--force",
        ]
        seconds, gib, result = run(command)
        if result.returncode:
            sys.exit(result.stderr)
        manifest = json.loads((out / "_lake.json").read_text())
        total_rows = sum(t["rows"] for t in manifest["tables"].values())
        size = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 1024**3
        report = subprocess.run(
            [str(BIN / "minzheng"), "synth", "report", str(out)], capture_output=True, text=True
        )
        lines = [ln for ln in report.stdout.splitlines()[2:] if ln.strip()]
        passed = sum(ln.rstrip().endswith("pass") for ln in lines)
        rows.append(
            (scale, manifest["persons"], total_rows, seconds, gib, size, passed, len(lines))
        )
        print(
            f"scale {scale}: {seconds:.1f} s, {manifest['persons'] / seconds:,.0f} persons/s, "
            f"{total_rows / seconds:,.0f} rows/s, peak {gib:.2f} GiB, report {passed}/{len(lines)}",
            file=sys.stderr,
        )
        if not args.keep:
            shutil.rmtree(out)
    print(
        f"\n{date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"{args.workers} workers, Python {platform.python_version()}\n"
    )
    print(
        "| scale | persons | rows (all tables) | wall time | persons/s | rows/s | peak memory | lake size | calibration |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for scale, persons, total_rows, seconds, gib, size, passed, n in rows:
        print(
            f"| {scale} | {persons:,} | {total_rows:,} | {seconds:.1f} s | {persons / seconds:,.0f} | "
            f"{total_rows / seconds:,.0f} | {gib:.2f} GiB | {size:.2f} GiB | {passed}/{n} pass |"
        )


if __name__ == "__main__":
    main()
