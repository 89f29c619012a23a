"""Shared fixtures: the regions and the three personas every permission test uses.

- `caseworker`: a township caseworker of 清风街道 (330102001) in 上城区 (330102);
- `approver`: the approver of the same county, 上城区;
- `outsider`: a caseworker of 西溪街道 (330106001) in another county, 西湖区 (330106),
  who must see nothing of 上城区.
"""

from __future__ import annotations

import pytest

from minzheng.accounts.services import user_create
from minzheng.regions.models import Region
from minzheng.regions.services import (
    DEMO_SUBCOUNTY_FILE,
    regions_load_divisions,
    regions_load_file,
)

PASSWORD = "Tr1cky-Pass#2026"


@pytest.fixture
def regions(db) -> dict[str, Region]:
    """The real divisions plus the synthetic demo townships and villages."""
    regions_load_divisions()
    regions_load_file(path=DEMO_SUBCOUNTY_FILE)
    return Region.objects.in_bulk()


def _user(username: str, role: str, code: str):
    return user_create(
        username=username, password=PASSWORD, role=role, region=Region.objects.get(code=code)
    )


@pytest.fixture
def caseworker(regions):
    return _user("cw_qingfeng", "caseworker", "330102001")


@pytest.fixture
def approver(regions):
    return _user("ap_shangcheng", "approver", "330102")


@pytest.fixture
def outsider(regions):
    return _user("cw_xixi", "caseworker", "330106001")


@pytest.fixture
def province_admin(regions):
    return _user("admin_zj", "administrator", "330000")


@pytest.fixture
def outsider_admin(regions):
    """An administrator scoped to 西湖区: has the admin, but not 上城区's rows."""
    return _user("admin_xihu", "administrator", "330106")


@pytest.fixture
def login(client):
    """Log a user in through the session, as the browser would after the form."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(scope="session")
def small_lake(tmp_path_factory):
    """A synthetic lake at scale 0.001 (about 65,000 people), built once per run."""
    from minzheng.synth.lake import build_lake

    out = tmp_path_factory.mktemp("lakes") / "small"
    build_lake(scale=0.001, seed=7, out=out, workers=2)
    return out


@pytest.fixture(scope="session")
def indexed_lake(small_lake, tmp_path_factory):
    """A copy of the small lake with its lookup index (economic-status checks)."""
    import shutil

    from minzheng.verification.lookup import build_index

    lake = tmp_path_factory.mktemp("indexed") / "lake"
    shutil.copytree(small_lake, lake)  # the shared lake stays byte-identical for other tests
    build_index(lake)
    return lake


@pytest.fixture(scope="session")
def lookup(indexed_lake):
    from minzheng.verification.lookup import Lookup

    return Lookup(indexed_lake)


@pytest.fixture
def verify_settings(settings, indexed_lake, tmp_path):
    """The Django side reads the indexed lake; media (consent forms) go to a temporary folder."""
    from minzheng.verification import services

    settings.VERIFY_LAKE = indexed_lake
    settings.MEDIA_ROOT = tmp_path / "media"
    services._lake_at.cache_clear()
    yield settings
    services._lake_at.cache_clear()
