from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconcheckConfig(AppConfig):
    name = "bangfu.econcheck"
    label = "econcheck"
    verbose_name = _("Economic checks")
