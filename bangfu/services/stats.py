"""Response time and satisfaction of the service platform, per provider and per union below the user's, as
grouped queries (no loop over requests): how many requests were answered, how many in time, the mean hours to
the first answer (taken or declined), and the mean rating the workers gave."""

from __future__ import annotations

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce, Substr

from bangfu.orgs.models import Org
from bangfu.services.models import RequestState, ServiceRequest

ANSWERED = ~Q(state=RequestState.SUBMITTED)


def _answered_at():
    return Coalesce("taken_at", "declined_at")


def _figures():
    waited = ExpressionWrapper(_answered_at() - F("submitted_at"), output_field=DurationField())
    return {
        "requests": Count("pk"),
        "answered": Count("pk", filter=ANSWERED),
        "in_time": Count("pk", filter=ANSWERED & Q(escalation_level=0)),
        "mean_wait": Avg(waited, filter=ANSWERED),
        "rated": Count("feedback"),
        "rating": Avg("feedback__rating"),
        "fulfilled": Count("pk", filter=Q(state__in=(RequestState.FULFILLED, RequestState.SIGNED_OFF))),
    }


def _finish(row: dict) -> dict:
    wait = row.pop("mean_wait", None)
    row["mean_hours"] = round(wait.total_seconds() / 3600, 1) if wait is not None else None
    row["in_time_share"] = round(100 * row["in_time"] / row["answered"]) if row["answered"] else None
    row["rating"] = round(row["rating"], 2) if row["rating"] is not None else None
    return row


def by_provider(user) -> list[dict]:
    """Requests taken by each provider (through an accepted match), in the user's subtree."""
    rows = (ServiceRequest.objects.restrict(user, "view").filter(taken_by_provider__isnull=False)
            .values("taken_by_provider_id", "taken_by_provider__name").annotate(**_figures())
            .order_by("taken_by_provider__name"))
    return [_finish(dict(row)) for row in rows]


def by_union(user, org: Org) -> list[dict]:
    """The requests of each union directly below `org` (its whole subtree counted), and of `org` itself."""
    depth_len = len(org.path) + Org.steplen
    children = {o.path: o for o in Org.objects.filter(path__startswith=org.path, depth=org.depth + 1)}
    rows = (ServiceRequest.objects.restrict(user, "view").filter(household__org__path__startswith=org.path)
            .annotate(branch=Substr("household__org__path", 1, depth_len))
            .values("branch").annotate(**_figures()).order_by("branch"))
    out = []
    for row in rows:
        row = _finish(dict(row))
        child = children.get(row["branch"])
        row["org"] = child if child is not None else org  # households of the union itself
        out.append(row)
    return out
