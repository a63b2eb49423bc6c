"""The merge: staging → archives by set-based SQL, inside the caller's transaction (one for the whole job).

`plan(job, user, cursor)` decides, per household of the file (keyed by the head's identity hash), in ONE
statement into a temporary table `imp_hh_<job>`: rejected (a row of it refused, or no head row), created (the
head has no open archive), unchanged, changed, or locked. Upsert keyed by the head's identity number: a household
whose head has an open archive (in the user's subtree: the set checks refuse the others) is updated, any other is
created as a draft of the union named in the head's row. Only a draft may be updated: an archive past draft
(applied, checked, active…) changes through its lifecycle, on its own page, so a difference for it is "locked":
refused with one problem per row (`report_locked`), as a rejected household.

"Unchanged" is one indexed comparison: each row carries a keyed 48-bit fingerprint of every value it imports
(plain secrets and causes included, computed at validation), a household's fingerprint is the sum over its
rows, and the job that last wrote the household stored it with the household's `updated_at`
(`ImportedHousehold`). Same fingerprint and the household not touched since (every write function of the
registry bumps `updated_at`) = unchanged, and nothing is written (no `updated_at` bump). A household first
created by the forms is "changed" by its first import (there is no fingerprint to compare yet).

`merge(job, user, cursor)` writes the created and changed households: ids and archive numbers allocated in
one statement (numbers continue after the highest of the union and year), members, causes, an AssetDeclaration
per new household, the new households already classified (`classify.categorise_created`), one timeline row and
one `ImportedHousehold` stamp per household.
"""

from __future__ import annotations

import json

from django.db import connection
from django.utils import timezone

from bangfu.imports.classify import cat_table, categorise_created
from bangfu.imports.models import ImportedHousehold, StagedCause, StagedRow
from bangfu.registry.models import AssetDeclaration, Household, HouseholdCause, Member, State, TimelineEvent

S, SC = StagedRow._meta.db_table, StagedCause._meta.db_table
H, M, C = Household._meta.db_table, Member._meta.db_table, HouseholdCause._meta.db_table
A, T, IH = AssetDeclaration._meta.db_table, TimelineEvent._meta.db_table, ImportedHousehold._meta.db_table
FP_MODULUS = 1 << 48

HOUSEHOLD_COLUMNS = ("org_id", "division_id", "registration_division_id", "address", "housing_type",
                     "housing_area", "single_parent", "zero_employment", "bank_name", "bank_account",
                     "bank_account_last4", "bank_account_holder")
MEMBER_COLUMNS = ("relation", "name", "name_initials", "sex", "birth_date", "document_type", "identity_number",
                  "identity_masked", "identity_warnings", "health", "disability_type", "disability_grade",
                  "work_status", "is_student", "school_stage", "marital_status", "hukou_type",
                  "monthly_income_declared", "phone", "phone_masked", "ethnicity")


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def hh_table(job_id: int) -> str:
    return f"imp_hh_{int(job_id)}"


def new_table(job_id: int) -> str:
    return f"imp_new_{int(job_id)}"


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _staged_value(column: str, alias: str = "s") -> str:
    if column in ("registration_division_id",):
        return f"NULLIF({alias}.{column}, '')"
    if column == "identity_warnings" and _pg():
        return f"CAST({alias}.{column} AS jsonb)"
    return f"{alias}.{q(column)}"


def insert_select(model, exprs: dict, from_sql: str, params: list, cursor, *, now=None) -> int:
    """INSERT INTO model's table SELECT ... FROM ...: columns in `exprs` take their SQL expression (or a pair
    (SQL, [arguments])); every other concrete column takes its default (bound), NULL, or `now` for auto_now
    fields."""
    now = now or timezone.now()
    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in exprs:
            continue
        columns.append(q(field.column))
        if field.column in exprs:
            expr = exprs[field.column]
            if isinstance(expr, tuple):
                expr, more = expr
                args.extend(more)
            values.append(expr)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("%s")
            args.append(field.get_db_prep_save(now, connection))
        elif field.has_default():
            values.append("%s")
            args.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            values.append("NULL")
        elif field.empty_strings_allowed and field.blank:
            values.append("%s")
            args.append("")
        else:
            raise ValueError(f"{model.__name__}.{field.name} has no value in the import merge")
    sql = f"INSERT INTO {q(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(values)} {from_sql}"
    # The SELECT list's arguments come first (in column order), the caller's (FROM ... WHERE) after.
    cursor.execute(sql, [*args, *params])
    return cursor.rowcount


def drop_tables(job_id: int, cursor) -> None:
    for table in (hh_table(job_id), new_table(job_id), cat_table(job_id)):
        cursor.execute(f"DROP TABLE IF EXISTS {q(table)}")


def plan(job_id: int, cursor) -> dict:
    """Decide every household of the file (see the module docstring); returns the counts by decision."""
    drop_tables(job_id, cursor)
    hh = q(hh_table(job_id))
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {hh} AS
            SELECT agg.hh_key AS hh_key, agg.n AS n, agg.fp AS fp, agg.head_id AS head_id,
                   hd.row_no AS head_row, hd.org_id AS org_id, hm.household_id AS household_id,
                   CASE WHEN agg.head_id IS NULL OR agg.all_ok = 0 THEN 'rejected'
                        WHEN hm.household_id IS NULL THEN 'created'
                        WHEN EXISTS (SELECT 1 FROM {q(IH)} ih JOIN {q(H)} h ON h.id = ih.household_id
                                     WHERE ih.id = (SELECT MAX(x.id) FROM {q(IH)} x
                                                    WHERE x.household_id = hm.household_id)
                                     AND ih.fingerprint = agg.fp AND ih.household_updated_at = h.updated_at)
                             THEN 'unchanged'
                        WHEN EXISTS (SELECT 1 FROM {q(H)} h WHERE h.id = hm.household_id AND h.state <> %s)
                             THEN 'locked'
                        ELSE 'changed' END AS action
            FROM (SELECT s.hh_key AS hh_key, COUNT(*) AS n, SUM(s.secret_fp) %% {FP_MODULUS} AS fp,
                         MIN(CASE WHEN s.ok THEN 1 ELSE 0 END) AS all_ok,
                         MAX(CASE WHEN s.is_head THEN s.id END) AS head_id
                  FROM {q(S)} s WHERE s.job_id = %s AND s.hh_key <> '' GROUP BY s.hh_key) agg
            LEFT JOIN {q(S)} hd ON hd.id = agg.head_id
            LEFT JOIN {q(M)} hm ON hm.open_identity_hash = agg.hh_key AND hm.is_head = %s""",  # noqa: S608
        [State.DRAFT, job_id, True],
    )
    if _pg():
        cursor.execute(f"ANALYZE {hh}")
    cursor.execute(f"SELECT action, COUNT(*) FROM {hh} GROUP BY action")  # noqa: S608
    return dict(cursor.fetchall())


def report_locked(job_id: int, cursor) -> int:
    """One problem per row of each "locked" household (its archive is past draft), its rows marked not ok, so the
    household counts as rejected (partial mode) and the file is refused (all or nothing). Returns the rows."""
    from django.utils.translation import gettext as _

    from bangfu.imports.staging import add_issues
    from bangfu.imports.validate import HEADERS

    hh = q(hh_table(job_id))
    cursor.execute(
        f"""SELECT s.row_no, hd.identity_masked, h.archive_number, h.state FROM {hh} d
            JOIN {q(S)} s ON s.hh_key = d.hh_key AND s.job_id = %s JOIN {q(S)} hd ON hd.id = d.head_id
            JOIN {q(H)} h ON h.id = d.household_id
            WHERE d.action = 'locked' ORDER BY s.row_no""",  # noqa: S608
        [job_id],
    )
    found = [(row_no, HEADERS["head_identity"], masked, _(
        "Archive %(number)s is already in state “%(state)s”: an import changes only draft archives; change it "
        "on the archive page.") % {"number": number, "state": State(state).label})
        for row_no, masked, number, state in cursor.fetchall()]
    add_issues(job_id, found, cursor)
    return len(found)


def _allocate(job_id: int, user, cursor) -> int:
    """Ids and archive numbers of the created households, in one statement (temporary table imp_new_<job>)."""
    from bangfu.orgs.models import Org

    hh, new = q(hh_table(job_id)), q(new_table(job_id))
    year = timezone.localdate().year
    cursor.execute(f"SELECT DISTINCT org_id FROM {hh} WHERE action = 'created'")  # noqa: S608
    org_ids = [row[0] for row in cursor.fetchall()]
    bases = []
    for org in Org.objects.filter(pk__in=org_ids).only("code"):
        prefix = f"{org.code}-{year}-"
        highest = 0
        for number in Household.objects.filter(archive_number__startswith=prefix).values_list(
                "archive_number", flat=True).order_by("-archive_number")[:1]:
            try:
                highest = int(number.rsplit("-", 1)[1])
            except (IndexError, ValueError):
                highest = 0
        bases.append((org.pk, prefix, highest))
    if not bases:
        return 0
    values = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS TEXT), CAST(%s AS BIGINT))"] * len(bases))
    args = [value for base in bases for value in base]
    number = "b.base + ROW_NUMBER() OVER (PARTITION BY hh.org_id ORDER BY hh.head_row)"
    if _pg():
        ident = f"nextval(pg_get_serial_sequence('{H}', 'id'))"
        digits = f"LPAD(CAST({number} AS TEXT), 5, '0')"
        fmt = f"CASE WHEN {number} > 99999 THEN CAST({number} AS TEXT) ELSE {digits} END"
    else:
        ident = f"(SELECT COALESCE(MAX(id), 0) FROM {q(H)}) + ROW_NUMBER() OVER (ORDER BY hh.head_row)"  # noqa: S608
        fmt = f"SUBSTR('0000' || CAST({number} AS TEXT), -MAX(5, LENGTH(CAST({number} AS TEXT))))"
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {new} AS
            WITH b (org_id, prefix, base) AS (VALUES {values})
            SELECT hh.hh_key AS hh_key, hh.head_id AS head_id, hh.n AS n, {ident} AS id,
                   b.prefix || {fmt} AS archive_number
            FROM {hh} hh JOIN b ON b.org_id = hh.org_id
            WHERE hh.action = 'created'""",  # noqa: S608
        args,
    )
    if _pg():
        cursor.execute(f"ANALYZE {new}")
    cursor.execute(f"SELECT COUNT(*) FROM {new}")  # noqa: S608
    return cursor.fetchone()[0]


def merge(job, user, cursor) -> dict:
    """Write the created and changed households of `plan` (the caller decides whether to call this)."""
    from bangfu.orgs.models import Org

    job_id = job.pk
    now = timezone.now()
    stamp = Household._meta.get_field("updated_at").get_db_prep_save(now, connection)  # as the ORM writes it
    hh, new = q(hh_table(job_id)), q(new_table(job_id))
    created = _allocate(job_id, user, cursor)
    # Created households: their members, causes and asset declaration first (the foreign keys to the household
    # are checked at COMMIT), then the categories from those rows, then the household rows, each inserted once
    # with its category (see bangfu.imports.classify). Written in this order, the statistics triggers see each
    # new household once, complete, instead of logging it again for its causes and again for its category.
    if created:
        mexprs = {c: _staged_value(c) for c in MEMBER_COLUMNS}
        mexprs.update({"household_id": "n.id", "is_head": "s.is_head", "identity_hash": "s.identity_hash",
                       "open_identity_hash": "s.identity_hash"})
        # In household order (ids were allocated in file order): the indexes led by household_id then grow at
        # their right edge instead of taking a million random inserts.
        insert_select(Member, mexprs, f"FROM {q(S)} s JOIN {new} n ON n.hh_key = s.hh_key WHERE s.job_id = %s "
                      "ORDER BY n.id, s.row_no", [job_id], cursor, now=now)
        insert_select(HouseholdCause, {"household_id": "n.id", "code": "sc.code", "is_main": "sc.is_main"},
                      f"FROM {q(SC)} sc JOIN {new} n ON n.hh_key = sc.hh_key WHERE sc.job_id = %s",
                      [job_id], cursor)
        insert_select(AssetDeclaration, {"household_id": "n.id"}, f"FROM {new} n", [], cursor)
        cat = categorise_created(job_id, new_table(job_id), S, cursor)
        classified = Household._meta.get_field("classified_at").get_db_prep_save(now, connection)
        exprs = {c: _staged_value(c) for c in HOUSEHOLD_COLUMNS}
        exprs.update({
            "id": "n.id",
            "archive_number": "n.archive_number",
            "archive_level": "CASE WHEN o.level < 4 THEN o.level ELSE 4 END",
            "state": f"'{State.DRAFT}'",
            "head_name_masked": "s.name_masked",
            "head_name_initials": "s.name_initials",
            "household_size": "n.n",
            "created_by_id": str(int(user.pk)),
            "scheme": "COALESCE(c.scheme, '')",
            "category": "COALESCE(c.category, '')",
            "common_level": "COALESCE(c.common_level, '')",
            "classified_at": ("%s", [classified]),
        })
        insert_select(Household, exprs,
                      f"FROM {new} n JOIN {q(S)} s ON s.id = n.head_id JOIN {q(Org._meta.db_table)} o "
                      f"ON o.id = s.org_id LEFT JOIN {cat} c ON c.id = n.id ORDER BY n.id", [], cursor, now=now)
    members_created = 0
    cursor.execute(f"SELECT COUNT(*) FROM {hh} WHERE action = 'changed'")  # noqa: S608
    changed = cursor.fetchone()[0]
    if changed:
        # Changed households: their columns, their matched members, their new members, sizes and head facts.
        cursor.execute(
            f"""UPDATE {q(H)} SET {", ".join(f"{q(c)} = {_staged_value(c, 'x')}" for c in HOUSEHOLD_COLUMNS)},
                    updated_at = %s
                FROM {hh} d JOIN {q(S)} x ON x.id = d.head_id
                WHERE {q(H)}.id = d.household_id AND d.action = 'changed'""",  # noqa: S608
            [stamp],
        )
        cursor.execute(
            f"""UPDATE {q(M)} SET {", ".join(f"{q(c)} = {_staged_value(c, 'x')}" for c in MEMBER_COLUMNS)},
                    open_identity_hash = x.identity_hash, updated_at = %s
                FROM {hh} d JOIN {q(S)} x ON x.hh_key = d.hh_key AND x.job_id = %s
                WHERE d.action = 'changed' AND {q(M)}.household_id = d.household_id
                AND {q(M)}.identity_hash = x.identity_hash""",  # noqa: S608
            [stamp, job_id],
        )
        mexprs = {c: _staged_value(c) for c in MEMBER_COLUMNS}
        mexprs.update({"household_id": "d.household_id", "is_head": "s.is_head", "identity_hash": "s.identity_hash",
                       "open_identity_hash": "s.identity_hash"})
        members_created += insert_select(
            Member, mexprs,
            f"FROM {q(S)} s JOIN {hh} d ON d.hh_key = s.hh_key AND d.action = 'changed' WHERE s.job_id = %s "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {q(M)} m WHERE m.household_id = d.household_id "
            "AND m.identity_hash = s.identity_hash)", [job_id], cursor)
        cursor.execute(
            f"""UPDATE {q(H)} SET household_size = (SELECT COUNT(*) FROM {q(M)} m WHERE m.household_id = {q(H)}.id),
                    head_name_initials = COALESCE((SELECT m.name_initials FROM {q(M)} m
                                                   WHERE m.household_id = {q(H)}.id AND m.is_head), ''),
                    head_name_masked = COALESCE((SELECT s.name_masked FROM {hh} d JOIN {q(S)} s ON s.id = d.head_id
                                                 WHERE d.household_id = {q(H)}.id), '')
                WHERE id IN (SELECT household_id FROM {hh} WHERE action = 'changed')""",  # noqa: S608
            [],
        )
        cursor.execute(
            f"""DELETE FROM {q(C)} WHERE household_id IN (SELECT d.household_id FROM {hh} d WHERE d.action = 'changed'
                AND EXISTS (SELECT 1 FROM {q(SC)} sc WHERE sc.job_id = %s AND sc.hh_key = d.hh_key))""",  # noqa: S608
            [job_id],
        )
    # Every written household: ids of both kinds in one place for the rest.
    written = (f"(SELECT n.hh_key AS hh_key, n.id AS household_id, 'created' AS action FROM {new} n"  # noqa: S608
               if created else "(SELECT NULL AS hh_key, NULL AS household_id, NULL AS action WHERE 1 = 0")
    written += f" UNION ALL SELECT d.hh_key, d.household_id, d.action FROM {hh} d WHERE d.action = 'changed')"  # noqa: S608
    if changed:
        insert_select(HouseholdCause, {"household_id": "d.household_id", "code": "sc.code", "is_main": "sc.is_main"},
                      f"FROM {q(SC)} sc JOIN {hh} d ON d.hh_key = sc.hh_key AND d.action = 'changed' "
                      "WHERE sc.job_id = %s", [job_id], cursor)
    detail_sql = "CAST(%s AS jsonb)" if _pg() else "%s"
    for action in ("created", "changed"):
        cursor.execute(
            f"""INSERT INTO {q(T)} (household_id, kind, from_state, to_state, reason, detail, actor_id,
                    actor_org_id, at)
                SELECT w.household_id, 'imported', '', '', '', {detail_sql}, %s, %s, %s
                FROM {written} w WHERE w.action = %s""",  # noqa: S608
            [json.dumps({"job": job_id, "action": action}), user.pk, user.org_id, stamp, action],
        )
    insert_select(ImportedHousehold, {"job_id": str(int(job_id)), "household_id": "w.household_id",
                                      "action": "w.action", "fingerprint": "d.fp",
                                      "household_updated_at": ("%s", [stamp])},
                  f"FROM {written} w JOIN {hh} d ON d.hh_key = w.hh_key", [], cursor)
    if created:
        members_created += _count(cursor, f"SELECT COALESCE(SUM(n), 0) FROM {new}")  # noqa: S608
    return {"created": created, "changed": changed, "members_created": members_created}


def _count(cursor, sql: str) -> int:
    cursor.execute(sql)
    return int(cursor.fetchone()[0])
