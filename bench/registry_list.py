"""Benchmark: the household list and the ID search at 1,000,000 archives, against Django admin's changelist.

    .venv/bin/python bench/registry_list.py --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench
    .venv/bin/python bench/registry_list.py --households 2000 --database-url sqlite:////tmp/bench.sqlite3

The database named by --database-url is the benchmark's own: it is dropped and re-created (its name
must contain "bench"), migrated, and filled with a deterministic union tree (national → provinces →
cities → counties → grassroots) and N households, each with its head as a member row whose ID number
is generated, hashed (HMAC) and encrypted (AES-GCM) inside the timed build, then written with COPY
(PostgreSQL) or executemany (SQLite). SQLite is refused above 50,000 households.

Then it measures server time — Django's test Client through the whole middleware stack, so session,
authentication, scoping, the view, the template and the access-log write are all inside the window —
as a grassroots, a city and the national case worker:

* the list's first page, and next pages reached by following the keyset "next" link;
* the ID search (a full ID number typed into the search box; normalised and hashed by the view);
* the number of queries per page at page sizes 25 and 100 (must be equal);
* the baseline: Django admin's changelist of the same rows (`/admin/registry/household/`) as a
  superuser of the same org, whose admin queryset is the same subtree.

Targets (issue 3): list p95 ≤ 50 ms, ID search p95 ≤ 10 ms at every level.
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
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏辉建国志强海燕文"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--reps", type=int, default=60, help="timed requests per figure")
    parser.add_argument("--admin-reps", type=int, default=20, help="timed requests per admin figure")
    parser.add_argument("--reuse", action="store_true", help="measure an already built benchmark database")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the list queries")
    return parser.parse_args(argv)


# --- database set-up --------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        if path.exists():
            path.unlink()
        return
    name = parsed.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    import psycopg

    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings")
    os.environ.setdefault("TASK_BACKEND", "immediate")
    # Measure what a server runs: DEBUG off, hence Django's cached template loader (with DEBUG on,
    # every request re-reads and re-parses every template).
    os.environ.setdefault("DJANGO_DEBUG", "false")
    # Fixed keys of the benchmark (not the checkout's dev keys under var/), so a database built in one
    # run can be measured again with --reuse from any checkout. Illustrative keys: never used elsewhere.
    os.environ.setdefault("BANGFU_HASH_KEY", "bench-only-hash-key-not-a-secret-000000000")
    os.environ.setdefault("BANGFU_FIELD_KEYS", "YmVuY2gtb25seS1maWVsZC1rZXktbm90LXNlY3JldCE=")
    import django

    django.setup()


# --- data generation --------------------------------------------------------------------------------------


def tree_shape(n: int) -> tuple[int, int, int, int]:
    """(provinces, cities per province, counties per city, grassroots per county): ~32 archives per union."""
    if n >= 200_000:
        provinces, cities, counties = 31, 10, 5
    else:
        provinces, cities, counties = 3, 2, 2
    grassroots = max(1, round(n / 32 / (provinces * cities * counties)))
    return provinces, cities, counties, grassroots


def insert_rows(model, columns: list[str], rows) -> int:
    """Write rows (tuples in `columns` order) with COPY on PostgreSQL, executemany elsewhere."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join(["%s"] * len(columns))
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == 5000:
                    cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                count += len(batch)
    return count


def defaults_for(model, given: set[str]) -> dict[str, object]:
    """Database values of every other concrete column, from the field defaults (so that columns other
    helpers add to the model still get a value)."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    values = {}
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        if field.has_default() or field.default is not NOT_PROVIDED:
            value = field.get_default()
        elif field.null:
            value = None
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = dt.datetime.now(dt.UTC)
        else:
            value = field.get_default()
        values[field.column] = field.get_db_prep_save(value, connection)
    return values


def build(args) -> dict:
    """The union tree and N households with their heads. Returns what the measurements need."""
    from django.db import connection, transaction

    from bangfu.core import crypto
    from bangfu.core.identity import synthetic_resident_id
    from bangfu.core.masking import mask_id_number
    from bangfu.orgs.models import Division, Org
    from bangfu.registry.models import Household, Member
    from bangfu.registry.search import initials

    rng = random.Random(args.seed)
    provinces, cities, counties, per_county = tree_shape(args.households)
    county_divisions = list(Division.objects.filter(level=3, is_current=True).values_list("code", flat=True))
    city_divisions = list(Division.objects.filter(level=2, is_current=True).values_list("code", flat=True))
    prov_divisions = list(Division.objects.filter(level=1, is_current=True).values_list("code", flat=True))

    orgs = []  # (path, depth, numchild, code, name, level, kind, division)
    grassroots = []  # (path, division)
    orgs.append(("0001", 1, provinces, "BENCH", "全国总工会（基准）", 0, "federation", "110000"))
    for p in range(1, provinces + 1):
        p_path, p_div = f"0001{p:04d}", prov_divisions[(p - 1) % len(prov_divisions)]
        orgs.append((p_path, 2, cities, f"B{p}", f"省总工会{p}", 1, "federation", p_div))
        for c in range(1, cities + 1):
            c_path = f"{p_path}{c:04d}"
            c_div = city_divisions[(p * cities + c) % len(city_divisions)]
            orgs.append((c_path, 3, counties, f"B{p}-{c}", f"市总工会{p}-{c}", 2, "federation", c_div))
            for k in range(1, counties + 1):
                k_path = f"{c_path}{k:04d}"
                k_div = county_divisions[((p * cities + c) * counties + k) % len(county_divisions)]
                orgs.append((k_path, 4, per_county, f"B{p}-{c}-{k}", f"区总工会{p}-{c}-{k}", 3, "federation", k_div))
                for g in range(1, per_county + 1):
                    g_path = f"{k_path}{g:04d}"
                    orgs.append((g_path, 5, 0, f"B{p}-{c}-{k}-{g}", f"基层工会{p}-{c}-{k}-{g}", 4, "enterprise", k_div))
                    grassroots.append((g_path, k_div))
    org_columns = ["path", "depth", "numchild", "code", "name", "level", "kind", "division_id"]
    org_defaults = defaults_for(Org, set(org_columns))
    with transaction.atomic():
        insert_rows(Org, [*org_columns, *org_defaults], (
            (*row, *org_defaults.values()) for row in orgs))
    org_ids = dict(Org.objects.values_list("path", "pk"))
    grassroots_ids = [(org_ids[path], path, division) for path, division in grassroots]

    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    states = ["active"] * 14 + ["applied", "first_check", "home_visit", "public_notice", "exited", "refused"]
    categories = [("A_dibao", "deep"), ("A_marginal", "relative"), ("A_accident", "accident"),
                  ("B_deep", "deep"), ("B_relative", "relative"), ("none", "none")]
    name_initials = {ch: initials(ch) for ch in SURNAMES + GIVEN}

    hh_columns = ["id", "org_id", "archive_number", "archive_level", "state", "is_temporary_relief", "division_id",
                  "scheme", "category", "common_level", "need_score", "review_due_on", "head_name_masked",
                  "head_name_initials", "household_size", "created_at", "updated_at", "activated_on"]
    m_columns = ["household_id", "is_head", "relation", "name", "name_initials", "sex", "birth_date",
                 "document_type", "identity_number", "identity_hash", "identity_masked", "open_identity_hash",
                 "created_at", "updated_at"]
    hh_defaults = defaults_for(Household, set(hh_columns))
    m_defaults = defaults_for(Member, set(m_columns))

    households, members = [], []
    samples: dict[str, list] = {}  # grassroots path -> [(household id, clear ID number)]
    used_ids: set[str] = set()
    for i in range(1, args.households + 1):
        org_id, path, division = grassroots_ids[rng.randrange(len(grassroots_ids))]
        state = rng.choice(states)
        category, level = rng.choice(categories)
        surname, given = rng.choice(SURNAMES), "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        name = surname + given
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
        while True:
            number = synthetic_resident_id(division, birth, rng.randrange(1000))
            if number not in used_ids:
                used_ids.add(number)
                break
            birth += dt.timedelta(days=1)
        updated = now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        households.append((
            i, org_id, f"BH{i:09d}", 4, state, rng.random() < 0.03, division, "A" if category[0] == "A" else "B",
            category, level, round(rng.uniform(0, 100), 2), today + dt.timedelta(days=rng.randrange(-60, 365)),
            surname + "*" * len(given), "".join(name_initials[ch] for ch in name), rng.randrange(1, 6),
            updated, updated, today - dt.timedelta(days=rng.randrange(1000)),
        ))
        members.append((name, name_initials, number, birth, state, updated))
        if len(samples.setdefault(path, [])) < 50:
            samples[path].append((i, number))

    # Timed: hashing, masking and encryption of every ID number, and the writes.
    open_states = {"applied", "first_check", "home_visit", "public_notice", "active"}
    started = time.perf_counter()

    def member_rows():
        for hid, (name, _ni, number, birth, state, updated) in enumerate(members, start=1):
            digest = crypto.keyed_hash(number)
            yield (hid, True, "self", name, "".join(name_initials[ch] for ch in name),
                   "M" if int(number[16]) % 2 else "F", birth, "resident_id", crypto.encrypt(number), digest,
                   mask_id_number(number), digest if state in open_states else None, updated, updated,
                   *m_defaults.values())

    with transaction.atomic():
        insert_rows(Household, [*hh_columns, *hh_defaults], ((*row, *hh_defaults.values()) for row in households))
        insert_rows(Member, [*m_columns, *m_defaults], member_rows())
    written = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('registry_household', 'id'), %s)", [args.households])
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    analysed = time.perf_counter() - started
    return {
        "orgs": len(orgs), "grassroots": len(grassroots_ids), "shape": (provinces, cities, counties, per_county),
        "samples": samples, "write_s": written, "build_s": analysed,
    }


# --- measuring -------------------------------------------------------------------------------------------


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def timed(client, url, reps, params=None, warm=3):
    for _ in range(warm):
        response = client.get(url, params or {})
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        response = client.get(url, params or {})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def line(label, times):
    print(f"{label}: p50 {statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms "
          f"(n={len(times)}, max {max(times):.1f} ms)")
    return pct(times, 0.95)


def make_users(paths):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    from bangfu.accounts.models import User, UserRole
    from bangfu.orgs.models import Org

    backend = "django.contrib.auth.backends.ModelBackend"
    stamp = int(time.time())
    staff, admins = {}, {}
    for level, path in paths.items():
        org = Org.objects.get(path=path)
        user = User.objects.create_user(username=f"bench_{level}_{stamp}", password="Bench-pass-2026!", org=org,
                                        kind="staff", full_name=level, must_change_password=False)
        UserRole.objects.create(user=user, role="case_worker")
        client = Client()
        client.force_login(user, backend=backend)
        staff[level] = client

        admin = User.objects.create_user(username=f"bench_admin_{level}_{stamp}", password="Bench-pass-2026!", org=org,
                                         kind="staff", full_name=level, must_change_password=False,
                                         is_superuser=True, is_staff=True)
        UserRole.objects.create(user=admin, role="system_admin")
        device = StaticDevice.objects.create(user=admin, name="bench", confirmed=True)
        client = Client()
        client.force_login(admin, backend=backend)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        admins[level] = client
    return staff, admins


def query_count(client, params) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/households/", params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def next_link(response) -> str | None:
    import re

    match = re.search(r'href="(\?[^"]*)"[^>]*data-testid="page-next"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def explain(client, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get("/households/", params)
    with connection.cursor() as cursor:
        for q in ctx.captured_queries:
            sql = q["sql"]
            if "registry_household" in sql and sql.lstrip().upper().startswith("SELECT"):
                cursor.execute("EXPLAIN ANALYZE " + sql)
                print("   ", sql[:200], "...")
                for (row,) in cursor.fetchall():
                    print("      ", row)


def samples_from_database(seed: int, count: int = 3000) -> dict:
    """ID numbers to search for when measuring a database built earlier (--reuse): heads of random
    households, read through the model (decrypted with the benchmark's field key), by grassroots path."""
    from bangfu.registry.models import Household, Member

    last = Household.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(seed + 2)
    ids = sorted({rng.randint(1, last) for _ in range(count)})
    samples: dict[str, list] = {}
    for member in Member.objects.filter(household_id__in=ids, is_head=True).select_related("household__org"):
        samples.setdefault(member.household.org.path, []).append((member.household_id, member.identity_number))
    return samples


def measure(args, info):
    from django.test.utils import override_settings

    samples = info["samples"]
    rng = random.Random(args.seed + 1)
    grass_path = sorted(samples)[len(samples) // 2]
    city_path = grass_path[:12]
    paths = {"grassroots": grass_path, "city": city_path, "national": "0001"}
    staff, admins = make_users(paths)
    scope_samples = {level: [s for p, rows in samples.items() if p.startswith(path) for s in rows]
                     for level, path in paths.items()}
    results = {}
    with override_settings(DEBUG=False):
        for level, client in staff.items():
            results[(level, "list")] = line(f"list first page ({level})", timed(client, "/households/", args.reps))
            # Deeper pages: follow the keyset "next" link.
            response, times = client.get("/households/"), []
            for _ in range(min(args.reps, 30)):
                link = next_link(response)
                if not link:
                    break
                started = time.perf_counter()
                response = client.get("/households/" + link)
                times.append((time.perf_counter() - started) * 1000)
            if times:
                results[(level, "next")] = line(f"list next pages 2..{len(times) + 1} ({level})", times)
            results[(level, "filtered")] = line(
                f"list filtered category=A_dibao sorted by need ({level})",
                timed(client, "/households/", args.reps, {"category": "A_dibao", "sort": "-need"}))
            ids, times = scope_samples[level], []
            for _ in range(args.reps):
                _hid, number = rng.choice(ids)
                typed = f"{number[:6]} {number[6:14]} {number[14:].lower()}"  # as people type it
                started = time.perf_counter()
                response = client.post("/households/", {"q": typed})  # the search form posts
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 302 and response["Location"] == f"/households/{_hid}/", (
                    response.status_code, _hid)
            results[(level, "id")] = line(f"ID search ({level})", times)
            q25, q100 = query_count(client, {"size": 25}), query_count(client, {"size": 100})
            print(f"queries per list page ({level}): size 25 -> {q25}, size 100 -> {q100}"
                  f" ({'constant' if q25 == q100 else 'NOT constant'})")
            if args.explain:
                explain(client, {})
                explain(client, {"q": ids[0][1]})
        for level, client in admins.items():
            base = line(f"baseline Django admin changelist ({level})",
                        timed(client, "/admin/registry/household/", args.admin_reps, warm=2))
            print(f"ratio admin/list p95 ({level}): {base / results[(level, 'list')]:.1f}x")
    return results


def skip_overlong_codes() -> None:
    """Work around code-list entries longer than `CodeItem.code` (max 16) that PostgreSQL refuses in the
    0002 data migration (SQLite does not enforce the length). They play no part in this benchmark."""
    from bangfu.registry import code_lists

    limit = 16
    for name, items in code_lists.LISTS.items():
        long = [item[0] for item in items if len(item[0]) > limit]
        if long:
            print(f"note: skipping code-list entries longer than {limit} characters in {name}: {long}")
            code_lists.LISTS[name] = [item for item in items if len(item[0]) <= limit]


def main(argv=None):
    args = parse_args(argv)
    url = args.database_url
    if not url:
        raise SystemExit("--database-url is required (a PostgreSQL database whose name contains 'bench')")
    if url.startswith("sqlite") and args.households > 50_000:
        raise SystemExit("SQLite is for smoke runs only (≤ 50,000 households); use PostgreSQL for the full size")
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    print(f"registry list benchmark: households={args.households} seed={args.seed} reps={args.reps} "
          f"admin_reps={args.admin_reps} database={connection.vendor} {connection.settings_dict['NAME']}")
    started = time.perf_counter()
    if not args.reuse:
        skip_overlong_codes()
        call_command("migrate", verbosity=0)
        call_command("load_divisions", verbosity=0)
        call_command("load_code_lists", verbosity=0)
        print(f"migrate + reference data: {time.perf_counter() - started:.1f} s (not part of the build figure)")
        info = build(args)
        shape = info["shape"]
        print(f"tree: {info['orgs']} orgs ({shape[0]} provinces x {shape[1]} cities x {shape[2]} counties x "
              f"{shape[3]} grassroots), {args.households} households with heads")
        print(f"build {args.households} households + {args.households} members (hash, mask, encrypt, COPY): "
              f"{info['write_s']:.1f} s ({args.households / info['write_s']:,.0f} households/s); "
              f"with ANALYZE {info['build_s']:.1f} s")
    else:
        info = {"samples": samples_from_database(args.seed)}
    measure(args, info)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {rss:.0f} MB max RSS of the benchmark process (build and measurements)")


if __name__ == "__main__":
    main()
