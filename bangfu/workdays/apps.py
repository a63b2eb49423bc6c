from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "bangfu.workdays"
    label = "workdays"
    verbose_name = _("Working-day calendar")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from bangfu.audit.registry import register
        from bangfu.workdays.calendar import clear_cache
        from bangfu.workdays.models import CalendarOverride

        # Every deadline depends on these rows: changes go to the field-level change log.
        register(CalendarOverride, exclude=["created_at", "updated_at"])

        # Same-process invalidation is immediate; other processes notice through the override stamp.
        post_save.connect(clear_cache, sender=CalendarOverride, dispatch_uid="workdays_clear_cache_save")
        post_delete.connect(clear_cache, sender=CalendarOverride, dispatch_uid="workdays_clear_cache_delete")
