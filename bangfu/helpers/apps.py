from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpersConfig(AppConfig):
    name = "bangfu.helpers"
    label = "helpers"
    verbose_name = _("Responsible helpers and visits")
