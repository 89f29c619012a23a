"""Snapshots: the synthetic province goes through the loader like any department's file,
the snapshot's input frame screens exactly as the feeds do, an interrupted build leaves the
previous snapshot in use, and old snapshots are deleted by retention."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.exchange import services, snapshot
from minzheng.exchange.models import Delivery, Snapshot
from minzheng.exchange.snapshot import SnapshotError

from ..conftest import _user

AS_OF = dt.date(2020, 12, 31)


@pytest.fixture
def store(settings, tmp_path):
    settings.EXCHANGE_DIR = tmp_path / "exchange"
    settings.VERIFY_LAKE = None
    return settings.EXCHANGE_DIR


@pytest.fixture
def steward(regions):
    return _user("steward_zj", "data_steward", "330000")


def rows(folder) -> list[tuple]:
    return duckdb.sql(
        f"SELECT * EXCLUDE (county) FROM read_parquet('{folder}/**/*.parquet') ORDER BY household_id"
    ).fetchall()


@pytest.mark.lake
def test_the_synthetic_province_loads_and_screens_through_a_snapshot(
    store, steward, small_lake, tmp_path
):
    runner = CliRunner()
    loaded = runner.invoke(app, ["feed", "load-lake", str(small_lake), "--user", "steward_zj"])
    assert loaded.exit_code == 0, loaded.output
    deliveries = list(Delivery.objects.all())
    assert len(deliveries) >= 17
    for d in deliveries:
        assert d.quarantined == 0, (d.feed, d.reasons)  # the generator writes clean data
        assert d.rows == d.accepted
    built = runner.invoke(
        app, ["snapshot", "build", "--as-of", "2020-12-31", "--user", "steward_zj"]
    )
    assert built.exit_code == 0, built.output
    record = Snapshot.objects.get()
    assert services.current_lake().name == record.name
    for feed, count in record.rows.items():
        lake_rows = duckdb.sql(
            f"SELECT count(*) FROM read_parquet('{small_lake}/{feed}/*/*.parquet')"
        ).fetchall()[0][0]
        assert count == lake_rows, feed

    # A check made on the snapshot says which snapshot it read.
    from minzheng.policy.engine import Engine
    from minzheng.policy.explain import Explainer
    from minzheng.verification.lookup import Lookup
    from minzheng.verification.report import build_report

    lookup = Lookup(services.current_lake())
    household = lookup.households_in("33", 1)[0]["household_id"]
    report = build_report(lookup, Explainer(Engine()), household, AS_OF, today=dt.date(2021, 6, 30))
    assert report["snapshot"] == record.name and report["household_id"] == household

    out_snapshot, out_lake = tmp_path / "from_snapshot", tmp_path / "from_lake"
    args = ["screen", "--date", "2020-12-31"]
    first = runner.invoke(app, [*args, "--out", str(out_snapshot)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, [*args, "--lake", str(small_lake), "--out", str(out_lake)])
    assert second.exit_code == 0, second.output
    assert rows(out_snapshot) == rows(out_lake)
    assert f'"snapshot": "{record.name}"' in (out_snapshot / "_screen.json").read_text()


def _deaths(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("id_number,death_date,county\n" + "".join(lines), encoding="utf-8")
    return path


IDS = {"a": "11010519491231002X", "b": "330102198001010018", "c": "33010219900202001X"}


def test_a_snapshot_takes_each_countys_latest_delivery(store, steward, tmp_path):
    both = _deaths(
        tmp_path,
        "june.csv",
        [f"{IDS['a']},2020-01-01,330102\n", f"{IDS['b']},2020-02-01,330106\n"],
    )
    newer = _deaths(tmp_path, "dec.csv", [f"{IDS['c']},2020-11-01,330102\n"])
    services.load_delivery(user=steward, path=both, feed="deaths", as_of=dt.date(2020, 6, 30))
    services.load_delivery(user=steward, path=newer, feed="deaths", as_of=AS_OF)
    record = services.build_snapshot(user=steward, as_of=AS_OF)
    lake = snapshot.resolve(store)
    found = dict(
        duckdb.sql(
            f"SELECT id_number, county FROM read_parquet('{lake}/deaths/*/*.parquet', "
            "hive_partitioning = true, hive_types = {'county': VARCHAR})"
        ).fetchall()
    )
    # 330102 from December's delivery, 330106 still from June's
    assert found == {IDS["c"]: "330102", IDS["b"]: "330106"}
    assert record.rows["deaths"] == 2 and "si_wages" in record.missing
    earlier = services.build_snapshot(user=steward, as_of=dt.date(2020, 7, 31))
    assert earlier.rows["deaths"] == 2  # June's delivery only, both counties


def test_an_interrupted_build_leaves_the_previous_snapshot_in_use(
    store, steward, tmp_path, monkeypatch
):
    services.load_delivery(
        user=steward,
        path=_deaths(tmp_path, "d.csv", [f"{IDS['a']},2020-01-01,330102\n"]),
        feed="deaths",
        as_of=AS_OF,
    )
    first = services.build_snapshot(user=steward, as_of=AS_OF)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(snapshot, "build_inputs", crash)
    with pytest.raises(KeyboardInterrupt):
        services.build_snapshot(user=steward, as_of=AS_OF)
    assert snapshot.current(store).name == first.name
    assert [p.name for p in snapshot.snapshots_dir(store).iterdir() if p.is_dir()] == [first.name]
    assert Snapshot.objects.count() == 1


def test_two_builds_within_one_second_get_two_names(store, steward, tmp_path, monkeypatch):
    services.load_delivery(
        user=steward,
        path=_deaths(tmp_path, "d.csv", [f"{IDS['a']},2020-01-01,330102\n"]),
        feed="deaths",
        as_of=AS_OF,
    )
    frozen = dt.datetime(2026, 1, 5, 9, 30, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(services.timezone, "now", lambda: frozen)
    first = services.build_snapshot(user=steward, as_of=AS_OF)
    second = services.build_snapshot(user=steward, as_of=AS_OF)
    assert (first.name, second.name) == ("20260105T093000-20201231", "20260105T093000-20201231-2")
    assert snapshot.current(store).name == second.name


def test_retention_deletes_the_oldest_snapshots(store, steward, tmp_path, settings):
    settings.EXCHANGE_SNAPSHOTS_KEPT = 1
    services.load_delivery(
        user=steward,
        path=_deaths(tmp_path, "d.csv", [f"{IDS['a']},2020-01-01,330102\n"]),
        feed="deaths",
        as_of=AS_OF,
    )
    first = services.build_snapshot(user=steward, as_of=AS_OF)
    import time

    time.sleep(1.1)  # names carry the second they were built
    second = services.build_snapshot(user=steward, as_of=AS_OF)
    assert snapshot.current(store).name == second.name
    assert not (snapshot.snapshots_dir(store) / first.name).exists()
    first.refresh_from_db()
    assert first.pruned


def test_unknown_or_missing_snapshots_are_clear_errors(store):
    with pytest.raises(SnapshotError) as caught:
        snapshot.resolve(store)
    assert caught.value.code == "no_snapshot"
    for name in ("nope", "../etc", ".hidden"):
        with pytest.raises(SnapshotError) as caught:
            snapshot.resolve(store, name)
        assert caught.value.code == "unknown_snapshot"


def test_only_a_data_steward_builds_snapshots(store, caseworker):
    from minzheng.accounts.permissions import PermissionRefused

    with pytest.raises(PermissionRefused):
        services.build_snapshot(user=caseworker, as_of=AS_OF)


def test_only_a_provincial_steward_builds_snapshots(store, regions):
    from minzheng.audit.models import AuditEvent
    from minzheng.exchange.services import DeliveryError

    county_steward = _user("steward_xh", "data_steward", "330106")
    with pytest.raises(DeliveryError) as caught:
        services.build_snapshot(user=county_steward, as_of=AS_OF)
    assert caught.value.code == "snapshot_needs_province" and caught.value.status == 403
    assert AuditEvent.objects.filter(action="snapshot_build", outcome="denied").exists()
    assert snapshot.current(store) is None
