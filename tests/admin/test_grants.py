"""Granting groups and permissions in the admin: only what the granter holds, in their scope."""

import pytest
from django.contrib.auth.models import Group, Permission

from minzheng.accounts.models import User
from minzheng.accounts.services import user_create
from minzheng.audit.models import AuditEvent
from minzheng.regions.models import Region
from tests.conftest import PASSWORD

UNMASK = "verification.unmask_personal_data"


def _perm(name: str) -> Permission:
    app, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app, codename=codename)


@pytest.fixture
def county_admin(regions):
    """An administrator of 上城区 who is not a superuser: may edit users and unmask, no more."""
    user = user_create(
        username="ad_shangcheng",
        password=PASSWORD,
        role="administrator",
        region=Region.objects.get(code="330102"),
    )
    user.is_superuser = False
    user.save()
    user.user_permissions.set(
        [_perm("accounts.view_user"), _perm("accounts.change_user"), _perm(UNMASK)]
    )
    return user


def _change(client, user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "role": user.role,
        "region": user.region_id,
        "is_active": "on",
        "groups": [],
        "user_permissions": [],
    }
    data.update(overrides)
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


def _form(client, user):
    response = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert response.status_code == 200
    return response.context["adminform"].form


def _fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # no cached permissions


def test_a_county_administrator_grants_a_permission_they_hold(login, county_admin, caseworker):
    response = _change(login(county_admin), caseworker, user_permissions=[_perm(UNMASK).pk])
    assert response.status_code == 302
    assert _fresh(caseworker).has_perm(UNMASK)
    event = AuditEvent.objects.get(action="grant")
    assert (event.actor_username, event.object_id, event.region_code) == (
        county_admin.username,
        caseworker.username,
        "330102001",
    )
    assert event.detail["permissions_added"] == [UNMASK]


def test_a_permission_they_do_not_hold_is_not_offered_and_is_refused(
    login, county_admin, caseworker
):
    client = login(county_admin)
    offered = _form(client, caseworker).fields["user_permissions"].queryset
    assert _perm(UNMASK) in offered and _perm("accounts.delete_user") not in offered
    response = _change(client, caseworker, user_permissions=[_perm("accounts.delete_user").pk])
    assert (
        response.status_code == 200
        and "user_permissions" in response.context["adminform"].form.errors
    )
    assert not _fresh(caseworker).has_perm("accounts.delete_user")


def test_a_group_beyond_their_permissions_is_not_offered_and_is_refused(
    login, county_admin, caseworker
):
    checkers = Group.objects.create(name="核对人员")
    checkers.permissions.set([_perm(UNMASK)])
    managers = Group.objects.create(name="账号管理")
    managers.permissions.set([_perm(UNMASK), _perm("accounts.delete_user")])
    client = login(county_admin)
    offered = _form(client, caseworker).fields["groups"].queryset
    assert checkers in offered and managers not in offered
    assert _change(client, caseworker, groups=[managers.pk]).status_code == 200
    assert not _fresh(caseworker).groups.exists()
    assert _change(client, caseworker, groups=[checkers.pk]).status_code == 302
    assert list(_fresh(caseworker).groups.all()) == [checkers]


def test_permissions_they_cannot_grant_stay_as_they_were(login, county_admin, caseworker):
    caseworker.user_permissions.add(_perm("verification.delete_check"))  # by the province
    _change(login(county_admin), caseworker, user_permissions=[_perm(UNMASK).pk])
    fresh = _fresh(caseworker)
    assert fresh.has_perm(UNMASK)
    assert fresh.has_perm("verification.delete_check")


def test_a_non_superuser_cannot_make_a_superuser(login, county_admin, caseworker):
    client = login(county_admin)
    assert "is_superuser" not in _form(client, caseworker).fields
    assert _change(client, caseworker, is_superuser="on").status_code == 302
    assert not _fresh(caseworker).is_superuser


def test_a_superuser_sees_every_permission_and_the_superuser_flag(
    login, province_admin, caseworker
):
    # No account is made a superuser by the platform; one made by hand sees everything.
    province_admin.is_superuser = True
    province_admin.save()
    form = _form(login(province_admin), caseworker)
    assert "is_superuser" in form.fields
    offered = form.fields["user_permissions"].queryset
    # All but django-axes' permissions, which allow nothing now that its admin is off.
    assert offered.count() == Permission.objects.exclude(content_type__app_label="axes").count()


def test_a_region_outside_their_scope_is_refused(login, county_admin, caseworker):
    client = login(county_admin)
    assert not _form(client, caseworker).fields["region"].queryset.filter(code="330106001").exists()
    response = _change(client, caseworker, region="330106001")
    assert response.status_code == 200 and "region" in response.context["adminform"].form.errors
    assert _fresh(caseworker).region_id == "330102001"


def test_a_user_of_another_county_is_out_of_reach(login, county_admin, outsider):
    response = _change(login(county_admin), outsider, user_permissions=[_perm(UNMASK).pk])
    assert response.status_code == 302 and "/admin/" in response["Location"]  # not found
    assert not _fresh(outsider).has_perm(UNMASK)


def test_a_superuser_of_the_county_is_out_of_reach_of_a_non_superuser(
    login, county_admin, approver
):
    approver.is_superuser = True
    approver.save()
    client = login(county_admin)
    assert _change(client, approver, first_name="x").status_code == 403
    assert client.get(f"/admin/accounts/user/{approver.pk}/password/").status_code == 403


def test_a_group_holding_more_than_the_administrator_cannot_be_edited(login, county_admin):
    county_admin.user_permissions.add(_perm("auth.view_group"), _perm("auth.change_group"))
    managers = Group.objects.create(name="账号管理")
    managers.permissions.set([_perm("accounts.delete_user")])
    checkers = Group.objects.create(name="核对人员")
    client = login(county_admin)
    url = f"/admin/auth/group/{managers.pk}/change/"
    refused = client.post(url, {"name": "账号管理", "permissions": [_perm(UNMASK).pk]})
    assert refused.status_code == 403
    response = client.get(f"/admin/auth/group/{checkers.pk}/change/")
    offered = response.context["adminform"].form.fields["permissions"].queryset
    assert _perm(UNMASK) in offered and _perm("accounts.delete_user") not in offered
