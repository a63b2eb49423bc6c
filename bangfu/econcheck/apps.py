from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconcheckConfig(AppConfig):
    name = "bangfu.econcheck"
    label = "econcheck"
    verbose_name = _("Economic checks")

    def ready(self):
        from bangfu.econcheck import audit_registration  # noqa: F401
        from bangfu.econcheck.panel import register

        register()  # the economic-check panel on the archive page and its timeline rows
