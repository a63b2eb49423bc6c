"""Forms of the economic-check pages: they type-check input; the write functions (`services`) decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bangfu.econcheck.models import CheckItem
from bangfu.registry.forms import ServiceForm


class NewRequestForm(ServiceForm):
    items = forms.MultipleChoiceField(label=_("Items the centre checks"), choices=CheckItem.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple, initial=list(CheckItem.values))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ExportForm(ServiceForm):
    format = forms.ChoiceField(label=_("File type"), choices=[("csv", "CSV (UTF-8)"), ("xlsx", "Excel (.xlsx)")],
                               initial="csv")


class CancelForm(ServiceForm):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200, required=False)


class ResultFileForm(ServiceForm):
    # Empty files reach the service, which refuses them with the other file problems (and logs the refusal).
    file = forms.FileField(label=_("Result file of the check centre (CSV or XLSX)"), allow_empty_file=True)


class CompleteForm(ServiceForm):
    note = forms.CharField(
        label=_("Note on the economic check"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The note is shown on the archive's timeline and in the stage's opinion, which more people read "
                    "than the results: do not copy amounts, properties, vehicles or 低保 status into it — they stay "
                    "on this page."))
