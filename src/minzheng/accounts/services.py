"""Writes to user accounts."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from minzheng.accounts.models import Role, User
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
    administrator = Role(role) == Role.ADMINISTRATOR
    user = User(
        username=username,
        role=Role(role),
        region=region,
        first_name=full_name,
        # Administrators pass every permission check, but still only see their scope.
        is_staff=administrator,
        is_superuser=administrator,
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
