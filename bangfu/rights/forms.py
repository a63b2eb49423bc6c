"""Forms of the rights pages. They collect and type-check input only; every rule (dates, handler, outcome)
is decided by `bangfu.rights.services`, whose field errors land back on the fields (`apply_errors`)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.models import User
from bangfu.accounts.roles import ROLE_PERMISSIONS
from bangfu.orgs.models import Org
from bangfu.registry.forms import ServiceForm
from bangfu.rights.models import OPEN_CASE_STATES, CaseKind, CaseOutcome, CaseState, CaseTopic

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BLANK = [("", "---------")]


def eligible_handlers(household):
    """Active staff of the household's union and the unions above it, whose role works on rights cases (the
    service checks the same rule; the select only offers who would pass)."""
    path = household.org.path
    lineage = [path[:i] for i in range(len(path), 0, -Org.steplen)]
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if "rights.view_rightscase" in permissions]
    return (User.objects.filter(is_active=True, kind=User.Kind.STAFF, roles__role__in=roles)
            .filter(org__path__in=lineage)
            .select_related("org").distinct().order_by("-org__depth", "full_name", "username"))


class HandlerField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} · {obj.org.short_name or obj.org.name}" if obj.org_id else str(obj)


class CaseForm(ServiceForm):
    """A new case, or the editable facts of an open one. Missing values are not refused here: the write
    function refuses them with the other problems, so the user sees every problem at once, in one wording."""

    kind = forms.ChoiceField(label=_("Kind of case"), choices=BLANK + CaseKind.choices, required=False)
    topic = forms.ChoiceField(label=_("Topic of the case"), choices=BLANK + CaseTopic.choices, required=False)
    summary = forms.CharField(label=_("What the case is about"), widget=forms.Textarea(attrs={"rows": 4}),
                              max_length=4000, required=False)
    opened_on = forms.DateField(label=_("Case opened on"), widget=DATE, required=False)
    counterpart = forms.CharField(label=_("Employer or other party"), max_length=200, required=False)
    handled_by = HandlerField(label=_("Case handled by"), queryset=User.objects.none(), required=False,
                              help_text=_("Staff of this union or of a union above it; they are notified."))
    state = forms.ChoiceField(label=_("Case state"), choices=[(s, CaseState(s).label) for s in OPEN_CASE_STATES])

    def __init__(self, *args, household, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handled_by"].queryset = eligible_handlers(household)
        if not editing:
            del self.fields["state"]
            self.fields["opened_on"].initial = timezone.localdate()


class CloseForm(ServiceForm):
    outcome = forms.ChoiceField(label=_("Outcome of the case"), choices=BLANK + CaseOutcome.choices, required=False)
    closed_on = forms.DateField(label=_("Case closed on"), widget=DATE, required=False)
    outcome_note = forms.CharField(label=_("Outcome in words"), widget=forms.Textarea(attrs={"rows": 3}),
                                   max_length=4000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()


class ReopenForm(ServiceForm):
    reason = forms.CharField(label=_("Why the case is reopened"), max_length=500, required=False)


class CaseFilterForm(ServiceForm):
    STATE_CHOICES = [("", _("Not closed")), *CaseState.choices, ("all", _("All states"))]

    state = forms.ChoiceField(label=_("Case state"), choices=STATE_CHOICES, required=False)
    kind = forms.ChoiceField(label=_("Kind of case"), choices=[("", _("All kinds"))] + CaseKind.choices,
                             required=False)
    topic = forms.ChoiceField(label=_("Topic of the case"), choices=[("", _("All topics"))] + CaseTopic.choices,
                              required=False)
    archive = forms.CharField(label=_("Archive number"), max_length=32, required=False)
    mine = forms.BooleanField(label=_("Only cases I handle"), required=False)

    def apply(self, cases):
        data = self.cleaned_data
        state = data.get("state")
        if not state:
            cases = cases.open()
        elif state != "all":
            cases = cases.filter(state=state)
        if data.get("kind"):
            cases = cases.filter(kind=data["kind"])
        if data.get("topic"):
            cases = cases.filter(topic=data["topic"])
        if (data.get("archive") or "").strip():
            cases = cases.filter(household__archive_number__startswith=data["archive"].strip())
        return cases
