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
    return {
        "household_id": "S1",
        "county": case["county"],
        "enrolled": {"dibao": bool(case.get("enrolled", False))},
        "members": members,
    }


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


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_scenario(name, case):
    result = explain_case(case)["results"]["dibao"]
    ids = [m.get("id") for m in household_from(case)["members"]]
    for key, expected in case["expect"].items():
        if key == "members":
            assert result["members"] == [ids[i] for i in expected], name
        elif key == "members_count":
            assert len(result["members"]) == expected, name
        else:
            assert result[key] == expected, f"{name}: {key}"
