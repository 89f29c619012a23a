"""Screening cost per chunk of counties, on DuckDB or PySpark: the numbers behind scale-out.md.

    .venv/bin/python bench/memwatch.py .venv/bin/python bench/scale_out.py LAKE \
        --backend pyspark [--chunk-persons 3000000] [--out DIR]

Makes the calls `minzheng screen` makes (connect, the whole catalogue, `screen()` chunk by
chunk, the summary), timing each chunk from the progress reports. Prints one Markdown row
per chunk (counties, residents, seconds, seconds per county and per million residents),
then the start-up, the total and a least-squares fit of chunk time = fixed + per-person
cost, which is what the national sizing extrapolates.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lake", type=Path)
    parser.add_argument("--backend", default="duckdb")
    parser.add_argument("--chunk-persons", type=int, default=3_000_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.screen import county_chunks, screen

    con = connect(args.backend)
    engine = Engine()
    ready = time.perf_counter()
    chunks = county_chunks(args.lake, args.chunk_persons)
    marks = [ready]

    def progress(_done: int, _total: int, _county: str) -> None:
        marks.append(time.perf_counter())
        print(
            f"chunk {len(marks) - 1}/{len(chunks)}: {marks[-1] - marks[-2]:.1f} s", file=sys.stderr
        )

    out = args.out or Path(tempfile.mkdtemp()) / "screen"
    rows = screen(
        engine,
        con,
        args.lake,
        date(2020, 12, 31),
        out,
        progress=progress,
        max_persons=args.chunk_persons,
    )
    finished = time.perf_counter()
    if args.out is None:
        shutil.rmtree(out.parent)
    print(f"backend {args.backend}, {len(chunks)} chunks of at most {args.chunk_persons:,}")
    print("| chunk | counties | residents | seconds | s per county | s per million residents |")
    print("|---|---|---|---|---|---|")
    seconds = [b - a for a, b in zip(marks, marks[1:], strict=False)]
    for i, ((counties, persons), secs) in enumerate(zip(chunks, seconds, strict=True)):
        print(
            f"| {i} | {len(counties)} | {persons:,} | {secs:.1f} | {secs / len(counties):.2f} "
            f"| {secs / persons * 1e6:.1f} |"
        )
    persons = sum(p for _c, p in chunks)
    counties = sum(len(c) for c, _p in chunks)
    print(
        f"start-up (imports, connect, rules) {ready - started:.1f} s; screening "
        f"{marks[-1] - ready:.1f} s for {persons:,} residents in {counties} counties "
        f"({(marks[-1] - ready) / counties:.2f} s per county); summary {finished - marks[-1]:.1f} s; "
        f"{sum(r['households'] for r in rows):,} households"
    )
    if len(chunks) > 1:
        xs = [p for _c, p in chunks]
        mean_x, mean_y = sum(xs) / len(xs), sum(seconds) / len(seconds)
        var = sum((x - mean_x) ** 2 for x in xs)
        if var:
            slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, seconds, strict=True)) / var
            print(
                f"fit: chunk seconds = {mean_y - slope * mean_x:.1f} "
                f"+ {slope * 1e6:.2f} per million residents"
            )


if __name__ == "__main__":
    main()
