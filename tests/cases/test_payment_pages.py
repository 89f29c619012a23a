"""The payment pages and API with the three personas: a run started from the page, its
control totals, the lists (masked), the bank file, the return and a re-issue; the case's
decision letter and the public-notice list as PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from minzheng.audit.models import AuditEvent
from minzheng.cases import payments, services
from minzheng.cases.models import Payment
from minzheng.lib import idcard

from .test_enrolments import approvable  # noqa: F401 (a fixture)
from .test_workflow import act

PAYEE = {"name": "王小明", "bank": "农商银行", "account": "6217000012345678901"}


def text(response) -> str:
    return response.content.decode()


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


@pytest.fixture
def approved(approvable, approver, clock):  # noqa: F811
    services.Case.objects.filter(pk=approvable.pk).update(payee=PAYEE)
    approvable.refresh_from_db()
    case = act(approver, approvable, "approve", reason="符合条件")
    clock.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    return case


def test_the_approver_runs_pays_reconciles_and_reissues_from_the_pages(login, approved, approver):
    client = login(approver)
    assert "发放" in text(client.get("/cases/payments/"))
    bad = client.post("/cases/payments/", {"county": "330102", "month": "2026-13"})
    assert bad.status_code == 400 and "month" in text(bad)
    done = client.post("/cases/payments/", {"county": "330102", "month": "2026-11"})
    assert done.status_code == 302
    run = payments.PaymentRun.objects.get()
    page = client.get(done.url)
    totals = payments.totals(run)
    assert f'data-count="{totals["count"]}"' in text(page) and totals["count"] >= 1
    assert "王*" in text(page) and "王小明" not in text(page)
    csv_list = client.get(f"/cases/payments/{run.number}/list.csv")
    assert "王*" in csv_list.content.decode("utf-8-sig") and b"6217000012345678901" not in (
        csv_list.content
    )
    xlsx = client.get(f"/cases/payments/{run.number}/list.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    printed = pdf_text(client.get(f"/cases/payments/{run.number}/list.pdf"))
    assert run.number in printed and str(totals["sum"]) in printed and "王小明" not in printed
    bank = client.get(f"/cases/payments/{run.number}/bank.csv").content.decode("utf-8-sig")
    assert "6217000012345678901" in bank and "王小明" in bank
    line = run.payments.order_by("line").first()
    answer = io.BytesIO(f"line_id,status,reason\n{line.line_id},failed,账户已销户\n".encode())
    answer.name = "return.csv"
    applied = client.post(f"/cases/payments/{run.number}/returns/", {"file": answer})
    assert applied.status_code == 302
    assert Payment.objects.get(pk=line.pk).status == Payment.Status.FAILED
    page = text(client.get(f"/cases/payments/{run.number}/?status=failed"))
    assert "账户已销户" in page and f'data-testid="reissue-{line.line}"' in page
    again = client.post(
        f"/cases/payments/{run.number}/reissue/",
        {
            "line": line.line,
            "payee_name": "王小明",
            "payee_bank": "工商银行",
            "payee_account": "12",
        },
    )
    assert again.status_code == 400 and "payee.account" in text(again)
    again = client.post(
        f"/cases/payments/{run.number}/reissue/",
        {
            "line": line.line,
            "payee_name": "王小明",
            "payee_bank": "工商银行",
            "payee_account": "6222 0200 0000 0000 001",
        },
    )
    assert again.status_code == 302 and Payment.objects.filter(reissue_of=line).count() == 1
    assert AuditEvent.objects.filter(action="payment_bank_file").count() == 1


def test_the_decision_letter_and_the_notice_list(login, approved, caseworker, approver):
    client = login(approver)
    letter = pdf_text(client.get(f"/cases/{approved.number}/decision.pdf"))
    assert approved.number in letter and "行政复议" in letter and "符合条件" in letter
    page = text(client.get(f"/cases/{approved.number}/"))
    assert 'data-testid="enrolments"' in page and idcard.mask(PAYEE["account"]) in page
    assert "6217000012345678901" not in page
    client = login(caseworker)
    notice = client.get("/cases/notice.pdf")
    assert notice.status_code == 200 and "公示" in pdf_text(notice)


def test_payments_through_the_api(login, approved, approver, caseworker, outsider):
    client = login(approver)
    made = client.post(
        "/api/payments", {"county": "330102", "month": "2026-11"}, content_type="application/json"
    )
    assert made.status_code == 200
    number = made.json()["number"]
    assert made.json()["count"] == Payment.objects.count() >= 1
    lines = client.get(f"/api/payments/{number}/lines").json()
    assert lines[0]["payee"] == "王**" and lines[0]["status"] == "issued"
    answer = io.BytesIO(f"line_id,status,reason\n{lines[0]['line_id']},paid,\n".encode())
    answer.name = "return.csv"
    applied = client.post(f"/api/payments/{number}/returns", {"file": answer})
    assert applied.status_code == 200 and applied.json()["paid"] == 1
    refused = client.post(
        f"/api/payments/{number}/lines/1/reissue", {}, content_type="application/json"
    )
    assert refused.status_code == 409  # a paid line
    bad = client.get(f"/api/payments/{number}/lines?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()["detail"]
    for user, status in ((caseworker, 403), (outsider, 403)):
        assert login(user).get(f"/api/payments/{number}").status_code == status
