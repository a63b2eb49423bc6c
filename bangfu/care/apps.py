from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "bangfu.care"
    label = "care"
    verbose_name = _("Mental-health care")

    def ready(self):
        from bangfu.care import audit_registration  # noqa: F401
        from bangfu.care.panel import register
        from bangfu.care.tasks import register_schedule

        register()  # the care panel of the archive page (content to counsellors; that a plan exists to others)
        register_schedule()  # the crisis-case deadline check, every five minutes
