"""Login events go to the audit log (Django and django-axes only announce them as signals)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from minzheng.accounts.selectors import account_region_code
from minzheng.audit.models import Outcome
from minzheng.audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action="login", request=request, region_code=user.region_id or "")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, action="logout", request=request, region_code=user.region_id or "")


# Failures and lockouts carry the account's region, so that its administrators see them.
@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        actor=None,
        action="login",
        request=request,
        object_type="username",
        object_id=username,
        region_code=account_region_code(username),
        outcome=Outcome.FAILURE,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    username = str(username or "")[:150]
    audit_record(
        actor=None,
        action="lockout",
        request=request,
        object_type="username",
        object_id=username,
        region_code=account_region_code(username),
        outcome=Outcome.DENIED,
    )
