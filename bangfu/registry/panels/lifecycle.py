"""The lifecycle panel of the archive page: state, the next actions THIS user may take, deadlines,
opinions, notice, appeals and the timeline (newest first)."""

from __future__ import annotations

from django.utils import timezone

from bangfu.registry import lifecycle
from bangfu.registry.models import (
    Appeal,
    Closure,
    ExitReason,
    LevelOpinion,
    NoticeObjection,
    PublicNotice,
    State,
    TimelineEvent,
    Transfer,
)
from bangfu.registry.models.timeline import GROUP_LABELS, SUMMARY_PERMISSIONS, group_of
from bangfu.registry.services.lifecycle import chain_deadline

TIMELINE_ROWS = 200  # rows read for the page; older rows are on the printed card and in the audit log
TIMELINE_SHOWN = 10  # rows shown before "show all"
_DECIDING_STATES = lifecycle.EARLY_STATES | {State.APPROVAL}


# A row's detail in words tells what the record says (amounts, categories, documents): a user who may see
# the timeline but not the record (a helper: no incomes, expenses, classification) sees only what happened.
SUMMARY_NEEDS = {
    "incomes_set": "registry.view_monthlyincome",
    "expense_added": "registry.view_expense",
    "expense_removed": "registry.view_expense",
    "assets_set": "registry.view_assetdeclaration",
    "attachment_added": "registry.view_attachment",
    "consent_recorded": "registry.view_consent",
    "reclassified": "registry.view_classification",
    # The free-text reason of these rows is the stage's opinion / the closure (economic-check findings, why
    # the household left): only for those who may read that record, never for a helper.
    "economic_check_complete": "registry.view_levelopinion",
    "exit": "registry.view_closure",
}


def _state_label(value: str) -> str:
    return State(value).label if value in State.values else value


def timeline(user, household, limit: int = TIMELINE_ROWS) -> list[dict]:
    """The household's story, newest first: what happened (`TimelineEvent.label`), the key detail in words
    (`TimelineEvent.summary`), the state change, who and when."""
    events = (
        TimelineEvent.objects.restrict(user, "view").filter(household=household)
        .select_related("actor", "actor_org").order_by("-at", "-id")[:limit]
    )
    return timeline_rows(user, events)


def timeline_rows(user, events) -> list[dict]:
    """Timeline events as rows for `user` (this panel and the timeline page, `views_timeline`): the label,
    the summary only where the user may read the record it tells of (`SUMMARY_NEEDS | SUMMARY_PERMISSIONS`),
    the state change and the timeline group of the kind."""
    needs = SUMMARY_NEEDS | SUMMARY_PERMISSIONS
    perms = {perm: user.has_role_permission(perm) for perm in set(needs.values())}
    rows = []
    for event in events:
        # The free-text reason tells of the record as much as the summary does (a reopened rights case, a
        # handover): a user who may not read the record sees neither, only what happened and when.
        readable = perms.get(needs.get(event.kind), True)
        rows.append(
            {"event": event, "label": event.label, "summary": event.summary if readable else "",
             "reason": event.reason if readable else "",
             "from": _state_label(event.from_state), "to": _state_label(event.to_state),
             "group": group_of(event.kind), "group_label": GROUP_LABELS.get(group_of(event.kind), "")})
    return rows


def context(request, household) -> dict:
    user = request.user
    today = timezone.localdate()
    rows = timeline(user, household)
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
        "lc_objections": (list(NoticeObjection.objects.restrict(user, "view").filter(notice=notice))
                          if notice else []),
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
        "lc_timeline": rows,
        "lc_timeline_recent": rows[:TIMELINE_SHOWN],
        "lc_timeline_older": rows[TIMELINE_SHOWN:],
    }
