"""The whole catalogue against 低保 alone, over the same lake, in one run.

    .venv/bin/python bench/catalogue.py LAKE [LAKE …]

For each lake: `minzheng screen --programme dibao` and `minzheng screen` (every programme,
totals and referrals), wall time and peak memory of each, and the ratio. Prints Markdown.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memwatch import run  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> None:
    rows = []
    for lake in map(Path, sys.argv[1:]):
        persons = json.loads((lake / "_lake.json").read_text())["persons"]
        measured = {}
        for label, extra in (("dibao", ["--programme", "dibao"]), ("catalogue", [])):
            out = Path(tempfile.mkdtemp()) / "screen"
            command = [
                str(BIN / "minzheng"),
                "screen",
                "--lake",
                str(lake),
                "--date",
                "2020-12-31",
                "--out",
                str(out),
                *extra,
            ]
            secs, gib, result = run(command)
            if result.returncode:
                sys.exit(result.stderr[-2000:])
            measured[label] = (secs, gib)
            shutil.rmtree(out.parent)
            print(f"{lake} {label}: {secs:.1f} s, {gib:.2f} GiB", file=sys.stderr)
        rows.append((persons, measured))
    print("| persons | 低保 alone | whole catalogue | time ratio | 低保 peak | catalogue peak |")
    print("|---|---|---|---|---|---|")
    for persons, m in rows:
        (dt, dg), (ct, cg) = m["dibao"], m["catalogue"]
        print(
            f"| {persons:,} | {dt:.1f} s | {ct:.1f} s | {ct / dt:.2f}× | {dg:.2f} GiB | {cg:.2f} GiB |"
        )


if __name__ == "__main__":
    main()
