"""Users with one role and one region scope."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.levels import Level
from minzheng.regions.models import Region
from minzheng.regions.scoping import RegionScopedQuerySet


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("caseworker")
    APPROVER = "approver", _("approver")
    ANALYST = "analyst", _("analyst")
    DATA_STEWARD = "data_steward", _("data steward")
    ADMINISTRATOR = "administrator", _("administrator")
    ASSESSOR = "assessor", _("assessor")


# Which levels a role's region may have (township/village caseworkers, county approvers …).
ROLE_LEVELS: dict[str, frozenset[Level]] = {
    Role.CASEWORKER: frozenset({Level.TOWNSHIP, Level.VILLAGE}),
    Role.APPROVER: frozenset({Level.COUNTY}),
    Role.ANALYST: frozenset({Level.CITY, Level.PROVINCE}),
    Role.DATA_STEWARD: frozenset(Level),
    Role.ADMINISTRATOR: frozenset(Level),
    Role.ASSESSOR: frozenset({Level.COUNTY, Level.TOWNSHIP}),
}


class ScopedUserManager(UserManager.from_queryset(RegionScopedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A platform user; everything they see is limited to `region`'s subtree."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        related_name="users",
    )

    region_lookup = "region__code"
    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        if self.region_id is None:
            raise ValidationError({"region": _("Every user needs a region scope.")})
        allowed = ROLE_LEVELS.get(self.role)
        if allowed is None:
            raise ValidationError({"role": _("Unknown role %(role)r.") % {"role": self.role}})
        if self.region.level_enum not in allowed:
            raise ValidationError(
                {
                    "region": _("A %(role)s works at %(levels)s level; %(region)s is a %(level)s.")
                    % {
                        "role": self.get_role_display(),
                        "levels": "/".join(
                            str(Region.Levels(level.value).label)
                            for level in sorted(allowed, key=lambda lv: lv.depth)
                        ),
                        "region": self.region,
                        "level": self.region.get_level_display(),
                    }
                }
            )


class LockedAccount(User):
    """A user seen as a lockout (the admin's list of locked accounts); no table of its own."""

    class Meta:
        proxy = True
        verbose_name = _("locked account")
        verbose_name_plural = _("locked accounts")
        default_permissions = ()  # reading and unlocking need the user permissions
