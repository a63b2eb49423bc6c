"""The history of archives that existed before the statistics did (or that arrived whole, as the demo does).

The triggers start a household's history when they first see it. For an archive that was already active or
exited at that moment, that would date its activation or exit today: every one would count as "new" in the
month the statistics were installed, and reports of earlier days would be empty. `reconstruct_history` dates
such a history from the archive's own lifecycle dates instead — active since `activated_on`, exited since
`exited_on` (and active before that, from `activated_on`), otherwise since `applied_on` — and then rebuilds the
rollups. It only touches households whose history is a single span, i.e. that have not changed since the
triggers first saw them. What it cannot know (earlier categories, unions, causes) is not invented: the earlier
periods carry the current values.
"""

from __future__ import annotations

from django.db import connection, transaction

from bangfu.stats import rollup


def _moment(column: str) -> str:
    """9:00 Beijing time on the date in `column`, as the database stores a moment."""
    if connection.vendor == "postgresql":
        return f"(({column} + time '09:00') AT TIME ZONE 'Asia/Shanghai')"
    return f"datetime({column} || ' 09:00:00', '-8 hours')"


def reconstruct_history(*, dues: bool = True) -> None:
    """Date every single-span history from its archive's lifecycle dates, set-based; then rebuild the rollups."""
    start = f"""CASE
        WHEN h.state = 'active' AND h.activated_on IS NOT NULL THEN {_moment("h.activated_on")}
        WHEN h.state = 'exited' AND h.exited_on IS NOT NULL THEN {_moment("h.exited_on")}
        WHEN h.applied_on IS NOT NULL THEN {_moment("h.applied_on")}
        ELSE stats_householdspan.valid_from END"""
    only_span = """NOT EXISTS (SELECT 1 FROM stats_householdspan o
                               WHERE o.household_id = stats_householdspan.household_id
                                 AND o.id <> stats_householdspan.id)"""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE stats_householdspan SET valid_from = (
                SELECT {start} FROM registry_household h WHERE h.id = stats_householdspan.household_id)
            WHERE valid_to IS NULL AND {only_span}""")
        # An exited archive was active from its activation to its exit.
        cursor.execute(f"""
            INSERT INTO stats_householdspan (household_id, org_id, state, category, main_cause, exit_reason,
                                             has_helper, valid_from, valid_to)
            SELECT s.household_id, s.org_id, 'active', s.category, s.main_cause, '', s.has_helper,
                   {_moment("h.activated_on")}, s.valid_from
            FROM stats_householdspan s JOIN registry_household h ON h.id = s.household_id
            WHERE s.valid_to IS NULL AND h.state = 'exited' AND h.activated_on IS NOT NULL
              AND h.exited_on IS NOT NULL AND h.activated_on < h.exited_on
              AND NOT EXISTS (SELECT 1 FROM stats_householdspan o
                              WHERE o.household_id = s.household_id AND o.id <> s.id)""")
        rollup.rebuild(dues=dues)
