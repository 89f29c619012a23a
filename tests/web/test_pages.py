from django.urls import reverse


def test_the_login_page_is_chinese(client, db):
    page = client.get(reverse("web:login")).content.decode()
    assert 'lang="zh-hans"' in page and "登录" in page and "密码" in page


def test_english_is_available(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    page = client.get(reverse("web:login")).content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_home_requires_login(client, db):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_home_shows_region_path_and_children_with_counts(login, approver):
    page = login(approver).get(reverse("web:home")).content.decode()
    assert "浙江省" in page and "杭州市" in page and "上城区" in page
    assert "清风街道" in page and "望江街道" in page and "丁桥镇" in page
    assert "西溪街道" not in page


def test_the_caseworker_home_shows_the_township_only(login, caseworker):
    page = login(caseworker).get(reverse("web:home")).content.decode()
    assert "清风街道" in page and "柳岸社区" in page and "望江街道" not in page


def test_the_outsider_home_shows_nothing_of_the_other_county(login, outsider):
    page = login(outsider).get(reverse("web:home")).content.decode()
    assert "西溪街道" in page
    assert "清风街道" not in page and "柳岸社区" not in page


def test_the_province_home_counts_every_level(login, province_admin):
    page = login(province_admin).get(reverse("web:home")).content.decode()
    assert "杭州市" in page and "丽水市" in page and "区县" in page


def test_logout_ends_the_session(login, caseworker):
    client = login(caseworker)
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


def test_static_files_are_served_by_the_app(client, db):
    response = client.get("/static/web/site.css")
    assert response.status_code == 200


def test_a_missing_page_is_answered_in_chinese(login, caseworker):
    response = login(caseworker).get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "/no-such-page/" in page


def test_a_csrf_failure_is_answered_in_chinese(caseworker, db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403 and "表单已过期" in response.content.decode()
