"""Forms of the cross-check pages: input typing only; the write functions in `services` decide."""

from __future__ import annotations

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.crosscheck import limits
from bangfu.crosscheck.models import DataSource, FindingState, RuleAction, Severity
from bangfu.crosscheck.reader import FileProblem
from bangfu.registry.forms import ServiceForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UploadForm(ServiceForm):
    source = forms.ModelChoiceField(label=_("Data source"), queryset=DataSource.objects.filter(enabled=True))
    as_of = forms.DateField(label=_("Data as of"), widget=DATE, initial=timezone.localdate)
    file = forms.FileField(label=_("File (CSV in UTF-8 or GBK, or .xlsx)"), allow_empty_file=True)

    def clean_file(self):
        """A file over the size limit is refused before it is copied anywhere (the service checks it again)."""
        upload = self.cleaned_data["file"]
        try:
            limits.check_size(upload.size)
        except FileProblem as problem:
            raise forms.ValidationError(str(problem)) from None
        return upload


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                             max_length=2000)


class FindingFilterForm(ServiceForm):
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=[("", _("All severities")), *Severity.choices])
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *FindingState.choices], initial=FindingState.OPEN)
    union = forms.ChoiceField(label=_("Union"), required=False)

    def __init__(self, *args, rules=(), unions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", _("All rules")), *rules]
        self.fields["union"].choices = [("", _("All unions")), *unions]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class RuleForm(ServiceForm):
    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    automatic = forms.BooleanField(label=_("Acts automatically"), required=False)
    params = forms.CharField(label=_("Parameters (JSON)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    note = forms.CharField(label=_("Reason for this version"), max_length=300, required=False)

    def clean_params(self):
        text = self.cleaned_data["params"] or "{}"
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Write the parameters as JSON, e.g. {\"min_homes\": 2}.")) from None


ACTION_LABELS = dict(RuleAction.choices)
