from axes.helpers import get_cool_off
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from minzheng.accounts.models import LockedAccount, User
from minzheng.accounts.selectors import (
    accounts_locked_out,
    groups_grantable,
    permissions_grantable,
)
from minzheng.accounts.services import account_unlock, user_grants_set
from minzheng.regions.admin import RegionScopedAdmin

# Django stores permission names in English ("Can add user") and shows them as they are.
BUILTIN_PERMISSION_NAMES = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission's label in the admin forms, `app | model | name`, in the user's language."""
    model = permission.content_type.model_class()
    if model is None:  # a model that no longer exists
        return str(permission)
    opts = model._meta
    action, _sep, model_name = permission.codename.partition("_")
    if action in BUILTIN_PERMISSION_NAMES and model_name == opts.model_name:
        name = BUILTIN_PERMISSION_NAMES[action] % {"model": opts.verbose_name}
    else:
        name = gettext(permission.name)  # custom permissions are named in our catalogue
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {name}"


def _permission_choices(request) -> QuerySet[Permission]:
    """The permissions the forms offer: those the user may grant, minus django-axes' (its admin
    is off, so they would allow nothing)."""
    return (
        permissions_grantable(user=request.user)
        .exclude(content_type__app_label="axes")
        .select_related("content_type")
    )


class UserCreationForm(BaseUserCreationForm):
    class Meta(BaseUserCreationForm.Meta):
        model = User
        fields = ("username", "role", "region")


ROLE_FIELDS = ["role", "region", "is_active", "is_staff"]


def _fieldsets(role_fields: list[str]) -> list:
    return [
        (None, {"fields": ["username", "password"]}),
        (_("Full name"), {"fields": ["first_name"]}),
        (_("Role and scope"), {"fields": role_fields}),
        (_("Permissions"), {"fields": ["groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]


@admin.register(User)
class UserAdmin(RegionScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "role", "region", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name"]
    autocomplete_fields = ["region"]
    fieldsets = _fieldsets(ROLE_FIELDS)
    add_form = UserCreationForm
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "role", "region"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and request.user.is_superuser:  # only a superuser makes superusers
            return _fieldsets([*ROLE_FIELDS, "is_superuser"])
        return super().get_fieldsets(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # An administrator grants only what they hold themselves.
        if db_field.name == "groups":
            kwargs["queryset"] = groups_grantable(user=request.user)
        elif db_field.name == "user_permissions":
            kwargs["queryset"] = _permission_choices(request)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "user_permissions":
            field.label_from_instance = permission_label
        return field

    def save_related(self, request, form, formsets, change):
        if "user_permissions" not in form.cleaned_data:  # the add form grants nothing
            return super().save_related(request, form, formsets, change)
        user_grants_set(
            actor=request.user,
            user=form.instance,
            groups=form.cleaned_data["groups"],
            permissions=form.cleaned_data["user_permissions"],
            request=request,
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # A superuser's account (its password above all) is out of reach of other administrators.
    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups: an administrator who is not a superuser edits only groups of permissions they
    hold, and adds only such permissions (a group must not grant more than its granter has)."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name != "permissions":
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        kwargs["queryset"] = _permission_choices(request)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        field.label_from_instance = permission_label
        return field

    def _grantable(self, request, obj) -> bool:
        return obj is None or groups_grantable(user=request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._grantable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._grantable(request, obj)


@admin.register(LockedAccount)
class LockedAccountAdmin(admin.ModelAdmin):
    """The accounts of the administrator's region that are locked out now, and unlocking them."""

    list_display = [
        "username",
        "first_name",
        "region",
        "failures",
        "last_failure",
        "locked_until",
        "last_address",
    ]
    list_display_links = None
    actions = ["unlock"]

    def get_queryset(self, request):
        return accounts_locked_out(user=request.user)

    @admin.display(description=_("failed logins"), ordering="failures")
    def failures(self, obj):
        return obj.failures

    @admin.display(description=_("last failed login"), ordering="last_failure")
    def last_failure(self, obj):
        return obj.last_failure

    @admin.display(description=_("locked until"))
    def locked_until(self, obj):
        return obj.last_failure + get_cool_off()

    @admin.display(description=_("client address"))
    def last_address(self, obj):
        return obj.last_address

    @admin.action(description=_("Unlock the selected accounts"), permissions=["unlock"])
    def unlock(self, request, queryset):
        accounts = list(queryset)
        for account in accounts:
            account_unlock(actor=request.user, account=account, request=request)
        self.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", len(accounts))
            % {"count": len(accounts)},
        )

    # A lockout is a view of user accounts: reading it and unlocking need the user permissions.
    def has_view_permission(self, request, obj=None):
        return obj is None and (
            request.user.has_perm("accounts.view_user")
            or request.user.has_perm("accounts.change_user")
        )

    def has_unlock_permission(self, request):
        return request.user.has_perm("accounts.change_user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
