"""The data steward's pages (数据管理): deliveries, freshness per feed and county, and a
delivery's quarantine — masked, paged, audited, within the steward's region only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minzheng.audit.models import AuditEvent
from minzheng.exchange import services
from minzheng.exchange.models import Delivery
from minzheng.exchange.selectors import QUARANTINE_PAGE_SIZE, QuarantineRows
from minzheng.lib import idcard

from ..conftest import _user
from .conftest import deliver

LIST = "/exchange/"


def quarantine_url(delivery) -> str:
    return f"/exchange/deliveries/{delivery.pk}/quarantine/"


def ids(county: str, n: int) -> list[str]:
    return [idcard.make(county, dt.date(1950, 1, 1), i) for i in range(1, n + 1)]


@pytest.fixture
def shangcheng(store, steward, tmp_path):
    """A deaths delivery of 上城区 (330102): two good rows, a bad check digit, a bad date."""
    good = ids("330102", 2)
    return deliver(
        steward,
        tmp_path / "in",
        [
            f"{good[0]},2020-05-01,330102",
            f"{good[1]},2020-06-01,330102",
            "330102198001010019,2020-06-02,330102",
            f"{ids('330102', 3)[2]},yesterday,330102",
        ],
    )


@pytest.fixture
def xihu_steward(regions):
    return _user("st_xihu", "data_steward", "330106")


@pytest.fixture
def shangcheng_steward(regions):
    return _user("st_shangcheng", "data_steward", "330102")


def test_the_steward_sees_the_deliveries_with_their_lineage(login, steward, shangcheng):
    page = login(steward).get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert "数据管理" in text and "死亡登记" in text and "卫健" in text
    assert shangcheng.file_name in text and "2020-12-31" in text and "上城区" in text
    assert steward.username in text
    assert quarantine_url(shangcheng) in text


def test_deliveries_are_listed_newest_first_and_filtered_by_feed(
    login, steward, shangcheng, tmp_path
):
    wages = deliver(
        steward,
        tmp_path / "in",
        [f"{ids('330102', 1)[0]},E1,3000,2015-01-01,true,330102"],
        feed="si_wages",
        header="id_number,employer_code,monthly_wage,employment_start,insured,county",
    )
    text = login(steward).get(LIST).content.decode()
    assert text.index(f'data-delivery="{wages.pk}"') < text.index(
        f'data-delivery="{shangcheng.pk}"'
    )
    only = login(steward).get(LIST, {"feed": "si_wages"}).content.decode()
    assert f'data-delivery="{wages.pk}"' in only
    assert f'data-delivery="{shangcheng.pk}"' not in only


@pytest.mark.parametrize(
    "query",
    [{"page": "abc"}, {"page": "-1"}, {"page": "99999999999999999999"}, {"page": "1e9"}],
)
def test_bad_page_numbers_give_a_clean_page(login, steward, shangcheng, query):
    assert login(steward).get(LIST, query).status_code == 200
    assert login(steward).get(quarantine_url(shangcheng), query).status_code == 200


def test_an_unknown_feed_filter_is_a_400_in_chinese(login, steward, shangcheng):
    page = login(steward).get(LIST, {"feed": "nonsense<script>"})
    assert page.status_code == 400
    text = page.content.decode()
    assert 'data-code="unknown_feed"' in text and "不是" in text
    assert "<script>" not in text


def test_freshness_counts_fresh_stale_and_missing_counties(login, steward, store, tmp_path):
    today = timezone.localdate()
    deliver(steward, tmp_path / "a", [f"{ids('330102', 1)[0]},2020-01-01,330102"], as_of=today)
    old = today - dt.timedelta(days=200)
    deliver(
        steward,
        tmp_path / "b",
        [f"{ids('330106', 1)[0]},2020-01-01,330106"],
        as_of=old,
        backfill=True,
    )
    text = login(steward).get(LIST).content.decode()
    row = text[text.index('data-feed="deaths"') :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="fresh">1<' in row
    assert 'data-testid="stale">1<' in row
    assert 'data-testid="missing">88<' in row  # Zhejiang has 90 counties
    assert 'data-feed="elder_institutions"' not in text  # registries are not delivered

    county = login(steward).get("/exchange/freshness/deaths/").content.decode()
    assert 'data-county="330102" data-status="fresh"' in county
    assert 'data-county="330106" data-status="stale"' in county
    assert 'data-county="330105" data-status="missing"' in county
    assert county.count("data-county=") == 90


def test_the_stale_threshold_is_the_verification_setting(login, steward, store, tmp_path, settings):
    as_of = timezone.localdate() - dt.timedelta(days=40)
    deliver(steward, tmp_path / "a", [f"{ids('330102', 1)[0]},2020-01-01,330102"], as_of=as_of)
    settings.VERIFY_STALE_DAYS = 30
    county = login(steward).get("/exchange/freshness/deaths/").content.decode()
    assert 'data-county="330102" data-status="stale"' in county


@pytest.mark.parametrize("feed", ["nonsense", "elder_institutions"])
def test_the_freshness_of_an_unwatched_feed_is_a_404(login, steward, feed):
    page = login(steward).get(f"/exchange/freshness/{feed}/")
    assert page.status_code == 404
    assert 'data-code="unknown_feed"' in page.content.decode()


def test_the_quarantine_shows_reasons_in_chinese_and_masked_values(login, steward, shangcheng):
    page = login(steward).get(quarantine_url(shangcheng))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-line="4" data-code="bad_id_number"' in text
    assert 'data-line="5" data-code="bad_date"' in text
    assert "330102198001010019" not in text and "330102**********19" in text
    assert "身份证号码无效" in text and "日期格式错误" in text


def test_reading_the_quarantine_is_audited_in_the_deliverys_counties(login, steward, shangcheng):
    login(steward).get(quarantine_url(shangcheng))
    event = AuditEvent.objects.get(action="read_personal", object_type="delivery")
    assert event.object_id == str(shangcheng.pk) and event.region_code == "330102"
    assert event.detail["rows"] == 2 and event.detail["unmasked"] is False


def test_the_quarantine_is_read_a_page_at_a_time(login, steward, store, tmp_path):
    bad = [f"BAD{i:05d},2020-01-01,330102" for i in range(250)]
    delivery = deliver(steward, tmp_path / "in", bad)
    assert delivery.quarantined == 250
    client = login(steward)
    first = client.get(quarantine_url(delivery)).content.decode()
    assert first.count("data-line=") == QUARANTINE_PAGE_SIZE
    assert 'data-line="2"' in first and "（共 250 行待处理）" in first
    last = client.get(quarantine_url(delivery), {"page": "3"}).content.decode()
    assert last.count("data-line=") == 50 and 'data-line="251"' in last
    beyond = client.get(quarantine_url(delivery), {"page": "999"}).content.decode()
    assert beyond.count("data-line=") == 50


def test_corrected_lines_leave_the_quarantine_page(steward, shangcheng, tmp_path):
    fix = tmp_path / "fix.csv"
    services.export_quarantine(steward, shangcheng, fix)
    text = fix.read_text(encoding="utf-8-sig").replace("330102198001010019", ids("330102", 4)[3])
    fix.write_text(text, encoding="utf-8-sig")
    services.load_delivery(
        user=steward, path=fix, feed="deaths", as_of=shangcheng.as_of, corrects=shangcheng.pk
    )
    rows = QuarantineRows(shangcheng)
    assert rows.count() == 1
    assert rows[0:10] == [
        {"line": r["line"], "reasons": r["reasons"]} for r in services.outstanding(shangcheng)
    ]


@pytest.mark.parametrize("persona", ["caseworker", "approver", "outsider"])
def test_other_roles_are_refused_and_audited(login, request, shangcheng, persona):
    user = request.getfixturevalue(persona)
    client = login(user)
    for url in (LIST, "/exchange/freshness/deaths/", quarantine_url(shangcheng)):
        before = AuditEvent.objects.filter(outcome="denied").count()
        assert client.get(url).status_code == 403
        assert AuditEvent.objects.filter(outcome="denied").count() == before + 1
    assert not AuditEvent.objects.filter(action="read_personal").exists()


def test_a_steward_of_another_county_sees_nothing_of_this_one(login, xihu_steward, shangcheng):
    client = login(xihu_steward)
    listing = client.get(LIST).content.decode()
    assert f'data-delivery="{shangcheng.pk}"' not in listing
    assert 'data-testid="no-deliveries"' in listing
    county = client.get("/exchange/freshness/deaths/").content.decode()
    assert county.count("data-county=") == 1 and 'data-county="330106"' in county
    page = client.get(quarantine_url(shangcheng))
    assert page.status_code == 404
    assert "330102**********19" not in page.content.decode()
    refusal = AuditEvent.objects.get(outcome="denied")
    assert refusal.region_code == "330106" and refusal.object_id == str(shangcheng.pk)


def test_the_steward_of_the_county_sees_its_delivery(login, shangcheng_steward, shangcheng):
    client = login(shangcheng_steward)
    assert f'data-delivery="{shangcheng.pk}"' in client.get(LIST).content.decode()
    assert client.get(quarantine_url(shangcheng)).status_code == 200


def test_a_delivery_covering_two_counties_is_seen_by_both(
    login, steward, xihu_steward, store, tmp_path
):
    both = deliver(
        steward,
        tmp_path / "in",
        [f"{ids('330102', 1)[0]},2020-01-01,330102", f"{ids('330106', 1)[0]},2020-01-01,330106"],
    )
    assert set(both.counties) == {"330102", "330106"}
    assert Delivery.objects.for_user(xihu_steward).filter(pk=both.pk).exists()


def test_a_delivery_naming_no_county_is_the_provinces(login, steward, xihu_steward, tmp_path):
    rejected = deliver(steward, tmp_path / "in", ["123,2020-01-01,330102"])
    assert rejected.counties == []
    assert login(steward).get(quarantine_url(rejected)).status_code == 200
    assert login(xihu_steward).get(quarantine_url(rejected)).status_code == 404


@pytest.mark.parametrize("delivery_id", ["abc", "-1", "1.5", "99999999999999999999999"])
def test_a_bad_delivery_number_is_a_404(login, steward, delivery_id):
    assert login(steward).get(f"/exchange/deliveries/{delivery_id}/quarantine/").status_code == 404


def test_the_navigation_links_the_page_for_stewards_only(login, steward, caseworker):
    assert 'data-testid="nav-exchange"' in login(steward).get("/").content.decode()
    assert 'data-testid="nav-exchange"' not in login(caseworker).get("/").content.decode()
