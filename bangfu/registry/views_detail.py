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

# Panels of other apps (payments, plans, …): (context function, template), registered in their ready().
EXTRA_PANELS: list[tuple] = []


def register_panel(context_function, template: str) -> None:
    """Add a panel to the archive page: `context_function(request, household) -> dict` and its template."""
    EXTRA_PANELS.append((context_function, template))


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
    extra = []
    for context_function, template in EXTRA_PANELS:
        panel_context = context_function(request, household)
        if panel_context is not None:  # None: nothing for this user
            context.update(panel_context)
            extra.append(template)
    context["extra_panels"] = extra
    return render(request, "registry/detail.html", context)
