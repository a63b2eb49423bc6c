from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "bangfu.registry"
    label = "registry"
    verbose_name = _("Hardship registry")

    def ready(self):
        from bangfu.registry import audit_registration  # noqa: F401
        from bangfu.registry.classification import tasks as _engine_tasks  # noqa: F401  (line/policy signals)
        from bangfu.registry.tasks import register_schedule

        register_schedule()  # lifecycle: anonymisation, overdue reviews
