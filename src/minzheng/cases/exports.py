"""What is printed or sent from cases and payments: the payment list (CSV, Excel, PDF: names
and ID numbers masked, with the control totals), the bank file (the accounts in full, for the
bank only: audited), the decision letter and the public-notice list (PDF)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.accounts import roles
from minzheng.accounts.permissions import require
from minzheng.audit.services import audit_record
from minzheng.cases import entitlements, payments, workflow
from minzheng.cases.models import Case, Payment, PaymentRun
from minzheng.lib import idcard
from minzheng.lib.names import mask_name
from minzheng.lib.pdf import Document

APPEAL_DAYS = 60  # 行政复议法: within 60 days of learning of the decision
LAWSUIT_MONTHS = 6  # 行政诉讼法: within 6 months


def programme_label(name: str) -> str:
    found = entitlements.programmes().get(name)
    if found is not None:
        return found.label
    from minzheng.policy.engine import default_programmes

    return next((p.label for p in default_programmes() if p.name == name), name)


def shown_beneficiary(value: str) -> str:
    """A household number as it is; a person's ID number masked."""
    return value if value.startswith("H") else idcard.mask(value)


def list_rows(run: PaymentRun) -> tuple[list[str], list[list[Any]]]:
    """The payment list, masked as it is printed: (heading, rows)."""
    head = [
        _("Line"),
        _("Region"),
        _("Household"),
        _("Beneficiary"),
        _("Payee"),
        _("Programme"),
        _("Month"),
        _("Amount (yuan)"),
        _("Status"),
    ]
    rows = [
        [
            p.line_id,
            p.region_code,
            p.household_id,
            shown_beneficiary(p.beneficiary),
            mask_name(p.payee.get("name", "")),
            programme_label(p.programme),
            f"{p.month:%Y-%m}",
            p.amount,
            p.get_status_display(),
        ]
        for p in run.payments.select_related("run").order_by("line").iterator(chunk_size=5000)
    ]
    return head, rows


def _totals_rows(run: PaymentRun) -> list[list[Any]]:
    totals = payments.totals(run)
    out = [[_("Control total"), "", "", "", "", "", "", totals["sum"], totals["count"]]]
    for name, t in totals["by_programme"].items():
        out.append([_("of which"), "", "", "", "", programme_label(name), "", t["sum"], t["count"]])
    return out


def payment_list_csv(run: PaymentRun) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    head, rows = list_rows(run)
    writer.writerow(head)
    writer.writerows(rows)
    writer.writerows(_totals_rows(run))
    return out.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM as UTF-8


def payment_list_xlsx(run: PaymentRun) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{run.number}")
    head, rows = list_rows(run)
    sheet.append(head)
    for row in rows:
        sheet.append([float(c) if hasattr(c, "as_tuple") else c for c in row])
    for row in _totals_rows(run):
        sheet.append([float(c) if hasattr(c, "as_tuple") else c for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def payment_list_pdf(run: PaymentRun) -> bytes:
    pdf = Document(_("Payment list %(number)s") % {"number": run.number}, "landscape")
    pdf.headline(_("Payment list of the social assistance"))
    totals = payments.totals(run)
    pdf.pairs(
        [
            (_("Run"), run.number),
            (_("County"), run.county_code),
            (_("Month"), f"{run.month:%Y-%m}"),
            (_("Lines"), totals["count"]),
            (_("Sum (yuan)"), totals["sum"]),
            (_("Data snapshot"), run.snapshot or "—"),
            (_("Printed at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ]
    )
    head, rows = list_rows(run)
    pdf.ln(3)
    pdf.rows((34, 24, 26, 34, 14, 40, 14, 20, 16), head, rows + _totals_rows(run))
    return pdf.bytes()


def bank_file(*, user: Any, request: HttpRequest | None, number: str) -> bytes:
    """The file for the bank: each issued line with the payee's account in full. Only who
    pays may take it, and every taking is in the audit log."""
    run = payments.run_get(user=user, request=request, number=number)
    require(user, roles.PAY, request=request, object_type="payment_run", object_id=run.number)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line_id", "name", "bank", "account", "amount"])
    issued = run.payments.filter(status=Payment.Status.ISSUED).select_related("run")
    count = 0
    for p in issued.order_by("line").iterator(chunk_size=5000):
        writer.writerow(
            [
                p.line_id,
                p.payee.get("name", ""),
                p.payee.get("bank", ""),
                p.payee.get("account", ""),
                p.amount,
            ]
        )
        count += 1
    audit_record(
        actor=user,
        action="payment_bank_file",
        request=request,
        object_type="payment_run",
        object_id=run.number,
        region_code=run.county_code,
        detail={"lines": count},
    )
    return out.getvalue().encode("utf-8-sig")


def decision_letter_pdf(case: Case) -> bytes:
    """The decision letter (审批决定书): approval with what is paid from when, or rejection
    with its reasons, and the appeal route."""
    approved = case.state == workflow.APPROVED
    pdf = Document(_("Decision %(number)s") % {"number": case.number})
    pdf.headline(_("Decision on the application for social assistance"))
    pdf.pairs(
        [
            (_("Case"), case.number),
            (_("Household"), case.household_id),
            (_("Region"), case.region_code),
            (_("Payee"), mask_name(case.payee.get("name", "")) or "—"),
            (_("Decided at"), timezone.localtime(case.decided_at).strftime("%Y-%m-%d")),
            (_("Decision"), _("approved") if approved else _("rejected")),
        ]
    )
    if approved:
        pdf.heading(_("Assistance granted"))
        body = []
        for e in case.enrolments.order_by("programme", "beneficiary"):
            body.append(
                [
                    programme_label(e.programme),
                    shown_beneficiary(e.beneficiary),
                    e.monthly_amount,
                    f"{e.start_month:%Y-%m}",
                ]
            )
        pdf.rows(
            (60, 50, 30, 30), [_("Programme"), _("Beneficiary"), _("Yuan a month"), _("From")], body
        )
    pdf.heading(_("Reasons"))
    pdf.multi_cell(0, 5, case.decision_reason or "—", new_x="LMARGIN", new_y="NEXT")
    pdf.heading(_("Appeal"))
    pdf.multi_cell(
        0,
        5,
        _(
            "If you disagree with this decision, you may apply for administrative "
            "reconsideration to the people's government of the county within %(days)s days of "
            "receiving it, or bring an administrative lawsuit before the people's court within "
            "%(months)s months."
        )
        % {"days": APPEAL_DAYS, "months": LAWSUIT_MONTHS},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(12)
    pdf.cell(0, 8, _("Civil affairs bureau of the county (seal)"), align="R")
    return pdf.bytes()


def notice_list_pdf(cases: list[Case], names: dict[str, str], region: str) -> bytes:
    """The public-notice list (公示名单) of a region's cases in notice: the applicant's name
    and ID masked as notices require, the programmes and amounts, and the notice period."""
    pdf = Document(_("Public notice %(region)s") % {"region": region})
    pdf.headline(_("Public notice of social assistance applications"))
    body = []
    for case in cases:
        programmes = "、".join(
            f"{programme_label(p.programme)} {p.monthly_amount or ''}".strip()
            for p in case.programmes.filter(included=True).order_by("programme")
        )
        body.append(
            [
                mask_name(names.get(case.household_id, "")) or "—",
                case.household_id,
                case.region_code,
                programmes or "—",
                case.notice_until.isoformat() if case.notice_until else "—",
            ]
        )
    pdf.rows(
        (22, 34, 30, 70, 24),
        [_("Applicant"), _("Household"), _("Village"), _("Programmes (yuan a month)"), _("Until")],
        body,
    )
    pdf.ln(4)
    pdf.multi_cell(
        0,
        5,
        _(
            "Anyone who objects to an application may tell the township (street) office "
            "before the notice ends; objections are recorded and answered."
        ),
    )
    return pdf.bytes()
