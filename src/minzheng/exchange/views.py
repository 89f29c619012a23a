"""The data steward's pages (数据管理): deliveries, freshness per feed and county, and a
delivery's quarantine (masked)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import permission_required
from minzheng.exchange import present, selectors, services
from minzheng.exchange.feeds import FEEDS
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten


def _freshness(request: HttpRequest, feeds: list[str] | None = None):
    return selectors.freshness(
        request.user,
        today=timezone.localdate(),
        stale_days=settings.VERIFY_STALE_DAYS,
        feeds=feeds,
    )


@login_required
@permission_required(roles.VIEW_DELIVERY)
def deliveries(request: HttpRequest) -> HttpResponse:
    """Freshness of each feed over the counties of the user's scope, then the deliveries,
    newest first, a page at a time, of one feed if asked."""
    feed = request.GET.get("feed", "")
    context: dict = {
        "feed": feed,
        "feeds": [(name, present.feed_label(name)) for name in FEEDS],
        "stale_days": settings.VERIFY_STALE_DAYS,
        "summary": _freshness(request),
    }
    if feed and feed not in FEEDS:
        error = services.DeliveryError(
            "unknown_feed",
            gettext_noop("%(feed)s is not a feed; choose one from the list."),
            feed=shorten(feed),
        )
        context |= {"error": error.translated(), "error_code": error.code, "feed": ""}
        return render(request, "exchange/deliveries.html", context, status=400)
    listing = Paginator(
        selectors.deliveries_in_scope(request.user, feed=feed or None),
        selectors.DELIVERIES_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    names = selectors.county_names(code for d in listing for code in d.counties[:3])
    context["page"] = listing
    context["rows"] = [
        {
            "delivery": d,
            "feed_label": present.feed_label(d.feed),
            "counties": present.counties_shown(d, names),
        }
        for d in listing
    ]
    return render(request, "exchange/deliveries.html", context)


@login_required
@permission_required(roles.VIEW_DELIVERY)
def freshness(request: HttpRequest, feed: str) -> HttpResponse:
    """One feed in every county of the user's scope: latest as-of date, age, status."""
    found = _freshness(request, [feed])
    if not found:
        error = services.DeliveryError(
            "unknown_feed",
            gettext_noop("%(feed)s is not a feed whose deliveries are watched."),
            status=404,
            feed=shorten(feed),
        )
        context = {"error": error.translated(), "error_code": error.code}
        return render(request, "exchange/freshness.html", context, status=404)
    return render(
        request,
        "exchange/freshness.html",
        {"f": found[0], "stale_days": settings.VERIFY_STALE_DAYS},
    )


@login_required
@permission_required(roles.VIEW_DELIVERY)
def quarantine(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """The delivery's outstanding quarantined rows: line and reasons, values masked."""
    try:
        delivery, page = services.quarantine_read(
            user=request.user,
            request=request,
            delivery_id=delivery_id,
            page=request.GET.get("page"),
        )
    except TranslatableError as exc:
        context = {"error": exc.translated(), "error_code": exc.code, "delivery_id": delivery_id}
        return render(
            request, "exchange/quarantine.html", context, status=getattr(exc, "status", 400)
        )
    rows = [
        {"line": r["line"], "reasons": present.reasons_shown(delivery.feed, r["reasons"])}
        for r in page
    ]
    return render(
        request,
        "exchange/quarantine.html",
        {
            "delivery": delivery,
            "feed_label": present.feed_label(delivery.feed),
            "page": page,
            "rows": rows,
            "reasons": sorted(
                (
                    (present.REASON_LABELS.get(code, code), n)
                    for code, n in (delivery.reasons or {}).items()
                ),
                key=lambda item: -item[1],
            ),
        },
    )
