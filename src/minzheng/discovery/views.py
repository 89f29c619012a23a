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
from minzheng.accounts.permissions import not_found, permission_required
from minzheng.audit.services import audit_record, personal_data_read
from minzheng.discovery import services
from minzheng.discovery.models import Task
from minzheng.discovery.signals import load_signals
from minzheng.lib import idcard
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten
from minzheng.web.views import refused


class StepForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in services.TRANSITIONS])
    reason = forms.CharField(required=False, max_length=2000)
    household_id = forms.CharField(required=False, max_length=20)


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


def _evidence(task: Task, unmask: bool = False) -> list[dict]:
    labels = {s.name: s.label for s in load_signals().signals}
    rows = []
    for item in task.evidence:
        what = item.get("what", "")
        rows.append(
            {
                "source": item.get("source", ""),
                "what": labels.get(what) or finding_label(what),
                "person": (
                    item.get("person", "") if unmask else idcard.mask(item.get("person", ""))
                )
                if item.get("person")
                else "",
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
        return refused(request, exc)
    unmask = request.GET.get("unmask") == "1"
    if unmask and not request.user.has_perm(roles.UNMASK):
        audit_record(
            actor=request.user,
            action="unmask",
            request=request,
            object_type="task",
            object_id=task.number,
            region_code=task.region_code,
            outcome="denied",
        )
        messages.warning(request, gettext("You are not permitted to see unmasked personal data."))
        unmask = False
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="task",
        object_id=task.number,
        region_code=task.region_code,
        fields=["evidence"],
        unmasked=unmask,
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
        {
            "task": task,
            "evidence": _evidence(task, unmask),
            "unmasked": unmask,
            "may_unmask": request.user.has_perm(roles.UNMASK),
            "steps": steps,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def task_step(request: HttpRequest, task_number: str) -> HttpResponse:
    form = StepForm(request.POST)
    if not form.is_valid():
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return refused(request, text, "bad_form")
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
        return refused(request, exc)
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


def finding_label(key: str) -> str:
    """ "dibao:eligible_not_enrolled" as the register's programme and the finding, in words."""
    from minzheng.exchange.feeds import PROGRAMMES

    programme, _, kind = key.partition(":")
    return f"{PROGRAMMES.get(programme, programme)}：{services.FINDING_LABELS.get(kind, kind)}"


@login_required
@permission_required(roles.VIEW_MONITORING)
def monitoring(request: HttpRequest) -> HttpResponse:
    """A region's monitoring (动态监测): signals and findings counted, the multidimensional
    poverty measure and its dimensions, the regions below, the trends (aggregates only)."""
    from minzheng.discovery.models import RegionFigures
    from minzheng.discovery.poverty import measure
    from minzheng.regions.models import Region
    from minzheng.regions.scoping import user_scope

    scope = user_scope(request.user)
    wanted = str(request.GET.get("region") or scope.code)
    mine = RegionFigures.objects.for_user(request.user)
    latest = mine.filter(code=wanted).order_by("-as_of").first() if wanted.isdigit() else None
    if latest is None:
        region = scope if wanted == scope.code else None
        if region is None:
            try:
                not_found(
                    services.TaskError,
                    "region_not_found",
                    gettext_noop("Region %(region)s has no figures or is outside your scope."),
                    user=request.user,
                    request=request,
                    action="monitoring_read",
                    object_type="region",
                    object_id=wanted[:12],
                    region=shorten(wanted),
                )
            except TranslatableError as exc:
                return refused(request, exc)
        return render(request, "discovery/monitoring.html", {"region": region, "latest": None})
    region = Region.objects.filter(code=latest.code).first()
    child = region.level_enum.child if region else None
    children = []
    if child is not None:
        prefix = region.prefix
        rows = mine.filter(as_of=latest.as_of, level=child.value, code__startswith=prefix).order_by(
            "code"
        )
        names = dict(
            Region.objects.filter(code__in=[r.code for r in rows]).values_list("code", "name")
        )
        children = [
            {
                "code": r.code,
                "name": names.get(r.code, r.code),
                "M0": r.figures.get("mpi", {}).get("M0"),
                "signals": sum(r.figures.get("signals", {}).values()),
                "findings": sum(r.figures.get("findings", {}).values()),
            }
            for r in rows
        ]
    trend = [
        {
            "as_of": f.as_of.isoformat(),
            "signals": sum(f.figures.get("signals", {}).values()),
            "findings": sum(f.figures.get("findings", {}).values()),
            "M0": f.figures.get("mpi", {}).get("M0"),
        }
        for f in mine.filter(code=latest.code).order_by("as_of")
    ]
    labels = {s.name: s.label for s in load_signals().signals}
    dims = {i.name: f"{i.dimension}" for i in measure().indicators}
    chart = {
        "signals": [
            [labels.get(k, k), v] for k, v in sorted(latest.figures.get("signals", {}).items())
        ],
        "findings": [
            [finding_label(k), v] for k, v in sorted(latest.figures.get("findings", {}).items())
        ],
        "contributions": [
            [dims.get(k, k), round(v * 100, 1)]
            for k, v in latest.figures.get("mpi", {}).get("contributions", {}).items()
        ],
        "children": [[c["name"], c["M0"]] for c in children if c["M0"] is not None],
        "trend": trend,
    }
    return render(
        request,
        "discovery/monitoring.html",
        {
            "region": region,
            "latest": latest,
            "mpi": latest.figures.get("mpi"),
            "children": children,
            "chart": chart,
        },
    )
