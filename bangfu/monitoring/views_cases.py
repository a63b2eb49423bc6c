"""Pages of exit suggestions, relapse watches and the two lists (not updated for a year, never helped)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.core.forms import submitted
from bangfu.core.scoping import get_scoped_or_404
from bangfu.monitoring import lists
from bangfu.monitoring.evidence import describe_trigger, suggestion_evidence
from bangfu.monitoring.forms import AcceptForm, DismissForm, ResolveForm, SuggestionFilterForm, WatchFilterForm
from bangfu.monitoring.models import ExitSuggestion, MonitoringPolicy, RelapseWatch, SuggestionState, WatchState
from bangfu.monitoring.services.common import today
from bangfu.monitoring.services.exits import suggestion_accept, suggestion_dismiss
from bangfu.monitoring.services.relapse import watch_resolve
from bangfu.monitoring.views import crumbs, page_of, query_without_page
from bangfu.registry.models import Household


def _filtered(request, form_class, queryset):
    form = form_class(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, queryset.none()
    state = form.cleaned_data.get("state") if form.is_bound else ""
    return form, (queryset.filter(state=state) if state else queryset)


# --- exit suggestions ------------------------------------------------------------------------------------------


@staff_page("monitoring.view_exitsuggestion")
def suggestion_list(request):
    queryset = (ExitSuggestion.objects.restrict(request.user, "view").select_related("household__org")
                .order_by("-created_at", "-id"))
    form, queryset = _filtered(request, SuggestionFilterForm, queryset)
    page = page_of(request, queryset)
    audit.log_access(request, "view", object_type="monitoring.exitsuggestion", rows=len(page.object_list))
    return render(request, "monitoring/suggestions.html", {
        "form": form, "page": page, "query": query_without_page(request),
        "crumbs": crumbs((_("Exit suggestions"), "")),
    })


def _suggestion(request, pk, action="view"):
    return get_scoped_or_404(ExitSuggestion.objects.select_related("household__org", "decided_by"), request.user,
                             action, pk=pk)


def _render_suggestion(request, suggestion, *, accept_form=None, dismiss_form=None):
    may_decide = (suggestion.state == SuggestionState.OPEN
                  and ExitSuggestion.objects.restrict(request.user, "change").filter(pk=suggestion.pk).exists())
    audit.log_access(request, "view", obj=suggestion)
    return render(request, "monitoring/suggestion.html", {
        "suggestion": suggestion, "household": suggestion.household, "may_decide": may_decide,
        "evidence": suggestion_evidence(suggestion, request.user),
        "accept_form": accept_form or AcceptForm(), "dismiss_form": dismiss_form or DismissForm(),
        "crumbs": crumbs((_("Exit suggestions"), reverse("monitoring:suggestions")),
                         (suggestion.household.archive_number, "")),
    })


@staff_page("monitoring.view_exitsuggestion")
def suggestion_detail(request, pk):
    return _render_suggestion(request, _suggestion(request, pk))


@staff_page("monitoring.change_exitsuggestion")
@require_POST
def suggestion_accept_view(request, pk):
    suggestion = _suggestion(request, pk, "change")
    form = AcceptForm(request.POST)
    success = _("The household exited as out of hardship.")
    if submitted(request, form, partial(suggestion_accept, request.user, suggestion), success):
        return redirect("monitoring:suggestion", pk=suggestion.pk)
    return _render_suggestion(request, _suggestion(request, pk), accept_form=form)


@staff_page("monitoring.change_exitsuggestion")
@require_POST
def suggestion_dismiss_view(request, pk):
    suggestion = _suggestion(request, pk, "change")
    form = DismissForm(request.POST)
    success = _("The suggestion was dismissed; the household stays in the archive.")
    if submitted(request, form, partial(suggestion_dismiss, request.user, suggestion), success):
        return redirect("monitoring:suggestion", pk=suggestion.pk)
    return _render_suggestion(request, _suggestion(request, pk), dismiss_form=form)


# --- relapse watches -------------------------------------------------------------------------------------------


@staff_page("monitoring.view_relapsewatch")
def watch_list(request):
    queryset = (RelapseWatch.objects.restrict(request.user, "view").select_related("household__org")
                .prefetch_related("triggers").order_by("monitor_until", "id"))
    form, queryset = _filtered(request, WatchFilterForm, queryset)
    page = page_of(request, queryset)
    audit.log_access(request, "view", object_type="monitoring.relapsewatch", rows=len(page.object_list))
    return render(request, "monitoring/watches.html", {
        "form": form, "page": page, "query": query_without_page(request),
        "crumbs": crumbs((_("Relapse monitoring"), "")),
    })


def _watch(request, pk, action="view"):
    return get_scoped_or_404(RelapseWatch.objects.select_related("household__org", "resolved_by", "new_archive",
                                                                 "closure"), request.user, action, pk=pk)


def _render_watch(request, watch, *, form=None):
    may_resolve = (watch.state == WatchState.REVIEW_NEEDED
                   and RelapseWatch.objects.restrict(request.user, "change").filter(pk=watch.pk).exists())
    audit.log_access(request, "view", obj=watch)
    return render(request, "monitoring/watch.html", {
        "watch": watch, "household": watch.household, "may_resolve": may_resolve,
        "triggers": [(t, describe_trigger(t, request.user)) for t in watch.triggers.all()],
        "form": form or ResolveForm(),
        "crumbs": crumbs((_("Relapse monitoring"), reverse("monitoring:watches")),
                         (watch.household.archive_number, "")),
    })


@staff_page("monitoring.view_relapsewatch")
def watch_detail(request, pk):
    return _render_watch(request, _watch(request, pk))


@staff_page("monitoring.change_relapsewatch")
@require_POST
def watch_resolve_view(request, pk):
    watch = _watch(request, pk, "change")
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            watch = watch_resolve(request.user, watch, **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            if watch.new_archive_id:
                messages.success(request, _("A new archive was opened: complete and submit it."))
                return redirect("registry:detail", pk=watch.new_archive_id)
            messages.success(request, _("The relapse review was recorded."))
            return redirect("monitoring:watch", pk=watch.pk)
    return _render_watch(request, _watch(request, pk), form=form)


# --- the two lists ---------------------------------------------------------------------------------------------


def _list_page(request, which: str):
    user = request.user
    on = today()
    policy = MonitoringPolicy.in_force(user.org, on)
    households = Household.objects.restrict(user, "view").select_related("org").defer("address", "bank_account")
    if which == "not_updated":
        days = policy.not_updated_days
        queryset = lists.not_updated(households, on).order_by("updated_at", "id")
        title = _("Archives not updated for a year")
    else:
        days = policy.never_helped_days
        queryset = lists.never_helped(households, on).order_by("activated_on", "id")
        title = _("Archives never helped")
    page = page_of(request, queryset)
    audit.log_access(request, "view", object_type="registry.household", rows=len(page.object_list), what=which)
    return render(request, "monitoring/household_list.html", {
        "page": page, "which": which, "days": days, "policy": policy, "title": title, "query": "",
        "cutoff": lists.cutoff(on, days), "crumbs": crumbs((title, "")),
    })


@staff_page("monitoring.view_review")
def not_updated_list(request):
    return _list_page(request, "not_updated")


@staff_page("monitoring.view_review")
def never_helped_list(request):
    return _list_page(request, "never_helped")
