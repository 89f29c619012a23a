"""Scenarios (政策仿真方案): a name, an effective date and parameter overrides — any
parameter of any programme, for the province or one region (`NAME@REGION`) — and optionally
rules whose formula is replaced (the policy engine's reform mechanism), read from YAML and
checked on load (framework-free).

    name: 低保标准提高到每月1000元
    date: 2021-01-01
    parameters:
      dibao.standard_monthly: 1000
      dibao.standard_monthly@330100: {value: 1100, unit: yuan per person per month}
    rules:
      dibao_monthly_amount: mypackage.reforms:dibao_amount   # optional

An override holds from the effective date on: the value in force before it is kept, later
dated values of the parameter file are replaced (a province-wide override also replaces the
regions' own values from that date, as a city's override replaces its counties'). A file
with an unknown parameter or rule, a value of the wrong type or unit, an effective date
before the parameter's first value, a region that is not a 6-digit code, or two overrides
of one parameter for one region is refused with the file and the line.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from minzheng.lib import yamllines
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten
from minzheng.policy.errors import ParameterError
from minzheng.policy.parameters import PROVINCE, ParameterSet, _coerce, _prefix
from minzheng.policy.reforms import Reform


class ScenarioError(TranslatableError):
    """A scenario file that cannot be used: the message names the file and the line."""


@dataclass(frozen=True)
class Override:
    parameter: str
    region: str  # PROVINCE for the whole province
    value: Any
    line: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    date: dt.date  # the effective date
    overrides: tuple[Override, ...] = ()
    rules: dict[str, Callable] = field(default_factory=dict)
    file: str = ""

    @property
    def parameters(self) -> set[str]:
        """The names of the parameters it changes."""
        return {o.parameter for o in self.overrides}

    def apply(self, parameters: ParameterSet) -> ParameterSet:
        """The parameter set with the overrides in force from the effective date."""
        changed = dict(parameters.parameters)
        for o in self.overrides:
            param = changed[o.parameter]
            values = dict(param.values)
            for region, dated in param.values.items():
                if region != o.region and region.startswith(_prefix(o.region)):
                    # below the override: its own values until the date, then inherit
                    kept = {d: v for d, v in dated.items() if d < self.date}
                    values[region] = {**kept, self.date: None}
            values[o.region] = {
                **{d: v for d, v in param.values.get(o.region, {}).items() if d < self.date},
                self.date: o.value,
            }
            changed[o.parameter] = replace(param, values=values)
        return ParameterSet(changed)

    def reform(self) -> Reform:
        """The rules replaced, as the engine's reform (the overrides are applied apart)."""
        return Reform(self.name, {}, dict(self.rules))


def _fail(code: str, template: str, file: Path | str, line: int, **params: Any) -> ScenarioError:
    return ScenarioError(code, template, file=str(file), line=line, **params)


def load_scenario(path: Path, parameters: ParameterSet, rules: set[str]) -> Scenario:
    """A scenario file checked against the parameters and rule names in force (see the
    module)."""
    data = yamllines.read(path, ScenarioError, duplicate="duplicate_override")
    if not isinstance(data, dict) or not isinstance(data.get("parameters", {}), dict):
        raise _fail(
            "bad_scenario",
            gettext_noop(
                "%(file)s line %(line)s: a scenario is {name, date, parameters: {NAME: VALUE}}."
            ),
            path,
            getattr(data, "line", 1),
        )
    for key in ("name", "date"):
        if key not in data:
            raise _fail(
                "scenario_field_missing",
                gettext_noop("%(file)s line %(line)s: the scenario lacks %(fields)s."),
                path,
                data.line,
                fields=key,
            )
    date = data["date"]
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise _fail(
            "bad_date",
            gettext_noop("%(file)s line %(line)s: date = %(value)s is not a date YYYY-MM-DD."),
            path,
            yamllines.line_of(data, "date"),
            value=shorten(str(date)),
        )
    raw = data.get("parameters") or {}
    overrides: list[Override] = []
    seen: dict[tuple[str, str], int] = {}
    for key, given in raw.items():
        line = yamllines.line_of(raw, key)
        name, _, region = str(key).partition("@")
        region = region or PROVINCE
        if name not in parameters:
            raise _fail(
                "unknown_parameter",
                gettext_noop("%(file)s line %(line)s: there is no parameter %(name)s."),
                path,
                line,
                name=shorten(name),
            )
        if not (len(region) == 6 and region.isdigit()):
            raise _fail(
                "bad_region",
                gettext_noop("%(file)s line %(line)s: %(region)s is not a 6-digit region code."),
                path,
                line,
                region=shorten(region),
            )
        if (name, region) in seen:
            raise _fail(
                "duplicate_override",
                gettext_noop("%(file)s line %(line)s: %(what)s is given twice."),
                path,
                line,
                what=f"{name}@{region}",
            )
        seen[(name, region)] = line
        param = parameters[name]
        value = given
        if isinstance(given, dict):
            unit = given.get("unit")
            if unit is not None and str(unit) != param.unit:
                raise _fail(
                    "wrong_unit",
                    gettext_noop("%(file)s line %(line)s: %(name)s is in %(unit)s, not %(given)s."),
                    path,
                    line,
                    name=name,
                    unit=param.unit,
                    given=shorten(str(unit)),
                )
            value = given.get("value")
        try:
            coerced = _coerce(name, param.type, value, "scenario")
        except ParameterError:
            coerced = None
        if coerced is None:
            raise _fail(
                "wrong_type",
                gettext_noop(
                    "%(file)s line %(line)s: %(name)s = %(value)s is not a valid %(type)s."
                ),
                path,
                line,
                name=name,
                value=shorten(str(value)),
                type=param.type,
            )
        first = min(param.values[PROVINCE])
        if date < first:
            raise _fail(
                "before_first_value",
                gettext_noop(
                    "%(file)s line %(line)s: %(name)s has no value before %(first)s; the "
                    "scenario's date %(date)s is earlier."
                ),
                path,
                line,
                name=name,
                first=first.isoformat(),
                date=date.isoformat(),
            )
        overrides.append(Override(name, region, coerced, line))
    replaced: dict[str, Callable] = {}
    raw_rules = data.get("rules") or {}
    if not isinstance(raw_rules, dict):
        raise _fail(
            "bad_scenario",
            gettext_noop(
                "%(file)s line %(line)s: a scenario is {name, date, parameters: {NAME: VALUE}}."
            ),
            path,
            yamllines.line_of(data, "rules"),
        )
    for rule, target in raw_rules.items():
        line = yamllines.line_of(raw_rules, rule)
        if rule not in rules:
            raise _fail(
                "unknown_rule",
                gettext_noop("%(file)s line %(line)s: there is no rule %(name)s."),
                path,
                line,
                name=shorten(str(rule)),
            )
        module, _, attribute = str(target).partition(":")
        try:
            formula = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError, ValueError):
            formula = None
        if not callable(formula):
            raise _fail(
                "bad_formula",
                gettext_noop(
                    "%(file)s line %(line)s: %(target)s is not a formula (module:function)."
                ),
                path,
                line,
                target=shorten(str(target)),
            )
        replaced[rule] = formula
    if not overrides and not replaced:
        raise _fail(
            "empty_scenario",
            gettext_noop("%(file)s line %(line)s: the scenario changes nothing."),
            path,
            data.line,
        )
    return Scenario(str(data["name"]), date, tuple(overrides), replaced, str(path))
