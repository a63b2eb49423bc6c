from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from bangfu.workdays.calendar import package_covers
from bangfu.workdays.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "package_says", "name", "source", "updated_at"]
    list_filter = ["is_working_day", "source"]
    search_fields = ["name", "reason", "reference"]
    date_hierarchy = "date"
    ordering = ["-date"]
    readonly_fields = ["created_at", "updated_at"]
    fields = ["date", "is_working_day", "name", "reason", "source", "reference", "created_at", "updated_at"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    @admin.display(description=_("calendar package says"))
    def package_says(self, obj):
        import chinese_calendar

        if not package_covers(obj.date.year):
            return _("no data for this year")
        return _("working day") if chinese_calendar.is_workday(obj.date) else _("day off")
