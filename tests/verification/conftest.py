"""An indexed copy of the synthetic lake, and households for the three personas."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from minzheng.verification.lookup import Lookup, build_index

AS_OF = dt.date(2020, 12, 31)


@pytest.fixture(scope="session")
def indexed_lake(small_lake, tmp_path_factory):
    lake = tmp_path_factory.mktemp("indexed") / "lake"
    shutil.copytree(small_lake, lake)  # the shared lake stays byte-identical for other tests
    build_index(lake)
    return lake


@pytest.fixture(scope="session")
def lookup(indexed_lake):
    return Lookup(indexed_lake)


def household_in(lookup: Lookup, township: str, adults: int = 2, where: str = "") -> str:
    """A household of the township with at least `adults` members aged 18+ and alive."""
    return lookup._rows(
        "SELECT h.household_id FROM hukou_households h JOIN hukou_persons p USING (household_id) "
        "WHERE h.township_code = ? AND p.birth_date <= DATE '2002-12-31' "
        "AND p.id_number NOT IN (SELECT id_number FROM deaths) " + where + " "
        "GROUP BY h.household_id HAVING count(*) >= ? ORDER BY h.household_id LIMIT 1",
        [township, adults],
    )[0]["household_id"]


@pytest.fixture
def verify_settings(settings, indexed_lake, tmp_path):
    """The Django side reads the indexed lake; media (consent forms) go to a temporary folder."""
    from minzheng.verification import services

    settings.VERIFY_LAKE = indexed_lake
    settings.MEDIA_ROOT = tmp_path / "media"
    services.lake.cache_clear()
    yield settings
    services.lake.cache_clear()
