"""Evaluating the rules for one household in plain Python (the in-memory backend of explain).

A formula is called with `PyVars`, which hands out `formula.Scalar`s: every operation
computes its value at once with SQL's semantics (NULL propagation, three-valued logic,
decimals exact), and no Ibis is imported. A formula that calls Ibis itself (a reform's,
say) is called again with Ibis literals, and the expression it builds is reduced in Python
(`ibisreduce`). Only the operations the rules use are supported; anything else raises, so a
rule that needs a new operation fails loudly instead of differing silently from DuckDB and
Spark (the scenario tests compare this path with DuckDB).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from minzheng.policy.errors import PolicyError
from minzheng.policy.formula import CONTEXT, PLAIN, Scalar, cast_value, literal
from minzheng.policy.rules import AMOUNT, DTYPES, HOUSEHOLD, PERSON, Rule

Make = Callable[[Any, str], Any]  # (value, Ibis type name) → what a formula reads


def _ibis_literal(value: Any, type_: str) -> Any:
    import ibis

    return ibis.literal(value, type=type_)


def _number(value: Any) -> Any:
    """The plain value of a Scalar, a number, or an Ibis expression over literals."""
    if isinstance(value, Scalar):
        return value.value
    if value is None or isinstance(value, PLAIN):
        return value
    from minzheng.policy.ibisreduce import reduce

    return reduce(value.op())


class PyVars:
    """`Vars` for one row: values are `Scalar`s (or Ibis literals: `make`), aggregates are
    computed over the members."""

    def __init__(
        self,
        row: dict,
        kinds: dict[str, str],
        params: dict[str, Any],
        param_kinds,
        date,
        members=None,
        household=None,
        make: Make = literal,
    ):
        self._row, self._kinds, self._params = row, kinds, params
        self._param_kinds, self._date = param_kinds, date
        self._members, self._household = members, household
        self._make = make

    def _value(self, value: Any, kind: str) -> Any:
        return self._make(value, DTYPES[kind])

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def get(self, name: str):
        return self._value(self._row[name], self._kinds[name])

    def param(self, name: str):
        kind = self._param_kinds[name]
        return self._value(self._params[name], "share" if kind in ("money", "share") else kind)

    @property
    def date(self):
        return self._make(self._date, "date")

    def household(self, name: str):
        return self._value(self._household[name], self._kinds[name])

    def _values(self, name: str, where: str | None):
        return [m[name] for m in self._members if where is None or m[where] is True]

    def sum(self, name: str, where: str | None = None):
        values = [v for v in self._values(name, where) if v is not None]
        total = (
            sum(values, Decimal(0))
            if self._kinds[name] in ("money", "share", "amount")
            else sum(values)
        )
        return self._value(total, self._kinds[name] if self._kinds[name] != "bool" else "int")

    def count(self, name: str, where: str | None = None):
        return self._value(sum(1 for v in self._values(name, where) if v is True), "int")

    def any(self, name: str, where: str | None = None):
        return self._value(any(v is True for v in self._values(name, where)), "bool")

    def max(self, name: str, where: str | None = None):
        values = [v for v in self._values(name, where) if v is not None]
        return self._value(max(values) if values else None, self._kinds[name])

    def divide_round(self, numerator, denominator):
        num, den = _number(numerator), _number(denominator)
        if not den:
            return self._make(Decimal(0), AMOUNT)
        value = CONTEXT.divide(Decimal(num), Decimal(den)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        return self._make(value, AMOUNT)


def _rule_value(rule: Rule, vars_for: Callable[[Make], PyVars]) -> Any:
    """A rule's value, cast to its type: computed on Scalars, or on Ibis literals for a
    formula that calls Ibis itself."""
    try:
        result = rule.formula(vars_for(literal))
    except PolicyError:
        raise
    except Exception:
        result = rule.formula(vars_for(_ibis_literal))
    return cast_value(_number(result), rule.dtype)


def evaluate(
    rules: list[Rule],
    kinds: dict[str, str],
    params: dict,
    param_kinds: dict,
    date: dt.date,
    household: dict,
    members: list[dict],
    memo: dict | None = None,
) -> tuple[list[dict], dict]:
    """Every rule's value for one household: (member rows, household row).

    `memo` (kept by the caller across households) maps a rule's formula and the values it
    reads — its traced inputs, parameters and the date — to its value: a formula is a pure
    function of what it reads, and most values repeat from one household to the next."""
    members = [dict(m) for m in members]
    house = dict(household)
    with decimal.localcontext(CONTEXT):
        _evaluate_rules(rules, kinds, params, param_kinds, date, house, members, memo)
    return members, house


def _key(rule: Rule, row: dict, house: dict, members: list[dict] | None, params, date) -> tuple:
    reads = [row[d] for d in rule.deps]
    reads += [house[h] for h in rule.household_values]
    reads += [params[p] for p in rule.params]
    if members is not None:
        for _op, name, where in rule.aggregates:
            reads += [(m[name], m[where] if where else None) for m in members]
    return (rule.formula, date, *reads)


def _evaluate_rules(rules, kinds, params, param_kinds, date, house, members, memo) -> None:
    memo = {} if memo is None else memo
    for rule in rules:
        if rule.entity == PERSON:
            for member in members:
                key = _key(rule, member, house, None, params, date)
                if key not in memo:
                    memo[key] = _rule_value(
                        rule,
                        lambda make, m=member: PyVars(
                            m, kinds, params, param_kinds, date, household=house, make=make
                        ),
                    )
                member[rule.name] = memo[key]
        elif rule.entity == HOUSEHOLD:
            key = _key(rule, house, house, members, params, date)
            if key not in memo:
                memo[key] = _rule_value(
                    rule,
                    lambda make: PyVars(
                        house, kinds, params, param_kinds, date, members=members, make=make
                    ),
                )
            house[rule.name] = memo[key]
