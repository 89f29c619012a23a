"""Raising tasks set-based (`discovery.raising`): the evidence and keys written by DuckDB's SQL
are those of `services.evidence_of` and `services._key`, and one raise over a mix of
households gives each the outcome of the rules (new, changed, unchanged, recent case, quiet)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from minzheng.audit.models import AuditEvent
from minzheng.cases.models import Case
from minzheng.discovery import raising, services
from minzheng.discovery.models import Task
from minzheng.discovery.signals import load_signals
from tests.discovery.conftest import findings, signals

AS_OF = dt.date(2020, 12, 31)
AWKWARD = ['say "hi"', "back\\slash", "line\nbreak\ttab", "bell\x07 and \x1f", "张三/李四", "🙂"]


def python_households(f, s) -> dict[str, tuple[str, list[dict], str]]:
    """household → (key, evidence in its order, village) as the Python definition gives."""
    result = {}
    for household, info in services.evidence_of(f, s).items():
        items = sorted(info["items"], key=lambda i: (i["source"], i["what"], i["person"]))
        result[household] = (services._key(items), items, info["region"])
    return result


def sql_households(f, s) -> dict[str, tuple[str, list[dict], str]]:
    evidence = raising.Evidence(f, s)
    try:
        rows = evidence.households({}, {c: 0.5 for c in evidence.counties()}).fetchall()
        wanted = pa.table({"household_id": [r[0] for r in rows]})
        stored = dict(evidence.evidence(wanted).fetchall())
    finally:
        evidence.close()
    return {h: (key, json.loads(stored[h]), region) for h, region, _c, _s, key, _p in rows}


def awkward_files(tmp_path):
    rows = [
        {
            "programme": "dibao",
            "kind": "eligible_not_enrolled",
            "household_id": f"H33010200001{i:02d}",
            "id_number": text if i % 2 else None,
            "county": "330102",
            "per_capita_income": Decimal(value),
            "dibao_status": text,
            "dibao_reasons": None if i % 3 else text,
            "village_code": "330102001001",
        }
        for i, (text, value) in enumerate(
            zip(AWKWARD, ["512.30", "-0.50", "0.00", "123456789.99", "1", "7"], strict=True)
        )
    ]
    f = findings(tmp_path / "findings", rows)
    s = signals(
        tmp_path / "signals",
        [
            {
                "household_id": f"H33010200001{i:02d}",
                "county": "330102",
                "village_code": "330102001001",
                "id_number": text,
                "signal": "medical_spending" if i % 2 else "old_alone",
                "when": dt.date(2020, 11, i + 1) if i % 3 else None,
                "amount": Decimal("31000.00") if i % 2 else None,
            }
            for i, text in enumerate(AWKWARD)
        ],
    )
    return f, s


def test_the_sql_evidence_and_keys_are_those_of_python(tmp_path):
    f, s = awkward_files(tmp_path)
    expected = python_households(f, s)
    assert sql_households(f, s) == expected
    assert len(expected) == len(AWKWARD)


def test_columns_of_other_types_are_read_by_python_with_the_same_result(tmp_path):
    f, s = awkward_files(tmp_path)
    table = pq.read_table(f / "part-000" / "data.parquet")
    income = table.column("per_capita_income").cast(pa.float64())
    table = table.set_column(
        table.schema.get_field_index("per_capita_income"), "per_capita_income", income
    )
    pq.write_table(table, f / "part-000" / "data.parquet")
    evidence = raising.Evidence(f, s)
    try:
        relation = raising._parquet(f, "part-*/*.parquet")
        assert raising._findings_sql(evidence.con, relation) is None  # not written by SQL
    finally:
        evidence.close()
    expected = python_households(f, s)
    assert sql_households(f, s) == expected
    assert expected["H3301020000100"][1][0]["figures"]["per_capita_income"] == 512.3


def test_nothing_to_read_raises_nothing(tmp_path, db, clock):
    empty = tmp_path / "empty"
    empty.mkdir()
    counts = services.tasks_raise(as_of=AS_OF, findings=empty, signals=None)
    assert counts == {"created": 0, "updated": 0, "unchanged": 0, "recent_case": 0, "quiet": 0}
    assert not Task.objects.exists()


HOUSEHOLDS = {
    # name: (household, village, with a finding, signals)
    "new_a1": ("H3301020000101", "330102001001", True, []),
    "new_a2": ("H3301020000102", "330102002003", False, ["old_alone"]),
    "new_b": ("H3301060000101", "330106001001", True, ["earner_died", "medical_spending"]),
    "changed": ("H3301020000201", "330102001001", True, ["medical_spending"]),
    "unchanged": ("H3301020000301", "330102001001", False, ["wage_fall"]),
    "recent_case": ("H3301020000401", "330102001001", True, []),
    "old_case": ("H3301020000501", "330102001001", True, []),
    "quiet": ("H3301020000601", "330102001001", False, ["old_alone"]),
    "quiet_over": ("H3301020000701", "330102001001", False, ["old_alone"]),
    "closed_other": ("H3301020000801", "330102001001", True, []),
}


def mixed_files(tmp_path):
    rows_f, rows_s = [], []
    for household, village, finding, names in HOUSEHOLDS.values():
        if finding:
            rows_f.append(
                {
                    "programme": "dibao",
                    "kind": "eligible_not_enrolled",
                    "household_id": household,
                    "id_number": "",
                    "county": village[:6],
                    "per_capita_income": Decimal("512.30"),
                    "dibao_status": "eligible",
                    "village_code": village,
                }
            )
        for name in names:
            rows_s.append(
                {
                    "household_id": household,
                    "county": village[:6],
                    "village_code": village,
                    "id_number": f"{village[:6]}195001010011",
                    "signal": name,
                    "when": dt.date(2020, 11, 1),
                    "amount": Decimal("31000.00"),
                }
            )
    return findings(tmp_path / "findings", rows_f), signals(tmp_path / "signals", rows_s)


@pytest.mark.django_db
def test_a_mixed_raise_gives_each_household_its_outcome(tmp_path, clock, caseworker):
    f, s = mixed_files(tmp_path)
    first = services.tasks_raise(as_of=dt.date(2020, 11, 30), findings=f, signals=s)
    assert first["created"] == len(HOUSEHOLDS)
    task = {name: Task.objects.get(household_id=h) for name, (h, *_r) in HOUSEHOLDS.items()}
    now = timezone.now()
    # what happened since: deleted (as if never raised), stale evidence, a visit, cases,
    # closings recent and old
    Task.objects.filter(pk__in=[task[n].pk for n in ("new_a1", "new_a2", "new_b")]).delete()
    Task.objects.filter(pk=task["changed"].pk).update(evidence_key="stale", evidence=[])
    Task.objects.filter(pk=task["unchanged"].pk).update(state="visiting")
    for name, created, decided in (
        ("recent_case", now - dt.timedelta(days=500), now - dt.timedelta(days=20)),
        ("old_case", now - dt.timedelta(days=500), now - dt.timedelta(days=400)),
    ):
        Task.objects.filter(pk=task[name].pk).update(state="converted")
        case = Case.objects.create(
            number=f"SQ{name}",
            household_id=HOUSEHOLDS[name][0],
            region_code=HOUSEHOLDS[name][1],
            channel="discovery",
            as_of=AS_OF,
            created_by=caseworker,
            state_since=now,
        )
        Case.objects.filter(pk=case.pk).update(created_at=created, decided_at=decided)
    for name, days, key in (
        ("quiet", 10, None),
        ("quiet_over", 100, None),  # discovery.quiet_days: 90
        ("closed_other", 10, "other"),
    ):
        Task.objects.filter(pk=task[name].pk).update(
            state="closed",
            state_since=now - dt.timedelta(days=days),
            evidence_key=key or task[name].evidence_key,
        )

    counts = services.tasks_raise(as_of=AS_OF, findings=f, signals=s)

    assert counts == {"created": 6, "updated": 1, "unchanged": 1, "recent_case": 1, "quiet": 1}
    event = AuditEvent.objects.filter(action="tasks_raise").order_by("-pk").first()
    assert event.detail == counts
    expected = python_households(f, s)
    weights = {r.name: r.weight for r in load_signals().signals}
    opened = {t.household_id: t for t in Task.objects.filter(state__in=["open", "visiting"])}
    assert sorted(opened) == sorted(
        h
        for h, *_r in HOUSEHOLDS.values()
        if h != HOUSEHOLDS["recent_case"][0] and h != HOUSEHOLDS["quiet"][0]
    )
    for name, (household, village, finding, names) in HOUSEHOLDS.items():
        if name in ("recent_case", "quiet"):
            continue
        t = opened[household]
        key, items, _village = expected[household]
        assert (t.evidence_key, t.evidence, t.region_code) == (key, items, village), name
        priority = min(1.0, sum(weights[n] for n in names) + (0.5 if finding else 0))
        assert t.priority == pytest.approx(priority), name
        assert t.source == ("screening" if finding else "signal"), name
    changed = opened[HOUSEHOLDS["changed"][0]]
    assert (changed.number, changed.as_of) == (task["changed"].number, AS_OF)
    unchanged = opened[HOUSEHOLDS["unchanged"][0]]
    assert (unchanged.state, unchanged.as_of) == ("visiting", dt.date(2020, 11, 30))
    # numbered by county in household order, after the day's last number in the county
    day = f"{timezone.localdate():%Y%m%d}"
    created = sorted(
        (t.number, t.household_id) for t in opened.values() if t.as_of == AS_OF and t != changed
    )
    in_a = sorted(
        HOUSEHOLDS[n][0] for n in ("new_a1", "new_a2", "old_case", "quiet_over", "closed_other")
    )
    assert created == [
        (f"RW330102{day}{i:06d}", h)
        for i, h in enumerate(in_a, start=10)  # after the first raise's 9 in 330102
    ] + [(f"RW330106{day}000001", HOUSEHOLDS["new_b"][0])]
    assert {t.due_date for t in opened.values() if t.as_of == AS_OF and t != changed} == {
        dt.date(2026, 10, 16)  # 10 working days over the National Day
    }

    again = services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    assert again == {"created": 0, "updated": 0, "unchanged": 8, "recent_case": 1, "quiet": 1}

    # one change among many: only its evidence is built and loaded (the households to write
    # are read back), and it is written all the same
    Task.objects.filter(pk=changed.pk).update(evidence_key="stale again", evidence=[])
    last = services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    assert last == {"created": 0, "updated": 1, "unchanged": 7, "recent_case": 1, "quiet": 1}
    changed.refresh_from_db()
    assert (changed.evidence_key, changed.evidence) == expected[changed.household_id][:2]


@pytest.mark.django_db(transaction=True)
def test_raising_outside_a_transaction_puts_the_connections_settings_back(tmp_path, clock):
    """On SQLite, raising switches the temporary tables to memory and enlarges the page
    cache (possible only outside a transaction) and restores both afterwards."""
    from django.db import connection

    def pragmas():
        with connection.cursor() as cursor:
            return {
                name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("temp_store", "cache_size")
            }

    f, s = mixed_files(tmp_path)
    before = pragmas() if connection.vendor == "sqlite" else None
    counts = services.tasks_raise(as_of=AS_OF, findings=f, signals=s)
    assert counts["created"] == len(HOUSEHOLDS)
    assert Task.objects.filter(state="open").count() == len(HOUSEHOLDS)
    if connection.vendor == "sqlite":
        assert pragmas() == before
