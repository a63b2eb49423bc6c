"""Benchmark: the fund usage report over 1,000,000 ledger rows, against the plain ORM aggregation of the entries.

    .venv/bin/python bench/funds_report.py --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench_funds
    .venv/bin/python bench/funds_report.py --rows 20000 --cities 2 --counties 3 --grassroots 4 \\
        --database-url sqlite:////tmp/bench_funds.sqlite3
    .venv/bin/python bench/funds_report.py --database-url postgres://… --reuse --explain

The database named by --database-url is the benchmark's own: it is dropped and re-created (its name must
contain "bench"), migrated, and filled (deterministic seed) with a union tree national → 1 province →
C cities → K counties each → G grassroots unions each (default 10 × 10 × 10: 1,111 unions), H active
households per grassroots union, and N ledger rows of one budget year in balanced transactions of the
shapes the services write:

* budgets: the province receives, at the start of each quarter, each (source, category) its subtree needs;
* allocations: province → cities → counties → grassroots unions, one tranche per quarter and account,
  a few days later at each level, covering the quarter's approvals below (so no balance ever goes negative);
* payments, by counties and grassroots unions, each from a few (source, category) accounts: final approval
  (available → reserved) then the bank's answer 1-25 days later (95 paid, 3 failed back to available, 2 in
  100 cancelled: released) — a December approval may be settled in January of the next year.

Rows are written with COPY (PostgreSQL) or executemany (SQLite); then `Balance` and `MonthlyTotal` are
built from the entries with INSERT … SELECT … GROUP BY (what `ledger.verify` recomputes), and ANALYZE.

Measured, warm, median of --reps runs:

* the project's way: `bangfu.funds.reports.usage_report` for the province (all its cities, its own row,
  total, pivots by source and category) for the whole year — the monthly cache joined to the union tree,
  plus the failed / released entries; also for one quarter and for one city;
* the baseline: the plain ORM aggregation over `LedgerEntry` (filtered by the province's path and the
  dates, grouped by child union, source and category, with the transaction kinds) producing the same
  figures; every figure of both is asserted equal.

Target (issue 5): the report ≤ 200 ms on PostgreSQL at 1,000,000 rows. No figure is asserted; the run
prints them, the ratio and the peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

SETTLE_OUTCOMES = (("pay", 95), ("fail", 3), ("release", 2))
AMOUNTS = {  # yuan, (low, high): what one payment of each category typically is
    "living": (500, 3000), "medical": (1000, 8000), "school": (1000, 5000), "legal": (500, 3000),
    "training": (300, 2000), "job": (200, 1000), "festive": (200, 1000),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ledger rows (entries) to write")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--year", type=int, default=2025, help="the budget year of the data")
    parser.add_argument("--cities", type=int, default=10)
    parser.add_argument("--counties", type=int, default=10, help="per city")
    parser.add_argument("--grassroots", type=int, default=10, help="per county")
    parser.add_argument("--households", type=int, default=30, help="per grassroots union")
    parser.add_argument("--reps", type=int, default=15, help="timed runs of the report")
    parser.add_argument("--baseline-reps", type=int, default=5, help="timed runs of the baseline")
    parser.add_argument("--reuse", action="store_true", help="measure an already built benchmark database")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the report's queries")
    parser.add_argument("--verify", action="store_true", help="run ledger.verify() on the built data (slow)")
    return parser.parse_args(argv)


# --- the plan: who pays what, when --------------------------------------------------------------------------


def _tree(args, root_path: str):
    """[(path, depth, numchild, level, kind)] of the benchmark's tree under a new national root."""
    from bangfu.orgs.models import Org

    def child(parent: str, depth: int, i: int) -> str:
        return Org._get_path(parent, depth, i)

    province = child(root_path, 2, 1)
    nodes = [(root_path, 1, 1, 0, "federation"), (province, 2, args.cities, 1, "federation")]
    for c in range(1, args.cities + 1):
        city = child(province, 3, c)
        nodes.append((city, 3, args.counties, 2, "federation"))
        for k in range(1, args.counties + 1):
            county = child(city, 4, k)
            nodes.append((county, 4, args.grassroots, 3, "federation"))
            for g in range(1, args.grassroots + 1):
                nodes.append((child(county, 5, g), 5, 0, 4, "enterprise"))
    return province, nodes


def _quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year, 3 * quarter + 1, 1)


def plan_payments(args, rng, payers, accounts, households_of, count: int):
    """`count` payments: (payer path, account index, household id, fen, approved on, outcome, settled on)."""
    payments = []
    for _ in range(count):
        payer = payers[rng.randrange(len(payers))]
        account = rng.choice(accounts[payer])
        quarter = rng.randrange(4)
        approved = _quarter_start(args.year, quarter) + dt.timedelta(days=5 + rng.randrange(80))
        outcome = rng.choices([o for o, _w in SETTLE_OUTCOMES], [w for _o, w in SETTLE_OUTCOMES])[0]
        settled = approved + dt.timedelta(days=1 + rng.randrange(25))
        low, high = AMOUNTS[account[1]]
        fen = rng.randrange(low // 10, high // 10 + 1) * 1000
        homes = households_of[payer]
        payments.append((payer, account, homes[rng.randrange(len(homes))], fen, approved, outcome, settled, quarter))
    return payments


def plan_tranches(args, payments, parent_of, province: str):
    """Allocations down the tree and the province's budgets covering every quarter's approvals.

    Returns [(kind, from path, to path, account, fen, posted on)] in posting order (budgets first).
    """
    need: dict[tuple, int] = {}  # (path, account, quarter) -> fen its own approvals and its children need
    for payer, account, _h, fen, _a, _o, _s, quarter in payments:
        need[(payer, account, quarter)] = need.get((payer, account, quarter), 0) + fen
    tranches = []
    # Bottom-up: a union's tranche is its need plus a margin, rounded up to 100 yuan; its parent needs that.
    for depth in (5, 4, 3):
        for (path, account, quarter), fen in sorted(need.items()):
            if len(path) // 4 != depth:
                continue
            amount = -(-int(fen * 1.05) // 10_000) * 10_000
            parent = parent_of[path]
            posted = _quarter_start(args.year, quarter) + dt.timedelta(days=depth - 2)  # 1, 2, 3 days after
            tranches.append(("allocation", parent, path, account, amount, posted))
            need[(parent, account, quarter)] = need.get((parent, account, quarter), 0) + amount
    for (path, account, quarter), fen in sorted(need.items()):
        if path == province:
            amount = -(-int(fen * 1.02) // 10_000) * 10_000
            tranches.append(("budget", None, province, account, amount, _quarter_start(args.year, quarter)))
    tranches.sort(key=lambda t: (t[5], t[0] != "budget", len(t[2])))
    return tranches


# --- writing ------------------------------------------------------------------------------------------------


def build(args) -> dict:
    """Write the tree, households, transactions, entries and the caches. Returns what `measure` needs."""
    from django.db import connection, transaction
    from django.db.models import Max

    from bangfu.funds.models import AidCategory, FundSource, LedgerEntry, LedgerTransaction
    from bangfu.orgs.models import Division, Org
    from bangfu.registry.models import Household

    rng = random.Random(args.seed)
    roots = list(Org.objects.filter(depth=1).order_by("-path").values_list("path", flat=True)[:1])
    root_path = Org._get_path(None, 1, Org._str2int(roots[0]) + 1 if roots else 1)
    tag = f"FB{args.seed % 10000}-{root_path}"
    province, nodes = _tree(args, root_path)
    divisions = {level: list(Division.objects.filter(level=level, is_current=True).order_by("code")
                             .values_list("code", flat=True)) for level in (1, 2, 3)}
    org_rows = []
    for i, (path, depth, numchild, level, kind) in enumerate(nodes):
        division = "440000" if level <= 1 else divisions[min(level, 3)][i % len(divisions[min(level, 3)])]
        names = {0: "全国（基准）", 1: "省总工会（基准）", 2: f"市总工会{i}", 3: f"区县总工会{i}"}
        name = names.get(level, f"基层工会{i}")
        org_rows.append((path, depth, numchild, f"{tag}-{i}", name, level, kind, division))
    org_columns = ["path", "depth", "numchild", "code", "name", "level", "kind", "division_id"]
    org_defaults = defaults_for(Org, set(org_columns))
    started = time.perf_counter()
    with transaction.atomic():
        insert_rows(Org, [*org_columns, *org_defaults], ((*row, *org_defaults.values()) for row in org_rows))
        org_ids = dict(Org.objects.filter(path__startswith=root_path).values_list("path", "pk"))
        division_of = {path: division for path, *_rest, division in org_rows}

        grassroots = [path for path, depth, *_ in nodes if depth == 5]
        now = dt.datetime(args.year, 1, 1, tzinfo=dt.UTC)
        hh_columns = ["org_id", "archive_number", "archive_level", "state", "division_id", "head_name_masked",
                      "household_size", "created_at", "updated_at"]
        hh_defaults = defaults_for(Household, set(hh_columns))
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
        insert_rows(Household, [*hh_columns, *hh_defaults], (
            (org_ids[path], f"{tag}-{n:03d}-{h:03d}", 4, "active", division_of[path], rng.choice(surnames) + "*",
             rng.randrange(1, 6), now, now, *hh_defaults.values())
            for n, path in enumerate(grassroots) for h in range(args.households)))
        homes = dict.fromkeys(grassroots)
        for pk, path in Household.objects.filter(org__path__startswith=root_path).values_list("pk", "org__path"):
            homes[path] = (homes[path] or []) + [pk]
        counties = [path for path, depth, *_ in nodes if depth == 4]
        households_of = {path: homes[path] for path in grassroots}
        for county in counties:
            households_of[county] = [pk for path in grassroots if path.startswith(county) for pk in homes[path]]

        sources = {s.code: s.pk for s in FundSource.objects.all()}
        all_accounts = [(sources[s.code], c) for s in FundSource.objects.all() for c in AidCategory.values
                        if c in (s.allowed_categories or [])]
        payers = counties + grassroots
        accounts = {p: rng.sample(all_accounts, 6 if len(p) // 4 == 4 else 3) for p in payers}
        parent_of = {path: path[:-4] for path, *_ in nodes}

        # Two passes: the tranches depend on the payments, and both count towards N.
        estimate = max(1, args.rows // 4)
        payments = plan_payments(args, random.Random(args.seed + 1), payers, accounts, households_of, estimate)
        overhead = 2 * len(plan_tranches(args, payments, parent_of, province))
        count = max(1, (args.rows - overhead) // 4)
        payments = plan_payments(args, random.Random(args.seed + 1), payers, accounts, households_of, count)
        tranches = plan_tranches(args, payments, parent_of, province)

        first_txn = (LedgerTransaction.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        first_entry = (LedgerEntry.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        events = [(t[5], 0, i) for i, t in enumerate(tranches)]
        for i, p in enumerate(payments):
            events.append((p[4], 1, i))
            events.append((p[6], 2, i))
        events.sort()  # by date; on one day budgets and allocations (0) before approvals (1) before results (2)
        stream = LedgerStream(args.year, org_ids, tranches, payments, events, first_txn, first_entry)
        planned = time.perf_counter() - started
        written_started = time.perf_counter()
        checks_off = _without_row_triggers()
        txn_columns = ["id", "kind", "org_id", "year", "memo", "reverses_id", "reason", "disbursement_id",
                       "created_by_id", "created_at"]
        transactions = insert_rows(LedgerTransaction, txn_columns, stream.transactions())
        entry_columns = ["id", "transaction_id", "org_id", "source_id", "year", "category", "bucket", "amount_fen",
                         "household_id", "posted_on"]
        entries = insert_rows(LedgerEntry, entry_columns, stream.entries())
        if checks_off:
            _check_references(first_txn)
        written = time.perf_counter() - written_started
        caches_started = time.perf_counter()
        build_caches(first_txn)
        caches = time.perf_counter() - caches_started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("funds_ledgertransaction", "funds_ledgerentry"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute("ANALYZE")
    return {
        "province": province, "root": root_path, "orgs": len(nodes), "households": len(grassroots) * args.households,
        "payments": len(payments), "tranches": len(tranches), "transactions": transactions, "entries": entries,
        "plan_s": planned, "write_s": written, "caches_s": caches, "checks_off": checks_off,
        "outcomes": {o: sum(1 for p in payments if p[5] == o) for o, _w in SETTLE_OUTCOMES},
        "next_year": sum(1 for p in payments if p[6].year > args.year),
    }


def _without_row_triggers() -> bool:
    """PostgreSQL: skip the per-row foreign-key triggers while COPY writes the ledger (a superuser's
    `session_replication_role = replica`, for this transaction only); `_check_references` then checks every
    reference of the new rows at once. False (rows checked one by one as usual) where that is not allowed."""
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def _check_references(first_txn: int) -> None:
    """Every new entry and transaction points at rows that exist (set-based anti-joins, what the skipped
    foreign-key triggers would have checked row by row)."""
    from django.db import connection

    checks = {
        "entry -> transaction": "funds_ledgerentry e LEFT JOIN funds_ledgertransaction r ON r.id = e.transaction_id",
        "entry -> union": "funds_ledgerentry e LEFT JOIN orgs_org r ON r.id = e.org_id",
        "entry -> source": "funds_ledgerentry e LEFT JOIN funds_fundsource r ON r.id = e.source_id",
        "entry -> household": "funds_ledgerentry e LEFT JOIN registry_household r ON r.id = e.household_id",
    }
    with connection.cursor() as cursor:
        for label, joined in checks.items():
            extra = " AND e.household_id IS NOT NULL" if "household" in label else ""
            cursor.execute(f"SELECT COUNT(*) FROM {joined} WHERE e.transaction_id >= %s AND r.id IS NULL{extra}",  # noqa: S608
                           [first_txn])
            missing = cursor.fetchone()[0]
            if missing:
                raise RuntimeError(f"{missing} ledger rows with a dangling reference ({label})")
        cursor.execute("SELECT COUNT(*) FROM funds_ledgertransaction t LEFT JOIN orgs_org r ON r.id = t.org_id "
                       "WHERE t.id >= %s AND r.id IS NULL", [first_txn])
        if cursor.fetchone()[0]:
            raise RuntimeError("transactions with a dangling union")


class LedgerStream:
    """The transactions and entries of the plan, generated twice (once per table) instead of held in memory."""

    def __init__(self, year, org_ids, tranches, payments, events, first_txn, first_entry):
        self.year, self.org_ids, self.tranches, self.payments = year, org_ids, tranches, payments
        self.events, self.first_txn, self.first_entry = events, first_txn, first_entry

    def _postings(self):
        """(kind, acting union, posted on, legs) in posting order; a leg is (union, account, bucket, fen, home)."""
        for _on, what, i in self.events:
            if what == 0:
                kind, giver, taker, account, fen, posted = self.tranches[i]
                if kind == "budget":
                    yield kind, taker, posted, ((taker, account, "source", -fen, None),
                                                (taker, account, "available", fen, None))
                else:
                    yield kind, giver, posted, ((giver, account, "available", -fen, None),
                                                (taker, account, "available", fen, None))
                continue
            payer, account, home, fen, approved, outcome, settled, _quarter = self.payments[i]
            if what == 1:
                yield "reserve", payer, approved, ((payer, account, "available", -fen, home),
                                                   (payer, account, "reserved", fen, home))
            else:
                back = "paid" if outcome == "pay" else "available"
                yield outcome, payer, settled, ((payer, account, "reserved", -fen, home),
                                                (payer, account, back, fen, home))

    def transactions(self):
        for n, (kind, org, posted, _legs) in enumerate(self._postings()):
            yield (self.first_txn + n, kind, self.org_ids[org], self.year, "", None, "", None, None,
                   dt.datetime.combine(posted, dt.time(9), tzinfo=dt.UTC))

    def entries(self):
        entry = self.first_entry
        for n, (_kind, _org, posted, legs) in enumerate(self._postings()):
            for org, (source, category), bucket, fen, home in legs:
                yield (entry, self.first_txn + n, self.org_ids[org], source, self.year, category, bucket, fen, home,
                       posted)
                entry += 1


def build_caches(first_txn: int) -> None:
    """`Balance` and `MonthlyTotal` of the new entries, from the entries (set-based, as ledger.verify would)."""
    from django.db import connection

    month = ("date_trunc('month', posted_on)::date" if connection.vendor == "postgresql"
             else "date(posted_on, 'start of month')")
    keys = "org_id, source_id, year, category, bucket"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO funds_balance ({keys}, amount_fen) SELECT {keys}, SUM(amount_fen) "  # noqa: S608
            f"FROM funds_ledgerentry WHERE transaction_id >= %s GROUP BY {keys}", [first_txn])
        cursor.execute(
            f"INSERT INTO funds_monthlytotal ({keys}, month, amount_fen, entry_count, credit_fen) "  # noqa: S608
            f"SELECT {keys}, {month}, SUM(amount_fen), COUNT(*), "
            f"SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END) FROM funds_ledgerentry "
            f"WHERE transaction_id >= %s GROUP BY {keys}, {month}", [first_txn])


# --- measuring ----------------------------------------------------------------------------------------------


def _timed(function, reps: int, warm: int = 2) -> tuple[list[float], object]:
    result = None
    for _ in range(warm):
        result = function()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def _timed_together(functions: dict, reps: int, say, warm: int = 2) -> dict[str, float]:
    """Median ms of each function, run in turns (one run of each per round), so that the load of a shared
    machine weighs on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for round_ in range(warm + reps):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            if round_ >= warm:
                times[name].append((time.perf_counter() - started) * 1000)
    return {name: _line(name, values) if say is not None else statistics.median(values)
            for name, values in times.items()}


def _line(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(f"{label}: median {median:.1f} ms (n={len(times)}, min {min(times):.1f}, max {max(times):.1f} ms)")
    return median


def _rows(report) -> list:
    return [(r.label, r.figures()) for r in [report.own, *report.children, report.total, *report.by_source,
                                             *report.by_category]]


def _explain(function) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        function()
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            sql = query["sql"]
            if "funds_" not in sql:
                continue
            print("   ", sql[:160], "...")
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql"
                            else "EXPLAIN QUERY PLAN ") + sql)
            for row in cursor.fetchall():
                print("      ", " ".join(str(c) for c in row))


def measure(args, info: dict, quiet: bool = False) -> dict:
    """Time the report and the baseline; assert they agree figure by figure. Returns the figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bangfu.accounts.models import User, UserRole
    from bangfu.funds.reports import Period, _approved, _bucket_sums, assemble, baseline_cells, usage_report
    from bangfu.orgs.models import Org

    say = (lambda *a: None) if quiet else print
    say_lines = None if quiet else say
    province = Org.objects.get(path=info["province"])
    city = Org.objects.filter(path__startswith=province.path, depth=province.depth + 1).order_by("path").first()
    stamp = f"{int(time.time() * 1000) % 10**9}"
    user = User.objects.create_user(username=f"bench_funds_{stamp}", password=None, org=province, kind="staff",
                                    full_name="bench", must_change_password=False)
    UserRole.objects.create(user=user, role="fund_manager")
    whole, quarter = Period(args.year), Period(args.year, 4, 6)
    results: dict = {}
    cases = [("province, whole year", province, whole), ("province, months 4-6", province, quarter),
             ("one city, whole year", city, whole)]
    timed = {f"usage report ({label}), project's way": (lambda org=org, period=period: usage_report(user, org, period))
             for label, org, period in cases}
    # Where the time goes: the cache sums (Balance / MonthlyTotal) and the approvals (money into `reserved`).
    for label, period in (("whole year", whole), ("months 4-6", quarter)):
        timed[f"  of which the cache sums (province, {label})"] = (
            lambda period=period: _bucket_sums(user, province, period, {}))
        timed[f"  of which the approvals (province, {label})"] = (
            lambda period=period: _approved(user, province, period, {}))
    medians = _timed_together(timed, args.reps, say_lines)
    for (label, org, period), name in zip(cases, timed, strict=False):
        results[label] = medians[name]
        report = usage_report(user, org, period)
        baseline = assemble(org, period, baseline_cells(org, period))
        assert _rows(report) == _rows(baseline), f"the report and the baseline disagree ({label})"
        results[f"{label} report"] = report
    with CaptureQueriesContext(connection) as ctx:
        report = usage_report(user, province, whole)
    say(f"queries per report: {len(ctx.captured_queries)}")
    times, baseline = _timed(lambda: assemble(province, whole, baseline_cells(province, whole)), args.baseline_reps,
                             warm=1)
    base = _line("baseline: plain ORM aggregation over LedgerEntry (province, whole year)", times) if not quiet \
        else statistics.median(times)
    assert _rows(report) == _rows(baseline)
    results["baseline"] = base
    ratio = base / results["province, whole year"]
    say(f"ratio baseline / report: {ratio:.1f}x; figures identical: yes ({len(_rows(report))} rows x 9 figures)")
    tracemalloc.start()
    usage_report(user, province, whole)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    say(f"peak Python memory of one report: {peak / 1024:.0f} KiB (tracemalloc)")
    total = report.total.figures()
    say("province totals (yuan): " + ", ".join(f"{k} {v / 100:,.2f}" for k, v in total.items() if v is not None))
    if args.explain and not quiet:
        print("EXPLAIN of the report's queries (province, whole year):")
        _explain(lambda: usage_report(user, province, whole))
    results["ratio"] = ratio
    return results


def main(argv=None):
    args = parse_args(argv)
    url = args.database_url
    if not url:
        raise SystemExit("--database-url is required (a database whose name contains 'bench')")
    if url.startswith("sqlite") and args.rows > 200_000:
        raise SystemExit("SQLite is for smoke runs only (≤ 200,000 rows); use PostgreSQL for the full size")
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    generator = ("(--reuse: the data already in the database)" if args.reuse else
                 f"rows={args.rows} seed={args.seed} year={args.year} tree=1 province x {args.cities} cities x "
                 f"{args.counties} counties x {args.grassroots} grassroots, households={args.households}/grassroots")
    print(f"funds report benchmark: {generator}, reps={args.reps} baseline_reps={args.baseline_reps} "
          f"database={connection.vendor} {connection.settings_dict['NAME']}")
    if not args.reuse:
        started = time.perf_counter()
        skip_overlong_codes()
        call_command("migrate", verbosity=0)
        call_command("load_divisions", verbosity=0)
        print(f"migrate + reference data: {time.perf_counter() - started:.1f} s (not part of the build figure)")
        info = build(args)
        print(f"tree: {info['orgs']} unions; {info['households']} households; {info['payments']} payments "
              f"({info['outcomes']}; {info['next_year']} settled in the next year), {info['tranches']} budgets and "
              f"allocations")
        print(f"ledger: {info['transactions']:,} transactions, {info['entries']:,} entries (requested {args.rows:,})")
        checks = ("references checked set-based after COPY" if info["checks_off"]
                  else "foreign keys checked row by row")
        print(f"build: plan {info['plan_s']:.1f} s; write {info['write_s']:.1f} s "
              f"({info['entries'] / info['write_s']:,.0f} entries/s with their transactions; {checks}); "
              f"Balance + MonthlyTotal by INSERT ... SELECT ... GROUP BY {info['caches_s']:.1f} s")
    else:
        from bangfu.orgs.models import Org

        root = Org.objects.filter(depth=1, code__startswith="FB").order_by("-path").first()
        if root is None:
            raise SystemExit("no benchmark tree in this database: run without --reuse first")
        info = {"province": Org.objects.filter(path__startswith=root.path, depth=2).first().path}
        from bangfu.funds.models import LedgerEntry

        args.year = LedgerEntry.objects.filter(org__path__startswith=root.path).values_list("year", flat=True)[:1][0]
    from bangfu.funds.models import LedgerEntry, MonthlyTotal

    print(f"rows in the database: {LedgerEntry.objects.count():,} ledger entries, "
          f"{MonthlyTotal.objects.count():,} monthly totals")
    if args.verify:
        from bangfu.funds import ledger

        started = time.perf_counter()
        problems = ledger.verify()
        print(f"ledger.verify(): {len(problems)} problems ({time.perf_counter() - started:.1f} s)")
    measure(args, info)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {rss:.0f} MB max RSS of the benchmark process (build and measurements)")


if __name__ == "__main__":
    main()
