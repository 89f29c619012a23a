"""Document numbers of the form <kind><county><yyyymmdd><sequence of the day in the county>
(核对报告 HD…, 救助事项 JZ…), unique in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
ATTEMPTS = 5


def create_numbered(
    model: Any, kind: str, region_code: str, create: Callable[[str], T], width: int = 5
) -> T:
    """Run `create(number)` in a transaction with the county's next number of the day; when a
    concurrent writer took that number (the unique constraint says so), with the next one."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    prefix = f"{kind}{region_code[:6]}{timezone.localdate():%Y%m%d}"
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                last = (
                    model.objects.filter(number__startswith=prefix)
                    .order_by("-number")
                    .values_list("number", flat=True)
                    .first()
                )
                sequence = int(last[len(prefix) :]) + 1 if last else 1
                return create(f"{prefix}{sequence:0{width}d}")
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
