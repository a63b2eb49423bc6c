"""Crisis cases (DOMAIN.md §8): opened by a screening, acknowledged within the response window, escalated when not.

Who is responsible: the nearest union from the household's union upwards that has at least one active
counsellor (the household's own union when none has). When the deadline passes unacknowledged, the scheduled
check (`escalate_overdue`, every five minutes) moves the case to the nearest union above the responsible one
that has counsellors, skipping unions without any (when no union above has one, or at the root, the case
stays), raises `escalation_level`, starts a new deadline and tells the counsellors there and, again and
urgently, the ones before. One household has at most one active (open or acknowledged) case: on a further
positive screening nothing new is opened and the case's counsellors are told.

Nobody is ever left untold: when there is no counsellor to tell (none in the household's lineage, or none
left where the case is), the leadership and reviewers of the nearest union of the household's lineage that
has any are told that an urgent care case needs a counsellor (and a warning is logged). When the household
has no responsible helper in person (none, or the union mode), the case workers of its union get the
"urgent contact due" notice the helper would have got.

Notices go out after commit (a rolled-back screening tells nobody). Their text says what is due and links to
the page; it never carries health content. The household's responsible helper, the case workers and the
leadership are told that something urgent is due — never why (DOMAIN.md §9).
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


def _staff_with_roles(*roles):
    from bangfu.accounts.models import User

    return User.objects.filter(is_active=True, kind=User.Kind.STAFF, org__is_active=True, roles__role__in=roles)


def leadership_for(household) -> list:
    """The leadership and reviewers of the nearest union, from the household's union upwards, that has any
    (they are told when no counsellor can be)."""
    people = list(_staff_with_roles(Role.LEADERSHIP, Role.REVIEWER)
                  .filter(org__path__in=lineage_paths(household.org.path)).select_related("org").distinct())
    if not people:
        return []
    nearest = max(len(person.org.path) for person in people)
    return [person for person in people if len(person.org.path) == nearest]


def case_workers_of(org_id) -> list:
    """The active case workers of one union."""
    return list(_staff_with_roles(Role.CASE_WORKER).filter(org_id=org_id).distinct())


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
    """Where an unacknowledged case of `org` goes: the nearest union above `org` with an active counsellor
    (unions without one are skipped: a case sent there would reach nobody). When no union above has one, or
    `org` is the root, the case stays with `org`."""
    return _nearest_with_counsellors(lineage_paths(org.path)[:-1]) or org


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- opening -------------------------------------------------------------------------------------------


def open_crisis_case(screening, reason: str, *, now=None) -> CrisisCase:
    """Open the crisis case of `screening` (inside the caller's transaction); the notices go after commit.

    When the household already has an active (open or acknowledged) case, no second case is opened (nor are the
    helper and the leadership told again): the screening stays a screening of the household, and the case's
    counsellors are told after commit that a new positive screening came in (`notify_new_screening`). The
    caller holds the household's row lock (`record_screening`), so two positive screenings at the same moment
    cannot both open a case. Returns the case opened, or the active case that goes on."""
    now = now or timezone.now()
    household = screening.household
    active = CrisisCase.objects.filter(household_id=household.pk).active().order_by("opened_at", "id").first()
    if active is not None:
        transaction.on_commit(partial(notify_new_screening, active.pk, screening.pk), robust=True)
        return active
    case = CrisisCase.objects.create(
        household=household, screening=screening, reason=reason, state=CrisisState.OPEN, opened_at=now,
        due_at=now + response_window(), responsible_org=responsible_org_for(household))
    transaction.on_commit(partial(notify_opened, case.pk), robust=True)
    return case


def _case(case_id: int) -> CrisisCase:
    return CrisisCase.objects.select_related("household", "household__org", "responsible_org").get(pk=case_id)


def notify_opened(case_id: int) -> None:
    """Tell the responsible counsellors (urgent) — or, when there are none, the leadership — and the household's
    responsible helper (urgent, no reason)."""
    from bangfu.notifications.services import notify

    case = _case(case_id)
    household = case.household
    responsible = list(counsellors([case.responsible_org_id]))
    with translation.override(settings.LANGUAGE_CODE):
        notify(responsible, kind="crisis_case",
               title=_("Crisis case %(number)s: respond by %(time)s") % {
                   "number": case.pk, "time": _when(case.due_at)},
               body=_("A crisis case was opened for household %(archive)s (%(union)s). Acknowledge it by "
                      "%(time)s and record what was done; if nobody does, it goes to the next level up.") % {
                   "archive": household.archive_number, "union": household.org.name, "time": _when(case.due_at)},
               link=reverse("care:crisis_detail", args=[case.pk]), urgent=True,
               dedupe_key=f"care-crisis-{case.pk}-opened")
        if not responsible:
            tell_leadership(case, occasion="opened")
        tell_helper(case)


def notify_new_screening(case_id: int, screening_id: int) -> None:
    """A further positive screening of a household with an active case: its responsible counsellors (and the
    one who acknowledged it, wherever they are) are told, urgently, with a link to the case — or the leadership
    when there is no such counsellor."""
    from bangfu.notifications.services import notify

    case = _case(case_id)
    recipients = list(counsellors([case.responsible_org_id]))
    if case.acknowledged_by_id is not None:
        recipients += list(_counsellor_users().filter(pk=case.acknowledged_by_id))
    key = f"care-crisis-{case.pk}-screening-{screening_id}"
    with translation.override(settings.LANGUAGE_CODE):
        facts = {"number": case.pk, "archive": case.household.archive_number}
        notify(recipients, kind="crisis_screening",
               title=_("Crisis case %(number)s: a new positive screening was recorded") % facts,
               body=_("Another positive screening was recorded for household %(archive)s while crisis case "
                      "%(number)s is still active, so no new case was opened. See the case and the household's "
                      "latest screening.") % facts,
               link=reverse("care:crisis_detail", args=[case.pk]), urgent=True, dedupe_key=key)
        if not recipients:
            tell_leadership(case, occasion=f"screening-{screening_id}")


def tell_leadership(case, *, occasion: str) -> list:
    """Nobody counsels where the case is: the leadership and reviewers of the nearest union of the household's
    lineage that has any are told (urgent) that an urgent care case needs a counsellor. They hold no care
    permission, so the words (and the dedupe key, `occasion` naming the event) say nothing of why; the link is
    the household's archive page. Logged as a warning (with the case number only): no union should stay
    without a counsellor for long."""
    from bangfu.notifications.services import notify

    household = case.household
    people = leadership_for(household)
    logger.warning("Care case %s (%s): no active counsellor to tell (responsible union %s); %d of the leadership "
                   "and reviewers told instead.", case.pk, occasion, case.responsible_org_id, len(people))
    if not people:
        logger.error("Care case %s (%s): nobody at all to tell in the household's lineage.", case.pk, occasion)
        return []
    facts = {"archive": household.archive_number}
    return notify(
        people, kind="care_needs_counsellor",
        title=_("An urgent care case of household %(archive)s needs a counsellor") % facts,
        body=_("No counsellor of the household's union or of a union above it can take up this urgent care case. "
               "Please see to it that a counsellor does, as soon as possible."),
        link=reverse("registry:detail", args=[household.pk]), urgent=True,
        dedupe_key=f"care-urgent-{case.pk}-{occasion}")


def tell_helper(case) -> list:
    """The household's current responsible helper (pairing or accountable cadre) is told that an urgent contact
    is due. When there is no such helper in person (none, the union mode, or an inactive account), the case
    workers of the household's union are told instead. The words say nothing of why: none of them holds a care
    permission."""
    from bangfu.helpers.models import HelperAssignment, HelperMode
    from bangfu.notifications.services import notify

    assignment = (HelperAssignment.objects.current().filter(household_id=case.household_id)
                  .select_related("helper").first())
    household = case.household
    if (assignment is not None and assignment.mode != HelperMode.UNION and assignment.helper is not None
            and assignment.helper.is_active):
        recipients = [assignment.helper]
    else:
        recipients = case_workers_of(household.org_id)
        if not recipients:
            logger.warning("Care case %s: no responsible helper and no case worker in union %s to tell that an "
                           "urgent contact is due.", case.pk, household.org_id)
    hours = settings.CARE_CRISIS_RESPONSE_HOURS
    facts = {"archive": household.archive_number, "head": household.head_name_masked or "—", "hours": hours}
    return notify(
        recipients, kind="urgent_contact",
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
    """Each escalation is told, urgently, to the counsellors of the new union and again to those of the previous
    one (they can still acknowledge it). A case that stays (no union above has a counsellor, or the root)
    reminds its counsellors. When there is nobody to tell, the leadership is (`tell_leadership`)."""
    from bangfu.notifications.services import notify

    cases = (CrisisCase.objects.select_related("household", "household__org", "responsible_org")
             .in_bulk([m[0] for m in moved]))
    org_ids = {m[2] for m in moved} | {m[3] for m in moved}
    orgs = Org.objects.in_bulk(org_ids)
    staffed: dict[int, list] = defaultdict(list)  # counsellors per union, one query for all
    for person in counsellors(org_ids):
        staffed[person.org_id].append(person)
    with translation.override(settings.LANGUAGE_CODE):
        for case_id, level, previous_id, target_id in moved:
            case = cases.get(case_id)
            if case is None:
                continue
            facts = {"number": case.pk, "archive": case.household.archive_number, "time": _when(case.due_at),
                     "level": level, "union": orgs[target_id].name, "previous": orgs[previous_id].name}
            link = reverse("care:crisis_detail", args=[case.pk])
            moved_up = previous_id != target_id
            # When the case stays, its counsellors are reminded instead.
            title = (_("Crisis case %(number)s escalated to you: respond by %(time)s") if moved_up
                     else _("Crisis case %(number)s is still not acknowledged: respond by %(time)s"))
            notify(staffed[target_id], kind="crisis_escalated", title=title % facts,
                   body=_("The crisis case of household %(archive)s was not acknowledged in time by %(previous)s; "
                          "it is now with %(union)s (escalation %(level)d). Acknowledge it by %(time)s.") % facts,
                   link=link, urgent=True, dedupe_key=f"care-crisis-{case.pk}-esc-{level}")
            if moved_up:
                notify(staffed[previous_id], kind="crisis_escalated",
                       title=_("Crisis case %(number)s was escalated to %(union)s") % facts,
                       body=_("Nobody acknowledged the crisis case of household %(archive)s in time; it is now with "
                              "%(union)s. You can still acknowledge it.") % facts,
                       link=link, urgent=True, dedupe_key=f"care-crisis-{case.pk}-esc-{level}-previous")
            if not staffed[target_id] and not staffed[previous_id]:
                tell_leadership(case, occasion=f"esc-{level}")
