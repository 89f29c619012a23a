"""Loading the lake's elder-care feeds into the platform's records: idempotent, all or
nothing, the planted irregularities flagged or refused with the file, column and value."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from minzheng.accounts.permissions import PermissionRefused
from minzheng.accounts.services import user_create
from minzheng.audit.models import AuditEvent
from minzheng.eldercare import institution_models as m
from minzheng.eldercare.records import COLUMNS, RecordsRefused, load_records
from minzheng.regions.models import Region
from tests.conftest import PASSWORD

pytestmark = pytest.mark.lake


@pytest.fixture
def steward(regions):
    return user_create(
        username="st_records",
        password=PASSWORD,
        role="data_steward",
        region=Region.objects.get(code="330000"),
    )


def truth(lake, kind: str) -> set[str]:
    return {
        r[0]
        for r in duckdb.sql(
            f"SELECT record_id FROM read_parquet('{lake}/truth/eldercare_anomalies/*/*.parquet') "
            f"WHERE kind = '{kind}'"
        ).fetchall()
    }


def copy_lake(src, dst):
    """The tables the loader reads, copied so that a test can change one."""
    for table in COLUMNS:
        shutil.copytree(src / table, dst / table)
    shutil.copy(src / "_lake.json", dst / "_lake.json")
    return dst


def rewrite(lake, table: str, change) -> None:
    """Replace a table of the lake with `change(rows)` (one file in the first county)."""
    files = sorted((lake / table).glob("*/*.parquet"))
    tables = [pq.read_table(f) for f in files]
    rows = [r for t in tables for r in t.to_pylist()]
    schema = tables[0].schema
    for f in files:
        f.unlink()
    pq.write_table(pa.Table.from_pylist(change(rows), schema=schema), files[0])


def test_a_lake_loads_once_and_a_second_run_changes_nothing(small_lake, steward):
    first = load_records(small_lake, user=steward)
    assert first["changed"] > 0
    institutions = duckdb.sql(
        f"SELECT count(*), sum(beds) FROM read_parquet('{small_lake}/care_institutions/*/*.parquet')"
    ).fetchall()[0]
    assert m.Institution.objects.count() == institutions[0]
    assert m.Bed.objects.count() == institutions[1]
    residents = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{small_lake}/care_residents/*/*.parquet')"
    ).fetchall()[0][0]
    assert m.Bed.objects.exclude(resident_id_number="").count() == residents
    assert m.HomeCareCentre.objects.count() > 0
    second = load_records(small_lake, user=steward)
    assert second["changed"] == 0
    assert AuditEvent.objects.filter(action="load_records").count() == 2


def test_the_planted_visits_are_flagged_or_refused_naming_the_column(small_lake, steward):
    load_records(small_lake, user=steward)
    far = set(m.WorkOrder.objects.filter(far_from_home=True).values_list("pk", flat=True))
    short = set(m.WorkOrder.objects.filter(too_short=True).values_list("pk", flat=True))
    assert far == truth(small_lake, "far_from_home")
    assert short == truth(small_lake, "too_short")
    refused = m.RecordRefusal.objects.filter(code="check_out_first")
    assert set(refused.values_list("record_id", flat=True)) == truth(small_lake, "check_out_first")
    assert set(refused.values_list("table", "column")) == {("home_care_orders", "check_out_minute")}
    assert not m.WorkOrder.objects.filter(pk__in=truth(small_lake, "check_out_first")).exists()


def test_expired_certificates_are_flagged_and_not_counted_valid(small_lake, steward):
    load_records(small_lake, user=steward)
    expired = truth(small_lake, "expired")
    staff = list(m.StaffMember.objects.exclude(certificate_no="").select_related("institution"))
    assert staff
    flagged = {s.certificate_no for s in staff if s.certificate_expired(s.institution.as_of)}
    assert flagged == expired
    assert all(
        not s.certificate_valid(s.institution.as_of) for s in staff if s.certificate_no in expired
    )


def test_a_bed_counted_in_two_institutions_is_refused_naming_the_bed(small_lake, steward, tmp_path):
    lake = copy_lake(small_lake, tmp_path / "lake")
    ids = [
        r[0]
        for r in duckdb.sql(
            f"SELECT institution_id FROM read_parquet('{lake}/care_institutions/*/*.parquet') "
            "ORDER BY 1"
        ).fetchall()
    ]
    assert len(ids) >= 2
    # a resident of the second institution said to lie in the first one's bed 1
    bed = f"{ids[0]}-0001"

    def twice(rows):
        other = dict(next(r for r in rows if r["institution_id"] == ids[1]), bed_id=bed)
        return [r for r in rows if r["id_number"] != other["id_number"]] + [other]

    rewrite(lake, "care_residents", twice)
    load_records(lake, user=steward)
    refusal = m.RecordRefusal.objects.get(code="bed_in_two_institutions")
    assert (refusal.table, refusal.column, refusal.value) == ("care_residents", "bed_id", bed)
    assert m.Bed.objects.get(pk=bed).institution_id == ids[0]


def test_a_missing_column_refuses_the_whole_run_and_changes_nothing(small_lake, steward, tmp_path):
    lake = copy_lake(small_lake, tmp_path / "lake")
    rewrite_schema = pq.read_table(next((lake / "meal_orders").glob("*/*.parquet")))
    assert "mode" in rewrite_schema.column_names
    for f in (lake / "meal_orders").glob("*/*.parquet"):
        pq.write_table(pq.read_table(f).drop(["mode"]), f)
    with pytest.raises(RecordsRefused) as refused:
        load_records(lake, user=steward)
    assert refused.value.params == {"file": "meal_orders", "column": "mode"}
    assert "meal_orders" in refused.value.translated() and "mode" in refused.value.translated()
    assert not m.Institution.objects.exists()


def test_a_county_outside_the_stewards_scope_is_refused(small_lake, regions):
    county_steward = user_create(
        username="st_xihu",
        password=PASSWORD,
        role="data_steward",
        region=Region.objects.get(code="330106"),
    )
    with pytest.raises(RecordsRefused) as refused:
        load_records(small_lake, user=county_steward)
    assert refused.value.code == "county_out_of_scope"
    assert not m.Institution.objects.exists()


def test_only_a_data_steward_loads_records(small_lake, caseworker):
    with pytest.raises(PermissionRefused):
        load_records(small_lake, user=caseworker)
    assert AuditEvent.objects.filter(action="permission_denied", actor=caseworker).exists()


def test_the_command_loads_reports_refusals_and_changes_nothing_the_second_time(
    small_lake, steward
):
    from typer.testing import CliRunner

    from minzheng.cli import app

    runner = CliRunner()
    args = ["eldercare", "load-records", "--lake", str(small_lake), "--user", "st_records"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "签退早于签到" in first.output  # the refused visits, in Chinese, on stderr
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    assert "0 处变更" in second.output
    unknown = runner.invoke(app, [*args[:-1], "nobody"])
    assert unknown.exit_code == 1
