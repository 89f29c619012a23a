"""Working days: China's holidays and make-up days from the maintained calendar, an
administrator's days for years it does not cover yet."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.lib import workdays


def test_a_limit_skips_the_national_day_holiday_and_counts_the_make_up_saturday():
    # 2026: 1–7 October are holidays, Saturday 10 October is a working day (调休).
    assert workdays.add_workdays(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert workdays.add_workdays(dt.date(2026, 9, 30), 0) == dt.date(2026, 9, 30)
    assert workdays.workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3
    assert workdays.workdays_between(dt.date(2026, 10, 10), dt.date(2026, 9, 30)) == -3


def test_a_year_the_package_does_not_cover_uses_the_administrators_days():
    assert not workdays.covered(2031)
    # Without entries: Monday to Friday. Friday 3 January 2031 + 1 → Monday 6 January.
    assert workdays.add_workdays(dt.date(2031, 1, 3), 1) == dt.date(2031, 1, 6)
    days = {dt.date(2031, 1, 6): False, dt.date(2031, 1, 4): True}  # a holiday, a make-up day
    assert workdays.covered(2031, days)
    assert workdays.add_workdays(dt.date(2031, 1, 3), 1, days) == dt.date(2031, 1, 4)
    assert workdays.add_workdays(dt.date(2031, 1, 3), 2, days) == dt.date(2031, 1, 7)


def test_nonsense_limits_are_refused():
    with pytest.raises(workdays.CalendarError):
        workdays.add_workdays(dt.date(2026, 1, 1), -1)
    with pytest.raises(workdays.CalendarError):
        workdays.add_workdays(dt.date(2026, 1, 1), 10**6)
