"""Pages of annual reviews: the reviews of the user's unions, one review (do it; spot-check it), the cycles
(start a year's cycles), one cycle (its counts and draws; draw a spot-check sample) and the spot-check queue.

Thin views: objects come through `restrict(...)` / `get_scoped_or_404` (another union's object is a 404), forms
type-check, `bangfu.monitoring.services` decides, and its field errors are shown beside the fields.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.core.forms import submitted
from bangfu.core.scoping import get_scoped_or_404
from bangfu.monitoring.forms import CycleStartForm, DrawForm, ReviewFilterForm, ReviewForm, SpotCheckForm
from bangfu.monitoring.models import MonitoringPolicy, Review, ReviewCycle, ReviewState, SpotCheckDraw
from bangfu.monitoring.services.common import today
from bangfu.monitoring.services.reviews import create_review_cycles, cycle_counts, review_do, start_cycle_check
from bangfu.monitoring.services.spotcheck import SPOTCHECK, is_above, spot_check_draw, spot_check_record

PAGE_SIZE = 50


def crumbs(*items):
    return [(_("Dynamic management"), reverse("monitoring:reviews")), *items]


def page_of(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_page("monitoring.view_review")
def review_list(request):
    form = ReviewFilterForm(request.GET or None)
    reviews = (Review.objects.restrict(request.user, "view").filter(household__state="active")
               .select_related("household__org", "cycle").order_by("due_on", "id"))
    if form.is_bound and not form.is_valid():
        reviews = reviews.none()
    elif form.is_bound:
        state, year = form.cleaned_data.get("state"), form.cleaned_data.get("year")
        if state == "open":
            reviews = reviews.open()
        elif state == "overdue":
            reviews = reviews.open().filter(due_on__lt=today())
        elif state:
            reviews = reviews.filter(state=state)
        if year:
            reviews = reviews.filter(cycle__year=year)
    page = page_of(request, reviews)
    audit.log_access(request, "view", object_type="monitoring.review", rows=len(page.object_list))
    return render(request, "monitoring/reviews.html", {
        "form": form, "page": page, "query": query_without_page(request), "today": today(), "crumbs": crumbs(),
    })


def _render_review(request, review, *, review_form=None, spot_form=None):
    user = request.user
    may_do = (review.state != ReviewState.DONE and review.household.state == "active"
              and Review.objects.restrict(user, "change").filter(pk=review.pk).exists()
              and user.has_role_permission("registry.transition_household"))
    may_spot = (review.draw_id is not None and review.state == ReviewState.DONE and review.spot_outcome != "confirmed"
                and user.has_role_permission(SPOTCHECK) and is_above(user, review.cycle.org))
    audit.log_access(request, "view", obj=review)
    return render(request, "monitoring/review.html", {
        "review": review, "household": review.household, "may_do": may_do, "may_spot": may_spot,
        "review_form": review_form or ReviewForm(), "spot_form": spot_form or SpotCheckForm(),
        "crumbs": crumbs((_("Annual reviews"), reverse("monitoring:reviews")),
                         (review.household.archive_number, "")),
    })


def _review(request, pk, action="view"):
    queryset = Review.objects.select_related("household__org", "cycle__org", "reviewed_by", "spot_by", "draw")
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


@staff_page("monitoring.view_review")
def review_detail(request, pk):
    return _render_review(request, _review(request, pk))


@staff_page("monitoring.change_review")
@require_POST
def review_do_view(request, pk):
    review = _review(request, pk, "change")
    form = ReviewForm(request.POST)
    success = _("The annual review was recorded.")
    if submitted(request, form, partial(review_do, request.user, review), success):
        return redirect("monitoring:review", pk=review.pk)
    return _render_review(request, _review(request, pk), review_form=form)


@staff_page(SPOTCHECK)
@require_POST
def review_spot_view(request, pk):
    review = _review(request, pk, "view")
    form = SpotCheckForm(request.POST)
    success = _("The spot-check outcome was recorded.")
    if submitted(request, form, partial(spot_check_record, request.user, review), success):
        return redirect("monitoring:review", pk=review.pk)
    return _render_review(request, _review(request, pk), spot_form=form)


# --- cycles ----------------------------------------------------------------------------------------------------


@staff_page("monitoring.view_reviewcycle")
def cycle_list(request):
    user = request.user
    form = None
    if user.has_role_permission("monitoring.add_reviewcycle"):
        form = CycleStartForm(request.POST or None, initial={"year": today().year})
        if request.method == "POST" and form.is_valid():
            try:
                start_cycle_check(user, form.cleaned_data["year"])
                result = create_review_cycles(form.cleaned_data["year"], actor=user, within=user.org)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("%(cycles)d new cycles, %(reviews)d new reviews.") % result)
                return redirect("monitoring:cycles")
    cycles = ReviewCycle.objects.restrict(user, "view").select_related("org").order_by("-year", "org__path")
    page = page_of(request, cycles)
    rows = [(cycle, cycle_counts(cycle)) for cycle in page.object_list]
    return render(request, "monitoring/cycles.html", {
        "page": page, "rows": rows, "form": form, "query": "", "crumbs": crumbs((_("Review cycles"), "")),
    })


def _render_cycle(request, cycle, *, draw_form=None):
    user = request.user
    policy = MonitoringPolicy.in_force(cycle.org, today())
    draws = SpotCheckDraw.objects.filter(cycle=cycle).select_related("drawn_by", "drawn_org")
    return render(request, "monitoring/cycle.html", {
        "cycle": cycle, "counts": cycle_counts(cycle), "draws": draws, "policy": policy,
        "may_draw": user.has_role_permission(SPOTCHECK) and is_above(user, cycle.org),
        "draw_form": draw_form or DrawForm(),
        "crumbs": crumbs((_("Review cycles"), reverse("monitoring:cycles")), (str(cycle), "")),
    })


@staff_page("monitoring.view_reviewcycle")
def cycle_detail(request, pk):
    cycle = get_scoped_or_404(ReviewCycle.objects.select_related("org"), request.user, "view", pk=pk)
    return _render_cycle(request, cycle)


@staff_page(SPOTCHECK)
@require_POST
def cycle_draw_view(request, pk):
    cycle = get_scoped_or_404(ReviewCycle.objects.select_related("org"), request.user, "view", pk=pk)
    form = DrawForm(request.POST)
    if form.is_valid():
        try:
            draw = spot_check_draw(request.user, cycle, seed=form.cleaned_data.get("seed"))
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("%(sample)d of %(population)d done reviews were drawn for a spot check.") % {
                "sample": len(draw.sample), "population": len(draw.population)})
            return redirect("monitoring:cycle", pk=cycle.pk)
    return _render_cycle(request, cycle, draw_form=form)


@staff_page(SPOTCHECK)
def spotcheck_queue(request):
    """Drawn reviews of the unions below the user's that wait for their spot-check outcome."""
    user = request.user
    reviews = (Review.objects.restrict(user, "view").filter(draw__isnull=False, state=ReviewState.DONE)
               .exclude(spot_outcome="confirmed").exclude(household__org=user.org)
               .select_related("household__org", "cycle").order_by("cycle__year", "household__org__path", "id"))
    page = page_of(request, reviews)
    audit.log_access(request, "view", object_type="monitoring.review", rows=len(page.object_list), what="spotcheck")
    return render(request, "monitoring/spotchecks.html", {
        "page": page, "query": "", "crumbs": crumbs((_("Spot-check queue"), "")),
    })
