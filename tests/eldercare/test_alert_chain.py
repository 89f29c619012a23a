"""The escalation chain as records: raising each alert once at the relative's step (the
notification on record), escalating by the rule's timers, acknowledging and resolving with a
reason, refusals named by field and audited, and the commands."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone
from typer.testing import CliRunner

from minzheng.accounts.permissions import PermissionRefused
from minzheng.audit.models import AuditEvent
from minzheng.cli import app
from minzheng.eldercare import alert_services as services
from minzheng.eldercare.alert_models import Alert, AlertStep
from tests.eldercare.alert_fixtures import RAISED, record

AT = timezone.make_aware(RAISED)


def minutes(n: int) -> dt.datetime:
    return AT + dt.timedelta(minutes=n)


@pytest.fixture
def fall(regions):
    services.alerts_raise(records=[record("fall")])
    return Alert.objects.get()


def test_raising_stores_the_alert_at_the_relatives_step_with_the_rules_timers(fall):
    assert fall.alert_id == "20261130-fall-D3301020000001"
    assert (fall.rule, fall.severity, fall.region_code) == ("fall", "high", "330102001001")
    assert fall.raised_at == AT
    assert fall.timers == {"relative": 5, "grid_worker": 15, "township_visit": 60}
    assert (fall.step, fall.state) == ("relative", "open")
    assert fall.step_due_at == minutes(5)
    assert fall.evidence == {"events": 1, "first_minute": 600}
    step = fall.steps.get()
    assert step.step == "relative"
    # no SMS gateway: the notification is on record as sent to the household's contact
    assert step.notice == {
        "to": "household_contact",
        "household_id": "H3301020000001",
        "channel": "record_only",
    }
    assert AuditEvent.objects.filter(action="alerts_raise").exists()


def test_raising_the_same_day_twice_creates_nothing_twice(fall):
    again = services.alerts_raise(records=[record("fall"), record("no_water", "D3301020000002")])
    assert (again.created, again.existing) == (1, 1)
    assert Alert.objects.count() == 2
    assert AlertStep.objects.count() == 2


def test_an_alert_without_a_village_or_of_an_unknown_rule_is_flagged_naming_the_field(regions):
    homeless = record("no_door") | {"village_code": None}
    unknown = record("fall") | {"rule": "no_such_rule", "alert_id": "20261130-x-D1"}
    done = services.alerts_raise(records=[homeless, unknown])
    assert done.created == 0
    assert [(f["field"], f["value"]) for f in done.flagged] == [
        ("household_id", "H3301020000001"),
        ("rule", "no_such_rule"),
    ]
    assert "household_id" in services.flagged_message(done.flagged[0])
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"device_id": "D" * 21}, "device_id"),
        ({"device_id": "D1/../x"}, "device_id"),
        ({"household_id": "H" * 21}, "household_id"),
        ({"id_number": "3" * 19}, "id_number"),
    ],
)
def test_an_alert_with_a_malformed_value_is_flagged_naming_the_field(regions, change, field):
    rec = record("fall") | change
    if "device_id" in change:
        rec["alert_id"] = f"20261130-fall-{change['device_id']}"
    done = services.alerts_raise(records=[rec])
    assert done.created == 0
    assert done.flagged[0]["field"] == field
    assert field in services.flagged_message(done.flagged[0])
    assert not Alert.objects.exists()


def test_an_unacknowledged_alert_moves_up_the_chain_when_each_timer_runs_out(fall):
    assert services.alerts_escalate(now=minutes(4)) == 0
    assert services.alerts_escalate(now=minutes(5)) == 1
    fall.refresh_from_db()
    assert (fall.step, fall.step_due_at) == ("grid_worker", minutes(15))
    assert services.alerts_escalate(now=minutes(14)) == 0
    assert services.alerts_escalate(now=minutes(16)) == 1
    fall.refresh_from_db()
    assert (fall.step, fall.step_due_at) == ("township_visit", minutes(60))
    # the last step: it stays there, overdue, and nothing more is recorded
    assert services.alerts_escalate(now=minutes(600)) == 0
    steps = list(fall.steps.order_by("started_at").values_list("step", "started_at", "due_at"))
    assert steps == [
        ("relative", AT, minutes(5)),
        ("grid_worker", minutes(5), minutes(15)),
        ("township_visit", minutes(15), minutes(60)),
    ]
    assert AuditEvent.objects.filter(action="alerts_escalate").count() == 2


def test_a_late_escalation_passes_every_step_whose_timer_ran_out(fall):
    assert services.alerts_escalate(now=minutes(61)) == 1
    fall.refresh_from_db()
    assert fall.step == "township_visit"
    assert list(fall.steps.values_list("step", flat=True).order_by("started_at")) == [
        "relative",
        "grid_worker",
        "township_visit",
    ]


def test_an_acknowledged_alert_is_not_escalated(fall, caseworker):
    services.alert_acknowledge(
        user=caseworker, request=None, alert_id=fall.alert_id, now=minutes(3)
    )
    assert services.alerts_escalate(now=minutes(600)) == 0
    fall.refresh_from_db()
    assert (fall.state, fall.step, fall.acknowledged_step) == (
        "acknowledged",
        "relative",
        "relative",
    )
    assert (fall.acknowledged_by, fall.acknowledged_at) == (caseworker, minutes(3))


def test_escalating_for_a_user_moves_only_the_alerts_of_their_scope(regions, outsider):
    services.alerts_raise(
        records=[record("fall"), record("fall", "D3301060000001", village="330106001001")]
    )
    assert services.alerts_escalate(now=minutes(10), user=outsider) == 1
    assert dict(Alert.objects.values_list("region_code", "step")) == {
        "330102001001": "relative",
        "330106001001": "grid_worker",
    }


def test_every_alert_ends_acknowledged_and_resolved_with_a_reason(fall, caseworker):
    services.alerts_escalate(now=minutes(20))
    done = services.alert_acknowledge(
        user=caseworker, request=None, alert_id=fall.alert_id, note="已电话联系网格员"
    )
    assert (done.state, done.acknowledged_step) == ("acknowledged", "township_visit")
    done = services.alert_resolve(
        user=caseworker, request=None, alert_id=fall.alert_id, reason="hospital", note="送医"
    )
    assert (done.state, done.resolution, done.resolution_note) == ("resolved", "hospital", "送医")
    assert done.resolved_by == caseworker and done.resolved_at is not None
    actions = set(
        AuditEvent.objects.filter(object_id=fall.alert_id).values_list("action", flat=True)
    )
    assert {"alert_acknowledge", "alert_resolve"} <= actions


def test_the_database_keeps_a_resolved_alert_with_its_reason(fall):
    with pytest.raises(IntegrityError):
        Alert.objects.filter(pk=fall.pk).update(state="resolved")


@pytest.mark.parametrize(
    ("reason", "code"), [("", "reason_missing"), ("whim", "bad_reason"), ("x" * 5000, "bad_reason")]
)
def test_resolving_without_a_reason_of_the_list_is_refused_naming_the_field(
    fall, caseworker, reason, code
):
    services.alert_acknowledge(user=caseworker, request=None, alert_id=fall.alert_id)
    with pytest.raises(services.AlertRefused) as refused:
        services.alert_resolve(user=caseworker, request=None, alert_id=fall.alert_id, reason=reason)
    assert (refused.value.code, refused.value.field, refused.value.status) == (code, "reason", 400)
    assert "reason" in refused.value.translated()
    assert Alert.objects.get().state == "acknowledged"


def test_a_note_too_long_is_refused_naming_the_field(fall, caseworker):
    with pytest.raises(services.AlertRefused) as refused:
        services.alert_acknowledge(
            user=caseworker, request=None, alert_id=fall.alert_id, note="字" * 2001
        )
    assert refused.value.field == "note"


def test_acting_twice_or_out_of_order_is_a_conflict(fall, caseworker):
    with pytest.raises(services.AlertRefused) as early:
        services.alert_resolve(
            user=caseworker, request=None, alert_id=fall.alert_id, reason="false_alarm"
        )
    assert (early.value.code, early.value.status) == ("not_acknowledged", 409)
    services.alert_acknowledge(user=caseworker, request=None, alert_id=fall.alert_id)
    with pytest.raises(services.AlertRefused) as twice:
        services.alert_acknowledge(user=caseworker, request=None, alert_id=fall.alert_id)
    assert twice.value.status == 409
    services.alert_resolve(
        user=caseworker, request=None, alert_id=fall.alert_id, reason="false_alarm"
    )
    with pytest.raises(services.AlertRefused) as again:
        services.alert_resolve(
            user=caseworker, request=None, alert_id=fall.alert_id, reason="helped"
        )
    assert (again.value.code, again.value.status) == ("already_resolved", 409)
    assert Alert.objects.get().resolution == "false_alarm"


def test_an_alert_out_of_scope_is_not_found_like_an_unknown_one_and_audited(fall, outsider):
    for alert_id in (fall.alert_id, "20261130-fall-D9999999999999", "../../etc", "x" * 500, "\x00"):
        with pytest.raises(services.AlertRefused) as refused:
            services.alert_acknowledge(user=outsider, request=None, alert_id=alert_id)
        assert (refused.value.code, refused.value.status) == ("alert_not_found", 404)
    assert (
        AuditEvent.objects.filter(actor=outsider, object_type="alert", outcome="denied").count()
        == 5
    )
    assert Alert.objects.get().state == "open"


def test_the_county_reads_but_does_not_act(fall, approver):
    assert services.alert_get(user=approver, request=None, alert_id=fall.alert_id) == fall
    with pytest.raises(PermissionRefused):
        services.alert_acknowledge(user=approver, request=None, alert_id=fall.alert_id)
    assert AuditEvent.objects.filter(
        actor=approver, action="permission_denied", outcome="denied"
    ).exists()


def test_the_escalate_command_moves_the_alerts_whose_timer_ran_out(fall):
    runner = CliRunner()
    done = runner.invoke(app, ["eldercare", "escalate", "--at", "2026-11-30T10:06"])
    assert done.exit_code == 0, done.output
    assert Alert.objects.get().step == "grid_worker"
    assert "1" in done.output
    bad = runner.invoke(app, ["eldercare", "escalate", "--at", "yesterday"])
    assert bad.exit_code == 1 and "--at" in bad.output


@pytest.mark.lake
def test_raising_a_lake_day_stores_each_alert_once_at_its_village_and_flags_unknown_devices(
    regions, small_lake
):
    from minzheng.eldercare import alerts

    day = dt.date(2020, 12, 31)
    evaluation = alerts.evaluate_lake(small_lake, day)
    runner = CliRunner()
    args = ["eldercare", "alerts", "--lake", str(small_lake), "--date", "2020-12-31", "--raise"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert Alert.objects.count() == evaluation.alerts.num_rows > 0
    assert AlertStep.objects.filter(step="relative").count() == Alert.objects.count()
    # each alert at the village of the person's hukou household, in their county
    _rows, records = services.lake_records(small_lake, day, services.rules_module.load_rules())
    villages = {r["alert_id"]: r["village_code"] for r in records}
    stored = dict(Alert.objects.values_list("alert_id", "region_code"))
    assert stored == villages
    assert all(len(v) == 12 for v in stored.values())
    # the signals of unregistered devices are flagged naming the field, and not stored
    unknown = evaluation.flagged.to_pylist()
    assert unknown and "device_id" in first.output
    assert not Alert.objects.filter(device_id__in=[u["value"] for u in unknown]).exists()
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert Alert.objects.count() == evaluation.alerts.num_rows  # nothing twice
    raises = AuditEvent.objects.filter(action="alerts_raise").order_by("seq")
    assert [e.detail["created"] for e in raises] == [evaluation.alerts.num_rows, 0]
    assert raises.last().detail["flagged"] == len(unknown)
