"""Writes to user accounts."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from minzheng.accounts.models import Role, User
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
