"""Forms of the plan and rule pages. They collect and type-check input only; every rule is decided by the write
functions of `bangfu.plans.services` / `bangfu.plans.engine`, whose field errors the forms show
(`apply_errors`). Free-text fields the services require are optional here, so that the service's message
(which says what is missing and why) is the one shown."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.models import User
from bangfu.plans.models import MeasureFunction, MeasureKind, MeasureState
from bangfu.plans.services.measures import TRANSITIONS, eligible_owners
from bangfu.registry.forms import ServiceForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EMPTY = [("", "---------")]


class OwnerField(forms.ChoiceField):
    """A select of the users who may own the household's measures. Any user id is accepted here, so that the
    write function's rule (with its message naming the union) decides who may be the owner."""

    def valid_value(self, value):
        return str(value).isdigit()

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return User.objects.filter(pk=int(value)).first() if len(value) < 19 else None


def owner_choices(household) -> list[tuple[str, str]]:
    return [*EMPTY, *((str(u.pk), f"{u} · {u.org.name}" if u.org_id else str(u)) for u in eligible_owners(household))]


class PlanForm(ServiceForm):
    situation = forms.CharField(label=_("Situation of the family"), required=False,
                                widget=forms.Textarea(attrs={"rows": 4}),
                                help_text=_("The family's situation in a few sentences."))
    needs = forms.CharField(label=_("What the family needs"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("What the family needs most."))


class MeasureForm(ServiceForm):
    function = forms.ChoiceField(label=_("Function"), choices=[*EMPTY, *MeasureFunction.choices], required=False)
    kind = forms.ChoiceField(label=_("Kind of measure"), choices=[*EMPTY, *MeasureKind.choices], required=False)
    description = forms.CharField(label=_("What will be done"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    owner = OwnerField(label=_("Measure owner"), required=False)
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE)

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices(household)
        self.fields["owner"].widget.choices = self.fields["owner"].choices


class MeasureEditForm(ServiceForm):
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE)
    owner = OwnerField(label=_("Measure owner"), required=False)

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices(household)
        self.fields["owner"].widget.choices = self.fields["owner"].choices


class MeasureStateForm(ServiceForm):
    state = forms.ChoiceField(label=_("Measure state"), choices=MeasureState.choices)
    outcome = forms.CharField(label=_("Outcome (for a cancelled measure: the reason)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, measure, **kwargs):
        super().__init__(*args, **kwargs)
        states = [measure.state, *TRANSITIONS.get(measure.state, ())]
        self.fields["state"].choices = [(s, MeasureState(s).label) for s in states]


class AcceptForm(MeasureForm):
    """Accept with changes: the proposal's values, editable."""


class RejectForm(ServiceForm):
    reason = forms.CharField(label=_("Reason for rejecting"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- rules ---------------------------------------------------------------------------------------------------


class JsonField(forms.CharField):
    """JSON typed into a text area; a syntax error says where it is."""

    widget = forms.Textarea(attrs={"rows": 12, "class": "form-control font-monospace", "spellcheck": "false"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                gettext("This is not valid JSON: %(error)s at line %(line)d, column %(column)d.")
                % {"error": error.msg, "line": error.lineno, "column": error.colno}, code="json") from None

    def prepare_value(self, value):
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value


class RuleForm(ServiceForm):
    code = forms.CharField(label=_("Rule code"), max_length=40, required=False,
                           help_text=_("Stable name of the rule, e.g. serious_illness (cannot be changed later)."))
    title = forms.CharField(label=_("Rule title"), max_length=120, required=False)
    title_en = forms.CharField(label=_("Rule title (English)"), max_length=120, required=False)
    explanation = forms.CharField(label=_("Why this rule"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("The situation it answers, shown with each proposal."))
    priority = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100,
                                  help_text=_("Rules run in this order (lower first)."))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    source = forms.CharField(label=_("Source of the rule"), max_length=200, required=False)
    condition = JsonField(label=_("Condition (JSON)"), required=False,
                          help_text=_("E.g. {\"any\": [{\"fact\": \"student_count\", \"op\": \"gt\", \"value\": 0}, "
                                      "{\"fact\": \"causes\", \"op\": \"contains\", \"value\": \"9\"}]}"))
    proposals = JsonField(label=_("Proposed measures (JSON)"), required=False,
                          help_text=_("A list of {\"key\", \"function\", \"kind\", \"description\", \"due_days\"}."))
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, new: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not new:
            del self.fields["code"]

    def rule_data(self) -> dict:
        data = self.cleaned_data
        return {field: data.get(field) for field in ("title", "title_en", "explanation", "priority", "is_active",
                                                    "source", "condition", "proposals")}
