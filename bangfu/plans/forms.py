"""Forms of the plan and rule pages. They collect and type-check input only; every rule is decided by the write
functions of `bangfu.plans.services` / `bangfu.plans.engine`, whose field errors the forms show
(`apply_errors`). Free-text fields the services require are optional here, so that the service's message
(which says what is missing and why) is the one shown."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.plans.models import MeasureFunction, MeasureKind, MeasureState
from bangfu.plans.services.measures import TRANSITIONS, choose_an_owner, eligible_owner, eligible_owners
from bangfu.registry.forms import ServiceForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EMPTY = [("", "---------")]


class OwnerField(forms.ChoiceField):
    """A select of the users who may own the household's measures. A posted id is looked up only among them (and
    the measure's current owner, `keep`): any other id gets the one neutral message of the write functions,
    which names nobody (a typed id of another union's user reveals nothing)."""

    def __init__(self, *args, household=None, keep=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.household, self.keep = household, keep

    def valid_value(self, value):
        return True  # looked up in clean(), with the neutral message

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        owner = eligible_owner(self.household, value, keep=self.keep)
        if owner is None:
            raise forms.ValidationError(choose_an_owner(), code="owner")
        return owner


def _owner_label(user) -> str:
    return f"{user} · {user.org.name}" if user.org_id else str(user)


def owner_choices(household, keep=None) -> list[tuple[str, str]]:
    owners = list(eligible_owners(household))
    if keep is not None and keep not in owners:
        owners.insert(0, keep)  # the current owner stays selectable until somebody chooses another
    return [*EMPTY, *((str(u.pk), _owner_label(u)) for u in owners)]


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
        _set_owners(self.fields["owner"], household)


def _set_owners(field: OwnerField, household, keep=None) -> None:
    field.household, field.keep = household, keep
    field.choices = owner_choices(household, keep)


class MeasureEditForm(ServiceForm):
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE)
    owner = OwnerField(label=_("Measure owner"), required=False)

    def __init__(self, *args, household, current_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        _set_owners(self.fields["owner"], household, current_owner)


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
