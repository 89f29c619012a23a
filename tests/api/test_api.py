import re

import pytest


def test_the_api_needs_a_login(client, db):
    response = client.get("/api/me")
    assert response.status_code == 401 and "登录" in response.json()["detail"]


def test_me_describes_the_user(login, caseworker):
    data = login(caseworker).get("/api/me").json()
    assert data == {
        "username": "cw_qingfeng",
        "role": "caseworker",
        "region": {"code": "330102001", "name": "清风街道", "level": "township"},
    }


@pytest.mark.parametrize("code", ["330102", "330102001", "330102001001"])
def test_the_approver_reads_the_county(login, approver, code):
    assert login(approver).get(f"/api/regions/{code}").status_code == 200


def test_region_detail_has_path_and_counted_children(login, approver):
    data = login(approver).get("/api/regions/330102").json()
    assert [r["name"] for r in data["path"]] == ["浙江省", "杭州市", "上城区"]
    assert {c["code"]: c["counts"] for c in data["children"]}["330102001"] == {"village": 2}


@pytest.mark.parametrize("code", ["330102", "330102001", "330102001001", "330100"])
def test_the_outsider_gets_404_for_the_other_county(login, outsider, code):
    response = login(outsider).get(f"/api/regions/{code}")
    assert response.status_code == 404 and code in response.json()["detail"]


def test_the_caseworker_cannot_read_the_county(login, caseworker):
    assert login(caseworker).get("/api/regions/330102").status_code == 404


def test_an_unknown_region_code_is_named(login, province_admin):
    response = login(province_admin).get("/api/regions/339999")
    assert response.status_code == 404 and "339999" in response.json()["detail"]


def test_the_audit_log_is_for_administrators_and_scoped(login, caseworker, outsider_admin):
    login(caseworker)  # a login event in 330102001
    assert login(caseworker).get("/api/audit/events").status_code == 403
    events = login(outsider_admin).get("/api/audit/events").json()
    assert events and all(e["region_code"].startswith("330106") for e in events)


def test_the_api_docs_need_a_login_and_load_nothing_from_outside(client, login, caseworker):
    assert client.get("/api/docs").status_code == 302
    page = login(caseworker).get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    # every script and stylesheet from this site: no scheme, no other host (a CSRF token in
    # the page may spell "cdn" by chance, so the addresses are what is checked)
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert "https://" not in page and "http://" not in page
