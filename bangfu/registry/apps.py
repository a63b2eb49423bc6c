from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "bangfu.registry"
    label = "registry"
    verbose_name = _("Hardship registry")

    def ready(self):
        from bangfu.registry import audit_registration  # noqa: F401
