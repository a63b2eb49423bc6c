from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "bangfu.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        from bangfu.orgs.models import org_moved
        from bangfu.stats.tasks import on_org_moved, register_schedule

        register_schedule()
        org_moved.connect(on_org_moved, dispatch_uid="stats.on_org_moved")
