"""Latency of explaining one household (warm): `.venv/bin/python bench/explain.py [N]`.

Explains the scenario households round-robin, N times (default 500) after one warm-up per
parameter set, and prints p50, p95 and p99 in milliseconds: once with the explainers'
remembered rule values cleared before every explain (each household computed in full), and
once with them kept (households repeat here, so this mostly measures the memo; on a lake,
where every household is new, see bench/verify.py).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.policy.test_scenarios import CASES, _explainers, explain_case  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    cases = [case for _name, case in CASES]
    for case in cases:
        explain_case(case)  # warm: compile once per parameter set and date
    for label, clear in (("memo cleared before each", True), ("memo kept", False)):
        times = []
        for i in range(n):
            if clear:
                for explainer in _explainers.values():
                    explainer._memo.clear()
            start = time.perf_counter()
            explain_case(cases[i % len(cases)])
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        q = statistics.quantiles(times, n=100)
        print(
            f"{n} explains of {len(cases)} households ({label}): p50 {q[49]:.1f} ms, "
            f"p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms"
        )


if __name__ == "__main__":
    main()
