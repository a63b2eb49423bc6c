"""Group activities (lectures, group counselling, outings) of the unions in the counsellor's subtree.

An activity belongs to a union; the households that took part are named by archive number among the
households the counsellor may see, and must be of that union's subtree. Counsellors only (404 for others).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.care import services
from bangfu.care.access import care_page, log_reads
from bangfu.care.forms import ActivityForm
from bangfu.care.models import GroupActivity
from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.models import Org
from bangfu.registry.models import Household

PAGE_SIZE = 25
ORG_OPTIONS_DEPTH = 2  # the union select lists the user's union and two levels below


def crumbs(*items) -> list:
    return [(_("Group activities"), reverse("care:activities")), *items]


def org_options(user):
    return (Org.objects.restrict(user, "view").filter(is_active=True, depth__lte=user.org.depth + ORG_OPTIONS_DEPTH)
            .order_by("path"))


@care_page("care.view_groupactivity")
def activity_list(request):
    activities = (GroupActivity.objects.restrict(request.user, "view").select_related("org", "counsellor")
                  .order_by("-held_on", "-id"))
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log_access(request, "view", object_type="care.groupactivity", rows=len(page.object_list),
                     what="activity_list", ids=[a.pk for a in page.object_list])
    return render(request, "care/activity_list.html", {
        "page": page, "can_add": request.user.has_role_permission("care.add_groupactivity"), "crumbs": crumbs(),
    })


def _save(request, form, activity=None):
    """Validate the form and call the write function; the saved activity, or None (errors on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    households = form.households()
    if form.errors:
        return None
    data = form.cleaned_data
    values = {"kind": data["kind"], "title": data["title"], "held_on": data["held_on"],
              "participant_count": data["participant_count"], "households": households, "notes": data["notes"]}
    try:
        if activity is None:
            return services.record_activity(data["org"], request.user, **values)
        return services.update_activity(activity, request.user, **values)
    except ValidationError as error:
        form.apply_errors(error, rename={"households": "archive_numbers"})
    return None


@care_page("care.add_groupactivity")
def activity_new(request):
    user = request.user
    form = ActivityForm(request.POST or None, orgs=org_options(user),
                        households=Household.objects.restrict(user, "view"), initial={"org": user.org_id})
    activity = _save(request, form)
    if activity is not None:
        messages.success(request, _("Group activity recorded."))
        return redirect("care:activity_detail", pk=activity.pk)
    return render(request, "care/activity_form.html", {
        "form": form, "title": _("New group activity"), "crumbs": crumbs((_("New group activity"), "")),
    }, status=400 if form.errors else 200)


def _activity(request, pk, action="view"):
    return get_scoped_or_404(GroupActivity.objects.select_related("org", "counsellor"), request.user, action, pk=pk)


@care_page("care.view_groupactivity")
def activity_detail(request, pk):
    activity = _activity(request, pk)
    log_reads(request, [activity], what="activity_detail")
    households = activity.households.restrict(request.user, "view").select_related("org").order_by("archive_number")
    return render(request, "care/activity_detail.html", {
        "activity": activity, "households": households,
        "can_change": request.user.has_role_permission("care.change_groupactivity"),
        "crumbs": crumbs((activity.title, "")),
    })


@care_page("care.change_groupactivity")
def activity_edit(request, pk):
    user = request.user
    activity = _activity(request, pk, "change")
    log_reads(request, [activity], what="activity_form")
    numbers = "\n".join(activity.households.order_by("archive_number").values_list("archive_number", flat=True))
    form = ActivityForm(request.POST or None, orgs=org_options(user),
                        households=Household.objects.restrict(user, "view"), editing=True, initial={
                            "kind": activity.kind, "title": activity.title, "held_on": activity.held_on,
                            "participant_count": activity.participant_count, "archive_numbers": numbers,
                            "notes": activity.notes})
    saved = _save(request, form, activity)
    if saved is not None:
        messages.success(request, _("Group activity saved."))
        return redirect("care:activity_detail", pk=activity.pk)
    return render(request, "care/activity_form.html", {
        "form": form, "activity": activity, "title": _("Change the group activity"),
        "crumbs": crumbs((activity.title, reverse("care:activity_detail", args=[activity.pk])),
                         (_("Edit the activity"), "")),
    }, status=400 if form.errors else 200)
