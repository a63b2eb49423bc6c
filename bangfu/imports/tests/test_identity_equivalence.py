"""The importer's lean identity path gives exactly what `bangfu.core.identity.parse_identity` gives (value, errors,
warnings, sex, birth date, area code) on a large deterministic sample of good and bad numbers: valid numbers of
known and unknown areas, wrong check characters, impossible and future dates, 15-digit numbers, lower-case x,
full-width characters, Excel floats (1.1E+17), 17 digits (lost X), spaces and hyphens, residence permits
(81/82/83) and foreign permanent-residence IDs under every document type, birth certificates."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bangfu.core.identity import DocumentType, IdentityCheck, check_character, parse_identity
from bangfu.imports import validate

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
DOC_TYPES = [code for code, _label in DocumentType.CHOICES]


def lean_path():
    """The lean function of validate.py (named `lean_identity` today; the pipeline's owner may rename it)."""
    for name in ("lean_identity", "fast_identity", "lean_parse_identity"):
        if hasattr(validate, name):
            return getattr(validate, name)
    raise AssertionError("validate.py has no lean identity function any more: update this test")


def _date(rng: random.Random, today: dt.date) -> dt.date:
    return dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange((today - dt.date(1900, 1, 1)).days + 1))


def _with_check(first17: str) -> str:
    return first17 + check_character(first17)


def sample(today: dt.date, known: list[str], n: int = 24_000) -> list[tuple[str, str]]:
    rng = random.Random(20260506)
    out: list[tuple[str, str]] = []
    unknown_areas = ["999999", "000000", "123456", "710000"]

    def area():
        return rng.choice(known) if rng.random() < 0.85 else rng.choice(unknown_areas)

    def body(birth=None, prefix=None):
        birth = birth or _date(rng, today)
        return f"{prefix or area()}{birth:%Y%m%d}{rng.randrange(1000):03d}"

    while len(out) < n:
        kind = rng.randrange(20)
        doc = DocumentType.RESIDENT_ID if rng.random() < 0.8 else rng.choice(DOC_TYPES)
        if kind < 7:  # valid
            raw = _with_check(body())
        elif kind == 7:  # wrong check character
            good = _with_check(body())
            raw = good[:17] + rng.choice([c for c in "0123456789X" if c != good[17]])
        elif kind == 8:  # impossible dates
            bad = rng.choice(["19800230", "19991301", "20010229", "18991231", "19000000", "20991231",
                              (today + dt.timedelta(days=1)).strftime("%Y%m%d"), today.strftime("%Y%m%d")])
            first17 = f"{area()}{bad}{rng.randrange(1000):03d}"
            raw = _with_check(first17) if rng.random() < 0.7 else first17 + "0"
        elif kind == 9:  # 15-digit (old cards), good and bad dates
            yymmdd = rng.choice([f"{rng.randrange(100):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}",
                                 "800230", "991301"])
            raw = f"{area()}{yymmdd}{rng.randrange(1000):03d}"
        elif kind == 10:  # lower-case x (search for a number whose check character is X)
            for _ in range(50):
                first17 = body()
                if check_character(first17) == "X":
                    break
            raw = first17 + rng.choice(["x", "X"])
        elif kind == 11:  # full-width
            raw = _with_check(body()).translate(FULL_WIDTH)
        elif kind == 12:  # Excel floats
            raw = rng.choice(["1.1E+17", "4.40106E+17", "4.40106198005E+17", "440106198005171234.0", "1E17",
                              "4.4E17", "1.10105E+17"])
        elif kind == 13:  # 17 digits (lost X or last digit)
            raw = body()
        elif kind == 14:  # HMT permits, valid or not
            raw = _with_check(body(prefix=rng.choice(["810000", "820000", "830000"])))
            if rng.random() < 0.3:
                raw = raw[:17] + ("0" if raw[17] != "0" else "1")
        elif kind == 15:  # foreign permanent residence (9…), valid or not
            raw = _with_check(f"9{rng.randrange(10**5):05d}{_date(rng, today):%Y%m%d}{rng.randrange(1000):03d}")
            if rng.random() < 0.3:
                raw = raw[:-1] + "Y"
        elif kind == 16:  # separators and spaces
            good = _with_check(body())
            raw = rng.choice([f" {good} ", f"{good[:6]} {good[6:14]} {good[14:]}", f"{good[:6]}-{good[6:]}",
                              good + "\t"])
        elif kind == 17:  # birth certificates and junk letters
            raw = rng.choice([f"{rng.choice('ABCMNOZ')}{rng.randrange(10**9):09d}", "a123456789", "AB12345678"])
        elif kind == 18:  # wrong lengths, empty, junk
            raw = rng.choice(["", " ", "0", body()[:rng.randrange(1, 17)], _with_check(body()) + "1",
                              "ＡＢＣ", "440106198005171234５", "44010619800517123Ｘ", "None", "-"])
        else:  # non-ASCII digits that are digits to Python but not to the ID scheme
            good = _with_check(body())
            raw = good[:5] + "\u0663" + good[6:]
        out.append((doc, raw))
    return out


def _facts(check) -> tuple:
    return (check.ok, check.value, list(check.errors), list(check.warnings), check.sex, check.birth_date,
            check.area_code)


def test_lean_identity_path_equals_parse_identity(tree, grassroots_cadre):
    lean = lean_path()
    ctx = validate.Context.load(0, grassroots_cadre)
    known = sorted(code for code in ctx.divisions if len(code) == 6)[:400]
    assert len(known) >= 50  # the real division table (loaded for every test database)
    cases = sample(ctx.today, known)
    assert len(cases) >= 20_000
    fast = 0
    mismatches = []
    for doc, raw in cases:
        got = lean(ctx, doc, raw)
        expected = parse_identity(doc, raw, today=ctx.today, known_area=ctx.divisions.__contains__)
        if not isinstance(got, IdentityCheck):
            fast += 1
        if _facts(got) != _facts(expected):
            mismatches.append((doc, raw, _facts(got), _facts(expected)))
    assert not mismatches, mismatches[:5]
    # The sample exercises both sides: the lean path itself, and numbers it hands to parse_identity.
    assert fast > 5_000, fast
    outcomes = [parse_identity(d, r, today=ctx.today).ok for d, r in cases[:5000]]
    assert 0.2 < sum(outcomes) / len(outcomes) < 0.8
