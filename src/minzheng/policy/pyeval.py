"""Evaluating the rules for one household in plain Python (the in-memory backend of explain).

A formula is called with `PyVars`, which hands out Ibis *literals*; the resulting expression
is then reduced here with SQL's semantics (NULL propagation, three-valued logic, decimals
exact). Only the operations the rules use are supported; anything else raises, so a rule that
needs a new operation fails loudly instead of differing silently from DuckDB and Spark (the
scenario tests compare this path with DuckDB).
"""

from __future__ import annotations

import datetime as dt
import decimal
import operator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt_
import ibis.expr.operations as ops

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import BackendError
from minzheng.policy.rules import DTYPES, HOUSEHOLD, PERSON, Rule

CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP)


# Arithmetic runs under CONTEXT (set by `evaluate`), so decimals stay exact.
BINARY = {
    ops.Add: operator.add,
    ops.Subtract: operator.sub,
    ops.Multiply: operator.mul,
    ops.Equals: operator.eq,
    ops.NotEquals: operator.ne,
    ops.Less: operator.lt,
    ops.LessEqual: operator.le,
    ops.Greater: operator.gt,
    ops.GreaterEqual: operator.ge,
}


def _all(values, fn):
    return None if any(v is None for v in values) else fn(*values)


def _cast(value: Any, to: dt_.DataType) -> Any:
    if value is None:
        return None
    if to.is_decimal():
        return Decimal(value).quantize(
            Decimal(1).scaleb(-to.scale), rounding=ROUND_HALF_UP, context=CONTEXT
        )
    if to.is_integer():
        return int(value)
    if to.is_boolean():
        return bool(value)
    if to.is_string():
        return str(value)
    if to.is_date():
        return value
    raise BackendError(
        "unsupported_cast", gettext_noop("Cannot cast to %(type)s in memory."), type=str(to)
    )


def reduce(op: ops.Node) -> Any:  # noqa: C901 (one branch per operation, on purpose)
    """The value of an expression built from literals, with SQL semantics."""
    r = reduce
    binary = BINARY.get(type(op))
    if binary is not None:
        return _all([r(op.left), r(op.right)], binary)
    match op:
        case ops.Literal():
            return op.value
        case ops.Cast():
            return _cast(r(op.arg), op.to)
        case ops.Negate():
            return _all([r(op.arg)], operator.neg)
        case ops.And():
            a, b = r(op.left), r(op.right)
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        case ops.Or():
            a, b = r(op.left), r(op.right)
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        case ops.Not():
            return _all([r(op.arg)], lambda a: not a)
        case ops.IfElse():
            return r(op.true_expr) if r(op.bool_expr) is True else r(op.false_null_expr)
        case ops.SearchedCase():
            for case, result in zip(op.cases, op.results, strict=True):
                if r(case) is True:
                    return r(result)
            return r(op.default) if op.default is not None else None
        case ops.Least():
            values = [r(a) for a in op.arg]
            return None if any(v is None for v in values) else min(values)
        case ops.Greatest():
            values = [r(a) for a in op.arg]
            return None if any(v is None for v in values) else max(values)
        case ops.InValues():
            value = r(op.value)
            return None if value is None else value in {r(o) for o in op.options}
        case ops.NotNull():
            return r(op.arg) is not None
        case ops.IsNull():
            return r(op.arg) is None
        case ops.ExtractYear():
            return _all([r(op.arg)], lambda d: d.year)
        case ops.ExtractMonth():
            return _all([r(op.arg)], lambda d: d.month)
        case ops.ExtractDay():
            return _all([r(op.arg)], lambda d: d.day)
        case ops.StringConcat():
            values = [r(a) for a in op.arg]
            return None if any(v is None for v in values) else "".join(values)
    raise BackendError(
        "unsupported_operation",
        gettext_noop("The in-memory evaluator does not support %(op)s."),
        op=type(op).__name__,
    )


def _literal(value: Any, kind: str) -> Any:
    return ibis.literal(value, type=DTYPES[kind])


class PyVars:
    """`Vars` for one row: values are Ibis literals, aggregates are computed over members."""

    def __init__(
        self,
        row: dict,
        kinds: dict[str, str],
        params: dict[str, Any],
        param_kinds,
        date,
        members=None,
        household=None,
    ):
        self._row, self._kinds, self._params = row, kinds, params
        self._param_kinds, self._date = param_kinds, date
        self._members, self._household = members, household

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def get(self, name: str):
        return _literal(self._row[name], self._kinds[name])

    def param(self, name: str):
        kind = self._param_kinds[name]
        return _literal(self._params[name], "share" if kind in ("money", "share") else kind)

    @property
    def date(self):
        return ibis.literal(self._date, type=dt_.date)

    def household(self, name: str):
        return _literal(self._household[name], self._kinds[name])

    def _values(self, name: str, where: str | None):
        return [m[name] for m in self._members if where is None or m[where] is True]

    def sum(self, name: str, where: str | None = None):
        values = [v for v in self._values(name, where) if v is not None]
        total = (
            sum(values, Decimal(0))
            if self._kinds[name] in ("money", "share", "amount")
            else sum(values)
        )
        return _literal(total, self._kinds[name] if self._kinds[name] != "bool" else "int")

    def count(self, name: str, where: str | None = None):
        return _literal(sum(1 for v in self._values(name, where) if v is True), "int")

    def any(self, name: str, where: str | None = None):
        return _literal(any(v is True for v in self._values(name, where)), "bool")

    def max(self, name: str, where: str | None = None):
        values = [v for v in self._values(name, where) if v is not None]
        return _literal(max(values) if values else None, self._kinds[name])

    def divide_round(self, numerator, denominator):
        num = reduce(numerator.op()) if hasattr(numerator, "op") else numerator
        den = reduce(denominator.op()) if hasattr(denominator, "op") else denominator
        if not den:
            return _literal(Decimal(0), "amount")
        value = CONTEXT.divide(Decimal(num), Decimal(den)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        return _literal(value, "amount")


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
                    v = PyVars(member, kinds, params, param_kinds, date, household=house)
                    memo[key] = _cast(reduce(rule.formula(v).op()), rule.dtype)
                member[rule.name] = memo[key]
        elif rule.entity == HOUSEHOLD:
            key = _key(rule, house, house, members, params, date)
            if key not in memo:
                v = PyVars(house, kinds, params, param_kinds, date, members=members)
                memo[key] = _cast(reduce(rule.formula(v).op()), rule.dtype)
            house[rule.name] = memo[key]
