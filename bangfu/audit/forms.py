"""Filters for the audit pages. Bad input becomes a field error on the form, never a 500."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import AccessLogEntry, ChangeLogEntry, Job
from bangfu.audit.registry import registered_models

_BLANK = [("", _("Any"))]


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditFilterForm(forms.Form):
    """The filters both logs share; subclasses add their own and `apply` them."""

    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label=_("User (username)"), required=False, max_length=150)
    org = forms.CharField(
        label=_("Organisation code"), required=False, max_length=32,
        help_text=_("Entries of this organisation and the unions below it."),
    )
    request_id = forms.CharField(label=_("Request id"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)

    actor_field = "actor_username"
    field_order = ["date_from", "date_to", "actor", "org", "action", "result", "object_type", "object_id", "request_id"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for bound in self.fields.values():
            bound.widget.attrs.setdefault("class", "form-select form-select-sm"
                                          if isinstance(bound, forms.ChoiceField) else "form-control form-control-sm")

    def clean_org(self):
        code = self.cleaned_data["org"].strip()
        if not code:
            return None
        # Only orgs inside the auditor's own subtree can be chosen; any other code is simply unknown.
        org = self.user.org.subtree().filter(code=code).first() if self.user.org_id else None
        if org is None:
            raise forms.ValidationError(_("No organisation with this code in your part of the union tree."))
        return org

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def apply(self, queryset):
        data = self.cleaned_data
        if data.get("date_from"):
            queryset = queryset.filter(time__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            queryset = queryset.filter(time__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
        if data.get("actor"):
            queryset = queryset.filter(**{self.actor_field: data["actor"].strip()})
        if data.get("org"):
            queryset = queryset.filter(org__path__startswith=data["org"].path)
        if data.get("request_id"):
            queryset = queryset.filter(request_id=data["request_id"].strip())
        if data.get("object_id"):
            queryset = queryset.filter(object_id=data["object_id"].strip())
        return queryset

    def summary(self) -> dict:
        """The filters used, as plain strings (recorded in the access log of the audit read)."""
        if not self.is_bound:
            return {}
        return {name: str(value) for name, value in self.data.items() if name in self.fields and value}


def _object_type_choices():
    models = [*registered_models(), Job]
    return _BLANK + sorted(
        ((m._meta.label_lower, str(m._meta.verbose_name)) for m in models), key=lambda choice: choice[1]
    )


class ChangeFilterForm(AuditFilterForm):
    action = forms.ChoiceField(label=_("Action"), required=False, choices=_BLANK + ChangeLogEntry.Action.choices)
    object_type = forms.ChoiceField(label=_("Object type"), required=False, choices=_object_type_choices)

    def apply(self, queryset):
        queryset = super().apply(queryset)
        data = self.cleaned_data
        if data.get("action"):
            queryset = queryset.filter(action=data["action"])
        if data.get("object_type"):
            model = apps.get_model(data["object_type"])
            queryset = queryset.filter(content_type=ContentType.objects.get_for_model(model, for_concrete_model=False))
        return queryset


class AccessFilterForm(AuditFilterForm):
    action = forms.ChoiceField(label=_("Action"), required=False, choices=_BLANK + AccessLogEntry.Action.choices)
    result = forms.ChoiceField(label=_("Result"), required=False, choices=_BLANK + AccessLogEntry.Result.choices)
    object_type = forms.CharField(
        label=_("Object type"), required=False, max_length=100, help_text=_("For example accounts.user")
    )

    actor_field = "username"

    def apply(self, queryset):
        queryset = super().apply(queryset)
        data = self.cleaned_data
        for name in ("action", "result"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("object_type"):
            queryset = queryset.filter(object_type=data["object_type"].strip().lower())
        return queryset
