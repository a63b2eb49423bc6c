"""Pages of the household plan: the plan (four clears, measures, proposals), the engine's button, the
four-clears form, a measure added by hand, one measure (state, outcome, due date, owner), one proposal
(accept, accept with changes, reject).

Thin views: the household, measure or proposal is looked up in the user's scope (another union's is a 404),
the form's input goes to a write function of `bangfu.plans.services` (or `engine.propose`) and its errors are
shown on the form; a role that may not act gets a 404 too. Workers see their own household's measures only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.scoping import get_scoped_or_404
from bangfu.plans import engine, forms
from bangfu.plans.facts import describe_facts
from bangfu.plans.models import Measure, Plan, Recommendation, RecommendationDecision
from bangfu.plans.services import measures as measure_services
from bangfu.plans.services.plans import plan_update
from bangfu.plans.services.recommendations import default_due_on, recommendation_accept, recommendation_reject
from bangfu.registry.models import CLOSED_STATES, Household


def _household(request, pk, action="view") -> Household:
    if not request.user.has_role_permission("plans.view_measure"):
        raise Http404
    queryset = Household.objects.select_related("org").prefetch_related("causes")
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


def _crumbs(household, *more):
    return [(household.archive_number, reverse("registry:detail", args=[household.pk])),
            (_("Household plan"), reverse("plans:household", args=[household.pk])), *more]


def _owner_id(user, household) -> str:
    """The owner preselected on a form: the user deciding, when they may own the measure."""
    return str(user.pk) if measure_services.eligible_owners(household).filter(pk=user.pk).exists() else ""


def _recommendation_rows(recommendations) -> list[dict]:
    return [{"rec": rec, "facts": describe_facts(rec.facts), "due_on": default_due_on(rec)} for rec in recommendations]


@login_required
def household_plan(request, pk):
    user = request.user
    household = _household(request, pk)
    is_open = household.state not in CLOSED_STATES
    plan = Plan.objects.restrict(user, "view").filter(household=household).first()
    measures = list(Measure.objects.restrict(user, "view").filter(household=household)
                    .select_related("owner", "recommendation__rule").order_by("state", "due_on", "id"))
    for measure in measures:
        measure.may_update = is_open and measure.is_open and measure_services.may_update(user, measure)
    context = {
        "household": household, "plan": plan, "measures": measures, "is_open": is_open,
        "is_staff_view": user.kind == "staff",
        "may_edit_plan": is_open and user.has_role_permission("plans.change_plan"),
        "may_propose": is_open and user.has_role_permission("plans.recommend_plan"),
        "may_add_measure": is_open and measure_services.may_manage(user),
        "may_decide": is_open and user.has_role_permission("plans.change_recommendation"),
        "crumbs": _crumbs(household)[:1] + [(_("Household plan"), "")],
    }
    if user.has_role_permission("plans.view_recommendation"):
        recs = (Recommendation.objects.restrict(user, "view").filter(household=household)
                .select_related("rule", "decided_by", "measure").order_by("created_at", "id"))
        context["pending"] = _recommendation_rows(r for r in recs if r.decision == RecommendationDecision.PENDING)
        context["decided"] = [r for r in recs if r.decision != RecommendationDecision.PENDING]
        context["show_recommendations"] = True
        context["default_owner"] = _owner_id(user, household)
    audit.log_access(request, "view", obj=household, what="plan")
    return render(request, "plans/household.html", context)


@login_required
@require_POST
def propose(request, pk):
    household = _household(request, pk, "view")
    if not request.user.has_role_permission("plans.recommend_plan"):
        raise Http404
    try:
        made = engine.propose(household, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        if made:
            messages.success(request, ngettext("%(count)d measure was proposed: decide on it below.",
                                               "%(count)d measures were proposed: decide on each below.",
                                               len(made)) % {"count": len(made)})
        else:
            messages.info(request, _("No new proposal: no rule matches this household, or everything the rules "
                                     "propose was already proposed."))
    return redirect(reverse("plans:household", args=[household.pk]) + "#recommendations")


@login_required
def plan_edit(request, pk):
    household = _household(request, pk, "view")
    if not request.user.has_role_permission("plans.change_plan"):
        raise Http404
    plan = Plan.objects.filter(household=household).first()
    initial = {"situation": plan.situation, "needs": plan.needs} if plan else {}
    form = forms.PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan_update(household, request.user, situation=form.cleaned_data["situation"],
                        needs=form.cleaned_data["needs"])
        except ValidationError as error:
            form.apply_errors(error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("The plan was saved."))
            return redirect("plans:household", pk=household.pk)
    title = _("Situation and needs")
    return render(request, "plans/plan_form.html", {"household": household, "form": form, "title": title,
                                                    "crumbs": _crumbs(household, (title, ""))})


@login_required
def measure_add(request, pk):
    household = _household(request, pk, "view")
    if not measure_services.may_manage(request.user):
        raise Http404
    form = forms.MeasureForm(request.POST or None, household=household,
                             initial={"owner": _owner_id(request.user, household)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            measure_services.measure_add(household, request.user, function=data["function"], kind=data["kind"],
                                         description=data["description"], owner=data["owner"], due_on=data["due_on"])
        except ValidationError as error:
            form.apply_errors(error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("The measure was added to the plan."))
            return redirect(reverse("plans:household", args=[household.pk]) + "#measures")
    title = _("Add a measure")
    return render(request, "plans/measure_form.html", {"household": household, "form": form, "title": title,
                                                       "crumbs": _crumbs(household, (title, ""))})


@login_required
def measure_detail(request, pk):
    user = request.user
    queryset = Measure.objects.select_related("household__org", "owner", "recommendation__rule", "created_by")
    measure = get_scoped_or_404(queryset, user, "view", pk=pk)
    household = measure.household
    is_open = household.state not in CLOSED_STATES and measure.is_open
    may_update = is_open and measure_services.may_update(user, measure)
    may_replan = is_open and measure_services.may_manage(user)
    state_form = forms.MeasureStateForm(measure=measure, initial={"state": measure.state, "outcome": measure.outcome})
    edit_form = forms.MeasureEditForm(household=household, current_owner=measure.owner,
                                      initial={"due_on": measure.due_on, "owner": str(measure.owner_id)})
    if request.method == "POST":
        action = request.POST.get("action")
        # Changing needs the change permission in scope: anything else is a 404, like another union's measure.
        get_scoped_or_404(Measure, user, "change", pk=measure.pk)
        try:
            if action == "state" and may_update:
                state_form = forms.MeasureStateForm(request.POST, measure=measure)
                if state_form.is_valid():
                    measure_services.measure_set_state(measure, user, state=state_form.cleaned_data["state"],
                                                       outcome=state_form.cleaned_data["outcome"])
                    messages.success(request, _("The measure was updated."))
                    return redirect(reverse("plans:household", args=[household.pk]) + "#measures")
            elif action == "edit" and may_replan:
                edit_form = forms.MeasureEditForm(request.POST, household=household, current_owner=measure.owner)
                if edit_form.is_valid():
                    measure_services.measure_update(measure, user, due_on=edit_form.cleaned_data["due_on"],
                                                    owner=edit_form.cleaned_data["owner"])
                    messages.success(request, _("The measure was re-planned."))
                    return redirect(reverse("plans:household", args=[household.pk]) + "#measures")
            else:
                raise Http404
        except ValidationError as error:
            (state_form if action == "state" else edit_form).apply_errors(error)
        except PermissionDenied:
            raise Http404 from None
    title = measure.get_kind_display()
    return render(request, "plans/measure.html", {
        "household": household, "measure": measure, "state_form": state_form, "edit_form": edit_form,
        "may_update": may_update, "may_replan": may_replan, "title": title,
        "crumbs": _crumbs(household, (title, "")),
    })


DECISIONS = ("accept", "edit", "reject")


def _decide(request, rec, action, accept_form, reject_form) -> bool:
    """Hand one decision to its write function; False when the form itself is not valid."""
    user = request.user
    if action == "accept":  # as proposed (the plan page's button): owner as posted, else the user deciding
        owner = forms.OwnerField(required=False, household=rec.household).clean(request.POST.get("owner", ""))
        recommendation_accept(rec, user, owner=owner)
        return True
    if action == "edit":
        if not accept_form.is_valid():
            return False
        data = accept_form.cleaned_data
        recommendation_accept(rec, user, owner=data["owner"], due_on=data["due_on"], function=data["function"],
                              kind=data["kind"], description=data["description"])
        return True
    reject_form.is_valid()
    recommendation_reject(rec, user, reason=reject_form.cleaned_data.get("reason", ""))
    return True


@login_required
def recommendation_detail(request, pk):
    user = request.user
    queryset = Recommendation.objects.select_related("household__org", "rule", "decided_by", "measure")
    rec = get_scoped_or_404(queryset, user, "view", pk=pk)
    household = rec.household
    may_decide = (rec.decision == RecommendationDecision.PENDING and household.state not in CLOSED_STATES
                  and user.has_role_permission("plans.change_recommendation"))
    initial = {"function": rec.function, "kind": rec.kind, "description": rec.description,
               "owner": _owner_id(user, household), "due_on": default_due_on(rec)}
    accept_form = forms.AcceptForm(initial=initial, household=household)
    reject_form = forms.RejectForm()
    action = request.POST.get("action", "")
    if request.method == "POST":
        get_scoped_or_404(Recommendation, user, "change", pk=rec.pk)  # deciding needs the permission in scope
        if action not in DECISIONS:
            raise Http404
        if action == "edit":
            accept_form = forms.AcceptForm(request.POST, household=household)
        elif action == "reject":
            reject_form = forms.RejectForm(request.POST)
        try:
            done = _decide(request, rec, action, accept_form, reject_form)
        except ValidationError as error:
            done = False
            if action == "accept":  # posted from the plan page: the message goes on top of this page
                messages.error(request, " ".join(error.messages))
            else:
                (accept_form if action == "edit" else reject_form).apply_errors(error)
        except PermissionDenied:
            raise Http404 from None
        if done:
            messages.success(request, {
                "accept": _("The proposal was accepted: the measure is in the plan."),
                "edit": _("The proposal was accepted with your changes: the measure is in the plan."),
                "reject": _("The proposal was rejected."),
            }[action])
            return redirect(reverse("plans:household", args=[household.pk]) + "#recommendations")
    title = _("Proposed measure")
    return render(request, "plans/recommendation.html", {
        "household": household, "rec": rec, "facts": describe_facts(rec.facts), "may_decide": may_decide,
        "accept_form": accept_form, "reject_form": reject_form, "open_form": action,
        "title": title, "crumbs": _crumbs(household, (title, "")),
    })
