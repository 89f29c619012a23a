"""Reads over accounts: the region of a login name, the accounts locked out now, and what an
administrator may grant."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from minzheng.accounts.models import LockedAccount, User

# Failed logins on a name that is no account concern the province's administrators.
PROVINCE_CODE = "330000"


def account_region_code(username: str) -> str:
    """The region code of the account with this user name, or the province's if there is none."""
    code = User.objects.filter(username=username).values_list("region_id", flat=True).first()
    return code or PROVINCE_CODE


def accounts_locked_out(*, user: Any) -> QuerySet[LockedAccount]:
    """Accounts in the user's scope that django-axes locks out now, newest lockout first.

    An account is locked while its failures within the cool-off time reach the limit (the
    rule of axes' database handler, which counts by user name only here); each row carries
    `failures`, `last_failure` and `last_address`.
    """
    attempts = AccessAttempt.objects.filter(
        username=OuterRef("username"), attempt_time__gte=timezone.now() - get_cool_off()
    )
    failures = attempts.values("username").annotate(total=Sum("failures_since_start"))
    latest = attempts.order_by("-attempt_time")
    return (
        LockedAccount.objects.for_user(user)
        .annotate(
            failures=Subquery(failures.values("total")),
            last_failure=Subquery(latest.values("attempt_time")[:1]),
            last_address=Subquery(latest.values("ip_address")[:1]),
        )
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_failure")
    )


def permissions_grantable(*, user: Any) -> QuerySet[Permission]:
    """The permissions the user may grant: every one for a superuser, else those they hold."""
    if not user.is_active:
        return Permission.objects.none()
    if user.is_superuser:
        return Permission.objects.all()
    # Held through the role, directly or through a group: every backend's "app.codename".
    held = Q(pk__in=[])
    for name in user.get_all_permissions():
        app_label, codename = name.split(".", 1)
        held |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(held)


def groups_grantable(*, user: Any) -> QuerySet[Group]:
    """The groups the user may grant: those whose every permission the user may grant."""
    if not user.is_active:
        return Group.objects.none()
    if user.is_superuser:
        return Group.objects.all()
    beyond = Permission.objects.exclude(pk__in=permissions_grantable(user=user).values("pk"))
    return Group.objects.exclude(permissions__in=beyond)
