"""The role matrix: the one place that says which Django permissions each role holds.

`RoleBackend` grants a user the permissions of their role (on top of what is granted per
user or group in the admin, such as unmasking for one caseworker). Pages, the API, the CLI
and the admin ask `user.has_perm(...)`; none looks at the role itself. docs/security.md shows
this table; a test keeps them equal.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from minzheng.accounts.models import Role

# Verification (家庭经济状况核对)
RECORD_CONSENT = "verification.add_consent"
REVOKE_CONSENT = "verification.change_consent"
VIEW_CONSENT = "verification.view_consent"
RUN_CHECK = "verification.add_check"
VIEW_CHECK = "verification.view_check"
UNMASK = "verification.unmask_personal_data"
# Cases (救助"一件事"): applications through their legal steps to a decision
OPEN_CASE = "cases.add_case"
CHANGE_CASE = "cases.change_case"
VIEW_CASE = "cases.view_case"
APPROVE_CASE = "cases.approve_case"
# Payments (发放): the county's monthly run, the bank's return, re-issues
PAY = "cases.pay"
VIEW_PAYMENT = "cases.view_paymentrun"
# Discovery (主动发现): tasks for the township to visit
VIEW_TASK = "discovery.view_task"
CHANGE_TASK = "discovery.change_task"
VIEW_MONITORING = "discovery.view_regionfigures"  # aggregates only
# Policy simulation (政策仿真): runs over the whole province, aggregates only
RUN_SIMULATION = "simulation.add_simulationrun"
# Elder care (浙里养): capability assessments, recorded and confirmed by two assessors
ASSESS = "eldercare.add_assessment"
VIEW_ASSESSMENT = "eldercare.view_assessment"
VIEW_REGISTER = "eldercare.view_register"  # the register of older people (masked)
# Elder care: alerts for older people living alone; the township acts, the county reads
VIEW_ALERT = "eldercare.view_alert"
CHANGE_ALERT = "eldercare.change_alert"  # acknowledge and resolve
# institutions, beds, staff, consortia and the home services (residents and clients masked)
VIEW_INSTITUTION = "eldercare.view_institution"
# Data exchange (共享交换): deliveries of department feeds and their quarantine
LOAD_FEED = "exchange.load_feed"
VIEW_DELIVERY = "exchange.view_delivery"
# The platform itself
VIEW_AUDIT = "audit.view_auditevent"
USER_ADMIN = ("accounts.view_user", "accounts.add_user", "accounts.change_user")
GROUP_ADMIN = ("auth.view_group", "auth.add_group", "auth.change_group", "auth.view_permission")
REGION_ADMIN = ("regions.view_region", "regions.change_region")
CALENDAR_ADMIN = (
    "cases.view_calendarday",
    "cases.add_calendarday",
    "cases.change_calendarday",
    "cases.delete_calendarday",
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # Township and village: consents and checks of the households of their scope.
    Role.CASEWORKER: frozenset(
        {
            RECORD_CONSENT,
            REVOKE_CONSENT,
            VIEW_CONSENT,
            RUN_CHECK,
            VIEW_CHECK,
            OPEN_CASE,
            CHANGE_CASE,
            VIEW_CASE,
            VIEW_TASK,
            CHANGE_TASK,
            VIEW_MONITORING,
            VIEW_ASSESSMENT,
            VIEW_REGISTER,
            VIEW_ALERT,
            CHANGE_ALERT,
            VIEW_INSTITUTION,
        }
    ),
    # County (and its 核对 centre): reads the county's consents and reports, runs checks and
    # periodic reviews, decides the county's cases, and may unmask (audited). Consents are
    # taken and cases opened by the township.
    Role.APPROVER: frozenset(
        {
            VIEW_CONSENT,
            RUN_CHECK,
            VIEW_CHECK,
            UNMASK,
            VIEW_CASE,
            APPROVE_CASE,
            PAY,
            VIEW_PAYMENT,
            VIEW_TASK,
            VIEW_MONITORING,
            VIEW_ASSESSMENT,
            VIEW_REGISTER,
            VIEW_ALERT,
            VIEW_INSTITUTION,
        }
    ),
    # Township or county assessors (评估人员): assess the older people of their scope; two
    # together, each with their own login.
    Role.ASSESSOR: frozenset({ASSESS, VIEW_ASSESSMENT, VIEW_REGISTER}),
    # City and province: aggregates and the cockpit only, never one person's record.
    Role.ANALYST: frozenset({VIEW_MONITORING, RUN_SIMULATION}),
    # Feeds, quality and quarantine (masked): never a household's check.
    Role.DATA_STEWARD: frozenset({LOAD_FEED, VIEW_DELIVERY}),
    # Users, roles, regions and the audit log; personal data only through a granted unmask.
    Role.ADMINISTRATOR: frozenset(
        {VIEW_AUDIT, *USER_ADMIN, *GROUP_ADMIN, *REGION_ADMIN, *CALENDAR_ADMIN}
    ),
}


class RoleBackend(BaseBackend):
    """Grants an active user the permissions of their role (authenticates nobody)."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not getattr(user_obj, "is_active", False) or obj is not None:
            return set()
        return set(ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), ()))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        """Whether the role holds any permission of the app (the admin lists it then)."""
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
