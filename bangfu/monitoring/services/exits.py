"""Exit suggestions (DOMAIN.md §3, exit reason 脱困: per-capita income above the line for 6 consecutive months).

Definition: on day D, the last complete month is the month before D's. A household is suggested when it is
active and its monthly household income was **strictly above** `L × size` in each of the last N complete months
(N = `MonitoringPolicy.exit_months` of its union, default 6), where the monthly household income is the
classification's own (`registry.classification.bulk.monthly_ctes`: counted income types plus the minimum wage
imputed to working-age, able-bodied members without a job and without income) and `L` is the living line in
force for the household's division on the last day of the last complete month — the line the classification
would use on that day (a month with no income recorded counts 0 and is never above). Evaluated by one SQL
statement per group of households with the same parameters.

One open suggestion per household, and never a second one for the same last month (a dismissed suggestion is
not made again until another month has passed). Accepting calls the registry's `household_exit` with reason
`out_of_hardship` and the person's note; dismissing needs a reason. Both write the household's timeline.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bangfu.audit.jobs import bulk_job
from bangfu.core.months import month_starts
from bangfu.monitoring.models import ExitSuggestion, SuggestionState
from bangfu.monitoring.services.common import policies_by_org, raise_if, tell_unions, today
from bangfu.registry.classification.bulk import monthly_ctes
from bangfu.registry.classification.params import resolve
from bangfu.registry.models import ExitReason, Household, State, record_event

NOTE_MAX = 4000


def last_complete_month_end(on: dt.date) -> dt.date:
    return on.replace(day=1) - dt.timedelta(days=1)


def _above_sql(p, id_sql, id_params, months: int) -> tuple[str, list]:
    ctes, args = monthly_ctes(p, id_sql, id_params)
    first = month_starts(p.on, months)[0]
    line = int(p.line_fen)
    sql = f"""{ctes},
above AS (SELECT hm.household_id AS household_id FROM hm JOIN sz ON sz.household_id = hm.household_id
          WHERE hm.month >= %s GROUP BY hm.household_id
          HAVING MIN(CASE WHEN sz.size > 0 AND hm.total > {line} * sz.size THEN 1 ELSE 0 END) = 1)
SELECT hm.household_id, hm.month, hm.total, sz.size FROM hm
JOIN above a ON a.household_id = hm.household_id JOIN sz ON sz.household_id = hm.household_id
WHERE hm.month >= %s ORDER BY hm.household_id, hm.month"""  # noqa: S608 - integers and placeholders only
    return sql, [*args, first, first]


def evaluate(candidates, on: dt.date) -> dict[int, dict]:
    """{household id: evidence} of the households of `candidates` above the line in each of the last N complete
    months before `on` (N per union)."""
    evaluated_on = last_complete_month_end(on)
    pairs = list(candidates.order_by().values_list("division_id", "org_id").distinct())
    policies = policies_by_org({org for _div, org in pairs}, on)
    groups: dict[tuple, set] = defaultdict(set)  # (division, months) -> unions
    for division_id, org_id in pairs:
        groups[(division_id, policies[org_id].exit_months)].add(org_id)
    params = {division_id: resolve(division_id, evaluated_on) for division_id, _org in pairs}
    found: dict[int, dict] = {}
    for (division_id, months), org_ids in groups.items():
        p = params[division_id]
        if p.line_fen is None:
            continue  # no line in force: nothing can be above it
        ids = candidates.filter(division_id=division_id, org_id__in=org_ids).order_by().values("pk")
        id_sql, id_params = ids.query.sql_with_params()
        sql, args = _above_sql(p, id_sql, id_params, months)
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            for hid, month, total, size in cursor.fetchall():
                month = month if isinstance(month, dt.date) else dt.date.fromisoformat(str(month)[:10])
                ev = found.setdefault(hid, {
                    "evaluated_on": evaluated_on.isoformat(), "months_required": months, "size": size,
                    "line_fen": p.line_fen, "line_yuan": str(p.line_amount), "line_division": p.line_division,
                    "line_effective_from": p.line_effective_from.isoformat() if p.line_effective_from else "",
                    "line_illustrative": p.line_illustrative, "months": []})
                ev["months"].append({"month": month.isoformat()[:7], "income_fen": int(total),
                                     "pci_fen": int(total) // size if size else 0, "line_fen": p.line_fen})
    return found


def suggest_exits(on: dt.date | None = None) -> dict:
    """Make the day's exit suggestions (idempotent). Returns {"suggestions": new ones}."""
    on = on or today()
    last_month = last_complete_month_end(on).replace(day=1)
    candidates = (Household.objects.filter(state=State.ACTIVE)
                  .exclude(Exists(ExitSuggestion.objects.filter(
                      Q(state=SuggestionState.OPEN) | Q(last_month=last_month), household=OuterRef("pk")))))
    found = evaluate(candidates, on)
    if not found:
        return {"suggestions": 0}
    with bulk_job("monitoring_suggest_exits", model=ExitSuggestion, parameters={"on": on.isoformat()}) as job:
        rows = job.stamp([ExitSuggestion(household_id=hid, last_month=last_month, months=len(ev["months"]),
                                         evidence=ev) for hid, ev in sorted(found.items())])
        ExitSuggestion.objects.bulk_create(rows, ignore_conflicts=True)
        job.add(created=len(rows))
        per_org: dict[int, int] = defaultdict(int)
        for org_id in Household.objects.filter(pk__in=found).values_list("org_id", flat=True):
            per_org[org_id] += 1
        tell_unions(per_org, kind="exit_suggested", link=reverse("monitoring:suggestions"),
                    dedupe=f"monitoring-exits:{on.isoformat()}",
                    title=lambda n: ngettext("%(count)d archive may exit: income above the line",
                                             "%(count)d archives may exit: income above the line", n) % {"count": n})
    return {"suggestions": len(rows)}


def _locked(suggestion) -> ExitSuggestion:
    return (ExitSuggestion.objects.select_for_update(of=("self",)).select_related("household__org")
            .get(pk=suggestion.pk))


def _check_open(suggestion, errors) -> None:
    if suggestion.state != SuggestionState.OPEN:
        errors["__all__"] = _("This suggestion was already decided (%(state)s).") % {
            "state": suggestion.get_state_display()}


@transaction.atomic
def suggestion_accept(actor, suggestion: ExitSuggestion, *, note: str = "", on: dt.date | None = None):
    """Exit the household as out of hardship (registry `household_exit`); the suggestion is accepted."""
    from bangfu.registry.services.lifecycle import household_exit

    suggestion = _locked(suggestion)
    errors: dict = {}
    _check_open(suggestion, errors)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _("At most %(max)d characters.") % {"max": NOTE_MAX}
    raise_if(errors)
    closure = household_exit(suggestion.household, actor=actor, reason=ExitReason.OUT_OF_HARDSHIP, note=note, on=on)
    suggestion.state, suggestion.decided_by, suggestion.decided_on = SuggestionState.ACCEPTED, actor, closure.closed_on
    suggestion.decision_note = note
    suggestion.save()
    record_event(suggestion.household, "monitoring_exit_accepted", actor=actor, suggestion=suggestion.pk,
                 last_month=suggestion.last_month.isoformat()[:7])
    return suggestion


@transaction.atomic
def suggestion_dismiss(actor, suggestion: ExitSuggestion, *, reason: str) -> ExitSuggestion:
    """Keep the archive: the suggestion is dismissed with the reason."""
    suggestion = _locked(suggestion)
    errors: dict = {}
    _check_open(suggestion, errors)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason why the household stays in the archive.")
    elif len(reason) > NOTE_MAX:
        errors["reason"] = _("At most %(max)d characters.") % {"max": NOTE_MAX}
    raise_if(errors)
    if not actor.has_role_permission("monitoring.change_exitsuggestion"):
        raise ValidationError(_("Your role may not decide exit suggestions."))
    suggestion.state, suggestion.decided_by, suggestion.decided_on = SuggestionState.DISMISSED, actor, today()
    suggestion.decision_note = reason
    suggestion.save()
    record_event(suggestion.household, "monitoring_exit_dismissed", actor=actor, suggestion=suggestion.pk,
                 last_month=suggestion.last_month.isoformat()[:7])
    return suggestion


def on_state_changed(sender, household, from_state, to_state, actor=None, on=None, **kwargs) -> int:
    """Receiver of `household_state_changed`: an archive that leaves the active state (exit on the archive page,
    cancellation, …) needs no exit suggestion any more — its open one is dismissed with the reason, in the same
    transaction. Returns how many were closed."""
    if from_state != State.ACTIVE or to_state == State.ACTIVE:
        return 0
    note = _("Closed: the archive left the active state (%(state)s) on the archive page.") % {
        "state": State(to_state).label if to_state in State.values else to_state}
    return ExitSuggestion.objects.filter(household_id=household.pk, state=SuggestionState.OPEN).update(
        state=SuggestionState.DISMISSED, decided_by=actor if getattr(actor, "pk", None) else None,
        decided_on=on or today(), decision_note=note)
