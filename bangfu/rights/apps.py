from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "bangfu.rights"
    label = "rights"
    verbose_name = _("Rights protection")

    def ready(self):
        from bangfu.rights import audit_registration  # noqa: F401
        from bangfu.rights.panel import register

        register()  # the rights-cases panel on the archive page and the rights rows of the household timeline
