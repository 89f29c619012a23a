"""One household of the demo province from its application to its first payment in a real
Chromium: opened with a payee account, checked, returned for supplements and submitted
again, visited, on public notice for its seven days, approved by the county, paid in the
month's run and reconciled from the bank's return."""

import datetime as dt

import pytest
import time_machine

from minzheng.cases.models import Case, Payment
from minzheng.regions.services import regions_load_file
from tests.cases.conftest import poor_home  # noqa: F401 (a fixture)
from tests.conftest import PASSWORD, _user
from tests.verification.conftest import AS_OF
from tests.verification.test_web import consent_all

from .test_login_flow import _log_in

pytestmark = pytest.mark.browser
START = dt.datetime(2026, 9, 28, 9, 0, tzinfo=dt.UTC)  # a Monday


def _step(page, action: str, **fields: str) -> None:
    form = page.locator(f"[data-testid=step-{action}]")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button").click()
    page.wait_for_selector("[data-testid=state]")


def _state(page) -> str:
    return page.get_attribute("[data-testid=state]", "data-state")


def test_a_household_goes_from_application_to_its_first_payment(
    page, live_server, approver, verify_settings, lookup, indexed_lake, poor_home, tmp_path  # noqa: F811
):
    regions_load_file(path=indexed_lake / "regions" / "subcounty.csv")
    caseworker = _user("cw_102", "caseworker", "330102102")
    with time_machine.travel(START, tick=True) as clock:
        consent_all(caseworker, poor_home, lookup)  # the adults' consents (see the check test)
        _log_in(page, live_server, caseworker.username, PASSWORD)
        page.click("[data-testid=nav-cases]")
        page.fill("#id_household_id", poor_home)
        page.select_option("#id_channel", "counter")
        page.fill("#id_as_of", AS_OF.isoformat())
        page.fill("#id_payee_name", "王小明")
        page.fill("#id_payee_bank", "浙江农商银行")
        page.fill("#id_payee_account", "6228 0000 1111 2222 333")
        page.click("[data-testid=new-case] button")
        page.wait_for_selector("[data-testid=state]")
        number = page.inner_text("h1").split()[-1]
        assert _state(page) == "draft" and "6228000011112222333" not in page.inner_text("main")
        _step(page, "submit")
        _step(page, "verify")
        assert _state(page) == "verifying" and "最低生活保障" in page.inner_text("main")
        _step(page, "return", reason="请补充户主的劳动合同")
        assert _state(page) == "returned" and "请补充户主的劳动合同" in page.inner_text("main")
        _step(page, "submit")
        _step(page, "verify")
        _step(page, "start_review")
        _step(page, "record_visit", visit_date=START.date().isoformat(), findings="入户核实属实")
        assert _state(page) == "public_notice"
        # the public notice runs its seven days
        clock.move_to(START + dt.timedelta(days=8))
        _log_in(page, live_server, caseworker.username, PASSWORD)
        page.goto(f"{live_server.url}/cases/{number}/")
        _step(page, "close_notice")
        assert _state(page) == "county_approval"
        page.click("[data-testid=logout]")
        # the county decides from its queue
        _log_in(page, live_server, approver.username, PASSWORD)
        page.wait_for_selector("[data-testid=region-path]")
        page.goto(f"{live_server.url}/cases/queue/")
        page.click(f"text={number}")
        _step(page, "approve")
        assert _state(page) == "approved"
        enrolments = page.inner_text("[data-testid=enrolments]")
        assert "2026-11" in enrolments  # paid from the month after the decision
        # November's payment run, its bank file and the bank's return
        clock.move_to(START + dt.timedelta(days=53))  # 20 November
        _log_in(page, live_server, approver.username, PASSWORD)
        page.click("[data-testid=nav-payments]")
        page.fill("#id_county", "330102")
        page.fill("#id_month", "2026-11")
        page.click("[data-testid=run-form] button")
        page.wait_for_selector("[data-testid=control-total]")
        case = Case.objects.get(number=number)
        paid = Payment.objects.filter(enrolment__case=case)
        assert paid.count() == case.enrolments.count() >= 1
        count = page.get_attribute("[data-testid=control-total]", "data-count")
        assert int(count) == paid.count()
        with page.expect_download() as download:
            page.click("[data-testid=bank-file]")
        bank = open(download.value.path(), encoding="utf-8-sig").read()
        assert "6228000011112222333" in bank
        answer = tmp_path / "return.csv"
        answer.write_text(
            "line_id,status,reason\n" + "".join(f"{p.line_id},paid,\n" for p in paid),
            encoding="utf-8",
        )
        page.set_input_files("[data-testid=returns-form] input[type=file]", str(answer))
        page.click("[data-testid=returns-form] button")
        page.wait_for_selector("[data-testid=lines]")
        assert "已到账" in page.inner_text("[data-testid=lines]")
        assert set(paid.values_list("status", flat=True)) == {"paid"}
        page.screenshot(path="var/screenshot-payments.png", full_page=False)
