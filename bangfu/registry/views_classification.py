"""Pages of bulk re-classification: list of runs, start one by hand, review the changes, apply or discard."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.registry.models import Category, Household, ReclassificationRow, ReclassificationRun
from bangfu.registry.services.reclassification import (
    reclassification_apply,
    reclassification_discard,
    reclassification_start,
)

PERM = "registry.reclassify_household"


class StartForm(forms.Form):
    division = forms.CharField(label=gettext_lazy("Division code (empty: the whole scope)"), max_length=6,
                               required=False)
    evaluated_on = forms.DateField(label=gettext_lazy("Evaluation date"),
                                   widget=forms.DateInput(attrs={"type": "date"}))


def _label(code: str) -> str:
    if not code:
        return _("Cannot classify")
    return str(Category(code).label) if code in Category.values else code


def _visible_runs(user):
    # A run is visible when it has at least one change in the user's scope (or when the user started it).
    in_scope = ReclassificationRow.objects.filter(
        household__in=Household.objects.restrict(user, "view").values("pk")
    ).values("run_id")
    return ReclassificationRun.objects.filter(pk__in=in_scope) | ReclassificationRun.objects.filter(started_by=user)


def _require(user):
    if not user.has_perm(PERM):
        raise Http404


@login_required
def run_list(request):
    _require(request.user)
    form = StartForm(request.POST or None, initial={"evaluated_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        run = reclassification_start(
            ReclassificationRun.Trigger.MANUAL, division_code=form.cleaned_data["division"] or None,
            on=form.cleaned_data["evaluated_on"], actor=request.user, detail=_("Started by hand"),
        )
        return redirect("registry:reclassification-detail", pk=run.pk)
    runs = _visible_runs(request.user).distinct().order_by("-created_at")[:100]
    return render(request, "registry/reclassification_list.html", {"runs": runs, "form": form})


@login_required
def run_detail(request, pk):
    _require(request.user)
    run = _visible_runs(request.user).distinct().filter(pk=pk).first()
    if run is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "apply":
                count = reclassification_apply(run, request.user)
                messages.success(request, _("%(count)d households re-classified.") % {"count": count})
            elif request.POST.get("action") == "discard":
                reclassification_discard(run, request.user)
                messages.info(request, _("The re-classification was discarded."))
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
        return redirect("registry:reclassification-detail", pk=run.pk)
    rows = (
        ReclassificationRow.objects.filter(run=run, household__in=Household.objects.restrict(request.user, "view"))
        .select_related("household", "household__org").order_by("household_id")
    )
    changes = [
        {"row": r, "old": _label(r.old_category), "new": _label(r.new_category)} for r in rows[:1000]
    ]
    return render(request, "registry/reclassification_detail.html", {"run": run, "changes": changes})
