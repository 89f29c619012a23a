"""The engine: orders rules by their dependencies and compiles them to Ibis expressions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import PolicyError
from minzheng.policy.formula import to_ibis
from minzheng.policy.inputs import INPUTS, kinds
from minzheng.policy.parameters import ParameterSet, Resolved, load_parameters
from minzheng.policy.reforms import Reform
from minzheng.policy.rules import (
    DTYPES,
    MONEY,
    PERSON,
    Programme,
    Rule,
    Vars,
    aggregate_column,
)

if TYPE_CHECKING:  # Ibis and Arrow are imported where tables are built, not to explain
    import ibis.expr.types as ir
    import pyarrow as pa

AGG_DEFAULTS = {"sum": Decimal(0), "count": 0, "any": False}


def default_programmes() -> list[Programme]:
    """Every programme the platform ships, in order."""
    from minzheng.policy.programmes.bundle import bundle
    from minzheng.policy.programmes.catalogue import (
        child,
        dibian,
        disability,
        eldercare,
        elderly,
        linshi,
        tekun,
    )
    from minzheng.policy.programmes.common import common
    from minzheng.policy.programmes.dibao import dibao

    return [common, dibao, dibian, tekun, linshi, child, disability, elderly, eldercare, bundle]


@dataclass(frozen=True)
class ParamTable:
    """Parameter values per county at one date, and where each came from (for the trace)."""

    table: pa.Table
    resolved: dict[str, dict[str, Resolved]]  # county → name → resolution


class Engine:
    """Rules of some programmes over a parameter set (a reform is another parameter set)."""

    def __init__(
        self,
        programmes: Iterable[Programme] | None = None,
        parameters: ParameterSet | None = None,
        reform: Reform | None = None,
    ) -> None:
        self.programmes = list(programmes or default_programmes())
        self.parameters = parameters or load_parameters()
        self.rules: dict[str, Rule] = {}
        for programme in self.programmes:
            for name, rule in programme.rules.items():
                if name in self.rules or name in INPUTS:
                    raise PolicyError(
                        "duplicate_rule",
                        gettext_noop("Rule %(name)s is defined twice."),
                        name=name,
                    )
                self.rules[name] = rule
        if reform is not None:
            self.parameters = reform.apply(self.parameters)
            for name, formula in reform.rules.items():
                if name not in self.rules:
                    raise PolicyError(
                        "unknown_output",
                        gettext_noop("There is no rule named %(name)s."),
                        name=name,
                    )
                self.rules[name] = replace(self.rules[name], formula=formula)
        self._trace_dependencies()
        self._explainer = None

    # --- the two entry points -------------------------------------------------------------
    def explain(self, household: dict, date: dt.date) -> dict:
        """Explain one household (a household file as a dict): results and the full trace."""
        from minzheng.policy.explain import Explainer
        from minzheng.policy.household import parse_household

        if self._explainer is None:
            self._explainer = Explainer(self)
        return self._explainer.explain(*parse_household(household), date)

    def bundle(self, household: dict, date: dt.date) -> dict:
        """Every programme, the household's totals and the referrals (the explain results)."""
        explanation = self.explain(household, date)
        return {k: explanation[k] for k in ("results", "totals", "referrals")}

    def run(
        self,
        persons: ir.Table,
        households: ir.Table,
        date: dt.date,
        outputs: list[str],
        reform: Reform | None = None,
    ) -> ir.Table:
        """A lazy household table of `outputs` over input tables of any backend."""
        import ibis

        from minzheng.policy.household import counties

        engine = self if reform is None else Engine(self.programmes, self.parameters, reform)
        rules = engine.order(outputs)
        params = engine.params_table(date, counties(), engine.params_needed(rules))
        _P, H = engine.build(persons, households, ibis.memtable(params.table), date, rules)
        return H.select("household_id", "county", *outputs)

    # --- structure ------------------------------------------------------------------------
    def _trace_dependencies(self) -> None:
        names = {**kinds(), **{n: r.kind for n, r in self.rules.items()}}
        param_kinds = {name: p.type for name, p in self.parameters.parameters.items()}
        for name, rule in list(self.rules.items()):
            probe = Vars(rule.entity, names, param_kinds=param_kinds)
            try:
                rule.formula(probe)
            except PolicyError:
                raise
            except Exception:
                # A formula that calls Ibis itself (a reform's, say) takes Ibis literals.
                probe = Vars(rule.entity, names, param_kinds=param_kinds, ibis_placeholders=True)
                rule.formula(probe)
            for dep in probe.deps:
                owner = self.rules[dep].entity if dep in self.rules else INPUTS[dep].entity
                if owner != rule.entity:
                    raise PolicyError(
                        "wrong_entity",
                        gettext_noop("Rule %(rule)s (%(entity)s) reads %(dep)s of another entity."),
                        rule=name,
                        entity=rule.entity,
                        dep=dep,
                    )
            self.rules[name] = replace(
                rule,
                deps=tuple(dict.fromkeys(probe.deps)),
                params=tuple(dict.fromkeys(probe.params)),
                aggregates=tuple(dict.fromkeys(probe.aggregates)),
                household_values=tuple(dict.fromkeys(probe.household_values)),
            )

    def _requires(self, rule: Rule) -> list[str]:
        needed = [d for d in rule.deps if d in self.rules]
        for _op, name, where in rule.aggregates:
            needed += [n for n in (name, where) if n and n in self.rules]
        needed += list(rule.household_values)
        return needed

    def order(self, outputs: Iterable[str]) -> list[Rule]:
        """The rules the outputs need, each after everything it reads."""
        ordered: list[Rule] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name not in self.rules:
                raise PolicyError(
                    "unknown_output", gettext_noop("There is no rule named %(name)s."), name=name
                )
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise PolicyError(
                    "cycle",
                    gettext_noop("Rules depend on each other in a circle: %(path)s."),
                    path=" → ".join((*path, name)),
                )
            state[name] = 1
            for dep in self._requires(self.rules[name]):
                visit(dep, (*path, name))
            state[name] = 2
            ordered.append(self.rules[name])

        for output in outputs:
            visit(output, ())
        return ordered

    def params_needed(self, rules: Iterable[Rule]) -> list[str]:
        return list(dict.fromkeys(p for r in rules for p in r.params))

    def params_resolved(
        self, date: dt.date, counties: Iterable[str], names: list[str]
    ) -> dict[str, dict[str, Resolved]]:
        """county → parameter name → its value at `date` and where the value comes from."""
        return {
            county: {name: self.parameters[name].resolve(date, county) for name in names}
            for county in sorted(set(counties))
        }

    def params_table(self, date: dt.date, counties: Iterable[str], names: list[str]) -> ParamTable:
        """The small table joined to every row: one row per county, one column per parameter."""
        import pyarrow as pa

        # Every decimal in a formula has the engine's MONEY type, so Ibis never reconciles two.
        arrow = {
            "money": pa.decimal128(28, 8),
            "share": pa.decimal128(28, 8),
            "int": pa.int64(),
            "bool": pa.bool_(),
        }
        resolved = self.params_resolved(date, counties, names)
        columns: dict[str, list] = {"county": list(resolved)}
        for name in names:
            columns[f"param__{name}"] = [resolved[c][name].value for c in resolved]
        schema = pa.schema(
            [pa.field("county", pa.string())]
            + [pa.field(f"param__{n}", arrow[self.parameters[n].type]) for n in names]
        )
        return ParamTable(pa.table(columns, schema=schema), resolved)

    # --- compilation ----------------------------------------------------------------------
    def stages(self, rules: list[Rule]) -> list[list[list[Rule]]]:
        """Rules grouped for compilation: stages alternate person (even) and household (odd);
        within a stage, layers of rules that only read earlier layers. Few stages mean few
        joins, few layers a shallow query: both keep planning fast."""
        stage: dict[str, int] = {}
        depth: dict[str, int] = {}
        for rule in rules:  # already in dependency order
            person = rule.entity == PERSON
            s = 0 if person else 1
            d = 0
            # a rule not among `rules` is a column of the input tables already (a scenario
            # re-evaluates only what its changes reach)
            for dep in rule.deps:
                if dep in stage:
                    s = max(s, stage[dep])
            for _op, name, where in rule.aggregates:
                for n in (name, where):
                    if n in stage:
                        s = max(s, stage[n] + 1)
            for name in rule.household_values:
                if name in stage:
                    s = max(s, stage[name] + 1)
            if (s % 2 == 0) != person:
                s += 1
            for dep in rule.deps:
                if dep in stage and stage[dep] == s:
                    d = max(d, depth[dep] + 1)
            stage[rule.name], depth[rule.name] = s, d
        grouped: dict[int, dict[int, list[Rule]]] = {}
        for rule in rules:
            grouped.setdefault(stage[rule.name], {}).setdefault(depth[rule.name], []).append(rule)
        last = max(grouped, default=-1)
        return [
            [grouped.get(s, {}).get(d, []) for d in sorted(grouped.get(s, {}))]
            for s in range(last + 1)
        ]

    def build(
        self,
        persons: ir.Table,
        households: ir.Table,
        params: ir.Table,
        date: dt.date,
        rules: list[Rule],
        checkpoint: Callable[[ir.Table, str], ir.Table] | None = None,
    ) -> tuple[ir.Table, ir.Table]:
        """(persons, households) with one column per rule.

        `checkpoint(table, name)`, when given, receives the table a stage computed (without
        the parameter columns, joined again after) and returns it materialised: the next
        stage reads it instead of recomputing it, and each query stays small."""
        money = [n for n, i in INPUTS.items() if i.kind == "money" and n in persons.columns]
        P = persons.mutate(**{n: persons[n].cast(MONEY) for n in money}).join(params, "county")
        H = households.join(params, "county")
        param_columns = [c for c in params.columns if c != "county"]

        def saved(table: ir.Table, name: str) -> ir.Table:
            assert checkpoint is not None
            return checkpoint(table.drop(*param_columns), name).join(params, "county")

        for number, layers in enumerate(self.stages(rules)):
            stage_rules = [r for layer in layers for r in layer]
            if number % 2 == 0:
                wanted = [n for r in stage_rules for n in r.household_values]
                new = [n for n in dict.fromkeys(wanted) if f"hh__{n}" not in P.columns]
                if new:
                    P = P.join(
                        H.select("household_id", **{f"hh__{n}": H[n] for n in new}), "household_id"
                    )
            else:
                H = self._aggregate(P, H, [a for r in stage_rules for a in r.aggregates])
            for layer in layers:
                table = P if number % 2 == 0 else H
                values = {}
                for rule in layer:
                    vars_ = Vars(rule.entity, {}, table=table, date=date, column=table.__getitem__)
                    # a formula of constants gives a Scalar: the column is then a literal
                    values[rule.name] = to_ibis(rule.formula(vars_)).cast(DTYPES[rule.kind])
                if number % 2 == 0:
                    P = P.mutate(**values)
                else:
                    H = H.mutate(**values)
            if checkpoint is not None:
                if number % 2 == 0:
                    P = saved(P, f"p{number}")
                else:
                    H = saved(H, f"h{number}")
        return P, H

    def _aggregate(self, P: ir.Table, H: ir.Table, aggregates) -> ir.Table:
        import ibis

        missing = [a for a in dict.fromkeys(aggregates) if aggregate_column(*a) not in H.columns]
        if not missing:
            return H
        metrics = {}
        for op, name, where in missing:
            col = P[name]
            cond = P[where] if where else None
            if op == "sum":
                metrics[aggregate_column(op, name, where)] = col.sum(where=cond)
            elif op == "count":
                flag = col if cond is None else col & cond
                metrics[aggregate_column(op, name, where)] = P.household_id.count(where=flag)
            elif op == "any":
                flag = col if cond is None else col & cond
                metrics[aggregate_column(op, name, where)] = ibis.ifelse(flag, 1, 0).max() == 1
            else:
                metrics[aggregate_column(op, name, where)] = col.max(where=cond)
        agg = P.group_by("household_id").aggregate(**metrics)
        H = H.left_join(agg, "household_id")
        if "household_id_right" in H.columns:
            H = H.drop("household_id_right")
        fills = {}
        for op, name, where in missing:
            column = aggregate_column(op, name, where)
            if op in AGG_DEFAULTS:
                filled = H[column].fill_null(AGG_DEFAULTS[op])
                fills[column] = filled.cast(MONEY) if op == "sum" else filled
        return H.mutate(**fills) if fills else H
