"""Annual review cycles and reviews (DOMAIN.md §3: every active archive reviewed at least once a year).

* `create_review_cycles(year)`: one `ReviewCycle` per union that holds active archives (the household's `org`),
  then ONE `INSERT … SELECT` adds a review for every active archive that has none in any cycle of that year (so
  an archive transferred mid-year is not reviewed twice). Idempotent: running it again (daily, to pick up
  archives activated since) inserts only what is missing. One audit job per run; each row carries the job.
  **The rule ("at least once a year")**: the review is due by 31 December of the year, or by the archive's
  `review_due_on` when that comes first (an archive activated or last reviewed during the previous year is due
  a year after that). An archive whose **latest** registry review (timeline row of kind "review", its
  `reviewed_on`) already falls in the cycle's year is not asked for a second review that year: its review is
  created **done**, linked to that registry row (date, person, note copied from it).
* `review_do(actor, review, reviewed_on, note)`: the review itself is the registry's `household_review` (the one
  write function for it: it moves `review_due_on` a year on and writes the timeline); this marks the cycle's
  review done and links the registry's timeline row.
* `on_household_reviewed`: receiver of the registry's `household_reviewed` signal. A review recorded anywhere
  else (the archive page's lifecycle panel, another app) marks the open review (due or re-review) of that
  household in the cycle of the review date's year done, linked to the registry row — unless it is `review_do`
  that called `household_review` (it marks its own review; a context variable says so, so nothing is handled
  twice).
* `remind_due_reviews(on)`: reviews entering the reminder lead time are told once each, to the household's
  responsible helper, or without one to the case workers of its union (one notice per person per day with a
  count; `Review.notified_at` makes it once per review).
"""

from __future__ import annotations

import contextvars
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bangfu.audit.jobs import bulk_job
from bangfu.monitoring.models import Review, ReviewCycle, ReviewState
from bangfu.monitoring.services.common import policies_by_org, raise_if, today
from bangfu.registry.models import Household, State, TimelineEvent


def create_review_cycles(year: int, *, actor=None, within=None) -> dict:
    """Cycles of `year` for every union (or the unions of `within`'s subtree) holding active archives, and their
    reviews. Returns {"cycles": new cycles, "reviews": new reviews}."""
    households = Household.objects.filter(state=State.ACTIVE)
    if within is not None:
        households = households.filter(org__path__startswith=within.path)
    starts_on, ends_on = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with bulk_job("monitoring_review_cycles", actor, model=Review,
                  parameters={"year": year, "within": getattr(within, "code", "")}) as job:
        org_ids = set(households.order_by().values_list("org_id", flat=True).distinct())
        existing = set(ReviewCycle.objects.filter(year=year, org_id__in=org_ids).values_list("org_id", flat=True))
        cycles = job.stamp([ReviewCycle(org_id=org_id, year=year, starts_on=starts_on, ends_on=ends_on,
                                        created_by=actor if getattr(actor, "pk", None) else None)
                            for org_id in sorted(org_ids - existing)])
        ReviewCycle.objects.bulk_create(cycles, ignore_conflicts=True)
        q = connection.ops.quote_name
        t_r, t_c, t_h = Review._meta.db_table, ReviewCycle._meta.db_table, Household._meta.db_table
        scope_sql, scope_args = "", []
        if within is not None:
            from bangfu.orgs.models import Org

            scope_sql = f" AND h.org_id IN (SELECT o.id FROM {q(Org._meta.db_table)} o WHERE o.path LIKE %s)"  # noqa: S608
            scope_args = [within.path + "%"]
        t_t = TimelineEvent._meta.db_table
        # The latest registry review row of each household, kept when its `reviewed_on` falls in the year. Both
        # steps are MATERIALIZED CTEs, computed once: right after a bulk load (the demo, an import) the planner's
        # statistics still say "empty tables", and an inlined `id IN (SELECT MAX(id) … GROUP BY …)` was planned as
        # a nested loop re-aggregating the whole timeline per household (minutes for 1,200 households).
        reviewed = ("CAST(t.detail ->> 'reviewed_on' AS date)" if connection.vendor == "postgresql"
                    else "date(json_extract(t.detail, '$.reviewed_on'))")
        sql = f"""
WITH latest AS MATERIALIZED (
    SELECT household_id, MAX(id) AS id FROM {q(t_t)} WHERE kind = 'review' GROUP BY household_id
), e AS MATERIALIZED (
    SELECT t.id, t.household_id, t.actor_id, t.reason, {reviewed} AS reviewed
    FROM latest JOIN {q(t_t)} t ON t.id = latest.id
    WHERE {reviewed} >= %s AND {reviewed} <= %s
)
INSERT INTO {q(t_r)} (cycle_id, household_id, due_on, state, reviewed_on, reviewed_by_id, timeline_event_id, note,
                      spot_outcome, spot_note, rereviews, job_id)
SELECT c.id, h.id,
       CASE WHEN h.review_due_on IS NOT NULL AND h.review_due_on < c.ends_on THEN h.review_due_on ELSE c.ends_on END,
       CASE WHEN e.id IS NULL THEN %s ELSE %s END, e.reviewed, e.actor_id, e.id, COALESCE(e.reason, ''),
       '', '', 0, %s
FROM {q(t_h)} h JOIN {q(t_c)} c ON c.org_id = h.org_id AND c.year = %s
LEFT JOIN e ON e.household_id = h.id
WHERE h.state = %s{scope_sql}
  AND NOT EXISTS (SELECT 1 FROM {q(t_r)} r JOIN {q(t_c)} c2 ON c2.id = r.cycle_id
                  WHERE r.household_id = h.id AND c2.year = %s)
"""  # noqa: S608 - quoted table names and placeholders only
        with connection.cursor() as cursor:
            cursor.execute(sql, [starts_on, ends_on, ReviewState.DUE, ReviewState.DONE, job.pk, year, State.ACTIVE,
                                 *scope_args, year])
        # Counted by the job stamp: sqlite3 reports no rowcount for a statement that starts with WITH.
        inserted = Review.objects.filter(job=job).count()
        already = Review.objects.filter(job=job, state=ReviewState.DONE).count() if inserted else 0
        job.add(created=len(cycles) + inserted)
    return {"cycles": len(cycles), "reviews": inserted, "already_reviewed": already}


def _locked(review: Review) -> Review:
    return Review.objects.select_for_update(of=("self",)).select_related("household__org", "cycle__org").get(
        pk=review.pk)


@transaction.atomic
def review_do(actor, review: Review, *, reviewed_on, note: str) -> Review:
    """Record the review of the archive (registry `household_review`) and mark this cycle's review done."""
    from bangfu.registry.services.lifecycle import household_review

    review = _locked(review)
    errors: dict = {}
    if review.state == ReviewState.DONE:
        errors["__all__"] = _("This review is already done (on %(date)s).") % {"date": review.reviewed_on}
    elif review.household.state != State.ACTIVE:
        errors["__all__"] = _("The archive is no longer active (%(state)s): it needs no annual review.") % {
            "state": review.household.get_state_display()}
    elif isinstance(reviewed_on, dt.date) and reviewed_on < review.cycle.starts_on:
        errors["reviewed_on"] = _("This review belongs to the cycle of %(year)s: the review date cannot be "
                                  "before %(date)s.") % {"year": review.cycle.year, "date": review.cycle.starts_on}
    raise_if(errors)
    token = _REVIEW_DO.set({"household": review.household_id, "event": None})
    try:
        household_review(review.household, actor=actor, reviewed_on=reviewed_on, note=note)
        event = _REVIEW_DO.get()["event"]
    finally:
        _REVIEW_DO.reset(token)
    return _mark_done(review, actor=actor, reviewed_on=reviewed_on, note=note, event=event)


# Set by `review_do` while it calls the registry's `household_review`: the receiver then only hands back the
# registry's timeline row instead of marking a review itself.
_REVIEW_DO: contextvars.ContextVar = contextvars.ContextVar("monitoring_review_do", default=None)


def _mark_done(review: Review, *, actor, reviewed_on, note: str, event) -> Review:
    was_rereview = review.state == ReviewState.REREVIEW
    review.state = ReviewState.DONE
    review.reviewed_on, review.reviewed_by, review.note = reviewed_on, actor, (note or "").strip()
    review.timeline_event = event
    if was_rereview:
        review.rereviews += 1
    review.save()
    return review


def on_household_reviewed(sender, household, reviewed_on, actor=None, event=None, **kwargs) -> Review | None:
    """Receiver of `household_reviewed` (inside `household_review`'s transaction): mark the open review of the
    household in the cycle of the review date's year done, linked to the registry's row (see the module
    docstring). Returns the review marked, or None."""
    pending = _REVIEW_DO.get()
    if pending is not None and pending["household"] == household.pk:
        pending["event"] = event
        return None
    if not isinstance(reviewed_on, dt.date):
        return None
    review = (Review.objects.open().select_for_update(of=("self",))
              .filter(household_id=household.pk, cycle__year=reviewed_on.year).order_by("id").first())
    if review is None:
        return None
    return _mark_done(review, actor=actor, reviewed_on=reviewed_on, note=getattr(event, "reason", ""), event=event)


def reviews_due_for_reminder(on: dt.date):
    """Open reviews of active archives, not yet reminded, due within their union's lead time (or overdue)."""
    candidates = (Review.objects.open().filter(notified_at__isnull=True, household__state=State.ACTIVE)
                  .select_related("household"))
    # The lead time is a parameter per union: the candidates are read with the longest lead time in force, then
    # each is checked against its own union's.
    org_ids = set(candidates.order_by().values_list("household__org_id", flat=True).distinct())
    policies = policies_by_org(org_ids, on)
    longest = max((p.review_lead_days for p in policies.values()), default=0)
    rows = candidates.filter(due_on__lte=on + dt.timedelta(days=longest)).values_list(
        "pk", "household_id", "household__org_id", "due_on")
    return [(pk, hid, org_id) for pk, hid, org_id, due in rows
            if due <= on + dt.timedelta(days=policies[org_id].review_lead_days)]


def remind_due_reviews(on: dt.date | None = None) -> dict:
    """Tell the responsible helper (or the union's case workers) once about each review coming due."""
    from bangfu.helpers.models import HelperAssignment
    from bangfu.monitoring.services.common import case_workers
    from bangfu.notifications.services import notify

    on = on or today()
    due = reviews_due_for_reminder(on)
    if not due:
        return {"reviews": 0, "notices": 0}
    household_ids = {hid for _pk, hid, _org in due}
    helpers = dict(HelperAssignment.objects.current().filter(household_id__in=household_ids, helper__isnull=False,
                                                             helper__is_active=True)
                   .values_list("household_id", "helper_id"))
    workers = case_workers({org for _pk, hid, org in due if hid not in helpers})
    per_user: dict[int, int] = {}
    users = {}
    for _pk, hid, org_id in due:
        recipients = [helpers[hid]] if hid in helpers else [u.pk for u in workers.get(org_id, [])]
        for uid in recipients:
            per_user[uid] = per_user.get(uid, 0) + 1
    from bangfu.accounts.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=per_user)}
    written = 0
    link = reverse("monitoring:reviews") + "?state=open"
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        for uid, count in sorted(per_user.items()):
            title = ngettext("%(count)d annual review is coming due", "%(count)d annual reviews are coming due",
                             count) % {"count": count}
            written += len(notify([users[uid]], kind="reviews_due", title=title, link=link,
                                  dedupe_key=f"monitoring-reviews-due:{on.isoformat()}"))
        Review.objects.filter(pk__in=[pk for pk, _h, _o in due]).update(notified_at=timezone.now())
    return {"reviews": len(due), "notices": written}


def cycle_counts(cycle: ReviewCycle) -> dict:
    counts = dict(cycle.reviews.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n"))
    drawn = cycle.reviews.filter(draw__isnull=False).count()
    checked = cycle.reviews.exclude(spot_outcome="").count()
    return {"due": counts.get(ReviewState.DUE, 0), "done": counts.get(ReviewState.DONE, 0),
            "rereview": counts.get(ReviewState.REREVIEW, 0), "total": sum(counts.values()), "drawn": drawn,
            "checked": checked}


def start_cycle_check(actor, year) -> None:
    """The on-demand start of a year's cycles: a reviewer, a plausible year."""
    current = today().year
    if not isinstance(year, int) or not (current - 1 <= year <= current + 1):
        raise ValidationError({"year": _("Choose the year of the review cycle (%(a)d to %(b)d).") % {
            "a": current - 1, "b": current + 1}})
