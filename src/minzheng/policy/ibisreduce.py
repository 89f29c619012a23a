"""Reducing an Ibis expression built from literals to its value, with SQL's semantics.

Used by `pyeval` only for a formula that calls Ibis itself (a reform's, say); the shipped
rules are written with `formula` and computed without Ibis. Only the operations the rules
use are supported; anything else raises.
"""

from __future__ import annotations

import operator
from typing import Any

import ibis.expr.operations as ops

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import BackendError
from minzheng.policy.formula import cast_value

# Arithmetic runs under formula.CONTEXT (set by `pyeval.evaluate`), so decimals stay exact.
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
            return cast_value(r(op.arg), str(op.to))
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
        case ops.Least():  # NULLs skipped, as in DuckDB and Spark
            values = [v for v in (r(a) for a in op.arg) if v is not None]
            return min(values) if values else None
        case ops.Greatest():
            values = [v for v in (r(a) for a in op.arg) if v is not None]
            return max(values) if values else None
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
