import datetime as dt

import pytest

from minzheng.lib.dates import add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # a leap year
        (dt.date(2020, 12, 31), 12, dt.date(2021, 12, 31)),
        (dt.date(2021, 3, 31), -1, dt.date(2021, 2, 28)),
        (dt.date(2021, 1, 15), -12, dt.date(2020, 1, 15)),
        (dt.date(2021, 1, 15), -13, dt.date(2019, 12, 15)),
        (dt.date(1950, 5, 20), 60 * 12, dt.date(2010, 5, 20)),
        (dt.date(2021, 5, 20), 0, dt.date(2021, 5, 20)),
    ],
)
def test_whole_months_clamped_to_the_months_end(day, months, expected):
    assert add_months(day, months) == expected
