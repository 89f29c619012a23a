"""A planted emergency of the synthetic province raises an alert, nobody acknowledges it in
time and it is escalated to the township step, and a township caseworker acknowledges and
resolves it with a reason in a real Chromium."""

import datetime as dt

import pytest
from typer.testing import CliRunner

from minzheng.accounts.services import user_create
from minzheng.cli import app
from minzheng.eldercare import alert_services, alerts
from minzheng.eldercare.alert_models import Alert
from minzheng.regions.models import Region
from tests.conftest import PASSWORD

from .test_login_flow import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.lake]
DATE = "2020-12-31"  # the test lake's snapshot: its one day of device signals


def test_a_planted_fall_is_escalated_and_resolved_by_the_township(
    page, live_server, regions, small_lake
):
    # the planted fall of the synthetic province, and its alert raised from the lake
    truth = alerts.read_truth(small_lake).to_pylist()
    fall = next(t for t in truth if t["emergency"] and t["rule"] == "fall")
    runner = CliRunner()
    done = runner.invoke(
        app, ["eldercare", "alerts", "--lake", str(small_lake), "--date", DATE, "--raise"]
    )
    assert done.exit_code == 0, done.output
    alert = Alert.objects.get(rule="fall", device_id=fall["device_id"])
    assert (alert.step, alert.state, alert.id_number) == ("relative", "open", fall["id_number"])
    assert alert.evidence["first_minute"] == fall["minute"]  # raised at the fall's minute
    again = runner.invoke(
        app, ["eldercare", "alerts", "--lake", str(small_lake), "--date", DATE, "--raise"]
    )
    assert again.exit_code == 0 and Alert.objects.filter(alert_id=alert.alert_id).count() == 1
    # nobody acknowledges: at 2 minutes the relative's timer (5) runs; at 20 both the
    # relative's and the grid worker's (15) have run out
    at = alert.raised_at
    alert_services.alerts_escalate(now=at + dt.timedelta(minutes=2))
    alert.refresh_from_db()
    assert alert.step == "relative"
    moved = runner.invoke(
        app,
        ["eldercare", "escalate", "--at", (at + dt.timedelta(minutes=20)).isoformat()],
    )
    assert moved.exit_code == 0, moved.output
    alert.refresh_from_db()
    assert alert.step == "township_visit"
    # a caseworker of the person's township
    township = alert.region_code[:9]
    Region.objects.get_or_create(
        code=township,
        defaults={
            "name": "测试街道",
            "level": "township",
            "parent": Region.objects.get(code=township[:6]),
        },
    )
    user_create(
        username="cw_fall",
        password=PASSWORD,
        role="caseworker",
        region=Region.objects.get(code=township),
    )
    _log_in(page, live_server, "cw_fall", PASSWORD)
    page.wait_for_selector("[data-testid=region-path]")
    page.click("[data-testid=nav-alerts]")
    row = page.locator(f"tr[data-alert='{alert.alert_id}']")
    assert row.get_attribute("data-step") == "township_visit"
    assert "乡镇（街道）上门" in row.inner_text() and "已超时" in row.inner_text()
    row.locator("a").click()
    page.wait_for_selector("[data-testid=acknowledge]")
    body = page.inner_text("main")
    assert fall["id_number"] not in body and "穿戴设备检测到跌倒" in body  # masked
    assert "平台未接入短信网关" in body  # the relative's notice, on record only
    steps = page.locator("[data-testid=steps] tbody tr")
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == [
        "relative",
        "grid_worker",
        "township_visit",
    ]
    page.fill("[data-testid=acknowledge] input[name=note]", "已联系网格员，马上上门")
    page.click("[data-testid=acknowledge] button")
    page.wait_for_selector("[data-testid=resolve]")
    assert page.get_attribute("[data-testid=state]", "data-state") == "acknowledged"
    page.select_option("[data-testid=resolve] select[name=reason]", "hospital")
    page.fill("[data-testid=resolve] input[name=note]", "跌倒骨折，已送医")
    page.click("[data-testid=resolve] button")
    page.wait_for_selector("[data-testid=resolved]")
    assert "已送医" in page.inner_text("[data-testid=resolved]")
    page.screenshot(path="var/screenshot-eldercare-alert.png", full_page=False)
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_step, alert.resolution) == (
        "resolved",
        "township_visit",
        "hospital",
    )
    assert alert.acknowledged_by.username == alert.resolved_by.username == "cw_fall"
    # resolved, it leaves the list
    page.click("[data-testid=nav-alerts]")
    page.wait_for_selector("[data-testid=alerts]")
    assert page.locator(f"tr[data-alert='{alert.alert_id}']").count() == 0
