from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from minzheng.accounts.models import User
from minzheng.audit.models import AuditEvent
from minzheng.audit.services import audit_record
from minzheng.regions.models import Region
from minzheng.regions.scoping import is_region_scoped


def test_every_model_that_points_at_a_region_goes_through_the_scope_layer():
    for model in apps.get_models():
        if not model.__module__.startswith("minzheng."):
            continue
        points_at_region = any(
            getattr(f, "related_model", None) is Region for f in model._meta.get_fields()
        ) or any(f.name == "region_code" for f in model._meta.get_fields())
        if points_at_region or model is Region:
            assert is_region_scoped(model), f"{model.__name__} bypasses the region scope layer"


def test_the_outsider_sees_nothing_of_the_other_county(caseworker, approver, outsider):
    audit_record(actor=caseworker, action="test", region_code="330102001")
    assert not Region.objects.for_user(outsider).filter(code__startswith="330102").exists()
    assert not User.objects.for_user(outsider).filter(region__code__startswith="330102").exists()
    assert not AuditEvent.objects.for_user(outsider).filter(region_code="330102001").exists()
    assert set(User.objects.for_user(outsider).values_list("username", flat=True)) == {"cw_xixi"}


def test_the_same_county_approver_sees_the_whole_county(caseworker, approver, outsider):
    audit_record(actor=caseworker, action="test", region_code="330102001")
    codes = set(Region.objects.for_user(approver).values_list("code", flat=True))
    assert {"330102", "330102001", "330102001001", "330102100201"} <= codes
    assert not any(c.startswith("330106") for c in codes)
    assert set(User.objects.for_user(approver).values_list("username", flat=True)) == {
        "cw_qingfeng",
        "ap_shangcheng",
    }
    assert AuditEvent.objects.for_user(approver).filter(region_code="330102001").count() == 1


def test_the_caseworker_sees_only_the_township(caseworker, approver):
    codes = set(Region.objects.for_user(caseworker).values_list("code", flat=True))
    assert codes == {"330102001", "330102001001", "330102001002"}
    assert set(User.objects.for_user(caseworker).values_list("username", flat=True)) == {
        "cw_qingfeng"
    }


def test_anonymous_and_inactive_users_see_nothing(caseworker):
    assert not Region.objects.for_user(AnonymousUser()).exists()
    caseworker.is_active = False
    assert not Region.objects.for_user(caseworker).exists()


def test_a_record_of_several_counties_is_in_the_scope_of_each(
    approver, outsider_admin, province_admin, caseworker
):
    from minzheng.exchange.models import Delivery

    def delivery(name: str, counties: list[str]) -> Delivery:
        return Delivery.objects.create(
            feed="deaths",
            department="卫健",
            file_name=name,
            sha256=name,
            size=1,
            as_of="2020-12-31",
            counties=counties,
            rows=1,
            accepted=1,
            quarantined=0,
            folder=name,
        )

    both = delivery("both", ["330102", "330106"])
    shangcheng = delivery("shangcheng", ["330102"])
    nowhere = delivery("nowhere", [])  # every row quarantined: no county is known

    def seen(user) -> set[str]:
        return set(Delivery.objects.for_user(user).values_list("file_name", flat=True))

    assert seen(approver) == {both.file_name, shangcheng.file_name}
    assert seen(outsider_admin) == {both.file_name}
    assert seen(province_admin) == {both.file_name, shangcheng.file_name, nowhere.file_name}
    # As for a record of one region: a county's record is not in a township's scope.
    assert seen(caseworker) == set()
