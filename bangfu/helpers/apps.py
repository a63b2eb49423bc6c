from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpersConfig(AppConfig):
    name = "bangfu.helpers"
    label = "helpers"
    verbose_name = _("Responsible helpers and visits")

    def ready(self):
        from bangfu.helpers import audit_registration  # noqa: F401
        from bangfu.helpers.panel import register
        from bangfu.helpers.tasks import register_schedule

        register()  # the helper panel on the archive page and the helper/visit rows of the household timeline
        register_schedule()  # the daily notice of overdue visits
