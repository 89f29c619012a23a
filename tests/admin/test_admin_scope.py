from minzheng.audit.services import audit_record


def _rows(client, url):
    """The objects listed on an admin changelist page."""
    response = client.get(url)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_a_caseworker_has_no_admin(login, caseworker):
    response = login(caseworker).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_outsider_caseworker_has_no_admin(login, outsider):
    assert login(outsider).get("/admin/accounts/user/").status_code == 302


def test_another_countys_administrator_sees_none_of_its_rows(
    login, caseworker, outsider, outsider_admin
):
    audit_record(actor=caseworker, action="test", region_code="330102001")
    client = login(outsider_admin)
    users = _rows(client, "/admin/accounts/user/")
    assert {u.username for u in users} == {"admin_xihu", "cw_xixi"}
    assert _rows(client, "/admin/regions/region/?q=330102") == []
    assert all(r.code.startswith("330106") for r in _rows(client, "/admin/regions/region/"))
    assert client.get("/admin/regions/region/330102001/change/").status_code == 302  # not found
    audit = _rows(client, "/admin/audit/auditevent/")
    assert audit and all(e.region_code.startswith("330106") for e in audit)
    lookup = client.get(
        "/admin/autocomplete/?app_label=accounts&model_name=user&field_name=region&term=清风"
    ).json()
    assert lookup["results"] == []


def test_the_province_administrator_sees_everything(login, caseworker, province_admin):
    client = login(province_admin)
    assert "cw_qingfeng" in {u.username for u in _rows(client, "/admin/accounts/user/")}
    assert client.get("/admin/regions/region/330102001/change/").status_code == 200


def test_an_administrator_cannot_move_a_user_outside_the_scope(login, outsider_admin, outsider):
    client = login(outsider_admin)
    response = client.post(
        f"/admin/accounts/user/{outsider.pk}/change/",
        {
            "username": outsider.username,
            "role": "caseworker",
            "region": "330102001",
            "is_active": "on",
            "first_name": "",
        },
    )
    assert response.status_code == 200  # the form is shown again with an error
    outsider.refresh_from_db()
    assert outsider.region_id == "330106001"


def test_audit_events_cannot_be_edited_in_the_admin(login, province_admin):
    client = login(province_admin)
    page = client.get("/admin/audit/auditevent/1/change/").content.decode()
    assert 'type="submit"' not in page or "保存" not in page


def test_an_object_outside_the_scope_asked_for_in_the_admin_is_audited(
    login, caseworker, outsider_admin
):
    from minzheng.audit.models import AuditEvent

    client = login(outsider_admin)
    assert client.get(f"/admin/accounts/user/{caseworker.pk}/change/").status_code == 302
    refused = AuditEvent.objects.get(actor=outsider_admin, outcome="denied")
    assert refused.object_type == "accounts.user" and refused.object_id == str(caseworker.pk)
    assert refused.region_code == "330106"  # the asker's region: 上城区 is not theirs to name
