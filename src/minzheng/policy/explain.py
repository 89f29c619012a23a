"""Explaining one household: every intermediate value, its rule and the parameters it used."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.policy import pyeval
from minzheng.policy.engine import Engine
from minzheng.policy.errors import PolicyError
from minzheng.policy.household import read_households
from minzheng.policy.inputs import INPUTS, kinds
from minzheng.policy.programmes.bundle import REFERRALS
from minzheng.policy.rules import HOUSEHOLD

if TYPE_CHECKING:  # DuckDB, Ibis and Arrow serve backend="duckdb" only, imported there
    import pyarrow as pa


def _json_value(value: Any, kind: str | None = None) -> Any:
    """JSON form: amounts as strings with two decimals, integers as numbers, dates ISO."""
    if value is None:
        return None
    if kind == "int" or (kind is None and isinstance(value, int) and not isinstance(value, bool)):
        return int(value)
    if isinstance(value, Decimal):
        if value == value.quantize(Decimal("0.01")):
            return f"{value:.2f}"
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


MEMO_LIMIT = 300_000  # remembered rule values (a few hundred bytes each)


class Explainer:
    """Explains households: in plain Python by default (`pyeval`, a few milliseconds), or
    through DuckDB (`backend="duckdb"`: compiled once to prepared statements), which the
    tests use to check that both give the same values."""

    def __init__(self, engine: Engine, backend: str = "memory") -> None:
        self.engine = engine
        self.backend = backend
        self.outputs = [name for p in engine.programmes for name in p.outputs.values()]
        self.referrals = {k: r for k, r in REFERRALS.items() if r in engine.rules}
        self.outputs = list(dict.fromkeys([*self.outputs, *self.referrals.values()])) or list(
            engine.rules
        )
        self.rules = engine.order(self.outputs)
        self.param_names = engine.params_needed(self.rules)
        self._con = None
        self.kinds = {**kinds(), **{n: r.kind for n, r in engine.rules.items()}}
        self.param_kinds = {n: p.type for n, p in engine.parameters.parameters.items()}
        self._prepared: dict[dt.date, tuple[str, str]] = {}
        self._memo: dict = {}  # rule values by what they read (see pyeval.evaluate)
        self._resolved: dict[tuple[dt.date, str], dict] = {}  # parameters by date and county
        self._parameter_nodes: dict[tuple[dt.date, str], dict] = {}  # and as the trace says
        # what the trace says of each rule whatever the household (copied into every trace)
        self._rule_nodes = {
            rule.name: {
                "label": rule.label,
                "entity": rule.entity,
                "unit": rule.unit,
                "reference": rule.reference,
                "depends_on": list(
                    dict.fromkeys(
                        [
                            *rule.deps,
                            *[
                                n
                                for _op, name, where in rule.aggregates
                                for n in (name, where)
                                if n
                            ],
                            *rule.household_values,
                        ]
                    )
                ),
                "parameters": list(rule.params),
            }
            for rule in self.rules
        }
        self._tables_made = False

    @property
    def con(self):
        """The DuckDB connection of backend="duckdb" (made on first use)."""
        if self._con is None:
            import duckdb

            # One thread: a household is a few rows; scheduling threads costs more than it saves.
            self._con = duckdb.connect(config={"threads": 1})
        return self._con

    def _load(self, name: str, table: pa.Table) -> None:
        """Replace the rows of a fixed input table that the prepared statements read.
        (DuckDB still binds and optimises a prepared statement on every EXECUTE — about
        55 ms for 低保, more for the catalogue; see docs/benchmarks.md.)"""
        if not self._tables_made:
            self.con.from_arrow(table).limit(0).create(name)
        self.con.execute(f"DELETE FROM {name}")
        self.con.from_arrow(table).insert_into(name)

    def _compiled(self, date: dt.date, persons: pa.Table, households: pa.Table, params: pa.Table):
        """Names of the two prepared statements for `date` (planned once, executed often)."""
        if date not in self._prepared:
            import ibis

            backend = ibis.duckdb.from_connection(self.con)
            P, H = self.engine.build(
                ibis.table(persons.schema, name="in_persons"),
                ibis.table(households.schema, name="in_households"),
                ibis.table(params.schema, name="in_params"),
                date,
                self.rules,
            )
            household_cols = [c for c in H.columns if c not in P.columns or c == "household_id"]
            joined = P.join(
                H.select(*household_cols).rename(
                    {f"hh__{c}": c for c in household_cols if c != "household_id"}
                ),
                "household_id",
            )
            key = f"d{date:%Y%m%d}"
            self.con.execute(f"PREPARE persons_{key} AS {backend.compile(joined)}")
            self.con.execute(f"PREPARE households_{key} AS {backend.compile(H)}")
            self._prepared[date] = (f"persons_{key}", f"households_{key}")
        return self._prepared[date]

    def evaluate(
        self, household: dict, members: list[dict], date: dt.date
    ) -> tuple[list[dict], dict, dict]:
        """(person rows, household row, the county's resolved parameters) with every rule's
        value."""
        county = household["county"]
        resolved = self._resolved.get((date, county))
        if resolved is None:
            resolved = self.engine.params_resolved(date, [county], self.param_names)[county]
            self._resolved[date, county] = resolved
        if self.backend == "memory":
            values = {n: r.value for n, r in resolved.items()}
            if len(self._memo) > MEMO_LIMIT:
                self._memo.clear()
            person_rows, house_row = pyeval.evaluate(
                self.rules,
                self.kinds,
                values,
                self.param_kinds,
                date,
                household,
                members,
                memo=self._memo,
            )
            return person_rows, house_row, resolved
        from minzheng.policy.household import to_arrow

        params = self.engine.params_table(date, [county], self.param_names)
        persons, households = to_arrow(household, members)
        for name, table in (
            ("in_persons", persons),
            ("in_households", households),
            ("in_params", params.table),
        ):
            self._load(name, table)
        self._tables_made = True
        stmt_p, stmt_h = self._compiled(date, persons, households, params.table)
        # One query gives members with their household's values; a household without members
        # needs the household query.
        person_rows = self.con.execute(f"EXECUTE {stmt_p}").fetchall()
        columns = [d[0] for d in self.con.description]
        person_rows = [dict(zip(columns, row, strict=True)) for row in person_rows]
        if person_rows:
            house_row = {k[4:]: v for k, v in person_rows[0].items() if k.startswith("hh__")} | {
                "household_id": household["household_id"]
            }
        else:
            row = self.con.execute(f"EXECUTE {stmt_h}").fetchall()[0]
            house_row = dict(zip([d[0] for d in self.con.description], row, strict=True))
        order = {m["person_id"]: i for i, m in enumerate(members)}
        person_rows.sort(key=lambda r: order[r["person_id"]])
        return person_rows, house_row, resolved

    def _parameters(self, date: dt.date, county: str, resolved: dict) -> dict[str, dict]:
        """The trace's parameters of a county (made once per date and county)."""
        key = (date, county)
        if key not in self._parameter_nodes:
            self._parameter_nodes[key] = {
                name: {
                    "value": _json_value(r.value),
                    "since": r.since.isoformat() if r.since != dt.date.min else None,
                    "region": r.region,
                    "label": self.engine.parameters[name].label,
                    "unit": self.engine.parameters[name].unit,
                }
                for name, r in resolved.items()
            }
        return self._parameter_nodes[key]

    def explain(self, household: dict, members: list[dict], date: dt.date) -> dict:
        """Results per programme and the full trace, as JSON-ready data."""
        person_rows, house, resolved = self.evaluate(household, members, date)
        results = {}
        for programme in self.engine.programmes:
            out = programme.outputs
            if not out or programme.name == "bundle":
                continue
            entry: dict[str, Any] = {"label": programme.label}
            for key, rule in out.items():
                if key == "members":
                    entry["members"] = [r["person_id"] for r in person_rows if r[rule]]
                elif key == "reasons":
                    entry["reasons"] = [x for x in (house[rule] or "").split(",") if x]
                else:
                    entry[key] = _json_value(house[rule], self.engine.rules[rule].kind)
            results[programme.name] = entry
        trace_rules = {}
        for rule in self.rules:
            node = self._rule_nodes[rule.name]
            node = {
                **node,
                "depends_on": [*node["depends_on"]],
                "parameters": [*node["parameters"]],
            }
            if rule.entity == HOUSEHOLD:
                node["value"] = _json_value(house[rule.name], rule.kind)
            else:
                node["values"] = {
                    r["person_id"]: _json_value(r[rule.name], rule.kind) for r in person_rows
                }
            trace_rules[rule.name] = node
        inputs = {
            "household": {k: _json_value(v) for k, v in household.items()},
            "members": [{k: _json_value(v) for k, v in m.items()} for m in members],
        }
        referrals = []
        for kind, rule in self.referrals.items():
            if self.engine.rules[rule].entity == HOUSEHOLD:
                if house[rule]:
                    referrals.append(
                        {
                            "kind": kind,
                            "label": self.engine.rules[rule].label,
                            "household": True,
                            "members": [],
                        }
                    )
            else:
                members_ = [r["person_id"] for r in person_rows if r[rule]]
                if members_:
                    referrals.append(
                        {
                            "kind": kind,
                            "label": self.engine.rules[rule].label,
                            "household": False,
                            "members": members_,
                        }
                    )
        totals = {}
        if "bundle_monthly_total" in house:
            totals = {
                "monthly_amount": _json_value(house["bundle_monthly_total"], "amount"),
                "one_off_amount": _json_value(house.get("linshi_one_off_amount"), "amount"),
            }
        return {
            "results": results,
            "totals": totals,
            "referrals": referrals,
            "trace": {
                "date": date.isoformat(),
                "county": household["county"],
                "outputs": self.outputs,
                "rules": trace_rules,
                "parameters": {
                    name: dict(info)
                    for name, info in self._parameters(date, household["county"], resolved).items()
                },
                "inputs": inputs,
            },
        }


def explain_households(explainer: Explainer, path: Path, date: dt.date) -> Iterator[dict]:
    """One record per household of a folder or a JSON Lines file, in order: the explanation
    with `file`, `line` (None for a whole file) and `household_id`, or `{file, line, error}`
    for a household that cannot be read or explained, so that one bad household stops
    nothing. Raises when `path` holds no household at all."""
    for file, line, read in read_households(path):
        if isinstance(read, PolicyError):
            yield error_record(file, line, read)
            continue
        household, members = read
        try:
            explanation = explainer.explain(household, members, date)
        except PolicyError as exc:
            yield error_record(file, line, exc)
            continue
        yield {"file": file, "line": line, "household_id": household["household_id"], **explanation}


def error_record(file: str, line: int | None, error: PolicyError) -> dict:
    """What a batch says of a household it could not explain: where, the error's code, the
    field (when the error names one) and the message."""
    field = error.params.get("field")
    return {
        "file": file,
        "line": line,
        "error": {
            "code": error.code,
            "field": None if field is None else str(field),
            "message": str(error),
        },
    }


STATUS_ZH = {
    "eligible": "符合",
    "ineligible": "不符合",
    "gradual_exit": "渐退期",
    "single_person": "单人户施保",
}
REASON_ZH = {
    "no_members": "无计入的共同生活成员",
    "income_above_standard": "收入不低于标准",
    "assets_above_limit": "金融资产超过上限",
    "vehicle": "拥有机动车",
    "commercial_property": "拥有商业用房",
    "housing": "住房超过规定",
}


def render_tree(explanation: dict) -> str:
    """A readable Chinese tree: each output, then what it was computed from, once each."""
    trace = explanation["trace"]
    rules, params = trace["rules"], trace["parameters"]
    lines = [f"评估日期 {trace['date']}，区县 {trace['county']}"]
    for result in explanation["results"].values():
        amount = result.get("monthly_amount", result.get("one_off_amount")) or "—"
        status = STATUS_ZH.get(result.get("status", ""), result.get("status", ""))
        lines.append(f"【{result['label']}】结果：{status}  金额：{amount}")
        if result.get("reasons"):
            reasons = [REASON_ZH.get(r, r) for r in result["reasons"]]
            lines.append(f"  不符合原因：{'、'.join(reasons)}")
    totals = explanation.get("totals") or {}
    if totals:
        lines.append(f"【合计】每月 {totals['monthly_amount']}，一次性 {totals['one_off_amount']}")
    for referral in explanation.get("referrals", []):
        who = "全户" if referral["household"] else "、".join(referral["members"])
        lines.append(f"【转介】{referral['label']}：{who}")
    seen: set[str] = set()

    def show(name: str, depth: int) -> None:
        pad = "  " * depth
        if name in rules:
            node = rules[name]
            value = node.get("value", node.get("values"))
            if name in seen:
                lines.append(f"{pad}- {node['label']}（{name}）= {value}  ↑见上")
                return
            seen.add(name)
            lines.append(
                f"{pad}- {node['label']}（{name}）= {value}  〔依据：{node['reference']}〕"
            )
            for p in node["parameters"]:
                info = params[p]
                since = f"自 {info['since']} 起" if info["since"] else "改革设定"
                lines.append(
                    f"{pad}    · 参数 {info['label']}（{p}）= {info['value']}，{since}，区划 {info['region']}"
                )
            for dep in node["depends_on"]:
                show(dep, depth + 1)
        elif name in INPUTS:
            lines.append(f"{pad}- 输入 {INPUTS[name].label}（{name}）")

    for output in trace["outputs"]:
        show(output, 0)
    return "\n".join(lines) + "\n"
