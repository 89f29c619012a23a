import pytest
from django.db import connection
from typer.testing import CliRunner

from minzheng.audit.models import AppendOnlyError, AuditEvent
from minzheng.audit.selectors import audit_verify
from minzheng.audit.services import audit_record, personal_data_read
from minzheng.cli import app


@pytest.fixture
def chain(caseworker):
    for i in range(5):
        audit_record(actor=caseworker, action="test", object_id=str(i), region_code="330102001")
    return list(AuditEvent.objects.order_by("seq"))


def _raw_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_events_link_into_an_intact_chain(chain):
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))
    assert audit_verify().ok and audit_verify().checked == 5


def test_an_edited_row_is_detected_and_named(chain):
    _raw_sql("UPDATE audit_auditevent SET object_id = %s WHERE seq = %s", ["tampered", 3])
    report = audit_verify()
    assert not report.ok and report.first_broken_seq == 3 and "edited" in report.problem


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(chain):
    event = AuditEvent.objects.get(seq=2)
    event.outcome = "denied"
    new_hash = event.compute_hash()
    _raw_sql(
        "UPDATE audit_auditevent SET outcome = %s, hash = %s WHERE seq = %s",
        ["denied", new_hash, 2],
    )
    report = audit_verify()
    assert not report.ok and report.first_broken_seq == 3 and "link" in report.problem


def test_a_deleted_row_is_detected_and_named(chain):
    _raw_sql("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    report = audit_verify()
    assert not report.ok and report.first_broken_seq == 2 and "deleted" in report.problem


def test_deleting_the_newest_rows_is_detected_by_the_head(chain):
    _raw_sql("DELETE FROM audit_auditevent WHERE seq >= %s", [4])
    report = audit_verify()
    assert not report.ok and report.first_broken_seq == 4 and "head" in report.problem


def test_the_orm_refuses_to_change_or_delete_events(chain):
    event = chain[0]
    event.action = "other"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_events_record_who_what_where_and_outcome(rf, caseworker):
    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    event = personal_data_read(
        actor=caseworker,
        request=request,
        object_type="person",
        object_id="42",
        region_code="330102001",
        fields=["id_number", "name"],
        unmasked=True,
    )
    event.refresh_from_db()
    assert (event.actor_id, event.actor_username) == (caseworker.pk, "cw_qingfeng")
    assert (event.action, event.object_type, event.object_id) == ("unmask", "person", "42")
    assert (event.region_code, event.client_ip, event.outcome) == (
        "330102001",
        "10.1.2.3",
        "success",
    )
    assert event.detail == {"fields": ["id_number", "name"], "unmasked": True}
    assert event.compute_hash() == event.hash  # survives the database round trip


def test_the_cli_verify_exits_non_zero_and_names_the_row(chain):
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "5" in ok.output
    _raw_sql("UPDATE audit_auditevent SET actor_username = %s WHERE seq = %s", ["mallory", 4])
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "seq=4" in broken.output


def test_a_nul_character_sent_by_a_client_is_stored_escaped(caseworker):
    """PostgreSQL text and JSON cannot hold NUL: what a client sent is kept, escaped, and the
    chain still verifies (the API fuzzer found a 500 here on PostgreSQL)."""
    event = audit_record(
        actor=caseworker,
        action="read_personal",
        object_id="H33\x00" + "9" * 200,
        detail={"path": "/api/\x00", "k\x00": ["\x00"]},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.object_id.startswith("H33\\x00") and len(stored.object_id) == 150
    assert stored.detail == {"path": "/api/\\x00", "k\\x00": ["\\x00"]}
    assert audit_verify().ok
