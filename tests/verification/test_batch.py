"""Batch checks: the same outcomes as single checks, consent and scope enforced, flags
summarised, results written for the case workflow, every household in the audit log."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from django.utils import timezone
from typer.testing import CliRunner

from minzheng.audit.models import AuditEvent
from minzheng.audit.selectors import audit_verify
from minzheng.cli import app
from minzheng.verification import services
from minzheng.verification.batch import RESULTS, SUMMARY, household_facts
from minzheng.verification.models import Consent
from minzheng.verification.report import build_report

from .conftest import AS_OF

runner = CliRunner()


def verify(listing, date, officer, out, lake=None):
    """`minzheng verify` on a households file (the configured lake unless `lake`)."""
    args = ["verify", "--households", str(listing), "--date", date, "--officer", officer]
    args += ["--out", str(out), *(["--lake", str(lake)] if lake else [])]
    return runner.invoke(app, args)


def _consent_bulk(user, lake, ids):
    facts = household_facts(lake, ids, timezone.localdate())
    Consent.objects.bulk_create(
        Consent(
            household_id=hid,
            id_number=pid,
            region_code=village,
            method="online",
            given_at=timezone.now(),
            recorded_by=user,
        )
        for hid, (village, adults) in facts.items()
        for pid in adults
    )


@pytest.fixture
def county_households(lookup):
    """Every household of 上城区 (330102), enrolled ones first: a periodic review."""
    rows = lookup._rows(
        "SELECT h.household_id FROM hukou_households h WHERE h.county = '330102' "
        "ORDER BY (h.household_id IN (SELECT household_id FROM enrolments)) DESC, 1",
        [],
    )
    return [r["household_id"] for r in rows]


def test_a_batch_agrees_with_single_checks_and_enforces_consent_and_scope(
    verify_settings, approver, caseworker, county_households, indexed_lake, lookup, tmp_path
):
    ids = county_households[:400]
    consented, without = ids[:350], ids[350:]
    _consent_bulk(caseworker, indexed_lake, consented)
    other_county = lookup._rows(
        "SELECT household_id FROM hukou_households WHERE county = '330106' LIMIT 3", []
    )
    outside = [r["household_id"] for r in other_county]
    _consent_bulk(caseworker, indexed_lake, outside)
    listing = tmp_path / "review.txt"
    listing.write_text("\n".join([*ids, *outside, "H3301029999999", ids[0]]) + "\n")
    out = tmp_path / "review"
    result = verify(listing, AS_OF.isoformat(), approver.username, str(out), lake=indexed_lake)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["households"] == 404
    assert summary["refused"] == {"consent_missing": 50, "out_of_scope": 3}
    assert summary["checked"] == 350
    assert "consent_missing" in result.output and "flagged" in result.output
    rows = {r["household_id"]: r for r in pq.read_table(out / RESULTS).to_pylist()}
    assert rows["H3301029999999"]["outcome"] == "not_in_hukou"
    assert all(rows[h]["outcome"] == "refused" for h in without + outside)
    assert summary["flags"]["not_in_hukou"] == 1
    assert summary["flagged"] == sum(1 for r in rows.values() if r["flags"])
    # Single checks give the same outcome for every programme (the same inputs, the same rules).
    explainer = services.lake().explainer
    for hid in consented[::35]:
        single = build_report(lookup, explainer, hid, AS_OF)["decision"]["found"]["programmes"]
        for name, programme in single.items():
            assert rows[hid][f"{name}_status"] == programme["status"], (hid, name)
        amount = single["dibao"]["monthly_amount"]
        assert f"{rows[hid]['dibao_monthly_amount']:.2f}" == amount, hid
    # Enrolled households found ineligible are flagged.
    for row in rows.values():
        if (
            row["outcome"] == "checked"
            and row["enrolled_dibao"]
            and row["dibao_status"] == "ineligible"
        ):
            assert "enrolled_but_ineligible" in row["flags"]
    # The audit log: a read per checked household, a refusal per household without consent,
    # nothing for households outside the scope, and the chain still verifies.
    reads = AuditEvent.objects.filter(
        actor=approver, action="read_personal", object_type="household"
    )
    assert reads.count() == 350
    refusals = AuditEvent.objects.filter(actor=approver, action="check_refused")
    assert refusals.count() == 50
    assert not AuditEvent.objects.filter(object_id__in=outside, actor=approver).exists()
    assert AuditEvent.objects.filter(action="batch_check", object_id=str(out)).exists()
    assert audit_verify().ok


def test_a_caseworker_batch_is_limited_to_the_township(
    verify_settings, caseworker, county_households, indexed_lake, tmp_path
):
    ids = county_households[:60]
    _consent_bulk(caseworker, indexed_lake, ids)
    listing = tmp_path / "ids.csv"
    listing.write_text("household_id,note\n" + "\n".join(f"{h},x" for h in ids) + "\n")
    out = tmp_path / "out"
    result = verify(listing, AS_OF.isoformat(), caseworker.username, str(out), lake=indexed_lake)
    assert result.exit_code == 0, result.output
    rows = pq.read_table(out / RESULTS).to_pylist()
    facts = household_facts(indexed_lake, ids, timezone.localdate())
    for row in rows:
        inside = facts[row["household_id"]][0].startswith("330102001")
        assert (row["outcome"] == "checked") == inside, row


@pytest.mark.parametrize(
    ("content", "date", "message"),
    [
        ("H3301020000001\nH33010\n", "2020-12-31", "line 2"),
        ("H3301020000001\n", "2099-01-01", "2099-01-01"),
        ("H3301020000001\n", "2020-13-01", "YYYY-MM-DD"),
    ],
)
def test_bad_batch_input_is_refused_with_a_reason(
    verify_settings, approver, tmp_path, content, date, message
):
    listing = tmp_path / "ids.txt"
    listing.write_text(content)
    out = tmp_path / "out"
    result = verify(listing, date, approver.username, str(out))
    assert result.exit_code == 1 and message in result.output
    assert not out.exists()


def test_an_unknown_officer_is_refused(verify_settings, tmp_path, db):
    listing = tmp_path / "ids.txt"
    listing.write_text("H3301020000001\n")
    result = verify(listing, "2020-12-31", "nobody", str(tmp_path / "out"))
    assert result.exit_code == 1 and "nobody" in result.output


def test_verify_index_builds_the_index(small_lake, tmp_path):
    import shutil

    lake = tmp_path / "lake"
    shutil.copytree(small_lake, lake)
    result = runner.invoke(app, ["verify", "index", str(lake)])
    assert result.exit_code == 0, result.output
    assert (lake / "_index.duckdb").is_file()
    missing = runner.invoke(app, ["verify", "index", str(tmp_path)])
    assert missing.exit_code == 1 and "_lake.json" in missing.output


def test_an_officer_whose_role_may_not_check_is_refused_and_audited(
    verify_settings, tmp_path, regions
):
    from minzheng.accounts.services import user_create
    from minzheng.audit.models import AuditEvent
    from minzheng.regions.models import Region
    from tests.conftest import PASSWORD

    analyst = user_create(
        username="an_zj",
        password=PASSWORD,
        role="analyst",
        region=Region.objects.get(code="330000"),
    )
    listing = tmp_path / "ids.txt"
    listing.write_text("H3301020000001\n")
    out = tmp_path / "out"
    result = verify(listing, "2020-12-31", analyst.username, str(out))
    assert result.exit_code == 1 and "verification.add_check" in result.output
    assert not out.exists()
    assert AuditEvent.objects.filter(actor=analyst, action="permission_denied").exists()
