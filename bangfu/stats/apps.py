from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "bangfu.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        from bangfu.stats.tasks import register_schedule

        register_schedule()
