"""Benchmark: the statistics dashboard (issue 8) at 1,000,000 households, against the plain ORM aggregation.

    .venv/bin/python bench/stats_dashboard.py --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench_stats
    .venv/bin/python bench/stats_dashboard.py --households 20000 --ledger-rows 60000 \\
        --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench_stats_small
    .venv/bin/python bench/stats_dashboard.py --database-url postgres://… --reuse     # measure again, no rebuild

The database named by --database-url is the benchmark's own: it is dropped and re-created (its name must contain
"bench"), migrated, and filled by set-based SQL (INSERT … SELECT over generate_series; every "random" choice is a
hash of the row number and the seed, `hashint8extended`, so the same arguments give the same rows):

* a union tree national → P provinces → cities → counties → G grassroots unions (treebeard paths, depth and
  numchild; divisions from `load_divisions`); households spread over the grassroots unions with log-normal sizes;
* N households (states, Standard A/B categories by province, exit reasons, review dates, …), M members each
  (identity: a keyed-hash-shaped SHA-256 per person, one real ciphertext of a placeholder number for all —
  the dashboard never decrypts), one main cause each (code list "cause", skewed) and a secondary cause for 30 %,
  a current responsible helper for 85 % of the households being helped (union mode, or a county cadre) and
  ended assignments for 20 %, 0-3 visits per current assignment;
* R ledger rows of the current budget year in balanced two-leg transactions: central budgets at the national
  union allocated down to provinces, matching and own-fund budgets at the provinces, allocations province → city
  → county each quarter covering the payments below, payments by county unions to active households of their
  subtree (approval, then paid / failed / released 1-25 days later; the latest ones still approved, not paid);
  `Balance` and `MonthlyTotal` built from the entries.

The rows are written with the stats triggers (and the foreign-key triggers) off — `session_replication_role =
replica` — and the secondary indexes dropped and re-created after the load; references are then checked
set-based, `bangfu.stats.sql.backfill` + `backfill_ledger` write the history and pending deltas and
`bangfu.stats.rollup.compact()` folds them; each phase is timed. Then VACUUM ANALYZE.

Measured, in this process (no HTTP), as a staff user holding reviewer + leadership + fund_manager + counsellor at
the national union, one province and one typical grassroots union of that province:

* `bangfu.stats.views.dashboard_context(user, org, today)`: --runs calls after 3 warm-up calls, p50/p95/max,
  queries per call and the slowest queries; one full page (`/stats/`) through django.test.Client, apart;
* the baseline, the plain ORM aggregation over the base tables (households by state, active ones by category
  and main cause, exited by reason, active without a current helper, active with the annual review overdue,
  households with a visit overdue as the helpers' overdue list counts them, ledger sums by
  source/category/bucket);
  every household and fund figure of the dashboard is checked equal to it ("exact: yes", exit code 1 if not);
* with pending deltas: one UPDATE moves --pending active households of the province to "exited" (2 × pending
  deltas) and --pending/2 donation receipts are posted at its counties (--pending ledger rows); the UPDATE and
  the INSERT are timed with and without the triggers; the dashboard is timed again, checked again, then
  `compact()` is timed and the figures checked once more.

Target (issue 8): dashboard p95 ≤ 50 ms of server time at each level. When a level misses it, the slowest
query is printed with EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from registry_list import defaults_for, insert_rows, recreate_database, setup_django, skip_overlong_codes  # noqa: E402

TARGET_MS = 50.0
ROLES = ("reviewer", "leadership", "fund_manager", "counsellor")

# Distributions (weights). States of all archives; categories by standard; exit reasons; main causes.
STATES = {"active": 70, "exited": 16, "refused": 3, "cancelled": 1, "merged": 0.5, "draft": 1.5, "applied": 2,
          "first_check": 1.5, "home_visit": 1.5, "economic_check": 1, "public_notice": 1, "approval": 1}
UNCLASSIFIED = ("draft", "applied", "first_check", "home_visit")  # no category yet
OPEN = ("draft", "applied", "first_check", "home_visit", "economic_check", "public_notice", "approval", "active")
HELPED = ("active", "public_notice", "approval")  # helpers.models.ASSIGNABLE_STATES
CATEGORIES = {"A": {"A_dibao": 35, "A_marginal": 48, "A_accident": 17},
              "B": {"B_deep": 33, "B_relative": 52, "B_accident": 15}}
COMMON_LEVEL = {"A_dibao": "deep", "A_marginal": "relative", "A_accident": "accident", "B_deep": "deep",
                "B_relative": "relative", "B_accident": "accident", "none": "none"}
EXIT_REASONS = {"out_of_hardship": 45, "safety_net": 20, "death": 8, "failed_review": 10, "moved": 12,
                "voluntary": 5}
CAUSES = {"6": 25, "3": 18, "1": 12, "9": 10, "2": 8, "8": 6, "11": 6, "10": 4, "4": 3, "7": 3, "12": 3, "5": 2}
PAY_SOURCES = {"central": 45, "matching": 35, "union_own": 20}
PAY_CATEGORIES = {"living": 35, "medical": 25, "school": 15, "festive": 15, "training": 4, "legal": 3, "job": 3}
AMOUNTS = {  # yuan, (low, high) of one payment
    "living": (500, 3000), "medical": (1000, 8000), "school": (1000, 5000), "legal": (500, 3000),
    "training": (300, 2000), "job": (200, 1000), "festive": (200, 1000),
}
OUTCOMES = {"pay": 95, "fail": 3, "release": 2}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红鹏辉建国志海燕文"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--members-per-household", type=int, default=5)
    parser.add_argument("--ledger-rows", type=int, default=3_000_000)
    parser.add_argument("--provinces", type=int, default=None, help="default: 31 at 1M households, fewer below")
    parser.add_argument("--grassroots", type=int, default=None, help="grassroots unions (default households / 50)")
    parser.add_argument("--runs", type=int, default=50, help="timed dashboard calls per level")
    parser.add_argument("--baseline-runs", type=int, default=20, help="timed baseline calls per level")
    parser.add_argument("--pending", type=int, default=10_000, help="households changed for the pending-delta run")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--reuse", action="store_true", help="measure an already built benchmark database")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query at every level")
    return parser.parse_args(argv)


# --- helpers ----------------------------------------------------------------------------------------------------


class Phases:
    """Wall time of each named phase, printed as it ends."""

    def __init__(self):
        self.times: dict[str, float] = {}

    def run(self, name: str, function, *args):
        started = time.perf_counter()
        result = function(*args)
        self.times[name] = time.perf_counter() - started
        print(f"  {name}: {self.times[name]:.1f} s", flush=True)
        return result


def pick(u: str, weights: dict[str, float]) -> str:
    """SQL choosing a key of `weights` with those odds from the uniform [0, 1) expression `u` (a column)."""
    total, acc, parts = sum(weights.values()), 0.0, []
    items = list(weights.items())
    for value, weight in items[:-1]:
        acc += weight / total
        parts.append(f"WHEN {u} < {acc:.6f} THEN '{value}'")
    return f"(CASE {' '.join(parts)} ELSE '{items[-1][0]}' END)"


def tree_shape(args) -> tuple[int, int, int, int]:
    """(provinces, cities per province, counties per city, grassroots unions in all)."""
    h = args.households
    provinces = args.provinces or max(2, min(31, round(31 * math.sqrt(h / 1_000_000))))
    grassroots = args.grassroots or max(provinces, round(h / 50))
    cities = max(1, round((grassroots / provinces) ** (1 / 3) * 1.17))
    counties = max(1, round(cities / 2))
    return provinces, cities, counties, grassroots


def execute(sql: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def sql_columns(defaults: dict) -> tuple[str, str]:
    """(", col, col…", ", %s, %s…") of the default-valued columns, to append to an INSERT … SELECT."""
    if not defaults:
        return "", ""
    return ", " + ", ".join(f'"{c}"' for c in defaults), ", " + ", ".join(["%s"] * len(defaults))


def drop_secondary_indexes(table: str) -> list[str]:
    """Drop every index and unique constraint of `table` but the primary key; return the SQL re-creating them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.relname, pg_get_indexdef(i.oid), c.conname, pg_get_constraintdef(c.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            LEFT JOIN pg_constraint c
                   ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('u', 'x')
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary ORDER BY i.relname""", [table])
        restore = []
        for name, indexdef, conname, condef in cursor.fetchall():
            if conname:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{conname}"')
                restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{conname}" {condef}')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
                restore.append(indexdef)
    return restore


def percentile(values, q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def line(label: str, times: list[float], extra: str = "") -> float:
    p95 = percentile(times, 0.95)
    print(f"{label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
          f"(n={len(times)}){extra}", flush=True)
    return p95


def timed(function, runs: int, warm: int) -> list[float]:
    for _ in range(warm):
        function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


# --- the union tree ---------------------------------------------------------------------------------------------


def build_tree(args, rng) -> dict:
    """Orgs (COPY) and the households per grassroots union (log-normal sizes, summing to N exactly)."""
    from django.db import transaction

    from bangfu.orgs.models import Division, Org

    provinces, cities, counties, grassroots = tree_shape(args)
    divisions = {level: list(Division.objects.filter(level=level, is_current=True).order_by("code")
                             .values_list("code", flat=True)) for level in (1, 2, 3)}
    county_count = provinces * cities * counties
    per_county = [grassroots // county_count + (1 if i < grassroots % county_count else 0) for i in range(county_count)]
    rows, grassroots_rows = [], []  # (path, depth, numchild, code, name, level, kind, division)
    national = Org._get_path(None, 1, 1)
    rows.append((national, 1, provinces, "SB-N", "全国总工会（统计基准）", 0, "federation", "110000"))
    schemes = {}
    n = 0
    for p in range(1, provinces + 1):
        p_path = Org._get_path(national, 2, p)
        p_div = divisions[1][(p - 1) % len(divisions[1])]
        schemes[p] = "A" if p % 5 in (1, 2, 4) else "B"  # 60 % of the provinces use Standard A
        rows.append((p_path, 2, cities, f"SB-{p}", f"省总工会{p}", 1, "federation", p_div))
        for c in range(1, cities + 1):
            c_path = Org._get_path(p_path, 3, c)
            c_div = divisions[2][(p * cities + c) % len(divisions[2])]
            rows.append((c_path, 3, counties, f"SB-{p}-{c}", f"市总工会{p}-{c}", 2, "federation", c_div))
            for k in range(1, counties + 1):
                k_path = Org._get_path(c_path, 4, k)
                k_div = divisions[3][((p * cities + c) * counties + k) % len(divisions[3])]
                count = per_county[n]
                n += 1
                rows.append((k_path, 4, count, f"SB-{p}-{c}-{k}", f"区县总工会{p}-{c}-{k}", 3, "federation", k_div))
                for g in range(1, count + 1):
                    g_path = Org._get_path(k_path, 5, g)
                    kind = "enterprise" if g % 3 else "community"
                    rows.append((g_path, 5, 0, f"SB-{p}-{c}-{k}-{g}", f"基层工会{p}-{c}-{k}-{g}", 4, kind, k_div))
                    grassroots_rows.append((g_path, k_path, k_div, schemes[p]))
    org_columns = ["path", "depth", "numchild", "code", "name", "level", "kind", "division_id"]
    org_defaults = defaults_for(Org, set(org_columns))
    with transaction.atomic():
        insert_rows(Org, [*org_columns, *org_defaults], ((*row, *org_defaults.values()) for row in rows))
    ids = dict(Org.objects.filter(path__startswith=national).values_list("path", "pk"))
    # Households per grassroots union: log-normal weights (a few big enterprise unions, many small ones).
    weights = [rng.lognormvariate(0, 0.9) for _ in grassroots_rows]
    total = sum(weights)
    exact = [args.households * w / total for w in weights]
    counts = [int(x) for x in exact]
    short = args.households - sum(counts)
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)[:short]:
        counts[i] += 1
    execute("CREATE TEMP TABLE bench_gr (n int, org_id bigint, county_id bigint, division_id varchar(6), "
            "scheme varchar(1), households int)")
    from django.db import connection

    with connection.cursor() as cursor, cursor.cursor.copy("COPY bench_gr FROM STDIN") as copy:
        for i, ((path, county, division, scheme), count) in enumerate(zip(grassroots_rows, counts, strict=True)):
            copy.write_row((i, ids[path], ids[county], division, scheme, count))
    return {"orgs": len(rows), "provinces": provinces, "cities": cities, "counties": counties,
            "grassroots": len(grassroots_rows), "national": national}


# --- households, members, causes, helpers ----------------------------------------------------------------------


def u(i: str, stream: int, seed: int) -> str:
    """SQL of a uniform [0, 1) number from the row number `i` (SQL) and a stream: a hash, no random()."""
    return f"bench_u({i}, {seed * 64 + stream})"


def write_households(args, today: dt.date) -> int:
    from bangfu.registry.models import Household
    from bangfu.registry.search import initials

    s = args.seed
    execute("""CREATE TEMP TABLE bench_hh AS
        SELECT row_number() OVER (ORDER BY hashint8extended(g.n::bigint * 100000000 + x.j, %s)) AS id,
               g.org_id, g.county_id, g.division_id, g.scheme
        FROM bench_gr g CROSS JOIN LATERAL generate_series(1, g.households) AS x(j)""", [s])
    execute("ALTER TABLE bench_hh ADD PRIMARY KEY (id)")
    cols = ["id", "org_id", "archive_number", "archive_level", "state", "is_temporary_relief", "division_id",
            "scheme", "category", "common_level", "need_score", "review_due_on", "activated_on", "applied_on",
            "exited_on", "exit_reason", "head_name_masked", "head_name_initials", "household_size", "created_at",
            "updated_at"]
    defaults = defaults_for(Household, set(cols))
    extra_cols, _marks = sql_columns(defaults)
    surnames = "ARRAY[" + ",".join(f"'{ch}'" for ch in SURNAMES) + "]"
    surname_initials = "ARRAY[" + ",".join(f"'{initials(ch)}'" for ch in SURNAMES) + "]"
    categories = " ".join(f"WHEN scheme = '{k}' THEN {pick('u2', v)}" for k, v in CATEGORIES.items())
    levels = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in COMMON_LEVEL.items())
    unclassified = ", ".join(f"'{x}'" for x in UNCLASSIFIED)
    sql = f"""
        WITH b AS (
            SELECT h.id, h.org_id, h.division_id, h.scheme, {u("h.id", 1, s)} AS u1, {u("h.id", 2, s)} AS u2,
                   {u("h.id", 3, s)} AS u3, {u("h.id", 4, s)} AS u4, {u("h.id", 5, s)} AS u5, {u("h.id", 6, s)} AS u6,
                   {u("h.id", 7, s)} AS u7
            FROM bench_hh h),
        c AS (SELECT b.*, {pick("u1", STATES)} AS state FROM b),
        d AS (
            SELECT c.*,
                   CASE WHEN state IN ({unclassified}) THEN '' WHEN state = 'refused' AND u2 < 0.7 THEN 'none'
                        WHEN state = 'exited' AND u5 < 0.1 THEN 'none' {categories} END AS category,
                   CASE WHEN state IN ('active', 'exited', 'cancelled', 'merged')
                        THEN %(today)s::date - (30 + floor(u3 * 2000))::int END AS activated_on
            FROM c)
        INSERT INTO registry_household ({", ".join(cols)}{extra_cols})
        SELECT id, org_id, 'SB' || lpad(id::text, 10, '0'), 4, state, u6 < 0.03, division_id,
               CASE WHEN category = '' THEN '' ELSE scheme END, category,
               CASE category {levels} ELSE '' END,
               CASE WHEN category = '' THEN NULL ELSE round((u5 * 100)::numeric, 2) END,
               CASE WHEN state = 'active' THEN %(today)s::date - 30 + floor(u4 * 365)::int END,
               activated_on,
               COALESCE(activated_on - 45, %(today)s::date - floor(u3 * 120)::int),
               CASE WHEN state = 'exited' THEN activated_on + floor(u4 * (%(today)s::date - activated_on))::int END,
               CASE WHEN state = 'exited' THEN {pick("u7", EXIT_REASONS)} ELSE '' END,
               ({surnames})[1 + floor(u6 * {len(SURNAMES)})::int] || '**',
               ({surname_initials})[1 + floor(u6 * {len(SURNAMES)})::int] || 'x',
               %(size)s, %(now)s::timestamptz - make_interval(days => floor(u3 * 2000)::int), %(now)s
               {", " + ", ".join(f"%(d{i})s" for i in range(len(defaults))) if defaults else ""}
        FROM d"""
    params = {"today": today, "size": args.members_per_household, "now": dt.datetime.now(dt.UTC),
              **{f"d{i}": v for i, v in enumerate(defaults.values())}}
    return execute(sql, params)


def write_members(args) -> int:
    from bangfu.core import crypto
    from bangfu.registry.models import Member
    from bangfu.registry.search import initials

    cols = ["household_id", "is_head", "relation", "name", "name_initials", "sex", "birth_date", "document_type",
            "identity_number", "identity_hash", "identity_masked", "open_identity_hash", "created_at", "updated_at"]
    defaults = defaults_for(Member, set(cols))
    extra_cols, _marks = sql_columns(defaults)
    s = args.seed
    surnames = "ARRAY[" + ",".join(f"'{ch}'" for ch in SURNAMES) + "]"
    given = "ARRAY[" + ",".join(f"'{ch}'" for ch in GIVEN) + "]"
    surname_i = "ARRAY[" + ",".join(f"'{initials(ch)}'" for ch in SURNAMES) + "]"
    given_i = "ARRAY[" + ",".join(f"'{initials(ch)}'" for ch in GIVEN) + "]"
    open_states = ", ".join(f"'{x}'" for x in OPEN)
    ns, ng = len(SURNAMES), len(GIVEN)
    sql = f"""
        WITH m AS (
            SELECT h.id AS household_id, h.state, h.division_id, k,
                   encode(sha256(convert_to('SB-{s}-' || h.id || '-' || k, 'UTF8')), 'hex') AS hash,
                   1 + floor({u("h.id * 16 + k", 11, s)} * {ns})::int AS si,
                   1 + floor({u("h.id * 16 + k", 12, s)} * {ng})::int AS g1,
                   1 + floor({u("h.id * 16 + k", 13, s)} * {ng})::int AS g2,
                   {u("h.id * 16 + k", 14, s)} AS v
            FROM registry_household h CROSS JOIN generate_series(0, %(last)s) AS k)
        INSERT INTO registry_member ({", ".join(cols)}{extra_cols})
        SELECT household_id, k = 0,
               CASE k WHEN 0 THEN 'self' WHEN 1 THEN 'spouse' WHEN 2 THEN 'child' WHEN 3 THEN 'child'
                      WHEN 4 THEN 'parent' ELSE 'grandchild' END,
               ({surnames})[si] || ({given})[g1] || CASE WHEN v < 0.6 THEN ({given})[g2] ELSE '' END,
               ({surname_i})[si] || ({given_i})[g1] || CASE WHEN v < 0.6 THEN ({given_i})[g2] ELSE '' END,
               CASE WHEN v < 0.5 THEN 'M' ELSE 'F' END,
               (CASE k WHEN 0 THEN DATE '1962-01-01' WHEN 1 THEN DATE '1963-01-01' WHEN 4 THEN DATE '1938-01-01'
                       ELSE DATE '1988-01-01' END) + floor(v * 5000)::int,
               'resident_id', %(cipher)s, hash, division_id || '********' || lpad((get_byte(decode(hash, 'hex'), 0)
                   * 40 + get_byte(decode(hash, 'hex'), 1) %% 40)::text, 4, '0'),
               CASE WHEN state IN ({open_states}) THEN hash END, %(now)s, %(now)s
               {", " + ", ".join(f"%(d{i})s" for i in range(len(defaults))) if defaults else ""}
        FROM m"""
    params = {"last": args.members_per_household - 1, "cipher": crypto.encrypt("110101196201010000"),
              "now": dt.datetime.now(dt.UTC), **{f"d{i}": v for i, v in enumerate(defaults.values())}}
    return execute(sql, params)


def write_causes(args) -> int:
    s = args.seed
    sql = f"""
        WITH m AS (SELECT id, {pick(u("id", 21, s), CAUSES)} AS code, {u("id", 22, s)} AS v
                   FROM registry_household WHERE NOT (state = 'draft' AND {u("id", 23, s)} < 0.5))
        INSERT INTO registry_householdcause (household_id, code, is_main)
        SELECT id, code, true FROM m
        UNION ALL
        SELECT id, (((code::int + floor((v - 0.7) / 0.3 * 10)::int) % 12) + 1)::text, false FROM m WHERE v >= 0.7"""
    return execute(sql)


def write_helpers(args, today: dt.date) -> tuple[int, int]:
    """A helper cadre per county (staff users), current assignments for 85 % of the households being helped,
    ended ones for 20 % of all households, and 0-3 visits per current assignment."""
    from django.contrib.auth.hashers import make_password

    from bangfu.accounts.models import User, UserRole
    from bangfu.helpers.models import HelperAssignment, Visit
    from bangfu.orgs.models import Org

    counties = list(Org.objects.filter(code__startswith="SB-", depth=4).values_list("pk", "code"))
    unusable = make_password(None)
    users = User.objects.bulk_create([
        User(username=f"bench_helper_{code}", org_id=pk, kind="staff", full_name=f"帮扶干部{code}",
             must_change_password=False, password=unusable) for pk, code in counties])
    UserRole.objects.bulk_create([UserRole(user=user, role="helper") for user in users])
    execute("CREATE TEMP TABLE bench_helper (county_id bigint PRIMARY KEY, user_id bigint)")
    from django.db import connection

    with connection.cursor() as cursor, cursor.cursor.copy("COPY bench_helper FROM STDIN") as copy:
        for user in users:
            copy.write_row((user.org_id, user.pk))
    cols = ["household_id", "mode", "helper_id", "helper_org_id", "helper_kind", "starts_on", "ends_on", "end_reason",
            "handed_over_to_id", "created_by_id", "created_at"]
    defaults = defaults_for(HelperAssignment, set(cols))
    extra_cols, _marks = sql_columns(defaults)
    dvals = (", " + ", ".join(f"%(d{i})s" for i in range(len(defaults)))) if defaults else ""
    s = args.seed
    helped = ", ".join(f"'{x}'" for x in HELPED)
    choose = """CASE WHEN x.a < 0.4 THEN 'union' WHEN x.a < 0.75 THEN 'pairing' ELSE 'accountable' END,
                CASE WHEN x.a < 0.4 THEN NULL ELSE hp.user_id END,
                CASE WHEN x.a < 0.4 THEN h.org_id ELSE b.county_id END,
                CASE WHEN x.a < 0.4 THEN 'union' WHEN x.a < 0.75 THEN 'branch_cadre'
                     WHEN x.a < 0.95 THEN 'workshop_cadre' ELSE 'plant_leader' END"""
    sql = f"""
        INSERT INTO helpers_helperassignment ({", ".join(cols)}{extra_cols})
        SELECT h.id, {choose}, %(today)s::date - floor(x.b * 700)::int, NULL::date, '', NULL::bigint, NULL::bigint,
               %(now)s {dvals}
        FROM registry_household h JOIN bench_hh b ON b.id = h.id JOIN bench_helper hp ON hp.county_id = b.county_id
        CROSS JOIN LATERAL (SELECT {u("h.id", 31, s)} AS a, {u("h.id", 32, s)} AS b, {u("h.id", 33, s)} AS c) x
        WHERE h.state IN ({helped}) AND x.c < 0.85
        UNION ALL
        SELECT h.id, {choose}, %(today)s::date - 900 - floor(x.b * 500)::int,
               %(today)s::date - 900 - floor(x.b * 500)::int + 100 + floor(x.a * 300)::int, '交接', NULL::bigint,
               NULL::bigint,
               %(now)s {dvals}
        FROM registry_household h JOIN bench_hh b ON b.id = h.id JOIN bench_helper hp ON hp.county_id = b.county_id
        CROSS JOIN LATERAL (SELECT {u("h.id", 34, s)} AS a, {u("h.id", 35, s)} AS b, {u("h.id", 36, s)} AS c) x
        WHERE x.c < 0.2"""
    params = {"today": today, "now": dt.datetime.now(dt.UTC), **{f"d{i}": v for i, v in enumerate(defaults.values())}}
    assignments = execute(sql, params)
    vcols = ["household_id", "assignment_id", "visited_on", "visitors", "findings", "problems_solved", "next_step",
             "photo", "photo_sha256", "photo_content_type", "recorded_by_id", "created_at"]
    vdefaults = defaults_for(Visit, set(vcols))
    vextra, _marks = sql_columns(vdefaults)
    vvals = (", " + ", ".join(f"%(d{i})s" for i in range(len(vdefaults)))) if vdefaults else ""
    visits = execute(f"""
        INSERT INTO helpers_visit ({", ".join(vcols)}{vextra})
        SELECT a.household_id, a.id,
               greatest(a.starts_on, %(today)s::date - floor({u("a.id * 8 + j", 41, s)} * 200)::int),
               '帮扶责任人', '入户走访，了解家庭近况。', '', '', '', '', '', NULL, %(now)s {vvals}
        FROM helpers_helperassignment a
        CROSS JOIN LATERAL generate_series(1, floor({u("a.id", 42, s)} * 4)::int) AS j
        WHERE a.ends_on IS NULL""", {"today": today, "now": dt.datetime.now(dt.UTC),
                                     **{f"d{i}": v for i, v in enumerate(vdefaults.values())}})
    return assignments, visits


# --- the ledger --------------------------------------------------------------------------------------------------


def plan_payments(args, today: dt.date, count: int, sources: dict[str, int]) -> tuple[int, int]:
    """bench_pay: `count` payments by county unions to active households of their subtree. Returns (payments,
    settled)."""
    s = args.seed
    jan1 = dt.date(today.year, 1, 1)
    days = (today - jan1).days - 1
    source_case = pick("x.u6", {str(sources[k]): w for k, w in PAY_SOURCES.items()})
    fen = " ".join(f"WHEN '{c}' THEN ({lo // 10} + floor(z.u5 * {hi // 10 - lo // 10 + 1}))::bigint * 1000"
                   for c, (lo, hi) in AMOUNTS.items())
    execute("DROP TABLE IF EXISTS bench_pay")
    execute(f"""
        CREATE TEMP TABLE bench_pay AS
        WITH x AS (
            SELECT p, {u("p", 51, s)} AS u1, {u("p", 52, s)} AS u2, {u("p", 53, s)} AS u3, {u("p", 54, s)} AS u4,
                   {u("p", 55, s)} AS u5, {u("p", 56, s)} AS u6, {u("p", 57, s)} AS u7
            FROM generate_series(1, %(count)s) AS p),
        y AS (
            SELECT x.*, {source_case}::bigint AS src, {pick("x.u7", PAY_CATEGORIES)} AS cat,
                   %(jan1)s::date + floor(x.u2 * %(days)s)::int AS day
            FROM x),
        z AS (
            SELECT y.*, CASE WHEN day - date_trunc('quarter', day)::date < 5
                             THEN least(day + 5, %(today)s::date - 1) ELSE day END AS approved
            FROM y)
        SELECT z.p, a.county_id, a.household_id, z.src, z.cat,
               CASE z.cat {fen} END AS fen, z.approved, {pick("z.u4", OUTCOMES)} AS outcome,
               CASE WHEN z.approved + 1 + floor(z.u3 * 25)::int < %(today)s::date
                    THEN z.approved + 1 + floor(z.u3 * 25)::int END AS settled
        FROM z JOIN bench_act a ON a.n = floor(z.u1 * %(active)s)::bigint""",
            {"count": count, "jan1": jan1, "days": days, "today": today,
             "active": scalar("SELECT count(*) FROM bench_act")})
    return scalar("SELECT count(*) FROM bench_pay"), scalar("SELECT count(*) FROM bench_pay WHERE settled IS NOT NULL")


def plan_tranches(sources: dict[str, int]) -> int:
    """bench_tranche: each quarter, allocations city → county covering the county's approvals (+5 %), province →
    city (+3 %), national → province for central funds (+2 %); budgets: central at the national union, matching
    and own funds at the provinces. Returns the number of tranches."""
    execute("DROP TABLE IF EXISTS bench_tranche")
    execute("CREATE TEMP TABLE bench_tranche (lvl int, kind text, giver bigint, taker bigint, src bigint, cat text, "
            "fen bigint, posted date)")
    up = "(ceil(sum({fen}) * {margin} / 10000) * 10000)::bigint"
    execute(f"""INSERT INTO bench_tranche
        SELECT 4, 'allocation', city.id, p.county_id, p.src, p.cat, {up.format(fen="p.fen", margin=1.05)},
               date_trunc('quarter', p.approved)::date + 3
        FROM bench_pay p JOIN orgs_org c ON c.id = p.county_id JOIN orgs_org city ON city.path = left(c.path, 12)
        GROUP BY city.id, p.county_id, p.src, p.cat, date_trunc('quarter', p.approved)""")
    execute(f"""INSERT INTO bench_tranche
        SELECT 3, 'allocation', prov.id, t.giver, t.src, t.cat, {up.format(fen="t.fen", margin=1.03)}, t.posted - 1
        FROM bench_tranche t JOIN orgs_org c ON c.id = t.giver JOIN orgs_org prov ON prov.path = left(c.path, 8)
        WHERE t.lvl = 4 GROUP BY prov.id, t.giver, t.src, t.cat, t.posted""")
    execute(f"""INSERT INTO bench_tranche
        SELECT 2, CASE WHEN t.src = %(central)s THEN 'allocation' ELSE 'budget' END,
               CASE WHEN t.src = %(central)s THEN nat.id END, t.giver, t.src, t.cat,
               {up.format(fen="t.fen", margin=1.02)},
               CASE WHEN t.src = %(central)s THEN t.posted - 1 ELSE t.posted - 2 END
        FROM bench_tranche t JOIN orgs_org c ON c.id = t.giver JOIN orgs_org nat ON nat.path = left(c.path, 4)
        WHERE t.lvl = 3 GROUP BY nat.id, t.giver, t.src, t.cat, t.posted""", {"central": sources["central"]})
    execute("""INSERT INTO bench_tranche
        SELECT 1, 'budget', NULL, t.giver, t.src, t.cat, sum(t.fen), t.posted - 1
        FROM bench_tranche t WHERE t.lvl = 2 AND t.kind = 'allocation' GROUP BY t.giver, t.src, t.cat, t.posted""")
    return scalar("SELECT count(*) FROM bench_tranche")


def write_ledger(args, today: dt.date) -> dict:
    """Plan the payments and tranches (two passes, so that the entries come close to --ledger-rows), then write
    the transactions, the entries, `Balance` and `MonthlyTotal`."""
    from bangfu.funds.models import FundSource

    sources = dict(FundSource.objects.filter(code__in=list(PAY_SOURCES)).values_list("code", "pk"))
    execute("""CREATE TEMP TABLE bench_act AS SELECT row_number() OVER (ORDER BY h.id) - 1 AS n, h.id AS household_id,
               b.county_id FROM registry_household h JOIN bench_hh b ON b.id = h.id WHERE h.state = 'active'""")
    execute("ALTER TABLE bench_act ADD PRIMARY KEY (n)")
    rows = args.ledger_rows
    first = max(1, rows // 4)
    payments, settled = plan_payments(args, today, first, sources)
    tranches = plan_tranches(sources)
    share = settled / max(1, payments)
    count = max(1, round((rows - 2 * tranches) / (2 + 2 * share)))
    payments, settled = plan_payments(args, today, count, sources)
    tranches = plan_tranches(sources)
    execute("""CREATE TEMP TABLE bench_txn AS
        SELECT row_number() OVER (ORDER BY posted, ord, seq, from_org, to_org, src, cat) AS tid, t.* FROM (
            SELECT kind, CASE WHEN kind = 'budget' THEN taker ELSE giver END AS org_id, posted, lvl AS ord,
                   0::bigint AS seq,
                   CASE WHEN kind = 'budget' THEN taker ELSE giver END AS from_org,
                   CASE WHEN kind = 'budget' THEN 'source' ELSE 'available' END AS from_bucket,
                   taker AS to_org, 'available' AS to_bucket, src, cat, fen, NULL::bigint AS household_id
            FROM bench_tranche
            UNION ALL
            SELECT 'reserve', county_id, approved, 10, p, county_id, 'available', county_id, 'reserved', src, cat, fen,
                   household_id FROM bench_pay
            UNION ALL
            SELECT outcome, county_id, settled, 11, p, county_id, 'reserved', county_id,
                   CASE WHEN outcome = 'pay' THEN 'paid' ELSE 'available' END, src, cat, fen, household_id
            FROM bench_pay WHERE settled IS NOT NULL) t""")
    year = today.year
    transactions = execute("""
        INSERT INTO funds_ledgertransaction (id, kind, org_id, year, memo, reverses_id, reason, disbursement_id,
                                             created_by_id, created_at)
        SELECT tid, kind, org_id, %s, '', NULL, '', NULL, NULL, (posted + time '09:00') AT TIME ZONE 'Asia/Shanghai'
        FROM bench_txn ORDER BY tid""", [year])
    entries = execute("""
        INSERT INTO funds_ledgerentry (id, transaction_id, org_id, source_id, year, category, bucket, amount_fen,
                                       household_id, posted_on)
        SELECT * FROM (
            SELECT 2 * tid - 1, tid, from_org, src, %(year)s, cat, from_bucket, -fen, household_id, posted
            FROM bench_txn
            UNION ALL
            SELECT 2 * tid, tid, to_org, src, %(year)s, cat, to_bucket, fen, household_id, posted FROM bench_txn) e
        ORDER BY 1""", {"year": year})
    return {"payments": payments, "settled": settled, "tranches": tranches, "transactions": transactions,
            "entries": entries, "year": year}


def build_fund_caches() -> None:
    keys = "org_id, source_id, year, category, bucket"
    execute(f"INSERT INTO funds_balance ({keys}, amount_fen) SELECT {keys}, SUM(amount_fen) FROM funds_ledgerentry "
            f"GROUP BY {keys}")
    execute(f"""INSERT INTO funds_monthlytotal ({keys}, month, amount_fen, entry_count, credit_fen)
        SELECT {keys}, date_trunc('month', posted_on)::date, SUM(amount_fen), COUNT(*),
               SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END)
        FROM funds_ledgerentry GROUP BY {keys}, date_trunc('month', posted_on)""")


def check_references() -> None:
    """What the skipped foreign-key triggers would have checked, set-based."""
    checks = {
        "household -> union": "registry_household t LEFT JOIN orgs_org r ON r.id = t.org_id",
        "member -> household": "registry_member t LEFT JOIN registry_household r ON r.id = t.household_id",
        "cause -> household": "registry_householdcause t LEFT JOIN registry_household r ON r.id = t.household_id",
        "assignment -> household": "helpers_helperassignment t LEFT JOIN registry_household r ON r.id = t.household_id",
        "visit -> assignment": "helpers_visit t LEFT JOIN helpers_helperassignment r ON r.id = t.assignment_id",
        "entry -> transaction": "funds_ledgerentry t LEFT JOIN funds_ledgertransaction r ON r.id = t.transaction_id",
        "entry -> union": "funds_ledgerentry t LEFT JOIN orgs_org r ON r.id = t.org_id",
        "entry -> household": "funds_ledgerentry t LEFT JOIN registry_household r ON r.id = t.household_id",
    }
    for label, joined in checks.items():
        key = joined.split(" = t.")[1]
        missing = scalar(f"SELECT count(*) FROM {joined} WHERE t.{key} IS NOT NULL AND r.id IS NULL")
        if missing:
            raise SystemExit(f"generator bug: {missing} rows with a dangling reference ({label})")


def build(args, today: dt.date) -> dict:
    from django.db import connection

    from bangfu.stats import due, rollup
    from bangfu.stats import sql as stats_sql

    rng = random.Random(args.seed)
    phases = Phases()
    execute("SET work_mem = '256MB'")
    execute("SET maintenance_work_mem = '1GB'")
    execute("""CREATE OR REPLACE FUNCTION bench_u(i bigint, k bigint) RETURNS float8 LANGUAGE sql IMMUTABLE
               PARALLEL SAFE AS $$
               SELECT (hashint8extended(i, k) & 4503599627370495)::float8 / 4503599627370496.0 $$""")
    print("build (stats and foreign-key triggers off during the load; indexes re-created after it):")
    info = phases.run("union tree (COPY)", build_tree, args, rng)
    tables = ["registry_household", "registry_member", "registry_householdcause", "helpers_helperassignment",
              "helpers_visit", "funds_ledgertransaction", "funds_ledgerentry"]
    index_count = scalar("SELECT count(*) FROM pg_indexes WHERE tablename = ANY(%s)", [tables])
    restore = phases.run("drop secondary indexes", lambda: [sql for t in tables for sql in drop_secondary_indexes(t)])
    execute("SET session_replication_role = replica")  # no triggers: neither the stats ones nor foreign-key checks
    info["households"] = phases.run("households (INSERT … SELECT)", write_households, args, today)
    info["members"] = phases.run("members", write_members, args)
    info["causes"] = phases.run("causes", write_causes, args)
    info["assignments"], info["visits"] = phases.run("helpers, assignments and visits", write_helpers, args, today)
    info["ledger"] = phases.run("ledger (plan + transactions + entries)", write_ledger, args, today)
    phases.run("Balance + MonthlyTotal (INSERT … SELECT … GROUP BY)", build_fund_caches)
    execute("SET session_replication_role = DEFAULT")

    def recreate():
        for sql in restore:
            execute(sql)

    phases.run(f"re-create {len(restore)} indexes and unique constraints", recreate)
    after = scalar("SELECT count(*) FROM pg_indexes WHERE tablename = ANY(%s)", [tables])
    assert after == index_count, (after, index_count)
    phases.run("reference checks (set-based)", check_references)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    execute("DROP FUNCTION bench_u(bigint, bigint)")
    for table in ("bench_gr", "bench_hh", "bench_helper", "bench_act", "bench_pay", "bench_tranche", "bench_txn"):
        execute(f"DROP TABLE IF EXISTS {table}")

    def backfill():
        for statement in stats_sql.backfill(connection.vendor):
            execute(statement)

    def backfill_ledger():
        for statement in stats_sql.backfill_ledger():
            execute(statement)

    print("statistics (the project's own code):")
    phases.run("stats.sql.backfill: spans + household deltas of every household", backfill)
    phases.run("stats.sql.backfill_ledger: fund deltas of every entry", backfill_ledger)

    def backfill_due():
        for statement in due.sync_statements(connection.vendor, "SELECT id FROM registry_household"):
            execute(statement)

    phases.run("stats.due.sync_statements: visit and review due days of every household", backfill_due)
    info["folded"] = phases.run("stats.rollup.compact()", rollup.compact)
    phases.run("stats.rollup.vacuum_deltas() (as the scheduled compaction does)", rollup.vacuum_deltas)
    execute("RESET work_mem")
    execute("RESET maintenance_work_mem")
    phases.run("VACUUM ANALYZE", lambda: execute("VACUUM ANALYZE"))
    info["phases"] = phases.times
    return info


# --- measuring ---------------------------------------------------------------------------------------------------


def pick_levels() -> dict:
    """The national union, the first province, and the grassroots union of that province whose household count is
    closest to the median of all grassroots unions (a typical one)."""
    from bangfu.orgs.models import Org

    national = Org.objects.get(code="SB-N")
    province = Org.objects.get(code="SB-1")
    median = scalar("""SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM (
        SELECT count(h.id) AS n FROM orgs_org o LEFT JOIN registry_household h ON h.org_id = o.id
        WHERE o.depth = 5 AND o.code LIKE 'SB-%%' GROUP BY o.id) t""")
    grassroots_id = scalar("""SELECT o.id FROM orgs_org o LEFT JOIN registry_household h ON h.org_id = o.id
        WHERE o.depth = 5 AND o.path LIKE %s GROUP BY o.id, o.path ORDER BY abs(count(h.id) - %s), o.path LIMIT 1""",
                           [province.path + "%", median])
    return {"national": national, "province": province, "grassroots": Org.objects.get(pk=grassroots_id)}


def make_user(level: str, org):
    from django_otp.plugins.otp_static.models import StaticDevice

    from bangfu.accounts.models import User, UserRole

    stamp = int(time.time() * 1000) % 10**9
    user = User.objects.create_user(username=f"bench_stats_{level}_{stamp}", password=None, org=org, kind="staff",
                                    full_name=f"统计 {level}", must_change_password=False)
    for role in ROLES:
        UserRole.objects.create(user=user, role=role)
    StaticDevice.objects.create(user=user, name="bench", confirmed=True)
    return User.objects.get(pk=user.pk)


def client_for(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = StaticDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def dashboard_numbers(context) -> dict:
    """The household and fund figures of a dashboard context, keyed for comparison."""
    numbers = {f"{b.key}": {row.key: row.value for row in b.rows} for b in context["breakdowns"]}
    for key in ("without_helper", "overdue_reviews", "overdue_visits"):
        numbers[key] = next(f.value for f in context["work"] if f.key == key)
    funds = context["funds"]
    numbers["funds"] = {f.key: f.value for f in funds["figures"]}
    numbers["paid_by_source"] = {int(f.key): f.value for f in funds["by_source"]}
    numbers["paid_by_category"] = {f.key: f.value for f in funds["by_category"]}
    return numbers


def baseline_numbers(org, year: int, today: dt.date) -> dict:
    """The same figures the plain way: ORM aggregation over households, causes, assignments, visits and ledger
    entries (the overdue visits as the list of overdue visits counts them)."""
    from django.db.models import Count, Exists, OuterRef, Sum

    from bangfu.funds.models import LedgerEntry
    from bangfu.helpers.models import HelperAssignment
    from bangfu.registry.models import Household, HouseholdCause

    households = Household.objects.filter(org__path__startswith=org.path)
    by_state = dict(households.values_list("state").annotate(n=Count("id")).order_by())
    active = households.filter(state="active")
    by_category = dict(active.values_list("category").annotate(n=Count("id")).order_by())
    by_cause = dict(HouseholdCause.objects.filter(is_main=True, household__state="active",
                                                  household__org__path__startswith=org.path)
                    .values_list("code").annotate(n=Count("id")).order_by())
    by_exit = dict(households.filter(state="exited").values_list("exit_reason").annotate(n=Count("id")).order_by())
    current = HelperAssignment.objects.filter(household=OuterRef("pk"), ends_on__isnull=True)
    without = active.filter(~Exists(current)).count()
    overdue_reviews = active.filter(review_due_on__lt=today).count()
    overdue_visits = HelperAssignment.objects.overdue(today).filter(household__org__path__startswith=org.path).count()
    sums = {(s, c, b): v for s, c, b, v in LedgerEntry.objects.filter(org__path__startswith=org.path, year=year)
            .values_list("source", "category", "bucket").annotate(n=Sum("amount_fen")).order_by()}
    own = LedgerEntry.objects.filter(org=org, year=year).aggregate(n=Sum("amount_fen"))["n"] or 0

    no_cause = by_state.get("active", 0) - sum(by_cause.values())
    if no_cause:
        by_cause[""] = no_cause
    received = sum(sums.values())
    paid_by_source, paid_by_category = {}, {}
    for (source, category, bucket), v in sums.items():
        if bucket == "paid":
            paid_by_source[source] = paid_by_source.get(source, 0) + v
            paid_by_category[category] = paid_by_category.get(category, 0) + v
    dash = lambda d: {(k or "-"): v for k, v in d.items() if v}  # noqa: E731 (the dashboard's key for "none")
    return {
        "state": {k: v for k, v in by_state.items() if v}, "category": dash(by_category), "cause": dash(by_cause),
        "exit": dash(by_exit), "without_helper": without, "overdue_reviews": overdue_reviews,
        "overdue_visits": overdue_visits,
        "funds": {"budget": -sum(v for (_s, _c, b), v in sums.items() if b == "source"), "received": received,
                  "passed_down": received - own,
                  "reserved": sum(v for (_s, _c, b), v in sums.items() if b == "reserved"),
                  "paid": sum(paid_by_source.values())},
        "paid_by_source": paid_by_source, "paid_by_category": paid_by_category,
    }


def compare(label: str, ours: dict, theirs: dict) -> bool:
    same = ours == theirs
    if not same:
        for key in sorted(set(ours) | set(theirs)):
            if ours.get(key) != theirs.get(key):
                print(f"  DIFFERENT {label} {key}: dashboard {ours.get(key)!r} vs baseline {theirs.get(key)!r}")
    return same


def explain(sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        for (row,) in cursor.fetchall():
            print("      " + row)


def profile_call(function) -> list[tuple[float, str]]:
    """(ms, sql) of every query of one call, slowest first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        function()
    return sorted(((float(q["time"]) * 1000, q["sql"]) for q in ctx.captured_queries), reverse=True)


def measure_level(args, level: str, org, user, today: dt.date, tag: str, explain_always: bool) -> float:
    from bangfu.stats.views import dashboard_context

    call = lambda: dashboard_context(user, org, today)  # noqa: E731
    times = timed(call, args.runs, warm=3)
    queries = profile_call(call)
    p95 = line(f"dashboard_context ({level}{tag})", times, f", {len(queries)} queries")
    slowest = ", ".join(f"{ms:.1f} ms {sql[:70]!r}" for ms, sql in queries[:3])
    print(f"  slowest queries of one call: {slowest}")
    print(f"  where the time goes (median of 5 calls of each part): {breakdown(user, org, today)}")
    if p95 > TARGET_MS or explain_always:
        print(f"  EXPLAIN (ANALYZE, BUFFERS) of the slowest query ({level}{tag}; p95 {p95:.1f} ms"
              f"{' > target ' + str(TARGET_MS) + ' ms' if p95 > TARGET_MS else ''}):")
        print("      " + queries[0][1][:600])
        explain(queries[0][1])
    return p95


def breakdown(user, org, today: dt.date) -> str:
    """Median time of each part of `dashboard_context` (the functions it calls, as of this checkout)."""
    try:
        from bangfu.stats import dashboard as figures
        from bangfu.stats import rollup

        counts = rollup.household_counts(org)
        parts = {
            "household counts (rollup + pending deltas)": lambda: rollup.household_counts(org),
            "breakdowns (Python)": lambda: figures.household_breakdowns(user, org, counts),
            "work figures (without helper, overdue reviews, overdue visits, crises)":
                lambda: figures.work_figures(user, org, counts, today),
            "monthly series (flows + relapses)": lambda: figures.monthly_series(user, org, today),
            "fund figures (fund rollup + pending + own balance)": lambda: figures.fund_figures(user, org, today.year),
            "service figures": lambda: figures.service_figures(user, org),
        }
        return "; ".join(f"{name} {statistics.median(timed(function, 5, warm=1)):.1f} ms"
                         for name, function in parts.items())
    except (AttributeError, TypeError, ImportError) as error:  # bangfu/stats changed under the benchmark
        return f"not available ({type(error).__name__}: {error})"


def render_page(level: str, user) -> None:
    """One full page through the test Client (middleware, session, view, template), apart from server time."""
    client = client_for(user)
    try:
        client.get("/stats/")  # warm: the template is compiled once
        times = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get("/stats/")
            times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    except Exception as error:  # the page is not finished yet in some checkouts (template missing, …)
        print(f"full page /stats/ ({level}): not rendered — {type(error).__name__}: {str(error)[:160]}")
        return
    print(f"full page /stats/ ({level}) through django.test.Client: median of 3 {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms (HTTP {status}, {len(response.content):,} bytes)")


def pending_changes(args, province, today: dt.date) -> None:
    """One UPDATE of --pending households (exited after a review) and --pending/2 donation receipts at the
    province's counties, each timed with the triggers and, rolled back, without them."""
    from django.db import connection, transaction

    from bangfu.funds.models import FundSource

    # The province's own households first; once earlier --reuse runs have exited them all, others of the tree.
    ids = [row for (row,) in _rows("""SELECT h.id FROM registry_household h JOIN orgs_org o ON o.id = h.org_id
        WHERE h.state = 'active' ORDER BY o.path LIKE %s DESC, hashint8extended(h.id, %s) LIMIT %s""",
                                   [province.path + "%", args.seed, args.pending])]
    update = """UPDATE registry_household SET state = 'exited', exit_reason = 'out_of_hardship', exited_on = %s,
                updated_at = now() WHERE id = ANY(%s)"""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        started = time.perf_counter()
        cursor.execute(update, [today, ids])
        plain = time.perf_counter() - started
        transaction.set_rollback(True)
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(update, [today, ids])
        triggered = time.perf_counter() - started
    print(f"UPDATE of {len(ids):,} households (active → exited) in one statement: {triggered * 1000:.0f} ms with the "
          f"stats triggers, {plain * 1000:.0f} ms without (rolled back, run first: same rows, warm cache) — "
          f"the triggers add {(triggered - plain) * 1000:.0f} ms")
    # Donation receipts recorded by the province's county unions: source → available, one transaction each.
    source = FundSource.objects.get(code="union_own").pk
    receipts = max(1, args.pending // 2)
    first_txn = scalar("SELECT max(id) FROM funds_ledgertransaction") + 1
    first_entry = scalar("SELECT max(id) FROM funds_ledgerentry") + 1
    txn_sql = """INSERT INTO funds_ledgertransaction (id, kind, org_id, year, memo, reverses_id, reason,
                     disbursement_id, created_by_id, created_at)
        SELECT %(t)s + r - 1, 'budget', c.ids[1 + r %% cardinality(c.ids)], %(year)s, '社会捐赠', NULL, '', NULL,
               NULL, now()
        FROM (SELECT array_agg(id ORDER BY path) AS ids FROM orgs_org WHERE depth = 4 AND path LIKE %(path)s) c
        CROSS JOIN generate_series(1, %(n)s) AS r"""
    entry_sql = """INSERT INTO funds_ledgerentry (id, transaction_id, org_id, source_id, year, category, bucket,
                       amount_fen, household_id, posted_on)
        SELECT %(e)s + 2 * (t.id - %(t)s) + leg, t.id, t.org_id, %(source)s, %(year)s, 'festive',
               CASE leg WHEN 0 THEN 'source' ELSE 'available' END,
               CASE leg WHEN 0 THEN -1 ELSE 1 END * (50000 + (t.id %% 20) * 5000), NULL, %(today)s
        FROM funds_ledgertransaction t CROSS JOIN generate_series(0, 1) AS leg WHERE t.id >= %(t)s"""
    caches = """INSERT INTO funds_balance (org_id, source_id, year, category, bucket, amount_fen)
        SELECT org_id, source_id, year, category, bucket, SUM(amount_fen) FROM funds_ledgerentry WHERE id >= %(e)s
        GROUP BY org_id, source_id, year, category, bucket
        ON CONFLICT (org_id, source_id, year, category, bucket)
        DO UPDATE SET amount_fen = funds_balance.amount_fen + excluded.amount_fen"""
    monthly = """INSERT INTO funds_monthlytotal (org_id, source_id, year, category, bucket, month, amount_fen,
                     entry_count, credit_fen)
        SELECT org_id, source_id, year, category, bucket, date_trunc('month', posted_on)::date, SUM(amount_fen),
               COUNT(*), SUM(GREATEST(amount_fen, 0)) FROM funds_ledgerentry WHERE id >= %(e)s
        GROUP BY org_id, source_id, year, category, bucket, date_trunc('month', posted_on)
        ON CONFLICT (org_id, source_id, year, category, bucket, month) DO UPDATE SET
            amount_fen = funds_monthlytotal.amount_fen + excluded.amount_fen,
            entry_count = funds_monthlytotal.entry_count + excluded.entry_count,
            credit_fen = funds_monthlytotal.credit_fen + excluded.credit_fen"""
    params = {"t": first_txn, "e": first_entry, "n": receipts, "year": today.year, "path": province.path + "%",
              "source": source, "today": today}
    timings = {}
    for mode in ("plain", "triggered"):
        with transaction.atomic(), connection.cursor() as cursor:
            if mode == "plain":
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(txn_sql, params)
            started = time.perf_counter()
            cursor.execute(entry_sql, params)
            timings[mode] = time.perf_counter() - started
            cursor.execute(caches, params)
            cursor.execute(monthly, params)
            if mode == "plain":
                transaction.set_rollback(True)
    with connection.cursor() as cursor:
        for table in ("funds_ledgertransaction", "funds_ledgerentry"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    print(f"INSERT of {2 * receipts:,} ledger entries ({receipts:,} donation receipts at the province's counties): "
          f"{timings['triggered'] * 1000:.0f} ms with the stats trigger, {timings['plain'] * 1000:.0f} ms without "
          f"(rolled back, run first)")
    print(f"pending: {scalar('SELECT count(*) FROM stats_householddelta'):,} household deltas, "
          f"{scalar('SELECT count(*) FROM stats_funddelta'):,} fund deltas, "
          f"{scalar('SELECT count(*) FROM stats_duedelta'):,} due-day deltas")


def _rows(sql: str, params=None) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def measure(args, today: dt.date) -> bool:
    from bangfu.stats import rollup
    from bangfu.stats.views import dashboard_context

    levels = pick_levels()
    year = today.year
    print(f"bangfu/stats as imported for the measurements: sha256 {stats_code_digest()} (the triggers are the ones "
          f"installed when the database was built)")
    users = {level: make_user(level, org) for level, org in levels.items()}
    for level, org in levels.items():
        households = scalar("SELECT count(*) FROM registry_household h JOIN orgs_org o ON o.id = h.org_id "
                            "WHERE o.path LIKE %s", [org.path + "%"])
        print(f"level {level}: {org.name} (path {org.path}, {households:,} households in its subtree)")
    exact = True
    results: dict[str, dict] = {}
    rollup.compact()  # the state the scheduled compaction leaves (an earlier --reuse run may have left deltas)
    rollup.vacuum_deltas()
    print(f"-- compacted rollups (no pending deltas); target p95 ≤ {TARGET_MS:.0f} ms")
    for level, org in levels.items():
        user = users[level]
        dash_p95 = measure_level(args, level, org, user, today, "", args.explain)
        base_times = timed(lambda org=org: baseline_numbers(org, year, today), args.baseline_runs, warm=1)
        base_p95 = line(f"baseline: plain ORM aggregation ({level})", base_times)
        same = compare(level, dashboard_numbers(dashboard_context(user, org, today)),
                       baseline_numbers(org, year, today))
        exact &= same
        print(f"ratio baseline p95 / dashboard p95 ({level}): {base_p95 / dash_p95:.1f}x; "
              f"exact: {'yes' if same else 'NO'}")
        results[level] = {"dashboard": dash_p95, "baseline": base_p95}
    for level in levels:
        render_page(level, users[level])
    tracemalloc.start()
    dashboard_context(users["national"], levels["national"], today)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak Python memory of one national dashboard call: {peak / 1024:.0f} KiB (tracemalloc)")

    print("-- with pending deltas (not yet compacted)")
    pending_changes(args, levels["province"], today)
    expected = {}
    for level, org in levels.items():
        measure_level(args, level, org, users[level], today, ", pending deltas", args.explain)
        expected[level] = baseline_numbers(org, year, today)
        same = compare(level, dashboard_numbers(dashboard_context(users[level], org, today)), expected[level])
        exact &= same
        print(f"  exact with pending deltas ({level}): {'yes' if same else 'NO'}")
    started = time.perf_counter()
    folded = rollup.compact()
    print(f"stats.rollup.compact() of {folded:,} pending deltas: {(time.perf_counter() - started) * 1000:.0f} ms")
    started = time.perf_counter()
    rollup.vacuum_deltas()
    print(f"stats.rollup.vacuum_deltas() after it (as the scheduled task does): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    for level, org in levels.items():
        same = compare(level, dashboard_numbers(dashboard_context(users[level], org, today)), expected[level])
        exact &= same
        print(f"  exact after compaction ({level}): {'yes' if same else 'NO'}")
    return exact


def describe_database() -> None:
    sizes = _rows("""SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c
        WHERE c.relname IN ('registry_household', 'registry_member', 'registry_householdcause',
                            'helpers_helperassignment', 'helpers_visit', 'funds_ledgerentry', 'stats_householdspan',
                            'stats_householdrollup', 'stats_householdflow', 'stats_fundrollup',
                            'stats_householddue', 'stats_duerollup')
        ORDER BY c.relname""")
    print("tables: " + "; ".join(f"{name} {rows:,} rows {size / 2**20:,.0f} MB" for name, rows, size in sizes))


def stats_code_digest() -> str:
    """Which version of bangfu/stats was measured (another engineer edits it concurrently)."""
    digest = hashlib.sha256()
    for path in sorted((HERE.parent / "bangfu" / "stats").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def main(argv=None):
    args = parse_args(argv)
    url = args.database_url
    if not url or not url.startswith("postgres"):
        raise SystemExit("--database-url is required: a PostgreSQL database whose name contains 'bench' "
                         "(the triggers and rollups are measured on PostgreSQL)")
    load = os.getloadavg()
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    provinces, cities, counties, grassroots = tree_shape(args)
    settings = {name: scalar(f"SHOW {name}") for name in ("shared_buffers", "work_mem", "jit")}
    print(f"stats dashboard benchmark: households={args.households:,} members_per_household="
          f"{args.members_per_household} ledger_rows={args.ledger_rows:,} tree={provinces} provinces x {cities} "
          f"cities x {counties} counties, {grassroots:,} grassroots unions, seed={args.seed} runs={args.runs} "
          f"baseline_runs={args.baseline_runs} pending={args.pending:,} today={today} "
          f"database={connection.settings_dict['NAME']} (PostgreSQL {connection.pg_version // 10000}, "
          + ", ".join(f"{k} {v}" for k, v in settings.items()) + f"); bangfu/stats sha256 {stats_code_digest()}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if not args.reuse:
        started = time.perf_counter()
        skip_overlong_codes()
        call_command("migrate", verbosity=0)
        call_command("load_divisions", verbosity=0)
        print(f"migrate + divisions: {time.perf_counter() - started:.1f} s (not part of the build figure)")
        started = time.perf_counter()
        info = build(args, today)
        ledger = info["ledger"]
        print(f"built in {time.perf_counter() - started:.1f} s: {info['orgs']:,} unions ({info['grassroots']:,} "
              f"grassroots), {info['households']:,} households, {info['members']:,} members, "
              f"{info['causes']:,} causes, "
              f"{info['assignments']:,} helper assignments, {info['visits']:,} visits; ledger {ledger['year']}: "
              f"{ledger['entries']:,} entries (requested {args.ledger_rows:,}) in {ledger['transactions']:,} balanced "
              f"transactions ({ledger['tranches']:,} budgets and allocations, {ledger['payments']:,} payments of which "
              f"{ledger['settled']:,} settled); compact() folded {info['folded']:,} deltas")
    describe_database()
    load = os.getloadavg()
    print(f"load average before measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    exact = measure(args, today)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {rss:.0f} MB max RSS of the benchmark process (build and measurements)")
    print(f"exact: {'yes' if exact else 'NO'} (every household and fund figure equal to the baseline's, at every "
          f"level, compacted, with pending deltas and after compaction)")
    if not exact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
