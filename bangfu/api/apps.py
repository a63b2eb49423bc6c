from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "bangfu.api"
    label = "api"
    verbose_name = _("API")

    def ready(self):
        # drf-spectacular finds extensions by import: document our session authentication.
        from bangfu.api import schema  # noqa: F401
