"""The preference form of the inbox page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bangfu.registry.forms import BootstrapMixin


class PreferenceForm(BootstrapMixin, forms.Form):
    email_enabled = forms.BooleanField(label=_("Send my notices by e-mail too"), required=False)
    sms_urgent_enabled = forms.BooleanField(label=_("Send urgent notices by text message too"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
