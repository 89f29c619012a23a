"""Reads for the data steward's pages: the deliveries of the user's scope, how fresh each feed
is in each county, and a delivery's outstanding quarantine a page at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import QuerySet

from minzheng.exchange.feeds import FEEDS, Feed
from minzheng.exchange.models import Delivery
from minzheng.regions.models import Region

DELIVERIES_PAGE_SIZE = 50
QUARANTINE_PAGE_SIZE = 100


def deliveries_in_scope(user: Any, *, feed: str | None = None) -> QuerySet[Delivery]:
    """The deliveries one of whose counties lies in the user's scope, newest first."""
    rows = Delivery.objects.for_user(user).select_related("loaded_by")
    if feed is not None:
        rows = rows.filter(feed=feed)
    return rows.order_by("-loaded_at", "-id")


def delivery_in_scope(user: Any, delivery_id: int) -> Delivery | None:
    """The delivery if it exists and one of its counties lies in the user's scope."""
    return Delivery.objects.for_user(user).filter(pk=delivery_id).first()


def freshness_feeds() -> list[Feed]:
    """The feeds whose freshness is watched: departments' deliveries about residents (the
    civil-affairs registries are kept here, not delivered)."""
    return [f for f in FEEDS.values() if not f.registry]


@dataclass(frozen=True)
class CountyFreshness:
    """One feed in one county: the as-of date of its latest delivery, and whether it is stale
    (older than the threshold) or missing (no delivery covers the county)."""

    code: str
    name: str
    city: str
    as_of: dt.date | None
    age_days: int | None
    status: str  # "fresh", "stale" or "missing"


@dataclass(frozen=True)
class FeedFreshness:
    feed: Feed
    counties: list[CountyFreshness]

    def _count(self, status: str) -> int:
        return sum(1 for c in self.counties if c.status == status)

    @cached_property
    def fresh(self) -> int:
        return self._count("fresh")

    @cached_property
    def stale(self) -> int:
        return self._count("stale")

    @cached_property
    def missing(self) -> int:
        return self._count("missing")

    @cached_property
    def latest(self) -> dt.date | None:
        """The newest as-of date over the counties."""
        return max((c.as_of for c in self.counties if c.as_of), default=None)


def freshness(
    user: Any, *, today: dt.date, stale_days: int, feeds: Iterable[str] | None = None
) -> list[FeedFreshness]:
    """For each watched feed (or those named) and each county of the user's scope, the latest
    delivery's as-of date; stale when more than `stale_days` before `today`, the rule of the
    verification report (`MINZHENG_VERIFY_STALE_DAYS`)."""
    watched = [f for f in freshness_feeds() if feeds is None or f.name in set(feeds)]
    counties = list(
        Region.objects.for_user(user)
        .filter(level=Region.Levels.COUNTY)
        .select_related("parent")
        .order_by("code")
    )
    latest: dict[tuple[str, str], dt.date] = {}
    deliveries = (
        Delivery.objects.for_user(user)
        .filter(feed__in=[f.name for f in watched])
        .order_by()
        .values_list("feed", "as_of", "counties")
    )
    for feed, as_of, codes in deliveries.iterator():
        for code in codes:
            if as_of > latest.get((feed, code), dt.date.min):
                latest[(feed, code)] = as_of

    def county(feed: Feed, region: Region) -> CountyFreshness:
        as_of = latest.get((feed.name, region.code))
        age = None if as_of is None else (today - as_of).days
        status = "missing" if age is None else "stale" if age > stale_days else "fresh"
        city = region.parent.name if region.parent else ""
        return CountyFreshness(region.code, region.name, city, as_of, age, status)

    return [FeedFreshness(f, [county(f, r) for r in counties]) for f in watched]


def county_names(codes: Iterable[str]) -> dict[str, str]:
    """Names of counties by code (public GB/T 2260 names, whoever asks)."""
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


class QuarantineRows:
    """A delivery's quarantined rows that no correction has re-delivered, in line order: the
    line and its reasons only (not the row's other values), read from its Parquet file a page
    at a time (a sequence for Django's Paginator)."""

    def __init__(self, delivery: Delivery) -> None:
        from minzheng.exchange.services import store_path

        self.path = (store_path(delivery) / "quarantine.parquet").as_posix()
        self.done = sorted(
            {
                line
                for c in delivery.corrections.all()
                for line in c.resolves
                if isinstance(line, int)
            }
        )
        self.empty = delivery.quarantined == 0

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        import duckdb
        import pyarrow as pa

        con = duckdb.connect(config={"threads": 1})
        try:
            con.register("done", pa.table({"line": pa.array(self.done, pa.int64())}))
            return con.execute(
                f"SELECT {sql} FROM read_parquet(?) WHERE line NOT IN (SELECT line FROM done)"
                + (" ORDER BY line LIMIT ? OFFSET ?" if params else ""),
                [self.path, *params],
            ).fetchall()
        finally:
            con.close()

    def count(self) -> int:
        return 0 if self.empty else self._fetch("count(*)", [])[0][0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, part: slice) -> list[dict]:
        if self.empty or part.stop <= part.start:
            return []
        rows = self._fetch("line, reasons", [part.stop - part.start, part.start])
        return [{"line": line, "reasons": reasons} for line, reasons in rows]
