"""The layout plan's map draws in Chromium from the app's own ECharts, under the
Content-Security-Policy."""

import pytest

from minzheng.accounts.services import user_create
from minzheng.regions.models import Region
from tests.conftest import PASSWORD

from .test_content_security_policy import _violations
from .test_login_flow import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.lake]


def test_the_layout_map_draws(page, live_server, regions, verify_settings):
    analyst = user_create(
        username="an_map",
        password=PASSWORD,
        role="analyst",
        region=Region.objects.get(code="330000"),
    )
    violations = _violations(page)
    _log_in(page, live_server, analyst.username, PASSWORD)
    page.wait_for_selector("[data-testid=nav-layout]")
    page.click("[data-testid=nav-layout]")
    page.wait_for_selector("[data-testid=layout-choose]")
    page.select_option("select[name=area]", "330200")  # 宁波市: the small lake's institutions
    page.fill("input[name=sites]", "2")
    page.click("[data-testid=layout-form] button")
    page.wait_for_selector("#layout-map canvas", timeout=120_000)
    assert page.locator("[data-testid=layout-sites] tbody tr").count() <= 2
    assert "直线距离" in page.inner_text("main")
    assert violations == []
    page.screenshot(path="var/screenshot-layout.png", full_page=True)
