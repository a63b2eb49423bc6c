"""The worker's own pages: home, eligibility pre-check, my archive (masked), my application and its evidence.

Every page goes through `access.worker_page` (a verified worker session) and reads through `restrict(worker, …)`:
the household, its members, opinions and timeline are the worker's own or nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit.access import log_access
from bangfu.core.forms import errors_to_form
from bangfu.portal import application, forms, precheck
from bangfu.portal.access import worker_page
from bangfu.registry.models import Attachment, HouseholdCause, LevelOpinion, Member, State, TimelineEvent
from bangfu.registry.models.codes import CodeList, code_label
from bangfu.registry.panels.classification import category_label
from bangfu.registry.services.evidence import evidence_checklist
from bangfu.services.models import Match, MatchState, Offer, ServiceRequest
from bangfu.services.models.catalogue import FEED_KINDS

HOME_ROWS = 5


def _members(user, household):
    return Member.objects.restrict(user, "view").filter(household=household).order_by("-is_head", "id")


@worker_page()
def home(request):
    user = request.user
    household = application.own_household(user)
    today = timezone.localdate()
    requests = (ServiceRequest.objects.restrict(user, "view").select_related("item")
                .order_by("-submitted_at", "-id")[:HOME_ROWS])
    offers = (Offer.objects.restrict(user, "view").filter(item__kind__in=FEED_KINDS).valid_on(today)
              .select_related("item", "provider").order_by("-created_at", "-id")[:HOME_ROWS])
    waiting = Match.objects.restrict(user, "view").filter(
        state__in=(MatchState.PROPOSED, MatchState.PROVIDER_ACCEPTED)).count()
    return render(request, "portal/home.html", {
        "household": household, "category": category_label(household.category) if household and
        household.category else "", "requests": list(requests), "offers": list(offers), "matches_waiting": waiting,
        "tab": "home",
    })


@worker_page()
def archive(request):
    """My archive as the rules allow (DOMAIN.md §9): names surname + *, ID 6 + 4, phones 3 + 4; no need score,
    no health codes, no diagnosis, no address, bank card last 4 only. The read is logged like every archive read."""
    user = request.user
    household = application.own_household_or_404(user)
    members = [
        {"name": m.name_masked, "relation": code_label(CodeList.RELATION, m.relation), "sex": m.get_sex_display(),
         "identity": m.identity_masked, "phone": m.phone_masked, "is_head": m.is_head, "is_me": m.account_id == user.pk,
         "work_status": code_label(CodeList.WORK_STATUS, m.work_status)}
        for m in _members(user, household)
    ]
    causes = [(c.is_main, code_label(CodeList.CAUSE, c.code))
              for c in HouseholdCause.objects.restrict(user, "view").filter(household=household)]
    log_access(request, "view", obj=household, via="portal")
    return render(request, "portal/archive.html", {
        "household": household, "members": members, "causes": causes,
        "category": category_label(household.category) if household.category else "", "tab": "archive",
    })


def _application_context(user, household) -> dict:
    return {
        "household": household, "steps": application.steps(household),
        "opinions": LevelOpinion.objects.restrict(user, "view").filter(household=household).order_by("on", "id"),
        "events": [(e.at, State(e.to_state).label if e.to_state in State.values else e.to_state)
                   for e in TimelineEvent.objects.restrict(user, "view").filter(household=household)
                   .exclude(to_state="").order_by("at", "id")],
        "checklist": evidence_checklist(household),
        # The household was fetched through restrict(): its own files (names and kinds only; downloads stay with
        # the union's audited view).
        "attachments": [{"kind": code_label(CodeList.EVIDENCE, a.kind), "name": a.original_name,
                         "size": a.size, "at": a.uploaded_at}
                        for a in Attachment.objects.filter(household=household).order_by("-uploaded_at")],
        "can_upload": household.state in application.EVIDENCE_STATES,
        "is_draft": household.state == State.DRAFT,
        "refused": household.state in (State.REFUSED, State.EXITED),
        "tab": "application",
    }


@worker_page()
def application_page(request):
    """Follow my application: where it stands, the decisions so far, the evidence on file; upload more; on a draft,
    choose the causes and submit."""
    user = request.user
    household = application.own_household_or_404(user)
    members = _members(user, household)
    evidence_form = forms.EvidenceForm(members=members)
    main = household.causes.filter(is_main=True).values_list("code", flat=True).first()
    causes_form = forms.CausesForm(initial={
        "main": main, "secondary": list(household.causes.filter(is_main=False).values_list("code", flat=True))})
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "evidence":
            evidence_form = forms.EvidenceForm(request.POST, request.FILES, members=members)
            if evidence_form.is_valid():
                data = evidence_form.cleaned_data
                try:
                    application.evidence_upload(user, data["file"], kind=data["kind"], member=data["member"])
                except ValidationError as error:
                    errors_to_form(evidence_form, error)
                else:
                    messages.success(request, _("The file was added to your application."))
                    return redirect("portal:application")
        elif step == "causes":
            causes_form = forms.CausesForm(request.POST)
            if causes_form.is_valid():
                try:
                    application.draft_causes_set(user, main=causes_form.cleaned_data["main"],
                                                 secondary=causes_form.cleaned_data["secondary"])
                except ValidationError as error:
                    errors_to_form(causes_form, error)
                else:
                    messages.success(request, _("The causes were saved."))
                    return redirect("portal:application")
    context = _application_context(user, household)
    context.update(evidence_form=evidence_form, causes_form=causes_form)
    return render(request, "portal/application.html", context)


@worker_page()
def application_submit(request):
    if request.method != "POST":  # nothing to do on a GET: back to the page with the button
        return redirect("portal:application")
    try:
        application.application_submit(request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your application was submitted. Your union will check it."))
    return redirect("portal:application")


@worker_page()
def eligibility(request):
    """Could my family qualify? The answers go through the eligibility-check API's own validation and engine."""
    household = application.own_household(request.user)
    initial = {"division": household.division_id} if household else {}
    form = precheck.PrecheckForm(request.POST or None, initial=initial)
    result = None
    if request.method == "POST" and form.is_valid():
        result = precheck.run(form)
    return render(request, "portal/eligibility.html", {"form": form, "result": result, "tab": "eligibility"})


