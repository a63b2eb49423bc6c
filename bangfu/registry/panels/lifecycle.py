"""The lifecycle panel of the archive page: state, the next actions THIS user may take, deadlines,
opinions, notice, appeals and the timeline (newest first)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.registry import lifecycle
from bangfu.registry.models import (
    Appeal,
    Closure,
    ExitReason,
    LevelOpinion,
    PublicNotice,
    State,
    TimelineEvent,
    Transfer,
)
from bangfu.registry.services.lifecycle import chain_deadline

TIMELINE_ROWS = 50
_DECIDING_STATES = lifecycle.EARLY_STATES | {State.APPROVAL}


# Labels of timeline kinds written outside the transition table (archive edits, seed data, tasks).
GENERIC_KINDS = {
    "transition": _("State change"),
    "created": _("Archive created"),
    "consent_recorded": _("Consent recorded"),
    "split_created": _("Created by a split"),
    "reentry_created": _("Created by a re-entry"),
    "merged": _("Merged into another archive"),
}


def _state_label(value: str) -> str:
    return State(value).label if value in State.values else value


def timeline(user, household, limit: int = TIMELINE_ROWS) -> list[dict]:
    events = (
        TimelineEvent.objects.restrict(user, "view").filter(household=household)
        .select_related("actor", "actor_org").order_by("-at", "-id")[:limit]
    )
    rows = []
    for event in events:
        label = event.detail.get("action_label") or GENERIC_KINDS.get(event.kind) or lifecycle.label(event.kind)
        rows.append({"event": event, "label": label, "from": _state_label(event.from_state),
                     "to": _state_label(event.to_state)})
    return rows


def context(request, household) -> dict:
    user = request.user
    today = timezone.localdate()
    deadline = chain_deadline(household) if household.state in _DECIDING_STATES else None
    notice = PublicNotice.objects.restrict(user, "view").filter(household=household).order_by("-id").first()
    refusal = (
        Closure.objects.restrict(user, "view").filter(household=household, kind="refusal", reversed_on=None)
        .order_by("-id").first()
    )
    exit_closure = (
        Closure.objects.restrict(user, "view").filter(household=household, kind="exit", reversed_on=None)
        .order_by("-id").first()
    )
    return {
        "lc_actions": lifecycle.allowed(user, household),
        "lc_today": today,
        "lc_deadline": deadline,
        "lc_deadline_overdue": bool(deadline and today > deadline),
        "lc_review_overdue": bool(
            household.state == State.ACTIVE and household.review_due_on and household.review_due_on < today
        ),
        "lc_notice": notice,
        "lc_objections": list(notice.objections.all()) if notice else [],
        "lc_refusal": refusal,
        "lc_refusal_notify_overdue": bool(refusal and not refusal.notified_on and refusal.notify_by < today),
        "lc_exit": exit_closure,
        "lc_exit_reason": ExitReason(exit_closure.reason_code).label
        if exit_closure and exit_closure.reason_code in ExitReason.values else "",
        "lc_opinions": list(
            LevelOpinion.objects.restrict(user, "view").filter(household=household).select_related("org")
        ),
        "lc_appeals": list(Appeal.objects.restrict(user, "view").filter(household=household)),
        "lc_transfers": list(
            Transfer.objects.restrict(user, "view").filter(household=household).select_related("from_org", "to_org")
        ),
        "lc_timeline": timeline(user, household),
    }
