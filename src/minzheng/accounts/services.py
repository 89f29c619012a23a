"""Writes to user accounts."""

from __future__ import annotations

from collections.abc import Iterable

from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from minzheng.accounts.models import Role, User
from minzheng.accounts.selectors import groups_grantable, permissions_grantable
from minzheng.audit.services import audit_record
from minzheng.regions.models import Region


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: Role | str,
    region: Region,
    full_name: str = "",
) -> User:
    """Create a user after checking the role/region pairing and the password policy."""
    user = User(
        username=username,
        role=Role(role),
        region=region,
        first_name=full_name,
        # Administrators use the admin site; what they may do there is their role's
        # permissions (accounts.roles), never every permission: no one is a superuser.
        is_staff=Role(role) == Role.ADMINISTRATOR,
    )
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str) -> None:
    """Change a password under the password policy."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def account_unlock(*, actor: User, account: User, request: HttpRequest | None = None) -> int:
    """Lift the lockout of an account in the actor's scope (its failed attempts are forgotten),
    audited; returns how many attempt records were removed."""
    if not User.objects.for_user(actor).filter(pk=account.pk).exists():
        raise PermissionDenied
    removed = axes_reset(username=account.get_username())
    audit_record(
        actor=actor,
        action="unlock",
        request=request,
        object_type="username",
        object_id=account.get_username(),
        region_code=account.region_id or "",
        detail={"attempts": removed},
    )
    return removed


@transaction.atomic
def user_grants_set(
    *,
    actor: User,
    user: User,
    groups: Iterable[Group],
    permissions: Iterable[Permission],
    request: HttpRequest | None = None,
) -> None:
    """Give a user of the actor's scope these groups and permissions, all grantable by the
    actor; those the actor may not grant stay as they were. A change is audited."""
    if not User.objects.for_user(actor).filter(pk=user.pk).exists():
        raise PermissionDenied
    grantable_groups = set(groups_grantable(user=actor).values_list("pk", flat=True))
    grantable_permissions = set(permissions_grantable(user=actor).values_list("pk", flat=True))
    group_ids = {g.pk for g in groups}
    permission_ids = {p.pk for p in permissions}
    if not group_ids <= grantable_groups or not permission_ids <= grantable_permissions:
        raise PermissionDenied
    before_groups = set(user.groups.values_list("pk", flat=True))
    before_permissions = set(user.user_permissions.values_list("pk", flat=True))
    after_groups = group_ids | (before_groups - grantable_groups)
    after_permissions = permission_ids | (before_permissions - grantable_permissions)
    if (after_groups, after_permissions) == (before_groups, before_permissions):
        return
    user.groups.set(after_groups)
    user.user_permissions.set(after_permissions)
    audit_record(
        actor=actor,
        action="grant",
        request=request,
        object_type="username",
        object_id=user.get_username(),
        region_code=user.region_id or "",
        detail={
            "groups_added": _group_names(after_groups - before_groups),
            "groups_removed": _group_names(before_groups - after_groups),
            "permissions_added": _permission_names(after_permissions - before_permissions),
            "permissions_removed": _permission_names(before_permissions - after_permissions),
        },
    )


def _group_names(ids: set[int]) -> list[str]:
    return sorted(Group.objects.filter(pk__in=ids).values_list("name", flat=True))


def _permission_names(ids: set[int]) -> list[str]:
    """As `app_label.codename`, the form `has_perm` takes."""
    rows = Permission.objects.filter(pk__in=ids).values_list("content_type__app_label", "codename")
    return sorted(f"{app}.{codename}" for app, codename in rows)
