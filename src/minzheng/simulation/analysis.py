"""Who gains and who loses (framework-free): the distribution of a run over the whole
province — income deciles, household types, cities, Gini and Lorenz — and the targeting
quality against an "ideal population" expression.

A run with a work folder writes every household's figures there (baseline and scenarios:
the household, its county, members, per-capita income, monthly transfers, coverage and who
lives there); this module reads them back on the backend and keeps only aggregates. The
income compared is the household's disposable income per person (per capita, the 低保
convention: 家庭人均收入): its per-capita income as the 低保 rules count it, plus the monthly
transfers of every programme divided by its members counted, before (the baseline) and after
(the scenario). Deciles are those of the baseline's income, over the province, person
weighted (`distribution.decile_of`).

An ideal population is an expression over a household's figures — `income` (per capita,
before transfers), `members`, `line` (the baseline's 低保 standard of its county), `older`,
`child`, `disability`, `urban` — with numbers, `+ - * /`, comparisons, `and`, `or`, `not`,
e.g. `income < line` or `income < 1.5 * line and older`. Anything else is refused with the
expression in the message.
"""

from __future__ import annotations

import ast
from pathlib import Path

from minzheng.lib.i18n import gettext_noop, shorten
from minzheng.simulation import distribution as dist
from minzheng.simulation.distribution import SimulationError

NAMES = ("income", "members", "line", "older", "child", "disability", "urban")
TYPES = ("older", "child", "disability", "urban", "rural")


def ideal_expression(text: str, table):
    """The boolean column of the expression over `table` (see the module)."""
    try:
        tree = ast.parse(text, mode="eval")
        return _compile(tree.body, table)
    except (SyntaxError, ValueError, TypeError, RecursionError):
        raise SimulationError(
            "bad_ideal",
            gettext_noop(
                "The ideal population %(expression)s is not an expression over %(names)s "
                "with numbers, + - * /, comparisons, and, or, not."
            ),
            expression=shorten(text),
            names=", ".join(NAMES),
        ) from None


def _compile(node, t):
    import operator

    if isinstance(node, ast.Name) and node.id in NAMES:
        column = t[node.id]
        return column.cast("float64") if node.id in ("income", "members", "line") else column
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_compile(node.operand, t)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_compile(node.operand, t)
    if isinstance(node, ast.BoolOp):
        values = [_compile(v, t) for v in node.values]
        out = values[0]
        for v in values[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    arithmetic = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
    if isinstance(node, ast.BinOp) and type(node.op) in (*arithmetic, ast.Div):
        left, right = _compile(node.left, t), _compile(node.right, t)
        if isinstance(node.op, ast.Div):
            return left / right
        return arithmetic[type(node.op)](left, right)
    compare = {
        ast.Lt: operator.lt,
        ast.LtE: operator.le,
        ast.Gt: operator.gt,
        ast.GtE: operator.ge,
        ast.Eq: operator.eq,
        ast.NotEq: operator.ne,
    }
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in compare:
        return compare[type(node.ops[0])](_compile(node.left, t), _compile(node.comparators[0], t))
    raise ValueError(type(node).__name__)


def _households(con, work: Path):
    """The baseline's households with their city, disposable income per person and decile."""
    import ibis

    t = con.read_parquet(str(Path(work) / "baseline" / "*.parquet"))
    size = ibis.greatest(t.members, 1).cast("float64")
    t = t.mutate(
        city=t.county.substr(0, 4) + "00",
        rural=~t.urban,
        before=t.income.cast("float64") + t.transfers.cast("float64") / size,
    )
    return dist.decile_of(t, "before", "members")


def distribution_of(
    con, work: Path, scenarios: list[str], ideal: str | None = None, covered: str = "dibao"
) -> dict[str, dict]:
    """scenario name → its distribution (see the module): `province` (the changes of all),
    `deciles`, `types` (older, child, disability, urban, rural: the households with one),
    `cities`, `gini` and `lorenz` (before and after), and with an ideal population
    `targeting` (the baseline's and the scenario's coverage of `covered`, by city and for
    the province)."""
    import ibis

    base = _households(con, work)
    ideal_flag = ideal_expression(ideal, base) if ideal else None
    out = {}
    for j, name in enumerate(scenarios):
        scen = con.read_parquet(str(Path(work) / f"s{j}" / "*.parquet"))
        scen = scen.select(
            "household_id", transfers_s=scen.transfers, covered_s=scen[f"cov__{covered}"]
        )
        t = base.join(scen, "household_id")
        size = ibis.greatest(t.members, 1).cast("float64")
        t = t.mutate(after=t.income.cast("float64") + t.transfers_s.cast("float64") / size)

        def changes(table, by=(), where=None):
            return dist.changes(con, table, "before", "after", "members", by, where=where)

        types = {}
        for kind in TYPES:
            try:
                types[kind] = changes(t.filter(t[kind]), where=kind)[0]
            except SimulationError:  # no such household in this lake
                types[kind] = None
        figures = {
            "province": changes(t)[0],
            "deciles": changes(t, ["decile"]),
            "types": types,
            "cities": changes(t, ["city"]),
            "gini": {
                "before": dist.gini(con, t, "before", "members"),
                "after": dist.gini(con, t, "after", "members"),
            },
            "lorenz": {
                "before": dist.lorenz(con, t, "before", "members"),
                "after": dist.lorenz(con, t, "after", "members"),
            },
        }
        if ideal_flag is not None:
            t = t.mutate(ideal=ideal_expression(ideal, t), covered_b=t[f"cov__{covered}"])
            figures["targeting"] = {
                "ideal": ideal,
                "programme": covered,
                "baseline": dist.targeting(con, t, "covered_b", "ideal", "members")[0],
                "scenario": dist.targeting(con, t, "covered_s", "ideal", "members")[0],
                "cities": dist.targeting(con, t, "covered_s", "ideal", "members", ["city"]),
            }
        out[name] = figures
    return out


def probe(con):
    """An empty table with the columns an ideal population may name (to check one early)."""
    import ibis

    schema = {"income": "float64", "members": "int64", "line": "float64"}
    schema |= {name: "boolean" for name in ("older", "child", "disability", "urban")}
    return ibis.memtable({name: [] for name in schema}, schema=schema)
