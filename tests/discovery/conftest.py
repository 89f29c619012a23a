"""Fixtures shared with the case tests: a household of the lake and the frozen clock."""

from tests.cases.conftest import clock, home  # noqa: F401 (fixtures)
