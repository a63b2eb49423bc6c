"""Bulk import of archives (issue 6): N member rows (~3 per household) from CSV through the real pipeline.

    .venv/bin/python bench/archive_import.py --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench_imports
    .venv/bin/python bench/archive_import.py --rows 20000 --database-url sqlite:////tmp/bench_imports.sqlite3

The database is the benchmark's own (dropped and re-created; its name must contain "bench"), migrated, with
the divisions, code lists and the test union tree. The generator (seed 6) writes plain, valid ID numbers
with correct check characters, full-width digits in some cells, amounts like "1,234元", dates like 2020年3月.
Printed: parameters; the pipeline's phases and total (rows/s, peak RSS of the process and of its worker
children); a raw COPY of the same rows into an unlogged table of text columns (PostgreSQL only); the first
100,000 rows through django-import-export ModelResources with use_bulk = True; the ratio.

The django-import-export baseline (what a Django team would write): a HouseholdResource over the head rows
and a MemberResource over all rows, both `use_bulk = True`; `before_import_row` runs the registry's
`parse_identity` on the ID, and the model's `set_identity` hashes (keyed HMAC) and encrypts it, and maps
the union code, the division and the code-list labels. It does NOT check: persons open in other archives,
duplicates in the file, code lists beyond the label map, the forms' member rules, re-import idempotence.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_list import recreate_database, setup_django  # noqa: E402

FULL = str.maketrans("0123456789", "０１２３４５６７８９")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰春梅海燕小龙云飞"


def generate(path: Path, rows: int, seed: int, org_code: str) -> int:
    from bangfu.core.identity import check_character
    from bangfu.imports.columns import COLUMNS

    rng = random.Random(seed)
    keys = [c.key for c in COLUMNS]
    written = households = 0
    areas = ["440106", "440103", "440104", "440105", "440111"]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in COLUMNS])
        serial = 0

        def new_id(birth: dt.date) -> str:
            nonlocal serial
            serial += 1
            first17 = f"{rng.choice(areas)}{birth:%Y%m%d}{serial % 1000:03d}"
            return first17 + check_character(first17)

        used = set()
        while written < rows:
            households += 1
            size = min(rng.choice((1, 2, 3, 3, 4, 5)), rows - written)
            head_birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 45))
            head_id = new_id(head_birth)
            while head_id in used:
                head_id = new_id(head_birth)
            used.add(head_id)
            for i in range(size):
                if i == 0:
                    ident, relation = head_id, "本人"
                    birth = head_birth
                else:
                    birth = head_birth + dt.timedelta(days=rng.randrange(7000, 11000))
                    if birth > dt.date(2023, 12, 31):  # spread, so the 3-digit sequences never run out
                        birth = dt.date(2003, 1, 1) + dt.timedelta(days=rng.randrange(0, 7600))
                    ident = new_id(birth)
                    while ident in used:
                        ident = new_id(birth)
                    used.add(ident)
                    relation = rng.choice(("配偶", "子女", "子女", "父母"))
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
                row = {"head_identity": head_id, "relation": relation, "name": name,
                       "identity_number": ident.translate(FULL) if rng.random() < 0.05 else ident,
                       "birth_date": f"{birth.year}年{birth.month}月{birth.day}日" if rng.random() < 0.1 else "",
                       "health": rng.choice(("良好", "良好", "糖尿病", "恶性肿瘤")),
                       "work_status": rng.choice(("在岗", "失业", "退休", "下岗")) if i == 0 else "",
                       "monthly_income_declared": rng.choice(("1,234.50", "800元", "￥2,000", "0", "")),
                       "phone": f"138{rng.randrange(10**8):08d}" if i == 0 else ""}
                if i == 0:
                    row.update({"org_code": org_code, "division": "440106", "housing_type": "租房",
                                "housing_area": f"{rng.randrange(20, 90)}.5", "bank_name": "工商银行",
                                "bank_account": f"6222{rng.randrange(10**15):015d}", "bank_account_holder": name,
                                "main_cause": rng.choice(("下岗失业", "重大疾病", "3")),
                                "secondary_causes": "子女教育" if rng.random() < 0.3 else ""})
                writer.writerow([row.get(k, "") for k in keys])
                written += 1
    return households


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def raw_copy(path: Path, rows: int) -> float | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with open(path, encoding="utf-8-sig") as handle:
        header = handle.readline()
    columns = len(next(csv.reader([header])))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute("CREATE UNLOGGED TABLE bench_raw_copy (" + ", ".join(f"c{i} text" for i in range(columns)) + ")")
        started = time.perf_counter()
        with open(path, "rb") as handle:
            handle.readline()
            with cursor.cursor.copy("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv)") as copy:
                while block := handle.read(1 << 20):
                    copy.write(block)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw_copy")
    return elapsed


def baseline_import_export(path: Path, rows: int, org) -> float:
    """django-import-export, use_bulk = True, on the first `rows` rows (see the module docstring)."""
    import tablib
    from import_export import fields, resources

    from bangfu.core.identity import DocumentType, parse_identity
    from bangfu.imports import normalise as N
    from bangfu.imports.columns import COLUMNS
    from bangfu.registry.models import CodeItem, Household, Member

    labels = {(c.code_list, c.name_zh): c.code for c in CodeItem.objects.all()}
    headers = [c.header for c in COLUMNS]
    data = tablib.Dataset(headers=headers)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for i, row in enumerate(reader):
            if i >= rows:
                break
            data.append(row)
    heads = tablib.Dataset(headers=headers)
    for row in data:
        if N.text(row[headers.index("证件号码")]) == N.text(row[headers.index("户主身份证号")]):
            heads.append(row)

    class HouseholdResource(resources.ModelResource):
        archive_number = fields.Field(attribute="archive_number", column_name="户主身份证号")

        class Meta:
            model = Household
            use_bulk = True
            batch_size = 2000
            skip_diff = True
            import_id_fields = ()
            fields = ("archive_number",)

        def before_import_row(self, row, **kwargs):
            row["户主身份证号"] = "IE-" + N.text(row["户主身份证号"])

        def import_instance(self, instance, row, **kwargs):
            super().import_instance(instance, row, **kwargs)
            instance.org = org
            instance.archive_level = 4
            instance.division_id = row["居住地区划代码"]
            instance.housing_type = labels.get(("housing", row["住房类型"]), "")

        def get_or_init_instance(self, instance_loader, row):
            return Household(), True

    class MemberResource(resources.ModelResource):
        class Meta:
            model = Member
            use_bulk = True
            batch_size = 2000
            skip_diff = True
            import_id_fields = ()
            fields = ("name",)

        def get_or_init_instance(self, instance_loader, row):
            return Member(), True

        def import_instance(self, instance, row, **kwargs):
            instance.name = row["姓名"]
            check = parse_identity(DocumentType.RESIDENT_ID, row["证件号码"])
            if not check.ok:
                raise ValueError(check.errors)
            instance.set_identity(check.value)
            instance.sex = check.sex
            instance.birth_date = check.birth_date
            instance.relation = "self" if row["与户主关系"] == "本人" else "child"
            instance.is_head = instance.relation == "self"
            instance.health = labels.get(("health", row["健康状况"]), "")
            instance.household_id = household_ids["IE-" + N.text(row["户主身份证号"])]

    started = time.perf_counter()
    result = HouseholdResource().import_data(heads, raise_errors=True)
    household_ids = dict(Household.objects.filter(archive_number__startswith="IE-").values_list("archive_number", "pk"))
    result = MemberResource().import_data(data, raise_errors=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors()
    return elapsed


def child_import(args) -> None:
    """Run one import in this fresh process (so its peak RSS is the import's own) and print a JSON line."""
    import json

    setup_django(args.database_url)
    from django.conf import settings

    from bangfu.accounts.models import User
    from bangfu.imports import pipeline
    from bangfu.imports.models import ImportJob
    from bangfu.imports.services import import_job_create

    settings.MEDIA_ROOT = Path(args.media)
    path = Path(args.child)
    # 1,000,000 rows are ~130 MB of CSV: above the default upload cap (BANGFU_IMPORT_MAX_MB = 100).
    settings.BANGFU_IMPORT_MAX_MB = max(settings.BANGFU_IMPORT_MAX_MB, path.stat().st_size // 2**20 + 1)
    user = User.objects.get(username="bench_importer")

    class Upload:
        name = "archives.csv"

        def __init__(self):
            self.size = path.stat().st_size
            self._h = open(path, "rb")  # noqa: SIM115

        def chunks(self):
            while block := self._h.read(1 << 20):
                yield block

    started = time.perf_counter()
    job = import_job_create(user, Upload(), enqueue=False, mode=ImportJob.Mode.PARTIAL)
    upload_s = time.perf_counter() - started
    job = pipeline.run_job(job.pk, workers=args.workers)
    total = time.perf_counter() - started
    own, children = peak_mb()
    print("RESULT " + json.dumps({
        "upload": upload_s, "total": total, "phases": pipeline.PHASES, "state": job.state, "error": job.error[:300],
        "created": job.households_created, "changed": job.households_changed,
        "unchanged": job.households_unchanged, "rejected_rows": job.rows_rejected,
        "members": job.members_created, "peak": own, "workers_peak": pipeline.STATS.get("worker_peak_mb", children),
        "stats": pipeline.STATS,
    }))


def run_child(args, path: Path, media: str) -> dict:
    import json
    import subprocess

    command = [sys.executable, __file__, "--child", str(path), "--media", media, "--database-url",
               args.database_url, "--workers", str(args.workers)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"the import process failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")


def print_run(label: str, rows: int, result: dict) -> None:
    print(f"{label}: {result['total']:.2f} s ({rows / result['total']:,.0f} rows/s), state {result['state']}, "
          f"created {result['created']}, changed {result['changed']}, unchanged {result['unchanged']}, "
          f"rejected rows {result['rejected_rows']}, members created {result['members']} {result['error']}")
    print(f"  upload check (type, encoding, header, line count): {result['upload']:.2f} s")
    stats = result.get("stats", {})
    if "peak MB at start" in stats:
        print(f"  (importing process at the start of run_job: {stats['peak MB at start']:.0f} MB)")
    for name, seconds in result["phases"].items():
        after = stats.get(f"peak MB after {name}")
        print(f"  {name}: {seconds:.2f} s" + (f" (peak RSS so far {after:.0f} MB)" if after else ""))
    print(f"  peak RSS: importing process {result['peak']:.0f} MB, each worker process "
          f"{result['workers_peak']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(args)
        return
    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    for command in ("load_divisions", "load_code_lists"):
        call_command(command, verbosity=0)
    from django.db import connection

    from bangfu.accounts.roles import Role
    from tests.factories import TreeFactory

    tree = TreeFactory().build()
    tree.user("bench_importer", tree.grassroots, Role.CASE_WORKER)
    # A living line and a minimum wage (illustrative amounts) for the city of the generated divisions, so the
    # import classifies every household for real (with no line it only records "cannot classify").
    from decimal import Decimal

    from bangfu.orgs.models import LocalStandard

    for kind, amount in (("living_line", Decimal("1000.00")), ("minimum_wage", Decimal("2300.00"))):
        LocalStandard.objects.create(division_id="440100", kind=kind, amount=amount,
                                     effective_from=dt.date(2020, 1, 1), source="bench (illustrative)")
    media = tempfile.mkdtemp(prefix="bench-imports-")
    path = Path(tempfile.mkdtemp()) / "archives.csv"
    started = time.perf_counter()
    households = generate(path, args.rows, args.seed, tree.grassroots.code)
    print(f"parameters: rows={args.rows} households={households} seed={args.seed} workers={args.workers} "
          f"database={connection.vendor} file={path.stat().st_size / 1e6:.1f} MB "
          f"(generated in {time.perf_counter() - started:.1f} s, untimed)")
    connection.close()
    first = run_child(args, path, media)
    print_run(f"import {args.rows} rows", args.rows, first)
    again = run_child(args, path, media)
    print_run("re-import of the same file", args.rows, again)
    copy_s = raw_copy(path, args.rows)
    if copy_s is not None:
        print(f"raw COPY of the same {args.rows} rows: {copy_s:.2f} s")
    n = min(args.baseline_rows, args.rows)
    base = baseline_import_export(path, n, tree.grassroots)
    print(f"baseline django-import-export use_bulk {n} rows: {base:.2f} s ({n / base:,.0f} rows/s)")
    ratio = (args.rows / first["total"]) / (n / base)
    print(f"ratio (rows/s, pipeline / import-export): {ratio:.1f}x")
    print(f"calibration: 1,000,000 × hmac.new(...).hexdigest() here now: {calibrate():.2f} s "
          "(1.45-1.55 s on the quiet machine, bench/README.md)")


def calibrate() -> float:
    import hashlib
    import hmac

    key, started = b"k" * 32, time.perf_counter()
    for i in range(1_000_000):
        hmac.new(key, str(i).encode(), hashlib.sha256).hexdigest()
    return time.perf_counter() - started


if __name__ == "__main__":
    os.environ.setdefault("TASK_BACKEND", "immediate")
    main()
