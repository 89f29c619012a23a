"""The seven personas of the security tests: anonymous, the three of every permission test
(tests/conftest.py), and the province's analyst, data steward and administrator."""

from __future__ import annotations

import pytest

from minzheng.accounts.services import user_create
from minzheng.regions.models import Region
from tests.conftest import PASSWORD

PERSONAS = ("anonymous", "caseworker", "approver", "outsider", "analyst", "steward", "admin")


@pytest.fixture
def everyone(caseworker, approver, outsider, regions):
    province = Region.objects.get(code="330000")
    return {
        "anonymous": None,
        "caseworker": caseworker,
        "approver": approver,
        "outsider": outsider,
        "analyst": user_create(
            username="an_zj", password=PASSWORD, role="analyst", region=province
        ),
        "steward": user_create(
            username="st_zj", password=PASSWORD, role="data_steward", region=province
        ),
        "admin": user_create(
            username="ad_zj", password=PASSWORD, role="administrator", region=province
        ),
    }
