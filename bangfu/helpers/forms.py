"""Forms of the helper pages. They collect and type-check input; every rule is in `bangfu.helpers.services`, whose
field-level errors they show (`ServiceForm.apply_errors`)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.helpers.frequencies import MAX_INTERVAL_DAYS, frequencies_for
from bangfu.helpers.models import HelperMode
from bangfu.helpers.photos import PHOTO_ACCEPT
from bangfu.helpers.rules import eligible_helpers, lineage_orgs, nameable_users
from bangfu.registry.forms import ServiceForm

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _LeftToTheService:
    """Shown as required, but an empty value goes on to the write function, which says what is missing together
    with every other problem of the input (instead of one round of "required" first, the rest after)."""

    def validate(self, value):
        return None


class TextField(_LeftToTheService, forms.CharField):
    pass


class DayField(_LeftToTheService, forms.DateField):
    pass


class ListedChoiceField(_LeftToTheService, forms.ChoiceField):
    pass


class HelperChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        org = user.org.short_name or user.org.name if user.org_id else "—"
        return f"{user} · {org}"


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, org):
        return org.name


class ResponsibleForm(ServiceForm):
    """Mode, person or union, and kind of helper: shared by the assign and the hand-over forms.

    The person select LISTS the eligible users of the household (its union and the unions above it) that the
    actor may name, but ACCEPTS any user the actor may name (`rules.nameable_users`): so a person of a union
    below the household's or of an unrelated union is refused by the write function with the message naming
    their union, not by a bare "invalid choice". Anybody else is not a valid choice (nothing about them shown)."""

    mode = ListedChoiceField(label=_("Mode of help"), choices=HelperMode.choices, widget=forms.RadioSelect,
                             initial=HelperMode.PAIRING)
    helper = HelperChoiceField(label=_("Responsible helper"), queryset=None, required=False,
                               help_text=_("For one-to-one pairing and accountable cadres: a person of the "
                                           "household's union or of a union above it."))
    helper_org = OrgChoiceField(label=_("Responsible union"), queryset=None, required=False,
                                help_text=_("For the union mode: the household's union or a union above it."))
    helper_kind = ListedChoiceField(label=_("Kind of helper"), help_text=_("Decides how often visits are due."))

    def __init__(self, *args, household, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = nameable_users(actor)
        candidates = eligible_helpers(household).filter(pk__in=nameable_users(actor).values("pk"))
        field = self.fields["helper"]
        # Grouped nearest first: the household's own union, then the unions above it.
        groups: dict[str, list] = {"own": [], "above": []}
        path = household.org.path
        for user in candidates:
            groups["own" if user.org.path == path else "above"].append(user)
        groups["above"].sort(key=lambda u: -len(u.org.path))
        labels = {"own": _("The household's union"), "above": _("Unions above it")}
        field.widget.choices = [("", "---------")] + [
            (labels[key], [(u.pk, field.label_from_instance(u)) for u in users])
            for key, users in groups.items() if users]
        self.fields["helper_org"].queryset = lineage_orgs(household)
        self.fields["helper_kind"].choices = [("", "---------")] + [
            (kind, frequency.choice_label) for kind, frequency in frequencies_for(household.org).items()]

    def responsible(self) -> dict:
        data = self.cleaned_data
        union = data.get("mode") == HelperMode.UNION
        return {"mode": data.get("mode"), "helper_kind": data.get("helper_kind"),
                "person": None if union else data.get("helper"), "org": data.get("helper_org") if union else None}


class AssignForm(ResponsibleForm):
    starts_on = DayField(label=_("Responsible from"), widget=DATE_INPUT)

    field_order = ["mode", "helper", "helper_org", "helper_kind", "starts_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()


class HandOverForm(ResponsibleForm):
    on = DayField(label=_("Handover date"), widget=DATE_INPUT,
                         help_text=_("The current helper's period ends and the next one starts on this day."))
    reason = TextField(label=_("Reason for the handover"), max_length=200)

    field_order = ["mode", "helper", "helper_org", "helper_kind", "on", "reason"]

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        if current is not None and not self.is_bound:
            self.initial.setdefault("mode", current.mode)
            self.initial.setdefault("helper_kind", current.helper_kind)


class EndForm(ServiceForm):
    on = DayField(label=_("Last day of responsibility"), widget=DATE_INPUT)
    reason = TextField(label=_("Reason it ended"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class VisitForm(ServiceForm):
    visited_on = DayField(label=_("Visited on"), widget=DATE_INPUT)
    visitors = TextField(label=_("Who went"), max_length=200,
                               help_text=_("The people who made the visit, e.g. the helper and a case worker."))
    findings = TextField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}))
    problems_solved = forms.CharField(label=_("Problems solved"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("Next step"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()


class FrequencyForm(ServiceForm):
    helper_kind = forms.CharField(label=_("Kind of helper (code)"), max_length=32,
                                  help_text=_("Letters, digits and underscores, e.g. branch_cadre. Use an existing "
                                              "code to change its interval for your union."))
    label = forms.CharField(label=_("Name of the kind"), max_length=60)
    interval_days = forms.IntegerField(label=_("Visit at least every (days)"), min_value=1,
                                       max_value=MAX_INTERVAL_DAYS)


class ListOrgForm(forms.Form):
    """The union filter of the lists: an org code of the user's subtree (with its subtree)."""

    org = forms.CharField(label=_("Union (org code, with its subtree)"), max_length=32, required=False,
                          widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                        "list": "org-options", "autocomplete": "off"}))
