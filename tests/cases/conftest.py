"""Households, a frozen clock and an opened case for the case tests."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from minzheng.cases import services
from tests.verification.conftest import AS_OF, household_in
from tests.verification.test_web import consent_all

TODAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=dt.UTC)  # a Monday before the National Day


@pytest.fixture
def home(lookup):
    return household_in(lookup, "330102001")


@pytest.fixture
def clock():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def opened(verify_settings, clock, caseworker, home, lookup):
    consent_all(caseworker, home, lookup)
    return services.case_open(
        user=caseworker, request=None, household_id=home, channel="counter", as_of=AS_OF
    )


@pytest.fixture
def poor_home(lookup):
    """A household enrolled in 低保 (the rules find it eligible), of a township of 上城区
    that has one."""
    return household_in(
        lookup,
        "330102102",
        adults=1,
        where="AND h.household_id IN (SELECT household_id FROM enrolments "
        "WHERE programme = 'dibao')",
    )
