"""The archive page: one household, assembled from the panels of each concern.

Each concern (archive data, classification, lifecycle, printing) owns a module in `panels/` with
`context(request, household) -> dict` and a template in `templates/registry/detail/`; this view only
finds the household in the user's scope, logs the read, and hands the panels their household.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render

from bangfu import audit
from bangfu.core.scoping import get_scoped_or_404
from bangfu.registry.models import Household, Member
from bangfu.registry.panels import archive, classification, lifecycle, printing

PANELS = (archive, classification, lifecycle, printing)


def household_for_page(request, pk, action="view"):
    """The household with its members and causes, if the user may act on it; otherwise 404."""
    queryset = Household.objects.select_related("org", "division", "registration_division").prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("-is_head", "id")), "causes"
    )
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


@login_required
def household_detail(request, pk):
    household = household_for_page(request, pk)
    audit.log_access(request, "view", obj=household)
    context = {"household": household}
    for panel in PANELS:
        context.update(panel.context(request, household))
    return render(request, "registry/detail.html", context)
