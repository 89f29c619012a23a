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
