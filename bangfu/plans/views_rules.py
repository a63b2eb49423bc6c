"""Pages of the recommendation rules: the list (current versions, how many proposals each made among those the
user may see: no counts for a user who may not see proposals), one rule with its history of versions, the edit
form (a new version on every save), a new rule.

Reading needs `plans.view_recommendationrule` (case workers see why they get a proposal); editing needs
`plans.change_recommendationrule` (system administrators). Anything else is a 404.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from bangfu.plans.facts import FACTS
from bangfu.plans.forms import RuleForm
from bangfu.plans.models import (
    MeasureFunction,
    MeasureKind,
    Recommendation,
    RecommendationDecision,
    RecommendationRule,
)
from bangfu.plans.services import rules as services

EDIT = "plans.change_recommendationrule"


def _rules(request):
    queryset = RecommendationRule.objects.restrict(request.user, "view")
    if not request.user.has_role_permission("plans.view_recommendationrule"):
        raise Http404
    return queryset


def _may_count(user) -> bool:
    """Counts of proposals are shown only to users who may see proposals (a system administrator edits the
    rules but sees no household's proposals, not even as national counts)."""
    return user.has_role_permission("plans.view_recommendation")


def _proposals(user):
    """The proposals the user may see, through the scoping chokepoint (staff: their subtree)."""
    return Recommendation.objects.restrict(user, "view")


def _proposal_counts(user) -> dict[str, dict]:
    """Proposals made per rule code (all versions) among those the user may see: aggregates only."""
    rows = (_proposals(user).values("rule__code")
            .annotate(total=Count("id"), pending=Count("id", filter=Q(decision=RecommendationDecision.PENDING)),
                      rejected=Count("id", filter=Q(decision=RecommendationDecision.REJECTED)))
            .order_by())
    return {row["rule__code"]: row for row in rows}


def _crumbs(*more):
    return [(_("Recommendation rules"), reverse("plans:rules")), *more]


@login_required
def rule_list(request):
    rules = list(_rules(request).current().order_by("priority", "code"))
    show_counts = _may_count(request.user)
    counts = _proposal_counts(request.user) if show_counts else {}
    for rule in rules:
        rule.counts = counts.get(rule.code, {"total": 0, "pending": 0, "rejected": 0})
    return render(request, "plans/rules/list.html", {
        "rules": rules, "may_edit": request.user.has_role_permission(EDIT), "show_counts": show_counts,
        "crumbs": [(_("Recommendation rules"), "")],
    })


@login_required
def rule_detail(request, code):
    versions = list(_rules(request).filter(code=code).select_related("created_by").order_by("-version"))
    if not versions:
        raise Http404
    current = next((v for v in versions if v.is_current), versions[0])
    may_edit = request.user.has_role_permission(EDIT)
    if request.method == "POST":
        if not may_edit:
            raise Http404
        try:
            new = services.rule_set_active(request.user, code, request.POST.get("action") == "activate",
                                           base_version=_int(request.POST.get("base_version")))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied:
            raise Http404 from None
        else:
            done = (_("The rule is in use again (version %(version)d).") if new.is_active
                    else _("The rule is out of use (version %(version)d)."))
            messages.success(request, done % {"version": new.version})
        return redirect("plans:rule_detail", code=code)
    shown = current
    wanted = _int(request.GET.get("version"))
    if wanted is not None:
        shown = next((v for v in versions if v.version == wanted), None)
        if shown is None:
            raise Http404
    show_counts = _may_count(request.user)
    counts = dict(_proposals(request.user).filter(rule__code=code).values_list("rule__version")
                  .annotate(n=Count("id")).order_by()) if show_counts else {}
    for version in versions:
        version.proposal_count = counts.get(version.version, 0)
    return render(request, "plans/rules/detail.html", {
        "rule": shown, "current": current, "versions": versions, "may_edit": may_edit, "show_counts": show_counts,
        "condition_json": json.dumps(shown.condition, ensure_ascii=False, indent=2),
        "proposals": _proposal_rows(shown.proposals),
        "crumbs": _crumbs((f"{current.display_title} ({current.code})", "")),
    })


def _proposal_rows(proposals) -> list[dict]:
    rows = []
    for p in proposals if isinstance(proposals, list) else []:
        if isinstance(p, dict):
            rows.append({**p, "function_label": _label(MeasureFunction, p.get("function")),
                         "kind_label": _label(MeasureKind, p.get("kind"))})
    return rows


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def _reference() -> dict:
    """What the rule form shows beside the text areas: the facts, functions and kinds."""
    return {"facts": FACTS.values(), "functions": MeasureFunction.values, "kinds": MeasureKind.values}


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


@login_required
def rule_edit(request, code):
    if not request.user.has_role_permission(EDIT):
        raise Http404
    current = _rules(request).current().filter(code=code).first()
    if current is None:
        raise Http404
    initial = {field: getattr(current, field) for field in services.RULE_FIELDS}
    initial["base_version"] = current.version
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.rule_new_version(request.user, code, form.rule_data(),
                                            base_version=form.cleaned_data.get("base_version"))
        except ValidationError as error:
            form.apply_errors(error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Saved as version %(version)d. Proposals already made keep pointing at the "
                                        "version that made them.") % {"version": new.version})
            return redirect("plans:rule_detail", code=code)
    title = _("Edit the rule")
    return render(request, "plans/rules/form.html", {
        "form": form, "rule": current, "title": title, **_reference(),
        "crumbs": _crumbs((current.code, reverse("plans:rule_detail", args=[code])), (title, "")),
    })


@login_required
def rule_new(request):
    if not request.user.has_role_permission(EDIT):
        raise Http404
    form = RuleForm(request.POST or None, new=True, initial={"priority": 100, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(request.user, form.cleaned_data["code"], form.rule_data())
        except ValidationError as error:
            form.apply_errors(error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("The rule was created (version 1)."))
            return redirect("plans:rule_detail", code=rule.code)
    title = _("New recommendation rule")
    return render(request, "plans/rules/form.html", {
        "form": form, "rule": None, "title": title, "crumbs": _crumbs((title, "")), **_reference(),
    })
