"""Writing validated rows into staging (COPY on PostgreSQL, executemany on SQLite) and the set-based checks
that need more than one row or other archives: the same person twice in the file, a household without its
head's row, a person already in an open archive elsewhere (worded as the forms word it).

Every statement here reads the job's staging rows once (hash joins and aggregates; the staging table has no
index to keep up during the COPY, and holds only the rows of jobs being run: a job's rows are deleted when it
ends). Rows found wrong are marked in one UPDATE per check (`row_no = ANY(array)` on PostgreSQL).
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from bangfu.imports.models import ImportIssue, StagedCause, StagedRow
from bangfu.imports.validate import HEADERS, STAGED_FIELDS

ROW_TABLE = StagedRow._meta.db_table
CAUSE_TABLE = StagedCause._meta.db_table
ISSUE_TABLE = ImportIssue._meta.db_table
ISSUE_COLUMNS = ["job_id", "row_no", "column", "value", "message"]
CAUSE_COLUMNS = ["job_id", "hh_key", "code", "is_main"]


def _columns(model, fields):
    return [model._meta.get_field(name).column for name in fields]


ROW_COLUMNS = _columns(StagedRow, STAGED_FIELDS)


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def _copy_sql(table: str, cols: list[str]) -> str:
    return f"COPY {q(table)} ({', '.join(q(c) for c in cols)}) FROM STDIN"


def write(job_id: int, rows: list, issues: list, causes: list) -> None:
    """rows: STAGED_FIELDS tuples; issues: (row, key, value, message); causes: (hh_key, code, is_main)."""
    issue_rows = [(job_id, r, HEADERS.get(k, "")[:64], (v or "")[:100], m) for r, k, v, m in issues]
    cause_rows = [(job_id, key, code, main) for key, code, main in causes]
    tables = ((ROW_TABLE, ROW_COLUMNS, rows), (ISSUE_TABLE, ISSUE_COLUMNS, issue_rows),
              (CAUSE_TABLE, CAUSE_COLUMNS, cause_rows))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            for table, cols, data in tables:
                if data:
                    with raw.copy(_copy_sql(table, cols)) as copy:
                        write_row = copy.write_row
                        for row in data:
                            write_row(row)
        else:
            for table, cols, data in tables:
                if data:
                    marks = ", ".join(["%s"] * len(cols))
                    cursor.executemany(
                        f"INSERT INTO {q(table)} ({', '.join(q(c) for c in cols)}) VALUES ({marks})",  # noqa: S608
                        data,
                    )


def analyse() -> None:
    """Fresh planner statistics after a load (PostgreSQL): without them the joins below run as nested loops."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Only the columns the checks and the merge join, group or filter on (sampling the wide encrypted ones
            # took more than a second at every size) — all of them: without statistics on division_id, the
            # classification of the new households (one statement per division) was planned for 1,700 rows
            # instead of 67,000 and ran as nested loops over its CTEs for minutes.
            cursor.execute(f"ANALYZE {q(ROW_TABLE)} (job_id, row_no, hh_key, identity_hash, is_head, ok, org_id, "
                           "division_id), "
                           f"{q(CAUSE_TABLE)} (job_id, hh_key)")


def discard(job_id: int, *, issues: bool = True) -> None:
    """Forget a job's staging rows (and issues): a re-run after a crash or a cancel starts clean; a finished
    job's staging rows are scratch."""
    with connection.cursor() as cursor:
        for table in (ROW_TABLE, CAUSE_TABLE, *((ISSUE_TABLE,) if issues else ())):
            cursor.execute(f"DELETE FROM {q(table)} WHERE job_id = %s", [job_id])  # noqa: S608


def _mark_rejected(job_id: int, rows: set[int], cursor) -> None:
    if not rows:
        return
    ordered = sorted(rows)
    if connection.vendor == "postgresql":
        cursor.execute(f"UPDATE {q(ROW_TABLE)} SET ok = false WHERE job_id = %s AND ok "  # noqa: S608
                       "AND row_no = ANY(%s)", [job_id, ordered])
        return
    for start in range(0, len(ordered), 500):
        part = ordered[start:start + 500]
        cursor.execute(f"UPDATE {q(ROW_TABLE)} SET ok = %s WHERE job_id = %s "  # noqa: S608
                       f"AND row_no IN ({', '.join(['%s'] * len(part))})", [False, job_id, *part])


def add_issues(job_id: int, found: list[tuple[int, str, str, str]], cursor) -> None:
    """Add issues for (row, column header, value, message) and mark those rows not ok (set-based)."""
    if not found:
        return
    data = [(job_id, r, c[:64], (v or "")[:100], m) for r, c, v, m in found]
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(_copy_sql(ISSUE_TABLE, ISSUE_COLUMNS)) as copy:
            for row in data:
                copy.write_row(row)
    else:
        cursor.executemany(
            f"INSERT INTO {q(ISSUE_TABLE)} ({', '.join(q(c) for c in ISSUE_COLUMNS)}) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)", data)
    _mark_rejected(job_id, {r for r, *_rest in found}, cursor)


def set_checks(job, user) -> None:
    """The checks across rows and archives, set-based; each adds issues and marks rows not ok."""
    from bangfu.orgs.models import Org
    from bangfu.registry.models import Household, Member
    from bangfu.registry.services.archive import describe_open_archive

    job_id = job.pk
    t_m, t_h, t_o = q(Member._meta.db_table), q(Household._meta.db_table), q(Org._meta.db_table)
    s_t = q(ROW_TABLE)
    id_header, key_header = HEADERS["identity_number"], HEADERS["head_identity"]
    with connection.cursor() as cursor:
        # 1. The same person twice in the file.
        cursor.execute(
            f"""SELECT s.identity_hash, s.row_no, s.identity_masked FROM {s_t} s
                JOIN (SELECT d.identity_hash FROM {s_t} d WHERE d.job_id = %s AND d.identity_hash <> ''
                      GROUP BY d.identity_hash HAVING COUNT(*) > 1) dup ON dup.identity_hash = s.identity_hash
                WHERE s.job_id = %s ORDER BY s.identity_hash, s.row_no""",  # noqa: S608
            [job_id, job_id],
        )
        groups: dict = {}
        for identity_hash, row_no, masked in cursor.fetchall():
            groups.setdefault(identity_hash, []).append((row_no, masked))
        found = []
        for rows in groups.values():
            listed = ", ".join(str(r) for r, _m in rows[:10])
            for row_no, masked in rows:
                found.append((row_no, id_header, masked, _(
                    "This person appears more than once in the file (rows %(rows)s): keep one row per person."
                ) % {"rows": listed}))
        add_issues(job_id, found, cursor)

        # 2. A household without the head's own row.
        cursor.execute(
            f"""SELECT s.row_no FROM {s_t} s
                LEFT JOIN (SELECT DISTINCT h.hh_key FROM {s_t} h WHERE h.job_id = %s AND h.is_head) hd
                       ON hd.hh_key = s.hh_key
                WHERE s.job_id = %s AND s.hh_key <> '' AND hd.hh_key IS NULL""",  # noqa: S608
            [job_id, job_id],
        )
        add_issues(job_id, [(row_no, key_header, "", _(
            "No row of this file is the head's own row (a row whose 证件号码 is this 户主身份证号): add the head's "
            "row with the household facts."
        )) for (row_no,) in cursor.fetchall()], cursor)

        # 3. People already in an open archive that is not the household this file updates (the head's own open
        #    archive, if any), and heads whose open archive is outside the user's subtree: the forms' refusal,
        #    naming the archive only if the user may see it.
        cursor.execute(
            f"""SELECT s.row_no, s.identity_masked, m.household_id FROM {s_t} s
                JOIN {t_m} m ON m.open_identity_hash = s.identity_hash
                LEFT JOIN {t_m} hm ON hm.open_identity_hash = s.hh_key AND hm.is_head = %s
                WHERE s.job_id = %s AND s.identity_hash <> ''
                AND (hm.household_id IS NULL OR m.household_id <> hm.household_id)""",  # noqa: S608
            [True, job_id],
        )
        clashes = cursor.fetchall()
        cursor.execute(
            f"""SELECT s.row_no, s.identity_masked, hm.household_id FROM {s_t} s
                JOIN {t_m} hm ON hm.open_identity_hash = s.hh_key AND hm.is_head = %s
                JOIN {t_h} h ON h.id = hm.household_id JOIN {t_o} o ON o.id = h.org_id
                WHERE s.job_id = %s AND s.is_head AND o.path NOT LIKE %s""",  # noqa: S608
            [True, job_id, user.scope_path + "%"],
        )
        clashes += cursor.fetchall()
        if clashes:
            ids = {household_id for _r, _m, household_id in clashes}
            visible = set(Household.objects.restrict(user, "view").filter(pk__in=ids).values_list("pk", flat=True))
            others = Household.objects.select_related("org").in_bulk(ids)
            messages = {pk: describe_open_archive(others[pk], user if pk in visible else None) for pk in ids}
            add_issues(job_id, [(row_no, id_header, masked, messages[hid]) for row_no, masked, hid in clashes],
                        cursor)
