"""Fixtures of the exchange tests: a temporary exchange store, the province's data steward,
and small deliveries written as a department would send them."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from minzheng.exchange import services
from minzheng.exchange.models import Delivery

from ..conftest import _user

DEATHS_HEADER = "id_number,death_date,county"
GOOD_IDS = ["11010519491231002X", "330102198001010018", "33010219900202001X"]


@pytest.fixture
def store(settings, tmp_path):
    settings.EXCHANGE_DIR = tmp_path / "exchange"
    return settings.EXCHANGE_DIR


@pytest.fixture
def steward(regions):
    return _user("steward_zj", "data_steward", "330000")


def deliver(
    user,
    folder: Path,
    lines: list[str],
    *,
    feed: str = "deaths",
    header: str = DEATHS_HEADER,
    as_of: dt.date = dt.date(2020, 12, 31),
    **kw,
) -> Delivery:
    """Load a CSV of `lines` (under `header`) as a delivery of `feed`."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]
    path = folder / f"{feed}-{as_of}-{digest}.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    delivery, _new = services.load_delivery(user=user, path=path, feed=feed, as_of=as_of, **kw)
    return delivery
