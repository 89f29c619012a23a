"""Loading a delivery: the permission, the as-of rules, idempotency, lineage and the audit
record around the framework-free ingestion (`minzheng.exchange.ingest`)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.services import audit_record, audit_record_many, refusal_record
from minzheng.exchange.feeds import FEEDS
from minzheng.exchange.ingest import ACCEPTED, IngestError, Mapping, ingest, sha256
from minzheng.exchange.models import Delivery
from minzheng.lib.i18n import RequestError, gettext_noop, shorten
from minzheng.policy.household import counties as known_counties
from minzheng.regions.scoping import code_in_scope


class DeliveryError(RequestError):
    """A request about a delivery refused (the page shows it with its status)."""


def _refuse_future(as_of: dt.date) -> None:
    """No delivery or snapshot describes a day that has not come."""
    today = timezone.localdate()
    if as_of > today:
        raise IngestError(
            "future_as_of",
            gettext_noop("--as-of %(date)s is in the future (today is %(today)s)."),
            date=as_of.isoformat(),
            today=today.isoformat(),
        )


def load_delivery(
    *,
    user: Any,
    path: Path,
    feed: str,
    as_of: dt.date,
    mapping: Path | None = None,
    encoding: str | None = None,
    county: str | None = None,
    backfill: bool = False,
    corrects: int | None = None,
) -> tuple[Delivery, bool]:
    """Load one file of one feed; returns (the delivery, whether it is new). The same file
    delivered again changes nothing and returns the first delivery."""
    require(user, roles.LOAD_FEED, object_type="delivery", object_id=Path(path).name)
    if feed not in FEEDS:
        raise IngestError(
            "unknown_feed",
            gettext_noop("%(feed)s is not a feed; known feeds: %(known)s."),
            feed=shorten(feed),
            known=", ".join(FEEDS),
        )
    _refuse_future(as_of)
    path = Path(path)
    digest = sha256(path)
    earlier = Delivery.objects.filter(feed=feed, sha256=digest).first()
    if earlier is not None:
        return earlier, False
    original = None
    if corrects is not None:
        original = Delivery.objects.filter(pk=corrects, feed=feed).first()
        if original is None:
            raise IngestError(
                "unknown_delivery",
                gettext_noop("--corrects %(id)s: no delivery of %(feed)s has that number."),
                id=corrects,
                feed=feed,
            )
        as_of = original.as_of  # a correction completes its delivery, at its date
    latest = Delivery.objects.filter(feed=feed, corrects=None).order_by("-as_of").first()
    if original is None and latest is not None and as_of < latest.as_of and not backfill:
        raise IngestError(
            "older_than_last",
            gettext_noop(
                "--as-of %(date)s is older than the last delivery of %(feed)s (%(last)s); "
                "load it with --backfill if it is meant to fill the past."
            ),
            date=as_of.isoformat(),
            feed=feed,
            last=latest.as_of.isoformat(),
        )
    rules = Mapping.load(mapping, feed) if mapping else Mapping()
    folder = f"{feed}/{as_of.isoformat()}-{digest[:16]}"
    target = Path(settings.EXCHANGE_DIR) / "deliveries" / folder
    result = ingest(
        path,
        feed,
        as_of,
        target,
        known_counties=known_counties(),
        mapping=rules,
        encoding=encoding,
        county=county,
    )
    outside = [c for c in result.counties if not code_in_scope(user, c)]
    if outside:
        # A steward loads the data of their own counties only: nothing is kept.
        shutil.rmtree(target, ignore_errors=True)
        refusal_record(
            actor=user,
            request=None,
            action="feed_load",
            object_type="delivery",
            object_id=path.name,
            reason="outside_scope",
        )
        raise DeliveryError(
            "counties_outside_scope",
            gettext_noop(
                "%(file)s has rows of counties outside your scope (%(counties)s); nothing was "
                "loaded."
            ),
            status=403,
            file=path.name,
            counties=", ".join(outside[:5]) + (" …" if len(outside) > 5 else ""),
        )
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                feed=feed,
                department=FEEDS[feed].department,
                file_name=path.name[:255],
                sha256=digest,
                size=path.stat().st_size,
                encoding=result.encoding or "",
                as_of=as_of,
                counties=result.counties,
                rows=result.rows,
                accepted=result.accepted,
                quarantined=result.quarantined,
                reasons=result.reasons,
                folder=folder,
                backfill=backfill,
                corrects=original,
                resolves=result.resolved if original is not None else [],
                loaded_by=user,
            )
            audit_record(
                actor=user,
                action="feed_loaded",
                object_type="delivery",
                object_id=str(delivery.pk),
                region_code=getattr(getattr(user, "region", None), "code", ""),
                detail={
                    "feed": feed,
                    "file": path.name,
                    "sha256": digest,
                    "as_of": as_of.isoformat(),
                    "rows": result.rows,
                    "accepted": result.accepted,
                    "quarantined": result.quarantined,
                },
            )
    except IntegrityError:
        # The same file loaded at the same moment by another process: theirs stands.
        shutil.rmtree(target, ignore_errors=True)
        return Delivery.objects.get(feed=feed, sha256=digest), False
    return delivery, True


def store_path(delivery: Delivery) -> Path:
    return Path(settings.EXCHANGE_DIR) / "deliveries" / delivery.folder


def outstanding(delivery: Delivery) -> list[dict]:
    """The delivery's quarantined rows that no correction has re-delivered, in line order:
    line, reasons, and the row as the file had it."""
    import duckdb

    done = {line for c in delivery.corrections.all() for line in c.resolves}
    path = store_path(delivery) / "quarantine.parquet"
    rows = duckdb.sql(
        f"SELECT * FROM read_parquet('{path.as_posix()}') ORDER BY line"
    ).to_arrow_table()
    return [r for r in rows.to_pylist() if r["line"] not in done]


# Reasons whose value is the other lines of the same key, not a value of the row.
LINE_VALUED = frozenset({"duplicate", "duplicate_conflict"})


def masked_reasons(feed: str, reasons: list[dict]) -> list[dict]:
    """Reasons with each offending value masked as its column is (数据分级); the line numbers
    of a duplicate are shown as they are."""
    from minzheng.exchange.feeds import mask_value

    declared = FEEDS.get(feed)
    masks = {c.name: c.mask for c in declared.all_columns} if declared else {}
    out = []
    for reason in reasons:
        if reason.get("code") in LINE_VALUED:
            out.append(dict(reason))
            continue
        # An undeclared column (or none: a malformed line) is masked like a code.
        mask = masks.get(reason.get("column") or "", "code")
        out.append(reason | {"value": mask_value(mask, reason.get("value"))})
    return out


def quarantine_read(
    *, user: Any, request: HttpRequest | None, delivery_id: int, page: int | str | None
) -> tuple[Delivery, Page]:
    """One page of a delivery's outstanding quarantine (line and reasons, values masked by the
    caller), for a steward whose scope meets the delivery's counties. Shown rows are a read of
    personal data: audited in each county of the delivery, so that each county's
    administrators see it. Out of scope or unknown: 404, the refusal audited."""
    from minzheng.exchange import selectors

    require(
        user,
        roles.VIEW_DELIVERY,
        request=request,
        object_type="delivery",
        object_id=str(delivery_id),
    )
    delivery = selectors.delivery_in_scope(user, delivery_id)
    if delivery is None:
        not_found(
            DeliveryError,
            "delivery_not_found",
            gettext_noop("Delivery %(id)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="read_personal",
            object_type="delivery",
            object_id=delivery_id,
            id=delivery_id,
        )
    import duckdb

    try:
        shown = Paginator(
            selectors.QuarantineRows(delivery), selectors.QUARANTINE_PAGE_SIZE
        ).get_page(page)
    except duckdb.Error:
        raise DeliveryError(
            "quarantine_unreadable",
            gettext_noop(
                "The quarantine of delivery %(id)s cannot be read: its files are missing "
                "from the exchange store."
            ),
            status=503,
            id=delivery.pk,
        ) from None
    if shown.object_list:
        lines = [row["line"] for row in shown.object_list]
        regions = delivery.counties or [getattr(user, "region_id", None) or ""]
        audit_record_many(
            actor=user,
            request=request,
            events=[
                {
                    "action": "read_personal",
                    "object_type": "delivery",
                    "object_id": str(delivery.pk),
                    "region_code": code,
                    "detail": {
                        "fields": ["quarantine"],
                        "unmasked": False,
                        "lines": [min(lines), max(lines)],
                        "rows": len(lines),
                    },
                }
                for code in regions
            ],
        )
    return delivery, shown


def export_quarantine(user: Any, delivery: Delivery, out: Path) -> int:
    """Write the outstanding quarantined rows as a CSV to correct and load again with
    `--corrects` (UTF-8 with BOM, so that Excel opens it): the file's own columns, the line
    each row came from and why it was quarantined. A read of personal data: audited."""
    import csv

    require(user, roles.LOAD_FEED, object_type="delivery", object_id=str(delivery.pk))
    rows = outstanding(delivery)
    headers = [k for k in (rows[0] if rows else {}) if k not in ("line", "reasons")]
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*headers, "source_line", "quarantine_reasons"])
        for r in rows:
            reasons = "; ".join(f"{x['column']}: {x['code']}" for x in r["reasons"])
            writer.writerow([*(r[h] or "" for h in headers), r["line"], reasons])
    audit_record(
        actor=user,
        action="quarantine_exported",
        object_type="delivery",
        object_id=str(delivery.pk),
        region_code=getattr(getattr(user, "region", None), "code", ""),
        detail={"rows": len(rows), "file": Path(out).name},
    )
    return len(rows)


def snapshot_sources(as_of: dt.date) -> tuple[dict[str, list[tuple[Path, list[str]]]], dict]:
    """For each feed and county, the latest delivery as of `as_of` that covers the county
    (with its corrections): feed → [(its accepted rows' folder, counties)], and feed →
    delivery ids."""
    sources: dict[str, list[tuple[Path, list[str]]]] = {}
    lineage: dict[str, list[int]] = {}
    chosen = (
        Delivery.objects.filter(as_of__lte=as_of, corrects=None)
        .order_by("feed", "-as_of", "-loaded_at", "-id")
        .prefetch_related("corrections")
    )
    taken: dict[str, set[str]] = {}
    for delivery in chosen:
        have = taken.setdefault(delivery.feed, set())
        counties = [c for c in delivery.counties if c not in have]
        if not counties:
            continue
        have.update(counties)
        for part in [delivery, *delivery.corrections.all()]:
            sources.setdefault(delivery.feed, []).append((store_path(part) / ACCEPTED, counties))
            lineage.setdefault(delivery.feed, []).append(part.pk)
    return sources, lineage


def build_snapshot(*, user: Any, as_of: dt.date, progress=None):
    """Build a snapshot of the deliveries current at `as_of`, make it the one in use, and
    delete the oldest beyond `EXCHANGE_SNAPSHOTS_KEPT`."""
    from minzheng.exchange import snapshot
    from minzheng.exchange.models import Snapshot

    require(user, roles.LOAD_FEED, object_type="snapshot", object_id=as_of.isoformat())
    if not all(code_in_scope(user, c) for c in known_counties()):
        # A snapshot is the province's data in use by everyone: a provincial steward's act.
        refusal_record(
            actor=user,
            request=None,
            action="snapshot_build",
            object_type="snapshot",
            object_id=as_of.isoformat(),
            reason="outside_scope",
        )
        raise DeliveryError(
            "snapshot_needs_province",
            gettext_noop(
                "A snapshot covers the whole province: only a provincial data steward builds it."
            ),
            status=403,
        )
    _refuse_future(as_of)
    sources, lineage = snapshot_sources(as_of)
    stamp = f"{timezone.now():%Y%m%dT%H%M%S}-{as_of:%Y%m%d}"
    name, n = stamp, 1
    while (snapshot.snapshots_dir(settings.EXCHANGE_DIR) / name).exists():
        n += 1  # a second build within the same second
        name = f"{stamp}-{n}"
    manifest = snapshot.build(
        settings.EXCHANGE_DIR, name, as_of, sources, lineage=lineage, progress=progress
    )
    record = Snapshot.objects.create(
        name=name,
        as_of=as_of,
        deliveries=lineage,
        rows={f: t["rows"] for f, t in manifest["tables"].items()},
        missing=manifest["missing"],
        built_by=user,
    )
    audit_record(
        actor=user,
        action="snapshot_built",
        object_type="snapshot",
        object_id=name,
        region_code=getattr(getattr(user, "region", None), "code", ""),
        detail={"as_of": as_of.isoformat(), "missing": manifest["missing"]},
    )
    removed = snapshot.prune(settings.EXCHANGE_DIR, settings.EXCHANGE_SNAPSHOTS_KEPT)
    Snapshot.objects.filter(name__in=removed).update(pruned=True)
    return record


def current_lake() -> Path:
    """The lake that checks and screening read: `MINZHENG_LAKE` when set, else the snapshot
    in use."""
    from minzheng.exchange import snapshot

    if settings.VERIFY_LAKE is not None:
        return Path(settings.VERIFY_LAKE)
    return snapshot.resolve(settings.EXCHANGE_DIR)
