"""Matching-round pages: the rounds of the user's unions, a round with its figures, proposals and their
reasons, the requests left out and why, the cadres' pins and forbids, and solving (again)."""

from __future__ import annotations

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
from bangfu.services.actions.rounds import pair_rule_remove, pair_rule_set, round_create, round_solve
from bangfu.services.forms import PairRuleForm
from bangfu.services.models import LIVE_MATCH_STATES, Match, MatchRound, PairRule, RoundRequest

PAGE_SIZE = 50


def _crumbs(*items):
    return [(_("Matching rounds"), reverse("services:rounds")), *items]


@staff_page("services.view_matchround")
def round_list(request):
    rounds = MatchRound.objects.restrict(request.user, "view").select_related("org", "created_by")
    page = Paginator(rounds, 25).get_page(request.GET.get("page"))
    return render(request, "services/round_list.html", {"page": page, "crumbs": _crumbs()})


@staff_page("services.add_matchround")
def round_new(request):
    """GET: what a new round of the user's union will take in; POST: create it."""
    if request.method != "POST":
        return render(request, "services/round_new.html", {"crumbs": _crumbs((_("New round"), ""))})
    try:
        match_round = round_create(request.user, request.user.org)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("services:rounds")
    return redirect("services:round", match_round.pk)


def _round_page(request, match_round, rule_form=None, status=200):
    matches = (Match.objects.filter(round=match_round, state__in=LIVE_MATCH_STATES)
               .select_related("request__item", "request__household__org", "offer__provider")
               .order_by("-unit_weight", "id"))
    outcomes = (RoundRequest.objects.filter(round=match_round).exclude(reason=RoundRequest.Reason.MATCHED)
                .select_related("request__item", "request__household__org").order_by("-best_unit_weight", "id"))
    match_page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
    left_page = Paginator(outcomes, PAGE_SIZE).get_page(request.GET.get("left"))
    stats = match_round.stats or {}
    audit.log_access(request, "view", object_type="services.matchround", object_id=str(match_round.pk),
                     rows=len(match_page.object_list) + len(left_page.object_list))
    return render(request, "services/round_detail.html", {
        "round": match_round, "stats": stats, "matches": match_page, "left": left_page,
        "rules": PairRule.objects.filter(round=match_round).select_related("created_by").order_by("-created_at"),
        "rule_form": rule_form or PairRuleForm(), "crumbs": _crumbs((str(match_round.org), "")),
        "gain": (stats["total_weight"] / stats["greedy_weight"]) if stats.get("greedy_weight") else None,
        "can_change": request.user.has_role_permission("services.change_matchround"),
    }, status=status)


@staff_page("services.view_matchround")
def round_detail(request, pk):
    match_round = get_scoped_or_404(MatchRound.objects.select_related("org"), request.user, "view", pk=pk)
    return _round_page(request, match_round)


@staff_page("services.change_matchround")
@require_POST
def round_solve_view(request, pk):
    match_round = get_scoped_or_404(MatchRound.objects.select_related("org"), request.user, "change", pk=pk)
    try:
        round_solve(request.user, match_round)
        messages.success(request, _("The round is solved."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("services:round", pk)


@staff_page("services.change_matchround")
@require_POST
def pair_rule_add(request, pk):
    match_round = get_scoped_or_404(MatchRound.objects.select_related("org"), request.user, "change", pk=pk)
    form = PairRuleForm(request.POST)

    def action(**data):
        pair_rule_set(request.user, match_round, **data)

    if submitted(request, form, action, _("Saved. Solve the round again to apply it.")):
        return redirect("services:round", pk)
    return _round_page(request, match_round, rule_form=form, status=400)


@staff_page("services.change_matchround")
@require_POST
def pair_rule_delete(request, pk, rule_pk):
    match_round = get_scoped_or_404(MatchRound, request.user, "change", pk=pk)
    rule = get_scoped_or_404(PairRule.objects.filter(round=match_round), request.user, "view", pk=rule_pk)
    pair_rule_remove(request.user, rule)
    messages.success(request, _("Removed. Solve the round again to apply it."))
    return redirect("services:round", pk)
