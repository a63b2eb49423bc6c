"""Forms of the care pages. They collect and type-check input; every rule is in `bangfu.care.services`, whose
errors land on the fields (`ServiceForm.apply_errors`) — a missing screening item on its own radio group."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.care import instruments
from bangfu.care.models import ActivityKind, Instrument, SessionKind
from bangfu.registry.forms import ServiceForm
from bangfu.registry.models.codes import CodeList, code_label

DATE = {"type": "date"}
MAX_ARCHIVE_NUMBERS = 200


def member_label(member) -> str:
    relation = code_label(CodeList.RELATION, member.relation)
    return f"{member.name_masked} ({relation})" if relation else member.name_masked


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return member_label(obj)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name or obj.username} · {obj.org.name}"


def _date_field(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), **kwargs)


def _text_field(label, *, rows=3, **kwargs):
    kwargs.setdefault("required", False)
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), max_length=5000, **kwargs)


class ScreeningForm(ServiceForm):
    """The instrument's items as radio groups (`item_1` …), the member, the date and notes."""

    instrument = forms.ChoiceField(label=_("instrument"), choices=Instrument.choices)
    member = MemberChoiceField(label=_("member screened"), queryset=None, empty_label=None)
    screened_on = _date_field(_("screened on"))
    notes = _text_field(_("notes"), help_text=_("Visible to counsellors only."))

    def __init__(self, *args, household, instrument: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = instruments.spec(instrument)
        self.fields["instrument"].initial = instrument
        self.fields["member"].queryset = household.members.order_by("-is_head", "id")
        self.fields["screened_on"].initial = timezone.localdate()
        choices = [(value, label) for value, label in instruments.ANSWER_CHOICES]
        for number, text in enumerate(self.spec.items, start=1):
            # Not required here: the scoring names a missing item in its own words (one rule, one message).
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=text, choices=choices, coerce=int, required=False, empty_value=None,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}))
        self._style()

    def item_fields(self):
        return [(number, self[f"item_{number}"]) for number in range(1, self.spec.item_count + 1)]

    def answers(self) -> list:
        return [self.cleaned_data.get(f"item_{number}") for number in range(1, self.spec.item_count + 1)]

    def apply_errors(self, error: ValidationError, *, rename=None) -> None:
        """Item errors go to their radio group; the rest as usual."""
        if hasattr(error, "error_dict") and "answers" in error.error_dict:
            by_item = instruments.item_errors(self.spec.code, self.answers())
            for number, message in by_item.items():
                self.add_error(f"item_{number}" if number else None, message)
            error = ValidationError({k: v for k, v in error.error_dict.items() if k != "answers"}) \
                if len(error.error_dict) > 1 else None
        if error is not None:
            super().apply_errors(error, rename=rename)


class CarePlanForm(ServiceForm):
    opened_on = _date_field(_("opened on"))
    counsellor = UserChoiceField(label=_("counsellor in charge"), queryset=None, empty_label=None)
    goals = _text_field(_("goals and approach"), rows=6)

    def __init__(self, *args, counsellors, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].queryset = counsellors
        if editing:
            del self.fields["opened_on"]
        else:
            self.fields["opened_on"].initial = timezone.localdate()


class ClosePlanForm(ServiceForm):
    closed_on = _date_field(_("closed on"))


class SessionForm(ServiceForm):
    kind = forms.ChoiceField(label=_("kind of session"), choices=SessionKind.choices)
    member = MemberChoiceField(label=_("member"), queryset=None, required=False,
                               empty_label=_("The household as a whole"))
    held_on = _date_field(_("held on"))
    notes = _text_field(_("notes"), rows=5)
    next_step = _text_field(_("next step"), rows=2)

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = household.members.order_by("-is_head", "id")
        self.fields["held_on"].initial = timezone.localdate()


class AcknowledgeForm(ServiceForm):
    action_taken = _text_field(_("action taken"), required=True,
                               help_text=_("Who contacted the family, when, and what happens next."))


class CloseCaseForm(ServiceForm):
    outcome = _text_field(_("outcome"), required=True)


class ActivityForm(ServiceForm):
    org = forms.ModelChoiceField(label=_("union"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("kind of activity"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    held_on = _date_field(_("held on"))
    participant_count = forms.IntegerField(label=_("participants"), min_value=0, max_value=100000)
    archive_numbers = forms.CharField(
        label=_("households taking part (archive numbers)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One archive number per line, or separated by commas or spaces."))
    notes = _text_field(_("notes"))

    def __init__(self, *args, orgs, households, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.households_qs = households  # the user's households; resolved against the chosen union below
        self.fields["org"].queryset = orgs
        if editing:
            del self.fields["org"]
        else:
            self.fields["held_on"].initial = timezone.localdate()

    def clean_archive_numbers(self) -> list[str]:
        numbers = [n for n in re.split(r"[\s,，;；]+", self.cleaned_data.get("archive_numbers") or "") if n]
        numbers = list(dict.fromkeys(numbers))
        if len(numbers) > MAX_ARCHIVE_NUMBERS:
            raise ValidationError(_("At most %(count)d households at once.") % {"count": MAX_ARCHIVE_NUMBERS})
        return numbers

    def households(self) -> list:
        """The households named, among those the user may see; unknown numbers are a field error."""
        numbers = self.cleaned_data.get("archive_numbers") or []
        found = {h.archive_number: h for h in self.households_qs.filter(archive_number__in=numbers)
                 .select_related("org")}
        unknown = [n for n in numbers if n not in found]
        if unknown:
            self.add_error("archive_numbers", _("No household with these archive numbers among yours: %(numbers)s.")
                           % {"numbers": ", ".join(unknown)})
            return []
        return [found[n] for n in numbers]
