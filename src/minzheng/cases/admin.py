from django.contrib import admin

from minzheng.cases.models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The holiday calendar is the country's: a provincial administrator corrects it or adds
    a year the maintained calendar does not cover yet; a county's administrator reads it."""

    list_display = ["day", "workday", "note"]
    list_filter = ["workday"]
    date_hierarchy = "day"

    @staticmethod
    def _provincial(request) -> bool:
        region = getattr(request.user, "region", None)
        return region is not None and region.parent_id is None

    def has_add_permission(self, request):
        return self._provincial(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._provincial(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._provincial(request) and super().has_delete_permission(request, obj)
