"""Crisis cases (DOMAIN.md §8): opened by a screening, acknowledged within the response window, escalated when not.

Who is responsible: the nearest union from the household's union upwards that has at least one active
counsellor (the household's own union when none has). When the deadline passes unacknowledged, the scheduled
check (`escalate_overdue`, every five minutes) moves the case to the nearest union above that has counsellors
(the parent when none has; at the root it stays), raises `escalation_level`, starts a new deadline and tells
the counsellors there and the ones before.

Notices go out after commit (a rolled-back screening tells nobody). Their text says what is due and links to
the page; it never carries health content. The household's responsible helper is told that an urgent contact
is due — never why (DOMAIN.md §9).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.accounts.roles import Role
from bangfu.care.models import CrisisCase, CrisisState
from bangfu.orgs.models import Org

logger = logging.getLogger(__name__)

# Cases escalated in one run at most; the next run (five minutes later) takes the rest.
ESCALATION_BATCH = 500


def response_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.CARE_CRISIS_RESPONSE_HOURS)


def _counsellor_users():
    from bangfu.accounts.models import User

    return User.objects.filter(is_active=True, kind=User.Kind.STAFF, org__is_active=True,
                               roles__role=Role.COUNSELLOR)


def counsellors(org_ids):
    """Active counsellors whose union is one of `org_ids` (they are the ones told about a case)."""
    return _counsellor_users().filter(org_id__in=list(org_ids)).distinct()


def lineage_paths(path: str) -> list[str]:
    """Materialised paths of an org and every union above it, the root first."""
    step = Org.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def _nearest_with_counsellors(paths: list[str]) -> Org | None:
    if not paths:
        return None
    staffed = set(_counsellor_users().filter(org__path__in=paths).values_list("org__path", flat=True))
    for path in reversed(paths):
        if path in staffed:
            return Org.objects.get(path=path)
    return None


def responsible_org_for(household) -> Org:
    """The nearest union from the household's union upwards with an active counsellor (else its own)."""
    org = household.org
    return _nearest_with_counsellors(lineage_paths(org.path)) or org


def escalation_target(org: Org) -> Org:
    """Where an unacknowledged case of `org` goes: the nearest union above with counsellors, else the parent;
    the root keeps its cases."""
    above = lineage_paths(org.path)[:-1]
    target = _nearest_with_counsellors(above)
    if target is not None:
        return target
    return Org.objects.get(path=above[-1]) if above else org


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- opening -------------------------------------------------------------------------------------------


def open_crisis_case(screening, reason: str, *, now=None) -> CrisisCase:
    """Open the crisis case of `screening` (inside the caller's transaction); the notices go after commit."""
    now = now or timezone.now()
    household = screening.household
    case = CrisisCase.objects.create(
        household=household, screening=screening, reason=reason, state=CrisisState.OPEN, opened_at=now,
        due_at=now + response_window(), responsible_org=responsible_org_for(household))
    transaction.on_commit(partial(notify_opened, case.pk), robust=True)
    return case


def notify_opened(case_id: int) -> None:
    """Tell the responsible counsellors (urgent) and the household's responsible helper (urgent, no reason)."""
    from bangfu.notifications.services import notify

    case = CrisisCase.objects.select_related("household", "household__org", "responsible_org").get(pk=case_id)
    household = case.household
    with translation.override(settings.LANGUAGE_CODE):
        notify(counsellors([case.responsible_org_id]), kind="crisis_case",
               title=_("Crisis case %(number)s: respond by %(time)s") % {
                   "number": case.pk, "time": _when(case.due_at)},
               body=_("A crisis case was opened for household %(archive)s (%(union)s). Acknowledge it by "
                      "%(time)s and record what was done; if nobody does, it goes to the next level up.") % {
                   "archive": household.archive_number, "union": household.org.name, "time": _when(case.due_at)},
               link=reverse("care:crisis_detail", args=[case.pk]), urgent=True,
               dedupe_key=f"care-crisis-{case.pk}-opened")
        tell_helper(case)


def tell_helper(case) -> list:
    """The household's current responsible helper (pairing or accountable cadre; nobody in the union mode) is
    told that an urgent contact is due. The words say nothing of why: the helper holds no care permission."""
    from bangfu.helpers.models import HelperAssignment, HelperMode
    from bangfu.notifications.services import notify

    assignment = (HelperAssignment.objects.current().filter(household_id=case.household_id)
                  .select_related("helper").first())
    if assignment is None or assignment.mode == HelperMode.UNION or assignment.helper is None:
        return []
    household = case.household
    hours = settings.CARE_CRISIS_RESPONSE_HOURS
    facts = {"archive": household.archive_number, "head": household.head_name_masked or "—", "hours": hours}
    return notify(
        [assignment.helper], kind="urgent_contact",
        title=_("Urgent contact due: household %(archive)s") % facts,
        body=_("Please get in touch with household %(archive)s (head %(head)s) as soon as possible, within "
               "%(hours)d hours, and record the contact as a visit.") % facts,
        link=reverse("registry:detail", args=[household.pk]), urgent=True,
        dedupe_key=f"urgent-contact-{case.pk}")


# --- acknowledging and closing ---------------------------------------------------------------------------


def _may_handle(case, user) -> None:
    if not CrisisCase.objects.restrict(user, "acknowledge").filter(pk=case.pk).exists():
        raise PermissionDenied


def acknowledge(case: CrisisCase, user, action_taken: str) -> CrisisCase:
    """A counsellor takes the case: the deadline stops (it is never escalated again) and what was done is kept."""
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ValidationError({"action_taken": [_("Say what was done or is being done for the family.")]})
    _may_handle(case, user)
    with transaction.atomic():
        locked = CrisisCase.objects.select_for_update().get(pk=case.pk)
        if locked.state != CrisisState.OPEN:
            raise ValidationError(_("This crisis case was already acknowledged by %(name)s.") % {
                "name": locked.acknowledged_by or "—"} if locked.state == CrisisState.ACKNOWLEDGED
                else _("This crisis case is closed."))
        locked.state = CrisisState.ACKNOWLEDGED
        locked.acknowledged_by = user
        locked.acknowledged_at = timezone.now()
        locked.action_taken = action_taken
        locked.save(update_fields=["state", "acknowledged_by", "acknowledged_at", "action_taken"])
    return locked


def close(case: CrisisCase, user, outcome: str) -> CrisisCase:
    """Close the case with its outcome (an unacknowledged case is acknowledged by the same act)."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": [_("Say how the crisis ended (the outcome).")]})
    _may_handle(case, user)
    with transaction.atomic():
        locked = CrisisCase.objects.select_for_update().get(pk=case.pk)
        if locked.state == CrisisState.CLOSED:
            raise ValidationError(_("This crisis case is closed."))
        now = timezone.now()
        fields = ["state", "closed_by", "closed_at", "outcome"]
        if locked.state == CrisisState.OPEN:
            locked.acknowledged_by, locked.acknowledged_at = user, now
            fields += ["acknowledged_by", "acknowledged_at"]
        locked.state = CrisisState.CLOSED
        locked.closed_by, locked.closed_at, locked.outcome = user, now, outcome
        locked.save(update_fields=fields)
    return locked


# --- escalation (scheduled) ------------------------------------------------------------------------------


def escalate_overdue(now=None) -> dict:
    """Move every unacknowledged case past its deadline one level up, with a new deadline.

    Set-based: the overdue cases are selected in one query (rows another run holds are skipped on
    PostgreSQL) and updated with one UPDATE per responsible union. Idempotent per deadline: an escalated
    case's new deadline lies ahead, so a second run at the same time finds nothing, and each notice carries
    the case and its escalation level as dedupe key."""
    now = now or timezone.now()
    if not CrisisCase.objects.overdue(now).exists():
        return {"escalated": 0, "cases": []}
    moved: list[tuple[int, int, int, int]] = []  # (case, new level, previous union, new union)
    with audit.bulk_job("care_crisis_escalation", model=CrisisCase, parameters={"now": now.isoformat()}) as job:
        rows = list(CrisisCase.objects.overdue(now).select_for_update(skip_locked=True, of=("self",))
                    .order_by("due_at", "id").values_list("id", "responsible_org_id")[:ESCALATION_BATCH])
        by_org: dict[int, list[int]] = defaultdict(list)
        for case_id, org_id in rows:
            by_org[org_id].append(case_id)
        new_due = now + response_window()
        for org_id, ids in by_org.items():
            target = escalation_target(Org.objects.get(pk=org_id))
            updated = CrisisCase.objects.filter(pk__in=ids, state=CrisisState.OPEN, due_at__lt=now).update(
                responsible_org=target, escalation_level=F("escalation_level") + 1, escalated_at=now, due_at=new_due)
            job.add(updated=updated)
            done = CrisisCase.objects.filter(pk__in=ids, escalated_at=now, responsible_org=target)
            moved += [(case_id, level, org_id, target.pk)
                      for case_id, level in done.values_list("id", "escalation_level")]
        job.parameters = {**job.parameters, "cases": [m[0] for m in moved]}
    if moved:
        transaction.on_commit(partial(notify_escalated, moved), robust=True)
    return {"escalated": len(moved), "cases": [m[0] for m in moved]}


def notify_escalated(moved) -> None:
    """The counsellors of the new union (urgent) and of the previous one are told of each escalation."""
    from bangfu.notifications.services import notify

    cases = CrisisCase.objects.select_related("household", "responsible_org").in_bulk([m[0] for m in moved])
    orgs = Org.objects.in_bulk({m[2] for m in moved} | {m[3] for m in moved})
    with translation.override(settings.LANGUAGE_CODE):
        for case_id, level, previous_id, target_id in moved:
            case = cases.get(case_id)
            if case is None:
                continue
            facts = {"number": case.pk, "archive": case.household.archive_number, "time": _when(case.due_at),
                     "level": level, "union": orgs[target_id].name, "previous": orgs[previous_id].name}
            link = reverse("care:crisis_detail", args=[case.pk])
            # At the root the case stays: its counsellors are reminded instead.
            title = (_("Crisis case %(number)s escalated to you: respond by %(time)s") if previous_id != target_id
                     else _("Crisis case %(number)s is still not acknowledged: respond by %(time)s"))
            notify(counsellors([target_id]), kind="crisis_escalated", title=title % facts,
                   body=_("The crisis case of household %(archive)s was not acknowledged in time by %(previous)s; "
                          "it is now with %(union)s (escalation %(level)d). Acknowledge it by %(time)s.") % facts,
                   link=link, urgent=True, dedupe_key=f"care-crisis-{case.pk}-esc-{level}")
            if previous_id != target_id:
                notify(counsellors([previous_id]), kind="crisis_escalated",
                       title=_("Crisis case %(number)s was escalated to %(union)s") % facts,
                       body=_("Nobody acknowledged the crisis case of household %(archive)s in time; it is now with "
                              "%(union)s. You can still acknowledge it.") % facts,
                       link=link, dedupe_key=f"care-crisis-{case.pk}-esc-{level}-previous")
