"""Every kind of page works under the Content-Security-Policy: Chromium reports no violation."""

import pytest

from tests.conftest import PASSWORD, _user
from tests.exchange.conftest import deliver

from .test_login_flow import _log_in

pytestmark = pytest.mark.browser


def _violations(page) -> list[str]:
    """Collect the console messages in which Chromium reports a blocked resource or script."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def test_pages_admin_and_api_docs_run_without_a_policy_violation(page, live_server, province_admin):
    violations = _violations(page)
    _log_in(page, live_server, province_admin.username, PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("#content-main")
    page.goto(f"{live_server.url}/admin/accounts/user/{province_admin.pk}/change/")
    page.wait_for_selector("#user_form")
    page.goto(f"{live_server.url}/admin/accounts/lockedaccount/")
    page.wait_for_selector("#changelist")
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert violations == []


def test_the_language_switch_and_the_household_box_work_without_inline_script(
    page, live_server, caseworker
):
    violations = _violations(page)
    _log_in(page, live_server, caseworker.username, PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    page.click("[data-testid=nav-verification]")
    page.fill("[data-testid=consent-household]", "H3301020010001")
    page.press("[data-testid=consent-household]", "Enter")
    page.wait_for_url("**/verification/households/H3301020010001/consents/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.get_attribute("html", "lang") == "en"
    assert violations == []


def test_the_data_stewards_page_works_without_inline_script(
    page, live_server, regions, settings, tmp_path
):
    settings.EXCHANGE_DIR = tmp_path / "exchange"
    steward = _user("st_browser", "data_steward", "330000")
    deliver(steward, tmp_path / "in", ["330102198001010019,2020-06-02,330102"])
    violations = _violations(page)
    _log_in(page, live_server, steward.username, PASSWORD)
    page.click("[data-testid=nav-exchange]")
    page.wait_for_selector("[data-testid=freshness]")
    with page.expect_navigation():  # the feed filter submits itself (site.js)
        page.select_option("[data-testid=feed-filter] select", "deaths")
    assert "feed=deaths" in page.url
    page.click("[data-testid=quarantine-link]")
    page.wait_for_selector("[data-testid=quarantine]")
    assert violations == []
