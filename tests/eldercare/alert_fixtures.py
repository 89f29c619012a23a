"""Alerts as `alerts.evaluate` gives them, with the village and the name the raising adds, in
the personas' regions: 清风街道 (330102001, the caseworker's) and 西溪街道 (330106001)."""

from __future__ import annotations

import datetime as dt

RAISED = dt.datetime(2026, 11, 30, 10, 0)  # naive, as the evaluation gives it (local time)
KINDS = {"fall": "wearable", "no_water": "water", "no_door": "door", "no_movement": "wearable"}
EVIDENCE = {
    "fall": '{"events": 1, "first_minute": 600}',
    "no_water": '{"litres": 0.0, "readings": 24}',
    "no_door": '{"events": 0}',
    "no_movement": '{"still_minutes": 780, "since_minute": 479}',
}


def record(
    rule: str = "fall",
    device: str = "D3301020000001",
    village: str = "330102001001",
    raised: dt.datetime = RAISED,
    person: str = "330102194501010011",
) -> dict:
    """One evaluated alert, as `alert_services.lake_records` gives it."""
    return {
        "alert_id": f"{raised:%Y%m%d}-{rule}-{device}",
        "rule": rule,
        "severity": "high" if rule in ("fall", "no_movement") else "medium",
        "device_id": device,
        "device_kind": KINDS[rule],
        "id_number": person,
        "household_id": "H" + device[1:],
        "county": village[:6],
        "raised_at": raised,
        "evidence": EVIDENCE[rule],
        "village_code": village,
        "name": "王秀英",
    }
