import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")


def test_a_caseworker_logs_in_sees_the_township_and_logs_out(page, live_server, caseworker):
    _log_in(page, live_server, caseworker.username, PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    assert page.inner_text("[data-testid=region-path]").split() == [
        "浙江省",
        "/",
        "杭州市",
        "/",
        "上城区",
        "/",
        "清风街道",
    ]
    assert "柳岸社区" in page.inner_text("[data-testid=children]")
    page.screenshot(path="var/screenshot-home.png", full_page=True)
    page.click("[data-testid=logout]")
    page.wait_for_selector("#id_username")
    assert page.url.endswith("/login/")


def test_a_wrong_password_shows_a_chinese_message(page, live_server, caseworker):
    _log_in(page, live_server, caseworker.username, "Wrong-password-9")
    assert "用户名" in page.inner_text("[data-testid=login-error]")


def test_the_outsider_sees_only_the_own_county(page, live_server, outsider):
    _log_in(page, live_server, outsider.username, PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    text = page.inner_text("main")
    assert "西溪街道" in text and "清风街道" not in text and "上城区" not in text
