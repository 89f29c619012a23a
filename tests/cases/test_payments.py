"""The monthly payment run: the engine's amount for the month over the frozen inputs, control
totals, nobody paid twice, all or nothing on a crash, the bank's return, one re-issue, and a
death stopping payment from the following month."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from unittest import mock

import pytest

from minzheng.audit.models import AuditEvent
from minzheng.cases import entitlements, exports, payments, services
from minzheng.cases.models import Enrolment, Payment, PaymentRun
from minzheng.cases.payments import PaymentError
from minzheng.lib.i18n import TranslatableError
from minzheng.policy.household import from_trace
from minzheng.verification.lookup import Lookup

from .test_enrolments import approvable  # noqa: F401 (a fixture)
from .test_workflow import act

NOVEMBER = dt.date(2026, 11, 1)
PAYEE = {"name": "张三", "bank": "农商银行", "account": "6217 0000 1234 5678 901"}


@pytest.fixture
def approved(approvable, approver):  # noqa: F811
    services.Case.objects.filter(pk=approvable.pk).update(payee=payments.payee_of(PAYEE))
    approvable.refresh_from_db()
    return act(approver, approvable, "approve")


def run(user, month=NOVEMBER, county="330102"):
    return payments.payment_run(user=user, request=None, county=county, month=month)


def test_a_run_pays_each_enrolment_the_engine_amount_once(approved, approver, clock):
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    enrolled = {(e.programme, e.beneficiary): e.monthly_amount for e in approved.enrolments.all()}
    first = run(approver)
    lines = {(p.programme, p.beneficiary): p.amount for p in first.payments.all()}
    # the engine's amounts for November over the inputs frozen with the decision …
    frozen = {approved.household_id: from_trace(approved.basis["inputs"])}
    owed = entitlements.monthly(frozen, NOVEMBER)[approved.household_id]
    assert lines == {(p, b): a for p, bs in owed.items() for b, a in bs.items()} and lines
    # … which are not those decided on data of 2020: the standard has risen since
    assert (
        set(lines) == set(enrolled)
        and lines[("dibao", approved.household_id)] > enrolled[("dibao", approved.household_id)]
    )
    totals = payments.totals(first)
    assert totals["count"] == len(lines) and totals["sum"] == sum(lines.values())
    assert {p.payee["account"] for p in first.payments.all()} == {
        "62170000123456789 01".replace(" ", "")
    }
    # a second run of the month adds nobody
    again = run(approver)
    assert again.pk == first.pk and payments.totals(again) == totals
    assert again.notes["last_added"] == 0
    assert AuditEvent.objects.filter(action="payment_run", object_id=first.number).count() == 2
    # December is another month: paid again, once
    clock.move_to(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC))
    december = run(approver, dt.date(2026, 12, 1))
    assert december.payments.count() == len(lines)


def test_a_crash_in_the_middle_leaves_nothing_and_the_run_restarts(approved, approver, clock):
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    with mock.patch.object(payments, "_stop", side_effect=RuntimeError("killed")):
        with pytest.raises(RuntimeError):
            run(approver)
    assert not PaymentRun.objects.exists() and not Payment.objects.exists()
    assert run(approver).payments.count() == approved.enrolments.count()


def test_the_database_refuses_a_second_payment_of_a_month(approved, approver, clock):
    from django.db import IntegrityError, transaction

    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    paid = run(approver).payments.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            run=paid.run,
            line=999,
            enrolment=paid.enrolment,
            programme=paid.programme,
            beneficiary=paid.beneficiary,
            household_id=paid.household_id,
            region_code=paid.region_code,
            month=paid.month,
            amount=paid.amount,
        )


def test_a_death_stops_payment_from_the_following_month(approved, approver, clock):
    clock.move_to(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC))
    members = [m["person_id"] for m in approved.basis["inputs"]["members"]]
    died = {m: dt.date(2026, 11, 14) for m in members}  # every member, in November
    with mock.patch.object(Lookup, "deaths", return_value=died):
        november = run(approver)
        december = run(approver, dt.date(2026, 12, 1))
    assert november.payments.count() == approved.enrolments.count()  # the month of death
    assert december.payments.count() == 0
    assert december.notes["stopped"] == {"household_died": approved.enrolments.count()}
    ended = approved.enrolments.all()
    assert {e.status for e in ended} == {Enrolment.Status.ENDED}
    assert {e.end_month for e in ended} == {NOVEMBER}


def test_the_deaths_of_the_lake_are_found_by_id(lookup):
    dead = lookup.con.execute("SELECT id_number, death_date FROM deaths LIMIT 3").fetchall()
    alive = lookup.con.execute("SELECT id_number FROM hukou_persons LIMIT 1").fetchall()[0][0]
    found = lookup.deaths([i for i, _ in dead] + [alive])
    assert found == {i: d for i, d in dead}


def test_the_elder_care_subsidy_is_paid_to_each_entitled_member_by_grade():
    """养老服务补贴 is each older member's, at the amount of their capability grade: a member
    graded 0 is not paid until a new assessment grades them."""
    house = {
        "household_id": "H3301020000010",
        "county": "330102",
        "enrolled_dibao": True,
        "emergency_loss": Decimal(0),
    }
    common = {"household_id": "H3301020000010", "county": "330102", "status": "normal"}
    severe = common | {
        "person_id": "330102194603010011",
        "relation": "head",
        "birth_date": dt.date(1946, 3, 1),
        "sex": "m",
        "capability_grade": 3,
    }
    able = common | {
        "person_id": "330102195005010022",
        "relation": "spouse",
        "birth_date": dt.date(1950, 5, 1),
        "sex": "f",
        "capability_grade": 0,
    }
    params = entitlements._engine().parameters

    def amount(name):
        return params[f"eldercare.amount_{name}"].resolve(NOVEMBER, "330102").value

    assert entitlements.per_member("eldercare")
    before = entitlements.monthly({"H3301020000010": (house, [severe, able])}, NOVEMBER)
    assert before["H3301020000010"]["dibao"]  # a 低保 household
    assert before["H3301020000010"]["eldercare"] == {"330102194603010011": amount("severe")}
    graded = able | {"capability_grade": 2}
    after = entitlements.monthly({"H3301020000010": (house, [severe, graded])}, NOVEMBER)
    assert after["H3301020000010"]["eldercare"] == {
        "330102194603010011": amount("severe"),
        "330102195005010022": amount("moderate"),
    }


def test_a_birthday_and_a_new_standard_change_the_amount_on_their_month():
    house = {
        "household_id": "H3301020000009",
        "county": "330102",
        "enrolled_dibao": True,
        "emergency_loss": Decimal(0),
    }
    person = {
        "household_id": "H3301020000009",
        "county": "330102",
        "person_id": "330102194612150011",
        "relation": "head",
        "birth_date": dt.date(1946, 12, 15),
        "sex": "m",
        "status": "normal",
    }
    one = {"H3301020000009": (house, [person])}
    # 80 on 15 December 2026: the 高龄津贴 is owed from January
    december = entitlements.monthly(one, dt.date(2026, 12, 1), {"elderly"})
    january = entitlements.monthly(one, dt.date(2027, 1, 1), {"elderly"})
    allowance = (
        entitlements._engine()
        .parameters["elderly.allowance_80"]
        .resolve(dt.date(2027, 1, 1), "330102")
        .value
    )
    assert "elderly" not in december["H3301020000009"] and allowance > 0
    assert january["H3301020000009"]["elderly"] == {"330102194612150011": allowance}
    # the provincial floor of the 低保 standard rose on 1 July 2025
    june = entitlements.monthly(one, dt.date(2025, 6, 1), {"dibao"})["H3301020000009"]
    july = entitlements.monthly(one, dt.date(2025, 7, 1), {"dibao"})["H3301020000009"]
    assert july["dibao"]["H3301020000009"] > june["dibao"]["H3301020000009"] > 0


def return_file(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line_id", "status", "reason"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_the_bank_return_reconciles_and_a_failed_line_is_reissued_once(approved, approver, clock):
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    paid_run = run(approver)
    lines = list(paid_run.payments.order_by("line"))
    bank = exports.bank_file(user=approver, request=None, number=paid_run.number).decode(
        "utf-8-sig"
    )
    rows = list(csv.DictReader(io.StringIO(bank)))
    assert [r["line_id"] for r in rows] == [p.line_id for p in lines]
    assert rows[0]["account"] == "6217000012345678901"
    assert AuditEvent.objects.filter(action="payment_bank_file").count() == 1
    answer = [[p.line_id, "paid", ""] for p in lines[1:]] + [
        [lines[0].line_id, "failed", "户名不符"]
    ]
    # a wrong line: nothing applied, the error names the row and the field
    with pytest.raises(PaymentError) as caught:
        payments.payment_returns(
            user=approver,
            request=None,
            number=paid_run.number,
            data=return_file([*answer, ["FF999-1", "paid", ""], [lines[0].line_id, "maybe", ""]]),
        )
    message = caught.value.translated()
    assert "line_id=FF999-1" in message and "status=maybe" in message
    assert not Payment.objects.exclude(status=Payment.Status.ISSUED).exists()
    done = payments.payment_returns(
        user=approver, request=None, number=paid_run.number, data=return_file(answer)
    )
    assert done == {"lines": len(lines), "paid": len(lines) - 1, "failed": 1}
    again = payments.payment_returns(
        user=approver, request=None, number=paid_run.number, data=return_file(answer)
    )
    assert again["paid"] == again["failed"] == 0  # the same return twice changes nothing
    failed = Payment.objects.get(pk=lines[0].pk)
    assert failed.status == Payment.Status.FAILED and failed.reason == "户名不符"
    # a failed line cannot be turned paid by a later return
    with pytest.raises(PaymentError):
        payments.payment_returns(
            user=approver,
            request=None,
            number=paid_run.number,
            data=return_file([[failed.line_id, "paid", ""]]),
        )
    # re-issued once, to a corrected account; never twice, never a re-issue or a paid line
    corrected = {"name": "张三", "bank": "工商银行", "account": "6222020000000000001"}
    reissued = payments.payment_reissue(
        user=approver, request=None, number=paid_run.number, line=failed.line, payee=corrected
    )
    assert reissued.reissue_of_id == failed.pk and reissued.amount == failed.amount
    assert reissued.payee["account"] == "6222020000000000001"
    assert approved.__class__.objects.get(pk=approved.pk).payee["bank"] == "工商银行"
    payments.payment_returns(
        user=approver,
        request=None,
        number=paid_run.number,
        data=return_file([[reissued.line_id, "成功", ""]]),
    )
    assert Payment.objects.get(pk=reissued.pk).status == Payment.Status.PAID
    for line in (failed.line, reissued.line):
        with pytest.raises(PaymentError) as refused:
            payments.payment_reissue(user=approver, request=None, number=paid_run.number, line=line)
        assert refused.value.status == 409
    assert payments.totals(paid_run)["count"] == len(lines) + 1


def test_the_payment_list_masks_names_and_ids(approved, approver, clock):
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    paid_run = run(approver)
    text = exports.payment_list_csv(paid_run).decode("utf-8-sig")
    assert "张*" in text and "张三" not in text and "6217000012345678901" not in text
    assert str(payments.totals(paid_run)["sum"]) in text
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(exports.payment_list_xlsx(paid_run)))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert "张*" in cells and "张三" not in cells


def test_payments_belong_to_the_county_and_its_approver(
    approved, approver, caseworker, outsider, clock
):
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    paid_run = run(approver)
    with pytest.raises(TranslatableError) as caught:  # a township caseworker does not pay
        run(caseworker)
    assert caught.value.status == 403
    with pytest.raises(TranslatableError) as caught:  # nor read the runs
        payments.run_get(user=caseworker, request=None, number=paid_run.number)
    assert caught.value.status == 403
    from tests.conftest import _user

    other = _user("ap_xihu", "approver", "330106")
    for attempt in (
        lambda: payments.run_get(user=other, request=None, number=paid_run.number),
        lambda: run(other),  # 上城区 is not theirs
    ):
        with pytest.raises(TranslatableError) as caught:
            attempt()
        assert caught.value.status == 404
    assert AuditEvent.objects.filter(actor=other, outcome="denied").count() == 2
    del outsider


@pytest.mark.parametrize(
    ("month", "code"),
    [("2026-13", "bad_month"), ("next year", "bad_month"), ("2027-06", "month_in_future")],
)
def test_a_bad_month_is_refused_naming_it(approved, approver, clock, month, code):
    with pytest.raises(PaymentError) as caught:
        run(approver, month)
    assert caught.value.code == code and "month" in caught.value.translated()


@pytest.mark.parametrize(
    "payee",
    [
        {"name": "张三", "bank": "农商银行", "account": "12ab"},
        {"name": "", "bank": "x", "account": "12345678"},
        "6217",
    ],
)
def test_a_bad_payee_is_refused_naming_the_field(payee):
    with pytest.raises(PaymentError) as caught:
        payments.payee_of(payee)
    assert "payee" in caught.value.translated()


def test_the_cli_runs_the_month_and_applies_the_return(approved, approver, clock, tmp_path):
    from typer.testing import CliRunner

    from minzheng.cli import app

    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    runner = CliRunner()
    bad = runner.invoke(app, ["payments", "run", "--month", "2026-11", "--user", "nobody"])
    assert bad.exit_code != 0 and "nobody" in bad.output
    done = runner.invoke(
        app, ["payments", "run", "--month", "2026-11", "--user", approver.username]
    )
    assert done.exit_code == 0, done.output
    run = PaymentRun.objects.get()
    assert run.number in done.output and run.payments.count() == approved.enrolments.count()
    line = run.payments.first()
    answer = tmp_path / "return.csv"
    answer.write_bytes(return_file([[line.line_id, "failed", "账户冻结"]]))
    applied = runner.invoke(
        app, ["payments", "returns", run.number, str(answer), "--user", approver.username]
    )
    assert applied.exit_code == 0 and "1 failed" in applied.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_bytes(return_file([["FF1-000001", "paid", ""]]))
    refused = runner.invoke(
        app, ["payments", "returns", run.number, str(wrong), "--user", approver.username]
    )
    assert refused.exit_code != 0 and "FF1-000001" in refused.output
