"""Alerts for older people living alone: one day of signals of N home devices evaluated.

    .venv/bin/python bench/eldercare_alerts.py build DIR [DEVICES]   # default 1,000,000
    .venv/bin/python bench/eldercare_alerts.py run DIR               # time and peak memory

`build` writes a lake holding only the two device feeds, made by the province's own
generator (`minzheng.synth.devices.devices_for`, every calibration assumption kept except
that every older person given is equipped) for enough invented older people living alone to
reach DEVICES devices, split into 90 county partitions like the province's; the truth goes to
DIR/truth. (A lake at scale 1.0 has about as many devices, but takes hours to build here.)
`run` evaluates the platform's rules on the snapshot date in a child process under
`bench/memwatch.py` — wall time and the peak memory of the process tree — and scores them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

SNAPSHOT = "2020-12-31"
COUNTIES = 90


def build(out: Path, devices: int) -> None:
    from minzheng.synth.calibration import load_calibration
    from minzheng.synth.devices import devices_for
    from minzheng.synth.population import _feed

    calibration = load_calibration()

    def a(name: str):
        return 1.0 if name == "device_alone_share" else calibration.assumption(name)

    per_person = sum(calibration.assumption("device_kind_shares")) + 0.02  # at least one
    persons = int(devices / per_person)
    today = np.datetime64(SNAPSHOT, "D")
    made = 0
    for c in range(COUNTIES):
        county = f"3399{c:02d}"
        n = persons // COUNTIES + (1 if c < persons % COUNTIES else 0)
        numbers = np.arange(n)
        ids = pa.array(np.char.add(f"{county}1940", np.char.zfill(numbers.astype(str), 8)))
        households = pa.array(np.char.add(f"H{county}", np.char.zfill(numbers.astype(str), 7)))
        rng = np.random.default_rng([1, c, 4])
        feeds, truth = devices_for(
            rng, county=county, today=today, a=a, person_ids=ids, household_ids=households
        )
        snapshot = today.item()
        for name, columns in feeds.items():
            folder = out / name / f"county={county}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                _feed(name, snapshot, columns), folder / "part-0.parquet", compression="zstd"
            )
        folder = out / "truth" / "device_emergencies" / f"county={county}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(truth, folder / "part-0.parquet", compression="zstd")
        made += len(feeds["elder_devices"]["device_id"])
    (out / "_lake.json").write_text(
        json.dumps({"format": "minzheng-lake", "snapshot_date": SNAPSHOT, "devices": made}) + "\n"
    )
    print(f"{made:,} devices of {persons:,} older people in {out}")


CHILD = """
import datetime as dt, json, sys, time
from minzheng.eldercare import alerts
start = time.perf_counter()
result = alerts.evaluate_lake(sys.argv[1], dt.date.fromisoformat(sys.argv[2]))
seconds = time.perf_counter() - start
rows = alerts.score(result.alerts, alerts.read_truth(sys.argv[1]), result.monitored)
print(json.dumps({"seconds": seconds, "alerts": result.alerts.num_rows,
                  "flagged": result.flagged.num_rows, "monitored": result.monitored,
                  "devices": result.devices, "score": rows}, ensure_ascii=False))
"""


def run(lake: Path) -> None:
    import os

    import duckdb
    import memwatch

    events = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{lake}/device_events/*/*.parquet')"
    ).fetchall()[0][0]
    print(f"load average before: {os.getloadavg()}")
    wall, gib, done = memwatch.run([sys.executable, "-c", CHILD, str(lake), SNAPSHOT])
    if done.returncode:
        sys.exit(done.stderr[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"load average after: {os.getloadavg()}")
    print(
        f"{result['devices']:,} devices, {events:,} signals, {result['monitored']:,} people: "
        f"evaluation {result['seconds']:.1f} s (process {wall:.1f} s, peak {gib:.2f} GiB); "
        f"{result['alerts']:,} alerts, {result['flagged']:,} unknown devices flagged"
    )
    for r in result["score"]:
        print(
            f"  {r['rule']:<12} alerts {r['alerts']:>7,}  planted {r['planted']:>6,}  "
            f"found {r['found']:>6,}  recall {r['recall']}  "
            f"false alarms per 1,000 {r['false_per_1000']:.2f}"
        )


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "build":
        build(folder, int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000)
    else:
        run(folder)
