"""The bulk path: the category of many households on a date by set-based SQL (SQLite and PostgreSQL).

Parameters come from the same `params.resolve` as the single path, once per distinct division; the
households are grouped by parameter set and each group is classified by ONE SQL statement whose
CASE expression is compiled from the same formula trees (`formulas.category_sql`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection

from bangfu.registry.classification import formulas as F
from bangfu.registry.classification.params import Params, resolve


def _in_list(column: str, values, params: list) -> str:
    values = list(values)
    if not values:
        return "(1 = 0)"
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _fen(expr: str) -> str:
    return f"CAST(ROUND({expr} * 100) AS BIGINT)"


def monthly_ctes(p: Params, id_sql: str, id_params, *, households_sql: str | None = None) -> tuple[str, list]:
    """`WITH hh, months, elig, minc, sz, hm` for the households of `id_sql`: `hm(household_id, month, total)` is
    the household's income of each of the 12 months of `p.months` in fen (counted income types plus the minimum
    wage imputed to each working-age, able-bodied, non-student member with no job and no income that month) and
    `sz(household_id, size)` its size: the ONE definition of monthly household income, used by the category SQL
    below and by `bangfu.monitoring` (months above the line for exit suggestions).

    `households_sql`, if given, replaces the household rows: a SELECT of (id, roster, after_aid, migrant) with
    `id_params` as its arguments — the import classifies households whose members, causes and assets are written
    but whose own row is not yet (`bangfu.imports.classify.categorise_created`), so it is inserted once, classified."""
    from bangfu.registry.models import Household, Member, MonthlyIncome

    q = connection.ops.quote_name
    t_h, t_m, t_i = Household._meta.db_table, Member._meta.db_table, MonthlyIncome._meta.db_table
    args: list = []
    months = p.months
    months_values = ", ".join(["(%s)"] * len(months))
    args += list(id_params)
    args += months
    elig_where = [
        "m.birth_date <= %s", "m.birth_date > %s", "m.able_to_work = %s", "m.is_student = %s",
        "m.evidence_of_no_income = %s",
    ]
    args += [p.working_age_youngest_birth, p.working_age_oldest_birth_after, True, False, False]
    elig_where.append(_in_list("m.work_status", p.no_job_statuses, args))
    args += [months[0], months[-1]]
    counted = _in_list("i.income_type", p.counted_income_types, args)
    wage = int(p.wage_fen)
    households = households_sql or f"""SELECT h.id AS id, h.on_minimum_living_roster AS roster,
                   h.below_line_after_government_aid AS after_aid, h.is_migrant_worker AS migrant
            FROM {q(t_h)} h WHERE h.id IN ({id_sql})"""  # noqa: S608 - quoted table name and the caller's SQL
    sql = f"""
WITH hh AS ({households}),
months (m) AS (VALUES {months_values}),
elig AS (SELECT m.id AS member_id, m.household_id AS household_id FROM {q(t_m)} m
         JOIN hh ON hh.id = m.household_id WHERE {' AND '.join(elig_where)}),
minc AS (SELECT i.household_id AS household_id, i.member_id AS member_id, i.month AS month,
                SUM({_fen('i.amount')}) AS fen
         FROM {q(t_i)} i JOIN hh ON hh.id = i.household_id
         WHERE i.month >= %s AND i.month <= %s AND {counted}
         GROUP BY i.household_id, i.member_id, i.month),
sz AS (SELECT hh.id AS household_id, COALESCE(c.n, 0) AS size
       FROM hh LEFT JOIN (SELECT m.household_id AS household_id, COUNT(*) AS n FROM {q(t_m)} m
                          JOIN hh h2 ON h2.id = m.household_id GROUP BY m.household_id) c ON c.household_id = hh.id),
mh AS (SELECT x.household_id AS household_id, x.month AS month, SUM(x.fen) AS fen FROM minc x
       GROUP BY x.household_id, x.month),
im AS (SELECT e.household_id AS household_id, months.m AS month, COUNT(*) AS n
       FROM elig e CROSS JOIN months
       WHERE NOT EXISTS (SELECT 1 FROM minc y WHERE y.member_id = e.member_id AND y.month = months.m AND y.fen > 0)
       GROUP BY e.household_id, months.m),
hm AS (SELECT hh.id AS household_id, months.m AS month,
              COALESCE(mh.fen, 0) + {wage} * COALESCE(im.n, 0) AS total
       FROM hh CROSS JOIN months
       LEFT JOIN mh ON mh.household_id = hh.id AND mh.month = months.m
       LEFT JOIN im ON im.household_id = hh.id AND im.month = months.m)"""  # noqa: S608 - quoted table names, integers and placeholders only
    return sql, args


def _group_sql(p: Params, id_sql: str, id_params, *, households_sql: str | None = None) -> tuple[str, list]:
    from bangfu.registry.models import AssetDeclaration, Expense, HouseholdCause, Member

    q = connection.ops.quote_name
    t_m = Member._meta.db_table
    t_e, t_a, t_c = Expense._meta.db_table, AssetDeclaration._meta.db_table, HouseholdCause._meta.db_table
    ctes, args = monthly_ctes(p, id_sql, id_params, households_sql=households_sql)
    line = int(p.line_fen)
    args += [p.last_months[0]]  # below_months window
    args += [p.window_start, p.on] * 3  # expense windows
    args += [p.labour_since_latest]
    cause_m = _in_list("c.code", p.marginal_causes, args)
    cause_a = _in_list("c2.code", p.accident_causes, args)
    args += [True]  # the head join

    # S608: the SQL text is built only from quoted table names, integers (fen amounts of the parameters),
    # placeholders and the CASE compiled from the formula trees (integers and fixed column names); every
    # value that comes from data or the user (ids, dates, codes) is a bound parameter.
    sql = f"""
{ctes},
hs AS (SELECT hm.household_id AS household_id, SUM(hm.total) AS inc,
              SUM(CASE WHEN hm.month >= %s AND hm.total < {line} * sz.size THEN 1 ELSE 0 END) AS below_months
       FROM hm JOIN sz ON sz.household_id = hm.household_id GROUP BY hm.household_id),
f AS (
  SELECT hh.id AS id, sz.size AS size, COALESCE(hs.inc, 0) AS inc, COALESCE(hs.below_months, 0) AS below_months,
    (SELECT COALESCE(SUM({_fen('x.amount')}), 0) FROM {q(t_e)} x WHERE x.household_id = hh.id
        AND x.{q('group')} = 'rigid' AND x.incurred_on >= %s AND x.incurred_on <= %s) AS rigid,
    (SELECT COALESCE(SUM({_fen('x.amount')}), 0) FROM {q(t_e)} x WHERE x.household_id = hh.id
        AND x.{q('group')} = 'accident' AND x.incurred_on >= %s AND x.incurred_on <= %s) AS acc,
    (SELECT COALESCE(SUM({_fen('x.amount')}), 0) FROM {q(t_e)} x WHERE x.household_id = hh.id
        AND x.{q('group')} = 'offset' AND x.incurred_on >= %s AND x.incurred_on <= %s) AS off,
    COALESCE({_fen('a.savings')}, 0) + COALESCE({_fen('a.net_investment_assets')}, 0) AS fin,
    CASE WHEN hh.roster THEN 1 ELSE 0 END AS roster,
    CASE WHEN hh.after_aid THEN 1 ELSE 0 END AS after_aid,
    CASE WHEN hh.migrant THEN 1 ELSE 0 END AS migrant,
    COALESCE(a.residential_homes, 0) AS homes,
    CASE WHEN a.non_residential_property THEN 1 ELSE 0 END AS nonres,
    CASE WHEN a.business_with_employees THEN 1 ELSE 0 END AS business,
    CASE WHEN a.high_fee_private_school THEN 1 ELSE 0 END AS hi_school,
    CASE WHEN a.studying_abroad_own_cost THEN 1 ELSE 0 END AS abroad,
    CASE WHEN a.motor_vehicle THEN 1 ELSE 0 END AS vehicle,
    CASE WHEN hd.is_union_member THEN 1 ELSE 0 END AS union_member,
    CASE WHEN hd.lives_in_city THEN 1 ELSE 0 END AS lives_in_city,
    CASE WHEN hd.labour_relation_since IS NOT NULL AND hd.labour_relation_since <= %s THEN 1 ELSE 0 END
        AS labour_ok,
    CASE WHEN EXISTS (SELECT 1 FROM {q(t_c)} c WHERE c.household_id = hh.id AND {cause_m}) THEN 1 ELSE 0 END
        AS cause_marginal,
    CASE WHEN EXISTS (SELECT 1 FROM {q(t_c)} c2 WHERE c2.household_id = hh.id AND {cause_a}) THEN 1 ELSE 0 END
        AS cause_accident
  FROM hh JOIN sz ON sz.household_id = hh.id
  LEFT JOIN hs ON hs.household_id = hh.id
  LEFT JOIN {q(t_a)} a ON a.household_id = hh.id
  LEFT JOIN {q(t_m)} hd ON hd.household_id = hh.id AND hd.is_head = %s
)
SELECT f.id, {F.category_sql(F.build(p), lambda name: 'f.' + name)} FROM f
"""  # noqa: S608
    return sql, args


def categories(queryset, on: dt.date) -> dict[int, str]:
    """{household_id: category} for every household of `queryset` ("" = cannot classify)."""
    by_division: dict[str, list] = defaultdict(list)
    for pk, division_id in queryset.order_by().values_list("pk", "division_id"):
        by_division[division_id].append(pk)
    groups: dict[tuple, tuple[Params, list[str]]] = {}
    result: dict[int, str] = {}
    for division_id in by_division:
        p = resolve(division_id, on)
        if p.line_fen is None:
            result.update(dict.fromkeys(by_division[division_id], ""))
            continue
        groups.setdefault(p.key(), (p, []))[1].append(division_id)
    for p, division_ids in groups.values():
        ids = queryset.filter(division_id__in=division_ids).order_by().values("pk")
        id_sql, id_params = ids.query.sql_with_params()
        sql, args = _group_sql(p, id_sql, id_params)
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            result.update({row[0]: row[1] for row in cursor.fetchall()})
    return result
