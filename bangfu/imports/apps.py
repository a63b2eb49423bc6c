from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "bangfu.imports"
    label = "imports"
    verbose_name = _("Bulk import")

    def ready(self):
        from bangfu.imports.tasks import register_schedule, register_timeline

        register_schedule()  # hourly: re-queue the jobs whose worker died
        register_timeline()  # the "imported by job N" rows of the household timeline
