"""The Chinese web shell: login, home, logout and the lockout page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from minzheng.lib.i18n import TranslatableError
from minzheng.regions.levels import Level
from minzheng.regions.models import Region
from minzheng.regions.selectors import region_children_with_counts, region_path


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def locked_out(
    request: HttpRequest, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    """Shown instead of the login form while an account is locked (django-axes calls this)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return render(
        request,
        "web/locked_out.html",
        {
            "username": username,
            "failure_limit": settings.LOGIN_FAILURE_LIMIT,
            "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
        },
        status=429,
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's region, its path and its children with how many regions each holds."""
    region = request.user.region
    # Count columns: only the levels below the children's own level.
    child_level = region.level_enum.child
    below = [] if child_level is None else list(Level)[child_level.depth + 1 :]
    rows = [
        (summary.region, [summary.counts.get(level.value, 0) for level in below])
        for summary in region_children_with_counts(region)
    ]
    return render(
        request,
        "web/home.html",
        {
            "region": region,
            "path": region_path(region),
            "count_labels": [Region.Levels(level.value).label for level in below],
            "rows": rows,
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES,
            "worklist": _worklist(request.user),
        },
    )


def _worklist(user) -> list[tuple[str, str, int]]:
    """A caseworker's day starts here: how many cases are overdue, due soon, returned."""
    from minzheng.accounts import roles
    from minzheng.cases import selectors

    if not user.has_perm(roles.OPEN_CASE):
        return []
    lists = selectors.worklist(user)
    return [(key, label, lists[key].count()) for key, label in selectors.WORKLISTS.items()]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Every 403 of the pages and the admin: the refusal goes to the audit log."""
    if getattr(request.user, "is_authenticated", False):
        from minzheng.audit.services import refusal_record

        refusal_record(
            actor=request.user,
            request=request,
            action="permission_denied",
            object_type="page",
            object_id=request.path,
            reason=str(exception or "")[:200],
        )
    return render(request, "403.html", status=403)


def refused(request: HttpRequest, error: Any, code: str = "", status: int | None = None):
    """The page of a request the platform refused: the translated reason (a
    `TranslatableError`, or a text with its code) and its status (400 by default)."""
    if isinstance(error, TranslatableError):
        text, code, status = error.translated(), error.code, status or getattr(error, "status", 400)
    else:
        text = str(error)
    return render(
        request, "web/refused.html", {"error": text, "error_code": code}, status=status or 400
    )
