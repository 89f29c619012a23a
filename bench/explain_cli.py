"""`minzheng explain` from the command line, each run a new process:
`.venv/bin/python bench/explain_cli.py [--households 1000] [--runs 10] [--out DIR]`.

Writes N households made from the scenario files (`tests/policy/scenarios`, round-robin,
each with a household number of its own) as a JSON Lines file and as a folder of household
files, then times `minzheng explain`: one household (cold start, median of --runs), and the
whole batch as JSON Lines, from the folder, and as Chinese trees (median of 3 runs each;
households per second with the start included). Output goes to /dev/null.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.policy.test_scenarios import CASES, household_from  # noqa: E402

MINZHENG = str(Path(sys.executable).with_name("minzheng"))
DATE = "2021-06-30"


def write_households(out: Path, n: int) -> tuple[Path, Path, Path]:
    """(one household file, a JSON Lines file of n, a folder of n files)."""
    folder = out / "households"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        household = household_from(CASES[i % len(CASES)][1])
        household["household_id"] = f"B{i:05d}"
        text = json.dumps(household, ensure_ascii=False)
        (folder / f"{i:05d}.json").write_text(text, encoding="utf-8")
        lines.append(text)
    batch = out / "households.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "00000.json", batch, folder


def seconds(args: list[str], runs: int) -> float:
    """Median wall time of `minzheng explain ARGS` in new processes."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [MINZHENG, "explain", *args, "--date", DATE],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    options = parser.parse_args()
    out = options.out or Path(tempfile.mkdtemp(prefix="explain-bench-"))
    one, batch, folder = write_households(out, options.households)
    n = options.households
    cold = seconds(["--input", str(one)], options.runs)
    print(f"cold start, one household (median of {options.runs}): {cold:.2f} s")
    for label, args in (
        ("JSON Lines file, --json", ["--input", str(batch), "--json"]),
        ("folder of files, --json", ["--input", str(folder), "--json"]),
        ("JSON Lines file, trees", ["--input", str(batch)]),
    ):
        took = seconds(args, 3)
        print(
            f"{n:,} households, {label} (median of 3): {took:.2f} s, {n / took:,.0f} households/s"
        )


if __name__ == "__main__":
    main()
