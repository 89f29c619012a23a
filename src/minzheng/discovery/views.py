"""The discovery pages: the township's task list (with the county's counts by region) and a
task with its evidence (ID numbers masked), and its steps."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from minzheng.accounts import roles
from minzheng.accounts.permissions import permission_required
from minzheng.audit.services import personal_data_read
from minzheng.discovery import services
from minzheng.discovery.models import Task
from minzheng.discovery.signals import load_signals
from minzheng.lib import idcard
from minzheng.lib.i18n import TranslatableError


class StepForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in services.TRANSITIONS])
    reason = forms.CharField(required=False, max_length=2000)
    household_id = forms.CharField(required=False, max_length=20)


def _refused(request: HttpRequest, exc: TranslatableError) -> HttpResponse:
    return render(
        request,
        "cases/refused.html",
        {"error": exc.translated(), "error_code": exc.code},
        status=getattr(exc, "status", 400),
    )


@login_required
@permission_required(roles.VIEW_TASK)
def task_list(request: HttpRequest) -> HttpResponse:
    tasks = services.open_tasks(request.user)
    page = Paginator(tasks, 100).get_page(request.GET.get("page", 1))
    return render(
        request,
        "discovery/tasks.html",
        {
            "page": page,
            "total": page.paginator.count,
            "today": timezone.localdate(),
            "by_region": services.counts_by_region(request.user),
        },
    )


def _evidence(task: Task) -> list[dict]:
    labels = {s.name: s.label for s in load_signals().signals}
    rows = []
    for item in task.evidence:
        what = item.get("what", "")
        kind, _, programme = what.partition(":")
        rows.append(
            {
                "source": item.get("source", ""),
                "what": labels.get(what)
                or f"{services.FINDING_LABELS.get(kind, kind)} {programme}",
                "person": idcard.mask(item.get("person", "")) if item.get("person") else "",
                "figures": item.get("figures", {}),
            }
        )
    return rows


@login_required
@permission_required(roles.VIEW_TASK)
def task_page(request: HttpRequest, task_number: str) -> HttpResponse:
    try:
        task = services.task_get(user=request.user, request=request, number=task_number)
    except TranslatableError as exc:
        return _refused(request, exc)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="task",
        object_id=task.number,
        region_code=task.region_code,
        fields=["evidence"],
    )
    steps = (
        [
            (a, services.ACTIONS[a])
            for a, (src, _t) in services.TRANSITIONS.items()
            if task.state in src
        ]
        if request.user.has_perm(roles.CHANGE_TASK)
        else []
    )
    return render(
        request,
        "discovery/task.html",
        {"task": task, "evidence": _evidence(task), "steps": steps, "today": timezone.localdate()},
    )


@login_required
@require_POST
def task_step(request: HttpRequest, task_number: str) -> HttpResponse:
    form = StepForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "cases/refused.html",
            {
                "error": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
                "error_code": "bad_form",
            },
            status=400,
        )
    try:
        task = services.task_act(
            user=request.user,
            request=request,
            number=task_number,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
            household_id=form.cleaned_data["household_id"],
        )
    except TranslatableError as exc:
        return _refused(request, exc)
    messages.success(request, gettext("Saved."))
    if task.case_id:
        return redirect("cases:case", case_number=task.case.number)
    return redirect("discovery:task", task_number=task.number)


class ReportForm(forms.Form):
    location = forms.CharField(label=gettext_lazy("where"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("what is the difficulty"), max_length=2000, widget=forms.Textarea
    )
    contact = forms.CharField(
        label=gettext_lazy("contact (optional)"), max_length=100, required=False
    )


def report(request: HttpRequest, township_code: str) -> HttpResponse:
    """The public reporting page of a township (no login). The answer shows the reference
    only: nothing the reporter wrote is echoed back."""
    from minzheng.discovery import reports

    region = reports.township(township_code)
    if region is None:
        return render(request, "discovery/report_missing.html", status=404)
    if request.method == "POST":
        form = ReportForm(request.POST)
        if not form.is_valid():
            fields = ", ".join(sorted(form.errors))
            return render(
                request,
                "discovery/report.html",
                {"region": region, "form": ReportForm(), "error_fields": fields},
                status=400,
            )
        try:
            done = reports.report_submit(
                township_code=region.code,
                address=request.META.get("REMOTE_ADDR", ""),
                data=form.cleaned_data,
            )
        except TranslatableError as exc:
            return render(
                request,
                "discovery/report.html",
                {"region": region, "form": ReportForm(), "refusal": exc.translated()},
                status=getattr(exc, "status", 400),
            )
        return render(request, "discovery/report_done.html", {"reference": done.reference})
    return render(request, "discovery/report.html", {"region": region, "form": ReportForm()})


def report_qr(request: HttpRequest, township_code: str) -> HttpResponse:
    """The township's QR code (SVG) leading to its reporting page, for posters (幸福码)."""
    import io

    import segno

    from minzheng.discovery import reports

    region = reports.township(township_code)
    if region is None:
        return HttpResponse(status=404)
    url = request.build_absolute_uri(reverse("report", args=[region.code]))
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, title=region.name)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")
