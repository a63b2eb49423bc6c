"""Classification of the households an import writes, set-based.

The category comes from the registry's bulk SQL path (`bangfu.registry.classification.bulk._group_sql`, the same
formula trees as the single engine); the standard and the common level from the division's parameters
(`params.resolve`). The per-household `Classification` row with its explanation is written by the single engine
the next time the archive is changed (every write function refreshes it); a million of them would be a
per-household loop, which a bulk import cannot afford.

* Created households are classified **before their own row is written** (`categorise_created`, inside the merge):
  their members, causes and asset declaration go in first (the foreign keys are checked at COMMIT), the category
  SQL reads them with the household's own facts at their defaults, and the household row is inserted once, with
  its category. A second UPDATE of every new row (non-HOT: the category is indexed) cost a fifth of the import.
* Changed households (drafts re-imported with other values) are re-classified after the commit (`classify_job`):
  one UPDATE of their denormalised columns (no `updated_at` bump: the archive's content did not change).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from bangfu.imports.models import ImportedHousehold
from bangfu.registry.models import Household


def cat_table(job_id: int) -> str:
    return f"imp_cat_{int(job_id)}"


def _categories_sql(p, id_sql: str, id_params, households_sql: str | None = None) -> tuple[str, list]:
    """`WITH …` SELECT id, scheme, category, common_level of the households of `id_sql` under the parameters `p`."""
    from bangfu.registry.classification.bulk import _group_sql

    sql, args = _group_sql(p, id_sql, id_params, households_sql=households_sql)
    levels = list(p.common_levels) or [("", "")]
    level_values = ", ".join(["(CAST(%s AS TEXT), CAST(%s AS TEXT))"] * len(levels))
    level_args = [value for pair in levels for value in pair]
    return (
        f"""WITH lv (category, level) AS (VALUES {level_values}),
                 cat (id, category) AS ({sql})
            SELECT cat.id AS id, CASE WHEN cat.category <> '' THEN %s ELSE '' END AS scheme,
                   COALESCE(cat.category, '') AS category,
                   COALESCE((SELECT lv.level FROM lv WHERE lv.category = cat.category), '') AS common_level
            FROM cat""",  # noqa: S608 - placeholders and the registry's category SQL only
        [*level_args, *args, p.scheme or ""],
    )


def categorise_created(job_id: int, new_table: str, staged_table: str, cursor) -> str:
    """Fill the temporary table `imp_cat_<job>` (id, scheme, category, common_level) for the households of
    `new_table` (the merge's `imp_new_<job>`: id, head_id), whose members, causes and asset declarations are
    written and whose own row is not. One statement per division (its parameters); a division with no line gets
    no row ("cannot classify": the household is inserted with an empty category, as the single engine leaves it).
    Returns the table's quoted name."""
    from bangfu.registry.classification.params import resolve

    q = connection.ops.quote_name
    cat, new, staged = q(cat_table(job_id)), q(new_table), q(staged_table)
    cursor.execute(f"DROP TABLE IF EXISTS {cat}")
    cursor.execute(f"CREATE TEMPORARY TABLE {cat} (id BIGINT PRIMARY KEY, scheme TEXT, category TEXT, "
                   "common_level TEXT)")
    cursor.execute(f"SELECT DISTINCT s.division_id FROM {new} n JOIN {staged} s ON s.id = n.head_id")  # noqa: S608
    on = timezone.localdate()
    defaults = [Household._meta.get_field(name).get_default() for name in (
        "on_minimum_living_roster", "below_line_after_government_aid", "is_migrant_worker")]
    for (division_id,) in cursor.fetchall():
        p = resolve(division_id, on)
        if p.line_fen is None:
            continue
        households_sql = (f"SELECT n.id AS id, %s AS roster, %s AS after_aid, %s AS migrant FROM {new} n "  # noqa: S608
                          f"JOIN {staged} s ON s.id = n.head_id WHERE s.division_id = %s")
        sql, args = _categories_sql(p, "", [*defaults, division_id], households_sql)
        cursor.execute(f"INSERT INTO {cat} (id, scheme, category, common_level) {sql}", args)  # noqa: S608
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {cat}")
    return cat


def classify_job(job) -> int:
    """Re-classify the households `job` changed (created ones were classified as they were inserted); returns how
    many were written.

    Per parameter set (one per division here), the category SQL feeds an UPDATE directly: the categories never
    travel to Python, so memory stays flat whatever the number of households."""
    from bangfu.registry.classification.params import resolve

    on = timezone.localdate()
    households = Household.objects.filter(pk__in=ImportedHousehold.objects.filter(
        job_id=job.pk, action=ImportedHousehold.Action.CHANGED).values("household_id"))
    division_ids = list(households.order_by().values_list("division_id", flat=True).distinct())
    now = Household._meta.get_field("classified_at").get_db_prep_save(timezone.now(), connection)
    q = connection.ops.quote_name
    table = q(Household._meta.db_table)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for division_id in division_ids:
            p = resolve(division_id, on)
            id_sql, id_params = households.filter(division_id=division_id).order_by().values("pk").query \
                .sql_with_params()
            if p.line_fen is None:  # no line for this division: "cannot classify", as the single engine says
                cursor.execute(
                    f"UPDATE {table} SET scheme = '', category = '', common_level = '', classified_at = %s "  # noqa: S608
                    f"WHERE id IN ({id_sql})", [now, *id_params])
                written += cursor.rowcount
                continue
            sql, args = _categories_sql(p, id_sql, id_params)
            cursor.execute(
                f"""WITH c AS ({sql})
                    UPDATE {table} SET scheme = c.scheme, category = c.category, common_level = c.common_level,
                        classified_at = %s
                    FROM c WHERE {table}.id = c.id""",  # noqa: S608
                [*args, now],
            )
            written += cursor.rowcount
    return written
