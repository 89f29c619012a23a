"""Checking a permission: a refusal is a 403 with its reason, and is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from minzheng.audit.models import Outcome
from minzheng.audit.services import audit_record, refusal_record
from minzheng.lib.i18n import RequestError, gettext_noop


class PermissionRefused(RequestError):
    """The user's role (and grants) do not include the permission."""


def require(
    user: Any,
    permission: str,
    *,
    request: HttpRequest | None = None,
    object_type: str = "",
    object_id: str = "",
) -> None:
    """Pass when `user` holds `permission`; otherwise audit the refusal and raise."""
    if user.has_perm(permission):
        return
    region = getattr(user, "region_id", None) or ""
    audit_record(
        actor=user,
        action="permission_denied",
        request=request,
        object_type=object_type,
        object_id=str(object_id)[:150],
        region_code=region,
        outcome=Outcome.DENIED,
        detail={"permission": permission, "path": request.path[:300] if request else ""},
    )
    raise PermissionRefused(
        "permission_denied",
        gettext_noop("Your role does not permit this (%(permission)s)."),
        status=403,
        permission=permission,
    )


def not_found(
    error: type[RequestError],
    code: str,
    message: str,
    *,
    user: Any,
    request: HttpRequest | None,
    action: str,
    object_type: str,
    object_id: Any,
    **params: Any,
) -> NoReturn:
    """An object that does not exist and one outside the user's scope get the same 404, so
    that the answer does not tell them apart; the refusal is audited."""
    refusal_record(
        actor=user,
        request=request,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason="not_found_or_out_of_scope",
    )
    raise error(code, message, status=404, **params)


def permission_required(permission: str) -> Callable:
    """A page for holders of `permission`: others get the 403 page, whose handler audits the
    refusal (Django's own decorator would redirect to the login page)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any):
            if not request.user.has_perm(permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
