"""Forms of the dynamic-management pages: they type-check; the services decide (their field errors are shown
beside the fields)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.core.forms import ServiceErrorsMixin
from bangfu.monitoring.models import ReviewState, SpotOutcome, SuggestionState, WatchState


def _date_widget():
    return forms.DateInput(attrs={"type": "date", "class": "form-control"})


def _text_widget(rows=3):
    return forms.Textarea(attrs={"rows": rows, "class": "form-control"})


class ReviewForm(ServiceErrorsMixin, forms.Form):
    reviewed_on = forms.DateField(label=_("Review date"), widget=_date_widget(), initial=timezone.localdate)
    note = forms.CharField(label=_("What the review found"), max_length=4000, widget=_text_widget())


class SpotCheckForm(ServiceErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Spot-check outcome"), choices=SpotOutcome.choices,
                                widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note (required for a discrepancy)"), max_length=4000, required=False,
                           widget=_text_widget(2))


class DrawForm(ServiceErrorsMixin, forms.Form):
    seed = forms.IntegerField(label=_("Seed (optional, to repeat a draw)"), required=False, min_value=0,
                              max_value=2**62 - 1, widget=forms.NumberInput(attrs={"class": "form-control"}))


class CycleStartForm(ServiceErrorsMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100,
                              widget=forms.NumberInput(attrs={"class": "form-control"}))


class AcceptForm(ServiceErrorsMixin, forms.Form):
    on = forms.DateField(label=_("Exit date"), widget=_date_widget(), initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), max_length=4000, required=False, widget=_text_widget(2))


class DismissForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Why the household stays in the archive"), max_length=4000,
                             widget=_text_widget(2))


class ResolveForm(ServiceErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome of the relapse review"), widget=forms.RadioSelect, choices=[
        ("no_relapse", _("No relapse: keep watching until the end of the window")),
        ("reenter", _("Hardship again: re-open as a new archive")),
    ])
    note = forms.CharField(label=_("What the review found"), max_length=4000, widget=_text_widget(2))


def _select(choices):
    return forms.ChoiceField(required=False, choices=[("", _("All"))] + list(choices),
                             widget=forms.Select(attrs={"class": "form-select form-select-sm"}))


class ReviewFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("", _("All")), ("open", _("Due or re-review")), *ReviewState.choices, ("overdue", _("Overdue"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100,
                              widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}))


class SuggestionFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *SuggestionState.choices],
                              widget=forms.Select(attrs={"class": "form-select form-select-sm"}))


class WatchFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *WatchState.choices],
                              widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
