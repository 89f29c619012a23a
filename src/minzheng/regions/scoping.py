"""The one place where records are restricted to a user's region subtree.

A region-scoped model names, in `region_lookup`, the lookup path to the region code it
belongs to (``"code"``, ``"region__code"``, ``"region_code"``) and uses
`RegionScopedQuerySet` as its default manager. Views, the API, the admin and the CLI
ask ``Model.objects.for_user(user)``; none filters by region on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models

if TYPE_CHECKING:
    from minzheng.regions.models import Region


class RegionScopedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to a region subtree or to what a user may see."""

    def within(self, region: Region) -> Self:
        """Rows whose region lies in `region`'s subtree (the region itself included)."""
        lookup = self.model.region_lookup  # type: ignore[attr-defined]
        return self.filter(**{f"{lookup}__startswith": region.prefix})

    def for_user(self, user: Any) -> Self:
        """Rows inside the user's region scope; nothing for anonymous, inactive or unscoped."""
        region = user_scope(user)
        if region is None:
            return self.none()
        return self.within(region)


def user_scope(user: Any) -> Region | None:
    """The region whose subtree the user may see; None for anonymous, inactive or unscoped."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "region", None)


def code_in_scope(user: Any, region_code: str) -> bool:
    """Whether a record outside the database (a lake household, by its region code) lies in
    the user's scope: the same rule as `for_user`."""
    region = user_scope(user)
    return region is not None and str(region_code).startswith(region.prefix)


def is_region_scoped(model: type[models.Model]) -> bool:
    """True when the model declares a region lookup and its default manager scopes by it."""
    return hasattr(model, "region_lookup") and isinstance(
        model._default_manager.all(), RegionScopedQuerySet
    )
