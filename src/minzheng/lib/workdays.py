"""Working days in China: statutory holidays and make-up working days (调休) from the
maintained `chinesecalendar` package, with days an administrator entered for years the package
does not cover yet (framework-free: the caller passes those days in)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import chinese_calendar

from minzheng.lib.i18n import TranslatableError, gettext_noop

MAX_DAYS = 3660  # a limit of ten years of working days is an error, not a wait


class CalendarError(TranslatableError):
    """A day the calendar cannot judge."""


def is_workday(day: dt.date, overrides: Mapping[dt.date, bool] | None = None) -> bool:
    """Whether `day` is a working day: an administrator's entry first, then the package;
    for a year neither covers, Monday to Friday (and the caller is told by `covered`)."""
    if overrides and day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know yet
        return day.weekday() < 5


def covered(year: int, overrides: Mapping[dt.date, bool] | None = None) -> bool:
    """Whether the holidays of `year` are known (from the package or an administrator)."""
    if overrides and any(d.year == year for d in overrides):
        return True
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def add_workdays(
    start: dt.date, days: int, overrides: Mapping[dt.date, bool] | None = None
) -> dt.date:
    """The date `days` working days after `start` (the day of `start` itself not counted):
    a limit of 3 working days from a Friday before a long holiday ends after the holiday."""
    if days < 0:
        raise CalendarError(
            "negative_days",
            gettext_noop("A time limit cannot be %(days)s working days."),
            days=days,
        )
    day, left = start, days
    for _ in range(MAX_DAYS):
        if left == 0:
            return day
        day += dt.timedelta(days=1)
        if is_workday(day, overrides):
            left -= 1
    raise CalendarError(
        "limit_too_long",
        gettext_noop("A time limit of %(days)s working days is too long."),
        days=days,
    )


def workdays_between(
    start: dt.date, end: dt.date, overrides: Mapping[dt.date, bool] | None = None
) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is
    earlier): how late a step is, in working days."""
    sign = 1 if end >= start else -1
    low, high = (start, end) if sign > 0 else (end, start)
    if (high - low).days > MAX_DAYS:
        raise CalendarError(
            "limit_too_long",
            gettext_noop("A time limit of %(days)s working days is too long."),
            days=(high - low).days,
        )
    count = sum(
        is_workday(low + dt.timedelta(days=i), overrides) for i in range(1, (high - low).days + 1)
    )
    return sign * count
