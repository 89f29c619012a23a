from django.contrib import admin

from minzheng.regions.models import Region
from minzheng.regions.scoping import is_region_scoped


class RegionScopedAdmin(admin.ModelAdmin):
    """Admin pages for region-scoped models: rows and foreign-key choices in the user's scope."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_object(self, request, object_id, from_field=None):
        """The object in scope; a request for one outside it (or missing) is audited."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            from minzheng.audit.services import refusal_record

            refusal_record(
                actor=request.user,
                request=request,
                action="admin_read",
                object_type=self.opts.label_lower,
                object_id=str(object_id),
                reason="not_found_or_out_of_scope",
            )
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if is_region_scoped(related):
            kwargs["queryset"] = related._default_manager.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Region)
class RegionAdmin(RegionScopedAdmin):
    list_display = ["code", "name", "level", "parent", "urban_rural"]
    list_filter = ["level", "urban_rural"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "level", "parent"]
    ordering = ["code"]

    def has_add_permission(self, request):
        return False  # regions come from the division files through the loader

    def has_delete_permission(self, request, obj=None):
        return False
