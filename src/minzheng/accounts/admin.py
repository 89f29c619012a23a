from axes.helpers import get_cool_off
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from minzheng.accounts.models import LockedAccount, User
from minzheng.accounts.selectors import accounts_locked_out
from minzheng.accounts.services import account_unlock
from minzheng.regions.admin import RegionScopedAdmin


class UserCreationForm(BaseUserCreationForm):
    class Meta(BaseUserCreationForm.Meta):
        model = User
        fields = ("username", "role", "region")


@admin.register(User)
class UserAdmin(RegionScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "role", "region", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name"]
    autocomplete_fields = ["region"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Full name"), {"fields": ["first_name"]}),
        (_("Role and scope"), {"fields": ["role", "region", "is_active", "is_staff"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_form = UserCreationForm
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "role", "region"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]


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
