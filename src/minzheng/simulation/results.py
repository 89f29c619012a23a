"""A run's figures by region (framework-free): the counties' rows summed up to the city and
the province, with what follows from them — yearly cost, average amount, caseworker hours,
poverty rate and gap. Aggregates only: counts and sums of households and persons."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from minzheng.regions.levels import code_at

LEVELS = ("province", "city", "county")
WORKLOAD = Path(__file__).with_name("workload.yaml")


def workload(path: Path = WORKLOAD) -> dict[str, float]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {k: float(v) for k, v in data.items()}


def rollup(rows: list[dict]) -> dict[str, dict[str, dict]]:
    """level → region code → the summed figures of its counties."""
    out: dict[str, dict[str, dict]] = {level: {} for level in LEVELS}
    for row in rows:
        for level in LEVELS:
            code = code_at(str(row["county"]), level)
            into = out[level].setdefault(code, {})
            for key, value in row.items():
                if key != "county":
                    into[key] = into.get(key, 0) + (value or 0)
    return out


def programme_figures(totals: dict, programme: str, hours: dict[str, float]) -> dict:
    """One programme's figures of a region (scenario and baseline), with what follows."""
    g = {k.split("__", 1)[1]: v for k, v in totals.items() if k.startswith(f"{programme}__")}
    monthly = Decimal(g["monthly_cost"])
    base_monthly = Decimal(g["baseline_monthly_cost"])
    households = int(g["households"])
    out = {
        "households": households,
        "persons": int(g["persons"]),
        "monthly_cost": monthly,
        "annual_cost": monthly * 12,
        "one_off_cost": Decimal(g["one_off_cost"]),
        "average_amount": (monthly / households).quantize(Decimal("0.01")) if households else None,
        "baseline_households": int(g["baseline_households"]),
        "baseline_persons": int(g["baseline_persons"]),
        "baseline_annual_cost": base_monthly * 12,
        "annual_cost_change": (monthly - base_monthly) * 12,
        "newly_covered": int(g["newly_covered"]),
        "newly_excluded": int(g["newly_excluded"]),
        "amount_changed": int(g["amount_changed"]),
    }
    out["caseworker_hours"] = (
        out["newly_covered"] * hours["hours_per_new_case"]
        + out["amount_changed"] * hours["hours_per_review"]
        + out["newly_excluded"] * hours["hours_per_exit"]
    )
    return out


def poverty_figures(totals: dict) -> dict:
    """Persons below the baseline's 低保 standard before and after transfers (headcount
    rate) and the poverty gap index (FGT1: the mean shortfall as a share of the line)."""
    persons = float(totals["persons"]) or 1.0
    return {
        "persons": int(totals["persons"]),
        "rate_before": totals["poor_before"] / persons,
        "rate_after_baseline": totals["poor_after_baseline"] / persons,
        "rate_after": totals["poor_after"] / persons,
        "gap_before": totals["gap_before"] / persons,
        "gap_after_baseline": totals["gap_after_baseline"] / persons,
        "gap_after": totals["gap_after"] / persons,
    }


def summary(rows: list[dict], programmes: list[str], hours: dict[str, float]) -> dict:
    """level → code → {"programmes": {name: figures}, "poverty": figures}."""
    out: dict[str, dict] = {}
    for level, regions in rollup(rows).items():
        out[level] = {
            code: {
                "programmes": {p: programme_figures(t, p, hours) for p in programmes},
                "poverty": poverty_figures(t),
            }
            for code, t in sorted(regions.items())
        }
    return out
