"""Alerts for older people living alone (独居老人监测预警): rules declared in YAML over one day
of their home devices' signals, evaluated set-based on DuckDB (framework-free).

A rule reads one device kind (`water`, `door`, `wearable`) and raises an alert per device
whose day meets its condition: `total_below` (the litres of the day's readings below a
threshold), `no_event` (the device sent nothing), `event` (an event of a type, such as a fall
alarm) or `no_movement` (`hours` or more without steps between the wearable's heartbeats,
midnight and the day's end counting as the edges). A device that sent nothing is offline
for the `total_below` and `no_movement` rules, not raised. Each rule has a severity and the
escalation timers in minutes (a relative, then the village/grid worker, then a visit from the
township), increasing.

An alert record is what the escalation chain stores: alert id (date, rule, device), rule,
severity, device, its kind, the person, the household, the county, when it was raised and the
evidence (JSON). Signals from a device the register does not know are returned apart, as
flagged rows naming the field `device_id` and its value.

A rule file with an unknown field, device kind, condition or severity, a negative threshold
or timers not increasing is refused with its file and line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minzheng.lib import yamllines
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten

RULES = Path(__file__).with_name("alerts.yaml")
DEVICE_EVENTS = {
    "water": ("water",),
    "door": ("door_open", "door_close"),
    "wearable": ("heartbeat", "fall"),
}
CONDITIONS = {  # condition → the device kinds it applies to and its parameters
    "total_below": (("water",), ("threshold",)),
    "no_event": (("water", "door", "wearable"), ()),
    "event": (("water", "door", "wearable"), ("event",)),
    "no_movement": (("wearable",), ("hours",)),
}
SEVERITIES = ("low", "medium", "high")
ESCALATION = ("relative", "grid_worker", "township_visit")
FIELDS = ("name", "label", "device", "condition", "severity", "escalation") + (
    "threshold",
    "event",
    "hours",
    "reference",
)
MINUTES = 24 * 60
UNKNOWN_DEVICE = gettext_noop(
    "device_events: %(field)s = %(value)s is not a registered device (%(events)s signals)."
)


class AlertRuleError(TranslatableError):
    """An alert rule file that cannot be used: the message names the file and the line."""


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    device: str
    condition: str
    severity: str
    escalation: tuple[int, int, int]  # minutes: relative, grid worker, township visit
    threshold: float = 0.0
    event: str = ""
    hours: float = 0.0


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    file: str = ""


@dataclass(frozen=True)
class Evaluation:
    """The alerts of a day, the signals from unknown devices, and how many older people and
    devices were monitored."""

    alerts: Any  # pyarrow.Table
    flagged: Any  # pyarrow.Table
    monitored: int
    devices: int


def _fail(code: str, template: str, file: Path | str, line: int, **params: Any):
    return AlertRuleError(code, template, file=str(file), line=line, **params)


def _positive(raw: dict, key: str, path: Path, *, maximum: float | None = None) -> float:
    value = raw.get(key)
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if not ok or value < 0 or (maximum is not None and not 0 < value <= maximum):
        raise _fail(
            "bad_number",
            gettext_noop(
                "%(file)s line %(line)s: %(key)s = %(value)s must be a number of 0 or more"
                " (at most %(maximum)s)."
            )
            if maximum is not None
            else gettext_noop(
                "%(file)s line %(line)s: %(key)s = %(value)s must be a number of 0 or more."
            ),
            path,
            yamllines.line_of(raw, key),
            key=key,
            value=shorten(str(value)),
            **({"maximum": maximum} if maximum is not None else {}),
        )
    return float(value)


def _escalation(raw: dict, path: Path) -> tuple[int, int, int]:
    timers = raw["escalation"]
    line = yamllines.line_of(raw, "escalation")
    if not isinstance(timers, dict) or list(timers) != list(ESCALATION):
        raise _fail(
            "bad_escalation",
            gettext_noop(
                "%(file)s line %(line)s: escalation needs the minutes of %(steps)s, in this order."
            ),
            path,
            line,
            steps=", ".join(ESCALATION),
        )
    minutes = []
    for step in ESCALATION:
        value = timers[step]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise _fail(
                "bad_timer",
                gettext_noop(
                    "%(file)s line %(line)s: escalation %(step)s = %(value)s must be a whole"
                    " number of minutes above 0."
                ),
                path,
                yamllines.line_of(timers, step) or line,
                step=step,
                value=shorten(str(value)),
            )
        if minutes and value <= minutes[-1]:
            raise _fail(
                "timers_not_increasing",
                gettext_noop(
                    "%(file)s line %(line)s: escalation %(step)s = %(value)s minutes must come"
                    " after the previous step (%(previous)s minutes)."
                ),
                path,
                yamllines.line_of(timers, step) or line,
                step=step,
                value=value,
                previous=minutes[-1],
            )
        minutes.append(value)
    return (minutes[0], minutes[1], minutes[2])


def _rule(raw: Any, path: Path, line: int) -> Rule:
    if not isinstance(raw, dict):
        raise _fail(
            "bad_rule",
            gettext_noop("%(file)s line %(line)s: a rule is a mapping of its fields."),
            path,
            line,
        )
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise _fail(
            "unknown_field",
            gettext_noop(
                "%(file)s line %(line)s: %(field)s is not a field of a rule (%(allowed)s)."
            ),
            path,
            yamllines.line_of(raw, unknown[0]),
            field=shorten(str(unknown[0])),
            allowed=", ".join(FIELDS),
        )
    missing = [k for k in FIELDS[:6] if k not in raw]
    if missing:
        raise _fail(
            "rule_field_missing",
            gettext_noop("%(file)s line %(line)s: the rule lacks %(fields)s."),
            path,
            line,
            fields=", ".join(missing),
        )
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", str(raw["name"])):
        raise _fail(
            "bad_name",
            gettext_noop(
                "%(file)s line %(line)s: name = %(value)s must be lower-case letters, digits"
                " and _ (a letter first, at most 40)."
            ),
            path,
            yamllines.line_of(raw, "name"),
            value=shorten(str(raw["name"])),
        )
    device = raw["device"]
    if device not in DEVICE_EVENTS:
        raise _fail(
            "unknown_device_kind",
            gettext_noop("%(file)s line %(line)s: device = %(value)s is not one of %(allowed)s."),
            path,
            yamllines.line_of(raw, "device"),
            value=shorten(str(device)),
            allowed=", ".join(DEVICE_EVENTS),
        )
    condition = raw["condition"]
    if condition not in CONDITIONS or device not in CONDITIONS[condition][0]:
        raise _fail(
            "bad_condition",
            gettext_noop(
                "%(file)s line %(line)s: condition = %(value)s is not one of %(allowed)s for a"
                " %(device)s device."
            ),
            path,
            yamllines.line_of(raw, "condition"),
            value=shorten(str(condition)),
            device=device,
            allowed=", ".join(c for c, (kinds, _) in CONDITIONS.items() if device in kinds),
        )
    for key in CONDITIONS[condition][1]:
        if key not in raw:
            raise _fail(
                "rule_field_missing",
                gettext_noop("%(file)s line %(line)s: the rule lacks %(fields)s."),
                path,
                line,
                fields=key,
            )
    if condition == "event" and raw["event"] not in DEVICE_EVENTS[device]:
        raise _fail(
            "unknown_event",
            gettext_noop(
                "%(file)s line %(line)s: event = %(value)s is not one of %(allowed)s for a"
                " %(device)s device."
            ),
            path,
            yamllines.line_of(raw, "event"),
            value=shorten(str(raw["event"])),
            device=device,
            allowed=", ".join(DEVICE_EVENTS[device]),
        )
    if raw["severity"] not in SEVERITIES:
        raise _fail(
            "bad_severity",
            gettext_noop("%(file)s line %(line)s: severity = %(value)s is not one of %(allowed)s."),
            path,
            yamllines.line_of(raw, "severity"),
            value=shorten(str(raw["severity"])),
            allowed=", ".join(SEVERITIES),
        )
    return Rule(
        name=str(raw["name"]),
        label=str(raw["label"]),
        device=device,
        condition=condition,
        severity=raw["severity"],
        escalation=_escalation(raw, path),
        threshold=_positive(raw, "threshold", path) if "threshold" in raw else 0.0,
        event=str(raw.get("event", "")),
        hours=_positive(raw, "hours", path, maximum=24) if "hours" in raw else 0.0,
    )


def load_rules(path: Path = RULES) -> RuleSet:
    """The alert rules of a file, checked (see the module)."""
    path = Path(path)
    data = yamllines.read(path, AlertRuleError)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or not data["rules"]:
        raise _fail(
            "no_rules",
            gettext_noop("%(file)s line %(line)s: an alert rule file needs a list of rules."),
            path,
            getattr(data, "line", 1),
        )
    items, rules, seen = data["rules"], [], set()
    for i, raw in enumerate(items):
        line = yamllines.line_of(items, i)
        rule = _rule(raw, path, line)
        if rule.name in seen:
            raise _fail(
                "duplicate_rule",
                gettext_noop("%(file)s line %(line)s: rule %(name)s is given twice."),
                path,
                line,
                name=rule.name,
            )
        seen.add(rule.name)
        rules.append(rule)
    return RuleSet(tuple(rules), str(path))


# --- evaluation ---------------------------------------------------------------------------


def _types(types) -> str:
    """A SQL list of event types (checked against DEVICE_EVENTS at load: safe to inline)."""
    return ", ".join(f"'{t}'" for t in types)


def _measures(i: int, rule: Rule) -> list[str]:
    """The aggregates of one device's day that a rule reads (`r<i>_…`)."""
    if rule.condition == "total_below":
        kinds = f"event_type IN ({_types(DEVICE_EVENTS[rule.device])})"
        return [
            f"sum(value) FILTER (WHERE {kinds}) AS r{i}_total",
            f"count(*) FILTER (WHERE {kinds}) AS r{i}_n",
        ]
    if rule.condition == "event":
        return [
            f"count(*) FILTER (WHERE event_type = '{rule.event}') AS r{i}_n",
            f"min(minute) FILTER (WHERE event_type = '{rule.event}') AS r{i}_first",
        ]
    if rule.condition == "no_movement":
        return [
            f"count(*) FILTER (WHERE event_type = 'heartbeat') AS r{i}_n",
            f"list(minute ORDER BY minute) FILTER (WHERE event_type = 'heartbeat' AND value > 0)"
            f" AS r{i}_moves",
        ]
    return []  # no_event: the count of all the device's events


def _raised(i: int, rule: Rule) -> str:
    """The devices a rule raises, from the day's aggregates: device_id, the minute it is
    raised at, the evidence (JSON)."""
    kind = f"d.device_kind = '{rule.device}'"
    if rule.condition == "total_below":
        return (
            f"SELECT device_id, 1440 AS at, json_object('litres', round(r{i}_total, 1),"
            f" 'readings', r{i}_n)::VARCHAR AS evidence FROM _agg a JOIN _devices d"
            f" USING (device_id) WHERE {kind} AND r{i}_n > 0 AND r{i}_total < {rule.threshold!r}"
        )
    if rule.condition == "no_event":
        return (
            "SELECT device_id, 1440 AS at, json_object('events', 0)::VARCHAR AS evidence"
            f" FROM _devices d WHERE {kind}"
            " AND NOT EXISTS (SELECT 1 FROM _agg a WHERE a.device_id = d.device_id)"
        )
    if rule.condition == "event":
        return (
            f"SELECT device_id, r{i}_first AS at, json_object('events', r{i}_n, 'first_minute',"
            f" r{i}_first)::VARCHAR AS evidence FROM _agg a JOIN _devices d USING (device_id)"
            f" WHERE {kind} AND r{i}_n > 0"
        )
    # no_movement: the longest stretch between heartbeats with steps, midnight and the end
    # of the day as edges, of the wearables that sent a heartbeat
    edges = f"list_concat([0], coalesce(r{i}_moves, []), [{MINUTES}])"
    still = int(rule.hours * 60)
    return (
        "SELECT device_id, since + " + str(still) + " AS at, json_object('still_minutes', gap,"
        " 'since_minute', since)::VARCHAR AS evidence FROM ("
        " SELECT device_id, l[list_position(gaps, list_max(gaps))] AS since,"
        " list_max(gaps) AS gap FROM ("
        " SELECT device_id, l, list_transform(range(1, len(l)), lambda j: l[j + 1] - l[j])"
        f" AS gaps FROM (SELECT device_id, {edges} AS l FROM _agg a JOIN _devices d"
        f" USING (device_id) WHERE {kind} AND r{i}_n > 0)))"
        f" WHERE gap >= {still}"
    )


def evaluate(con, date: dt.date, rules: RuleSet | None = None) -> Evaluation:
    """The alerts of `date` over the views `elder_devices` and `device_events` of a DuckDB
    connection (each with a `county` column), and the signals from unknown devices: one pass
    over the day's signals, aggregated per device, then each rule over the aggregates."""
    rules = rules or load_rules()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _devices AS SELECT device_id, device_kind, id_number,"
        " household_id, county FROM elder_devices"
    )
    measures = [m for i, rule in enumerate(rules.rules) for m in _measures(i, rule)]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _agg AS SELECT device_id, any_value(county) AS county,"
        f" count(*) AS events{''.join(', ' + m for m in measures)} FROM device_events"
        " WHERE event_date = ? GROUP BY device_id",
        [date],
    )
    parts = [
        f"SELECT '{rule.name}' AS rule, '{rule.severity}' AS severity, r.device_id, r.at,"
        f" r.evidence FROM ({_raised(i, rule)}) r"
        for i, rule in enumerate(rules.rules)
    ]
    start = dt.datetime.combine(date, dt.time())
    alerts = con.sql(
        "SELECT strftime(?::DATE, '%Y%m%d') || '-' || a.rule || '-' || a.device_id AS alert_id,"
        " a.rule, a.severity, a.device_id, d.device_kind, d.id_number, d.household_id, d.county,"
        " ?::TIMESTAMP + to_minutes(a.at::BIGINT) AS raised_at, a.evidence"
        f" FROM ({' UNION ALL '.join(parts)}) a JOIN _devices d USING (device_id)"
        " ORDER BY d.county, a.rule, a.device_id",
        params=[date, start],
    ).to_arrow_table()
    flagged = con.sql(
        "SELECT county, 'unknown_device' AS code, 'device_id' AS field, device_id AS value,"
        " events FROM _agg a"
        " WHERE NOT EXISTS (SELECT 1 FROM _devices d WHERE d.device_id = a.device_id)"
        " ORDER BY county, device_id"
    ).to_arrow_table()
    monitored, devices = con.execute(
        "SELECT count(DISTINCT id_number), count(*) FROM _devices"
    ).fetchone()
    con.execute("DROP TABLE IF EXISTS _agg")
    con.execute("DROP TABLE IF EXISTS _devices")
    return Evaluation(alerts, flagged, int(monitored), int(devices))


def flagged_message(row: dict) -> str:
    """The English message of a flagged row (translated by the caller where Django runs)."""
    return UNKNOWN_DEVICE % {"field": row["field"], "value": row["value"], "events": row["events"]}


def connect_lake(lake: Path, con=None):
    """A DuckDB connection with the lake's `elder_devices` and `device_events` as views (the
    county partition as text); a clear error when the lake lacks them."""
    import duckdb

    from minzheng.policy.lake import lake_manifest

    lake_manifest(lake)
    con = con or duckdb.connect()
    for name in ("elder_devices", "device_events"):
        folder = Path(lake) / name
        if not any(folder.glob("*/*.parquet")):
            raise AlertRuleError(
                "no_devices",
                gettext_noop("%(path)s holds no %(feed)s: the lake has no device signals."),
                path=str(lake),
                feed=name,
            )
        glob = (folder / "*" / "*.parquet").as_posix().replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{glob}',"
            " hive_partitioning = true, hive_types = {'county': VARCHAR})"
        )
    return con


def evaluate_lake(lake: Path, date: dt.date, rules: RuleSet | None = None) -> Evaluation:
    """The alerts of `date` over a lake's devices and their signals."""
    return evaluate(connect_lake(lake), date, rules)


def read_truth(lake: Path):
    """The planted emergencies of a synthetic lake (`truth/device_emergencies`)."""
    import pyarrow.dataset as ds

    folder = Path(lake) / "truth" / "device_emergencies"
    return ds.dataset(folder, format="parquet", partitioning="hive").to_table()


def score(alerts, truth, monitored: int, rules: RuleSet | None = None) -> list[dict]:
    """Per rule: alerts raised, emergencies planted for it (truth rows whose `rule` is its
    name), those it found (same device), recall, and false alarms — alerts about a person
    with no planted emergency at all — per 1,000 monitored older people."""
    import duckdb

    rules = rules or load_rules()
    con = duckdb.connect()
    con.register("alerts_", alerts)
    con.register("truth_", truth)
    rows = []
    for rule in rules.rules:
        found, planted, matched, false = con.execute(
            "WITH a AS (SELECT DISTINCT device_id, id_number FROM alerts_ WHERE rule = ?),"
            " t AS (SELECT DISTINCT device_id FROM truth_ WHERE emergency AND rule = ?),"
            " sick AS (SELECT DISTINCT id_number FROM truth_"
            " WHERE emergency AND id_number IS NOT NULL)"
            " SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM t),"
            " (SELECT count(*) FROM a JOIN t USING (device_id)),"
            " (SELECT count(*) FROM a WHERE id_number NOT IN (SELECT id_number FROM sick))",
            [rule.name, rule.name],
        ).fetchone()
        rows.append(
            {
                "rule": rule.name,
                "label": rule.label,
                "alerts": found,
                "planted": planted,
                "found": matched,
                "recall": matched / planted if planted else None,
                "false_alarms": false,
                "false_per_1000": 1000 * false / monitored if monitored else None,
            }
        )
    return rows
