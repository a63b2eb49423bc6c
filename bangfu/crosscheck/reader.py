"""Reading a government data file (CSV in UTF-8 or GBK, xlsx) against its source's schema, and the fast path
that canonicalises and checks every ID number and keeps only the rows of archived persons.

The bulk path is byte-level: ID numbers are ASCII, and neither UTF-8 nor GBK ever uses the bytes of "," or a
newline inside a multi-byte character, so lines and fields are split as bytes and only the few rows that match
an archived person are decoded. Per row: canonical form (15 → 18 digits, lower-case x, full-width digits),
the check character (ISO 7064 MOD 11-2, computed as `2 * int(first17, 13) % 11`: 13 ≡ 2 (mod 11), so the
base-13 value of the 17 digits carries exactly the weights 2^(17-i) mod 11 of GB 11643), the birth date
(a set of every valid YYYYMMDD), then the membership test against the ID numbers of the archived persons in
scope (`people`: their canonical numbers, decrypted in memory by the loading job, see
`ingest.member_identities`). A row that matches no archived person is dropped right there: it never reaches
the database, not even a temporary table, and is never hashed; a row whose ID number is invalid (so matches
nobody) is counted and listed by its row number and problem only, without its (masked) ID. Only the rows
that matched are hashed (HMAC-SHA256 with its inner and outer SHA-256 states keyed once and copied per value:
the same digest as `bangfu.core.crypto.keyed_hash`, ×2.5 faster), and the hash is what goes on: the rows
are written and joined by it, never by the plain number.

Why the plain numbers and not their hashes: a 10-million-row roster has 2 % of rows that matter; hashing every
row to find them cost two SHA-256 compressions per row (half the scan), where decrypting the archived numbers
once costs one AES-GCM open per archived person. The numbers stay in the job's memory (and its forked scan
workers'), as the roster's own plain numbers do; nothing plain is written anywhere.

Large CSV files are scanned by several processes (fork), each over a byte range of the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import hashlib
import io
import multiprocessing
import os
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from numpy.lib.stride_tricks import sliding_window_view

from bangfu.core.identity import convert_15_to_18, normalise

CHECK = b"10X98765432"
MAX_REJECTED_LISTED = 500  # rejected rows listed (masked) on the snapshot; all are counted
PARALLEL_MIN_BYTES = 8 * 1024 * 1024


class FileProblem(Exception):
    """The file as a whole is refused (wrong type, empty, unknown columns, wrong template): nothing is kept."""


try:  # CPython's own SHA-256 (3.12+: _sha2, 3.11: _sha256): its copy() and digest() are a plain memcpy, where
    # OpenSSL's allocate a new EVP context each time; for an 18-byte value that makes the keyed hash ~25 % faster.
    from _sha2 import sha256 as _sha256_ctor
except ImportError:  # pragma: no cover - depends on the interpreter version
    try:
        from _sha256 import sha256 as _sha256_ctor
    except ImportError:
        _sha256_ctor = hashlib.sha256


def keyed_states(key: bytes | None = None):
    """The inner and outer SHA-256 states of HMAC-SHA256 under the identity-hash key, to be copied per value."""
    key = key if key is not None else settings.IDENTITY_HASH_KEY.encode()
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return _sha256_ctor(bytes(b ^ 0x36 for b in block)), _sha256_ctor(bytes(b ^ 0x5C for b in block))


_DATES: frozenset | None = None
_DATES_UNTIL: dt.date | None = None


def valid_dates() -> frozenset:
    """Every YYYYMMDD (bytes) from 1900-01-01 to today: the birth dates an ID number may carry."""
    global _DATES, _DATES_UNTIL
    today = dt.date.today()
    if _DATES is None or today != _DATES_UNTIL:
        day, one, out = dt.date(1900, 1, 1), dt.timedelta(days=1), []
        while day <= today:
            out.append(day.strftime("%Y%m%d").encode())
            day += one
        _DATES, _DATES_UNTIL = frozenset(out), today
    return _DATES


def _decode(raw: bytes) -> str:
    """A cell's bytes as text: UTF-8, else GBK (GB 18030) — a GBK file's full-width digits are not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def canonical_id(raw: bytes, dates=None) -> tuple[bytes | None, str]:
    """(canonical 18-character number, "") or (None, problem code). Lean equivalent of `parse_identity` for
    resident IDs (check character, real birth date, 15 → 18); the number of a kept row is the number of an
    archived member, which passed the full check when it was archived."""
    dates = dates if dates is not None else valid_dates()
    raw = raw.strip()
    if len(raw) == 18:
        body = raw[:17]
        last = raw[17]
        if last == 120:  # x
            last = 88
        if not body.isdigit():
            return None, "format"
        if raw[6:14] not in dates:
            return None, "date"
        if CHECK[2 * int(body, 13) % 11] != last:
            return None, "check"
        return body + bytes((last,)), ""
    if len(raw) == 15 and raw.isdigit():
        if b"19" + raw[6:12] not in dates:
            return None, "date"
        return convert_15_to_18(raw.decode()).encode(), ""
    if raw and not raw.isascii() or b" " in raw or b"-" in raw:
        text = normalise(_decode(raw))
        if text.isascii() and text.encode() != raw:
            return canonical_id(text.encode(), dates)
    if not raw:
        return None, "empty"
    if b"E+" in raw.upper() or b"." in raw:
        return None, "excel"
    if len(raw) == 17 and raw.isdigit():
        return None, "lost_x"
    return None, "format"


def problem_text(code: str) -> str:
    return {
        "empty": _("The ID number is empty."),
        "format": _("A resident ID number has 18 characters (or 15 digits for old cards)."),
        "date": _("The birth date in the ID number is not a real date."),
        "check": _("The check character of the ID number is wrong."),
        "excel": _("This number was turned into a number by Excel (e.g. 1.1E+17); re-enter it as text."),
        "lost_x": _("The ID number has 17 digits: its last character (often an X) seems lost; it is not guessed."),
    }.get(code, code)


@dataclass
class ScanResult:
    lines: int = 0
    blank: int = 0
    rejected: int = 0
    discarded: int = 0
    matched: list = field(default_factory=list)  # (row_number, hash_hex, [field bytes or str])
    # (row_number, "", problem code): an invalid ID matches no archived person, so nothing of the row is kept
    # but its number and the problem (data minimisation)
    rejected_rows: list = field(default_factory=list)


class ArchivedPeople:
    """The resident-ID numbers of the archived persons a load may match, as a sorted array of 64-bit keys:
    the 17 digits before the check character (which they determine). Only a valid 18-character number can
    match — `canonical_id` gives nothing else — so a stored number that is not one (another kind of document)
    is left out."""

    def __init__(self, numbers=()):
        self.keys = np.unique(self.keys_of(numbers))

    @staticmethod
    def keys_of(numbers) -> np.ndarray:
        """The keys of the valid resident-ID numbers among `numbers` (bytes), checked all at once."""
        eighteen = b"".join(n for n in numbers if len(n) == 18)
        ok, key = valid_keys(np.frombuffer(eighteen, dtype=np.uint8).reshape(-1, 18))
        return key[ok]

    @classmethod
    def from_keys(cls, parts) -> ArchivedPeople:
        people = cls()
        people.keys = np.unique(np.concatenate([np.asarray(p, dtype=np.uint64) for p in parts] or [people.keys]))
        return people

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, number: bytes) -> bool:
        """`number` is canonical (from `canonical_id`)."""
        return bool(self.contains_keys(np.array([int(number[:17])], dtype=np.uint64))[0])

    def contains_keys(self, keys) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.uint64)  # a signed array would be compared as float64 (inexact here)
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool)
        found = self.keys[np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)]
        return found == keys


def hashed_hits(hits) -> list[tuple[int, str, object]]:
    """(row number, canonical ID bytes, row) of the matched rows → (row number, keyed hash in hex, row)."""
    inner, outer = keyed_states()
    icopy, ocopy = inner.copy, outer.copy
    out = []
    for number, canonical, row in hits:
        h = icopy()
        h.update(canonical)
        o = ocopy()
        o.update(h.digest())
        out.append((number, o.hexdigest(), row))
    return out


def scan_rows(rows, id_index: int, people, first_row: int, result: ScanResult | None = None) -> ScanResult:
    """Rows are lists of fields (bytes or str); row numbers start at `first_row` (1 = the header); `people` is
    the set of the archived persons' canonical ID numbers (bytes)."""
    result = result or ScanResult()
    dates = valid_dates()
    hits, rejected_rows = [], result.rejected_rows
    row_number = first_row - 1
    rejected = discarded = 0
    for fields in rows:
        row_number += 1
        if not any(f.strip() for f in fields):
            result.blank += 1  # an empty line (or only commas and spaces): no data, not a row
            continue
        if len(fields) <= id_index:
            raw = b""
        else:
            raw = fields[id_index]
            if isinstance(raw, str):
                raw = raw.encode()
        number, problem = canonical_id(raw, dates)
        if number is None:
            rejected += 1
            if len(rejected_rows) < MAX_REJECTED_LISTED:
                rejected_rows.append((row_number, "", problem))  # no archived person: not even the masked ID
        elif number in people:
            hits.append((row_number, number, fields))
        else:
            discarded += 1
    result.matched.extend(hashed_hits(hits))
    result.lines += row_number - first_row + 1
    result.rejected += rejected
    result.discarded += discarded
    return result


# --- CSV -------------------------------------------------------------------------------------------------------

BLOCK_BYTES = 8 * 1024 * 1024  # a worker reads its byte range in blocks of this size (cut at a newline)
# The expected check character by `int(first17, 13) % 11` (the doubling of `2 * int(...) % 11` folded in).
_EXPECTED = tuple(CHECK[2 * r % 11:2 * r % 11 + 1] for r in range(11))


def scan_lines(data: bytes, id_index: int, people, first_row: int, result: ScanResult | None = None) -> ScanResult:
    """The bulk path over raw CSV bytes (lines without a quote), vectorised with NumPy over the whole block.

    The block is one byte array; the lines and the ID field of each are found from the positions of the
    newlines and commas, and the common case — an ID field of exactly 18 bytes, 17 digits, a real birth date,
    the right check character (upper-case X) — is checked for all lines at once, then looked up among the
    archived persons' keys (`ArchivedPeople`). Every other line (15 digits, lower-case x, full-width or spaced
    numbers, a missing field, blank and bad lines) goes to `_scan_slow`, which gives the same answer as
    `canonical_id` one line at a time. Only a matched line is split into its fields and its ID hashed."""
    result = result or ScanResult()
    if b'"' in data:
        return scan_rows(_split_lines(data), id_index, people, first_row, result)
    if b"\r" in data:
        data = data.replace(b"\r", b"")
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    starts = np.empty(len(newlines) + 1, dtype=np.int64)
    starts[0], starts[1:] = 0, newlines + 1
    ends = np.empty_like(starts)
    ends[:-1], ends[-1] = newlines, len(raw)
    commas = np.append(np.flatnonzero(raw == 44), len(raw) + 1)  # a sentinel past every line's end
    if id_index == 0:
        first = starts
    else:  # the ID field starts after the line's id_index-th comma, if the line has that many
        comma = commas[np.minimum(np.searchsorted(commas, starts) + (id_index - 1), len(commas) - 1)]
        first = np.where(comma < ends, comma + 1, ends)
    last = np.minimum(commas[np.searchsorted(commas, first)], ends)
    fast = np.flatnonzero(last - first == 18)
    # (lines, 18) bytes: a copy of 18 bytes per line out of a strided view (no index array per byte)
    ids = sliding_window_view(raw, 18)[first[fast]] if len(fast) else np.empty((0, 18), dtype=np.uint8)
    ok, key = valid_keys(ids)
    good = fast[ok]
    hit = people.contains_keys(key[ok])
    slow_mask = np.ones(len(starts), dtype=bool)
    slow_mask[good] = False
    matched = good[hit]
    hits = [(first_row + i, data[f:f + 18], data[b:e]) for i, f, b, e in zip(
        matched.tolist(), first[matched].tolist(), starts[matched].tolist(), ends[matched].tolist(), strict=True)]
    slow = [(first_row + i, data[starts[i]:ends[i]]) for i in np.flatnonzero(slow_mask).tolist()]
    if slow:
        _scan_slow(slow, id_index, people, hits, result, valid_dates())
    result.matched.extend(hashed_hits((number, canonical, line.split(b",")) for number, canonical, line in hits))
    result.lines += len(starts)
    result.discarded = result.lines - result.blank - result.rejected - len(result.matched)
    return result


def valid_keys(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (n, 18) bytes of candidate ID numbers: (is it a canonical resident-ID number — 17 digits, a real
    birth date, the right check character, upper-case X —, its key for `ArchivedPeople`), all at once."""
    digits = ids[:, :17] - 48  # uint8: anything but a digit wraps to > 9
    ok = (digits <= 9).all(axis=1)
    digits = digits.astype(np.int32)
    # garbage where a byte is not a digit, but those are already out (`ok`)
    key = ((digits[:, :9] @ _POWERS[-9:]).astype(np.uint64) * np.uint64(10 ** 8)
           + (digits[:, 9:] @ _POWERS[-8:]).astype(np.uint64))  # all unsigned: a signed term would make it float
    ok &= _CHECK_BYTES[(digits @ _WEIGHTS) % 11] == ids[:, 17]
    ok &= _valid_births(digits[:, 6:14])
    return ok, key


# GB 11643: the weight of each of the 17 digits and the check character for each weighted sum mod 11
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int32)
_CHECK_BYTES = np.frombuffer(CHECK, dtype=np.uint8)
_POWERS = (10 ** np.arange(8, -1, -1)).astype(np.int32)  # 10^8 … 1
_BIRTHS: tuple | None = None


def _valid_births(digits: np.ndarray) -> np.ndarray:
    """For (lines, 8) birth-date digits YYYYMMDD: is it in `valid_dates` (a real date, 1900 to today)? A table
    with a cell per (year, month, day ≤ 31) answers all lines at once."""
    global _BIRTHS
    dates = valid_dates()
    if _BIRTHS is None or _BIRTHS[0] is not dates:
        table = np.zeros((dt.date.today().year - 1899) * 372, dtype=bool)
        for date in dates:
            table[(int(date[:4]) - 1900) * 372 + (int(date[4:6]) - 1) * 31 + int(date[6:]) - 1] = True
        _BIRTHS = (dates, table)
    table = _BIRTHS[1]
    year, month, day = digits[:, :4] @ _POWERS[-4:], digits[:, 4:6] @ _POWERS[-2:], digits[:, 6:] @ _POWERS[-2:]
    cell = (year - 1900) * 372 + (month - 1) * 31 + (day - 1)
    usable = (year >= 1900) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (cell < len(table))
    return usable & table[np.where(usable, cell, 0)]


def _scan_slow(slow, id_index, people, hits, result, dates) -> None:
    rejected_rows = result.rejected_rows
    for number, line in slow:
        if id_index == 0:
            cut = line.find(b",")
            raw = line if cut < 0 else line[:cut]
        else:
            parts = line.split(b",", id_index + 1)
            raw = parts[id_index] if len(parts) > id_index else b""
        if not line.strip(b" ,\t"):
            result.blank += 1  # an empty line: no data, not a row
            continue
        canonical, problem = canonical_id(raw, dates)
        if canonical is None:
            result.rejected += 1
            if len(rejected_rows) < MAX_REJECTED_LISTED:
                rejected_rows.append((number, "", problem))  # no archived person: not even the masked ID
            continue
        if canonical in people:
            hits.append((number, canonical, line))
    hits.sort(key=lambda hit: hit[0])


def _split_lines(data: bytes):
    """The records of a block with quoted fields, each a list of the fields' original bytes.

    The block is parsed as Latin-1, which maps every byte to one character and back: the fields come out
    byte for byte as in the file, in UTF-8 or GBK alike (decoding as UTF-8 here turned every GBK character
    into U+FFFD). This is exact because neither encoding uses the bytes of '"', ',', CR or LF inside a
    multi-byte character (GBK's trail bytes are 0x40 and above, GB 18030's four-byte forms use digits). The
    csv module also keeps a quoted field's line break (e.g. an address on two lines) within its record."""
    for record in csv.reader(io.StringIO(data.decode("latin-1"), newline="")):
        yield [f.encode("latin-1") for f in record]


_STATE: dict = {}


def _scan_range(bounds) -> ScanResult:
    """Scan the lines of bytes [start, end) in blocks; row numbers are counted from 1 within the range."""
    start, end = bounds
    state, result = _STATE, ScanResult()
    with open(state["path"], "rb") as handle:
        handle.seek(start)
        position, carry = start, b""
        while position < end:
            block = handle.read(min(BLOCK_BYTES, end - position))
            if not block:
                break
            position += len(block)
            block = carry + block
            if position < end:
                cut = block.rfind(b"\n") + 1
                block, carry = block[:cut], block[cut:]
                if not block:
                    continue  # a line longer than a block: read on
            if block.endswith(b"\n"):
                block = block[:-1]
            scan_lines(block, state["id_index"], state["people"], result.lines + 1, result)
    return result


def _ranges(path: str, start: int, parts: int) -> list[tuple[int, int]]:
    size = os.path.getsize(path)
    step = max((size - start) // parts, 1)
    bounds, position = [], start
    with open(path, "rb") as handle:
        for _i in range(parts - 1):
            target = position + step
            if target >= size:
                break
            handle.seek(target)
            handle.readline()
            cut = handle.tell()
            bounds.append((position, cut))
            position = cut
    bounds.append((position, size))
    return [b for b in bounds if b[1] > b[0]]


# Held while a module-level hand-over to forked workers (`_STATE` here, `ingest._TOKENS`) is set: two loads in
# threads of one process (a threaded server, the API) must not see each other's.
FORK_LOCK = threading.Lock()


def fork_map(function, items: list) -> list:
    """`[function(item) for item in items]`, one forked process per item when there are several: the workers
    inherit the parent's memory (the large read-only sets they look up in) instead of receiving a copy. The
    caller holds `FORK_LOCK` while its hand-over state is set."""
    if len(items) <= 1:
        return [function(item) for item in items]
    gc.freeze()  # the forked workers share the parent's objects: no collector pass touches their pages
    try:
        with multiprocessing.get_context("fork").Pool(len(items)) as pool:
            return pool.map(function, items, chunksize=1)
    finally:
        gc.unfreeze()


def scan_csv(path: str, header_end: int, id_index: int, people, *, processes: int = 0) -> ScanResult:
    """Scan the data lines of a CSV file (after byte `header_end`); several processes for a large file."""
    size = os.path.getsize(path)
    if processes <= 0:
        processes = min(os.cpu_count() or 1, 4) if size - header_end >= PARALLEL_MIN_BYTES else 1
    ranges = _ranges(path, header_end, processes)
    with FORK_LOCK:
        _STATE.update(path=path, id_index=id_index, people=people)
        try:
            parts = fork_map(_scan_range, ranges)
        finally:
            _STATE.clear()
    total = ScanResult()
    offset = 1  # the header is row 1
    for part in parts:
        total.matched.extend((n + offset, h, f) for n, h, f in part.matched)
        room = MAX_REJECTED_LISTED - len(total.rejected_rows)
        total.rejected_rows.extend((n + offset, m, p) for n, m, p in part.rejected_rows[:max(room, 0)])
        total.lines += part.lines
        total.rejected += part.rejected
        total.discarded += part.discarded
        total.blank += part.blank
        offset += part.lines
    return total


def sniff(path: str, file_name: str) -> str:
    """"csv" or "xlsx" by the content; a file that is not what its extension claims is refused."""
    size = os.path.getsize(path)
    if size == 0:
        raise FileProblem(_("The file is empty. Upload the filled-in template with a header row and data rows."))
    with open(path, "rb") as handle:
        head = handle.read(8192)
    extension = os.path.splitext(file_name.lower())[1]
    is_zip = head.startswith(b"PK\x03\x04")
    is_ole = head.startswith(b"\xd0\xcf\x11\xe0")
    if extension in (".xlsx", ".xlsm"):
        if not is_zip:
            raise FileProblem(_("The file “%(name)s” is called an Excel workbook (.xlsx) but is not one. Save it "
                                "from Excel as .xlsx, or as CSV (UTF-8) and upload that.") % {"name": file_name})
        return "xlsx"
    if extension == ".xls" or is_ole:
        raise FileProblem(_("Old Excel files (.xls) are not read. Save the sheet as .xlsx or CSV and upload "
                            "that."))
    if extension not in (".csv", ".txt", ""):
        raise FileProblem(_("Files of type “%(ext)s” are not read: upload a CSV (UTF-8 or GBK) or an .xlsx "
                            "file.") % {"ext": extension})
    if is_zip or b"\0" in head:
        raise FileProblem(_("The file “%(name)s” is called a CSV text file but its content is binary (perhaps an "
                            "Excel workbook renamed). Save it as CSV (UTF-8) or upload the .xlsx itself.")
                          % {"name": file_name})
    return "csv"


def csv_header(path: str) -> tuple[list[str], int, str]:
    """Header cells, the byte offset where data starts, the encoding (utf-8 or gb18030)."""
    with open(path, "rb") as handle:
        first = handle.readline()
        end = handle.tell()
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = first.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise FileProblem(_("The file is neither UTF-8 nor GBK text."))
    cells = next(csv.reader([text.strip("\r\n")]), [])
    if not any(c.strip() for c in cells):
        raise FileProblem(_("The first row of the file is empty: it must be the header row of the template."))
    return [c.strip() for c in cells], end, encoding


def xlsx_rows(path: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    from bangfu.crosscheck.limits import check_xlsx

    check_xlsx(path)
    try:
        workbook = CalamineWorkbook.from_path(path)
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as error:  # noqa: BLE001 - any reader error is a file the user must fix
        raise FileProblem(_("The Excel file could not be read (%(error)s). Open it in Excel, save it again as "
                            ".xlsx and upload that.") % {"error": str(error)[:200]}) from None
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise FileProblem(_("The file is empty. Upload the filled-in template with a header row and data rows."))
    return rows


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e15 else str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def csv_from_text(text: str) -> io.StringIO:
    return io.StringIO(text)
