"""Care pages of one household: its care history, the care plan, screenings and counselling sessions.

Counsellors only: the household is looked up in the user's scope and the user must hold the care permission
of the page; anyone else gets a 404. Every care record shown is written to the access log.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.care import instruments, services
from bangfu.care.access import care_page, deadline_status, log_reads
from bangfu.care.forms import CarePlanForm, ClosePlanForm, ScreeningForm, SessionForm, member_label
from bangfu.care.models import (
    Band,
    CarePlan,
    CarePlanState,
    CounsellingSession,
    CrisisCase,
    Instrument,
    Screening,
)
from bangfu.care.services.records import counsellor_options
from bangfu.core.scoping import get_scoped_or_404
from bangfu.registry.models import Household

HISTORY_ROWS = 50
PAGE_SIZE = 25


def _household(request, pk) -> Household:
    queryset = Household.objects.select_related("org").prefetch_related("members")
    return get_scoped_or_404(queryset, request.user, "view", pk=pk)


def crumbs(household, *items) -> list:
    return [(household.archive_number, reverse("registry:detail", args=[household.pk])),
            (_("Mental-health care"), reverse("care:household", args=[household.pk])), *items]


@care_page("care.view_screening")
def household_care(request, pk):
    """Everything the counsellors recorded for the household, newest first."""
    user = request.user
    household = _household(request, pk)
    plan = CarePlan.objects.restrict(user, "view").filter(household=household).select_related("counsellor").first()
    screenings = list(Screening.objects.restrict(user, "view").filter(household=household)
                      .select_related("member", "counsellor").order_by("-screened_on", "-id")[:HISTORY_ROWS])
    sessions = list(CounsellingSession.objects.restrict(user, "view").filter(household=household)
                    .select_related("member", "counsellor").order_by("-held_on", "-id")[:HISTORY_ROWS])
    now = timezone.now()
    crises = list(CrisisCase.objects.restrict(user, "view").filter(household=household)
                  .select_related("responsible_org").order_by("-opened_at", "-id")[:HISTORY_ROWS])
    log_reads(request, [plan, *screenings, *sessions, *crises], what="household_care")
    return render(request, "care/household.html", {
        "household": household, "plan": plan, "screenings": screenings, "sessions": sessions,
        "crises": [{"case": c, "deadline": deadline_status(c, now)} for c in crises],
        "can_add_plan": user.has_role_permission("care.add_careplan"),
        "can_screen": user.has_role_permission("care.add_screening"),
        "can_add_session": user.has_role_permission("care.add_counsellingsession"),
        "close_form": ClosePlanForm(initial={"closed_on": timezone.localdate()}),
        "crumbs": crumbs(household),
    })


# --- the care plan ---------------------------------------------------------------------------------------


@care_page("care.add_careplan")
def plan_edit(request, pk):
    """Open the household's care plan, or change the open one."""
    user = request.user
    household = _household(request, pk)
    plan = CarePlan.objects.restrict(user, "view").filter(household=household).first()
    editing = plan is not None and plan.state == CarePlanState.OPEN
    if editing:
        if not user.has_role_permission("care.change_careplan"):
            return redirect("care:household", pk=household.pk)
        log_reads(request, [plan], what="care_plan_form")
    initial = {"goals": plan.goals, "counsellor": plan.counsellor_id} if editing else {"counsellor": user.pk}
    form = CarePlanForm(request.POST or None, initial=initial, counsellors=counsellor_options(household),
                        editing=editing)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if editing:
                services.update_care_plan(plan, user, goals=data["goals"], counsellor=data["counsellor"])
            else:
                services.open_care_plan(household, user, opened_on=data["opened_on"], goals=data["goals"],
                                        counsellor=data["counsellor"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Care plan saved.") if editing else _("Care plan opened."))
            return redirect("care:household", pk=household.pk)
    title = _("Change the care plan") if editing else _("Open a care plan")
    return render(request, "care/plan_form.html", {
        "household": household, "form": form, "plan": plan, "editing": editing, "title": title,
        "crumbs": crumbs(household, (title, "")),
    }, status=400 if form.errors else 200)


@require_POST
@care_page("care.change_careplan")
def plan_close(request, pk):
    user = request.user
    household = _household(request, pk)
    plan = get_scoped_or_404(CarePlan, user, "change", household=household)
    form = ClosePlanForm(request.POST)
    if form.is_valid():
        try:
            services.close_care_plan(plan, user, closed_on=form.cleaned_data["closed_on"])
        except ValidationError as error:
            form.apply_errors(error)
    if form.errors:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    else:
        messages.success(request, _("Care plan closed."))
    return redirect("care:household", pk=household.pk)


# --- screenings ------------------------------------------------------------------------------------------


def _bands(spec, current: str = "") -> list[dict]:
    return [{"low": low, "high": high, "code": code, "label": instruments.band_label(code), "current": code == current}
            for low, high, code in spec.band_ranges()]


@care_page("care.add_screening")
def screening_new(request, pk):
    """The screening form: the chosen instrument's items as radio buttons; scored when saved."""
    user = request.user
    household = _household(request, pk)
    data = request.POST or None
    chosen = (request.POST or request.GET).get("instrument")
    instrument = chosen if chosen in Instrument.values else Instrument.PHQ9
    form = ScreeningForm(data, household=household, instrument=instrument)
    if data is not None and form.is_valid() and form.cleaned_data["instrument"] == instrument:
        values = form.cleaned_data
        try:
            screening = services.record_screening(household, values["member"], instrument, form.answers(),
                                                  values["screened_on"], user, values["notes"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            result = _("Score %(score)d of %(max)d: %(band)s.") % {
                "score": screening.score, "max": form.spec.max_score, "band": screening.get_band_display()}
            messages.success(request, _("Screening saved. %(result)s") % {"result": result})
            if hasattr(screening, "crisis_case"):
                messages.error(request, _("A crisis case was opened: it must be acknowledged within %(hours)d hours.")
                               % {"hours": settings.CARE_CRISIS_RESPONSE_HOURS})
            elif screening.self_harm_positive or screening.band == Band.SEVERE:
                # The household's active crisis case goes on (one at a time); its counsellors were told.
                messages.error(request, _("This household already has an active crisis case: no new case was "
                                          "opened, and the case's counsellors were told of this screening."))
            return redirect("care:screening_detail", pk=screening.pk)
    return render(request, "care/screening_form.html", {
        "household": household, "form": form, "spec": form.spec, "instruments": Instrument.choices,
        "instrument": instrument, "bands": _bands(form.spec),
        "crumbs": crumbs(household, (_("New screening"), "")),
    }, status=400 if form.errors else 200)


@care_page("care.view_screening")
def screening_detail(request, pk):
    queryset = Screening.objects.select_related("household", "household__org", "member", "counsellor")
    screening = get_scoped_or_404(queryset, request.user, "view", pk=pk)
    case = CrisisCase.objects.restrict(request.user, "view").filter(screening=screening).first()
    log_reads(request, [screening, case], what="screening_detail")
    spec = instruments.spec(screening.instrument)
    answers = list(screening.answers or [])
    items = [{"number": n, "text": text, "value": answers[n - 1] if n <= len(answers) else None,
              "label": instruments.answer_label(answers[n - 1]) if n <= len(answers) else "—",
              "self_harm": n == spec.self_harm_item}
             for n, text in enumerate(spec.items, start=1)]
    bands = _bands(spec, current=screening.band)
    return render(request, "care/screening_detail.html", {
        "screening": screening, "household": screening.household, "spec": spec, "items": items,
        "bands": bands, "case": case, "member": member_label(screening.member),
        "deadline": deadline_status(case) if case else None,
        "crumbs": crumbs(screening.household, (f"{spec.name} · {screening.screened_on:%Y-%m-%d}", "")),
    })


# --- counselling sessions --------------------------------------------------------------------------------


@care_page("care.add_counsellingsession")
def session_new(request, pk):
    user = request.user
    household = _household(request, pk)
    form = SessionForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_session(household, user, kind=data["kind"], held_on=data["held_on"],
                                    member=data["member"], notes=data["notes"], next_step=data["next_step"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Counselling session recorded."))
            return redirect("care:household", pk=household.pk)
    return render(request, "care/session_form.html", {
        "household": household, "form": form, "crumbs": crumbs(household, (_("New counselling session"), "")),
    }, status=400 if form.errors else 200)


@care_page("care.view_counsellingsession")
def session_list(request):
    """The latest counselling sessions of the user's subtree (paginated; no export)."""
    sessions = (CounsellingSession.objects.restrict(request.user, "view")
                .select_related("household", "household__org", "member", "counsellor").order_by("-held_on", "-id"))
    mine = request.GET.get("mine") == "1"
    if mine:
        sessions = sessions.filter(counsellor=request.user)
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log_access(request, "view", object_type="care.counsellingsession", rows=len(page.object_list),
                     what="session_list", ids=[s.pk for s in page.object_list])
    return render(request, "care/session_list.html", {
        "page": page, "mine": mine, "crumbs": [(_("Counselling sessions"), "")],
    })
