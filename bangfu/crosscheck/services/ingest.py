"""Ingestion of a government data set into a versioned snapshot, with data minimisation (DOMAIN.md §6, §9).

`snapshot_load(actor, org, source, path=..., file_name=..., as_of=...)` (a file) and
`snapshot_push(actor, org, source, rows=[{...}], as_of=...)` (the API's JSON rows) check the file against the
source's schema (unknown columns, missing required ones, another source's template, wrong type, empty:
refused with a clear message, nothing written), check every ID number and keep only the rows that match a
person of an archive in the loading union's subtree (open archives, and exited ones still under relapse
monitoring), compared in memory with those persons' decrypted numbers (`member_identities`); the kept rows'
numbers are replaced by their keyed hash on the way in, the rest are dropped unhashed and unwritten. The kept
rows are written set-based: COPY (PostgreSQL) or executemany (SQLite) into a temporary table, then one
INSERT … SELECT joining the archived members. The raw file is deleted by the caller (the page and the API keep
it in a temporary file only); the snapshot keeps its name and SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.core import crypto, locks
from bangfu.core.masking import mask_id_number, mask_name
from bangfu.crosscheck import limits, reader
from bangfu.crosscheck.models import Channel, DataSource, Snapshot, SnapshotRow, SnapshotState
from bangfu.funds.money import MoneyError, to_fen

ROLE_COLUMNS = ("code", "event_date", "amount_fen", "quantity")


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-（）()*＊]", "", str(text)).lower()


def map_header(source: DataSource, cells: list[str]) -> dict[str, int]:
    """Column key → index. Refuses unknown, repeated and missing required columns, and another source's
    template, naming the columns and listing the expected ones."""
    aliases = {}
    for column in source.columns:
        for alias in [column["key"], column.get("label_zh", ""), column.get("label_en", ""), *column["aliases"]]:
            if alias:
                aliases[_fold(alias)] = column["key"]
    mapping, unknown, repeated = {}, [], []
    for index, cell in enumerate(cells):
        if not cell.strip():
            continue
        key = aliases.get(_fold(cell))
        if key is None:
            unknown.append(cell)
        elif key in mapping:
            repeated.append(cell)
        else:
            mapping[key] = index
    expected = "、".join(c.get("label_zh") or c["key"] for c in source.columns)
    missing = [c.get("label_zh") or c["key"] for c in source.columns if c.get("required") and c["key"] not in mapping]
    if unknown and (missing or len(unknown) > len(mapping)):
        other = _other_template(source, cells)
        if other is not None:
            raise reader.FileProblem(_(
                "This file is the template of “%(other)s”, not of “%(source)s”. Choose the right data source, or "
                "download the template of “%(source)s”.") % {"other": other.name, "source": source.name})
    if unknown:
        raise reader.FileProblem(_(
            "Unknown columns: %(unknown)s. The template of “%(source)s” has the columns: %(expected)s. Rename or "
            "remove the unknown columns; nothing was imported.") % {
            "unknown": "、".join(unknown), "source": source.name, "expected": expected})
    if repeated:
        raise reader.FileProblem(_("These columns appear twice: %(columns)s. Keep one of each.")
                                 % {"columns": "、".join(repeated)})
    if missing:
        raise reader.FileProblem(_(
            "Required columns are missing: %(missing)s. The template of “%(source)s” has the columns: "
            "%(expected)s.") % {"missing": "、".join(missing), "source": source.name, "expected": expected})
    return mapping


def _other_template(source, cells):
    folded = {_fold(c) for c in cells if c.strip()}
    for other in DataSource.objects.exclude(pk=source.pk):
        names = {_fold(a) for c in other.columns for a in [c["key"], c.get("label_zh", ""), *c["aliases"]] if a}
        required = {c["key"] for c in other.columns if c.get("required")}
        hit = {c["key"] for c in other.columns
               if folded & {_fold(a) for a in [c["key"], c.get("label_zh", ""), *c["aliases"]] if a}}
        if required <= hit and folded <= names:
            return other
    return None


# --- typed values of the kept rows ---------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
_MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%Y%m", "%Y年%m月", "%Y-%m-%d")


def _parse(column: dict, text: str):
    kind = column["type"]
    if kind == "date" and len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text)  # the common case, without strptime
        except ValueError:
            pass
    if kind in ("date", "month"):
        for fmt in _DATE_FORMATS if kind == "date" else _MONTH_FORMATS:
            try:
                value = dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            return value.replace(day=1) if kind == "month" else value
        raise ValueError(_("“%(value)s” is not a date (write e.g. 2026-03-01).") % {"value": text[:20]}
                         if kind == "date" else
                         _("“%(value)s” is not a month (write e.g. 2026-03).") % {"value": text[:20]})
    if kind == "money":
        try:
            return to_fen(text)
        except MoneyError:
            raise ValueError(_("“%(value)s” is not an amount in yuan (write e.g. 1234.50).")
                             % {"value": text[:20]}) from None
    if kind == "int":
        if not re.fullmatch(r"\d{1,9}", text):
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text[:20]})
        return int(text)
    if kind == "code":
        lookup = column.get("_lookup")
        if lookup is None:
            lookup = column["_lookup"] = {_fold(alias): code for code, names in column.get("choices", {}).items()
                                          for alias in (code, *names)}
        code = lookup.get(text) or lookup.get(_fold(text))
        if code is not None:
            return code
        allowed = "、".join(names[0] for names in column.get("choices", {}).values())
        raise ValueError(_("“%(value)s” is not one of: %(allowed)s.") % {"value": text[:20], "allowed": allowed})
    return text


def _mask(column: dict, text: str) -> str:
    if column.get("mask") == "name":
        return mask_name(text)
    if column.get("mask") == "plate":
        return text[:2] + "*" * max(len(text) - 3, 0) + text[-1:] if len(text) > 3 else "*" * len(text)
    return text[:60]


_EMPTY = object()
_CACHE_MAX = 100_000  # distinct raw values remembered per column (dates, codes and divisions repeat a lot)


def _converter(column: dict, encoding: str):
    """raw cell → (value, None) | (None, problem) | (_EMPTY, problem or None); memoised per distinct raw value."""
    label = column.get("label_zh") or column["key"]
    extra = column["role"] == "extra"
    cache: dict = {}

    def convert(raw):
        try:
            return cache[raw]
        except KeyError:
            pass
        except TypeError:  # pragma: no cover - an unhashable cell value
            raw = str(raw)
        text = (raw.decode(encoding, "replace") if isinstance(raw, bytes) else reader.cell_text(raw)).strip()
        if not text:
            out = (_EMPTY, _("%(column)s is empty.") % {"column": label} if column.get("required") else None)
        elif extra:
            out = (json.dumps(_mask(column, text), ensure_ascii=False), None)
        else:
            try:
                out = (_parse(column, text), None)
            except ValueError as error:
                out = (None, f"{label}: {error}")
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[raw] = out
        return out

    return convert


def typed_rows(source, mapping, matched, encoding="utf-8"):
    """(kept rows as tuples for the staging table, rejected [(row, masked id, message)]) — every row here matched
    an archived person of the loading union's subtree, so a rejected one may show its masked ID.

    Per kept row only dictionary look-ups: each column's distinct raw values are converted once (typed, or
    masked and JSON-encoded for the display-only `extra`)."""
    columns = []  # (index, typed slot or None, JSON key prefix for `extra`, converter), in the file's order
    for key, index in mapping.items():
        if key == "id_number":
            continue
        column = source.column(key)
        extra = column["role"] == "extra"
        columns.append((index, None if extra else ROLE_COLUMNS.index(column["role"]),
                        json.dumps(key) + ": " if extra else "", _converter(column, encoding)))
    id_index = mapping["id_number"]
    kept, rejected = [], []
    for row_number, digest, fields in matched:
        width = len(fields)
        values = ["", None, None, None]
        parts, problems = [], None
        for index, slot, prefix, convert in columns:
            value, problem = convert(fields[index] if index < width else b"")
            if problem is not None:
                problems = [*(problems or []), problem]
            elif value is _EMPTY:
                continue
            elif slot is None:
                parts.append(prefix + value)
            else:
                values[slot] = value
        if problems:
            # the row is an archived person's: its masked ID may be listed (rows of anybody else leave no trace)
            raw = fields[id_index] if id_index < width else b""
            text = raw.decode(encoding, "replace") if isinstance(raw, bytes) else str(raw)
            rejected.append((row_number, mask_id_number(text.strip()[:24]), " ".join(problems)))
            continue
        kept.append((row_number, digest, values[0], values[1], values[2], values[3], "{" + ", ".join(parts) + "}"))
    return kept, rejected


# --- who may be matched ----------------------------------------------------------------------------------------

def scope_sql(org_path: str, on: dt.date) -> tuple[str, list]:
    """FROM/WHERE of the archived members a snapshot of this subtree may match: open archives, and exited
    ones still under relapse monitoring on `on`."""
    return (
        "FROM registry_member m JOIN registry_household h ON h.id = m.household_id "
        "JOIN orgs_org o ON o.id = h.org_id "
        "WHERE o.path LIKE %s AND (h.state IN ('draft','applied','first_check','home_visit','economic_check',"
        "'public_notice','approval','active') OR (h.state = 'exited' AND EXISTS (SELECT 1 FROM registry_closure c "
        "WHERE c.household_id = h.id AND c.kind = 'exit' AND c.reversed_on IS NULL AND c.monitor_until >= %s)))",
        [org_path + "%", on],
    )


def bulk_settings(cursor, *, memory: bool = True) -> None:
    """PostgreSQL settings for a bulk statement, undone at the end of the current transaction (SET LOCAL):
    room for the hash joins and sorts of a million rows in memory (the default 4 MB spills them to disk in
    8–32 batches), and no JIT compilation (≈0.1 s per statement, never paid back here)."""
    if connection.vendor == "postgresql":
        if memory:
            cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL jit = off")


PARALLEL_MIN_IDENTITIES = 100_000  # below this, one process decrypts (a fork costs more than it saves)
_TOKENS: list = []


def _unseal_part(bounds):
    """The keys (`reader.ArchivedPeople`) of the valid resident-ID numbers among the tokens [start, end)."""
    start, end = bounds
    unseal = crypto.bulk_decryptor()
    return reader.ArchivedPeople.keys_of([unseal(token) for token in _TOKENS[start:end]])


def member_identities(org_path: str, on: dt.date, *, processes: int = 0) -> reader.ArchivedPeople:
    """The ID numbers of the persons a snapshot of this subtree may match (as `reader.ArchivedPeople` keys),
    decrypted in this process's memory for the scan (see `reader`: it lets the scan hash only the rows that
    matched).

    The encrypted values arrive as one text stream (COPY … TO STDOUT on PostgreSQL) and are opened with the
    AES-GCM objects built once, by one forked process per core for a large subtree (`processes`: 0 = so, 1 = in
    this process, as the API does: no fork inside a request). The keys live only as long as the load; they are
    never written anywhere. A token that does not open (a key no longer configured, a damaged value) fails the
    load: the data must be repaired, not matched around."""
    where, params = scope_sql(org_path, on)
    # no DISTINCT: a sort of 1M strings under the collation; np.unique dedupes the keys. The default work_mem is kept:
    # it lets PostgreSQL merge-join the members' index with the households' primary key where more memory makes
    # it hash both tables (twice as slow under load).
    sql = f"SELECT m.identity_number {where}"
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            bulk_settings(cursor, memory=False)
            literal = cursor.mogrify(sql, params)
            literal = literal.decode() if isinstance(literal, bytes) else literal
            with cursor.copy(f"COPY ({literal}) TO STDOUT") as copy:
                blob = b"".join(bytes(block) for block in copy)
        tokens = blob.split(b"\n")
        del blob
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            tokens = [token.encode() for (token,) in cursor.fetchall()]
    tokens = [token for token in tokens if token]
    workers = processes or (min(os.cpu_count() or 1, 4) if len(tokens) >= PARALLEL_MIN_IDENTITIES else 1)
    if workers <= 1:
        unseal = crypto.bulk_decryptor()
        return reader.ArchivedPeople.from_keys([reader.ArchivedPeople.keys_of([unseal(t) for t in tokens])])
    step = -(-len(tokens) // workers)
    with reader.FORK_LOCK:
        _TOKENS[:] = tokens
        del tokens
        try:
            return reader.ArchivedPeople.from_keys(
                reader.fork_map(_unseal_part, [(i, i + step) for i in range(0, len(_TOKENS), step)]))
        finally:
            _TOKENS.clear()


# --- writing the kept rows -------------------------------------------------------------------------------------

_STAGE = "crosscheck_stage"
_COLUMNS = ("snapshot_id, row_number, identity_hash, member_id, household_id, code, event_date, amount_fen, quantity, "
            "extra")


def _write_rows(snapshot: Snapshot, kept: list, org_path: str, on: dt.date) -> int:
    """COPY (PostgreSQL) / executemany (SQLite) the kept rows into a temporary table, then one INSERT … SELECT
    joining the members in scope by their hash (the member and household are resolved here, in the same
    transaction as the write). Returns the number of file rows kept."""
    where, params = scope_sql(org_path, on)
    joined = where.replace("FROM registry_member m", f"FROM {_STAGE} s JOIN registry_member m "
                           "ON m.identity_hash = s.identity_hash", 1)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGE} (row_number integer, identity_hash varchar(64), code varchar(32), "
            "event_date date, amount_fen bigint, quantity integer, extra text)")
        select = (f"SELECT %s, s.row_number, s.identity_hash, m.id, m.household_id, s.code, s.event_date, "
                  f"s.amount_fen, s.quantity, {{extra}} {joined}")
        if connection.vendor == "postgresql":
            bulk_settings(cursor)
            with cursor.copy(f"COPY {_STAGE} FROM STDIN") as copy:
                for row in kept:
                    copy.write_row(row)
            cursor.execute(f"ANALYZE {_STAGE}")
            cursor.execute(
                f"WITH kept AS (INSERT INTO crosscheck_snapshotrow ({_COLUMNS}) "  # noqa: S608 - our SQL fragments; values are parameters
                f"{select.format(extra='s.extra::jsonb')} RETURNING row_number) "
                "SELECT COUNT(DISTINCT row_number) FROM kept", [snapshot.pk, *params])
            matched = cursor.fetchone()[0]
        else:
            cursor.executemany(f"INSERT INTO {_STAGE} VALUES (%s, %s, %s, %s, %s, %s, %s)", kept)  # noqa: S608 - our SQL fragments; values are parameters
            cursor.execute(f"INSERT INTO crosscheck_snapshotrow ({_COLUMNS}) {select.format(extra='s.extra')}",
                           [snapshot.pk, *params])
            matched = SnapshotRow.objects.filter(snapshot=snapshot).values("row_number").distinct().count()
        cursor.execute(f"DROP TABLE {_STAGE}")
        if connection.vendor == "postgresql":
            # the rules run next: give the planner the new row counts (a fresh table looks empty to it)
            cursor.execute("ANALYZE crosscheck_snapshotrow")
    return matched


# --- the write functions ---------------------------------------------------------------------------------------

def _check_can_load(actor, org, source, as_of):
    errors = {}
    if not source.enabled:
        errors["source"] = [_("This data source is switched off.")]
    if as_of is None:
        errors["as_of"] = [_("Give the date the data are as of.")]
    elif as_of > timezone.localdate():
        errors["as_of"] = [_("The data cannot be as of a future date.")]
    if errors:
        raise ValidationError(errors)


def _finish(actor, org, source, *, channel, as_of, file_name, sha256, lines, blank, scan, kept, rejected,
            started) -> Snapshot:
    with transaction.atomic():
        # Two loads of the same (source, union) at once would both read the same highest version and the second
        # insert would break the unique version (a 500), or both end "latest": the version is allocated under a
        # lock of the (source, union) held to the commit, so the second load waits and becomes the next version.
        # Only the write phase is serialised: the scan of the file, the longest part, ran before without it.
        locks.xact_lock("snapshot", source.pk, org.pk)
        version = (Snapshot.objects.filter(source=source, org=org).aggregate(v=Max("version"))["v"] or 0) + 1
        snapshot = Snapshot.objects.create(
            source=source, org=org, version=version, as_of=as_of, channel=channel, file_name=file_name[:200],
            file_sha256=sha256, loaded_by=actor, state=SnapshotState.LOADING)
        matched = _write_rows(snapshot, kept, org.path, as_of) if kept else 0
        listed = [{"row": n, "id": m, "problem": reader.problem_text(p)} for n, m, p in scan.rejected_rows]
        listed += [{"row": n, "id": m, "problem": p} for n, m, p in rejected][:reader.MAX_REJECTED_LISTED]
        Snapshot.objects.filter(source=source, org=org, is_latest=True).update(is_latest=False)
        snapshot.state = SnapshotState.LOADED
        snapshot.is_latest = True
        snapshot.rows_read = lines - blank
        snapshot.rows_matched = matched
        snapshot.rows_rejected = scan.rejected + len(rejected)
        snapshot.rows_discarded = snapshot.rows_read - snapshot.rows_rejected - matched
        snapshot.rejected_rows = sorted(listed, key=lambda r: r["row"])
        snapshot.finished_at = timezone.now()
        snapshot.seconds = round(time.monotonic() - started, 3)
        snapshot.save()
        # One audit record for the whole load; every kept row carries the snapshot that wrote it.
        audit.log_access(None, "crosscheck", obj=snapshot, user=actor, what="snapshot_load", source=source.code,
                         version=version, rows_read=snapshot.rows_read, rows_matched=matched,
                         rows_rejected=snapshot.rows_rejected)
    return snapshot


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_load(actor, org, source: DataSource, *, path: str, file_name: str, as_of: dt.date,
                  channel: str = Channel.UPLOAD, processes: int = 0) -> Snapshot:
    """Load a file (already in a temporary file at `path`); refusals are ValidationErrors on "file"."""
    _check_can_load(actor, org, source, as_of)
    started = time.monotonic()
    try:
        limits.check_size(os.path.getsize(path))
        kind = reader.sniff(path, file_name)
        if kind == "csv":
            cells, header_end, encoding = reader.csv_header(path)
            mapping = map_header(source, cells)
            people = member_identities(org.path, as_of, processes=processes)
            scan = reader.scan_csv(path, header_end, mapping["id_number"], people, processes=processes)
        else:
            rows = reader.xlsx_rows(path)
            mapping = map_header(source, [reader.cell_text(c) for c in rows[0]])
            encoding = "utf-8"
            people = member_identities(org.path, as_of, processes=processes)
            scan = reader.scan_rows([[reader.cell_text(c) for c in r] for r in rows[1:]], mapping["id_number"],
                                    people, 2)
        if scan.lines - scan.blank == 0:
            raise reader.FileProblem(_("The file has a header row but no data rows."))
    except reader.FileProblem as problem:
        raise ValidationError({"file": [str(problem)]}) from None
    kept, rejected = typed_rows(source, mapping, scan.matched, encoding)
    return _finish(actor, org, source, channel=channel, as_of=as_of, file_name=file_name, sha256=_sha256(path),
                   lines=scan.lines, blank=scan.blank, scan=scan, kept=kept, rejected=rejected, started=started)


def snapshot_push(actor, org, source: DataSource, *, rows: list[dict], as_of: dt.date) -> Snapshot:
    """The API's JSON rows: each a mapping of column (key or header alias) → value; the same checks as a file."""
    _check_can_load(actor, org, source, as_of)
    started = time.monotonic()
    if not rows:
        raise ValidationError({"rows": [_("No rows were sent.")]})
    header = []
    for row in rows:
        for key in row:
            if key not in header:
                header.append(key)
    try:
        mapping = map_header(source, header)
    except reader.FileProblem as problem:
        raise ValidationError({"rows": [str(problem)]}) from None
    people = member_identities(org.path, as_of, processes=1)  # the API: no fork inside a request
    table = [[reader.cell_text(row.get(key)) for key in header] for row in rows]
    scan = reader.scan_rows(table, mapping["id_number"], people, 1)
    kept, rejected = typed_rows(source, mapping, scan.matched)
    body = json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str).encode()
    return _finish(actor, org, source, channel=Channel.API, as_of=as_of, file_name="", sha256=hashlib.sha256(
        body).hexdigest(), lines=scan.lines, blank=scan.blank, scan=scan, kept=kept, rejected=rejected,
        started=started)
