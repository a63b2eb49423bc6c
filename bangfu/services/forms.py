"""Forms of the service platform's staff pages: they type-check; `bangfu.services.actions` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bangfu.services.models import PairRule

_SMALL = {"class": "form-control form-control-sm"}


class PairRuleForm(forms.Form):
    request_id = forms.IntegerField(label=_("Request no."), min_value=1, widget=forms.NumberInput(attrs=_SMALL))
    offer_id = forms.IntegerField(label=_("Offer no."), min_value=1, widget=forms.NumberInput(attrs=_SMALL))
    kind = forms.ChoiceField(label=_("Decision"), choices=PairRule.Kind.choices,
                             widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    units = forms.IntegerField(label=_("Units (pin)"), min_value=1, max_value=100, initial=1,
                               widget=forms.NumberInput(attrs=_SMALL))
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.TextInput(attrs=_SMALL))
