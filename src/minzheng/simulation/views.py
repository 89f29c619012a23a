"""The analysts' simulation pages (政策仿真): the runs, a form to start one, a run's results
with up to four scenarios side by side on charts, its progress while it runs, and its
workbook — aggregates only, each analyst seeing the regions of their scope."""

from __future__ import annotations

import datetime as dt
import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, permission_required
from minzheng.audit.services import audit_record
from minzheng.lib.divisions import labelled
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten
from minzheng.regions.scoping import user_scope
from minzheng.simulation import services
from minzheng.simulation.models import SimulationRun
from minzheng.simulation.runner import MAX_SCENARIOS
from minzheng.web.views import refused

EXAMPLE = """name: 低保标准提高到每月1000元
date: 2021-01-01
parameters:
  dibao.standard_monthly: 1000
"""


class RunForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=100)
    as_of = forms.DateField(label=gettext_lazy("as-of date"))
    scenario_1 = forms.CharField(
        label=gettext_lazy("scenario 1 (YAML)"), widget=forms.Textarea, max_length=20_000
    )
    scenario_2 = forms.CharField(
        label=gettext_lazy("scenario 2"), widget=forms.Textarea, required=False, max_length=20_000
    )
    scenario_3 = forms.CharField(
        label=gettext_lazy("scenario 3"), widget=forms.Textarea, required=False, max_length=20_000
    )
    scenario_4 = forms.CharField(
        label=gettext_lazy("scenario 4"), widget=forms.Textarea, required=False, max_length=20_000
    )
    ideal = forms.CharField(
        label=gettext_lazy("ideal population (optional), e.g. income < line"),
        required=False,
        max_length=200,
    )
    budget = forms.CharField(
        label=gettext_lazy("annual budget for 低保 in yuan (optional)"),
        required=False,
        max_length=30,
    )


def _runs(request: HttpRequest):
    services.reap()
    return SimulationRun.objects.for_user(request.user)


@login_required
@permission_required(roles.RUN_SIMULATION)
def run_list(request: HttpRequest) -> HttpResponse:
    form = RunForm(initial={"scenario_1": EXAMPLE, "as_of": dt.date(2020, 12, 31)})
    status = 200
    if request.method == "POST":
        form = RunForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            files = [
                (f"方案{i}.yaml", data[f"scenario_{i}"])
                for i in range(1, MAX_SCENARIOS + 1)
                if data[f"scenario_{i}"].strip()
            ]
            try:
                run = services.start(
                    request.user,
                    request,
                    name=data["name"],
                    as_of=data["as_of"],
                    files=files,
                    ideal=data["ideal"],
                    budget=data["budget"],
                )
            except TranslatableError as exc:
                form.add_error(None, exc.translated())
            else:
                return redirect("simulation:run", sim_number=run.number)
    runs = _runs(request).select_related("created_by")[:50]
    return render(request, "simulation/runs.html", {"form": form, "runs": runs}, status=status)


def _run(request: HttpRequest, sim_number: str) -> SimulationRun:
    run = _runs(request).filter(number=sim_number[:24]).first()
    if run is None:
        not_found(
            services.SimulationRequestError,
            "run_not_found",
            gettext_noop("Simulation run %(number)s does not exist or is outside your scope."),
            user=request.user,
            request=request,
            action="simulation_read",
            object_type="simulation_run",
            object_id=sim_number[:24],
            number=shorten(sim_number),
        )
    return run


def _chart_data(run: SimulationRun, codes: list[str]) -> dict:
    """What the charts draw: per scenario cost and caseload by city, decile bands, Lorenz."""
    results = run.results or {}
    names = [s["name"] for s in results.get("scenarios", [])]
    cities = [c for c in codes if c.endswith("00") and not c.endswith("0000")]
    spread = results.get("distribution", {})
    by_city = {}
    for name in ["baseline", *names]:
        figures = results["results"][name]["city"]
        by_city[name] = {
            "cost": [
                round(float(figures[c]["programmes"]["dibao"]["annual_cost"]) / 1e4, 2)
                for c in cities
            ],
            "households": [figures[c]["programmes"]["dibao"]["households"] for c in cities],
        }
    return {
        "cities": [labelled(c).split(" ")[0] for c in cities],
        "scenarios": names,
        "by_city": by_city,
        "bands": {n: [d["bands"] for d in spread[n]["deciles"]] for n in names if n in spread},
        "lorenz": {n: spread[n]["lorenz"] for n in names if n in spread},
    }


@login_required
@permission_required(roles.RUN_SIMULATION)
def run_page(request: HttpRequest, sim_number: str) -> HttpResponse:
    try:
        run = _run(request, sim_number)
    except TranslatableError as exc:
        return refused(request, exc)
    context = {"run": run}
    if run.status == SimulationRun.Status.DONE and run.results:
        scope = user_scope(request.user)
        prefix = scope.prefix if scope else "-"
        results = run.results["results"]
        levels = results["baseline"]
        codes = [
            code
            for level in ("province", "city", "county")
            for code in levels[level]
            if code.startswith(prefix) or (level == "province" and prefix == "33")
        ]
        shown = [c for c in codes if c.startswith(prefix)]
        rows = []
        names = ["baseline"] + [s["name"] for s in run.results["scenarios"]]
        for code in shown[:120]:
            for programme, label in run.results["labels"].items():
                cells = [results[n][_level(code)][code]["programmes"][programme] for n in names]
                rows.append({"region": labelled(code), "label": label, "cells": cells})
        context |= {
            "names": names,
            "rows": rows,
            "spread": run.results.get("distribution", {}),
            "chart": _chart_data(run, codes) if prefix == "33" else None,
        }
        audit_record(
            actor=request.user,
            request=request,
            action="simulation_read",
            object_type="simulation_run",
            object_id=run.number,
            region_code=run.region_code,
        )
    return render(request, "simulation/run.html", context)


def _scoped(results: dict, scope) -> dict:
    """A run's results as the user may see them: the regions of their scope; the
    province-wide distribution only for a province's analyst."""
    prefix = scope.prefix if scope else "-"
    out = dict(results)
    out["results"] = {
        name: {
            level: {c: f for c, f in regions.items() if c.startswith(prefix)}
            for level, regions in levels.items()
        }
        for name, levels in results["results"].items()
    }
    if prefix != "33":
        out["distribution"] = {}
    return out


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


@login_required
@permission_required(roles.RUN_SIMULATION)
def run_progress(request: HttpRequest, sim_number: str) -> JsonResponse:
    try:
        run = _run(request, sim_number)
    except TranslatableError as exc:
        return JsonResponse({"detail": exc.translated(), "code": exc.code}, status=404)
    return JsonResponse(
        {
            "status": run.status,
            "status_label": str(run.get_status_display()),
            "done": run.done,
            "total": run.total,
            "message": run.message,
        }
    )


@login_required
@permission_required(roles.RUN_SIMULATION)
def run_workbook(request: HttpRequest, sim_number: str) -> HttpResponse:
    from minzheng.simulation import present

    try:
        run = _run(request, sim_number)
        if run.status != SimulationRun.Status.DONE:
            raise services.SimulationRequestError(
                "not_done",
                gettext_noop("Simulation run %(number)s has no results yet."),
                status=409,
                number=run.number,
            )
    except TranslatableError as exc:
        return refused(request, exc)
    buffer = io.BytesIO()
    present.workbook(buffer, _scoped(run.results, user_scope(request.user)))
    buffer.seek(0)
    audit_record(
        actor=request.user,
        request=request,
        action="simulation_export",
        object_type="simulation_run",
        object_id=run.number,
        region_code=run.region_code,
    )
    return FileResponse(buffer, as_attachment=True, filename=f"{run.number}.xlsx")
