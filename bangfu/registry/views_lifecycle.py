"""Pages of the lifecycle: one form page per action of the transition table, and the staff list of
public notices. Views stay thin: the form parses, `services.lifecycle.run_action` decides and writes.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu import audit
from bangfu.registry import lifecycle
from bangfu.registry.models import ExitReason, Household, NoticeObjection, ObjectionOutcome, PublicNotice
from bangfu.registry.models.codes import code_choices
from bangfu.registry.services.lifecycle import consent_in_force, open_notice, run_action
from bangfu.registry.views_detail import household_for_page

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# Opinions, reasons, findings and objections: long enough for any real text, bounded for a pasted book.
MAX_TEXT = 4000


def _text(label, required=True, rows=3, help_text=""):
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": rows}))


class LifecycleForm(forms.Form):
    """Base of the action forms: knows the household and the acting user."""

    def __init__(self, *args, household, user, **kwargs):
        self.household, self.user = household, user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea | forms.TextInput | forms.DateInput):
                field.widget.attrs.setdefault("class", "form-control")


class EmptyForm(LifecycleForm):
    pass


class FirstCheckForm(LifecycleForm):
    decision = forms.ChoiceField(label=_("Result"), widget=forms.RadioSelect,
                                 choices=[("pass", _("Passed: go on to the home visit")),
                                          ("refuse", _("Not passed: refuse"))], initial="pass")
    opinion_text = _text(_("Opinion (the reason, if refused)"))


class HomeVisitForm(LifecycleForm):
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DATE)
    visitors = forms.CharField(label=_("Visitors"), max_length=200)
    findings = _text(_("Findings"), rows=5)
    authorisation_signed_on = forms.DateField(label=_("Economic-check authorisation signed on"), required=False,
                                              widget=DATE)
    authorisation_signed_by = forms.CharField(label=_("Signed by"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if consent_in_force(self.household, "economic_check") is not None:
            del self.fields["authorisation_signed_on"], self.fields["authorisation_signed_by"]


class NoteForm(LifecycleForm):
    note = _text(_("Note"))


class ReasonForm(LifecycleForm):
    reason = _text(_("Reason"))


class NoticeStartForm(LifecycleForm):
    starts_on = forms.DateField(label=_("First day of the notice"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].help_text = gettext(
            "The notice runs %(days)d calendar days at the place the worker chose in the consent."
        ) % {"days": lifecycle.notice_days()}


class ObjectionForm(LifecycleForm):
    received_on = forms.DateField(label=_("Received on"), widget=DATE, initial=timezone.localdate)
    objector = forms.CharField(label=_("Raised by"), max_length=64, required=False,
                               help_text=_("May stay anonymous."))
    content = _text(_("Objection"))


class ObjectionDecideForm(LifecycleForm):
    objection = forms.ModelChoiceField(label=_("Objection"), queryset=NoticeObjection.objects.none())
    outcome = forms.ChoiceField(label=_("Outcome"), widget=forms.RadioSelect, choices=[
        (ObjectionOutcome.DISMISSED, ObjectionOutcome.DISMISSED.label),
        (ObjectionOutcome.UPHELD, ObjectionOutcome.UPHELD.label)])
    note = _text(_("Findings on the objection"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notice = open_notice(self.household)
        queryset = NoticeObjection.objects.restrict(self.user, "view").filter(notice=notice, outcome="pending")
        self.fields["objection"].queryset = queryset if notice else NoticeObjection.objects.none()
        self.fields["objection"].label_from_instance = lambda o: f"{o.received_on} · {o.content[:60]}"


class OpinionForm(LifecycleForm):
    opinion_text = _text(_("Opinion"))


class OptionalOpinionForm(LifecycleForm):
    opinion_text = _text(_("Opinion"), required=False)


class ReviewForm(LifecycleForm):
    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=DATE, initial=timezone.localdate)
    note = _text(_("Findings of the review"))


class ExitForm(LifecycleForm):
    reason = forms.ChoiceField(label=_("Exit reason"), choices=[("", "---------"), *ExitReason.choices])
    on = forms.DateField(label=_("Exit date"), widget=DATE, initial=timezone.localdate)
    note = _text(_("Note"), required=False)


class AppealFileForm(LifecycleForm):
    grounds = _text(_("Grounds of the appeal"), rows=5)


class AppealDecideForm(LifecycleForm):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("uphold", _("Uphold the decision (the archive stays closed)")),
        ("grant", _("Grant the appeal (refusal: back to approval; exit: back to active)"))])
    reason = _text(_("Reason for the decision"))


class RefusalNotifiedForm(LifecycleForm):
    notified_on = forms.DateField(label=_("Told on"), widget=DATE, initial=timezone.localdate)


class TransferForm(LifecycleForm):
    to_org = forms.ModelChoiceField(label=_("Receiving union"), queryset=Household.objects.none())
    reason = _text(_("Reason"))

    def __init__(self, *args, **kwargs):
        from bangfu.orgs.models import Org

        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = (
            Org.objects.restrict(self.user, "view").filter(is_active=True).exclude(pk=self.household.org_id)
            .order_by("path")
        )


def _members(form, heads=False):
    queryset = form.household.members.all()
    return queryset if heads else queryset.filter(is_head=False)


class ChangeHeadForm(LifecycleForm):
    new_head = forms.ModelChoiceField(label=_("New head"), queryset=Household.objects.none())
    old_head_relation = forms.ChoiceField(label=_("Relation of the former head to the new head"))
    reason = _text(_("Reason"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_head"].queryset = _members(self)
        self.fields["old_head_relation"].choices = [c for c in code_choices("relation") if c[0] != "self"]


class SplitForm(LifecycleForm):
    members = forms.ModelMultipleChoiceField(label=_("Members who form the new household"),
                                             queryset=Household.objects.none(), widget=forms.CheckboxSelectMultiple)
    new_head = forms.ModelChoiceField(label=_("Head of the new household"), queryset=Household.objects.none())
    reason = _text(_("Reason"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _members(self)
        self.fields["new_head"].queryset = _members(self)


class MergeForm(LifecycleForm):
    other = forms.CharField(label=_("Archive number of the archive that joins this one"), max_length=32)
    reason = _text(_("Reason"))

    def clean_other(self):
        number = self.cleaned_data["other"].strip()
        found = Household.objects.restrict(self.user, "view").filter(archive_number=number).first()
        if found is None:
            raise ValidationError(gettext("No archive with this number within your part of the tree."))
        return found


FORMS: dict[str, type[LifecycleForm]] = {
    "submit": EmptyForm,
    "first_check_start": EmptyForm,
    "first_check": FirstCheckForm,
    "home_visit": HomeVisitForm,
    "economic_check_complete": NoteForm,
    "economic_check_waive": ReasonForm,
    "notice_start": NoticeStartForm,
    "notice_objection": ObjectionForm,
    "notice_objection_decide": ObjectionDecideForm,
    "notice_close": OptionalOpinionForm,
    "approve": OpinionForm,
    "refuse": ReasonForm,
    "refusal_notified": RefusalNotifiedForm,
    "review": ReviewForm,
    "exit": ExitForm,
    "appeal_file": AppealFileForm,
    "appeal_decide": AppealDecideForm,
    "temporary_convert": ReasonForm,
    "temporary_cancel": ReasonForm,
    "transfer": TransferForm,
    "change_head": ChangeHeadForm,
    "split": SplitForm,
    "merge": MergeForm,
    "reenter": ReasonForm,
}
# Decisions of the higher union are audited as approvals (DOMAIN.md §9).
AUDITED_AS_APPROVAL = {"approve", "appeal_decide"}


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: known fields by name, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def execute(request, household, action: str, form) -> object:
    """Run the action (ValidationError propagates); audit the higher union's decisions."""
    result = run_action(household, action, request.user, form.cleaned_data)
    if action in AUDITED_AS_APPROVAL or (action == "refuse" and household.state == "approval"):
        audit.log_access(request, "approve", obj=household, decision=action)
    return result


@login_required
def lifecycle_action(request, pk, action):
    household = household_for_page(request, pk)
    if action not in FORMS:
        raise Http404
    rows = lifecycle.rows(action)
    problem = None
    try:
        lifecycle.check(action, request.user, household)
    except ValidationError as error:
        problem = " ".join(error.messages)
    form_class = FORMS[action]
    if request.method == "POST" and problem is None:
        form = form_class(request.POST, household=household, user=request.user)
        if form.is_valid():
            try:
                result = execute(request, household, action, form)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, gettext("Done: %(action)s.") % {"action": rows[0].label})
                target = result if isinstance(result, Household) and result.pk != household.pk else household
                return redirect("registry:detail", pk=target.pk)
    else:
        form = form_class(household=household, user=request.user)
    return render(request, "registry/lifecycle/action.html", {
        "household": household, "action": action, "row": rows[0], "form": form, "problem": problem,
        "notice": open_notice(household) if action.startswith("notice_") else None,
        "crumbs": [(household.archive_number, f"/households/{household.pk}/"), (rows[0].label, "")],
    })


@login_required
def notice_list(request):
    """Public notices in the user's scope: masked name, category, period, place — never ID, health or address.
    A staff page: workers (who may read their own household's notice on its archive page), providers and
    anyone without the permission get the platform's 404."""
    if request.user.kind != "staff" or not request.user.has_role_permission("registry.view_publicnotice"):
        raise Http404
    show = request.GET.get("show", "running")
    notices = PublicNotice.objects.restrict(request.user, "view").select_related("household__org")
    today = timezone.localdate()
    if show == "running":
        notices = notices.filter(closed_on=None)
    notices = notices.order_by("-starts_on", "-id")
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(request, "registry/lifecycle/notices.html", {
        "page": page, "show": show, "today": today, "crumbs": [(gettext("Public notices"), "")],
    })
