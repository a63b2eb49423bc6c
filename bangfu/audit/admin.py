"""Read-only admin for the audit records: no add, change or delete for anybody, superusers included.

Only audit administrators see them at all, and only within their org subtree (the same `restrict`
as the audit pages).
"""

from django.contrib import admin

from bangfu.audit.models import AccessLogEntry, ChangeLogEntry


class ReadOnlyAuditAdmin(admin.ModelAdmin):
    actions = None
    list_per_page = 50
    show_full_result_count = False  # no unbounded COUNT(*) over the whole log

    def get_queryset(self, request):
        return self.model.objects.restrict(request.user, "view")

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_role_permission(
            f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyAuditAdmin):
    list_display = ["time", "actor_username", "action", "content_type", "object_repr", "source", "request_id"]
    list_filter = ["action", "source"]
    search_fields = ["=request_id", "=actor_username", "=object_id"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAuditAdmin):
    list_display = ["time", "username", "action", "object_type", "object_id", "result", "ip"]
    list_filter = ["action", "result"]
    search_fields = ["=request_id", "=username", "=object_id"]
