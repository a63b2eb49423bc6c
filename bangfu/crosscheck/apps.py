from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrosscheckConfig(AppConfig):
    name = "bangfu.crosscheck"
    label = "crosscheck"
    verbose_name = _("Cross-checks")

    def ready(self):
        from bangfu.crosscheck import audit_registration  # noqa: F401
        from bangfu.crosscheck.panel import register

        register()  # the open-findings panel on the archive page and the finding rows of the timeline
