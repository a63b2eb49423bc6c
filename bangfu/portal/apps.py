from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "bangfu.portal"
    label = "portal"
    verbose_name = _("Worker portal")

    def ready(self):
        from bangfu.portal import audit_registration  # noqa: F401
        from bangfu.portal.panel import register

        register()  # the worker-account panel on the archive page and the account rows of the timeline
