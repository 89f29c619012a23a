"""Formula helpers: plain values with SQL's semantics, or Ibis expressions over columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.policy.errors import BackendError
from minzheng.policy.formula import Scalar, cases, greatest, ifelse, least, literal
from minzheng.policy.rules import MONEY

NULL_INT = literal(None, "int64")
NULL_BOOL = literal(None, "boolean")
TRUE, FALSE = literal(True), literal(False)


def test_null_propagates_through_arithmetic_and_comparisons():
    assert (NULL_INT + 1).value is None
    assert (2 * NULL_INT).value is None
    assert (NULL_INT < 3).value is None


def test_a_null_keeps_the_type_of_its_operand():
    assert (NULL_INT + 1).type == "int64"


def test_and_is_false_when_one_side_is_false_even_with_a_null():
    assert (FALSE & NULL_BOOL).value is False
    assert (NULL_BOOL & FALSE).value is False


def test_and_is_null_when_the_other_side_is_true():
    assert (TRUE & NULL_BOOL).value is None


def test_or_is_true_when_one_side_is_true_even_with_a_null():
    assert (NULL_BOOL | TRUE).value is True


def test_not_of_null_is_null():
    assert (~NULL_BOOL).value is None


def test_ifelse_takes_the_else_branch_when_the_condition_is_null():
    assert ifelse(NULL_BOOL, "yes", "no").value == "no"


def test_cases_takes_the_first_true_branch():
    chosen = cases((FALSE, "a"), (TRUE, "b"), (TRUE, "c"), else_="d")
    assert chosen.value == "b"


def test_cases_without_a_true_branch_takes_else():
    assert cases((NULL_BOOL, "a"), else_="d").value == "d"


def test_least_and_greatest_skip_nulls_as_duckdb_and_spark_do():
    assert least(literal(1), NULL_INT).value == 1
    assert greatest(NULL_INT, literal(1)).value == 1


def test_least_of_nulls_only_is_null():
    assert least(NULL_INT, NULL_INT).value is None


def test_least_and_greatest_compare_decimals_exactly():
    assert least(literal(Decimal("0.10")), literal(Decimal("0.1")), 1).value == Decimal("0.1")
    assert greatest(literal(0, MONEY), literal(Decimal("-0.01"))).value == 0


def test_a_decimal_cast_rounds_half_up_to_the_scale():
    assert literal(Decimal("0.125")).cast("decimal(18, 2)").value == Decimal("0.13")


def test_a_money_literal_is_a_decimal():
    assert literal(0, MONEY).value == Decimal(0) and isinstance(literal(0, MONEY).value, Decimal)


def test_dates_give_their_parts():
    day = literal(dt.date(2021, 6, 30))
    assert (day.year().value, day.month().value, day.day().value) == (2021, 6, 30)


def test_isin_and_concat():
    assert literal("mental").isin(["intellectual", "mental"]).value is True
    assert literal("a,").concat("b,", literal("c,")).value == "a,b,c,"
    assert literal("a,").concat(literal(None, "string")).value is None


def test_a_cast_to_an_unknown_type_is_a_clear_error():
    with pytest.raises(BackendError, match="array<int64>"):
        literal(1).cast("array<int64>")


def test_a_value_has_no_python_truth_value():
    """`if`, `and` and `or` would silently differ from SQL: a formula must use & | ~."""
    with pytest.raises(TypeError, match="ifelse"):
        bool(literal(True))


def test_with_a_column_the_helpers_build_an_ibis_expression():
    import ibis

    t = ibis.memtable({"x": [1, None, 5]})
    expr = ifelse(t.x > 2, literal(Decimal("1.5"), MONEY), least(t.x, literal(0, MONEY)))
    total = greatest(literal(0, MONEY) - t.x, Scalar(Decimal(0), MONEY))
    result = t.select(a=expr, b=total, c=cases((t.x.isnull(), "none"), else_="some"))
    rows = result.to_pyarrow().to_pylist()
    # x NULL: least(NULL, 0) is 0 on DuckDB, as in memory
    assert [r["a"] for r in rows] == [Decimal(0), Decimal(0), Decimal("1.5")]
    assert [r["b"] for r in rows] == [Decimal(0), Decimal(0), Decimal(0)]
    assert [r["c"] for r in rows] == ["some", "none", "some"]
