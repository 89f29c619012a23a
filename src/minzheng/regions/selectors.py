"""Reads over the region hierarchy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import Substr

from minzheng.regions.levels import Level, parent_code_of
from minzheng.regions.models import Region


def ancestor_codes(code: str) -> list[str]:
    """Codes from the province down to the parent of `code`, derived from the code alone."""
    codes: list[str] = []
    current = parent_code_of(code)
    while current is not None:
        codes.append(current)
        current = parent_code_of(current)
    return list(reversed(codes))


def region_ancestors(region: Region) -> list[Region]:
    """The region's ancestors, province first, in one query."""
    by_code = Region.objects.in_bulk(ancestor_codes(region.code))
    return [by_code[c] for c in ancestor_codes(region.code) if c in by_code]


def region_path(region: Region) -> list[Region]:
    """Ancestors and the region itself, province first."""
    return [*region_ancestors(region), region]


def region_path_names(region: Region, sep: str = " / ") -> str:
    """浙江省 / 杭州市 / 上城区 / …"""
    return sep.join(r.name for r in region_path(region))


def region_children(region: Region):
    """The regions directly below, ordered by code."""
    return Region.objects.filter(parent=region).order_by("code")


def region_descendants(region: Region, level: Level | str | None = None):
    """Every region strictly below `region`, optionally only those of one level."""
    qs = Region.objects.within(region).exclude(code=region.code)
    if level is not None:
        qs = qs.filter(level=Level(level).value)
    return qs


@dataclass(frozen=True)
class ChildSummary:
    region: Region
    counts: dict[str, int]  # level → number of regions of that level in the child's subtree


def region_children_with_counts(region: Region) -> list[ChildSummary]:
    """Each child with how many regions of each lower level it holds, in two queries."""
    child_level = region.level_enum.child
    if child_level is None:
        return []
    children = list(region_children(region))
    width = child_level.prefix_length
    rows = (
        region_descendants(region)
        .exclude(level=child_level.value)
        .annotate(stem=Substr("code", 1, width))
        .values("stem", "level")
        .annotate(n=Count("code"))
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["stem"], {})[row["level"]] = row["n"]
    return [ChildSummary(child, counts.get(child.prefix, {})) for child in children]


def counts_by_child_region(user, queryset, conditions: dict) -> list[tuple]:
    """(code, name, count per condition …) for each region one level below the user's that
    has rows of `queryset` (already in the user's scope), in code order, and for the user's
    own region when rows are kept at its level. `conditions` maps a name to a Q; the region
    is the first digits of the rows' `region_lookup`."""
    from django.db.models import Q

    from minzheng.regions.scoping import user_scope

    region = user_scope(user)
    child = region.level_enum.child if region is not None else None
    if child is None:
        return []
    lookup = queryset.model.region_lookup
    rows = (
        queryset.order_by()
        .annotate(part=Substr(lookup, 1, child.prefix_length))
        .values("part")
        # Counted by the region code (never null in a scope) rather than the key, so that an
        # index of the region code and the conditions' columns answers without the table.
        .annotate(**{name: Count(lookup, filter=q or Q()) for name, q in conditions.items()})
    )
    # A row of the user's own level (a public report kept by the township, say) is counted
    # under the user's region itself, not under a child code made up of zeros.
    counts = {
        r["part"]
        if len(r["part"]) < child.prefix_length
        else r["part"].ljust(child.code_length, "0"): r
        for r in rows
    }
    names = dict(Region.objects.filter(code__in=counts).values_list("code", "name"))
    return [
        (code, names.get(code, code), *(counts[code][name] for name in conditions))
        for code in sorted(counts)
    ]
