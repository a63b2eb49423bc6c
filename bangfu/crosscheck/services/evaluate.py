"""Evaluation of the cross-check rules as set-based SQL (DOMAIN.md §6).

`run_checks(run)` evaluates every enabled rule (its current version) for the households of the run's union
subtree: one INSERT … SELECT per rule into `crosscheck_finding`, plus one INSERT … SELECT of the matching
timeline rows, each rule in its own transaction that also records the rule in `run.rules_done`. A finding is
unique per (rule, household, evidence key) — the SELECT skips keys already there, and a unique constraint
backs it — so a re-run adds nothing, and a run killed half-way (kill -9) leaves only whole rules behind:
running again completes it with the same findings. A run reads one snapshot per source, its union's or an
ancestor's (`snapshots_for`), and only the rows of its subtree; overlapping runs write one rule at a time
(`run_checks`), and a union has one run queued or running at a time (`start_run`).

Only households whose economic-check authorisation is in force (`registry.Consent`, kind economic_check, not
withdrawn) are checked against government data; the duplicate rules compare the platform's own archives and
need no authorisation. The SQL is the same on SQLite and PostgreSQL except for the JSON constructor.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core import context, locks
from bangfu.crosscheck.models import CheckRule, CheckRun, Finding, RunState
from bangfu.crosscheck.services.ingest import bulk_settings
from bangfu.registry.models import Household

logger = logging.getLogger(__name__)

OPEN_STATES_SQL = ("'draft','applied','first_check','home_visit','economic_check','public_notice','approval',"
                   "'active'")
# The order rules run in (each its own transaction).
RULE_ORDER = ["dibao_new", "relapse_dibao", "vehicle", "homes", "non_residential", "business", "assets", "death",
              "income", "duplicate", "possible_duplicate"]


def _json(*pairs) -> str:
    """A JSON object built in SQL from ("key", "sql expression") pairs."""
    if connection.vendor == "postgresql":
        return "jsonb_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"
    return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"


def _extra() -> str:
    return "sr.extra" if connection.vendor == "postgresql" else "json(sr.extra)"


def _text(expr: str) -> str:
    return f"CAST({expr} AS TEXT)"


def _in(values) -> tuple[str, list]:
    values = list(values) or [""]
    return ", ".join(["%s"] * len(values)), values


def _authorised(on) -> tuple[str, list]:
    return ("EXISTS (SELECT 1 FROM registry_consent ec WHERE ec.household_id = h.id AND ec.kind = 'economic_check' "
            "AND ec.withdrawn_on IS NULL AND ec.signed_on <= %s)", [on])


def snapshots_for(sources, org_path: str) -> list[int]:
    """The snapshot a run of the union at `org_path` reads, one per source: of the latest loads by that union
    itself or by one of its ancestors (whose rows it reads only within its own subtree), the newest by data
    date, then load time. A descendant's own loads are not read: its own run reads them. One snapshot per
    source, so that two unions' loads of the same data set are never counted twice (two homes, double
    deposits) when a union and its parent both loaded it."""
    from bangfu.crosscheck.models import Snapshot, SnapshotState
    from bangfu.orgs.models import Org

    step = Org.steplen
    lineage = [org_path[:end] for end in range(step, len(org_path) + 1, step)]
    chosen = {}
    for pk, code in (Snapshot.objects.filter(source__code__in=list(sources), org__path__in=lineage, is_latest=True,
                                             state=SnapshotState.LOADED)
                     .order_by("-as_of", "-loaded_at", "-id").values_list("pk", "source__code")):
        chosen.setdefault(code, pk)
    return sorted(chosen.values())


def _rows_from(sources, org_path, on, *, states=OPEN_STATES_SQL) -> tuple[str, list]:
    """FROM/WHERE of the rows of the snapshots a run of the subtree reads (`snapshots_for`), for the authorised
    households of the subtree."""
    marks, ids = _in(snapshots_for(sources, org_path) or [0])
    auth, auth_params = _authorised(on)
    return (
        "FROM crosscheck_snapshotrow sr "
        "JOIN crosscheck_snapshot s ON s.id = sr.snapshot_id "
        "JOIN crosscheck_datasource d ON d.id = s.source_id "
        "JOIN registry_household h ON h.id = sr.household_id "
        "JOIN orgs_org o ON o.id = h.org_id "
        "LEFT JOIN registry_member m ON m.id = sr.member_id "
        f"WHERE sr.snapshot_id IN ({marks}) AND o.path LIKE %s AND h.state IN ({states}) AND {auth}",
        [*ids, org_path + "%", *auth_params],
    )


def _row_evidence() -> str:
    return _json(("source", "d.code"), ("source_name", "d.name"), ("snapshot", "s.id"), ("version", "s.version"),
                 ("as_of", "s.as_of"), ("row", "sr.row_number"), ("member", "m.id"),
                 ("identity_masked", "m.identity_masked"), ("code", "sr.code"), ("date", "sr.event_date"),
                 ("amount_fen", "sr.amount_fen"), ("quantity", "sr.quantity"), ("values", _extra()))


def _per_row(condition: str, cparams: list, key: str, sources, org_path, on, **kw) -> tuple[str, list]:
    rows, params = _rows_from(sources, org_path, on, **kw)
    return (f"SELECT h.id AS household_id, m.id AS member_id, s.id AS snapshot_id, {key} AS ekey, "
            f"{_row_evidence()} AS evidence {rows} AND {condition}", [*params, *cparams])


# --- the rules -------------------------------------------------------------------------------------------------

def rule_dibao_new(rule, org_path, on):
    kinds, kparams = _in(rule.params.get("kinds", ["dibao", "tekun"]))
    return _per_row(f"h.on_minimum_living_roster = FALSE AND m.id IS NOT NULL AND ((d.code = 'dibao_roster' AND "
                    f"sr.code IN ({kinds})) OR (d.code = 'civil_changes' AND sr.code = 'new'))", kparams,
                    "'dibao:' || " + _text("m.id") + " || ':' || COALESCE(" + _text("sr.event_date") + ", '')",
                    ["dibao_roster", "civil_changes"], org_path, on)


def rule_relapse_dibao(rule, org_path, on):
    kinds, kparams = _in(rule.params.get("kinds", ["dibao", "tekun"]))
    condition = (f"m.id IS NOT NULL AND ((d.code = 'dibao_roster' AND sr.code IN ({kinds})) OR "  # noqa: S608 - our SQL fragments; values are parameters
                 "(d.code = 'civil_changes' AND sr.code = 'new')) AND EXISTS (SELECT 1 FROM registry_closure c "
                 "WHERE c.household_id = h.id AND c.kind = 'exit' AND c.reversed_on IS NULL AND c.monitor_until >= %s "
                 "AND (sr.event_date IS NULL OR sr.event_date >= c.closed_on))")
    return _per_row(condition, [*kparams, on],
                    "'relapse:' || " + _text("m.id") + " || ':' || COALESCE(" + _text("sr.event_date") + ", '')",
                    ["dibao_roster", "civil_changes"], org_path, on, states="'exited'")


def rule_vehicle(rule, org_path, on):
    kinds, kparams = _in(rule.params.get("excluded_kinds", ["motorbike", "e_bike", "disability"]))
    return _per_row(f"sr.code NOT IN ({kinds})", kparams,
                    "'vehicle:' || " + _text("sr.member_id") + " || ':' || sr.code", ["vehicles"], org_path, on)


def rule_non_residential(rule, org_path, on):
    kinds, kparams = _in(rule.params.get("kinds", ["shop", "office", "parking"]))
    return _per_row(f"sr.code IN ({kinds})", kparams,
                    "'property:' || " + _text("sr.member_id") + " || ':' || sr.code", ["real_estate"], org_path, on)


def rule_business(rule, org_path, on):
    return _per_row("COALESCE(sr.quantity, 0) >= %s", [int(rule.params.get("min_employees", 1))],
                    "'business:' || " + _text("sr.member_id") + " || ':' || sr.code", ["business"], org_path, on)


def rule_death(rule, org_path, on):
    return _per_row("m.id IS NOT NULL AND (d.code = 'deaths' OR (d.code = 'civil_changes' AND sr.code = 'death'))",
                    [], "'death:' || " + _text("m.id"), ["deaths", "civil_changes"], org_path, on)


def _per_household(sources, org_path, on, having: str, hparams: list, where: str, wparams: list, key: str,
                   evidence: tuple) -> tuple[str, list]:
    rows, params = _rows_from(sources, org_path, on)
    return (f"SELECT h.id AS household_id, CAST(NULL AS BIGINT) AS member_id, MAX(s.id) AS snapshot_id, {key} AS ekey, "
            f"{_json(*evidence)} AS evidence {rows} AND {where} GROUP BY h.id, h.household_size HAVING {having}",
            [*params, *wparams, *hparams])


def rule_homes(rule, org_path, on):
    total = "SUM(COALESCE(sr.quantity, 1))"
    return _per_household(["real_estate"], org_path, on, f"{total} >= %s", [int(rule.params.get("min_homes", 2))],
                          "sr.code = 'residential'", [], "'homes:' || " + _text(total),
                          (("source", "'real_estate'"), ("snapshot", "MAX(s.id)"), ("as_of", "MAX(s.as_of)"),
                           ("homes", total), ("rows", "COUNT(*)")))


def rule_assets(rule, org_path, on):
    total = "SUM(sr.amount_fen)"
    limit = int(rule.params.get("limit_yuan_per_person", 30000)) * 100
    return _per_household(["deposits"], org_path, on, f"{total} > %s * MAX(h.household_size)", [limit], "1 = 1", [],
                          "'assets:' || " + _text(total),
                          (("source", "'deposits'"), ("snapshot", "MAX(s.id)"), ("as_of", "MAX(s.as_of)"),
                           ("total_fen", total), ("limit_fen_per_person", str(limit)),
                           ("household_size", "MAX(h.household_size)")))


def rule_income(rule, org_path, on):
    ratio = float(rule.params.get("ratio", 1.5))
    gap = int(float(rule.params.get("min_gap_yuan", 500)) * 100)
    rows, params = _rows_from(["si_contributions"], org_path, on)
    base = "MAX(sr.amount_fen)"
    declared = "MAX(m.monthly_income_declared) * 100"
    evidence = _json(("source", "'si_contributions'"), ("snapshot", "MAX(s.id)"), ("as_of", "MAX(s.as_of)"),
                     ("member", "m.id"), ("identity_masked", "MAX(m.identity_masked)"),
                     ("max_base_fen", base), ("declared_fen", f"CAST({declared} AS INTEGER)"),
                     ("months", "COUNT(*)"), ("ratio", str(ratio)))
    return (f"SELECT h.id AS household_id, m.id AS member_id, MAX(s.id) AS snapshot_id, "
            f"'income:' || {_text('m.id')} || ':' || {_text(base)} AS ekey, {evidence} AS evidence {rows} "
            f"AND m.id IS NOT NULL GROUP BY h.id, m.id HAVING {base} > {declared} * %s AND {base} - {declared} >= %s",
            [*params, ratio, gap])


_PAIRS = "crosscheck_pair_candidates"


def _registry_pairs(org_path, candidates: str, condition: str, key: str, evidence: tuple) -> tuple[str, list]:
    """Pairs (c, c2) of members of two open archives. `candidates` selects, in one or two passes over the member
    table, the few members that can pair at all (id, household_id and the compared columns); they go into a
    temporary table (analysed on PostgreSQL, so the planner sees how few they are) and only they are paired.
    A self-join of every member with every other would hash the whole table twice."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a parallel plan would aggregate the whole table again in every worker (the build side of a
            # non-parallel hash join): three times the work on two cores
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(f"DROP TABLE IF EXISTS {_PAIRS}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_PAIRS} AS {candidates}")
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {_PAIRS}")
    return (f"SELECT h.id AS household_id, m.id AS member_id, CAST(NULL AS BIGINT) AS snapshot_id, {key} AS ekey, "  # noqa: S608 - our SQL fragments; values are parameters
            f"{_json(*evidence)} AS evidence "
            f"FROM {_PAIRS} c JOIN {_PAIRS} c2 ON c2.household_id <> c.household_id AND {condition} "
            "JOIN registry_member m ON m.id = c.id JOIN registry_member m2 ON m2.id = c2.id "
            "JOIN registry_household h ON h.id = m.household_id "
            "JOIN orgs_org o ON o.id = h.org_id "
            "JOIN registry_household h2 ON h2.id = m2.household_id "
            f"WHERE o.path LIKE %s AND h.state IN ({OPEN_STATES_SQL}) AND h2.state IN ({OPEN_STATES_SQL})",
            [org_path + "%"])


def rule_duplicate(rule, org_path, on):
    # Two members of open archives can share an identity hash only if one of them has no (or another)
    # `open_identity_hash`: where both have it, its unique constraint forbids the pair. So the candidates are
    # the members sharing the hash of such a member — a filter over the table, no aggregate of a million hashes.
    return _registry_pairs(org_path,
                           "SELECT m.id, m.household_id, m.identity_hash FROM registry_member m "  # noqa: S608 - our SQL fragments; values are parameters
                           "WHERE m.identity_hash IN (SELECT x.identity_hash FROM registry_member x "
                           "JOIN registry_household hx ON hx.id = x.household_id "
                           "WHERE (x.open_identity_hash IS NULL OR x.open_identity_hash <> x.identity_hash) "
                           f"AND hx.state IN ({OPEN_STATES_SQL}))",
                           "c2.identity_hash = c.identity_hash",
                           "'dup:' || " + _text("h2.id"),
                           (("other_household", "h2.id"), ("member", "m.id"), ("other_member", "m2.id"),
                            ("identity_masked", "m.identity_masked"), ("other_identity_masked", "m2.identity_masked")))


def rule_possible_duplicate(rule, org_path, on):
    # The members whose (name, birth date, sex) is shared: a hash aggregate with a count (no text min/max
    # states) and one join back; the pairs' different identity hashes are checked when pairing.
    return _registry_pairs(org_path,
                           "SELECT m.id, m.household_id, m.name, m.birth_date, m.sex, m.identity_hash "
                           "FROM registry_member m JOIN (SELECT name, birth_date, sex FROM registry_member "
                           "GROUP BY name, birth_date, sex HAVING COUNT(*) > 1) g "
                           "ON m.name = g.name AND m.birth_date = g.birth_date AND m.sex = g.sex",
                           "c2.name = c.name AND c2.birth_date = c.birth_date AND c2.sex = c.sex AND "
                           "c2.identity_hash <> c.identity_hash",
                           "'pdup:' || " + _text("m2.id"),
                           (("other_household", "h2.id"), ("member", "m.id"), ("other_member", "m2.id"),
                            ("identity_masked", "m.identity_masked"),
                            ("other_identity_masked", "m2.identity_masked"), ("birth_date", "m.birth_date"),
                            ("sex", "m.sex")))


RULES = {name.removeprefix("rule_"): fn for name, fn in globals().items() if name.startswith("rule_")}


# --- running ---------------------------------------------------------------------------------------------------

def _insert_findings(rule: CheckRule, run: CheckRun, org_path: str) -> int:
    """One INSERT … SELECT of the rule's new findings and one of their "finding opened" timeline rows (on
    PostgreSQL a single statement: the timeline rows are selected from the INSERT's RETURNING)."""
    with connection.cursor() as cursor:
        bulk_settings(cursor)
    select, params = RULES[rule.code](rule, org_path, run.on)
    # one finding per (household, evidence key): the newest snapshot's row wins; keys already there are skipped
    # (the unique constraint backs it)
    insert = (
        "INSERT INTO crosscheck_finding (household_id, member_id, rule_id, rule_code, run_id, snapshot_id, severity, "  # noqa: S608 - our SQL fragments; values are parameters
        "action, evidence_key, evidence, state, opened_at, reason, automatic, action_result) "
        "SELECT c.household_id, c.member_id, %s, %s, %s, c.snapshot_id, %s, %s, c.ekey, c.evidence, 'open', %s, "
        "'', FALSE, '' FROM (SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.household_id, x.ekey "
        "ORDER BY x.snapshot_id DESC, x.member_id) AS rn FROM (" + select + ") x) c "
        "WHERE c.rn = 1 AND NOT EXISTS (SELECT 1 FROM crosscheck_finding f WHERE f.rule_code = %s "
        "AND f.household_id = c.household_id AND f.evidence_key = c.ekey)"
    )
    now = timezone.now()
    ctx = context.current()
    insert_params = [rule.pk, rule.code, run.pk, rule.severity, rule.action, now, *params, rule.code]
    detail = _json(("finding", "f.id"), ("rule", "f.rule_code"), ("rule_version", str(rule.version)),
                   ("severity", "f.severity"), ("run", "f.run_id"))
    timeline = ("INSERT INTO registry_timelineevent (household_id, kind, from_state, to_state, reason, detail, "  # noqa: S608 - our SQL fragments; values are parameters
                f"actor_id, actor_org_id, at) SELECT f.household_id, 'finding_opened', '', '', '', {detail}, %s, %s, "
                "%s FROM {source}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH f AS ({insert} RETURNING id, household_id, rule_code, severity, run_id) "
                           + timeline.format(source="f"), [*insert_params, ctx.user_id, ctx.org_id, now])
            return cursor.rowcount
        cursor.execute(insert, insert_params)
        inserted = cursor.rowcount
        if inserted:
            cursor.execute(timeline.format(source="crosscheck_finding f WHERE f.run_id = %s AND f.rule_code = %s "
                                                  "AND f.opened_at = %s"),
                           [ctx.user_id, ctx.org_id, now, run.pk, rule.code, now])
    return inserted


def _pause_for_tests(code: str) -> None:
    """BANGFU_CROSSCHECK_PAUSE="<rule>:<seconds>" sleeps inside that rule's transaction (the kill -9 test)."""
    pause = os.environ.get("BANGFU_CROSSCHECK_PAUSE", "")
    if pause.partition(":")[0] == code:
        time.sleep(float(pause.partition(":")[2] or 30))


def _authorisations():
    from bangfu.registry.models import Consent

    return Consent.objects.filter(household=OuterRef("pk"), kind="economic_check", withdrawn_on=None)


def unauthorised_households(org_path: str):
    # NOT EXISTS (an anti-join): NOT IN over a million consents degrades to a per-row subplan on PostgreSQL.
    return Household.objects.open().filter(org__path__startswith=org_path).exclude(Exists(_authorisations()))


# --- which runs are going on -------------------------------------------------------------------------------------

def _stale_minutes() -> int:
    return int(getattr(settings, "BANGFU_CROSSCHECK_RUN_STALE_MINUTES", 120))


def is_alive(run: CheckRun) -> bool:
    """Whether a running run's worker is still at it. On PostgreSQL the worker holds the run's advisory lock for
    as long as it evaluates (`run_checks`); a killed worker's connection, and so its lock, is gone. Elsewhere
    (SQLite, development) a run counts as alive for BANGFU_CROSSCHECK_RUN_STALE_MINUTES after its start."""
    if run.state != RunState.RUNNING:
        return False
    held = locks.is_held("run", run.pk)
    if held is not None:
        return held
    started = run.started_at or run.created_at
    return started is not None and timezone.now() - started < dt.timedelta(minutes=_stale_minutes())


def _interrupt_dead_runs(org, exclude_pk=None) -> None:
    """Mark the runs of `org` left "running" by a worker that died as interrupted (they can be resumed)."""
    for other in CheckRun.objects.filter(org=org, state=RunState.RUNNING).exclude(pk=exclude_pk):
        if not is_alive(other):
            CheckRun.objects.filter(pk=other.pk, state=RunState.RUNNING).update(state=RunState.INTERRUPTED)


def active_run(org) -> CheckRun | None:
    """The run of `org` that is queued or whose worker is evaluating it, if any."""
    _interrupt_dead_runs(org)
    return CheckRun.objects.filter(org=org, state__in=[RunState.QUEUED, RunState.RUNNING]).order_by(
        "-created_at", "-id").first()


def run_checks(run: CheckRun) -> CheckRun:
    """Evaluate every enabled rule not yet done in this run; idempotent and resumable.

    Two runs never write findings at the same time: each rule's transaction first takes one advisory lock
    shared by all runs, so a run of an overlapping subtree (the same union, an ancestor, a descendant) waits
    for the other's rule to commit and then skips the findings it finds there, instead of colliding with them
    on the unique constraint. Rule statements are CPU-bound, so serialising them costs little on a small
    server. The worker also holds the run's own lock from start to end: it tells `is_alive` that the run is
    being evaluated, and a run is never evaluated by two workers at once."""
    if not locks.try_session_lock("run", run.pk):
        raise ValidationError(_("Cross-check run #%(pk)s is being evaluated by another worker.") % {"pk": run.pk})
    try:
        return _run_checks(run)
    finally:
        locks.session_unlock("run", run.pk)


def _run_checks(run: CheckRun) -> CheckRun:
    from bangfu.crosscheck.services.findings import act_automatically

    org_path = run.org.path
    _interrupt_dead_runs(run.org, exclude_pk=run.pk)
    with transaction.atomic(), connection.cursor() as cursor:
        # two counts, the second an anti-join: one query with COUNT(…) FILTER (NOT EXISTS …) runs the subquery
        # once per household (a million index probes)
        bulk_settings(cursor, memory=False)
        unauthorised = unauthorised_households(org_path).count()
        checked = Household.objects.open().filter(org__path__startswith=org_path).count() - unauthorised
    CheckRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING, started_at=timezone.now(),
                                              households_unauthorised=unauthorised, households_checked=checked)
    run.refresh_from_db()
    rules = {r.code: r for r in CheckRule.objects.filter(is_current=True, enabled=True)}
    try:
        for code in RULE_ORDER:
            rule = rules.get(code)
            if rule is None or code in run.rules_done:
                continue
            with transaction.atomic():
                locks.xact_lock("evaluate")  # see run_checks: one rule of one run at a time
                locked = CheckRun.objects.select_for_update().get(pk=run.pk)
                if code in locked.rules_done:
                    continue
                opened = _insert_findings(rule, run, org_path)
                _pause_for_tests(code)
                acted = act_automatically(rule, run) if rule.automatic and opened else 0
                locked.rules_done = [*locked.rules_done, code]
                locked.findings_opened += opened
                locked.automatic_actions += acted
                locked.save(update_fields=["rules_done", "findings_opened", "automatic_actions"])
                run = locked
    except Exception as error:
        logger.exception("check run %s failed", run.pk)
        CheckRun.objects.filter(pk=run.pk).update(state=RunState.FAILED, error=str(error)[:2000],
                                                  finished_at=timezone.now())
        raise
    CheckRun.objects.filter(pk=run.pk).update(state=RunState.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    from bangfu import audit

    audit.log_access(None, "crosscheck", obj=run, what="check_run", findings=run.findings_opened,
                     rules=run.rules_done)
    return run


@transaction.atomic
def start_run(actor, org, on=None) -> CheckRun:
    """Create a run of `org`'s subtree and hand it to the task worker; refused (ValidationError) while another
    run of the same union is queued or being evaluated — it would find the same things."""
    from bangfu.crosscheck.tasks import evaluate_run

    locks.xact_lock("start", org.pk)  # two clicks at once: the second sees the first's run
    busy = active_run(org)
    if busy is not None:
        message = (_("A cross-check of this union is already running (run #%(pk)s, started %(at)s). Wait until "
                     "it is done, then start another.") if busy.state == RunState.RUNNING else
                   _("A cross-check of this union is already waiting for the worker (run #%(pk)s, created "
                     "%(at)s). Wait until it is done, then start another."))
        raise ValidationError(message % {
            "pk": busy.pk, "at": timezone.localtime(busy.started_at or busy.created_at).strftime("%Y-%m-%d %H:%M")})
    run = CheckRun.objects.create(org=org, on=on or timezone.localdate(), started_by=actor)
    transaction.on_commit(lambda: evaluate_run.enqueue(run.pk))
    return run


def resume(run: CheckRun) -> CheckRun:
    """Run again a run that was interrupted or failed: the rules done are skipped, the rest completed."""
    return run_checks(run)


__all__ = ["RULES", "active_run", "is_alive", "run_checks", "start_run", "unauthorised_households", "Finding"]
