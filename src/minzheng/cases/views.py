"""The case pages: the worklist (a caseworker's home), one case with its timeline and the
steps the user may take, and the county's approval queue with bulk approval."""

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
from minzheng.cases import exports, reviews, selectors, services, workflow
from minzheng.cases.models import Attachment, Case
from minzheng.lib import idcard
from minzheng.lib.i18n import TranslatableError, gettext_noop
from minzheng.lib.names import mask_name
from minzheng.web.views import refused

MAX_BULK = 100_000  # numbers in one bulk approval (a county's queue)


class NewCaseForm(forms.Form):
    household_id = forms.CharField(label=gettext_lazy("Hukou number"), max_length=20)
    channel = forms.ChoiceField(
        label=gettext_lazy("channel"),
        choices=[c for c in Case.Channel.choices if c[0] in services.APPLICATION_CHANNELS],
    )
    as_of = forms.DateField(
        label=gettext_lazy("data as of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    payee_name = forms.CharField(label=gettext_lazy("payee name"), max_length=40, required=False)
    payee_bank = forms.CharField(label=gettext_lazy("bank"), max_length=40, required=False)
    payee_account = forms.CharField(
        label=gettext_lazy("bank account"), max_length=40, required=False
    )

    def payee(self) -> dict | None:
        d = self.cleaned_data
        if not (d["payee_name"] or d["payee_bank"] or d["payee_account"]):
            return None
        return {"name": d["payee_name"], "bank": d["payee_bank"], "account": d["payee_account"]}


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=Attachment.Kind.choices)
    file = forms.FileField(label=gettext_lazy("file"))


class EnrolmentForm(forms.Form):
    suspend = forms.BooleanField(required=False)
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=services.MAX_TEXT)


class StepForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in workflow.TRANSITIONS])
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = forms.CharField(required=False, max_length=services.MAX_TEXT)
    findings = forms.CharField(required=False, max_length=services.MAX_TEXT)
    visit_date = forms.DateField(required=False)


class ProgrammeForm(forms.Form):
    programme = forms.CharField(max_length=32)
    included = forms.BooleanField(required=False)
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=services.MAX_TEXT)
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class ObjectionForm(forms.Form):
    raised_on = forms.DateField(label=gettext_lazy("raised on"))
    content = forms.CharField(label=gettext_lazy("objection"), max_length=services.MAX_TEXT)
    objector = forms.CharField(label=gettext_lazy("raised by"), max_length=80, required=False)
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class ResolutionForm(forms.Form):
    upheld = forms.BooleanField(required=False)
    resolution = forms.CharField(label=gettext_lazy("resolution"), max_length=services.MAX_TEXT)
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)


def _change(request: HttpRequest, case_number: str, form: forms.Form, change) -> HttpResponse:
    """A change of a case posted from its page: the form checked, the service called, back
    to the case (or the refusal with its status)."""
    if not form.is_valid():
        return _form_error(request, form)
    try:
        change(form.cleaned_data)
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(request, gettext("Saved."))
    return redirect("cases:case", case_number=case_number)


@login_required
@require_POST
def case_programme(request: HttpRequest, case_number: str) -> HttpResponse:
    """Add or drop a programme the rules proposed (or not), with a reason."""
    return _change(
        request,
        case_number,
        ProgrammeForm(request.POST),
        lambda d: services.programme_set(
            user=request.user,
            request=request,
            number=case_number,
            programme=d["programme"],
            included=d["included"],
            reason=d["reason"],
            version=d["version"],
        ),
    )


@login_required
@require_POST
def objection_new(request: HttpRequest, case_number: str) -> HttpResponse:
    return _change(
        request,
        case_number,
        ObjectionForm(request.POST),
        lambda d: services.objection_record(
            user=request.user,
            request=request,
            number=case_number,
            version=d["version"],
            raised_on=d["raised_on"],
            content=d["content"],
            objector=d["objector"],
        ),
    )


@login_required
@require_POST
def objection_resolution(request: HttpRequest, case_number: str, objection_id: int) -> HttpResponse:
    return _change(
        request,
        case_number,
        ResolutionForm(request.POST),
        lambda d: services.objection_resolve(
            user=request.user,
            request=request,
            number=case_number,
            version=d["version"],
            objection_id=objection_id,
            upheld=d["upheld"],
            resolution=d["resolution"],
        ),
    )


def _form_error(request: HttpRequest, form: forms.Form) -> HttpResponse:
    text = "; ".join(
        f"{form.fields[name].label or name}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )
    return refused(request, text, "bad_form")


@login_required
@permission_required(roles.VIEW_CASE)
def worklist(request: HttpRequest) -> HttpResponse:
    """Mine, due soon, overdue, returned: the open cases of the user's scope."""
    lists = selectors.worklist(request.user)
    initial = {"as_of": services.default_as_of(), "channel": Case.Channel.COUNTER}
    context = {
        "today": timezone.localdate(),
        "lists": [
            (
                key,
                label,
                [(c, workflow.STATES[c.state]) for c in lists[key][:50]],
                lists[key].count(),
            )
            for key, label in selectors.WORKLISTS.items()
        ],
        "overdue_by_region": selectors.overdue_by_region(request.user),
        "form": NewCaseForm(initial=initial) if request.user.has_perm(roles.OPEN_CASE) else None,
        "queue": selectors.approval_queue(request.user).count()
        if request.user.has_perm(roles.APPROVE_CASE)
        else None,
    }
    return render(request, "cases/worklist.html", context)


@login_required
@require_POST
@permission_required(roles.OPEN_CASE)
def case_new(request: HttpRequest) -> HttpResponse:
    form = NewCaseForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        case = services.case_open(
            user=request.user,
            request=request,
            household_id=form.cleaned_data["household_id"].strip(),
            channel=form.cleaned_data["channel"],
            as_of=form.cleaned_data["as_of"],
            payee=form.payee(),
        )
    except TranslatableError as exc:
        return refused(request, exc)
    return redirect("cases:case", case_number=case.number)


@login_required
@require_POST
def attachment_new(request: HttpRequest, case_number: str) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        services.attachment_add(
            user=request.user,
            request=request,
            number=case_number,
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
        )
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(request, gettext("Saved."))
    return redirect("cases:case", case_number=case_number)


@login_required
@permission_required(roles.VIEW_CASE)
def attachment_file(request: HttpRequest, case_number: str, attachment_id: int) -> HttpResponse:
    from django.http import FileResponse

    try:
        found = services.attachment_get(
            user=request.user, request=request, number=case_number, pk=attachment_id
        )
    except TranslatableError as exc:
        return refused(request, exc)
    kinds = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
    ext = found.file.name.rsplit(".", 1)[-1]
    return FileResponse(
        found.file.open("rb"), content_type=kinds.get(ext, "application/octet-stream")
    )


@login_required
@require_POST
def enrolment_status(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """Suspend an enrolment, or lift the suspension, with a reason (from its case's page)."""
    form = EnrolmentForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        enrolment = reviews.enrolment_suspend(
            user=request.user,
            request=request,
            pk=enrolment_id,
            suspend=form.cleaned_data["suspend"],
            reason=form.cleaned_data["reason"],
        )
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(request, gettext("Saved."))
    return redirect("cases:case", case_number=enrolment.case.number)


@login_required
@permission_required(roles.VIEW_CASE)
def decision_pdf(request: HttpRequest, case_number: str) -> HttpResponse:
    """The decision letter of a decided case (masked as printed)."""
    try:
        case = services.case_get(user=request.user, request=request, number=case_number)
    except TranslatableError as exc:
        return refused(request, exc)
    if case.state not in workflow.FINAL:
        return refused(
            request,
            services.CaseError(
                "not_decided",
                gettext_noop("Case %(number)s is not decided yet."),
                status=409,
                number=case.number,
            ),
        )
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="case",
        object_id=case.number,
        region_code=case.region_code,
        fields=["decision_letter"],
    )
    return _pdf(exports.decision_letter_pdf(case), f"{case.number}.pdf")


@login_required
@permission_required(roles.VIEW_CASE)
def notice_pdf(request: HttpRequest) -> HttpResponse:
    """The public-notice list of the user's scope: the cases now in public notice."""
    from minzheng.verification.services import lake

    cases = list(
        Case.objects.for_user(request.user)
        .filter(state=workflow.PUBLIC_NOTICE)
        .order_by("region_code", "number")[:2000]
    )
    names = {}
    source = lake()
    with source.lock:
        for case in cases:
            found = source.lookup.household(case.household_id)
            head = next((m for m in found.members if m.get("relation") == "head"), None)
            names[case.household_id] = (head or {}).get("name", "")
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="public_notice",
        object_id=str(request.user.region_id or ""),
        region_code=str(request.user.region_id or ""),
        fields=["notice_list"],
    )
    return _pdf(
        exports.notice_list_pdf(cases, names, str(request.user.region_id or "")), "notice.pdf"
    )


def _pdf(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@permission_required(roles.VIEW_CASE)
def case_page(request: HttpRequest, case_number: str) -> HttpResponse:
    try:
        case = services.case_get(user=request.user, request=request, number=case_number)
    except TranslatableError as exc:
        return refused(request, exc)
    personal_data_read(
        actor=request.user,
        request=request,
        object_type="case",
        object_id=case.number,
        region_code=case.region_code,
        fields=["household", "programmes", "timeline"],
    )
    steps = [
        (action, workflow.ACTIONS[action])
        for action in workflow.allowed_actions(case.state)
        if request.user.has_perm(services.permission_for(case, action))
    ]
    may_change = request.user.has_perm(roles.CHANGE_CASE)
    context = {
        "case": case,
        "state": workflow.STATES[case.state],
        "may_choose": may_change and case.state in (workflow.VERIFYING, workflow.TOWNSHIP_REVIEW),
        "may_object": may_change and case.state == workflow.PUBLIC_NOTICE,
        "programmes": [
            (p, exports.programme_label(p.programme)) for p in case.programmes.order_by("programme")
        ],
        "events": [
            (
                e,
                workflow.ACTIONS.get(e.action) or workflow.EVENTS.get(e.action, e.action),
                workflow.STATES.get(e.to_state, e.to_state),
            )
            for e in case.events.select_related("actor")
        ],
        "objections": case.objections.all(),
        "steps": steps,
        "attachments": case.attachments.all(),
        "attachment_form": AttachmentForm()
        if may_change and case.state not in workflow.FINAL
        else None,
        "enrolments": [
            (e, exports.programme_label(e.programme), exports.shown_beneficiary(e.beneficiary))
            for e in case.enrolments.order_by("programme", "beneficiary")
        ],
        "may_suspend": may_change,
        "payee": {
            "name": mask_name(case.payee.get("name", "")),
            "bank": case.payee.get("bank", ""),
            "account": idcard.mask(case.payee.get("account", "")),
        }
        if case.payee
        else None,
    }
    return render(request, "cases/case.html", context)


@login_required
@require_POST
def case_action(request: HttpRequest, case_number: str) -> HttpResponse:
    form = StepForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    data = form.cleaned_data
    try:
        case = services.case_act(
            user=request.user,
            request=request,
            number=case_number,
            action=data["action"],
            version=data["version"],
            reason=data["reason"],
            findings=data["findings"],
            visit_date=data["visit_date"],
        )
    except TranslatableError as exc:
        return refused(request, exc)
    messages.success(
        request,
        gettext("Case %(number)s: %(step)s done.")
        % {"number": case.number, "step": workflow.ACTIONS[data["action"]]},
    )
    return redirect("cases:case", case_number=case.number)


@login_required
@permission_required(roles.APPROVE_CASE)
def queue(request: HttpRequest) -> HttpResponse:
    """The county's cases waiting for a decision; approve the chosen ones in one action."""
    if request.method == "POST":
        numbers = request.POST.getlist("numbers")[:MAX_BULK]
        if request.POST.get("all") == "1":
            numbers = list(
                selectors.approval_queue(request.user).values_list("number", flat=True)[:MAX_BULK]
            )
        result = services.case_approve_many(user=request.user, request=request, numbers=numbers)
        messages.success(
            request,
            gettext("%(approved)s cases approved, %(refused)s refused.")
            % {"approved": len(result["approved"]), "refused": len(result["refused"])},
        )
        for number, reason in list(result["refused"].items())[:20]:
            messages.warning(request, f"{number}: {services.refusal_label(reason)}")
        return redirect("cases:queue")
    cases = selectors.approval_queue(request.user)
    page = Paginator(cases, 100).get_page(request.GET.get("page", 1))
    return render(
        request,
        "cases/queue.html",
        {"page": page, "total": cases.count(), "today": timezone.localdate()},
    )
