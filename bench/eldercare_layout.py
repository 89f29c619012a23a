"""The layout plan of elder care: the 1 km coverage and the site suggestion for the largest
city (by older people) of a lake.

    .venv/bin/python bench/eldercare_layout.py LAKE [SITES]     # default 10 sites

Runs `minzheng.eldercare.layout.layout` in a child process under `bench/memwatch.py` — wall
time and the peak memory of the process tree — with each step's time, and prints the load
average before and after (the machine may be shared). Reads the lake only.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHILD = """
import json, sys, time
from minzheng.eldercare import layout
steps, last = {}, [time.perf_counter(), "start"]
def progress(step):
    now = time.perf_counter()
    steps[last[1]] = round(now - last[0], 2)
    last[:] = [now, step]
start = time.perf_counter()
result = layout.layout(sys.argv[1], sys.argv[2], sites=int(sys.argv[3]), progress=progress)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "steps": steps, "coverage": result.coverage[-1],
                  "after": result.after, "sites": len(result.sites), "cells": len(result.cells),
                  "facilities": len(result.facilities)}, ensure_ascii=False))
"""


def largest_city(lake: Path) -> str:
    """The city with the most households with an older person (household_locations)."""
    import duckdb

    glob = f"{lake}/household_locations/*/*.parquet"
    code = duckdb.sql(
        f"SELECT substr(county, 1, 4) FROM read_parquet('{glob}', hive_partitioning = true,"
        " hive_types = {'county': VARCHAR}) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchall()[0][0]
    return code + "00"


def main(lake: Path, sites: int) -> None:
    import memwatch

    city = largest_city(lake)
    print(f"lake {lake}, city {city}, {sites} sites")
    print(f"load average before: {os.getloadavg()}")
    wall, gib, done = memwatch.run([sys.executable, "-c", CHILD, str(lake), city, str(sites)])
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"load average after: {os.getloadavg()}")
    total = result["coverage"]
    print(
        f"coverage and sites: {result['seconds']:.1f} s (process {wall:.1f} s, peak {gib:.2f} GiB)"
        f"; steps {result['steps']}"
    )
    print(
        f"main urban area: {total['older']:,} older people, {total['share']} % within 1 km "
        f"({total['share_institution']} % of an institution); {result['sites']} sites → "
        f"{result['after']['share']} %; {result['cells']:,} demand cells, "
        f"{result['facilities']:,} facilities"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10)
