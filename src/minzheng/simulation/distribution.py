"""How income is distributed and how a policy scenario changes it, set-based on any Ibis
backend (framework-free).

The input is an Ibis table with one row per household. Its columns are given by name: a
weight, the persons in the household (at least 0; a negative weight is refused); the
per-capita income before (the baseline) and after (the scenario); flags and group columns
(region codes, household types). Every figure counts persons: a household of w persons
stands for w persons who each have its per-capita income. The sums are taken in the
database (DuckDB, PySpark, …) and divided here, and only small results come back.

Deciles (`decile_of`). Sort the households by per-capita income; let S be the persons of
the households with a strictly lower income and W all the persons. The household's decile is
1 + ⌊10 · S / W⌋, the decile of its first person. Households with the same income always
share a decile. A household (or a set of households of the same income) whose persons
straddle a boundary k/10 goes to the lower decile, k; one that starts exactly on the
boundary lies wholly above it and goes to k + 1. Each decile therefore holds a tenth of the
persons to within one household (one set of equal incomes), and a decile is empty when a
household holds more than a tenth of the persons. Example, 20 persons (2 a decile):

    income  100  150  200  200  300  450  800
    persons   3    1    4    2    5    3    2
    S         0    3    4    4   10   15   18     (households of 200 share S and decile)
    decile    1    2    3    3    6    8   10

Changes (`changes`), per group: `persons` Σw; `mean_before` Σw·before / Σw and `mean_after`
likewise; `mean_change` Σw·(after − before) / Σw, the average change of per-capita income;
`relative_change` (Σw·after − Σw·before) / |Σw·before|, which is Σafter/Σbefore − 1 when
the baseline is positive (None when it is 0); and `bands`, the shares of the group's persons
whose household's relative change r falls in each of PolicyEngine's five bands:

    lose_more_than_5pct   r < −5 %
    lose_less_than_5pct   −5 % ≤ r ≤ −0.1 %
    no_change             |r| < 0.1 %
    gain_less_than_5pct   0.1 % ≤ r ≤ 5 %
    gain_more_than_5pct   r > 5 %

where r = (after − before) / |before| (a negative baseline, a loss-making business, counts
its change against its size). A household with 0 before gains more than 5 % when it has more
after, loses more than 5 % when it has less, and has no change when it has 0 after. The
shares add up to 1 in every group. (PolicyEngine puts exactly ±0.1 % in no change; here
exactly ±0.1 % is a change, exactly ±5 % is less than 5 %.)

Gini (`gini`) and Lorenz curve (`lorenz`). Negative per-capita incomes are clipped at 0
first (a household cannot hold a negative share of the income). Sort the households by
income: p_i = w_i / W is household i's share of the persons and L_i the cumulative share of
the income (Σ_{j≤i} w_j·x_j / Σ w·x), L_0 = 0. The Lorenz curve joins the points
(p_1 + … + p_i, L_i) by straight lines (the persons of a household all have its income), and

    G = 1 − Σ_i p_i · (L_{i−1} + L_i),

one minus twice the area under that curve (its trapezoids). This is exactly the
mean-difference Gini of the households as point masses, ΣΣ w_i·w_j·|x_i − x_j| / (2·W²·μ)
with μ = Σw·x / W, over all ordered pairs (i = j included, no n / (n − 1) correction);
the tests check the two agree to 1e-9. G is in [0, 1): 0 when everyone has the same income,
and it is 0 when nobody has any income. `lorenz` gives the curve at the population shares
0, 1/points, …, 1, interpolated linearly inside a household's segment; when nobody has
any income it is the diagonal.

Targeting (`targeting`), per group, as OpenSPP's simulation module defines them, from two
flags (booleans, or integers where not 0 is yes): `covered` (the scenario gives the household
the benefit) and `ideal` (it should have it). Leakage = covered but not ideal ÷ covered;
under-coverage = ideal but not covered ÷ ideal; each counted in households and in persons,
None when the denominator is 0.

Bad input is refused with a `SimulationError` naming what is wrong and where (`where`, a
description of the table the caller gives, "the table" by default): an unknown column, a
column that holds no numbers (or flags), a table without households, a missing value in a
column used, a negative weight, no persons at all, a group without persons (in `changes`).
Results are lists of plain dicts sorted by the group keys (None last).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pyarrow as pa

from minzheng.lib.i18n import Msg, TranslatableError, gettext_noop, shorten

BANDS = (
    "lose_more_than_5pct",
    "lose_less_than_5pct",
    "no_change",
    "gain_less_than_5pct",
    "gain_more_than_5pct",
)
SMALL = 0.001  # a relative change under 0.1 % either way is no change
LARGE = 0.05  # beyond 5 % either way is a large change
DECILES = 10
MAX_POINTS = 10_000

Where = str | Msg | None


class SimulationError(TranslatableError):
    """Input a distribution cannot be computed on: the message names what is wrong."""


def _what(key: str) -> Msg:
    return {
        "deciles": Msg(gettext_noop("the income deciles")),
        "changes": Msg(gettext_noop("the income changes")),
        "gini": Msg(gettext_noop("the Gini coefficient")),
        "lorenz": Msg(gettext_noop("the Lorenz curve")),
        "targeting": Msg(gettext_noop("the targeting errors")),
    }[key]


def _fail(code: str, template: str, what: str, where: Where, **params: Any) -> SimulationError:
    place = Msg(gettext_noop("the table")) if where is None else where
    return SimulationError(code, template, what=_what(what), where=place, **params)


def _check_columns(
    table,
    what: str,
    where: Where,
    numbers: Sequence[str] = (),
    flags: Sequence[str] = (),
    keys: Sequence[str] = (),
) -> None:
    schema = table.schema()
    for column in (*numbers, *flags, *keys):
        if column not in schema:
            raise _fail(
                "unknown_column",
                gettext_noop("Cannot compute %(what)s: %(where)s has no column %(column)s."),
                what,
                where,
                column=shorten(str(column)),
            )
    for column in numbers:
        if not schema[column].is_numeric():
            raise _fail(
                "not_numeric",
                gettext_noop(
                    "Cannot compute %(what)s: column %(column)s of %(where)s holds "
                    "%(type)s, not numbers."
                ),
                what,
                where,
                column=shorten(column),
                type=str(schema[column]),
            )
    for column in flags:
        if not (schema[column].is_boolean() or schema[column].is_integer()):
            raise _fail(
                "not_flag",
                gettext_noop(
                    "Cannot compute %(what)s: column %(column)s of %(where)s holds "
                    "%(type)s, not yes/no flags."
                ),
                what,
                where,
                column=shorten(column),
                type=str(schema[column]),
            )


def _checks(table, weight: str, columns: Sequence[str]) -> dict:
    """Aggregates that `_refuse` reads: households, persons, negative weights and the missing
    values of each column (in the order given)."""
    w = table[weight].cast("float64")
    return {
        "_mz_n": table.count(),
        "_mz_persons": w.sum(),
        "_mz_negative": (w < 0).cast("int64").sum(),
        **{f"_mz_null{i}": table[c].isnull().cast("int64").sum() for i, c in enumerate(columns)},
    }


def _total(rows: list[dict], key: str) -> float:
    return sum(float(row[key] or 0) for row in rows)


def _refuse(
    rows: list[dict],
    what: str,
    where: Where,
    weight: str,
    columns: Sequence[str],
    persons: bool = True,
) -> None:
    """Raise for an empty table, missing values, negative weights, no persons (when
    `persons`), from the rows of `_checks` (one per group)."""
    if not _total(rows, "_mz_n"):
        raise _fail(
            "empty_table",
            gettext_noop("Cannot compute %(what)s: %(where)s has no households."),
            what,
            where,
        )
    for i, column in enumerate(columns):
        missing = int(_total(rows, f"_mz_null{i}"))
        if missing:
            raise _fail(
                "missing_value",
                gettext_noop(
                    "Cannot compute %(what)s: %(where)s has households without a value in "
                    "%(column)s (%(count)s)."
                ),
                what,
                where,
                count=missing,
                column=shorten(column),
            )
    negative = int(_total(rows, "_mz_negative"))
    if negative:
        raise _fail(
            "negative_weight",
            gettext_noop(
                "Cannot compute %(what)s: %(where)s has households with a negative weight in "
                "%(column)s (%(count)s); a weight counts persons."
            ),
            what,
            where,
            count=negative,
            column=shorten(weight),
        )
    if persons and not _total(rows, "_mz_persons") > 0:
        raise _fail(
            "no_persons",
            gettext_noop(
                "Cannot compute %(what)s: the households of %(where)s hold no persons "
                "(every weight in %(column)s is 0)."
            ),
            what,
            where,
            column=shorten(weight),
        )


def _ordered(rows: list[dict], by: Sequence[str]) -> list[dict]:
    return sorted(rows, key=lambda row: tuple((row[k] is None, row[k]) for k in by))


def _grouped(table, by: Sequence[str], aggregates: dict):
    return table.group_by(list(by)).aggregate(**aggregates) if by else table.aggregate(**aggregates)


def decile_of(table, income: str, weight: str, *, within: Sequence[str] = (), name: str = "decile"):
    """The table with a column `name` (int32, 1 to 10): each household's person-weighted
    income decile (see the module for the rule), among all households or within each group
    of `within`. A household without income gets none (null) and counts in no decile.

    Lazy: nothing is checked but the columns; `changes` by the decile checks the rest."""
    within = list(within)
    _check_columns(table, "deciles", None, numbers=(income, weight), keys=within)
    x = table[income].cast("float64")
    w = ibis.ifelse(x.isnull(), 0.0, table[weight].cast("float64").fill_null(0.0))
    through = w.sum().over(ibis.window(group_by=within, order_by=x, range=(None, 0)))
    equal = w.sum().over(ibis.window(group_by=[*[table[k] for k in within], x]))
    total = w.sum().over(ibis.window(group_by=within))
    below = through - equal  # the persons of the households with a strictly lower income
    position = (below * DECILES / ibis.ifelse(total > 0, total, 1.0)).floor() + 1
    decile = ibis.ifelse(
        x.isnull() | (total <= 0), ibis.null("int64"), position.clip(lower=1, upper=DECILES)
    )
    return table.mutate(**{name: decile.cast("int32")})


def _band(before, after):
    """The index in BANDS of a household's change (see the module)."""
    r = (after - before) / ibis.ifelse(before == 0, 1.0, before.abs())
    return ibis.cases(
        ((before == 0) & (after > 0), 4),
        ((before == 0) & (after < 0), 0),
        (before == 0, 2),
        (r < -LARGE, 0),
        (r <= -SMALL, 1),
        (r < SMALL, 2),
        (r <= LARGE, 3),
        else_=4,
    )


def changes(
    con,
    table,
    before: str,
    after: str,
    weight: str,
    by: Sequence[str] = (),
    *,
    where: Where = None,
) -> list[dict]:
    """The change of per-capita income from `before` to `after`, one dict per group of `by`
    (one for the whole table without): the group's keys, `households`, `persons`,
    `mean_before`, `mean_after`, `mean_change`, `relative_change` (None when the baseline
    is 0) and `bands` ({band: share of the persons} for each of BANDS, adding up to 1)."""
    by = list(by)
    columns = (weight, before, after)
    _check_columns(table, "changes", where, numbers=columns, keys=by)
    b, a = table[before].cast("float64"), table[after].cast("float64")
    w = table[weight].cast("float64")
    band = _band(b, a)
    aggregates = {
        **_checks(table, weight, columns),
        "_mz_before": (w * b).sum(),
        "_mz_after": (w * a).sum(),
        "_mz_change": (w * (a - b)).sum(),
        **{f"_mz_band{k}": ibis.ifelse(band == k, w, 0.0).sum() for k in range(len(BANDS))},
    }
    rows = con.to_pyarrow(_grouped(table, by, aggregates)).to_pylist()
    _refuse(rows, "changes", where, weight, columns)
    out = []
    for row in _ordered(rows, by):
        persons = float(row["_mz_persons"] or 0.0)
        if not persons > 0:
            raise _fail(
                "empty_group",
                gettext_noop(
                    "Cannot compute %(what)s: the group %(group)s of %(where)s holds no "
                    "persons (every weight in %(column)s is 0)."
                ),
                "changes",
                where,
                group=shorten(", ".join(f"{k}={row[k]}" for k in by)),
                column=shorten(weight),
            )
        total_before, total_after = float(row["_mz_before"]), float(row["_mz_after"])
        out.append(
            {
                **{k: row[k] for k in by},
                "households": int(row["_mz_n"]),
                "persons": persons,
                "mean_before": total_before / persons,
                "mean_after": total_after / persons,
                "mean_change": float(row["_mz_change"]) / persons,
                "relative_change": (
                    (total_after - total_before) / abs(total_before) if total_before else None
                ),
                "bands": {
                    band: float(row[f"_mz_band{k}"] or 0.0) / persons
                    for k, band in enumerate(BANDS)
                },
            }
        )
    return out


def _validated(con, table, income: str, weight: str, what: str, where: Where) -> None:
    columns = (weight, income)
    _check_columns(table, what, where, numbers=columns)
    rows = con.to_pyarrow(table.aggregate(**_checks(table, weight, columns))).to_pylist()
    _refuse(rows, what, where, weight, columns)


def _levels(table, income: str, weight: str):
    """One row per distinct income (clipped at 0): its persons and income, and the
    cumulative persons and income up to and including it."""
    t = table.select(
        _mz_x=table[income].cast("float64").clip(lower=0.0),
        _mz_w=table[weight].cast("float64"),
    )
    # Every sum is one the backend takes in a fixed order (the levels' incomes, x times the
    # level's persons; the rest cumulative over the levels in order), not a parallel sum of
    # floats whose order varies: the same incomes always give the same figures.
    levels = t.group_by("_mz_x").aggregate(_mz_persons=t._mz_w.sum())
    levels = levels.mutate(_mz_income=levels._mz_x * levels._mz_persons)
    upto = ibis.cumulative_window(order_by=levels._mz_x)
    return levels.mutate(
        _mz_cum=levels._mz_persons.sum().over(upto),
        _mz_cum_income=levels._mz_income.sum().over(upto),
    )


def gini(con, table, income: str, weight: str, *, where: Where = None) -> float:
    """The person-weighted Gini coefficient of per-capita `income` (see the module)."""
    _validated(con, table, income, weight, "gini", where)
    levels = _levels(table, income, weight)
    upto = ibis.cumulative_window(order_by=levels._mz_x)
    levels = levels.mutate(
        area=(levels._mz_persons * (2 * levels._mz_cum_income - levels._mz_income)).sum().over(upto)
    )
    query = (
        levels.order_by(ibis.desc("_mz_x"))
        .limit(1)
        .select("area", persons="_mz_cum", income="_mz_cum_income")
    )
    [row] = con.to_pyarrow(query).to_pylist()
    persons, total = float(row["persons"]), float(row["income"])
    if not total > 0:
        return 0.0  # nobody has any income: everyone has the same, 0
    return max(0.0, 1.0 - float(row["area"]) / (persons * total))  # max: a rounding guard


def lorenz(
    con, table, income: str, weight: str, points: int = 20, *, where: Where = None
) -> list[tuple[float, float]]:
    """The Lorenz curve of per-capita `income`: (population share, income share) at the
    shares 0, 1/points, …, 1 (points + 1 pairs, from (0, 0) to (1, 1))."""
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise SimulationError(
            "bad_points",
            gettext_noop(
                "A Lorenz curve needs a whole number of points from 1 to %(most)s, not %(value)s."
            ),
            most=MAX_POINTS,
            value=shorten(str(points)),
        )
    _validated(con, table, income, weight, "lorenz", where)
    inner = {}
    if points > 1:
        levels = _levels(table, income, weight)
        levels = levels.mutate(
            _mz_all=levels._mz_cum.max().over(), _mz_all_income=levels._mz_cum_income.max().over()
        )
        shares = ibis.memtable(pa.table({"_mz_k": pa.array(range(1, points), pa.int64())}))
        # each share k/points falls in the first level whose cumulative persons reach it
        joined = levels.join(shares, levels._mz_cum * points >= shares._mz_k * levels._mz_all)
        query = joined.group_by("_mz_k").aggregate(
            x=joined._mz_x.min(),
            start=(joined._mz_cum - joined._mz_persons).argmin(joined._mz_x),
            base=(joined._mz_cum_income - joined._mz_income).argmin(joined._mz_x),
            persons=joined._mz_all.max(),
            income=joined._mz_all_income.max(),
        )
        for row in con.to_pyarrow(query).to_pylist():
            total = float(row["income"])
            if not total > 0:  # nobody has any income: the diagonal
                inner[row["_mz_k"]] = row["_mz_k"] / points
                continue
            reached = row["_mz_k"] * float(row["persons"]) / points
            value = (float(row["base"]) + (reached - float(row["start"])) * row["x"]) / total
            inner[row["_mz_k"]] = min(1.0, max(0.0, value))  # a rounding guard
    return [(0.0, 0.0), *((k / points, inner[k]) for k in range(1, points)), (1.0, 1.0)]


def _flag(column):
    return column if column.type().is_boolean() else column != 0


def targeting(
    con,
    table,
    covered: str,
    ideal: str,
    weight: str,
    by: Sequence[str] = (),
    *,
    where: Where = None,
) -> list[dict]:
    """Leakage and under-coverage of the flag `covered` against the flag `ideal`, one dict
    per group of `by` (one for the whole table without): the group's keys, `households`,
    `persons`, and for each of covered, ideal, leaked (covered, not ideal) and missed (ideal,
    not covered) `<name>_households` and `<name>_persons`; then `leakage_households`,
    `leakage_persons`, `under_coverage_households`, `under_coverage_persons` (None when
    nobody is covered, or nobody ideal)."""
    by = list(by)
    _check_columns(table, "targeting", where, numbers=(weight,), flags=(covered, ideal), keys=by)
    w = table[weight].cast("float64")
    yes, due = _flag(table[covered]), _flag(table[ideal])
    sets = {"covered": yes, "ideal": due, "leaked": yes & ~due, "missed": due & ~yes}
    aggregates = _checks(table, weight, (weight, covered, ideal))
    for key, member in sets.items():
        aggregates[f"{key}_households"] = member.cast("int64").sum()
        aggregates[f"{key}_persons"] = ibis.ifelse(member, w, 0.0).sum()
    rows = con.to_pyarrow(_grouped(table, by, aggregates)).to_pylist()
    _refuse(rows, "targeting", where, weight, (weight, covered, ideal), persons=False)

    def ratio(part: float, whole: float) -> float | None:
        return part / whole if whole else None

    out = []
    for row in _ordered(rows, by):
        result = {k: row[k] for k in by}
        result["households"] = int(row["_mz_n"])
        result["persons"] = float(row["_mz_persons"] or 0.0)
        for key in sets:
            result[f"{key}_households"] = int(row[f"{key}_households"] or 0)
            result[f"{key}_persons"] = float(row[f"{key}_persons"] or 0.0)
        for unit in ("households", "persons"):
            result[f"leakage_{unit}"] = ratio(result[f"leaked_{unit}"], result[f"covered_{unit}"])
            result[f"under_coverage_{unit}"] = ratio(
                result[f"missed_{unit}"], result[f"ideal_{unit}"]
            )
        out.append(result)
    return out
