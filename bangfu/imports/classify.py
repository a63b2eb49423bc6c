"""Classification of the households a job created or changed, set-based, after the merge has committed.

The category comes from the registry's bulk SQL path (`bangfu.registry.classification.bulk.categories`, the
same formula trees as the single engine); the standard and the common level from the division's parameters
(`params.resolve`). Written to the household's denormalised columns in one UPDATE (no `updated_at` bump: the
archive's content did not change). The per-household `Classification` row with its explanation is written by
the single engine the next time the archive is changed (every write function refreshes it); a million of
them would be a per-household loop, which a bulk import cannot afford.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from bangfu.imports.models import ImportedHousehold
from bangfu.registry.models import Household


def classify_job(job) -> int:
    """Classify the households `job` created or changed; returns how many were written.

    Per parameter set (one per division here), the registry's bulk category SQL (`bulk._group_sql`, the one
    `bulk.categories` runs) feeds an UPDATE directly: the categories never travel to Python, so memory stays
    flat whatever the number of households."""
    from bangfu.registry.classification.bulk import _group_sql
    from bangfu.registry.classification.params import resolve

    on = timezone.localdate()
    households = Household.objects.filter(
        pk__in=ImportedHousehold.objects.filter(job_id=job.pk).values("household_id"))
    division_ids = list(households.order_by().values_list("division_id", flat=True).distinct())
    now = Household._meta.get_field("classified_at").get_db_prep_save(timezone.now(), connection)
    q = connection.ops.quote_name
    table = q(Household._meta.db_table)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for division_id in division_ids:
            p = resolve(division_id, on)
            ids = households.filter(division_id=division_id).order_by().values("pk")
            if p.line_fen is None:  # no line for this division: "cannot classify", as the single engine says
                cursor.execute(
                    f"UPDATE {table} SET scheme = '', category = '', common_level = '', classified_at = %s "  # noqa: S608
                    f"WHERE id IN ({ids.query.sql_with_params()[0]})", [now, *ids.query.sql_with_params()[1]])
                written += cursor.rowcount
                continue
            id_sql, id_params = ids.query.sql_with_params()
            sql, args = _group_sql(p, id_sql, id_params)
            levels = list(p.common_levels) or [("", "")]
            level_values = ", ".join(["(CAST(%s AS TEXT), CAST(%s AS TEXT))"] * len(levels))
            level_args = [value for pair in levels for value in pair]
            cursor.execute(
                f"""WITH lv (category, level) AS (VALUES {level_values}),
                         cat (id, category) AS ({sql})
                    UPDATE {table} SET scheme = CASE WHEN cat.category <> '' THEN %s ELSE '' END,
                        category = COALESCE(cat.category, ''),
                        common_level = COALESCE((SELECT lv.level FROM lv WHERE lv.category = cat.category), ''),
                        classified_at = %s
                    FROM cat WHERE {table}.id = cat.id""",  # noqa: S608
                [*level_args, *args, p.scheme or "", now],
            )
            written += cursor.rowcount
    return written
