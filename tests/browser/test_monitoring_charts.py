"""The monitoring charts draw in Chromium from the app's own ECharts, under the
Content-Security-Policy."""

import datetime as dt

import pytest

from minzheng.discovery import monitoring
from tests.conftest import PASSWORD

from .test_content_security_policy import _violations
from .test_login_flow import _log_in

pytestmark = pytest.mark.browser


def test_the_charts_draw(page, live_server, approver, evidence, place):
    f, s = evidence()
    township = {
        "code": place[:9],
        "n": 10,
        "q": 2,
        "H": 0.2,
        "A": 0.5,
        "M0": 0.1,
        "indicators": {"income": {"contribution": 1.0, "censored": 0.2}},
    }
    mpi = {
        "township": [township],
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
    monitoring.record(dt.date(2020, 12, 31), f, s, mpi)
    violations = _violations(page)
    _log_in(page, live_server, approver.username, PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    page.click("[data-testid=nav-monitoring]")
    page.wait_for_selector("#chart-signals canvas")
    page.wait_for_selector("#chart-children canvas")
    assert page.inner_text("[data-testid=mpi-m0]") == "0.0500"
    assert violations == []
    page.screenshot(path="var/screenshot-monitoring.png", full_page=True)
