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


_DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
_TEXT = {"class": "form-control"}


class OfferForm(forms.Form):
    """An offer's terms; `bangfu.services.actions.offers` decides (its field errors land on these fields)."""

    item = forms.ModelChoiceField(label=_("Menu item"), queryset=None,
                                  widget=forms.Select(attrs={"class": "form-select"}))
    title = forms.CharField(label=_("Title"), max_length=120, widget=forms.TextInput(attrs=_TEXT))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={**_TEXT, "rows": 3}))
    area_org = forms.ModelChoiceField(label=_("Area (union and its subtree)"), queryset=None,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    capacity = forms.IntegerField(label=_("Capacity (units)"), widget=forms.NumberInput(attrs=_TEXT))
    unit_value = forms.DecimalField(label=_("Value of one unit (yuan)"), required=False, max_digits=10,
                                    decimal_places=2, widget=forms.NumberInput(attrs=_TEXT))
    certificate = forms.CharField(label=_("Certificate it leads to"), max_length=100, required=False,
                                  widget=forms.TextInput(attrs=_TEXT))
    valid_from = forms.DateField(label=_("Valid from"), widget=_DATE)
    valid_until = forms.DateField(label=_("Valid until"), widget=_DATE)
    categories = forms.MultipleChoiceField(label=_("Only these hardship categories (none: all)"), required=False,
                                           choices=[], widget=forms.CheckboxSelectMultiple)
    divisions = forms.CharField(
        label=_("Only households living in these divisions"), required=False, widget=forms.TextInput(attrs=_TEXT),
        help_text=_("GB/T 2260 codes separated by spaces or commas, e.g. 440106 440111; empty: the whole area."))
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, widget=forms.NumberInput(attrs=_TEXT))
    max_age = forms.IntegerField(label=_("Maximum age"), required=False, widget=forms.NumberInput(attrs=_TEXT))

    provider = forms.ModelChoiceField(label=_("Provider"), queryset=None, required=False,
                                      widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, areas, providers=None, **kwargs):
        """`providers`: the providers a union's staff may enter the offer for (None: a provider's own account,
        the field is dropped)."""
        from bangfu.registry.models import Category
        from bangfu.services.models import ServiceItem

        super().__init__(*args, **kwargs)
        if providers is None:
            del self.fields["provider"]
        else:
            self.fields["provider"].queryset = providers
            self.fields["provider"].required = True
            self.order_fields(["provider"])
        self.fields["item"].queryset = ServiceItem.objects.filter(is_active=True)
        self.fields["area_org"].queryset = areas
        self.fields["categories"].choices = [c for c in Category.choices if c[0] != Category.NOT_ELIGIBLE]

    def clean_divisions(self):
        import re

        return [code for code in re.split(r"[\s,，、]+", self.cleaned_data.get("divisions") or "") if code]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note or reason"), max_length=500, required=False,
                           widget=forms.TextInput(attrs=_TEXT))


class ProviderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128, widget=forms.TextInput(attrs=_TEXT))
    kind = forms.ChoiceField(label=_("Kind"), choices=[], widget=forms.Select(attrs={"class": "form-select"}))
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, required=False,
                                  widget=forms.TextInput(attrs=_TEXT))
    contact_name = forms.CharField(label=_("Contact person"), max_length=64, widget=forms.TextInput(attrs=_TEXT))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, widget=forms.TextInput(attrs=_TEXT))
    address = forms.CharField(label=_("Address"), max_length=200, required=False, widget=forms.TextInput(attrs=_TEXT))
    description = forms.CharField(label=_("What it offers"), required=False,
                                  widget=forms.Textarea(attrs={**_TEXT, "rows": 3}))

    def __init__(self, *args, **kwargs):
        from bangfu.services.models import ProviderKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ProviderKind.choices
