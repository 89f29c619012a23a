"""The verification pages: start a check, record consents, read a report, download its PDF."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from minzheng.accounts import roles
from minzheng.accounts.permissions import permission_required
from minzheng.audit.services import personal_data_read
from minzheng.lib import idcard
from minzheng.lib.i18n import TranslatableError, gettext_noop, shown
from minzheng.lib.names import mask_name
from minzheng.policy.household import parse_household, read_household
from minzheng.verification import services
from minzheng.verification.models import Check, Consent
from minzheng.verification.present import present
from minzheng.verification.report import VerificationError


class CheckForm(forms.Form):
    household_id = forms.CharField(label=gettext_lazy("Hukou number"), max_length=20)
    date = forms.DateField(
        label=gettext_lazy("As of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    declaration = forms.FileField(
        label=gettext_lazy("Declaration file (optional)"),
        required=False,
        help_text=gettext_lazy(
            "The household's own statement of its members, incomes and assets, as a household "
            "file (JSON, format v1, described in the platform's documentation: policy engine, "
            "“The household file”). Easier: enter it member by member on the declaration page "
            "(“Declare and check” in the list of households). Without one, the report shows "
            "what the departments hold."
        ),
    )


class ConsentForm(forms.Form):
    id_number = forms.ChoiceField(label=gettext_lazy("Member"))
    method = forms.ChoiceField(label=gettext_lazy("How"), choices=Consent.Method.choices)
    given_at = forms.DateTimeField(
        label=gettext_lazy("Given at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    form = forms.FileField(label=gettext_lazy("Signed form (scan)"), required=False)


def _parse_date(raw: str) -> dt.date:
    """A date typed as YYYY-MM-DD; anything else is refused, naming the field and value."""
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise VerificationError(
            "bad_date",
            gettext_noop("date = %(value)s is not a date (YYYY-MM-DD, e.g. 2020-12-31)."),
            value=shown(raw),
        ) from None


def _default_date() -> dt.date:
    """The lake's snapshot date (checks against older data would all be flagged stale)."""
    try:
        return dt.date.fromisoformat(services.lake().lookup.manifest["snapshot_date"])
    except (TranslatableError, KeyError, ValueError):  # no lake or index yet: today
        return timezone.localdate()


def _error(
    request: HttpRequest, template: str, context: dict, exc: TranslatableError
) -> HttpResponse:
    context["error"] = exc.translated()
    context["error_code"] = exc.code
    return render(request, template, context, status=getattr(exc, "status", 400))


def _members_read(request: HttpRequest, household: dict) -> None:
    """A page listing a household's members (masked) is a read of their personal data."""
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="household",
        object_id=household["household_id"],
        region_code=household["village_code"],
        fields=["members"],
    )


# A household file of 20 members is a few kilobytes; anything near this is not one.
DECLARATION_MAX_BYTES = 1024 * 1024


def _declaration(upload) -> tuple[dict, list[dict]] | None:
    """The uploaded household file, validated (every problem a 400 naming it)."""
    if upload is None:
        return None
    if upload.size > DECLARATION_MAX_BYTES:
        raise VerificationError(
            "declaration_too_large",
            gettext_noop(
                "The declaration file is %(size)s bytes; a household file is at most "
                "%(limit)s bytes."
            ),
            size=upload.size,
            limit=DECLARATION_MAX_BYTES,
        )
    return read_household(upload.read(), gettext("the declaration file"))


@login_required
@permission_required(roles.VIEW_CHECK)
def start(request: HttpRequest) -> HttpResponse:
    """The check form, and the user's recent checks."""
    initial = {"date": _default_date(), "household_id": request.GET.get("household_id", "")}
    form = CheckForm(request.POST or None, request.FILES or None, initial=initial)
    recent = Check.objects.for_user(request.user).order_by("-created_at")[:20]
    query = request.GET.get("q", "")
    try:
        households = services.households_to_pick(
            request.user, query=query, page=request.GET.get("page", 1)
        )
    except TranslatableError:  # no lake or no index yet: the form still works
        households = None
    context = {"form": form, "recent": recent, "households": households, "q": query}
    if request.method == "POST" and form.is_valid():
        hid = form.cleaned_data["household_id"].strip()
        context["household_id"] = hid
        try:
            declared = _declaration(form.cleaned_data["declaration"])
            check = services.check_run(
                user=request.user,
                request=request,
                household_id=hid,
                date=form.cleaned_data["date"],
                declared=declared,
            )
        except TranslatableError as exc:
            return _error(request, "verification/start.html", context, exc)
        return redirect("verification:report", number=check.number)
    return render(request, "verification/start.html", context, status=400 if form.errors else 200)


@login_required
def consents_open(request: HttpRequest) -> HttpResponse:
    """Go to the consents of the household typed in the start page (a form without script)."""
    household_id = request.GET.get("household_id", "").strip()
    try:
        return redirect("verification:consents", household_id=household_id)
    except NoReverseMatch:  # empty, or with a "/" that no hukou number has
        return redirect("verification:start")


@login_required
def consents(request: HttpRequest, household_id: str) -> HttpResponse:
    """The adult members of a household, their consents, and the form to record one."""
    date = timezone.localdate()
    context: dict = {"household_id": household_id}
    try:
        household, adults = services.household_adults(
            user=request.user, household_id=household_id, date=date, request=request
        )
    except TranslatableError as exc:
        return _error(request, "verification/consents.html", context, exc)
    household_id = household["household_id"]  # as the feed writes it (NFKC, no spaces)
    active = services.consents_active(household_id)
    members = [
        {
            "id_masked": idcard.mask(m["id_number"]),
            "name": mask_name(m["name"]),
            "consent": active.get(m["id_number"]),
        }
        for m in adults
    ]
    form = ConsentForm(
        request.POST or None,
        request.FILES or None,
        initial={"given_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    shown = {
        m["id_number"]: f"{mask_name(m['name'])} {idcard.mask(m['id_number'])}" for m in adults
    }
    form.fields["id_number"].choices = list(shown.items())
    # Nothing preselected: "signed form" must not be recorded by default, before any upload.
    form.fields["method"].choices = [("", gettext_lazy("Choose…")), *Consent.Method.choices]
    history = (
        Consent.objects.for_user(request.user)
        .filter(household_id=household_id)
        .order_by("-recorded_at")
    )
    context |= {"members": members, "form": form, "history": history, "household": household}
    _members_read(request, household)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_record(
                user=request.user,
                request=request,
                household_id=household_id,
                id_number=form.cleaned_data["id_number"],
                method=form.cleaned_data["method"],
                given_at=form.cleaned_data["given_at"],
                form=form.cleaned_data["form"],
            )
        except TranslatableError as exc:
            return _error(request, "verification/consents.html", context, exc)
        member = shown.get(consent.id_number) or idcard.mask(consent.id_number)
        messages.success(
            request, gettext_lazy("Consent of %(member)s recorded.") % {"member": member}
        )
        return redirect("verification:consents", household_id=household_id)
    return render(
        request, "verification/consents.html", context, status=400 if form.errors else 200
    )


# What a declaration holds per member: (block of the household file, field).
DECLARED_FIELDS = [
    *[("income", f) for f in ("wage", "business", "property", "pension", "transfer")],
    *[("assets", f) for f in ("deposits", "securities")],
    *[(None, f) for f in ("medical_oop_12m", "homes", "commercial_property", "vehicles")],
    (None, "disability_grade"),
]


def _declaration_from_post(post, household: dict, members: list[dict]) -> dict:
    """The household file (v1) of what was entered; the file's parser names bad fields."""
    entries = []
    for i, m in enumerate(members):
        entry: dict = {
            "id": m["id_number"],
            "birth_date": m["birth_date"].isoformat(),
            "relation": m["relation"],
            "status": m["status"],
        }
        for block, field in DECLARED_FIELDS:
            raw = post.get(f"m{i}-{field}", "").strip()
            if raw == "" or (field == "disability_grade" and raw == "0"):
                continue
            # Counts and grades are integers; anything else ("²", "３", "2.5") goes to the
            # parser as typed, which names the field and the value.
            counted = block is None and field != "medical_oop_12m"
            value: object = int(raw) if counted and raw.isascii() and raw.isdigit() else raw
            if block is None:
                entry[field] = value
            else:
                entry.setdefault(block, {})[field] = value
        entries.append(entry)
    return {
        "household_id": household["household_id"],
        "county": household["county"],
        "members": entries,
    }


@login_required
def declare(request: HttpRequest, household_id: str) -> HttpResponse:
    """Enter what the household declared, member by member, and run the check on it."""
    raw_date = (request.POST.get("date") or request.GET.get("date") or "").strip()
    context: dict = {"household_id": household_id, "date": raw_date or _default_date()}
    try:
        date = _parse_date(raw_date) if raw_date else _default_date()
        household, members = services.household_members(
            user=request.user, household_id=household_id, date=date, request=request
        )
    except TranslatableError as exc:
        return _error(request, "verification/declare.html", context, exc)
    _members_read(request, household)
    from minzheng.policy.inputs import INPUTS
    from minzheng.verification import labels

    context["members"] = [
        {
            "index": i,
            "label": gettext("member %(n)s") % {"n": i + 1},
            "name": mask_name(m["name"]),
            "id_masked": idcard.mask(m["id_number"]),
            "relation_text": labels.value_text(m["relation"]),
        }
        for i, m in enumerate(members)
    ]
    context["rows"] = [
        {
            "label": INPUTS[field].label,
            "field": field,
            "cells": [
                {"name": f"m{i}-{field}", "value": request.POST.get(f"m{i}-{field}", "")}
                for i in range(len(members))
            ],
        }
        for _block, field in DECLARED_FIELDS
    ]
    if request.method == "POST":
        try:
            declared = parse_household(_declaration_from_post(request.POST, household, members))
            check = services.check_run(
                user=request.user,
                request=request,
                household_id=household_id,
                date=date,
                declared=declared,
            )
        except TranslatableError as exc:
            response = _error(request, "verification/declare.html", context, exc)
            context["error"] = _in_words(context["error"], context["members"])
            return render(
                request, "verification/declare.html", context, status=response.status_code
            )
        return redirect("verification:report", number=check.number)
    return render(request, "verification/declare.html", context)


FIELD_PATH = re.compile(r"members\[(\d+)\]((?:\.[a-z_0-9]+)*)")


def _in_words(message: str, members: list[dict]) -> str:
    """A parser message with `members[0].income.wage` said as the page shows it: the
    member's row (number, masked name) and the field's label."""
    from minzheng.policy.inputs import INPUTS

    def say(match: re.Match) -> str:
        index = int(match.group(1))
        member = members[index] if index < len(members) else None
        who = gettext("member %(n)s") % {"n": index + 1}
        if member:
            who += f"（{member['name']}）"
        fields = [f for f in match.group(2).split(".") if f]
        if fields and fields[-1] in INPUTS:
            who += f" · {INPUTS[fields[-1]].label}"
        elif fields:
            who += " · " + ".".join(fields)
        return who

    return FIELD_PATH.sub(say, message)


@login_required
def consent_revocation(request: HttpRequest, consent_id: int) -> HttpResponse:
    """Revoking a consent: a page that asks to confirm (GET), a plain form that revokes
    (POST, `consent_revoke`); no script."""
    if request.method != "GET":
        return consent_revoke(request, consent_id)
    try:
        consent = services.consent_to_revoke(
            user=request.user, request=request, consent_id=consent_id
        )
    except TranslatableError as exc:
        return _error(request, "verification/consents.html", {}, exc)
    return render(
        request,
        "verification/consent_revoke.html",
        {"consent": consent, "member": idcard.mask(consent.id_number)},
    )


@login_required
@require_POST
def consent_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    try:
        consent = services.consent_revoke(user=request.user, request=request, consent_id=consent_id)
    except TranslatableError as exc:
        return _error(request, "verification/consents.html", {}, exc)
    member = idcard.mask(consent.id_number)
    messages.success(request, gettext_lazy("Consent of %(member)s revoked.") % {"member": member})
    return redirect("verification:consents", household_id=consent.household_id)


def _read(request: HttpRequest, number: str, unmask: bool | None = None):
    if unmask is None:
        unmask = request.GET.get("unmask") == "1"
    check = services.check_read(user=request.user, request=request, number=number, unmask=unmask)
    report = check.report if unmask else services.masked(check.report)
    return check, report, unmask


@login_required
def report(request: HttpRequest, number: str) -> HttpResponse:
    """The report, masked unless unmasking was asked for and is permitted; a refused unmasking
    still shows the masked report, under the reason (403)."""
    refused = None
    try:
        check, data, unmask = _read(request, number)
    except TranslatableError as exc:
        if exc.code != "unmask_denied":
            return _error(request, "verification/report.html", {"number": number}, exc)
        refused = exc
        try:
            check, data, unmask = _read(request, number, unmask=False)
        except TranslatableError as again:
            return _error(request, "verification/report.html", {"number": number}, again)
    return render(
        request,
        "verification/report.html",
        {
            "check": check,
            "r": present(data),
            "unmasked": unmask,
            "can_unmask": request.user.has_perm(services.UNMASK_PERMISSION),
            "unmask_refused": refused.translated() if refused else "",
        },
        status=403 if refused else 200,
    )


@login_required
def report_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The PDF; a refused unmasking gets a 403 page offering the masked PDF (a PDF of the
    wrong kind could be filed without anyone noticing that it was not what was asked for)."""
    from minzheng.verification.pdf import render_pdf

    try:
        check, data, unmask = _read(request, number)
    except TranslatableError as exc:
        context: dict = {"number": number}
        if exc.code == "unmask_denied":
            context["masked_pdf"] = request.path
        return _error(request, "verification/report.html", context, exc)
    officer = (
        check.officer.get_full_name() or check.officer.get_username() if check.officer else "—"
    )
    body = render_pdf(check, data, officer=officer, unmasked=unmask)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{check.number}.pdf"'
    return response
