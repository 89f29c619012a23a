"""The payment pages: the county's runs, one run with its control totals, lists and the
bank's return, and the re-issue of a failed line."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from minzheng.accounts import roles
from minzheng.accounts.permissions import permission_required
from minzheng.audit.services import personal_data_read
from minzheng.cases import exports, payments
from minzheng.cases.models import Payment, PaymentRun
from minzheng.cases.views import _form_error, _pdf
from minzheng.lib.i18n import TranslatableError
from minzheng.lib.names import mask_name
from minzheng.web.views import refused


class RunForm(forms.Form):
    county = forms.CharField(label=gettext_lazy("county"), max_length=6)
    month = forms.CharField(label=gettext_lazy("month"), max_length=7)


class ReturnForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("the bank's return file"))


class ReissueForm(forms.Form):
    line = forms.IntegerField(min_value=1, max_value=10**9)
    payee_name = forms.CharField(label=gettext_lazy("payee name"), max_length=40, required=False)
    payee_bank = forms.CharField(label=gettext_lazy("bank"), max_length=40, required=False)
    payee_account = forms.CharField(
        label=gettext_lazy("bank account"), max_length=40, required=False
    )


@login_required
@permission_required(roles.VIEW_PAYMENT)
def runs(request: HttpRequest) -> HttpResponse:
    """The payment runs of the user's scope; who pays starts the month's run here."""
    if request.method == "POST":
        form = RunForm(request.POST)
        if not form.is_valid():
            return _form_error(request, form)
        try:
            run = payments.payment_run(
                user=request.user,
                request=request,
                county=form.cleaned_data["county"],
                month=form.cleaned_data["month"],
            )
        except TranslatableError as exc:
            return refused(request, exc)
        messages.success(
            request,
            gettext("Payment run %(number)s: %(added)s line(s) added.")
            % {"number": run.number, "added": run.notes.get("last_added", 0)},
        )
        return redirect("cases:payment_run", run_number=run.number)
    scoped = PaymentRun.objects.for_user(request.user)
    page = Paginator(scoped, 50).get_page(request.GET.get("page", 1))
    region = request.user.region_id or ""
    initial = {
        "county": region if len(str(region)) == 6 else "",
        "month": f"{timezone.localdate():%Y-%m}",
    }
    return render(
        request,
        "cases/payments.html",
        {
            "page": page,
            "rows": [(r, payments.totals(r)) for r in page],
            "form": RunForm(initial=initial) if request.user.has_perm(roles.PAY) else None,
        },
    )


@login_required
@permission_required(roles.VIEW_PAYMENT)
def run_page(request: HttpRequest, run_number: str) -> HttpResponse:
    try:
        run = payments.run_get(user=request.user, request=request, number=run_number)
    except TranslatableError as exc:
        return refused(request, exc)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="payment_run",
        object_id=run.number,
        region_code=run.county_code,
        fields=["payment_list"],
    )
    status = request.GET.get("status", "")
    lines = run.payments.order_by("line")
    if status in Payment.Status.values:
        lines = lines.filter(status=status)
    page = Paginator(lines, 100).get_page(request.GET.get("page", 1))
    totals = payments.totals(run)
    return render(
        request,
        "cases/payment_run.html",
        {
            "run": run,
            "totals": totals,
            "by_programme": [
                (exports.programme_label(k), v) for k, v in totals["by_programme"].items()
            ],
            "by_status": [(Payment.Status(k).label, v) for k, v in totals["by_status"].items()],
            "stopped": [
                (payments.STOPPED.get(k, k), n) for k, n in run.notes.get("stopped", {}).items()
            ],
            "page": page,
            "lines": [
                (
                    p,
                    exports.programme_label(p.programme),
                    exports.shown_beneficiary(p.beneficiary),
                    mask_name(p.payee.get("name", "")),
                )
                for p in page
            ],
            "status": status,
            "statuses": Payment.Status.choices,
            "may_pay": request.user.has_perm(roles.PAY),
        },
    )


@login_required
@permission_required(roles.VIEW_PAYMENT)
def run_list(request: HttpRequest, run_number: str, fmt: str) -> HttpResponse:
    """The payment list as CSV, Excel or PDF (masked as printed)."""
    try:
        run = payments.run_get(user=request.user, request=request, number=run_number)
    except TranslatableError as exc:
        return refused(request, exc)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="payment_run",
        object_id=run.number,
        region_code=run.county_code,
        fields=[f"payment_list_{fmt}"],
    )
    if fmt == "pdf":
        return _pdf(exports.payment_list_pdf(run), f"{run.number}.pdf")
    if fmt == "xlsx":
        body, kind = (
            exports.payment_list_xlsx(run),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        body, kind = exports.payment_list_csv(run), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{run.number}.{fmt}"'
    return response


@login_required
@permission_required(roles.PAY)
def bank_file(request: HttpRequest, run_number: str) -> HttpResponse:
    try:
        body = exports.bank_file(user=request.user, request=request, number=run_number)
    except TranslatableError as exc:
        return refused(request, exc)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{run_number}-bank.csv"'
    return response


@login_required
@require_POST
@permission_required(roles.PAY)
def returns(request: HttpRequest, run_number: str) -> HttpResponse:
    form = ReturnForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_error(request, form)
    upload = form.cleaned_data["file"]
    try:
        done = payments.payment_returns(
            user=request.user,
            request=request,
            number=run_number,
            data=upload.read(payments.MAX_RETURN_BYTES + 1),  # the service refuses more
        )
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(
        request,
        gettext("Return applied: %(paid)s paid, %(failed)s failed, of %(lines)s line(s).") % done,
    )
    return redirect("cases:payment_run", run_number=run_number)


@login_required
@require_POST
@permission_required(roles.PAY)
def reissue(request: HttpRequest, run_number: str) -> HttpResponse:
    form = ReissueForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    d = form.cleaned_data
    payee = None
    if d["payee_name"] or d["payee_bank"] or d["payee_account"]:
        payee = {"name": d["payee_name"], "bank": d["payee_bank"], "account": d["payee_account"]}
    try:
        again = payments.payment_reissue(
            user=request.user, request=request, number=run_number, line=d["line"], payee=payee
        )
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(request, gettext("Re-issued as %(line)s.") % {"line": again.line_id})
    return redirect("cases:payment_run", run_number=run_number)
