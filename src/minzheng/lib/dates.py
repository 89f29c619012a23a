"""Calendar arithmetic the standard library lacks."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus (or, negative, minus) whole months, clamped to the month's end, as SQL's
    `date + interval 'n months'` (2026-08-31 + 6 months = 2027-02-28)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
