"""Rules: one named concept each, with entity, type, unit, Chinese label and a reference.

A rule's formula is a function of a `Vars` accessor that returns an Ibis expression; the
accessor hands out input columns, other rules, parameters (already resolved for the row's
county and the evaluation date), the evaluation date, and, for household rules,
aggregations over the household's members. Dependencies are discovered by running the
formula once on typed placeholders, so a formula never lists them by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import PolicyError
from minzheng.policy.formula import Scalar

if TYPE_CHECKING:  # Ibis is imported where tables are built, never to explain a household
    import ibis.expr.types as ir

PERSON, HOUSEHOLD = "person", "household"
# Column types by kind, as Ibis type names. Money inside the engine: 8 decimals (parameters
# have at most 4, amounts 2), exact.
MONEY = "decimal(28, 8)"
AMOUNT = "decimal(18, 2)"
DTYPES: dict[str, str] = {
    "money": MONEY,
    "amount": AMOUNT,
    "share": "decimal(28, 8)",
    "int": "int64",
    "bool": "boolean",
    "str": "string",
    "date": "date",
}
AGGREGATIONS = ("sum", "count", "any", "max")
SAMPLES: dict[str, Any] = {
    "money": Decimal(0),
    "amount": Decimal(0),
    "share": Decimal(0),
    "int": 0,
    "bool": False,
    "str": "",
    "date": dt.date(2000, 1, 1),
}


def placeholder(kind: str, ibis_literal: bool = False) -> Any:
    """A typed value standing in for a column while a formula's dependencies are traced: a
    `Scalar`, or an Ibis literal for a formula that calls Ibis itself."""
    if ibis_literal:
        import ibis

        return ibis.literal(SAMPLES[kind], type=DTYPES[kind])
    return Scalar(SAMPLES[kind], DTYPES[kind])


@dataclass(frozen=True)
class Rule:
    name: str
    programme: str
    entity: str
    kind: str  # a key of DTYPES
    label: str
    reference: str
    unit: str
    formula: Callable[[Vars], ir.Value]
    deps: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    aggregates: tuple[tuple[str, str, str | None], ...] = ()  # (op, rule, where)
    household_values: tuple[str, ...] = ()  # household rules a person rule reads

    @property
    def dtype(self) -> str:
        return DTYPES[self.kind]


class Vars:
    """What a formula may read. In tracing mode it records the names and returns placeholders."""

    def __init__(
        self,
        entity: str,
        kinds: dict[str, str],
        *,
        table: ir.Table | None = None,
        date: dt.date | None = None,
        column: Callable[[str], ir.Value] | None = None,
        param_kinds: dict[str, str] | None = None,
        ibis_placeholders: bool = False,
    ) -> None:
        self._entity = entity
        self._ibis_placeholders = ibis_placeholders
        self._kinds = kinds
        self._param_kinds = param_kinds or {}
        self._table = table
        self._date = date
        self._column = column
        self.deps: list[str] = []
        self.params: list[str] = []
        self.aggregates: list[tuple[str, str, str | None]] = []
        self.household_values: list[str] = []

    @property
    def tracing(self) -> bool:
        return self._table is None

    def _placeholder(self, kind: str) -> Any:
        return placeholder(kind, self._ibis_placeholders)

    def _kind(self, name: str) -> str:
        try:
            return self._kinds[name]
        except KeyError:
            raise PolicyError(
                "unknown_name",
                gettext_noop("A formula reads %(name)s, which is neither an input nor a rule."),
                name=name,
            ) from None

    def __getattr__(self, name: str) -> ir.Value:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def get(self, name: str) -> ir.Value:
        """An input or another rule of the same entity."""
        self.deps.append(name)
        if self.tracing:
            return self._placeholder(self._kind(name))
        return self._column(name)

    def param(self, name: str) -> ir.Value:
        """A parameter's value for the row's county at the evaluation date."""
        self.params.append(name)
        if self.tracing:
            kind = self._param_kinds.get(name)
            if kind is None:
                raise PolicyError(
                    "unknown_parameter",
                    gettext_noop("A formula reads parameter %(name)s, which does not exist."),
                    name=name,
                )
            return self._placeholder(kind)
        return self._column(f"param__{name}")

    def divide_round(self, numerator: ir.Value, denominator: ir.Value | int) -> ir.Value:
        """numerator / denominator rounded half-up to the fen, exactly (integer arithmetic,
        since some backends divide decimals in floating point); 0 when the denominator is 0."""
        if self.tracing:
            return self._placeholder("amount")
        import ibis

        den = ibis.literal(denominator) if isinstance(denominator, int) else denominator
        den = den.cast("int64")
        units = (numerator.cast(MONEY) * 100_000_000).cast("int64")  # 1e-8 yuan
        scale = den * 1_000_000  # 1e-8 yuan per fen, times the denominator
        fen = (2 * units + scale) // (2 * scale)
        cents = ibis.literal(Decimal("0.01"), type=AMOUNT)
        amount = fen.cast(AMOUNT) * cents
        return ibis.ifelse(den == 0, ibis.literal(Decimal(0), type=AMOUNT), amount.cast(AMOUNT))

    @property
    def date(self) -> ir.Value:
        """The evaluation date."""
        if self.tracing:
            return self._placeholder("date")
        import ibis

        return ibis.literal(self._date, type="date")

    def household(self, name: str) -> ir.Value:
        """For a person rule: a household rule's value for the person's household."""
        self.household_values.append(name)
        if self.tracing:
            return self._placeholder(self._kind(name))
        return self._column(f"hh__{name}")

    def _aggregate(self, op: str, name: str, where: str | None, kind: str) -> ir.Value:
        if self._entity != HOUSEHOLD:
            raise PolicyError(
                "aggregate_on_person",
                gettext_noop("Only household rules aggregate over members (%(name)s)."),
                name=name,
            )
        self.aggregates.append((op, name, where))
        if self.tracing:
            self._kind(name)
            if where:
                self._kind(where)
            return self._placeholder(kind)
        return self._column(aggregate_column(op, name, where))

    def sum(self, name: str, where: str | None = None) -> ir.Value:
        """Σ over the household's members (optionally only where a boolean rule holds)."""
        return self._aggregate("sum", name, where, self._kind(name) if self.tracing else "money")

    def count(self, name: str, where: str | None = None) -> ir.Value:
        """How many members have the boolean rule `name` true (and `where`)."""
        return self._aggregate("count", name, where, "int")

    def any(self, name: str, where: str | None = None) -> ir.Value:
        """Whether some member has the boolean rule `name` true (and `where`)."""
        return self._aggregate("any", name, where, "bool")

    def max(self, name: str, where: str | None = None) -> ir.Value:
        """The largest value among the members."""
        return self._aggregate("max", name, where, self._kind(name) if self.tracing else "int")


def aggregate_column(op: str, name: str, where: str | None) -> str:
    return f"agg__{op}__{name}" + (f"__{where}" if where else "")


@dataclass
class Programme:
    """A named set of rules (低保, 特困 …) with the outputs it reports."""

    name: str
    label: str
    rules: dict[str, Rule] = field(default_factory=dict)
    # what `explain` reports: status, monthly_amount (or one_off_amount), reasons, members …
    outputs: dict[str, str] = field(default_factory=dict)
    # For a programme paid to persons: (the person rule of the amount, the months it is for);
    # an enrolment is then one per member.
    person_amount: tuple[str, int] | None = None

    def rule(self, entity: str, kind: str, *, label: str, reference: str, unit: str = ""):
        """Decorator declaring a rule; the function's name is the rule's name."""

        def register(formula: Callable[[Vars], ir.Value]) -> Callable[[Vars], ir.Value]:
            name = formula.__name__
            if name in self.rules:
                raise PolicyError(
                    "duplicate_rule", gettext_noop("Rule %(name)s is defined twice."), name=name
                )
            self.rules[name] = Rule(name, self.name, entity, kind, label, reference, unit, formula)
            return formula

        return register
