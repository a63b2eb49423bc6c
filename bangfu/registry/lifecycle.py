"""The lifecycle of an archive (DOMAIN.md §3) as ONE declarative table.

Each row says: the action's name (what forms, the API and the timeline call it), the states it may
start from, the state it leads to (None: the state does not change, or the function decides, e.g. an
appeal decision), the permission it needs, the level rule, whether the worker of the household may do
it themself, what data it requires and what it writes. Several rows may share an action when the rule
differs by state (a refusal before the approval stage is the applying union's; at the approval stage
it is the higher union's).

Level rules:
* STAFF  - a user whose org subtree holds the household (the applying union or above);
* HIGHER - a user of a union strictly above the household's org: the household's org is in the user's
           subtree and is not the user's own org (approval, refusal at approval, appeal decisions).

The functions that carry the rows out are in `bangfu.registry.services.lifecycle` and
`bangfu.registry.services.restructure`; they look their row up here (`check(...)`), so the table is
the only place where "who may do what from where" is written down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.core.months import add_months  # noqa: F401 - used as lifecycle.add_months
from bangfu.registry.models.household import CLOSED_STATES, OPEN_STATES, State

TRANSITION = "registry.transition_household"
APPROVE = "registry.approve_household"
STAFF, HIGHER = "staff", "higher"

EARLY_STATES = frozenset(
    {State.APPLIED, State.FIRST_CHECK, State.HOME_VISIT, State.ECONOMIC_CHECK, State.PUBLIC_NOTICE}
)


@dataclass(frozen=True)
class Transition:
    action: str
    label: object  # lazy translation
    sources: frozenset
    target: str | None
    permission: str = TRANSITION
    level: str = STAFF
    worker_may: bool = False
    requires: tuple = field(default_factory=tuple)  # plain-words descriptions (shown in the docs and the API)
    writes: str = ""
    style: str = "primary"  # the button's Bootstrap colour on the panel

    @property
    def key(self) -> str:
        return self.action


_ALL_BUT_MERGED = frozenset(set(State.values) - {State.MERGED})

TABLE: tuple[Transition, ...] = (
    Transition("submit", _("Submit the application"), frozenset({State.DRAFT}), State.APPLIED, worker_may=True,
               requires=("a head of household", "a main cause"),
               writes="applied_on, applied_by_union; timeline"),
    Transition("first_check_start", _("Start the first check"), frozenset({State.APPLIED}), State.FIRST_CHECK,
               writes="timeline"),
    Transition("first_check", _("First check passed"), frozenset({State.APPLIED, State.FIRST_CHECK}),
               State.HOME_VISIT, requires=("an opinion",), writes="LevelOpinion(first_check); timeline"),
    Transition("home_visit", _("Record the home visit"), frozenset({State.HOME_VISIT}), State.ECONOMIC_CHECK,
               requires=("visit date not in the future", "visitors", "findings",
                         "signed economic-check authorisation (Consent economic_check)"),
               writes="HomeVisit; LevelOpinion(home_visit); timeline"),
    Transition("economic_check_complete", _("Economic check done"), frozenset({State.ECONOMIC_CHECK}),
               State.PUBLIC_NOTICE, requires=("signed economic-check authorisation", "a note"),
               writes="LevelOpinion(economic_check); timeline"),
    Transition("economic_check_waive", _("Waive the economic check"), frozenset({State.ECONOMIC_CHECK}),
               State.PUBLIC_NOTICE, requires=("a reason for the waiver",),
               writes="LevelOpinion(economic_check, waive); timeline", style="outline-secondary"),
    Transition("notice_start", _("Start the public notice"), frozenset({State.PUBLIC_NOTICE}), None,
               requires=("public-notice consent with its place", "start date"),
               writes="PublicNotice(start, end = start + N calendar days, place); timeline"),
    Transition("notice_objection", _("Record an objection"), frozenset({State.PUBLIC_NOTICE}), None,
               requires=("an open notice", "the objection"), writes="NoticeObjection; timeline",
               style="outline-warning"),
    Transition("notice_objection_decide", _("Decide an objection"), frozenset({State.PUBLIC_NOTICE}), None,
               requires=("a pending objection", "outcome and findings"), writes="NoticeObjection outcome; timeline",
               style="outline-warning"),
    Transition("notice_close", _("Close the public notice"), frozenset({State.PUBLIC_NOTICE}), State.APPROVAL,
               requires=("the end date reached", "no pending objection"),
               writes="PublicNotice(closed_on, result); LevelOpinion(public_notice); timeline"),
    Transition("approve", _("Approve"), frozenset({State.APPROVAL}), State.ACTIVE, permission=APPROVE,
               level=HIGHER, requires=("an opinion",),
               writes="activated_on, review_due_on = +1 year; LevelOpinion(approval); timeline", style="success"),
    Transition("refuse", _("Refuse"), EARLY_STATES, State.REFUSED, requires=("a reason",),
               writes="Closure(refusal, notify_by = +N working days); LevelOpinion; timeline", style="danger"),
    Transition("refuse", _("Refuse"), frozenset({State.APPROVAL}), State.REFUSED, permission=APPROVE,
               level=HIGHER, requires=("a reason",),
               writes="Closure(refusal, notify_by = +N working days); LevelOpinion(approval); timeline",
               style="danger"),
    Transition("refusal_notified", _("Applicant told of the refusal"), frozenset({State.REFUSED}), None,
               requires=("a refusal not yet told", "date not in the future"), writes="Closure.notified_on; timeline",
               style="outline-secondary"),
    Transition("review", _("Record the annual review"), frozenset({State.ACTIVE}), None,
               requires=("review date not in the future", "a note"), writes="review_due_on = date + 1 year; timeline",
               style="outline-primary"),
    Transition("exit", _("Exit"), frozenset({State.ACTIVE}), State.EXITED, requires=("an exit reason of §3",),
               writes="exited_on, exit_reason; Closure(exit, monitor_until = +12 months); LevelOpinion(exit); "
               "timeline", style="outline-danger"),
    Transition("appeal_file", _("File an appeal"), frozenset({State.REFUSED, State.EXITED}), None, worker_may=True,
               requires=("a refusal or exit not yet reversed", "no pending appeal", "grounds"),
               writes="Appeal(pending); timeline", style="outline-primary"),
    Transition("appeal_decide", _("Decide the appeal"), frozenset({State.REFUSED, State.EXITED}), None,
               permission=APPROVE, level=HIGHER, requires=("a pending appeal", "decision", "reason"),
               writes="uphold: stays; grant: refusal -> approval, exit -> active; LevelOpinion(appeal); timeline"),
    Transition("temporary_convert", _("Convert to a regular archive"), frozenset({State.ACTIVE}), None,
               requires=("a temporary-relief archive", "a reason"),
               writes="is_temporary_relief = False, review_due_on = +1 year; timeline", style="outline-primary"),
    Transition("temporary_cancel", _("Cancel the temporary relief"), OPEN_STATES, State.CANCELLED,
               requires=("a temporary-relief archive", "a reason"), writes="Closure(cancellation); timeline",
               style="outline-danger"),
    Transition("transfer", _("Transfer to another union"), _ALL_BUT_MERGED, None,
               requires=("a receiving union the actor may see", "a reason"),
               writes="org; Transfer (seen by both unions); timeline", style="outline-secondary"),
    Transition("change_head", _("Change the head of household"), OPEN_STATES, None,
               requires=("another member of the household", "a reason"),
               writes="is_head, relation; denormalised head; classification; timeline", style="outline-secondary"),
    Transition("split", _("Split off a new household"), OPEN_STATES, None,
               requires=("members to move (not all)", "the new head among them", "a reason"),
               writes="new archive (draft, split_from); members, incomes moved; classification of both; timeline",
               style="outline-secondary"),
    Transition("merge", _("Merge another archive into this one"), OPEN_STATES, None,
               requires=("another archive the actor may change", "no person in both", "a reason"),
               writes="other: MERGED, merged_into; members, incomes moved; classification; timeline",
               style="outline-secondary"),
    Transition("reenter", _("Re-open as a new archive"), frozenset({State.EXITED, State.REFUSED, State.CANCELLED}),
               None, requires=("not anonymised", "nobody of it in another open archive", "a reason"),
               writes="new archive (draft, previous_archive), members copied; timeline", style="outline-primary"),
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TABLE))


def rows(action: str) -> list[Transition]:
    return [t for t in TABLE if t.action == action]


def label(action: str):
    found = rows(action)
    return found[0].label if found else action


# --- settings (per deployment; DOMAIN.md says every number is a setting) ------------------------------


def notice_days() -> int:
    return int(getattr(settings, "REGISTRY_NOTICE_DAYS", 7))


def refusal_notify_working_days() -> int:
    return int(getattr(settings, "REGISTRY_REFUSAL_NOTIFY_WORKING_DAYS", 3))


def chain_working_days() -> int:
    return int(getattr(settings, "REGISTRY_CHAIN_WORKING_DAYS", 25))


def relapse_monitoring_months() -> int:
    return int(getattr(settings, "REGISTRY_RELAPSE_MONITORING_MONTHS", 12))


def anonymise_after_years() -> int:
    return int(getattr(settings, "REGISTRY_ANONYMISE_AFTER_YEARS", 10))


# --- who may do what ---------------------------------------------------------------------------------


def is_higher_level(user, household) -> bool:
    """The user's union is strictly above the household's: its org is in the user's subtree, not the user's own."""
    path = getattr(user, "scope_path", None)
    if not path or household.org_id == getattr(user, "org_id", None):
        return False
    return household.org.path.startswith(path) and household.org.path != path


def is_household_worker(user, household) -> bool:
    return (
        getattr(user, "kind", None) == "worker"
        and user.is_active
        and household.members.filter(account_id=user.pk).exists()
    )


def refusal_reason(row: Transition, user, household) -> str | None:
    """Why `user` may not carry out `row` on `household` now (None: allowed). State is checked by the caller."""
    if getattr(user, "kind", None) == "worker":
        if row.worker_may and is_household_worker(user, household):
            return None
        return gettext("A worker may only submit their own application or appeal a decision about it.")
    if not user.has_role_permission(row.permission):
        if row.permission == APPROVE:
            return gettext("Only a reviewer of the higher union may do this (your role may not).")
        return gettext("Your role may not move archives through their lifecycle.")
    if row.level == HIGHER and not is_higher_level(user, household):
        return gettext(
            "This decision belongs to a union above the archive's union: the union that holds the archive "
            "may not decide it itself."
        )
    return None


def check(action: str, user, household) -> Transition:
    """The table row for `action` from the household's state, if `user` may do it; else ValidationError."""
    candidates = rows(action)
    if not candidates:
        raise ValidationError({"action": [gettext("Unknown action “%(action)s”.") % {"action": action}]})
    row = next((t for t in candidates if household.state in t.sources), None)
    if row is None:
        raise ValidationError(
            gettext("“%(action)s” is not possible while the archive is in the state “%(state)s”.")
            % {"action": candidates[0].label, "state": household.get_state_display()},
            code="wrong_state",
        )
    reason = refusal_reason(row, user, household)
    if reason:
        raise ValidationError(reason, code="not_allowed")
    return row


def allowed(user, household) -> list[Transition]:
    """The rows `user` may carry out on `household` now (state, role and level; data is checked on the form)."""
    result, seen = [], set()
    for row in TABLE:
        if row.action in seen or household.state not in row.sources:
            continue
        if refusal_reason(row, user, household) is None and _data_applies(row, household):
            result.append(row)
            seen.add(row.action)
    return result


def _data_applies(row: Transition, household) -> bool:
    """Hide buttons that can never succeed for this archive (the service re-checks everything)."""
    if row.action in ("temporary_convert", "temporary_cancel"):
        return household.is_temporary_relief
    if row.action == "reenter":
        return household.anonymised_at is None
    if row.action in ("notice_start", "notice_objection", "notice_objection_decide", "notice_close"):
        notice = household.notices.filter(closed_on=None).first()
        if row.action == "notice_start":
            return notice is None
        if notice is None:
            return False
        if row.action == "notice_objection_decide":
            return notice.objections.filter(outcome="pending").exists()
        return True
    if row.action == "refusal_notified":
        return household.closures.filter(kind="refusal", reversed_on=None, notified_on=None).exists()
    if row.action in ("appeal_file", "appeal_decide"):
        pending = household.appeals.filter(decision="pending").exists()
        return pending if row.action == "appeal_decide" else not pending
    return True


def is_closed(state: str) -> bool:
    return state in CLOSED_STATES
