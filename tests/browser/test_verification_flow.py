"""The whole check in a real Chromium: refused without consent, consents recorded, the
report read (masked) and its PDF downloaded; the outsider cannot open it."""

import io

import pytest
from pypdf import PdfReader

from tests.conftest import PASSWORD
from tests.verification.conftest import AS_OF, household_in

from .test_login_flow import _log_in

pytestmark = pytest.mark.browser


def test_a_caseworker_checks_a_household_and_downloads_the_pdf(
    page, live_server, caseworker, outsider, verify_settings, lookup
):
    hid = household_in(lookup, "330102001")
    _log_in(page, live_server, caseworker.username, PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    page.click("[data-testid=nav-verification]")
    page.fill("#id_household_id", hid)
    page.fill("#id_date", AS_OF.isoformat())
    page.click("[data-testid=run-check]")
    assert "授权" in page.inner_text("[data-testid=error]")
    page.click("[data-testid=consent-link]")
    options = page.locator("#id_id_number option").all()
    assert len(options) >= 2 and all("*" in o.inner_text() for o in options)
    values = [o.get_attribute("value") for o in options]
    for value in values:
        page.select_option("#id_id_number", value)
        page.select_option("#id_method", "online")
        page.click("[data-testid=record-consent]")
        page.wait_for_selector("[data-testid=adults]")
    assert "未授权" not in page.inner_text("[data-testid=adults]")
    page.goto(f"{live_server.url}/verification/")
    page.fill("#id_household_id", hid)
    page.fill("#id_date", AS_OF.isoformat())
    page.click("[data-testid=run-check]")
    page.wait_for_selector("[data-testid=report-number]")
    number = page.inner_text("[data-testid=report-number]")
    body = page.inner_text("main")
    assert "家庭经济状况核对报告" in body and "最低生活保障" in body
    assert all(v not in body for v in values)  # masked by default
    with page.expect_download() as download:
        page.click("[data-testid=pdf]")
    pdf = download.value
    assert pdf.suggested_filename == f"{number}.pdf"
    with open(pdf.path(), "rb") as handle:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert number in text and "家庭经济状况核对报告" in text
    # With a declaration entered on the page: the differences are flagged, both values shown.
    page.goto(f"{live_server.url}/verification/households/{hid}/declare/?date={AS_OF.isoformat()}")
    page.fill("[data-testid=m0-deposits]", "1000")
    page.fill("[data-testid=m0-homes]", "0")
    page.click("[data-testid=run-declared-check]")
    page.wait_for_selector("[data-testid=report-number]")
    assert page.inner_text("[data-testid=flagged]") == "是"
    assert "有差异" in page.inner_text("[data-testid=totals]")
    page.screenshot(path="var/screenshot-verification.png", full_page=False)
    # The outsider, logged in elsewhere, gets a 404 page for the same report.
    page.click("[data-testid=logout]")
    _log_in(page, live_server, outsider.username, PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    response = page.goto(f"{live_server.url}/verification/checks/{number}/")
    assert response.status == 404 and "不存在或不在您的管辖范围内" in page.inner_text("main")
    assert "最低生活保障" not in page.inner_text("main")
