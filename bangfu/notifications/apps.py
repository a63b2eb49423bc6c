from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "bangfu.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from bangfu.notifications import audit_registration  # noqa: F401
        from bangfu.notifications.tasks import register_schedule

        register_schedule()  # hourly retry of failed deliveries
