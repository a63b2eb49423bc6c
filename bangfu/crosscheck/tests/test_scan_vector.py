"""The vectorised CSV scan (`reader.scan_lines`) gives exactly the answer of the row-by-row reference
(`reader.scan_rows`, built on `canonical_id`) on every kind of messy line, whichever column holds the ID."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bangfu.core.crypto import keyed_hash
from bangfu.core.identity import synthetic_resident_id
from bangfu.crosscheck import reader


def _numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [synthetic_resident_id(rng.choice(["440106", "110105", "510104"]),
                                  dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25000)), rng.randrange(1000))
            for _ in range(count)]


def _messy_ids(archived: list[str], strangers: list[str]) -> list[str]:
    """Every form an ID cell takes in real files, each for an archived person and for a stranger."""
    out = []
    for number in archived[:20] + strangers[:20]:
        out += [
            number,                                   # the common case
            number[:6] + number[8:17],                # the old 15-digit card
            number[:17] + number[17].lower(),         # lower-case x (or a digit)
            " " + number,                             # a leading space
            "".join(chr(ord(c) + 0xFEE0) for c in number),  # full-width
            number[:17],                              # lost its last character
            number[:17] + ("0" if number[17] != "0" else "1"),  # wrong check character
            number[:6] + "19991399" + number[14:],    # not a real date
            "1.10105194912E+17", "", "abc", number + "1",
        ]
    for date in ("19990229", "20240431", "18991231", "20991231", "19800000", "19803201"):  # no such birth dates
        body = "440106" + date + "123"
        out.append(synthetic_resident_id("440106", dt.date(1980, 1, 1), 123)[:6] + date + "123"
                   + reader.CHECK.decode()[2 * int(body, 13) % 11])  # the right check character, a wrong date
    return out


@pytest.mark.parametrize("id_index", [0, 1, 2])
def test_vector_scan_equals_the_row_by_row_reference(id_index):
    archived, strangers = _numbers(60, 1), _numbers(60, 2)
    archived += [n for n in archived if n.endswith("X")][:1]  # a repeated person is one key
    people = reader.ArchivedPeople(n.encode() for n in archived)
    # the reference's own idea of the archived persons: a plain set of the numbers, no NumPy keys
    plain = {n.encode() for n in archived}
    lines = []
    for k, cell in enumerate(_messy_ids(archived, strangers)):
        fields = ["某某", "2026-01-05", "低保"]
        fields.insert(id_index, cell)
        lines.append(",".join(fields))
        if k % 37 == 0:
            lines.append("")  # a blank line
        if k % 53 == 0:
            lines.append("仅一列" if id_index else "")  # a line without the ID column
        if k % 41 == 0:
            lines += [",,,", " , ", "\t"]  # an Excel row of empty cells, spaces: no data
    lines += [number + ",x,y,z" if id_index == 0 else f"a,b,{number}" for number in archived[20:]]
    data = "\n".join(lines).encode("utf-8")

    fast = reader.scan_lines(data, id_index, people, 2)
    # the reference reads the records as the csv module gives them (an empty line is an empty record)
    records = [line.split(b",") if line else [] for line in data.split(b"\n")]
    reference = reader.scan_rows(records, id_index, plain, 2)

    assert fast.matched == reference.matched
    assert (fast.lines, fast.blank, fast.rejected, fast.discarded) == (
        reference.lines, reference.blank, reference.rejected, reference.discarded)
    assert sorted(fast.rejected_rows) == sorted(reference.rejected_rows)
    # the matched rows are the archived persons' and carry their keyed hash, never the plain number
    expected = {keyed_hash(n) for n in archived}
    assert fast.matched and {digest for _n, digest, _f in fast.matched} <= expected
    assert len(fast.matched) > 40  # the 18-digit, 15-digit, lower-case, spaced and full-width forms all match
    assert fast.rejected > 250 and fast.blank > 10
    # Windows line ends change nothing
    crlf = reader.scan_lines(data.replace(b"\n", b"\r\n"), id_index, people, 2)
    assert (crlf.matched, crlf.lines, crlf.blank, crlf.rejected) == (
        fast.matched, fast.lines, fast.blank, fast.rejected)


def test_vector_scan_of_tiny_blocks():
    number = _numbers(1, 5)[0]
    people = reader.ArchivedPeople([number.encode()])
    assert reader.scan_lines(b"", 0, people, 2).blank == 1
    short = reader.scan_lines(b"12345", 0, people, 2)
    assert (short.lines, short.rejected, short.matched) == (1, 1, [])
    alone = reader.scan_lines(number.encode(), 0, people, 2)  # the ID and nothing else, at the block's end
    assert [(n, h) for n, h, _f in alone.matched] == [(2, keyed_hash(number))]


def test_archived_people_keep_only_valid_resident_numbers():
    good = _numbers(3, 3)
    people = reader.ArchivedPeople([n.encode() for n in good] + [b"E12345678", good[0][:17].encode() + b"9"])
    assert len(people) == 3
    assert good[1].encode() in people
    assert _numbers(1, 4)[0].encode() not in people
    assert not reader.ArchivedPeople().contains_keys(people.keys).any()
