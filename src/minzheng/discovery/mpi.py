"""The multidimensional poverty measure (Alkire–Foster), set-based on any Ibis backend
(framework-free).

A measure names indicators, each a column with a deprivation cutoff (deprived when the value
is below, at most, above … the cutoff) and a weight (the weights add up to 1), and a poverty
cutoff k in (0, 1]. A unit's deprivation score is the weighted sum of its deprivations; it is
poor when the score reaches k. Then, over any group of units:

- H, the headcount ratio: the share of units that are poor;
- A, the intensity: the average score of the poor;
- M0 = H × A, the adjusted headcount ratio: the censored scores' mean;
- per indicator, the uncensored headcount (deprived, poor or not), the censored headcount
  (deprived and poor) and its contribution to M0, w × censored headcount / M0 (summing to 1);
- by subgroup (a region), M0 is the population-weighted mean of the subgroups' M0.

Everything is counted in the database (sums of 0/1 columns and of scores), then divided
here, so DuckDB and PySpark give the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minzheng.lib import yamllines
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten

OPERATORS = ("<", "<=", ">", ">=", "==", "!=")
EPSILON = 1e-9  # scores are sums of float weights: k is reached within rounding
WEIGHT_TOLERANCE = 1e-6


class MeasureError(TranslatableError):
    """A measure file that cannot be used: the message names the file and the line."""


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    dimension: str
    column: str
    deprived: str  # an operator of OPERATORS: the unit is deprived when `column deprived cutoff`
    cutoff: float | bool | str
    weight: float


@dataclass(frozen=True)
class Measure:
    indicators: tuple[Indicator, ...]
    k: float
    label: str = ""

    def with_k(self, k: float) -> Measure:
        _check_k(k, "—", 0)
        return Measure(self.indicators, k, self.label)


def _fail(code: str, template: str, file: Path | str, line: int, **params: Any) -> MeasureError:
    return MeasureError(code, template, file=str(file), line=line, **params)


def _check_k(k: Any, file: Path | str, line: int) -> float:
    if isinstance(k, bool) or not isinstance(k, int | float) or not 0 < k <= 1:
        raise _fail(
            "bad_k",
            gettext_noop("%(file)s line %(line)s: k = %(value)s must be in (0, 1]."),
            file,
            line,
            value=shorten(str(k)),
        )
    return float(k)


def load_measure(path: Path, columns: set[str] | None = None) -> Measure:
    """A measure from YAML (`k`, `label`, `indicators`: name, label, dimension, column,
    deprived, cutoff, weight), refused with the file and line of what is wrong: an unknown
    column (when `columns` is given), an unknown operator, a negative or missing weight,
    weights not adding up to 1, k outside (0, 1]."""
    data = yamllines.read(path, MeasureError)
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise _fail(
            "no_indicators",
            gettext_noop("%(file)s line %(line)s: a measure needs a list of indicators."),
            path,
            getattr(data, "line", 1),
        )
    k = _check_k(data.get("k"), path, yamllines.line_of(data, "k"))
    indicators, seen = [], set()
    items = data["indicators"]
    for i, raw in enumerate(items):
        line = yamllines.line_of(items, i)
        if not isinstance(raw, dict):
            raise _fail(
                "bad_indicator",
                gettext_noop("%(file)s line %(line)s: an indicator is a mapping of its fields."),
                path,
                line,
            )
        missing = [f for f in ("name", "column", "deprived", "cutoff", "weight") if f not in raw]
        if missing:
            raise _fail(
                "indicator_field_missing",
                gettext_noop("%(file)s line %(line)s: the indicator lacks %(fields)s."),
                path,
                line,
                fields=", ".join(missing),
            )
        name = str(raw["name"])
        if name in seen:
            raise _fail(
                "duplicate_indicator",
                gettext_noop("%(file)s line %(line)s: indicator %(name)s is given twice."),
                path,
                line,
                name=name,
            )
        seen.add(name)
        column = str(raw["column"])
        if columns is not None and column not in columns:
            raise _fail(
                "unknown_column",
                gettext_noop("%(file)s line %(line)s: there is no column %(column)s."),
                path,
                yamllines.line_of(raw, "column"),
                column=shorten(column),
            )
        if raw["deprived"] not in OPERATORS:
            raise _fail(
                "bad_operator",
                gettext_noop(
                    "%(file)s line %(line)s: deprived = %(value)s is not one of %(allowed)s."
                ),
                path,
                yamllines.line_of(raw, "deprived"),
                value=shorten(str(raw["deprived"])),
                allowed=" ".join(OPERATORS),
            )
        weight = raw["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise _fail(
                "bad_weight",
                gettext_noop("%(file)s line %(line)s: weight = %(value)s must be above 0."),
                path,
                yamllines.line_of(raw, "weight"),
                value=shorten(str(weight)),
            )
        indicators.append(
            Indicator(
                name=name,
                label=str(raw.get("label", name)),
                dimension=str(raw.get("dimension", "")),
                column=column,
                deprived=raw["deprived"],
                cutoff=raw["cutoff"],
                weight=float(weight),
            )
        )
    total = math.fsum(i.weight for i in indicators)
    if not indicators or abs(total - 1) > WEIGHT_TOLERANCE:
        raise _fail(
            "weights_not_one",
            gettext_noop("%(file)s line %(line)s: the weights add up to %(total)s, not 1."),
            path,
            yamllines.line_of(data, "indicators"),
            total=f"{total:.6g}",
        )
    return Measure(tuple(indicators), k, str(data.get("label", "")))


def _deprived(column, indicator: Indicator):
    op, cut = indicator.deprived, indicator.cutoff
    expr = {
        "<": lambda: column < cut,
        "<=": lambda: column <= cut,
        ">": lambda: column > cut,
        ">=": lambda: column >= cut,
        "==": lambda: column == cut,
        "!=": lambda: column != cut,
    }[op]()
    return expr.fill_null(False)  # a missing value is not a deprivation


def scored(table, measure: Measure):
    """The table with one 0/1 column per indicator (`d_<name>`), the score, whether the unit
    is poor, and the censored score (the score of the poor, 0 otherwise)."""
    import ibis

    flags = {f"d_{i.name}": _deprived(table[i.column], i).cast("int32") for i in measure.indicators}
    t = table.mutate(**flags)
    score = sum(
        (t[f"d_{i.name}"].cast("float64") * i.weight for i in measure.indicators),
        ibis.literal(0.0),
    )
    t = t.mutate(score=score)
    poor = t.score >= measure.k - EPSILON
    return t.mutate(poor=poor.cast("int32"), censored=ibis.ifelse(poor, t.score, 0.0))


def counts(table, measure: Measure, by: list[str] | tuple[str, ...] = ()):
    """The sums from which everything follows, per group of `by` (one row without)."""
    t = scored(table, measure)
    aggregates = {
        "n": t.count(),
        "q": t.poor.sum(),
        "censored_sum": t.censored.sum(),
        **{f"h_{i.name}": t[f"d_{i.name}"].sum() for i in measure.indicators},
        **{f"ch_{i.name}": (t[f"d_{i.name}"] * t.poor).sum() for i in measure.indicators},
    }
    return t.group_by(list(by)).aggregate(**aggregates) if by else t.aggregate(**aggregates)


def figures(row: dict, measure: Measure) -> dict:
    """H, A, M0 and the indicators' headcounts and contributions from one row of `counts`."""
    n, q = int(row["n"] or 0), int(row["q"] or 0)
    total = float(row["censored_sum"] or 0.0)
    m0 = total / n if n else 0.0
    indicators = {}
    for i in measure.indicators:
        censored = int(row[f"ch_{i.name}"] or 0) / n if n else 0.0
        indicators[i.name] = {
            "label": i.label,
            "dimension": i.dimension,
            "weight": i.weight,
            "uncensored": int(row[f"h_{i.name}"] or 0) / n if n else 0.0,
            "censored": censored,
            "contribution": i.weight * censored / m0 if m0 else 0.0,
        }
    return {
        "n": n,
        "q": q,
        "H": q / n if n else 0.0,
        "A": total / q if q else 0.0,
        "M0": m0,
        "indicators": indicators,
    }


def compute(con, table, measure: Measure, by: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """The measure over `table` on the backend `con`: one result per group of `by` (with the
    group's keys), or one result for the whole table."""
    rows = con.to_pyarrow(counts(table, measure, by)).to_pylist()
    out = []
    for row in rows:
        result = figures(row, measure)
        result.update({key: row[key] for key in by})
        out.append(result)
    return out


def decompose(groups: list[dict], key: str) -> dict[str, float]:
    """Each subgroup's share of the total M0 (population share × its M0 / total M0), by the
    value of `key`; the shares add up to 1."""
    n = sum(g["n"] for g in groups)
    total = sum(g["n"] * g["M0"] for g in groups)
    return {g[key]: (g["n"] * g["M0"] / total if total else 0.0) for g in groups} if n else {}
