"""Policy simulation at scale (issue #14).

    .venv/bin/python bench/simulation.py [--lake var/bench-lake-1.0] [--date 2020-12-31]
        [--parts baseline,three,params,budget] [--ways 8] [--chunk-persons 3000000]

Goals of issue #14, at scale 1.0 on this machine: the baseline plus three scenarios under
1.5 × the time of the baseline alone; the budget search to the yuan under 10 minutes; peak
memory under 10 GB; and how the time of one scenario grows with the number of parameters it
changes.

Each measurement runs in a child process (this file with `--child …`), timed from outside
with the peak resident memory of its process tree sampled from /proc every 0.1 s
(`bench/memwatch.py`); the machine's load average is printed before and after. Parts:

- `baseline`: `simulation.run.simulate` with no scenario (the baseline's figures by county);
- `three`: the baseline and three scenarios in one run — the 低保 standard at 1,000 yuan, the
  高龄津贴 of 80–89 at 100 yuan, the orphans' standard at 25,000 yuan — and the ratio to
  `baseline`;
- `params`: the baseline and one scenario changing 1, 2, 4 and 8 parameters (from different
  programmes), each a run: its time less the baseline's is what the scenario costs;
- `budget`: `simulation.budget.search` of the 低保 standard from 800 to 1,500 yuan to the
  yuan, for a budget between the costs at 950 and 951 yuan (so that it must narrow to one
  yuan), with `--ways` values a run (and 1, plain bisection, when `--ways` is above 1 and
  `--with-bisection` is given). `--budget YUAN` skips the run that fixes the budget (its
  figure from an earlier run on the same lake).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memwatch import run as watched  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Parameters of different programmes, with a changed value each (the `params` part).
CHANGES = [
    ("dibao.standard_monthly", "1000"),
    ("elderly.allowance_80", "100"),
    ("child.orphan_institution_yearly", "25000"),
    ("disability.living_share", "0.35"),
    ("tekun.basic_multiple", "1.4"),
    ("dibian.income_multiple", "1.6"),
    ("linshi.support_rate", "0.6"),
    ("elderly.allowance_90", "200"),
]


def scenario_text(name: str, changes: list[tuple[str, str]]) -> str:
    lines = [f"name: {name}", "date: 2020-07-01", "parameters:"]
    lines += [f"  {p}: {v}" for p, v in changes]
    return "\n".join(lines) + "\n"


def child(args) -> None:
    """One measured run, in this process; prints a JSON line of its figures."""
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.simulation import budget as budgets
    from minzheng.simulation.run import BASELINE, simulate
    from minzheng.simulation.scenarios import load_scenario

    engine = Engine()
    con = connect("duckdb")
    date = dt.date.fromisoformat(args.date)
    started = time.perf_counter()
    out: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        scenarios = []
        for i, text in enumerate(json.loads(args.scenarios or "[]")):
            path = Path(folder) / f"s{i}.yaml"
            path.write_text(text, encoding="utf-8")
            scenarios.append(load_scenario(path, engine.parameters, set(engine.rules)))
        if args.child == "simulate":
            rows = simulate(engine, con, args.lake, date, scenarios, max_persons=args.chunk_persons)
            out["households"] = sum(r["households"] for r in rows[BASELINE])
            out["dibao_annual_cost"] = {
                name: str(sum(Decimal(r["dibao__monthly_cost"] or 0) for r in rs) * 12)
                for name, rs in rows.items()
            }
        else:  # budget
            steps = []
            value, _steps = budgets.search(
                engine,
                con,
                args.lake,
                date,
                "dibao.standard_monthly",
                Decimal(args.budget),
                Decimal(800),
                Decimal(1500),
                ways=args.ways,
                report=lambda s: steps.append(
                    [
                        str(s.value),
                        str(s.annual_cost),
                        s.fits,
                        s.over_all,
                        round(time.perf_counter() - started, 1),
                    ]
                ),
                max_persons=args.chunk_persons,
            )
            out |= {"value": str(value), "steps": steps}
    out["seconds_inside"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, ensure_ascii=False))


def measure(args, kind: str, scenarios: list[str], **extra) -> dict:
    command = [
        PYTHON,
        __file__,
        "--child",
        kind,
        "--lake",
        str(args.lake),
        "--date",
        args.date,
        "--chunk-persons",
        str(args.chunk_persons),
        "--scenarios",
        json.dumps(scenarios, ensure_ascii=False),
    ]
    for key, value in extra.items():
        command += [f"--{key}", str(value)]
    load = os.getloadavg()[0]
    seconds, peak, done = watched(command)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures | {
        "seconds": round(seconds, 1),
        "peak_gib": round(peak, 2),
        "load": f"{load:.2f} → {os.getloadavg()[0]:.2f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", type=Path, default=ROOT / "var" / "bench-lake-1.0")
    parser.add_argument("--date", default="2020-12-31")
    parser.add_argument("--parts", default="baseline,three,params,budget")
    parser.add_argument("--ways", type=int, default=8)
    parser.add_argument("--with-bisection", action="store_true")
    parser.add_argument("--chunk-persons", type=int, default=3_000_000)
    parser.add_argument("--child")
    parser.add_argument("--scenarios")
    parser.add_argument("--budget")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    parts = args.parts.split(",")
    print(f"lake {args.lake}, date {args.date}, machine load {os.getloadavg()[0]:.2f}")
    base = None
    if "baseline" in parts or "three" in parts or "params" in parts:
        base = measure(args, "simulate", [])
        print("baseline alone:", json.dumps(base, ensure_ascii=False))
    if "three" in parts:
        three = [
            scenario_text("低保1000", [CHANGES[0]]),
            scenario_text("高龄100", [CHANGES[1]]),
            scenario_text("孤儿25000", [CHANGES[2]]),
        ]
        result = measure(args, "simulate", three)
        ratio = result["seconds"] / base["seconds"]
        print("baseline + 3 scenarios:", json.dumps(result, ensure_ascii=False))
        print(f"ratio to the baseline alone: {ratio:.2f} (goal < 1.5)")
    if "budget" in parts and args.budget:  # known from an earlier run of this part
        budget = Decimal(args.budget)
        print(f"budget given: {budget:,.2f}")
    elif "budget" in parts:
        costs = measure(
            args,
            "simulate",
            [
                scenario_text("950", [("dibao.standard_monthly", "950")]),
                scenario_text("951", [("dibao.standard_monthly", "951")]),
            ],
        )["dibao_annual_cost"]
        budget = (Decimal(costs["950"]) + Decimal(costs["951"])) / 2
        print(f"budget between the costs at 950 and 951 yuan: {budget:,.2f}")
    if "budget" in parts:
        for ways in sorted({args.ways, 1} if args.with_bisection else {args.ways}):
            result = measure(args, "budget", [], budget=budget, ways=ways)
            print(f"budget search, {ways} value(s) a run:", json.dumps(result, ensure_ascii=False))
    if "params" in parts:
        for n in (1, 2, 4, 8):
            result = measure(args, "simulate", [scenario_text(f"{n}个参数", CHANGES[:n])])
            extra = result["seconds"] - base["seconds"]
            print(
                f"one scenario of {n} parameter(s): {result['seconds']} s "
                f"(+{extra:.1f} s over the baseline), peak {result['peak_gib']} GiB, "
                f"load {result['load']}"
            )


if __name__ == "__main__":
    main()
