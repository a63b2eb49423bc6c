"""Building a round's instance in the database: open requests, offers with free capacity, and every eligible
request–offer pair with the weight of one unit — set-based SQL, read into numpy arrays.

A pair is eligible when the offer is published by a verified provider, valid on the round's day, of the item
the request orders, its area (a union) is the household's union or a union above it, the household lives in one
of the offer's divisions (when it names any), and the person the request is for meets the offer's categories,
causes, age and work status. The area join is an equality join
on each level of the household union's lineage (`SUBSTR(path, 1, 4·n)`), so the database hashes it instead of
testing every offer's path as a prefix.

Weight of one unit = (need score + 1) × urgency weight × value factor × 1.2 when the request prefers the
offer's provider, × 100 and rounded, so that the solver works on exact integers (a household not scored yet
still counts with 1); see `unit_weights`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection

from bangfu.registry.classification.params import years_before
from bangfu.registry.models import Household, HouseholdCause, Member
from bangfu.services.matching.solver import Instance
from bangfu.services.models import HELD_MATCH_STATES, Match, Offer, PairRule, Provider, ServiceRequest
from bangfu.services.models.requests import RequestState

MAX_DEPTH = 8  # levels of the union tree a lineage join looks at (national → grassroots is 5)
MAX_AGE = 130


def _tables() -> dict[str, str]:
    return {
        "req": ServiceRequest._meta.db_table, "hh": Household._meta.db_table, "mem": Member._meta.db_table,
        "org": "orgs_org", "off": Offer._meta.db_table, "prov": Provider._meta.db_table,
        "cause": HouseholdCause._meta.db_table, "match": Match._meta.db_table, "rule": PairRule._meta.db_table,
    }


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)  # our own enum values only, never user input


def _held_units_sql(column: str) -> str:
    t = _tables()
    return (f"SELECT {column} AS k, SUM(units) AS u FROM {t['match']} "
            f"WHERE state IN ({_in(HELD_MATCH_STATES)}) GROUP BY {column}")


def requests_sql(item_filter: str = "") -> str:
    """Open requests of the subtree: id, units still wanted (quantity less units held by accepted matches),
    place in first-come order, the household's need score × 100, urgency, preferred provider (0: none)."""
    t = _tables()
    return (
        f"SELECT r.id, r.quantity - COALESCE(held.u, 0), ROW_NUMBER() OVER (ORDER BY r.submitted_at, r.id), "
        f"CAST(ROUND(COALESCE(h.need_score, 0) * 100) AS BIGINT), r.urgency, COALESCE(r.preferred_provider_id, 0) "
        f"FROM {t['req']} r "
        f"JOIN {t['hh']} h ON h.id = r.household_id JOIN {t['org']} ho ON ho.id = h.org_id "
        f"LEFT JOIN ({_held_units_sql('request_id')}) held ON held.k = r.id "
        f"WHERE r.state = '{RequestState.SUBMITTED}' AND ho.path LIKE %(prefix)s {item_filter} "
        f"AND r.quantity - COALESCE(held.u, 0) > 0")


def offers_sql() -> str:
    """Published offers of verified providers whose area lies in the subtree, valid on the day: id, free
    capacity, value factor × 100, provider."""
    t = _tables()
    return (
        f"SELECT f.id, f.capacity - COALESCE(held.u, 0), CAST(ROUND(f.fit_factor * 100) AS BIGINT), f.provider_id "
        f"FROM {t['off']} f "
        f"JOIN {t['prov']} p ON p.id = f.provider_id JOIN {t['org']} ao ON ao.id = f.area_org_id "
        f"LEFT JOIN ({_held_units_sql('offer_id')}) held ON held.k = f.id "
        f"WHERE f.state = 'published' AND p.state = 'verified' AND ao.path LIKE %(prefix)s "
        f"AND f.valid_from <= %(day)s AND f.valid_until >= %(day)s "
        f"AND f.capacity - COALESCE(held.u, 0) > 0 ORDER BY f.id")


def _ages_values(day: dt.date) -> tuple[str, dict]:
    """A VALUES table (age, the latest birth date of someone that old on `day`): the age rules' bounds as a
    join, the same SQL on both databases."""
    rows = ", ".join(f"({a}, %(age{a})s)" for a in range(MAX_AGE + 2))
    return f"(VALUES {rows})", {f"age{a}": years_before(day, a) for a in range(MAX_AGE + 2)}


def pairs_sql(day: dt.date) -> tuple[str, dict]:
    """Every eligible (request, offer) of the round. Weights are computed after, in numpy, from the requests' and
    offers' own columns (numeric arithmetic per pair in SQL cost more than the join itself), and forbidden pairs
    are dropped there too (an anti-join here was planned as a nested loop over millions of pairs)."""
    t = _tables()
    ages, age_params = _ages_values(day)
    depths = ", ".join(f"({n})" for n in range(1, MAX_DEPTH + 1))
    sql = f"""
WITH req AS (
    SELECT r.id AS rid, r.item_id, r.urgency, r.preferred_provider_id AS pref, h.id AS hid, h.category,
           h.division_id AS division,
           COALESCE(h.need_score, 0) AS need, ho.path AS hpath, m.birth_date, m.work_status
    FROM {t['req']} r
    JOIN {t['hh']} h ON h.id = r.household_id
    JOIN {t['org']} ho ON ho.id = h.org_id
    JOIN {t['mem']} m ON m.id = r.member_id
    WHERE r.state = '{RequestState.SUBMITTED}' AND ho.path LIKE %(prefix)s
),
lineage AS (
    SELECT req.*, SUBSTR(req.hpath, 1, d.column1 * 4) AS area_path
    FROM req JOIN (VALUES {depths}) d ON LENGTH(req.hpath) >= d.column1 * 4
),
off AS (
    SELECT f.id AS oid, f.item_id, f.provider_id, f.fit_factor, ao.path AS area_path, f.category_key,
           f.cause_key, f.work_status_key, f.division_key, amin.column2 AS born_until, amax.column2 AS born_after
    FROM {t['off']} f
    JOIN {t['prov']} p ON p.id = f.provider_id
    JOIN {t['org']} ao ON ao.id = f.area_org_id
    LEFT JOIN {ages} amin ON amin.column1 = f.min_age
    LEFT JOIN {ages} amax ON amax.column1 = f.max_age + 1
    WHERE f.state = 'published' AND p.state = 'verified' AND ao.path LIKE %(prefix)s
      AND f.valid_from <= %(day)s AND f.valid_until >= %(day)s
)
SELECT l.rid, off.oid
FROM lineage l
JOIN off ON off.item_id = l.item_id AND off.area_path = l.area_path
WHERE (off.category_key = '' OR off.category_key LIKE '%%,' || l.category || ',%%')
  AND (off.division_key = ''
       OR off.division_key LIKE '%%,' || SUBSTR(l.division, 1, 2) || ',%%'
       OR off.division_key LIKE '%%,' || SUBSTR(l.division, 1, 4) || ',%%'
       OR off.division_key LIKE '%%,' || l.division || ',%%')
  AND (off.work_status_key = '' OR off.work_status_key LIKE '%%,' || l.work_status || ',%%')
  AND (off.born_until IS NULL OR l.birth_date <= off.born_until)
  AND (off.born_after IS NULL OR l.birth_date > off.born_after)
  AND (off.cause_key = '' OR EXISTS (
        SELECT 1 FROM {t['cause']} hc
        WHERE hc.household_id = l.hid AND off.cause_key LIKE '%%,' || hc.code || ',%%'))
"""
    return sql, age_params


def fetch_int_rows(sql: str, params: dict, columns: int) -> np.ndarray:
    """Run a query whose columns are non-null integers and return an (n, columns) int64 array.

    On PostgreSQL the rows come through COPY in binary form, parsed by numpy in one pass (a row is a 16-bit
    field count, then per field a 32-bit length and the big-endian 64-bit value), instead of one Python tuple
    per row — at millions of pairs that is the difference between seconds and a minute."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return np.empty((0, columns), dtype=np.int64)
        return np.asarray(rows, dtype=np.int64).reshape(-1, columns)
    casts = ", ".join(f"CAST(q.c{i} AS BIGINT)" for i in range(columns))
    names = ", ".join(f"c{i}" for i in range(columns))
    with connection.cursor() as cursor:
        raw = cursor.cursor
        query = raw.mogrify(f"SELECT {casts} FROM ({sql}) AS q ({names})", params)
        chunks = []
        with raw.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
            for block in copy:
                chunks.append(bytes(block))
    data = b"".join(chunks)
    row = np.dtype([("n", ">i2")] + [(f"f{i}", [("len", ">i4"), ("value", ">i8")]) for i in range(columns)])
    header = 11 + 4 + 4 + int.from_bytes(data[15:19], "big")  # signature, flags, extension length + extension
    body = data[header:len(data) - 2]  # the trailer is a 16-bit -1
    rows = np.frombuffer(body, dtype=row)
    out = np.empty((rows.size, columns), dtype=np.int64)
    for i in range(columns):
        out[:, i] = rows[f"f{i}"]["value"]
    return out


def build_instance(org_path: str, day: dt.date, weights: tuple[int, int, int], round_id: int = 0) -> Instance:
    """Read the round's requests, offers and eligible pairs for the subtree of `org_path` on `day`."""
    import time

    params = {"prefix": f"{org_path}%", "day": day}
    started = time.perf_counter()
    requests = fetch_int_rows(requests_sql(), params, 6)
    requests = requests[np.argsort(requests[:, 2], kind="stable")]
    offers = fetch_int_rows(offers_sql(), params, 4)
    sql, age_params = pairs_sql(day)
    pairs = fetch_int_rows(sql, {**params, **age_params}, 2)
    forbidden = list(PairRule.objects.filter(round_id=round_id, kind=PairRule.Kind.FORBID)
                     .values_list("request_id", "offer_id")) if round_id else []
    read = time.perf_counter()
    request_ids, offer_ids = requests[:, 0], offers[:, 0]
    # Pairs of requests or offers that have nothing left (held by accepted matches) are dropped here.
    request_idx = _index_of(request_ids, pairs[:, 0])
    offer_idx = _index_of(offer_ids, pairs[:, 1])
    keep = (request_idx >= 0) & (offer_idx >= 0)
    if forbidden:
        pair_key = pairs[:, 0] * (int(pairs[:, 1].max()) + 1) + pairs[:, 1]
        banned = np.array([r * (int(pairs[:, 1].max()) + 1) + o for r, o in forbidden], dtype=np.int64)
        keep &= ~np.isin(pair_key, banned)
    # int32 indexes: a national round holds 30M pairs
    pair_request, pair_offer = request_idx[keep].astype(np.int32), offer_idx[keep].astype(np.int32)
    instance = Instance(
        request_ids=request_ids, request_units=requests[:, 1], offer_ids=offer_ids, offer_units=offers[:, 1],
        pair_request=pair_request, pair_offer=pair_offer,
        pair_weight=unit_weights(requests, offers, pair_request, pair_offer, weights),
    )
    instance.seconds = {"read": read - started, "index": time.perf_counter() - read}
    return instance


def unit_weights(requests: np.ndarray, offers: np.ndarray, pair_request: np.ndarray, pair_offer: np.ndarray,
                 weights: tuple[int, int, int]) -> np.ndarray:
    """Weight of one unit per pair, from the request rows (…, need × 100, urgency, preferred provider) and offer
    rows (…, value factor × 100, provider): round((need + 1) × urgency weight × value factor × bonus × 100) in
    exact integers — (need×100 + 100) × w × fit×100 × (12 or 10) / 1000, rounded half up. The request part is
    computed once per request and gathered, so a national round (30M pairs) gathers two columns, not rows."""
    urgency_weight = np.array([0, *weights], dtype=np.int64)[requests[:, 4]]
    per_request = (requests[:, 3] + 100) * urgency_weight
    scaled = per_request[pair_request] * offers[pair_offer, 2] * 10
    preferring = np.flatnonzero((requests[:, 5] != 0)[pair_request])
    if preferring.size:
        same = requests[pair_request[preferring], 5] == offers[pair_offer[preferring], 3]
        scaled[preferring[same]] = scaled[preferring[same]] // 10 * 12
    return (scaled + 500) // 1000


def _index_of(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions of `values` in `ids` (unsorted, unique); -1 where absent. Ids are database keys: a dense
    lookup table by id is one gather (a sorted search over millions of pairs took half a minute)."""
    if ids.size == 0:
        return np.full(values.shape, -1, dtype=np.int64)
    top = int(max(ids.max(), values.max() if values.size else 0))
    if top <= 50_000_000:
        table = np.full(top + 1, -1, dtype=np.int64)
        table[ids] = np.arange(ids.size)
        return table[values]
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.minimum(np.searchsorted(sorted_ids, values), ids.size - 1)
    return np.where(sorted_ids[pos] == values, order[pos], -1)
