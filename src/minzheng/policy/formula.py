"""What formulas are written with: one formula builds an Ibis expression over columns (the
engine on DuckDB or Spark) and computes a plain value for one household (explain).

A formula reads its `Vars`. Over tables they hand out Ibis columns; for one household
(`pyeval`) and while dependencies are traced they hand out `Scalar`s: a Python value with
its type, computed with SQL's semantics (NULL propagates, three-valued logic, exact
decimals). `ifelse`, `cases`, `least`, `greatest` and `literal` take either: given an Ibis
expression they build one (importing Ibis only then), given scalars they compute. So a
household is explained without importing Ibis, and a formula is written once.
"""

from __future__ import annotations

import datetime as dt
import decimal
import operator
import re
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import BackendError

# Decimals are exact here: 60 digits hold any amount the bounds of the inputs allow.
CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP)
PLAIN = (bool, int, Decimal, str, dt.date)
DECIMAL_TYPE = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)")
INTEGER_TYPES = {"int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def type_of(value: Any) -> str | None:
    """The Ibis type name of a plain Python value (None for NULL)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, Decimal):
        return "decimal(28, 8)"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date):
        return "date"
    return None


def cast_value(value: Any, to: str) -> Any:
    """`value` cast to the Ibis type named `to`, as a plain value (decimals rounded half-up)."""
    if value is None:
        return None
    to = str(to).lstrip("!").lower()
    scale = DECIMAL_TYPE.fullmatch(to)
    if scale:
        exponent = Decimal(1).scaleb(-int(scale.group(2)))
        return Decimal(value).quantize(exponent, rounding=ROUND_HALF_UP, context=CONTEXT)
    if to in INTEGER_TYPES:
        return int(value)
    if to == "boolean":
        return bool(value)
    if to == "string":
        return str(value)
    if to == "date":
        return value
    raise BackendError(
        "unsupported_cast", gettext_noop("Cannot cast to %(type)s in memory."), type=to
    )


def _foreign(x: Any) -> bool:
    """True for an Ibis expression (anything that is neither a Scalar nor a plain value)."""
    return x is not None and not isinstance(x, (Scalar, *PLAIN))


def _plain(x: Any) -> Any:
    return x.value if isinstance(x, Scalar) else x


def to_ibis(x: Any) -> Any:
    """An Ibis expression for `x` (a Scalar becomes a typed literal)."""
    if isinstance(x, Scalar):
        import ibis

        return ibis.literal(x.value, type=x.type) if x.type else ibis.null()
    return x


def _scalar(value: Any, *like: Any) -> Scalar:
    """`value` as a Scalar; a NULL takes its type from the first typed operand in `like`."""
    if isinstance(value, Scalar):
        return value
    kind = type_of(value)
    for other in like:
        if kind is not None:
            break
        kind = other.type if isinstance(other, Scalar) else type_of(other)
    return Scalar(value, kind)


def _and(a: Any, b: Any) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: Any, b: Any) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _binary(fn: Callable[[Any, Any], Any], reflected: bool = False, nulls: bool = True):
    """A Scalar operator: NULL in, NULL out (unless `nulls` is False: `&` and `|`)."""

    def method(self: Scalar, other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        if _foreign(other):
            return fn(to_ibis(a), to_ibis(b))
        x, y = _plain(a), _plain(b)
        if nulls and (x is None or y is None):
            return _scalar(None, a, b)
        return _scalar(fn(x, y), a, b)

    return method


class Scalar:
    """One value of a formula for one row, with its Ibis type name (e.g. `decimal(28, 8)`)."""

    __slots__ = ("type", "value")
    __hash__ = None  # type: ignore[assignment]  # `==` builds a value, as Ibis's does

    def __init__(self, value: Any, type: str | None = None) -> None:
        self.value = value
        self.type = type

    def __repr__(self) -> str:
        return f"Scalar({self.value!r}, {self.type!r})"

    def __bool__(self) -> bool:
        raise TypeError(
            "a formula's value has no Python truth value: use ifelse, cases, &, | and ~"
        )

    __add__ = _binary(operator.add)
    __radd__ = _binary(operator.add, reflected=True)
    __sub__ = _binary(operator.sub)
    __rsub__ = _binary(operator.sub, reflected=True)
    __mul__ = _binary(operator.mul)
    __rmul__ = _binary(operator.mul, reflected=True)
    __eq__ = _binary(operator.eq)  # type: ignore[assignment]
    __ne__ = _binary(operator.ne)  # type: ignore[assignment]
    __lt__ = _binary(operator.lt)
    __le__ = _binary(operator.le)
    __gt__ = _binary(operator.gt)
    __ge__ = _binary(operator.ge)
    __and__ = _binary(_and, nulls=False)
    __rand__ = _binary(_and, reflected=True, nulls=False)
    __or__ = _binary(_or, nulls=False)
    __ror__ = _binary(_or, reflected=True, nulls=False)

    def _unary(self, fn: Callable[[Any], Any], kind: str | None = None) -> Scalar:
        value = None if self.value is None else fn(self.value)
        return Scalar(value, kind or self.type)

    def __invert__(self) -> Scalar:
        return self._unary(operator.not_, "boolean")

    def __neg__(self) -> Scalar:
        return self._unary(operator.neg)

    def cast(self, to: str) -> Scalar:
        """The value as another type (`"int64"`, `"decimal(28, 8)"` …)."""
        return Scalar(cast_value(self.value, to), str(to))

    def isin(self, values: Iterable[Any]) -> Scalar:
        """Whether the value is one of `values` (NULL for NULL)."""
        return self._unary(lambda v: v in {_plain(x) for x in values}, "boolean")

    def notnull(self) -> Scalar:
        return Scalar(self.value is not None, "boolean")

    def isnull(self) -> Scalar:
        return Scalar(self.value is None, "boolean")

    def year(self) -> Scalar:
        return self._unary(lambda d: d.year, "int32")

    def month(self) -> Scalar:
        return self._unary(lambda d: d.month, "int32")

    def day(self) -> Scalar:
        return self._unary(lambda d: d.day, "int32")

    def concat(self, *others: Any) -> Any:
        """The texts joined (NULL when one is NULL)."""
        if any(_foreign(o) for o in others):
            return to_ibis(self).concat(*(to_ibis(o) for o in others))
        parts = [self.value, *(_plain(o) for o in others)]
        return Scalar(None if None in parts else "".join(parts), "string")


def literal(value: Any, type: str | None = None) -> Scalar:
    """A constant of a formula (`literal(0, "decimal(28, 8)")`)."""
    if value is not None and type is not None and DECIMAL_TYPE.fullmatch(str(type).lower()):
        value = Decimal(value)
    return Scalar(value, type or type_of(value))


def _ibis_module() -> Any:
    import ibis

    return ibis


def ifelse(condition: Any, yes: Any, no: Any) -> Any:
    """`yes` where `condition` is true, `no` otherwise (also where it is NULL)."""
    if _foreign(condition) or _foreign(yes) or _foreign(no):
        return _ibis_module().ifelse(to_ibis(condition), to_ibis(yes), to_ibis(no))
    return _scalar(_plain(yes) if _plain(condition) is True else _plain(no), yes, no)


def cases(*branches: tuple[Any, Any], else_: Any = None) -> Any:
    """The result of the first branch `(condition, result)` whose condition is true."""
    values = [x for branch in branches for x in branch]
    if _foreign(else_) or any(_foreign(x) for x in values):
        pairs = [(to_ibis(c), to_ibis(r)) for c, r in branches]
        return _ibis_module().cases(*pairs, else_=to_ibis(else_))
    results = [r for _c, r in branches] + [else_]
    for condition, result in branches:
        if _plain(condition) is True:
            return _scalar(_plain(result), *results)
    return _scalar(_plain(else_), *results)


def _extreme(name: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    if any(_foreign(a) for a in args):
        return getattr(_ibis_module(), name)(*(to_ibis(a) for a in args))
    values = [v for v in (_plain(a) for a in args) if v is not None]
    return _scalar(fn(values) if values else None, *args)


def least(*args: Any) -> Any:
    """The smallest argument; NULLs are skipped (as in DuckDB and Spark)."""
    return _extreme("least", min, args)


def greatest(*args: Any) -> Any:
    """The largest argument; NULLs are skipped (as in DuckDB and Spark)."""
    return _extreme("greatest", max, args)
