"""The one place where records are restricted to a user's region subtree.

A region-scoped model names, in `region_lookup`, the lookup path to the region code it
belongs to (``"code"``, ``"region__code"``, ``"region_code"``) and uses
`RegionScopedQuerySet` as its default manager. Views, the API, the admin and the CLI
ask ``Model.objects.for_user(user)``; none filters by region on its own.

A record that concerns several regions (a department's delivery covers counties) names a
JSON list of codes and sets ``region_lookup_is_list = True``: it is in a subtree when one
of its codes is, and a list naming no region belongs to the root (the province) alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models.functions import Cast
from django.db.models.lookups import Contains

if TYPE_CHECKING:
    from minzheng.regions.models import Region


class RegionScopedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to a region subtree or to what a user may see."""

    def within(self, region: Region) -> Self:
        """Rows whose region lies in `region`'s subtree (the region itself included)."""
        lookup = self.model.region_lookup  # type: ignore[attr-defined]
        if getattr(self.model, "region_lookup_is_list", False):
            return self.filter(_any_code_within(lookup, region))
        return self.filter(**{f"{lookup}__startswith": region.prefix})

    def for_user(self, user: Any) -> Self:
        """Rows inside the user's region scope; nothing for anonymous, inactive or unscoped."""
        region = user_scope(user)
        if region is None:
            return self.none()
        return self.within(region)


def _any_code_within(lookup: str, region: Region) -> models.Q:
    """A JSON list of region codes naming one in `region`'s subtree. Searched in the list's
    JSON text, which SQLite and PostgreSQL both give: each code is a JSON string, so each
    starts right after a quote (`["330102", "330106"]`), and codes are digits only."""
    condition = models.Q(Contains(Cast(lookup, models.TextField()), f'"{region.prefix}'))
    if region.parent_id is None:  # the root also holds the rows that name no region
        condition |= models.Q(**{lookup: []})
    return condition


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
