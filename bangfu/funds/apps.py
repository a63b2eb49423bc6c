from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "bangfu.funds"
    label = "funds"
    verbose_name = _("Assistance funds")

    def ready(self):
        from bangfu.funds import audit_registration  # noqa: F401
        from bangfu.funds.panel import register
        from bangfu.funds.tasks import register_schedule

        register()  # the payments panel on the archive page and the payment rows of the household timeline
        register_schedule()  # the daily ledger check
