from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "bangfu.plans"
    label = "plans"
    verbose_name = _("Household plans")

    def ready(self):
        from bangfu.plans import (
            audit_registration,  # noqa: F401
            panel,
            timeline,
        )
        from bangfu.plans.tasks import register_schedule

        timeline.register()  # the plan's rows on the household timeline (group "plan")
        panel.register()  # the plan panel of the archive page
        register_schedule()  # the daily notice of measures due soon or overdue
