"""The admin speaks Chinese: app, model, field and permission names of the platform."""

import re

from django.apps import apps
from django.contrib.auth.models import Permission
from django.utils import translation

CJK = re.compile(r"[\u4e00-\u9fff]")
# A model without verbose_name_plural is named "<verbose_name>s": "审计链头s".
ENGLISH_PLURAL = re.compile(r"[\u4e00-\u9fff]s$")
ENGLISH_MODEL_NAMES = [
    "Audit events",
    "Audit event",
    "Users",
    "Regions",
    "Consents",
    "Verification checks",
    "Locked accounts",
    "Groups",
    "Accounts",
]


def _platform_models():
    return [m for m in apps.get_models() if m.__module__.startswith("minzheng.")]


def test_every_model_and_field_of_the_platform_has_a_chinese_name():
    untranslated = []
    with translation.override("zh-hans"):
        for model in _platform_models():
            opts = model._meta
            names = {
                "app": opts.app_config.verbose_name,
                "model": opts.verbose_name,
                "models": opts.verbose_name_plural,
            }
            names |= {
                f.name: f.verbose_name
                for f in [*opts.fields, *opts.many_to_many]
                if not f.auto_created
            }
            untranslated += [
                f"{opts.label}.{what}: {name}"
                for what, name in names.items()
                if not CJK.search(str(name)) or ENGLISH_PLURAL.search(str(name))
            ]
    assert untranslated == [], untranslated


def test_the_admin_index_names_the_models_in_chinese(login, province_admin):
    page = login(province_admin).get("/admin/").content.decode()
    for chinese in ["审计记录", "用户", "行政区划", "被锁定的账号", "账号", "审计日志"]:
        assert chinese in page
    assert [name for name in ENGLISH_MODEL_NAMES if f">{name}<" in page] == []
    django_gaps = ["Model name", "Add link", "Change or view list link"]
    assert [text for text in django_gaps if text in page] == []


def test_the_user_change_page_names_fields_and_permissions_in_chinese(
    login, province_admin, caseworker
):
    # An administrator is offered the permissions they hold: give them unmasking to see it.
    province_admin.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    response = login(province_admin).get(f"/admin/accounts/user/{caseworker.pk}/change/")
    page = response.content.decode()
    assert "权限" in page and "用户权限" in page and "角色" in page
    labels = dict(response.context["adminform"].form.fields["user_permissions"].choices)
    unmask = Permission.objects.get(codename="unmask_personal_data")
    view_user = Permission.objects.get(codename="view_user")
    assert labels[unmask.pk] == "家庭经济状况核对 | 核对 | 可查看未脱敏的姓名和身份证号码"
    assert labels[view_user.pk] == "账号 | 用户 | 可以查看用户"
    english = [label for label in labels.values() if re.search(r"\bCan\b|[A-Za-z]{4,}", label)]
    assert english == []
    assert "Can add" not in page and "Can see" not in page
