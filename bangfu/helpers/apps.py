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
        from bangfu.helpers.services.assignments import end_for_closed_archive
        from bangfu.registry.signals import household_state_changed

        # A refused, exited, cancelled or merged archive's helper stops being responsible for it.
        household_state_changed.connect(end_for_closed_archive, dispatch_uid="helpers-end-for-closed-archive")
