from django.contrib import admin

from bangfu.crosscheck.models import CheckRule, DataSource


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department", "kind", "enabled"]
    readonly_fields = ["code"]


@admin.register(CheckRule)
class CheckRuleAdmin(admin.ModelAdmin):
    """Read-only here: a parameter edit is a new version, written on the rules page (crosscheck:rule_edit)."""

    list_display = ["code", "version", "is_current", "enabled", "severity", "action", "automatic"]
    list_filter = ["is_current", "enabled", "action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
