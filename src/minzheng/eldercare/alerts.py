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
            gettext_noop("%(file)s line %(line)s: %(field)s is not a field of a rule (%(allowed)s)."),
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
    try:
        data = yamllines.load(path)
    except (OSError, ValueError) as exc:
        raise _fail(
            "bad_file", gettext_noop("%(file)s line %(line)s: %(error)s"), path, 0, error=exc
        ) from None
    except Exception as exc:  # yaml.YAMLError
        mark = getattr(exc, "problem_mark", None)
        raise _fail(
            "bad_yaml",
            gettext_noop("%(file)s line %(line)s: not valid YAML."),
            path,
            mark.line + 1 if mark else 0,
        ) from None
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


def _rule_sql(rule: Rule) -> tuple[str, list]:
    """(SQL, parameters) of the devices a rule raises on the day: device_id, the minute it is
    raised at, the evidence (JSON)."""
    if rule.condition == "total_below":
        return (
            "SELECT device_id, 1440 AS at, json_object('litres', round(sum(value), 1),"
            " 'readings', count(*))::VARCHAR AS evidence FROM _day"
            " WHERE event_type = 'water' AND kind = ? GROUP BY device_id"
            " HAVING sum(value) < ?",
            [rule.device, rule.threshold],
        )
    if rule.condition == "no_event":
        return (
            "SELECT device_id, 1440 AS at, json_object('events', 0)::VARCHAR AS evidence"
            " FROM _devices d WHERE device_kind = ?"
            " AND NOT EXISTS (SELECT 1 FROM _day e WHERE e.device_id = d.device_id)",
            [rule.device],
        )
    if rule.condition == "event":
        return (
            "SELECT device_id, min(minute) AS at, json_object('events', count(*),"
            " 'first_minute', min(minute))::VARCHAR AS evidence FROM _day"
            " WHERE event_type = ? AND kind = ? GROUP BY device_id",
            [rule.event, rule.device],
        )
    # no_movement: the longest stretch between heartbeats with steps (midnight and the end of
    # the day as edges) of the wearables that sent any heartbeat
    return (
        "WITH hb AS (SELECT device_id, minute, value FROM _day"
        " WHERE event_type = 'heartbeat' AND kind = ?),"
        " moves AS (SELECT device_id, minute FROM hb WHERE value > 0"
        " UNION ALL SELECT DISTINCT device_id, 0 FROM hb"
        " UNION ALL SELECT DISTINCT device_id, 1440 FROM hb),"
        " gaps AS (SELECT device_id, minute - lag(minute) OVER w AS gap,"
        " lag(minute) OVER w AS since FROM moves"
        " WINDOW w AS (PARTITION BY device_id ORDER BY minute))"
        " SELECT device_id, arg_max(since, gap) + ? AS at,"
        " json_object('still_minutes', max(gap), 'since_minute', arg_max(since, gap))::VARCHAR"
        " AS evidence FROM gaps GROUP BY device_id HAVING max(gap) >= ?",
        [rule.device, int(rule.hours * 60), rule.hours * 60],
    )


def evaluate(con, date: dt.date, rules: RuleSet | None = None) -> Evaluation:
    """The alerts of `date` over the views `elder_devices` and `device_events` of a DuckDB
    connection (each with a `county` column), and the signals from unknown devices."""
    rules = rules or load_rules()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _devices AS SELECT device_id, device_kind, id_number,"
        " household_id, county FROM elder_devices"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _events AS SELECT device_id, minute, event_type, value,"
        " county FROM device_events WHERE event_date = ?",
        [date],
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _day AS SELECT e.device_id, e.minute, e.event_type,"
        " e.value, d.device_kind AS kind FROM _events e JOIN _devices d USING (device_id)"
    )
    parts, params = [], []
    for rule in rules.rules:
        sql, values = _rule_sql(rule)
        parts.append(
            f"SELECT ? AS rule, ? AS severity, r.device_id, r.at, r.evidence FROM ({sql}) r"
        )
        params += [rule.name, rule.severity, *values]
    start = dt.datetime.combine(date, dt.time())
    alerts = con.sql(
        "SELECT strftime(?::DATE, '%Y%m%d') || '-' || a.rule || '-' || a.device_id AS alert_id,"
        " a.rule, a.severity, a.device_id, d.device_kind, d.id_number, d.household_id, d.county,"
        " ?::TIMESTAMP + to_minutes(a.at::BIGINT) AS raised_at, a.evidence"
        f" FROM ({' UNION ALL '.join(parts)}) a JOIN _devices d USING (device_id)"
        " ORDER BY d.county, a.rule, a.device_id",
        params=[date, start, *params],
    ).to_arrow_table()
    flagged = con.sql(
        "SELECT county, 'unknown_device' AS code, 'device_id' AS field, device_id AS value,"
        " count(*) AS events FROM _events e"
        " WHERE NOT EXISTS (SELECT 1 FROM _devices d WHERE d.device_id = e.device_id)"
        " GROUP BY county, device_id ORDER BY county, device_id"
    ).to_arrow_table()
    monitored, devices = con.execute(
        "SELECT count(DISTINCT id_number), count(*) FROM _devices"
    ).fetchone()
    for name in ("_day",):
        con.execute(f"DROP VIEW IF EXISTS {name}")
    con.execute("DROP TABLE IF EXISTS _events")
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
            " sick AS (SELECT DISTINCT id_number FROM truth_ WHERE emergency)"
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
