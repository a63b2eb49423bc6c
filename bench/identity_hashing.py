"""Benchmark: hashing resident ID numbers with the keyed hash at roster scale (groundwork for issue 6).

    .venv/bin/python bench/identity_hashing.py --rows 1000000
    .venv/bin/python bench/identity_hashing.py --rows 10000000 --database-url postgres://postgres@127.0.0.1:5432/bangfu_bench_hash
    .venv/bin/python bench/identity_hashing.py --rows 20000 --skip-validation   # smoke run

Issue 6 asks to ingest a 10,000,000-row roster of plain ID numbers against 1,000,000 archived members in
≤ 30 s on this machine, hashing every number with the platform's keyed hash (HMAC-SHA256,
`bangfu.core.crypto.keyed_hash`) on the way in — "hashing is the cost to engineer". This script measures the
ways to compute exactly the same hex digests, each against the baseline in the same run:

* baseline: `keyed_hash(value)` as the platform does it today (`hmac.new(...).hexdigest()` per value);
* `hmac.digest` one-shot (the C fast path, no HMAC object per value);
* the HMAC's inner and outer SHA-256 states keyed once and copied per value (`hashlib` `copy()`);
* the copied states in a process pool of `--processes` workers over chunks (the values and digests are
  pickled to and from the workers: that cost is inside the timed window);
* PostgreSQL (with `--database-url`): the plain numbers COPYed into an unlogged table, then one
  set-based `encode(hmac(id, key, 'sha256'), 'hex')` (pgcrypto) — COPY and hashing timed apart;
* for scale: the full check of each number (`parse_identity`: check character, date, area) — the import
  pipeline must do that for every row it keeps (the roster only for the rows that match an archive).

Every method's digests are compared with the baseline's (all rows), so a faster way is also the same hash.
The generator is deterministic (--seed): valid 18-digit numbers over a few hundred area codes and birth
dates 1950-2005. Prints rows/s, the ratio to the baseline and the peak memory (RSS) of this process.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import os
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
# A fixed illustrative key, not a real deployment's (the benchmark must be reproducible anywhere).
BENCH_KEY = hashlib.sha256(b"bangfu-bench-identity-hash-key").digest()


def generate(rows: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    areas = [f"{p:02d}{c:02d}{d:02d}" for p in (11, 31, 44, 51) for c in range(1, 11) for d in range(1, 11)]
    out = []
    for _ in range(rows):
        body = (f"{rng.choice(areas)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}"
                f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
        out.append(body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11])
    return out


def baseline(values):
    return [hmac.new(BENCH_KEY, v.encode(), hashlib.sha256).hexdigest() for v in values]


def one_shot(values):
    digest = hmac.digest
    return [digest(BENCH_KEY, v.encode(), "sha256").hex() for v in values]


def _keyed_states(key: bytes):
    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


def copied_states(values):
    inner, outer = _keyed_states(BENCH_KEY)
    out = []
    for v in values:
        i = inner.copy()
        i.update(v.encode())
        o = outer.copy()
        o.update(i.digest())
        out.append(o.hexdigest())
    return out


def pooled(values, processes: int, function):
    size = max(1, len(values) // (processes * 8))
    chunks = [values[i:i + size] for i in range(0, len(values), size)]
    with ProcessPoolExecutor(processes) as pool:
        return [h for part in pool.map(function, chunks) for h in part]


def validate(values):
    from bangfu.core.identity import DocumentType, parse_identity

    resident = DocumentType.RESIDENT_ID
    return sum(1 for v in values if parse_identity(resident, v).ok)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label, function, rows, base_seconds=None, expected=None):
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    ratio = f"  ×{base_seconds / seconds:5.2f} vs baseline" if base_seconds else ""
    same = ""
    if expected is not None:
        same = "  same digests" if result == expected else "  DIGESTS DIFFER"
    print(f"{label:<44} {seconds:8.2f} s  {rows / seconds:12,.0f} rows/s{ratio}{same}")
    return seconds, result


def postgres(url: str, values: list[str], expected: list[str], base_seconds: float) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit("the PostgreSQL database of this benchmark must have 'bench' in its name")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        conn.execute("CREATE UNLOGGED TABLE roster (id text)")
        start = time.perf_counter()
        buffer = io.StringIO("\n".join(values) + "\n")
        with conn.cursor().copy("COPY roster (id) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        copied = time.perf_counter() - start
        print(f"{'PostgreSQL: COPY plain numbers':<44} {copied:8.2f} s  {len(values) / copied:12,.0f} rows/s")
        start = time.perf_counter()
        conn.execute("CREATE UNLOGGED TABLE roster_hashed AS SELECT "
                     "encode(hmac(convert_to(id, 'UTF8'), %s::bytea, 'sha256'), 'hex') AS id_hash FROM roster",
                     [BENCH_KEY])
        hashed = time.perf_counter() - start
        print(f"{'PostgreSQL: hmac() set-based (pgcrypto)':<44} {hashed:8.2f} s  {len(values) / hashed:12,.0f} rows/s"
              f"  ×{base_seconds / hashed:5.2f} vs baseline")
        sample = conn.execute("SELECT id_hash FROM roster_hashed LIMIT 1000").fetchall()
        matches = {row[0] for row in sample} <= set(expected)
        print(f"{'':<44} sample of 1,000 digests {'equal the baseline' if matches else 'DIFFER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-validation", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings")
    import django

    django.setup()

    print(f"generator: {args.rows:,} valid 18-digit resident ID numbers, seed {args.seed}, "
          f"{args.processes} processes, key: fixed illustrative")
    start = time.perf_counter()
    values = generate(args.rows, args.seed)
    print(f"{'(generating the numbers, not measured)':<44} {time.perf_counter() - start:8.2f} s")

    base_seconds, expected = timed("baseline: hmac.new(...).hexdigest() per value", lambda: baseline(values),
                                   args.rows)
    timed("hmac.digest one-shot", lambda: one_shot(values), args.rows, base_seconds, expected)
    timed("keyed SHA-256 states, copied per value", lambda: copied_states(values), args.rows, base_seconds,
          expected)
    timed(f"copied states in {args.processes} processes", lambda: pooled(values, args.processes, copied_states),
          args.rows, base_seconds, expected)
    if not args.skip_validation:
        seconds, valid = timed("parse_identity (full check) per value", lambda: validate(values), args.rows)
        print(f"{'':<44} {valid:,} of {args.rows:,} valid")
    if args.database_url:
        postgres(args.database_url, values, expected, base_seconds)
    print(f"peak RSS of this process: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
