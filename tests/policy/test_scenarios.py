"""YAML scenarios that a policy analyst can write: a household, a date, expected results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from minzheng.lib.idcard import make
from minzheng.policy.engine import Engine
from minzheng.policy.explain import Explainer
from minzheng.policy.household import parse_household
from minzheng.policy.parameters import load_parameters
from minzheng.policy.reforms import Reform
from tests.policy import reference

HERE = Path(__file__).parent / "scenarios"


def _load() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(HERE.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        defaults = data.get("defaults", {})
        for case in data["scenarios"]:
            cases.append((f"{path.stem}: {case['name']}", {**defaults, **case}))
    return cases


CASES = _load()


def household_from(case: dict) -> dict:
    """The household file of a scenario (IDs made where absent)."""
    members = []
    for i, raw in enumerate(case["members"]):
        member = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in raw.items()}
        member.setdefault(
            "id", make(case["county"], dt.date.fromisoformat(member["birth_date"]), 10 + i)
        )
        members.append(member)
    household = {
        "household_id": "S1",
        "county": case["county"],
        "enrolled": {"dibao": bool(case.get("enrolled", False))},
        "members": members,
    }
    if "emergency_loss" in case:
        household["emergency_loss"] = case["emergency_loss"]
    return household


_explainers: dict[tuple, Explainer] = {}


def explain_case(case: dict) -> dict:
    overrides = case.get("params") or {}
    key = tuple(sorted((k, str(v)) for k, v in overrides.items()))
    if key not in _explainers:
        parameters = Reform("scenario", overrides).apply(load_parameters())
        _explainers[key] = Explainer(Engine(parameters=parameters))
    household, members = parse_household(household_from(case))
    return _explainers[key].explain(household, members, case["date"])


def test_there_are_at_least_thirty_dibao_scenarios():
    assert sum(name.startswith("dibao:") for name, _ in CASES) >= 30


PROGRAMMES = {
    "dibao",
    "dibian",
    "tekun",
    "linshi",
    "child",
    "disability",
    "elderly",
    "eldercare",
}


def test_every_programme_has_its_scenarios():
    counts = {p: 0 for p in PROGRAMMES}
    for _name, case in CASES:
        for programme in case.get("expect", {}):
            if programme in PROGRAMMES:
                counts[programme] += 1
    minimum = {
        "tekun": 12,
        "child": 12,
        "disability": 12,
        "dibian": 8,
        "linshi": 8,
        "elderly": 8,
        "eldercare": 20,
    }
    assert {p: counts[p] for p in minimum} == {p: max(counts[p], n) for p, n in minimum.items()}, (
        counts
    )


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_scenario(name, case):
    explanation = explain_case(case)
    ids = [m.get("id") for m in household_from(case)["members"]]
    expect = case.get("expect", {})
    by_programme = expect if set(expect) <= PROGRAMMES else {"dibao": expect}
    for programme, expected_results in by_programme.items():
        result = explanation["results"][programme]
        for key, expected in expected_results.items():
            if key == "members":
                assert result["members"] == [ids[i] for i in expected], f"{name}: {programme}"
            elif key == "members_count":
                assert len(result["members"]) == expected, name
            else:
                assert result[key] == expected, f"{name}: {programme}.{key}"
    referrals = {r["kind"]: r for r in explanation["referrals"]}
    for kind, expected in case.get("referrals", {}).items():
        if kind == "housing":
            assert (kind in referrals) == expected, f"{name}: housing referral"
        else:
            got = referrals[kind]["members"] if kind in referrals else []
            assert got == [ids[i] for i in expected], f"{name}: {kind} referral"
    if "total" in case:
        assert explanation["totals"]["monthly_amount"] == case["total"], name


_duckdb_explainers: dict[tuple, Explainer] = {}


@pytest.mark.parametrize(("name", "case"), CASES[::3], ids=[n for n, _ in CASES[::3]])
def test_the_in_memory_explainer_matches_duckdb_value_for_value(name, case):
    """Explain runs in plain Python; every third scenario is also run through DuckDB and every
    intermediate value must be the same."""
    overrides = case.get("params") or {}
    key = tuple(sorted((k, str(v)) for k, v in overrides.items()))
    if key not in _duckdb_explainers:
        parameters = Reform("scenario", overrides).apply(load_parameters())
        _duckdb_explainers[key] = Explainer(Engine(parameters=parameters), backend="duckdb")
    household, members = parse_household(household_from(case))
    in_memory = explain_case(case)
    via_duckdb = _duckdb_explainers[key].explain(household, members, case["date"])
    assert in_memory["results"] == via_duckdb["results"], name
    assert in_memory["referrals"] == via_duckdb["referrals"], name
    assert in_memory["trace"]["rules"] == via_duckdb["trace"]["rules"], name


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_the_reference_agrees_on_the_elder_care_subsidy(name, case):
    """The plain-Python reference gives every scenario household the same 养老服务补贴 (status,
    amount to the fen, members) and the same 低边 status as the engine."""
    parameters = Reform("scenario", case.get("params") or {}).apply(load_parameters())
    household, members = parse_household(household_from(case))
    expected = reference.eldercare(household, members, case["date"], parameters)
    got = explain_case(case)["results"]
    assert got["eldercare"]["status"] == expected["status"], name
    assert got["eldercare"]["monthly_amount"] == str(expected["amount"]), name
    assert got["eldercare"]["members"] == expected["members"], name
    low_edge = reference.dibian(household, members, case["date"], parameters)
    assert (got["dibian"]["status"] == "eligible") == low_edge, name
