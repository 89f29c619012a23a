"""Alert rules for older people living alone: the platform's file loads; a bad file is refused
naming the file and the line."""

from __future__ import annotations

import pytest

from minzheng.eldercare import alerts

RULES = alerts.RULES.read_text(encoding="utf-8")


def test_the_platforms_rules_load_with_increasing_timers():
    rules = alerts.load_rules()
    assert [r.name for r in rules.rules] == ["no_water", "no_door", "fall", "no_movement"]
    for rule in rules.rules:
        assert rule.label
        assert list(rule.escalation) == sorted(set(rule.escalation))


@pytest.mark.parametrize(
    ("old", "new", "code", "anchor"),
    [
        ("device: water", "device: toaster", "unknown_device_kind", None),
        ("name: fall", 'name: "fall\'; DROP"', "bad_name", None),
        ("threshold: 1", "threshold: -1", "bad_number", None),
        ("severity: high\n", "severity: high\n    colour: red\n", "unknown_field", "colour"),
        (
            "grid_worker: 180",
            "grid_worker: 30",
            "timers_not_increasing",
            "escalation: {relative: 60, grid_worker: 30",
        ),
        (
            "condition: no_event",
            "condition: total_below",
            "bad_condition",
            "condition: total_below\n    severity",
        ),
        ("event: fall", "event: sneeze", "unknown_event", None),
        ("severity: medium", "severity: dire", "bad_severity", None),
        ("hours: 12", "hours: 30", "bad_number", None),
        ("relative: 5,", "relative: -5,", "bad_timer", "escalation: {relative: -5"),
        (
            "  - name: no_door",
            "  - name: no_water",
            "duplicate_rule",
            "  - name: no_water\n    label: 24小时未开门",
        ),
    ],
)
def test_a_bad_rule_file_is_refused_naming_the_file_and_line(tmp_path, old, new, code, anchor):
    assert old in RULES
    text = RULES.replace(old, new, 1)
    line = text[: text.index(anchor or new)].count("\n") + 1
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(alerts.AlertRuleError) as caught:
        alerts.load_rules(path)
    assert caught.value.code == code, caught.value
    assert f"{path} line {line}:" in str(caught.value)


def test_a_rule_lacking_its_parameter_is_refused(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text(RULES.replace("    hours: 12\n", ""), encoding="utf-8")
    with pytest.raises(alerts.AlertRuleError, match="lacks hours") as caught:
        alerts.load_rules(path)
    assert caught.value.code == "rule_field_missing"


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(alerts.AlertRuleError) as caught:
        alerts.load_rules(path)
    assert caught.value.code == "bad_yaml"
    assert f"{path} line" in str(caught.value)
