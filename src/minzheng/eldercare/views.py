"""The elder-care pages: the assessments of the user's scope, the assessment form of GB/T
42195-2022 for assessors, and an assessment with its scores, its grade and what the grade
changes in what the household is entitled to (ID numbers masked; every read audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from minzheng.accounts import roles
from minzheng.accounts.permissions import permission_required
from minzheng.audit.services import personal_data_read
from minzheng.eldercare import services
from minzheng.eldercare.assessment import default_assessment
from minzheng.eldercare.layout import STRAIGHT_LINE
from minzheng.eldercare.models import Assessment
from minzheng.lib import idcard
from minzheng.lib.i18n import TranslatableError
from minzheng.web.views import refused

FIELDS = ("id_number", "assessed_on", "place", "reason", "second_assessor", "evidence")
MAX_COUNT_TEXT = 6  # digits of an event count


def _number(text: str) -> Any:
    """A form's number as an int; anything else as it came, for the check to name."""
    text = text.strip()
    if text.isdigit() and len(text) <= MAX_COUNT_TEXT:
        return int(text)
    return text


def posted_assessment(post: QueryDict) -> dict[str, Any]:
    """The form's fields as `services.assessment_record` takes them: the answers by item code,
    the flags as true or false, the event counts by event (left out when empty)."""
    standard = default_assessment()
    data: dict[str, Any] = {name: post.get(name, "") for name in FIELDS}
    data["answers"] = {
        code: _number(post[f"item:{code}"]) for code in standard.items if post.get(f"item:{code}")
    }
    adjustments: dict[str, Any] = {}
    for adj in standard.adjustments:
        if adj.kind == "flag":
            adjustments[adj.code] = post.get(f"flag:{adj.code}") == "on"
            continue
        counts = {
            event: _number(post[f"count:{adj.code}:{event}"])
            for event, _wording in adj.events
            if post.get(f"count:{adj.code}:{event}", "").strip()
        }
        if counts:
            adjustments[adj.code] = counts
    data["adjustments"] = adjustments
    return data


@login_required
@permission_required(roles.VIEW_ASSESSMENT)
def assessment_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(services.assessments_for(request.user), 50).get_page(request.GET.get("page"))
    rows = [{"a": a, "person": idcard.mask(a.id_number)} for a in page.object_list]
    return render(
        request,
        "eldercare/assessments.html",
        {
            "page": page,
            "rows": rows,
            "may_assess": request.user.has_perm(roles.ASSESS),
            "today": timezone.localdate(),
        },
    )


def _form(request: HttpRequest, data: dict, error: TranslatableError | None = None, status=200):
    standard = default_assessment()
    answers = data.get("answers", {})
    indicators = [
        {
            "code": ind.code,
            "name": ind.name,
            "maximum": ind.maximum,
            "items": [
                {
                    "code": item.code,
                    "name": item.name,
                    "description": item.description,
                    "options": item.options,
                    "chosen": answers.get(item.code),
                    "field": f"answers[{item.code}]",
                }
                for item in ind.items
            ],
        }
        for ind in standard.indicators
    ]
    adjustments = data.get("adjustments", {})
    return render(
        request,
        "eldercare/assessment_form.html",
        {
            "standard": standard,
            "indicators": indicators,
            "adjustments": [
                {
                    "adj": adj,
                    "value": adjustments.get(adj.code),
                    "events": [
                        (event, wording, (adjustments.get(adj.code) or {}).get(event, ""))
                        for event, wording in adj.events
                    ],
                }
                for adj in standard.adjustments
            ],
            "data": data,
            "reasons": Assessment.Reason.choices,
            "error": error.translated() if error else "",
            "error_field": getattr(error, "field", "") if error else "",
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@permission_required(roles.ASSESS)
def assessment_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form(request, {"assessed_on": timezone.localdate().isoformat(), "reason": "first"})
    data = posted_assessment(request.POST)
    try:
        assessment = services.assessment_record(user=request.user, request=request, data=data)
    except TranslatableError as exc:
        if getattr(exc, "status", 400) == 403:
            return refused(request, exc)
        # everything entered is shown again, with the field the message names
        return _form(request, data, exc, status=getattr(exc, "status", 400))
    messages.success(
        request, gettext("Recorded. The second assessor confirms it with their own login.")
    )
    return redirect("eldercare:assessment", assessment_number=assessment.number)


@login_required
@permission_required(roles.VIEW_ASSESSMENT)
def assessment_page(request: HttpRequest, assessment_number: str) -> HttpResponse:
    try:
        assessment = services.assessment_get(
            user=request.user, request=request, number=assessment_number
        )
    except TranslatableError as exc:
        return refused(request, exc)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="assessment",
        object_id=assessment.number,
        region_code=assessment.region_code,
        fields=["id_number", "answers", "grade"],
    )
    standard = default_assessment()
    try:
        effect = services.engine_effect(assessment)
    except TranslatableError as exc:  # no lake or index to evaluate against
        effect = {"error": exc.translated(), "rows": []}
    names = {ind.code: ind.name for ind in standard.indicators}
    bands = {band.grade: band.name for band in standard.bands}
    wordings = {adj.code: adj.wording for adj in standard.adjustments}
    return render(
        request,
        "eldercare/assessment.html",
        {
            "a": assessment,
            "person": idcard.mask(assessment.id_number),
            "by_indicator": [
                (names.get(code, code), score) for code, score in assessment.by_indicator.items()
            ],
            "grade_name": bands.get(assessment.grade, ""),
            "preliminary_name": bands.get(assessment.preliminary_grade, ""),
            "reasons": [wordings.get(code, code) for code in assessment.grade_reasons],
            "effect": effect,
            "may_confirm": (
                assessment.state == Assessment.State.RECORDED
                and assessment.second_assessor_id == request.user.pk
            ),
        },
    )


@login_required
@require_POST
@permission_required(roles.ASSESS)
def assessment_confirm(request: HttpRequest, assessment_number: str) -> HttpResponse:
    try:
        services.assessment_confirm(user=request.user, request=request, number=assessment_number)
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(request, gettext("Confirmed: the grade counts from now on."))
    return redirect("eldercare:assessment", assessment_number=assessment_number)


@login_required
@permission_required(roles.VIEW_REGISTER)
def register_list(request: HttpRequest) -> HttpResponse:
    from minzheng.eldercare import register
    from minzheng.regions.models import Region

    try:
        page, chosen = services.register_page(
            user=request.user, request=request, query=request.GET.dict()
        )
        unavailable = ""
    except TranslatableError as exc:  # no lake or index to read yet: say so, list nothing
        page, chosen = Paginator([], 50).get_page(1), {}
        unavailable = exc.translated()
    for r in page.object_list:
        r["living_label"] = register_label(r["living"])
        r["group_labels"] = [register_label(g) for g in r["groups"]]
    regions = Region.objects.for_user(request.user).filter(parent=request.user.region)
    return render(
        request,
        "eldercare/register.html",
        {
            "page": page,
            "chosen": chosen,
            "regions": regions.order_by("code"),
            "living": [(v, register_label(v)) for v in register.LIVING],
            "groups": [(v, register_label(v)) for v in register.GROUPS],
            "query": "&".join(f"{k}={v}" for k, v in chosen.items() if v),
            "unavailable": unavailable,
        },
    )


def register_label(code: str) -> str:
    return str(REGISTER_LABELS.get(code, code))


REGISTER_LABELS = {
    "alone": gettext_lazy("living alone"),
    "couple": gettext_lazy("a couple only"),
    "family": gettext_lazy("with family"),
    "tekun": gettext_lazy("extreme-poverty support"),
    "dibao": gettext_lazy("minimum living allowance household"),
    "dibian": gettext_lazy("marginal low-income household"),
    "severe_disability": gettext_lazy("severe disability"),
    "age_80": gettext_lazy("80 or older"),
}


# --- institutions, beds, staff, consortia and home services ---


@login_required
@permission_required(roles.VIEW_INSTITUTION)
def institution_list(request: HttpRequest) -> HttpResponse:
    from minzheng.eldercare import institutions
    from minzheng.regions.models import Region

    rows, prefix = institutions.institutions_for(request.user, request.GET.get("region"))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "eldercare/institutions.html",
        {
            "page": page,
            "prefix": prefix,
            "count": page.paginator.count,
            "regions": Region.objects.for_user(request.user)
            .filter(parent=request.user.region)
            .order_by("code"),
            "data_date": institutions.data_date(),
        },
    )


@login_required
@permission_required(roles.VIEW_INSTITUTION)
def institution_page(request: HttpRequest, institution_id: str) -> HttpResponse:
    from minzheng.eldercare import institutions

    try:
        found = institutions.institution_get(
            user=request.user, request=request, institution_id=institution_id
        )
    except TranslatableError as exc:
        return refused(request, exc)
    return render(request, "eldercare/institution.html", found)


@login_required
@permission_required(roles.VIEW_INSTITUTION)
def consortium_list(request: HttpRequest) -> HttpResponse:
    from minzheng.eldercare import institutions

    page = Paginator(institutions.consortia_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "eldercare/consortia.html", {"page": page})


@login_required
@permission_required(roles.VIEW_INSTITUTION)
def home_services(request: HttpRequest) -> HttpResponse:
    from minzheng.eldercare import institutions
    from minzheng.regions.models import Region

    found = institutions.home_services(
        user=request.user, request=request, region=request.GET.get("region")
    )
    found["regions"] = (
        Region.objects.for_user(request.user).filter(parent=request.user.region).order_by("code")
    )
    return render(request, "eldercare/home_services.html", found)
@login_required
@permission_required(roles.VIEW_MONITORING)
def layout_plan(request: HttpRequest) -> HttpResponse:
    """The layout plan of elder care (aggregates only): the indicators of the user's regions
    against the plan's targets, and an area's 1 km coverage, suggested sites and map."""
    from minzheng.regions.models import Region

    try:
        page = services.layout_page(user=request.user, request=request, query=request.GET.dict())
    except TranslatableError as exc:
        return refused(request, exc)
    result = page.get("result")
    scope = page["scope"]
    areas = Region.objects.for_user(request.user).filter(
        code__startswith=scope.prefix, level__in=["city", "county"]
    )
    chart = None
    if result is not None:
        chart = {
            "name": result.name,
            "facilities": result.facilities,
            "cells": result.cells,
            "sites": result.sites,
        }
    return render(
        request,
        "eldercare/layout.html",
        {
            **page,
            "areas": areas.order_by("code"),
            "chart": chart,
            "note": gettext(STRAIGHT_LINE),
        },
    )
