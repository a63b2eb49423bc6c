"""Benchmark: a matching round of R requests against O offers, each request eligible for about K offers, total
capacity below demand and values that differ by offer (issue 7; targets on PostgreSQL: 100,000 × 10,000 in
≤ 10 s for pair building plus solve; a national round of 1,000,000 × 100,000 in ≤ 120 s).

    .venv/bin/python bench/services_matching.py --requests 100000 --offers 10000 --per-request 30 \\
        --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench_matching
    .venv/bin/python bench/services_matching.py --requests 1000000 --offers 100000 --per-request 30 \\
        --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench_matching_national
    .venv/bin/python bench/services_matching.py --requests 5000 --offers 500 \\
        --database-url sqlite:////tmp/bench_matching.sqlite3                     # smoke size

Set-up (not timed): the database named by --database-url is dropped and re-created (its name must contain
"bench"), migrated and filled (deterministic --seed): the union tree and R households with their heads (the
registry benchmark's builder: need scores uniform in 0–100, six categories), I menu items, verified providers,
O published offers (area: a county for 80 %, its city for 15 %, its province for 5 %; a third restricted to
three categories, a tenth to an age band; capacity 1–12; value per unit 0.4–2.2 × the item's reference value,
so the value factor differs by offer) and R open requests (one per household, 1–2 units, urgency 1–3, random
arrival order). I is chosen so that a request has about K eligible offers; the real mean is printed.

Timed (the project's code, `bangfu.services.matching`):
  1. pair building: open requests, offers with free capacity, every eligible pair with its unit weight — one
     set-based SQL query each, read into numpy (COPY on PostgreSQL);
  2. solve: the exact maximum-weight allocation (OR-Tools min-cost flow);
  3. baseline on the same instance: greedy first-come-first-served (each request in arrival order takes its best
     remaining offers) — its total weight and units against the optimum's;
  4. with --write: the whole `round_solve` (building, solving, explanations and writing matches and per-request
     outcomes in one transaction).
Prints the parameters, each phase's time, total weight and units of both, their ratio and the peak memory (RSS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from registry_list import build as build_registry  # noqa: E402
from registry_list import defaults_for, insert_rows, recreate_database, setup_django  # noqa: E402

CATEGORIES = ["A_dibao", "A_marginal", "A_accident", "B_deep", "B_relative", "none"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--per-request", type=int, default=30, help="eligible offers per request (about)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--reuse", action="store_true", help="measure an already built benchmark database")
    parser.add_argument("--write", action="store_true", help="also time the whole round_solve with its writes")
    return parser.parse_args(argv)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(args) -> dict:
    from django.db import connection, transaction

    from bangfu.orgs.models import Org
    from bangfu.registry.models import Household, Member
    from bangfu.services.models import Offer, Provider, ServiceItem, ServiceRequest

    registry = build_registry(argparse.Namespace(households=args.requests, seed=args.seed))
    rng = random.Random(args.seed + 1)
    counties = list(Org.objects.filter(level=3).values_list("pk", "path"))
    parents = dict(Org.objects.filter(level__in=(1, 2)).values_list("path", "pk"))
    cities = Org.objects.filter(level=2).count()
    provinces = Org.objects.filter(level=1).count()
    # A request sees the offers of its item placed at its county, city and province: per item that is
    # O × (0.8/counties + 0.15/cities + 0.05/provinces); about 79 % of them pass the category and age rules.
    candidates_per_item = args.offers * (0.8 / len(counties) + 0.15 / cities + 0.05 / provinces)
    items = max(1, round(candidates_per_item * 0.79 / args.per_request))
    with transaction.atomic():
        for i in range(items):
            ServiceItem.objects.create(code=f"bench-{i}", name=f"基准服务{i}", kind="training", unit="seat",
                                       reference_value=1000)
        item_ids = list(ServiceItem.objects.values_list("pk", flat=True))
        provider_org = Org.objects.filter(level=0).first()
        providers = [Provider.objects.create(org=provider_org, name=f"基准提供方{p}", kind="company",
                                             contact_name="李四", contact_phone="13800138000", state="verified")
                     for p in range(50)]
    today = dt.date.today()
    offer_columns = ["provider_id", "item_id", "title", "description", "area_org_id", "capacity", "unit_value",
                     "certificate", "valid_from", "valid_until", "categories", "causes", "work_statuses",
                     "min_age", "max_age", "category_key", "cause_key", "work_status_key", "fit_factor", "state",
                     "created_at"]
    offer_defaults = defaults_for(Offer, set(offer_columns))
    now = dt.datetime.now(dt.UTC)

    def offers():
        for n in range(args.offers):
            county_id, county_path = counties[rng.randrange(len(counties))]
            spot = rng.random()
            area = county_id if spot < 0.8 else parents[county_path[:12]] if spot < 0.95 else parents[county_path[:8]]
            cats = sorted(rng.sample(CATEGORIES, 3)) if rng.random() < 1 / 3 else []
            low, high = (25, 45) if rng.random() < 0.1 else (None, None)
            value = round(1000 * rng.uniform(0.4, 2.2), 2)
            fit = min(max(round(value / 1000, 2), 0.5), 2.0)
            yield (providers[n % len(providers)].pk, item_ids[rng.randrange(len(item_ids))], f"基准培训{n}", "",
                   area, rng.randint(1, 12), value, "", today - dt.timedelta(days=5), today + dt.timedelta(days=60),
                   json.dumps(cats), "[]", "[]", low, high, f",{','.join(cats)}," if cats else "", "", "", fit,
                   "published", now, *offer_defaults.values())

    request_columns = ["household_id", "member_id", "item_id", "quantity", "urgency", "preferences", "via_portal",
                       "state", "submitted_at", "answer_due_at", "escalation_level", "answer_note", "fulfilment_note",
                       "declined_reason"]
    request_defaults = defaults_for(ServiceRequest, set(request_columns))
    heads = dict(Member.objects.filter(is_head=True).values_list("household_id", "pk"))
    household_ids = list(Household.objects.values_list("pk", flat=True))

    def requests():
        for hid in household_ids:
            at = now - dt.timedelta(seconds=rng.randrange(30 * 86400))
            yield (hid, heads[hid], item_ids[rng.randrange(len(item_ids))], rng.randint(1, 2), rng.randint(1, 3), "",
                   True, "submitted", at, at + dt.timedelta(hours=72), 0, "", "", "", *request_defaults.values())

    with transaction.atomic():
        insert_rows(Offer, [*offer_columns, *offer_defaults], offers())
        insert_rows(ServiceRequest, [*request_columns, *request_defaults], requests())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"items": items, "counties": len(counties), "orgs": registry["orgs"]}


def measure(args, info: dict) -> None:
    import numpy as np
    from django.utils import timezone

    from bangfu.orgs.models import Org
    from bangfu.services.matching.pairs import build_instance
    from bangfu.services.matching.solver import greedy_first_come, solve

    root = Org.objects.filter(level=0).first()
    weights = (1, 2, 4)
    today = timezone.localdate()
    started = time.perf_counter()
    instance = build_instance(root.path, today, weights)
    built = time.perf_counter()
    allocation = solve(instance)
    solved = time.perf_counter()
    greedy = greedy_first_come(instance)
    greedy_done = time.perf_counter()
    per_request = np.bincount(instance.pair_request, minlength=instance.request_ids.size)
    print(f"instance: {instance.request_ids.size:,} requests ({int(instance.request_units.sum()):,} units wanted), "
          f"{instance.offer_ids.size:,} offers ({int(instance.offer_units.sum()):,} units of capacity), "
          f"{instance.pair_count:,} eligible pairs; eligible offers per request: mean {per_request.mean():.1f}, "
          f"median {int(np.median(per_request))}, none {int((per_request == 0).sum()):,}; "
          f"items {info.get('items', '?')}, counties {info.get('counties', '?')}")
    print(f"pair building (SQL + read into numpy): {built - started:.2f} s "
          f"(read {instance.seconds['read']:.2f} s, index {instance.seconds['index']:.2f} s)")
    print(f"solve (min-cost flow, exact): {solved - built:.2f} s")
    print(f"pair building + solve: {solved - started:.2f} s")
    print(f"optimum: weight {allocation.total_weight:,}, units {allocation.total_units:,}")
    print(f"greedy first-come (baseline, {greedy_done - solved:.2f} s): weight {greedy.total_weight:,}, "
          f"units {greedy.total_units:,}")
    print(f"ratio optimum / greedy: weight {allocation.total_weight / max(greedy.total_weight, 1):.4f}, "
          f"units {allocation.total_units / max(greedy.total_units, 1):.4f}")
    print(f"peak RSS so far: {peak_mb():.0f} MB")
    if args.write:
        from bangfu.accounts.models import User
        from bangfu.services.actions.rounds import round_create, round_solve

        actor = User.objects.filter(org=root).first() or User.objects.create_user(
            username="bench-matcher", password="Solve-Round-2026!", org=root, kind="staff")
        from bangfu.accounts.models import UserRole

        UserRole.objects.get_or_create(user=actor, role="case_worker")
        match_round = round_create(actor, root)
        t0 = time.perf_counter()
        match_round = round_solve(actor, match_round)
        print(f"round_solve with writes (build, solve, greedy, explanations, {match_round.stats['units_allocated']:,} "
              f"units in matches, {match_round.stats['requests']:,} outcomes): {time.perf_counter() - t0:.2f} s")
        print(f"peak RSS: {peak_mb():.0f} MB")


def main(argv=None):
    args = parse_args(argv)
    if not args.database_url:
        raise SystemExit("--database-url is required (its database is dropped and re-created)")
    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    info: dict = {}
    if not args.reuse:
        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_divisions", verbosity=0)
        info = build(args)
        print(f"set-up (not timed): {time.perf_counter() - t0:.1f} s")
    print(f"parameters: requests {args.requests:,}, offers {args.offers:,}, eligible offers per request ≈ "
          f"{args.per_request}, seed {args.seed}")
    measure(args, info)


if __name__ == "__main__":
    main()
