"""The synthetic province's home devices: only older people living alone have them, their
stream leaves every other table the same, the planted emergencies are found by the rules
that define them (false alarms reported), unknown devices are flagged, and the CLI."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.eldercare import alerts
from minzheng.synth import devices
from minzheng.synth.calibration import load_calibration
from minzheng.synth.lake import plan
from minzheng.synth.population import _feed, generate_county

DATE = dt.date(2020, 12, 31)
RULES = ("no_water", "no_door", "fall", "no_movement")


def invented(n: int, seed: int = 3):
    """Devices for n invented older people living alone, all of them equipped."""
    calibration = load_calibration()

    def a(name):
        return 1.0 if name == "device_alone_share" else calibration.assumption(name)

    numbers = np.char.zfill(np.arange(n).astype(str), 8)
    return devices.devices_for(
        np.random.default_rng([seed, 0, 4]),
        county="339901",
        today=np.datetime64(DATE, "D"),
        a=a,
        person_ids=pa.array(np.char.add("3399011940", numbers)),
        household_ids=pa.array(np.char.add("H339901", numbers)),
    )


def connection(feeds):
    con = duckdb.connect()
    for name, columns in feeds.items():
        table = _feed(name, DATE, columns)
        con.register(name, table.append_column("county", pa.repeat("339901", table.num_rows)))
    return con


def test_the_planted_emergencies_are_found_by_the_rules_that_define_them():
    feeds, truth = invented(40_000)
    result = alerts.evaluate(connection(feeds), DATE)
    rows = {r["rule"]: r for r in alerts.score(result.alerts, truth, result.monitored)}
    for rule in RULES:
        assert rows[rule]["planted"] > 0, rule
        assert rows[rule]["recall"] == 1.0, rows[rule]
    # ordinary days that look alike raise false alarms: reported, measured, not zero
    assert rows["no_door"]["false_alarms"] > 0
    assert rows["no_water"]["false_per_1000"] > 0


def test_the_generator_is_deterministic():
    first, truth1 = invented(3_000)
    second, truth2 = invented(3_000)
    for name in first:
        assert _feed(name, DATE, first[name]).equals(_feed(name, DATE, second[name])), name
    assert truth1.equals(truth2)
    other, _ = invented(3_000, seed=4)
    assert not _feed("device_events", DATE, other["device_events"]).equals(
        _feed("device_events", DATE, first["device_events"])
    )


def test_the_device_stream_leaves_every_other_table_the_same(monkeypatch):
    calibration = load_calibration()
    counties, quotas = plan(0.001, 7)
    tables, truth = generate_county(counties[0], quotas[0], calibration, 7, DATE)
    original = devices.generate

    def drawing_more(rng, *args):
        rng.random(100_000)  # a different device stream: only the device tables may change
        return original(rng, *args)

    monkeypatch.setattr(devices, "generate", drawing_more)
    again, truth_again = generate_county(counties[0], quotas[0], calibration, 7, DATE)
    own = {"elder_devices", "device_events", "device_emergencies"}
    assert set(tables) == set(again)
    for name in set(tables) - own:
        assert tables[name].equals(again[name]), name
    for name in set(truth) - own:
        assert truth[name].equals(truth_again[name]), name
    assert not tables["device_events"].equals(again["device_events"])


def read(lake, name):
    return (
        f"read_parquet('{lake}/{name}/*/*.parquet', hive_partitioning = true,"
        " hive_types = {'county': VARCHAR})"
    )


@pytest.mark.lake
def test_only_older_people_living_alone_have_devices(small_lake):
    con = duckdb.connect()
    bad = con.sql(
        f"WITH living AS (SELECT * FROM {read(small_lake, 'hukou_persons')} p WHERE NOT EXISTS"
        f" (SELECT 1 FROM {read(small_lake, 'deaths')} d WHERE d.id_number = p.id_number)),"
        " size AS (SELECT household_id, count(*) AS n FROM living GROUP BY household_id)"
        f" SELECT d.device_id FROM {read(small_lake, 'elder_devices')} d"
        " LEFT JOIN living p USING (id_number) LEFT JOIN size s ON s.household_id = p.household_id"
        " WHERE p.id_number IS NULL OR s.n <> 1 OR p.birth_date > DATE '1960-12-31'"
        " OR p.household_id <> d.household_id"
    ).fetchall()
    assert bad == []
    assert con.sql(f"SELECT count(*) FROM {read(small_lake, 'elder_devices')}").fetchall()[0][0]


@pytest.mark.lake
def test_unknown_devices_of_the_lake_are_flagged_as_planted(small_lake):
    result = alerts.evaluate_lake(small_lake, DATE)
    truth = alerts.read_truth(small_lake)
    planted = {
        d
        for d, s in zip(
            truth.column("device_id").to_pylist(), truth.column("scenario").to_pylist(), strict=True
        )
        if s == "unknown_device"
    }
    assert planted
    assert set(result.flagged.column("value").to_pylist()) == planted
    assert set(result.flagged.column("field").to_pylist()) == {"device_id"}
    rows = alerts.score(result.alerts, truth, result.monitored)
    for r in rows:
        assert r["recall"] in (None, 1.0), r


@pytest.mark.lake
def test_the_cli_prints_a_chinese_summary_and_writes_the_alerts(small_lake, tmp_path):
    out = tmp_path / "alerts.parquet"
    done = CliRunner().invoke(
        app,
        [
            "eldercare",
            "alerts",
            "--lake",
            str(small_lake),
            "--date",
            "2020-12-31",
            "--score",
            "--out",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "24小时未开门" in done.output
    assert "召回率" in done.output
    assert "未登记的设备" in done.output  # the flagged unknown devices, in Chinese
    written = pq.read_table(out)
    assert written.num_rows > 0
    assert set(written.column_names) >= {
        "alert_id",
        "rule",
        "device_id",
        "id_number",
        "household_id",
        "raised_at",
        "evidence",
    }


@pytest.mark.lake
def test_the_cli_refuses_a_bad_date_and_a_lake_without_devices(tmp_path):
    runner = CliRunner()
    (tmp_path / "_lake.json").write_text('{"format": "minzheng-lake"}')
    done = runner.invoke(
        app, ["eldercare", "alerts", "--lake", str(tmp_path), "--date", "2020-12-31"]
    )
    assert done.exit_code == 1
    assert "elder_devices" in done.output
    bad = runner.invoke(app, ["eldercare", "alerts", "--lake", str(tmp_path), "--date", "31/12"])
    assert bad.exit_code != 0
    assert "--date" in bad.output
