"""Alert evaluation over a hand-built day of signals: each rule fires exactly where it must,
signals from an unknown device are flagged naming the field, and scoring counts recall and
false alarms per 1,000 older people."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from minzheng.eldercare import alerts

DATE = dt.date(2020, 12, 31)
KIND = {"W": "water", "D": "door", "X": "wearable"}
DEVICES = ["W1", "W2", "W3", "D1", "D2", "X1", "X2", "X3", "X4"]


def hourly(device, event_type, values):
    return [(device, DATE, h * 60 + 59, event_type, float(v)) for h, v in enumerate(values)]


def day_of_steps(hours):
    return [300 if h in hours else 0 for h in range(24)]


@pytest.fixture
def con():
    events = (
        hourly("W1", "water", [0] * 24)  # no water at all
        + hourly("W2", "water", [0.5] * 24)  # 12 litres
        # W3 sent nothing: offline, not raised
        + [("D1", DATE - dt.timedelta(days=1), 600, "door_open", 0.0)]  # only the day before
        + [("D2", DATE, 480, "door_open", 0.0), ("D2", DATE, 481, "door_close", 0.0)]
        + hourly("X1", "heartbeat", day_of_steps(range(6, 21)))
        + [("X1", DATE, 600, "fall", 0.0)]
        + hourly("X2", "heartbeat", day_of_steps({7}))  # moved at 7 o'clock only
        # X3 sent nothing: offline
        + hourly("X4", "heartbeat", day_of_steps(range(6, 22)))
        + [("U1", DATE, 100, "water", 3.0), ("U1", DATE, 160, "water", 1.0)]  # unregistered
    )
    con = duckdb.connect()
    con.register(
        "device_events",
        pa.table(
            {
                "device_id": [e[0] for e in events],
                "event_date": pa.array([e[1] for e in events], pa.date32()),
                "minute": pa.array([e[2] for e in events], pa.int16()),
                "event_type": [e[3] for e in events],
                "value": [e[4] for e in events],
                "county": ["330102"] * len(events),
            }
        ),
    )
    con.register(
        "elder_devices",
        pa.table(
            {
                "device_id": DEVICES,
                "device_kind": [KIND[d[0]] for d in DEVICES],
                "id_number": [f"P{d[1]}" for d in DEVICES],  # one person per number
                "household_id": [f"H{d[1]}" for d in DEVICES],
                "county": ["330102"] * len(DEVICES),
            }
        ),
    )
    return con


def test_each_rule_fires_exactly_where_it_must(con):
    result = alerts.evaluate(con, DATE)
    raised = {(r["rule"], r["device_id"]) for r in result.alerts.to_pylist()}
    assert raised == {
        ("no_water", "W1"),
        ("no_door", "D1"),
        ("fall", "X1"),
        ("no_movement", "X2"),
    }


def test_an_alert_carries_what_the_escalation_chain_stores(con):
    rows = {r["rule"]: r for r in alerts.evaluate(con, DATE).alerts.to_pylist()}
    fall = rows["fall"]
    assert fall["alert_id"] == "20201231-fall-X1"
    assert fall["id_number"] == "P1"
    assert fall["household_id"] == "H1"
    assert fall["severity"] == "high"
    assert fall["raised_at"] == dt.datetime(2020, 12, 31, 10, 0)
    assert fall["evidence"] == '{"events":1,"first_minute":600}'
    still = rows["no_movement"]  # last moved at 07:59: twelve hours later
    assert still["raised_at"] == dt.datetime(2020, 12, 31, 19, 59)
    assert still["evidence"] == '{"still_minutes":961,"since_minute":479}'
    assert rows["no_water"]["evidence"] == '{"litres":0.0,"readings":24}'
    assert rows["no_door"]["raised_at"] == dt.datetime(2021, 1, 1, 0, 0)


def test_signals_from_an_unknown_device_are_flagged_naming_the_field(con):
    result = alerts.evaluate(con, DATE)
    flagged = result.flagged.to_pylist()
    assert flagged == [
        {
            "county": "330102",
            "code": "unknown_device",
            "field": "device_id",
            "value": "U1",
            "events": 2,
        }
    ]
    assert alerts.flagged_message(flagged[0]) == (
        "device_events: device_id = U1 is not a registered device (2 signals)."
    )
    assert result.monitored == 4
    assert result.devices == 9


def test_a_lower_threshold_raises_less(con, tmp_path):
    path = tmp_path / "alerts.yaml"
    text = alerts.RULES.read_text(encoding="utf-8")
    path.write_text(text.replace("threshold: 1", "threshold: 20"), encoding="utf-8")
    raised = {
        r["device_id"]
        for r in alerts.evaluate(con, DATE, alerts.load_rules(path)).alerts.to_pylist()
        if r["rule"] == "no_water"
    }
    assert raised == {"W1", "W2"}  # 12 litres is below 20


def test_scoring_counts_recall_and_false_alarms_per_1000_older_people():
    found = pa.table(
        {
            "rule": ["no_water", "no_water", "no_door", "fall"],
            "device_id": ["W1", "W2", "D2", "X1"],
            "id_number": ["P1", "P2", "P2", "P1"],
        }
    )
    truth = pa.table(
        {
            "scenario": ["no_sign_of_life", "no_sign_of_life", "fall", "stay_home"],
            "emergency": [True, True, True, False],
            "rule": ["no_water", "no_door", "fall", None],
            "device_id": ["W1", "D1", "X9", "D2"],
            "id_number": ["P1", "P1", "P9", "P2"],
        }
    )
    rows = {r["rule"]: r for r in alerts.score(found, truth, monitored=500)}
    assert rows["no_water"]["alerts"] == 2
    assert rows["no_water"]["recall"] == 1.0
    assert rows["no_water"]["false_alarms"] == 1  # P2 had no emergency
    assert rows["no_water"]["false_per_1000"] == 2.0
    assert rows["no_door"]["recall"] == 0.0  # D1 was not raised
    assert rows["no_door"]["false_alarms"] == 1
    # X1 belongs to P1, who was in an emergency: not a false alarm, but X9's fall was missed
    assert rows["fall"]["recall"] == 0.0
    assert rows["fall"]["false_alarms"] == 0
    assert rows["no_movement"]["recall"] is None  # nothing planted for it
