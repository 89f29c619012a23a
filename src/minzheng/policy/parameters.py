"""Parameters: YAML files of dated values with region overrides that inherit downwards.

A file maps parameter names to a specification::

    dibao.standard_monthly:
      label: 最低生活保障标准
      unit: yuan per person per month
      type: money            # money | share | int | bool
      reference: 浙江省最低生活保障办法 …
      values: {2020-07-01: 800, 2022-07-01: 917}
      regions:               # optional; a county inherits its city's, a city the province's
        "330100": {2020-07-01: 1025, 2022-07-01: null}   # null: inherit again from this date

A lookup at (date, county) takes, from the most specific of county, city and province that
has a value in force at that date, the latest value whose date is on or before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import ParameterError

PARAMETER_DIR = Path(__file__).with_name("parameters")
TYPES = ("money", "share", "int", "bool")
PROVINCE = "330000"


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A YAML loader that refuses duplicate keys (PyYAML silently keeps the last). LibYAML's
    parser where PyYAML has it: ten times faster, and every command reads these files."""

    name: str  # the file, for messages


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ParameterError(
                "duplicate_key",
                gettext_noop("%(file)s line %(line)s: %(key)s is given twice (overlapping dates)."),
                file=loader.name,
                line=key_node.start_mark.line + 1,
                key=key,
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def region_chain(county: str) -> list[str]:
    """The county, its city and the province: the order in which overrides are looked up."""
    return [county, county[:4] + "00", PROVINCE] if county != PROVINCE else [PROVINCE]


@dataclass(frozen=True)
class Resolved:
    value: Any
    since: dt.date
    region: str  # where the value is defined ("330000" for the provincial default)


@dataclass
class Parameter:
    name: str
    label: str
    unit: str
    type: str
    reference: str
    values: dict[str, dict[dt.date, Any]] = field(default_factory=dict)  # region → date → value

    def resolve(self, date: dt.date, county: str) -> Resolved:
        """The value in force at `date` for `county`, and where it comes from."""
        for region in region_chain(county):
            dated = self.values.get(region)
            if not dated:
                continue
            past = [d for d in dated if d <= date]
            if past:
                since = max(past)
                if dated[since] is None:  # explicitly inherit from above from that date
                    continue
                return Resolved(dated[since], since, region)
        raise ParameterError(
            "no_value",
            gettext_noop("Parameter %(name)s has no value on %(date)s for region %(region)s."),
            name=self.name,
            date=date.isoformat(),
            region=county,
        )


def _coerce(name: str, kind: str, raw: Any, where: str) -> Any:
    if raw is None:
        return None
    try:
        if kind in ("money", "share"):
            if isinstance(raw, bool):
                raise InvalidOperation
            value = Decimal(str(raw))
            if not value.is_finite():
                raise InvalidOperation
            return value
        if kind == "int":
            if isinstance(raw, bool) or int(raw) != Decimal(str(raw)):
                raise InvalidOperation
            return int(raw)
        if kind == "bool":
            if not isinstance(raw, bool):
                raise InvalidOperation
            return raw
    except (InvalidOperation, ValueError, TypeError):
        pass
    raise ParameterError(
        "bad_value",
        gettext_noop("Parameter %(name)s (%(where)s): %(value)r is not a valid %(type)s."),
        name=name,
        where=where,
        value=raw,
        type=kind,
    )


def _dated(name: str, kind: str, raw: Any, where: str) -> dict[dt.date, Any]:
    if not isinstance(raw, dict) or not raw:
        raise ParameterError(
            "no_dates",
            gettext_noop("Parameter %(name)s (%(where)s) needs dated values: {YYYY-MM-DD: value}."),
            name=name,
            where=where,
        )
    out = {}
    for date, value in raw.items():
        if not isinstance(date, dt.date):
            raise ParameterError(
                "bad_date",
                gettext_noop("Parameter %(name)s (%(where)s): %(date)r is not a date YYYY-MM-DD."),
                name=name,
                where=where,
                date=date,
            )
        out[date] = _coerce(name, kind, value, f"{where} {date}")
    return out


def parse_parameter(name: str, spec: Any, source: str = "") -> Parameter:
    """Validate one parameter's specification."""
    if not isinstance(spec, dict):
        raise ParameterError(
            "bad_spec", gettext_noop("Parameter %(name)s must be a mapping."), name=name
        )
    for key in ("label", "unit", "type", "reference", "values"):
        if key not in spec:
            raise ParameterError(
                "missing_key",
                gettext_noop("Parameter %(name)s in %(source)s lacks %(key)s."),
                name=name,
                source=source,
                key=key,
            )
    kind = spec["type"]
    if kind not in TYPES:
        raise ParameterError(
            "bad_type",
            gettext_noop(
                "Parameter %(name)s: type %(type)r is not one of money, share, int, bool."
            ),
            name=name,
            type=kind,
        )
    values = {PROVINCE: _dated(name, kind, spec["values"], "values")}
    for region, dated in (spec.get("regions") or {}).items():
        region = str(region)
        if not (len(region) == 6 and region.isdigit()):
            raise ParameterError(
                "bad_region",
                gettext_noop("Parameter %(name)s: region %(region)r is not a 6-digit code."),
                name=name,
                region=region,
            )
        values[region] = _dated(name, kind, dated, f"regions.{region}")
    return Parameter(
        name, str(spec["label"]), str(spec["unit"]), kind, str(spec["reference"]), values
    )


@dataclass
class ParameterSet:
    """All parameters by name; immutable in use: overrides return a new set."""

    parameters: dict[str, Parameter]

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise ParameterError(
                "unknown",
                gettext_noop("There is no parameter named %(name)s."),
                name=name,
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.parameters

    def with_override(self, name: str, value: Any, region: str | None = None) -> ParameterSet:
        """A copy where `name` is `value` for every date: everywhere (replacing region
        overrides), or for one region subtree."""
        param = self[name]
        coerced = _coerce(name, param.type, value, "override")
        if region is None:
            values = {PROVINCE: {dt.date.min: coerced}}
        else:
            values = {r: d for r, d in param.values.items() if not r.startswith(_prefix(region))}
            values[region] = {dt.date.min: coerced}
        return ParameterSet({**self.parameters, name: replace(param, values=values)})


def _prefix(region: str) -> str:
    if region == PROVINCE:
        return region[:2]
    return region[:4] if region.endswith("00") else region


@cache
def load_parameters(directory: Path = PARAMETER_DIR) -> ParameterSet:
    """Every parameter file of a folder (read once; overrides return new sets)."""
    params: dict[str, Parameter] = {}
    for path in sorted(directory.glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            loader = _UniqueKeyLoader(handle)
            loader.name = path.name
            try:
                data = loader.get_single_data() or {}
            finally:
                loader.dispose()
        for name, spec in data.items():
            if name in params:
                raise ParameterError(
                    "duplicate_parameter",
                    gettext_noop("Parameter %(name)s is defined twice (%(file)s)."),
                    name=name,
                    file=path.name,
                )
            params[name] = parse_parameter(name, spec, path.name)
    return ParameterSet(params)
