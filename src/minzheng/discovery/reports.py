"""The public reporting channel (一键报送 / 幸福码): anyone reports a person or family in
difficulty on a township's page, reached by the township's QR code. A report becomes a task
for the township (one task for the same report repeated within the quiet period); the reporter
is shown only the reference; an address may report only so often (kept as a keyed hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from minzheng.discovery.models import PublicReport, Task
from minzheng.lib import workdays
from minzheng.lib.i18n import RequestError, gettext_noop

LIMITS = {"location": 200, "description": 2000, "contact": 100}


class ReportError(RequestError):
    """A report refused: the message names the field."""


def township(code: Any):
    """The township of a report page, or None (a page that does not exist)."""
    from minzheng.regions.levels import Level
    from minzheng.regions.models import Region

    code = str(code)
    if not (code.isdigit() and len(code) == 9):
        return None
    return Region.objects.filter(code=code, level=Level.TOWNSHIP).first()


def _clean(value: Any, field: str, required: bool) -> str:
    text = unicodedata.normalize("NFC", str(value or "")).replace("\x00", "").strip()
    if required and not text:
        raise ReportError(
            "report_field_missing", gettext_noop("%(field)s: please fill it in."), field=field
        )
    if len(text) > LIMITS[field]:
        raise ReportError(
            "report_field_too_long",
            gettext_noop("%(field)s: at most %(limit)s characters."),
            field=field,
            limit=LIMITS[field],
        )
    return text


def address_hash(address: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def report_submit(*, township_code: str, address: str, data: dict) -> PublicReport:
    """Record a report and raise (or join) its task; the reference is all the reporter sees."""
    region = township(township_code)
    if region is None:
        raise ReportError(
            "no_such_township", gettext_noop("This reporting page does not exist."), status=404
        )
    location = _clean(data.get("location"), "location", True)
    description = _clean(data.get("description"), "description", True)
    contact = _clean(data.get("contact"), "contact", False)
    hashed = address_hash(address)
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    if PublicReport.objects.filter(address_hash=hashed, created_at__gte=hour_ago).count() >= (
        settings.REPORTS_PER_HOUR
    ):
        raise ReportError(
            "too_many_reports",
            gettext_noop("Too many reports from this address; please try again in an hour."),
            status=429,
        )
    content = hashlib.sha256(
        f"{region.code}\n{location.casefold()}\n{description.casefold()}".encode()
    ).hexdigest()
    today = timezone.localdate()
    county = region.code[:6]
    for attempt in range(3):  # a report saved at the same moment takes the same number
        try:
            return _save(region, location, description, contact, hashed, content, county, today)
        except IntegrityError:
            if attempt == 2:
                raise ReportError(
                    "report_busy",
                    gettext_noop("Please send the report again in a moment."),
                    status=503,
                ) from None
    raise AssertionError("unreachable")


def _save(region, location, description, contact, hashed, content, county, today):
    from minzheng.cases.services import calendar
    from minzheng.discovery.services import parameter

    quiet = timezone.now() - dt.timedelta(days=parameter("discovery.quiet_days", county, today))
    with transaction.atomic():
        same = (
            PublicReport.objects.select_related("task")
            .filter(content_key=content, created_at__gte=quiet)
            .order_by("created_at")
            .first()
        )
        if same is not None:
            task = same.task
        else:
            from minzheng.discovery.services import _number

            task = Task(
                household_id="",
                region_code=region.code,
                source=Task.Source.REPORT,
                as_of=today,
                evidence=[
                    {
                        "source": "report",
                        "what": "report",
                        "person": "",
                        "figures": {"location": location, "description": description},
                    }
                ],
                evidence_key=content,
                priority=float(parameter("discovery.finding_weight", county, today)),
                due_date=workdays.add_workdays(
                    today, parameter("discovery.task_limit", county, today), calendar()
                ),
            )
            _number([task], today)
            task.save()
        report = PublicReport.objects.create(
            reference=f"BS{task.number[2:]}-{PublicReport.objects.filter(task=task).count() + 1}",
            township_code=region.code,
            location=location,
            description=description,
            contact=contact,
            address_hash=hashed,
            content_key=content,
            task=task,
        )
    return report
