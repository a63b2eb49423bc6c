from django.contrib import admin
from django.db.models import Q

from bangfu.monitoring.models import MonitoringPolicy
from bangfu.orgs.models import Org


@admin.register(MonitoringPolicy)
class MonitoringPolicyAdmin(admin.ModelAdmin):
    """Parameters per union: a system admin sees and sets the national rows and those of the unions in their
    scope only (another union's rows and names never show)."""

    list_display = ["org", "effective_from", "spot_check_percent", "exit_months", "income_drop_percent",
                    "never_helped_days", "not_updated_days", "illustrative"]
    list_filter = ["illustrative"]

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("org")
                .filter(Q(org__isnull=True) | Q(org__in=Org.objects.restrict(request.user, "view"))))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org":
            kwargs["queryset"] = Org.objects.restrict(request.user, "view").order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
