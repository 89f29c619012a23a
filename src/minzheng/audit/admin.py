from django.contrib import admin

from minzheng.audit.models import AuditEvent
from minzheng.regions.admin import RegionScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(RegionScopedAdmin):
    list_display = [
        "seq",
        "at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "region_code",
        "client_ip",
        "outcome",
    ]
    list_filter = ["action", "outcome"]
    search_fields = ["actor_username", "object_id", "region_code"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
