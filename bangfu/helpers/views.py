"""Pages of one household: assign, hand over and end the responsible helper, record and list visits, and the
scoped, audited photo of a visit.

Views stay thin: the household is found through the scoping chokepoint (another union's archive is a 404, and
so is an action the user's roles do not include), the form's data goes to a write function of
`bangfu.helpers.services`, whose field-level errors the form shows.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.core.scoping import assert_in_scope, get_scoped_or_404
from bangfu.helpers import forms, photos
from bangfu.helpers.frequencies import visit_due_on
from bangfu.helpers.models import HelperAssignment, Visit
from bangfu.helpers.rules import may_record_visit
from bangfu.helpers.services import assign_helper, end_assignment, hand_over, record_visit
from bangfu.registry.models import Household

PAGE_VISITS = 100


def _household(request, pk: int, permission: str, *, as_helper: bool = False) -> Household:
    """The household if the user holds `permission` and may see it (its union's subtree; with `as_helper`, also
    as its current responsible helper, who may have moved to a union outside that lineage since); 404 otherwise."""
    user = request.user
    if not user.has_role_permission(permission):
        raise Http404
    queryset = Household.objects.select_related("org")
    household = queryset.restrict(user, "view").filter(pk=pk).first()
    if household is None and as_helper and HelperAssignment.objects.current().filter(
            household_id=pk, helper_id=user.pk).exists():
        household = queryset.get(pk=pk)
    if household is None:
        raise Http404
    return household


def _page(request, template, household, title, **context):
    context.update(household=household, title=title, head=household.members.filter(is_head=True).first(), crumbs=[
        (household.archive_number, reverse("registry:detail", args=[household.pk])), (title, "")])
    return render(request, f"helpers/{template}", context)


def _current(household):
    return (HelperAssignment.objects.current().filter(household=household)
            .select_related("helper", "helper__org", "helper_org").first())


@login_required
def assign(request, pk):
    household = _household(request, pk, "helpers.add_helperassignment")
    current = _current(household)
    if current is not None:
        messages.info(request, _("This household already has a responsible helper: hand it over instead."))
        return redirect("helpers:hand_over", pk=household.pk)
    form = forms.AssignForm(request.POST or None, household=household, actor=request.user)
    if request.method == "POST" and form.is_valid():
        chosen = form.responsible()
        try:
            assignment = assign_helper(household, mode=chosen["mode"], helper=chosen["person"],
                                       helper_org=chosen["org"], helper_kind=chosen["helper_kind"],
                                       starts_on=form.cleaned_data["starts_on"], actor=request.user)
            assert_in_scope(assignment, request.user, "add")
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("%(helper)s is now the responsible helper.") % {
                "helper": assignment.responsible})
            return redirect("registry:detail", pk=household.pk)
    return _page(request, "assign.html", household, _("Assign a responsible helper"), form=form)


@login_required
def hand_over_view(request, pk):
    household = _household(request, pk, "helpers.change_helperassignment")
    current = _current(household)
    if current is None:
        raise Http404
    form = forms.HandOverForm(request.POST or None, household=household, actor=request.user, current=current)
    if request.method == "POST" and form.is_valid():
        chosen = form.responsible()
        try:
            new = hand_over(current, mode=chosen["mode"], to_helper=chosen["person"], to_helper_org=chosen["org"],
                            helper_kind=chosen["helper_kind"], on=form.cleaned_data["on"],
                            reason=form.cleaned_data["reason"], actor=request.user)
            assert_in_scope(new, request.user, "change")
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The household was handed over to %(helper)s.") % {"helper": new.responsible})
            return redirect("registry:detail", pk=household.pk)
    return _page(request, "hand_over.html", household, _("Hand over to another helper"), form=form,
                 current=current, due_on=visit_due_on(current))


@login_required
def end(request, pk):
    household = _household(request, pk, "helpers.change_helperassignment")
    current = _current(household)
    if current is None:
        raise Http404
    form = forms.EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            end_assignment(current, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"],
                           actor=request.user)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The helper's period ended; the household is now without a helper."))
            return redirect("registry:detail", pk=household.pk)
    return _page(request, "end.html", household, _("End the helper's period"), form=form, current=current)


@login_required
def visit_new(request, pk):
    household = _household(request, pk, "helpers.add_visit", as_helper=True)
    if not may_record_visit(request.user, household):
        raise Http404  # a helper who is not this household's current helper
    form = forms.VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_visit(household, visited_on=data["visited_on"], visitors=data["visitors"],
                         findings=data["findings"], problems_solved=data["problems_solved"],
                         next_step=data["next_step"], photo=data.get("photo") or None, actor=request.user)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The visit was recorded."))
            return redirect("helpers:visits", pk=household.pk)
    current = _current(household)
    return _page(request, "visit_form.html", household, _("Record a visit"), form=form, current=current,
                 due_on=visit_due_on(current) if current else None,
                 max_mb=photos.files.max_upload_bytes() // (1024 * 1024))


@login_required
def visits(request, pk):
    household = _household(request, pk, "helpers.view_visit", as_helper=True)
    rows = (Visit.objects.restrict(request.user, "view").filter(household=household)
            .select_related("assignment", "assignment__helper", "assignment__helper_org", "recorded_by")
            .order_by("-visited_on", "-id"))
    audit.log_access(request, "view", obj=household, what="visits")  # findings tell of the family's situation
    current = _current(household)
    return _page(request, "visits.html", household, _("Visits"), visits=rows[:PAGE_VISITS], total=rows.count(),
                 current=current, due_on=visit_due_on(current) if current else None,
                 can_record=may_record_visit(request.user, household))


@login_required
def visit_photo(request, pk):
    """The only way to a stored photo: scoped (404 for another union), audited, never cached."""
    visit = get_scoped_or_404(Visit.objects.exclude(photo=""), request.user, "view", pk=pk)
    try:
        handle = photos.open_photo(visit.photo)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    audit.log_access(request, "view", obj=visit, what="visit_photo", sha256=visit.photo_sha256)
    extension = ".png" if visit.photo_content_type == "image/png" else ".jpg"
    response = FileResponse(handle, as_attachment=False, filename=f"visit-{visit.pk}{extension}",
                            content_type=visit.photo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
