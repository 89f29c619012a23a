"""Monitoring: every region's figures kept per date, rolled up the hierarchy; the page for
the scope (aggregates: the analyst too), a region outside it not found."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.audit.models import AuditEvent
from minzheng.discovery import monitoring
from minzheng.discovery.models import RegionFigures

AS_OF = dt.date(2020, 12, 31)
MPI = {
    "province": [
        {
            "code": "330000",
            "n": 100,
            "q": 10,
            "H": 0.1,
            "A": 0.4,
            "M0": 0.04,
            "indicators": {
                "income": {"contribution": 0.6, "censored": 0.05},
                "housing": {"contribution": 0.4, "censored": 0.03},
            },
        }
    ],
    "county": [
        {
            "code": "330102",
            "n": 40,
            "q": 5,
            "H": 0.125,
            "A": 0.4,
            "M0": 0.05,
            "indicators": {
                "income": {"contribution": 0.5, "censored": 0.06},
                "housing": {"contribution": 0.5, "censored": 0.06},
            },
        }
    ],
}


@pytest.fixture
def kept(db, evidence, place):
    f, s = evidence()
    monitoring.record(AS_OF, f, s, MPI)
    return place


def test_counts_roll_up_every_level(kept):
    village = RegionFigures.objects.get(code=kept, as_of=AS_OF)
    assert village.level == "village"
    assert village.figures["findings"] == {"dibao:eligible_not_enrolled": 2}
    assert village.figures["signals"] == {"medical_spending": 1}
    for code in (kept[:9], kept[:6], kept[:4] + "00", "330000"):
        up = RegionFigures.objects.get(code=code, as_of=AS_OF)
        assert up.figures["findings"] == village.figures["findings"], code
    assert RegionFigures.objects.get(code="330102").figures["mpi"]["M0"] == 0.05
    monitoring.record(AS_OF, None, None, MPI)  # the same date again: replaced, not added
    assert RegionFigures.objects.filter(as_of=AS_OF).count() == 2


def test_the_page_for_the_scope(kept, login, approver, outsider, regions):
    from minzheng.accounts.services import user_create
    from minzheng.regions.models import Region
    from tests.conftest import PASSWORD

    page = login(approver).get("/discovery/monitoring/")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="mpi-m0"' in body and "0.0500" in body
    assert "vendor/echarts/echarts.min.js" in body and 'id="monitoring-data"' in body
    analyst = user_create(
        username="an_zj",
        password=PASSWORD,
        role="analyst",
        region=Region.objects.get(code="330000"),
    )
    whole = login(analyst).get("/discovery/monitoring/")
    assert whole.status_code == 200 and 'data-testid="children"' in whole.content.decode()
    client = login(outsider)
    assert client.get("/discovery/monitoring/?region=330102").status_code == 404
    assert client.get("/discovery/monitoring/?region=x' OR 1").status_code == 404
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").count() == 2
    empty = client.get("/discovery/monitoring/")
    assert empty.status_code == 200 and 'data-testid="no-figures"' in empty.content.decode()


def test_the_chart_library_is_served_by_the_app(client):
    got = client.get("/static/vendor/echarts/echarts.min.js")
    assert got.status_code == 200 and b"echarts" in b"".join(got.streaming_content)[:5000]
