"""Relapse monitoring (返贫监测, DOMAIN.md §3): exited households are watched until their closure's
`monitor_until` (the registry's `BANGFU_RELAPSE_MONITORING_MONTHS` after the exit, default 12).

A watch starts when the household exits (`on_state_changed`, receiver of `household_state_changed`) and the daily
task backfills any exit closure still in its window without one. At the start, each member's work status and
health are copied into `WatchBaseline` (INSERT … SELECT), so the triggers are plain SQL over registry data:

* serious_illness — a member's health is a code flagged `serious` in the health code list (as `plans.facts`
  reads it) and was not a serious code at the start (or the member was added since); once per member and code;
* job_loss — a member's work status is a code flagged `no_job` (laid off, unemployed, not working) and was not
  such a code at the start (or the member was added since); once per member and status;
* income_drop — a complete month after the exit month, within the window, with any income recorded, whose
  counted household income (income types flagged `counts`) is at least `income_drop_percent` (default 30 %)
  below the month before, or below the average of the six months before (months without any income row do
  not count in that average); once per month;
* dibao_enrolment (and any kind the sender names) — the `relapse_evidence` signal, sent by the cross-check app;
  once per evidence (its `key`, else a hash of the evidence and the source).

Only watches in their window (started, `monitor_until` not passed) and not resolved by a re-entry collect
triggers. A new trigger marks the watch "review needed", writes the household's timeline and tells the union's
case workers. The case worker records the outcome: no relapse (the watch goes on to its end), or re-entry
through the registry's `household_reenter` (a new draft archive linked by `previous_archive`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bangfu.audit.jobs import bulk_job
from bangfu.core.months import month_starts
from bangfu.monitoring.models import (
    OPEN_WATCH_STATES,
    RelapseTrigger,
    RelapseWatch,
    TriggerKind,
    WatchBaseline,
    WatchState,
)
from bangfu.monitoring.services.common import policies_by_org, raise_if, tell_unions, today
from bangfu.registry.models import Closure, ClosureKind, Member, MonthlyIncome, State, record_event
from bangfu.registry.models.codes import codes_with_flag

NOTE_MAX = 4000
OUTCOMES = ("no_relapse", "reenter")


# --- watches -----------------------------------------------------------------------------------------------


def _baseline(watch_ids_sql: str, args: list) -> None:
    q = connection.ops.quote_name
    t_b, t_w, t_m = WatchBaseline._meta.db_table, RelapseWatch._meta.db_table, Member._meta.db_table
    sql = f"""INSERT INTO {q(t_b)} (watch_id, member_id, work_status, health)
SELECT w.id, m.id, m.work_status, m.health FROM {q(t_w)} w JOIN {q(t_m)} m ON m.household_id = w.household_id
WHERE w.id IN ({watch_ids_sql})
  AND NOT EXISTS (SELECT 1 FROM {q(t_b)} b WHERE b.watch_id = w.id AND b.member_id = m.id)"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, args)


def _exits_in_window(on: dt.date):
    return Closure.objects.filter(kind=ClosureKind.EXIT, reversed_on__isnull=True, monitor_until__gte=on,
                                  household__state=State.EXITED).exclude(
        Exists(RelapseWatch.objects.filter(closure=OuterRef("pk"))))


def watch_start(closure: Closure) -> RelapseWatch | None:
    """The watch of one exit (None when its window has passed or it already has one)."""
    if closure.kind != ClosureKind.EXIT or not closure.monitor_until or closure.monitor_until < today():
        return None
    watch, created = RelapseWatch.objects.get_or_create(
        closure=closure, defaults={"household_id": closure.household_id, "starts_on": closure.closed_on,
                                   "monitor_until": closure.monitor_until})
    if created:
        _baseline("%s", [watch.pk])
    return watch


def on_state_changed(sender, household, from_state, to_state, actor=None, on=None, **kwargs) -> None:
    """Receiver of `household_state_changed`: an exit starts its watch (inside the exit's transaction)."""
    if to_state != State.EXITED:
        return
    closure = (Closure.objects.filter(household=household, kind=ClosureKind.EXIT, reversed_on__isnull=True)
               .order_by("-closed_on", "-id").first())
    if closure is not None:
        watch_start(closure)


def backfill_watches(on: dt.date, job=None) -> int:
    """Watches for exits in their window that have none (INSERT … SELECT), with their baselines."""
    q = connection.ops.quote_name
    t_w = RelapseWatch._meta.db_table
    closures = _exits_in_window(on).order_by().values("pk")
    c_sql, c_args = closures.query.sql_with_params()
    t_c = Closure._meta.db_table
    sql = f"""INSERT INTO {q(t_w)} (household_id, closure_id, starts_on, monitor_until, state, resolution_note,
                                   created_at, job_id)
SELECT c.household_id, c.id, c.closed_on, c.monitor_until, %s, '', %s, %s FROM {q(t_c)} c
WHERE c.id IN ({c_sql})"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [WatchState.WATCHING, timezone.now(), getattr(job, "pk", None), *c_args])
        created = max(cursor.rowcount, 0)
    if created:
        watches = RelapseWatch.objects.filter(
            ~Exists(WatchBaseline.objects.filter(watch=OuterRef("pk"))), state=WatchState.WATCHING).values("pk")
        w_sql, w_args = watches.query.sql_with_params()
        _baseline(w_sql, list(w_args))
    return created


def end_watches(on: dt.date) -> int:
    """Watches whose window has passed with nothing open end (a watch waiting for review stays until resolved)."""
    return RelapseWatch.objects.filter(state=WatchState.WATCHING, monitor_until__lt=on).update(state=WatchState.ENDED)


def live_watches(on: dt.date):
    """Watches that collect triggers on `on`."""
    return RelapseWatch.objects.filter(state__in=OPEN_WATCH_STATES, starts_on__lte=on, monitor_until__gte=on)


# --- triggers from registry data ---------------------------------------------------------------------------


def _member_changes(on: dt.date, field: str, codes) -> list[tuple]:
    """(watch id, member id, code, masked name) of members whose `field` is in `codes` now and was not at the
    start of the watch (or who were added since)."""
    codes = sorted(codes)
    if not codes:
        return []
    watch = Subquery(live_watches(on).filter(household=OuterRef("household")).order_by("-starts_on").values("pk")[:1])
    members = (Member.objects.filter(**{f"{field}__in": codes}).annotate(watch_id=watch)
               .filter(watch_id__isnull=False)
               .exclude(Exists(WatchBaseline.objects.filter(watch=OuterRef("watch_id"), member=OuterRef("pk"),
                                                            **{f"{field}__in": codes}))))
    return list(members.values_list("watch_id", "pk", field, "name"))


def _income_drops(on: dt.date) -> list[tuple]:
    """(watch id, month, income fen, previous month fen, six-month average fen, percent) of income drops."""
    live = list(live_watches(on).values_list("pk", "household__org_id"))
    if not live:
        return []
    policies = policies_by_org({org for _pk, org in live}, on)
    by_percent: dict[int, list] = defaultdict(list)
    for pk, org_id in live:
        by_percent[policies[org_id].income_drop_percent].append(pk)
    # The complete months of the longest window (12 months of monitoring + the month of the exit), each with the
    # month before and the first of the six months before.
    months = month_starts(on.replace(day=1) - dt.timedelta(days=1), 14)
    counted = sorted(codes_with_flag("income_type", "counts"))
    if not counted:
        return []
    q = connection.ops.quote_name
    t_i, t_w = MonthlyIncome._meta.db_table, RelapseWatch._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(months))
    month_args = []
    for m in months:
        back = month_starts(m, 7)
        month_args += [m, back[-2], back[0]]
    found = []
    for percent, watch_ids in by_percent.items():
        for start in range(0, len(watch_ids), 2000):
            chunk = watch_ids[start:start + 2000]
            ids = ", ".join(["%s"] * len(chunk))
            types = ", ".join(["%s"] * len(counted))
            keep = 100 - percent
            sql = f"""
WITH mo (m, prev, six) AS (VALUES {values}),
w AS (SELECT id, household_id, starts_on, monitor_until FROM {q(t_w)} WHERE id IN ({ids})),
inc AS (SELECT i.household_id AS hid, i.month AS month,
               SUM(CASE WHEN i.income_type IN ({types}) THEN CAST(ROUND(i.amount * 100) AS BIGINT) ELSE 0 END) AS fen
        FROM {q(t_i)} i JOIN w ON w.household_id = i.household_id WHERE i.month >= %s
        GROUP BY i.household_id, i.month),
x AS (SELECT w.id AS watch_id, mo.m AS month, cur.fen AS fen, prev.fen AS prev_fen,
             (SELECT SUM(s.fen) FROM inc s WHERE s.hid = w.household_id AND s.month >= mo.six AND s.month < mo.m)
               AS six_sum,
             (SELECT COUNT(*) FROM inc s WHERE s.hid = w.household_id AND s.month >= mo.six AND s.month < mo.m)
               AS six_n
      FROM w JOIN mo ON mo.m > w.starts_on AND mo.m <= w.monitor_until
      JOIN inc cur ON cur.hid = w.household_id AND cur.month = mo.m
      LEFT JOIN inc prev ON prev.hid = w.household_id AND prev.month = mo.prev)
SELECT watch_id, month, fen, prev_fen, six_sum, six_n FROM x
WHERE (prev_fen > 0 AND fen * 100 <= prev_fen * {keep})
   OR (six_n > 0 AND six_sum > 0 AND fen * 100 * six_n <= six_sum * {keep})
"""  # noqa: S608 - integers and placeholders only
            with connection.cursor() as cursor:
                cursor.execute(sql, [*month_args, *chunk, *counted, months[0] - dt.timedelta(days=200)])
                for watch_id, month, fen, prev_fen, six_sum, six_n in cursor.fetchall():
                    month = month if isinstance(month, dt.date) else dt.date.fromisoformat(str(month)[:10])
                    found.append((watch_id, month, int(fen), None if prev_fen is None else int(prev_fen),
                                  int(six_sum) // int(six_n) if six_n else None, percent))
    return found


def collect_triggers(on: dt.date) -> list[RelapseTrigger]:
    """The triggers the registry's data show on `on` (not yet recorded)."""
    candidates = []
    for watch_id, member_id, code, name in _member_changes(on, "health", codes_with_flag("health", "serious")):
        candidates.append(RelapseTrigger(watch_id=watch_id, kind=TriggerKind.SERIOUS_ILLNESS,
                                         evidence_key=f"member:{member_id}:{code}", source="registry",
                                         evidence={"member": member_id, "member_masked": _mask(name),
                                                   "health": code}))  # shown only with view_health_score
    for watch_id, member_id, code, name in _member_changes(on, "work_status", codes_with_flag("work_status", "no_job")):
        candidates.append(RelapseTrigger(watch_id=watch_id, kind=TriggerKind.JOB_LOSS,
                                         evidence_key=f"member:{member_id}:{code}", source="registry",
                                         evidence={"member": member_id, "member_masked": _mask(name),
                                                   "work_status": code}))
    for watch_id, month, fen, prev_fen, avg_fen, percent in _income_drops(on):
        candidates.append(RelapseTrigger(watch_id=watch_id, kind=TriggerKind.INCOME_DROP,
                                         evidence_key=f"month:{month.isoformat()[:7]}", source="registry",
                                         evidence={"month": month.isoformat()[:7], "income_fen": fen,
                                                   "previous_month_fen": prev_fen, "six_month_average_fen": avg_fen,
                                                   "threshold_percent": percent}))
    if not candidates:
        return []
    existing = set(RelapseTrigger.objects.filter(watch_id__in={c.watch_id for c in candidates})
                   .values_list("watch_id", "kind", "evidence_key"))
    return [c for c in candidates if (c.watch_id, c.kind, c.evidence_key) not in existing]


def _mask(name: str) -> str:
    from bangfu.core.masking import mask_name

    return mask_name(name)


def _after_new_triggers(triggers: list[RelapseTrigger], on: dt.date, *, dedupe: str) -> None:
    """Watches with new triggers need review: state, timeline rows and one notice per union."""
    watch_ids = {t.watch_id for t in triggers}
    RelapseWatch.objects.filter(pk__in=watch_ids, state=WatchState.WATCHING).update(state=WatchState.REVIEW_NEEDED)
    watches = {w.pk: w for w in RelapseWatch.objects.filter(pk__in=watch_ids).select_related("household")}
    per_org: dict[int, int] = defaultdict(int)
    for trigger in triggers:
        watch = watches[trigger.watch_id]
        record_event(watch.household, "monitoring_relapse_trigger", trigger_kind=trigger.kind, watch=watch.pk,
                     source=trigger.source[:60])
    for watch in watches.values():
        per_org[watch.household.org_id] += 1
    tell_unions(per_org, kind="relapse_review", link=reverse("monitoring:watches") + "?state=review_needed",
                dedupe=dedupe,
                title=lambda n: ngettext("%(count)d exited household may be in hardship again: review it",
                                         "%(count)d exited households may be in hardship again: review them", n)
                % {"count": n})


def watch_relapse(on: dt.date | None = None) -> dict:
    """The daily task's work: backfill watches, end the passed ones, record new triggers (idempotent)."""
    on = on or today()
    with bulk_job("monitoring_watch_relapse", model=RelapseTrigger, parameters={"on": on.isoformat()}) as job:
        started = backfill_watches(on, job)
        ended = end_watches(on)
        new = job.stamp(collect_triggers(on))
        RelapseTrigger.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            _after_new_triggers(new, on, dedupe=f"monitoring-relapse:{on.isoformat()}")
        job.add(created=started + len(new), updated=ended)
    return {"watches_started": started, "watches_ended": ended, "triggers": len(new)}


# --- the relapse_evidence signal ---------------------------------------------------------------------------


def evidence_key(evidence: dict, source: str) -> str:
    if isinstance(evidence, dict) and evidence.get("key"):
        return str(evidence["key"])[:120]
    digest = hashlib.sha256(json.dumps([evidence, source], sort_keys=True, default=str).encode()).hexdigest()
    return f"sha256:{digest[:48]}"


def on_relapse_evidence(sender, household, kind, evidence, source, actor=None, **kwargs) -> RelapseTrigger | None:
    """Receiver of `relapse_evidence`: a trigger on the household's live watch (None when it has none, or the
    same evidence was recorded before). Runs in the sender's transaction."""
    on = today()
    watch = live_watches(on).filter(household_id=getattr(household, "pk", household)).order_by("-starts_on").first()
    if watch is None:
        return None
    kind = kind if kind in TriggerKind.values else TriggerKind.DIBAO_ENROLMENT
    key = evidence_key(evidence, source)
    with transaction.atomic():
        trigger, created = RelapseTrigger.objects.get_or_create(
            watch=watch, kind=kind, evidence_key=key,
            defaults={"evidence": evidence if isinstance(evidence, dict) else {"value": str(evidence)},
                      "source": str(source or "")[:120]})
        if not created:
            return None
        _after_new_triggers([trigger], on, dedupe=f"monitoring-relapse-signal:{trigger.pk}")
    return trigger


# --- the case worker's outcome -----------------------------------------------------------------------------


@transaction.atomic
def watch_resolve(actor, watch: RelapseWatch, *, outcome: str, note: str):
    """Record the review of a watch that needs one: no relapse (the watch goes on), or re-entry (a new archive
    through the registry's re-entry, linked to this one). Returns the watch."""
    from bangfu.registry.services.restructure import household_reenter

    watch = RelapseWatch.objects.select_for_update(of=("self",)).select_related("household").get(pk=watch.pk)
    errors: dict = {}
    note = (note or "").strip()
    if watch.state != WatchState.REVIEW_NEEDED:
        errors["__all__"] = _("This watch has no trigger waiting for review (%(state)s).") % {
            "state": watch.get_state_display()}
    if outcome not in OUTCOMES:
        errors["outcome"] = _("Choose the outcome: no relapse, or re-entry as a new archive.")
    if not note:
        errors["note"] = _("Write down what the review found.")
    elif len(note) > NOTE_MAX:
        errors["note"] = _("At most %(max)d characters.") % {"max": NOTE_MAX}
    raise_if(errors)
    if outcome == "reenter":
        try:
            new = household_reenter(watch.household, actor=actor, reason=note)
        except ValidationError as error:
            if hasattr(error, "error_dict") and "reason" in error.error_dict:
                raise ValidationError({"note": error.error_dict["reason"]}) from None
            raise
        watch.state, watch.new_archive = WatchState.REENTERED, new
    else:
        watch.state = WatchState.WATCHING if watch.monitor_until >= today() else WatchState.ENDED
    watch.resolved_by, watch.resolved_on, watch.resolution_note = actor, today(), note
    watch.save()
    watch.triggers.filter(reviewed_on__isnull=True).update(reviewed_on=today())
    record_event(watch.household, "monitoring_relapse_resolved", actor=actor, outcome=outcome, watch=watch.pk,
                 new_archive=watch.new_archive.archive_number if watch.new_archive_id else "")
    return watch

