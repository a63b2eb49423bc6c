from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "bangfu.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        from django.db.models.signals import pre_delete

        from bangfu.orgs.models import Org, org_moved
        from bangfu.stats.tasks import on_org_deleted, on_org_moved, register_schedule

        register_schedule()
        org_moved.connect(on_org_moved, dispatch_uid="stats.on_org_moved")
        pre_delete.connect(on_org_deleted, sender=Org, dispatch_uid="stats.on_org_deleted")
