"""Home devices of older people living alone and one day of their signals (framework-free).

For a share of the people aged 60 and over who live alone (the only living member of their
household, as the `old_alone` warning signal counts it), the elder-care platform has installed
a water meter, a door sensor and/or a wearable. On the snapshot date each device sends:
the meter an hourly reading (litres used in the hour, following a day's rhythm), the door
sensor an opening and a closing each time its owner goes out or comes back, the wearable an
hourly heartbeat carrying the steps of the hour (none asleep) and a fall alarm when it
detects one.

Planted emergencies (the truth the alert rules are scored against): no sign of life all day
(no water, no door, no steps), a fall (a fall alarm, then nothing), no movement from a morning
hour on (a stroke in bed: the wearable still beats, no steps). Around them ordinary days that
look alike: away all day visiting family (no water, no door, the wearable goes along), left
today (water until leaving, the door opened once), stayed at home (no door), the wearable
left on a table from midday (no steps), a false fall alarm (steps go on). And some signals
from devices the register does not know.

The shares are assumptions of `calibration.yaml` (`device_*`); everything is vectorised.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from minzheng.synth.ids import coded

KINDS = ("water", "door", "wearable")
WATER, DOOR, WEARABLE = 0, 1, 2
DAY = np.timedelta64(1, "D")
MINUTES = 24 * 60
# Share of a day's water use in each hour (two meals and washing; a flush at night).
WATER_PROFILE = np.array(
    [1, 1, 1, 1, 1, 2, 6, 10, 9, 5, 4, 7, 8, 4, 3, 3, 4, 6, 9, 8, 6, 4, 2, 1], dtype=float
)
WATER_PROFILE /= WATER_PROFILE.sum()
# A person's day, one scenario each (0: an ordinary day).
SCENARIOS = (
    "ordinary",
    "emergency",
    "away_all_day",
    "left_today",
    "stay_home",
    "wearable_off",
    "false_fall",
)
EMERGENCIES = ("no_sign_of_life", "fall", "no_movement")
# The rule a device's data must raise in each emergency (the names of eldercare/alerts.yaml).
EMERGENCY_RULE = {
    "no_sign_of_life": {WATER: "no_water", DOOR: "no_door", WEARABLE: "no_movement"},
    "fall": {WEARABLE: "fall"},
    "no_movement": {WEARABLE: "no_movement"},
}
# The devices a noise scenario changes (recorded in the truth, with no rule to raise).
NOISE_DEVICES = {
    "away_all_day": (WATER, DOOR),
    "left_today": (WATER, DOOR),
    "stay_home": (DOOR,),
    "wearable_off": (WEARABLE,),
    "false_fall": (WEARABLE,),
}


def generate(
    rng, county: str, today, a, ids: pa.Array, hh_ids: pa.Array, hh, age, dead
) -> tuple[dict[str, dict[str, object]], pa.Table]:
    """The devices of one county's older people living alone, their signals on `today`, and
    the truth: ({feed: columns}, truth table)."""
    living = ~dead
    size = np.bincount(hh, weights=living, minlength=len(hh_ids))
    alone = np.flatnonzero(living & (age >= 60) & (size[hh] == 1))
    return devices_for(
        rng,
        county=county,
        today=today,
        a=a,
        person_ids=ids.take(pa.array(alone, pa.int64())),
        household_ids=hh_ids.take(pa.array(hh[alone], pa.int64())),
    )


def devices_for(
    rng, *, county: str, today, a, person_ids: pa.Array, household_ids: pa.Array
) -> tuple[dict[str, dict[str, object]], pa.Table]:
    """Devices for a share of the given older people living alone, and one day of signals."""
    equipped = np.flatnonzero(rng.random(len(person_ids)) < a("device_alone_share"))
    m = len(equipped)
    has = rng.random((m, 3)) < np.array(a("device_kind_shares"))
    has[~has.any(axis=1), WATER] = True
    owner, kind = np.nonzero(has)  # by person, then kind
    k = len(owner)
    device_ids = coded(f"D{county}", np.arange(1, k + 1), 7)
    who = person_ids.take(pa.array(equipped[owner], pa.int64()))
    household = household_ids.take(pa.array(equipped[owner], pa.int64()))
    devices = {
        "device_id": device_ids,
        "device_kind": np.array(KINDS)[kind],
        "id_number": who,
        "household_id": household,
        "installed_date": pa.array(
            (today - rng.integers(1, 3 * 365, k) * DAY).astype("datetime64[D]"), pa.date32()
        ),
    }

    # --- each person's day ---------------------------------------------------------------
    shares = [a(f"device_{s}_share") for s in SCENARIOS[1:]]
    scenario = np.searchsorted(np.cumsum(shares), rng.random(m), side="right") + 1
    scenario[scenario == len(SCENARIOS)] = 0
    wears = has[:, WEARABLE]
    emergency = np.where(
        wears, rng.choice(3, m, p=a("device_emergency_kinds")), 0
    )  # without a wearable only the whole day's silence shows
    emergency[scenario != 1] = -1
    onset = np.full(m, MINUTES)  # water and doors stop at this minute; steps at its hour
    onset[emergency == 0] = 0
    fall_at = rng.integers(7 * 60, 20 * 60, m)
    onset[emergency == 1] = fall_at[emergency == 1]
    still_hour = rng.integers(7, 12, m)
    onset[emergency == 2] = still_hour[emergency == 2] * 60
    away = scenario == SCENARIOS.index("away_all_day")
    onset[away] = 0
    leave = rng.integers(7 * 60, 12 * 60, m)
    left = scenario == SCENARIOS.index("left_today")
    onset[left] = leave[left]
    stay = scenario == SCENARIOS.index("stay_home")
    off = scenario == SCENARIOS.index("wearable_off")
    off_hour = rng.integers(9, 16, m)
    false_fall = scenario == SCENARIOS.index("false_fall")

    rows = [
        _water(rng, a, np.flatnonzero(kind == WATER), onset[owner[kind == WATER]]),
        _doors(rng, a, np.flatnonzero(kind == DOOR), owner[kind == DOOR], onset, left | stay),
        _wearables(
            rng,
            a,
            np.flatnonzero(kind == WEARABLE),
            owner[kind == WEARABLE],
            emergency=emergency,
            fall_at=fall_at,
            still_hour=np.where(off, off_hour, np.where(emergency == 2, still_hour, 24)),
            false_fall=false_fall,
        ),
    ]
    device, minute, etype, value = (np.concatenate(c) for c in zip(*rows, strict=True))
    # signals from devices the register does not know (installed, never registered)
    u = max(1, int(round(a("device_unknown_share") * k))) if k else 0
    unknown = coded(f"D{county}", np.arange(k + 1, k + u + 1), 7)
    unknown_rows = _water(rng, a, np.arange(k, k + u), np.full(u, MINUTES))
    device = np.concatenate([device, unknown_rows[0]])
    minute = np.concatenate([minute, unknown_rows[1]])
    etype = np.concatenate([etype, unknown_rows[2]])
    value = np.concatenate([value, unknown_rows[3]])
    order = np.lexsort((minute, device))
    all_ids = pa.concat_arrays([device_ids, unknown])
    events = {
        "device_id": all_ids.take(pa.array(device[order], pa.int64())),
        "event_date": pa.array(np.full(len(order), today).astype("datetime64[D]"), pa.date32()),
        "minute": minute[order].astype(np.int16),
        "event_type": np.array(["water", "door_open", "door_close", "heartbeat", "fall"])[
            etype[order]
        ],
        "value": value[order].astype(np.float64),
    }

    # --- the truth -----------------------------------------------------------------------
    t_dev, t_scn, t_rule, t_min = [], [], [], []
    for e, name in enumerate(EMERGENCIES):
        for kd, rule in EMERGENCY_RULE[name].items():
            d = np.flatnonzero((kind == kd) & (emergency[owner] == e))
            t_dev.append(d)
            t_scn.append(np.full(len(d), name))
            t_rule.append(np.full(len(d), rule))
            t_min.append(np.where(e == 0, -1, onset[owner[d]]))
    for name, kinds in NOISE_DEVICES.items():
        d = np.flatnonzero(np.isin(kind, kinds) & (scenario[owner] == SCENARIOS.index(name)))
        when = {
            "left_today": leave,
            "wearable_off": off_hour * 60,
            "false_fall": fall_at,
        }.get(name, np.full(m, -1))
        t_dev.append(d)
        t_scn.append(np.full(len(d), name))
        t_rule.append(np.full(len(d), ""))
        t_min.append(when[owner[d]])
    d = np.concatenate(t_dev).astype(np.int64)
    rule = np.concatenate([np.concatenate(t_rule), np.full(u, "")])
    at = np.concatenate([np.concatenate(t_min), np.full(u, -1)])
    truth = pa.table(
        {
            "scenario": pa.array(
                np.concatenate([np.concatenate(t_scn), np.full(u, "unknown_device")]), pa.string()
            ),
            "emergency": pa.array(rule != "", pa.bool_()),
            "rule": pa.array(rule, pa.string(), mask=rule == ""),
            "device_id": pa.concat_arrays([device_ids.take(pa.array(d, pa.int64())), unknown]),
            "id_number": pa.concat_arrays(
                [who.take(pa.array(d, pa.int64())), pa.nulls(u, pa.string())]
            ),
            "household_id": pa.concat_arrays(
                [household.take(pa.array(d, pa.int64())), pa.nulls(u, pa.string())]
            ),
            "minute": pa.array(at.astype(np.int16), pa.int16(), mask=at < 0),
        }
    )
    return {"elder_devices": devices, "device_events": events}, truth


def _hours(devices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every device's 24 hourly rows: (device, minute of the reading: the hour's last)."""
    return np.repeat(devices, 24), np.tile(np.arange(24) * 60 + 59, len(devices))


def _water(rng, a, devices: np.ndarray, stop: np.ndarray):
    """Hourly readings of the meters: litres used in the hour, none from `stop` on."""
    n = len(devices)
    daily = rng.gamma(4.0, a("device_water_litres_per_day") / 4.0, n)
    litres = rng.gamma(2.0, 0.5, (n, 24)) * WATER_PROFILE * daily[:, None]
    litres[np.arange(24) * 60 >= stop[:, None]] = 0.0
    device, minute = _hours(devices)
    return device, minute, np.zeros(n * 24, dtype=np.int64), np.round(litres.ravel(), 1)


def _doors(rng, a, devices: np.ndarray, owner: np.ndarray, stop: np.ndarray, special):
    """Openings and closings: each outing leaves and comes back (none from `stop` on); left
    today: once, leaving; stayed at home or away: none."""
    n = len(devices)
    outings = 1 + rng.poisson(a("device_door_outings_extra"), n)
    outings[special[owner] | (stop[owner] == 0)] = 0
    which = np.repeat(np.arange(n), outings)
    out = rng.integers(7 * 60, 18 * 60, len(which))
    back = np.minimum(out + rng.integers(20, 180, len(which)), MINUTES - 2)
    minute = np.concatenate([out, out + 1, back, back + 1])
    dev = np.tile(which, 4)
    etype = np.repeat([1, 2, 1, 2], len(which))
    keep = minute < stop[owner[dev]]
    dev, minute, etype = dev[keep], minute[keep], etype[keep]
    leaving = np.flatnonzero(special[owner] & (stop[owner] < MINUTES))  # left today
    minute = np.concatenate([minute, stop[owner[leaving]], stop[owner[leaving]] + 1])
    dev = np.concatenate([dev, leaving, leaving])
    etype = np.concatenate([etype, np.full(len(leaving), 1), np.full(len(leaving), 2)])
    return devices[dev], minute, etype, np.zeros(len(dev))


def _wearables(rng, a, devices, owner, *, emergency, fall_at, still_hour, false_fall):
    """Hourly heartbeats with the hour's steps (none asleep, some hours at rest), and fall
    alarms: a fall stops the steps after its hour; no movement stops them from its hour."""
    n = len(devices)
    wake = rng.integers(5, 8, n)
    sleep = rng.integers(20, 23, n)
    hour = np.arange(24)
    awake = (hour >= wake[:, None]) & (hour < sleep[:, None])
    resting = rng.random((n, 24)) < a("device_resting_hour_share")
    steps = np.round(rng.gamma(1.5, a("device_steps_per_hour") / 1.5, (n, 24)))
    steps[~awake | resting] = 0
    e = emergency[owner]
    stop = np.where(e == 1, fall_at[owner] // 60 + 1, still_hour[owner])
    stop[e == 0] = 0
    steps[hour >= stop[:, None]] = 0
    device, minute = _hours(devices)
    falls = np.flatnonzero((e == 1) | false_fall[owner])
    return (
        np.concatenate([device, devices[falls]]),
        np.concatenate([minute, fall_at[owner[falls]]]),
        np.concatenate([np.full(n * 24, 3), np.full(len(falls), 4)]),
        np.concatenate([steps.ravel(), np.zeros(len(falls))]),
    )
