"""Reforms are data: named parameter overrides, applied to a parameter set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import ParameterError
from minzheng.policy.parameters import ParameterSet


@dataclass(frozen=True)
class Reform:
    """Parameter overrides and, where a rule itself changes, replacement formulas by rule name
    (keeping the rule's entity, type, label and reference)."""

    name: str
    overrides: dict[str, Any] = field(default_factory=dict)  # "name" or "name@REGION" → value
    rules: dict[str, Callable] = field(default_factory=dict)  # rule name → new formula

    def apply(self, parameters: ParameterSet) -> ParameterSet:
        """A new parameter set with the overrides (a whole-province value replaces regions)."""
        for key, value in self.overrides.items():
            name, _, region = key.partition("@")
            if region and not (len(region) == 6 and region.isdigit()):
                raise ParameterError(
                    "bad_region",
                    gettext_noop("%(key)s: %(region)s is not a 6-digit region code."),
                    key=key,
                    region=region,
                )
            parameters = parameters.with_override(name, value, region or None)
        return parameters


def parse_assignments(items: list[str]) -> Reform:
    """`NAME=VALUE` / `NAME@REGION=VALUE` from the command line; values are YAML scalars."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ParameterError(
                "bad_assignment",
                gettext_noop("--param %(item)s: expected NAME=VALUE or NAME@REGION=VALUE."),
                item=item,
            )
        overrides[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
    return Reform("command line", overrides)


def load_reform(path: Path) -> Reform:
    """A reform file: {name: …, parameters: {NAME: VALUE, NAME@REGION: VALUE}}."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("parameters", {}), dict):
        raise ParameterError(
            "bad_reform",
            gettext_noop("%(file)s: a reform is {name: …, parameters: {NAME: VALUE}}."),
            file=str(path),
        )
    return Reform(str(data.get("name", Path(path).stem)), dict(data.get("parameters") or {}))
