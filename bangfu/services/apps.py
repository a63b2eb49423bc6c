from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "bangfu.services"
    label = "services"
    verbose_name = _("Service platform")

    def ready(self):
        from bangfu.registry.models.timeline import register_kind
        from bangfu.services import audit_registration  # noqa: F401
        from bangfu.services.tasks import register_schedule

        register_schedule()

        # The household's timeline says what happened to its requests (the item code, never the preferences).
        for kind, label in (("service_requested", _("Service ordered")), ("service_taken", _("Service request taken")),
                            ("service_declined", _("Service request declined")),
                            ("service_fulfilled", _("Service delivered"))):
            register_kind(kind, label, needs="services.view_servicerequest", group="services")
