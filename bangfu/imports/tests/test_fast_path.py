"""The performance paths give what the plain paths give.

* rowcheck._fast_row (rows that are plainly right) stages exactly what validate._full_row (the forms' own
  functions) stages, on generated rows good and bad; a row the full path refuses never passes the fast one.
* The CSV cutter of pipeline.py (record-aligned byte blocks for the worker processes) numbers rows as the csv
  module does, quoted newlines and CRLF included.
* A re-import after a change made through the forms is "changed" (the fingerprint is compared only while the
  archive is as the import left it), and imported households are classified.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest

from bangfu.core.crypto import decrypt
from bangfu.imports import pipeline, rowcheck, validate
from bangfu.imports.columns import COLUMNS
from bangfu.imports.models import ImportJob
from bangfu.imports.pipeline import run_job
from bangfu.imports.services import import_job_create
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household

pytestmark = pytest.mark.django_db

ENCRYPTED = {validate.STAGED_FIELDS.index(name) for name in ("identity_number", "phone", "address", "bank_account")}
BAD_VALUES = {
    "relation": ["", "本人", "邻居", "x" * 30],
    "name": ["", "  ", "张" * 70, "a\x00b"],
    "sex": ["男", "女", "X", "未知"],
    "birth_date": ["2099-01-01", "1899-12-31", "2020.2.30", "昨天", "1980年5月17日", "29000"],
    "health": ["良好", "不明", "x" * 30],
    "disability_type": ["", "肢体", "不明"],
    "disability_grade": ["", "0", "2", "5", "二级", "2.5", "abc"],
    "is_student": ["是", "否", "也许"],
    "school_stage": ["初中", "不明"],
    "monthly_income_declared": ["1,234.50", "-5", "1234.567", "12345678901", "abc元", "￥2,000"],
    "phone": ["13800138000", "123", "abc12345678", "+86-138-0013-8000"],
    "identity_number": ["4.40106E+17", "44010619800517123", "=A1", "440106198005171230"],
    "document_type": ["", "居民身份证", "出生医学证明", "护照"],
    "division": ["440106", "999999", ""],
    "registration_division": ["", "440103", "12"],
    "housing_type": ["租房", "城堡"],
    "housing_area": ["45.5", "-3", "99999.99", "1234567", "大"],
    "single_parent": ["是", "否", "也许"],
    "bank_account": ["", "6222 0202 0000 1234 567", "12345", "62220202000012345x"],
    "bank_account_holder": ["王强", "王" * 70],
    "main_cause": ["下岗失业", "", "不存在"],
    "secondary_causes": ["", "重大疾病", "下岗失业", "重大疾病、子女教育、残疾、其他"],
    "org_code": ["", "NOPE"],
}


def _rows(org_code: str, n: int = 120):
    rng = random.Random(6)
    rows = []
    for i in range(n):
        household = household_rows(i + 1, org_code, size=rng.choice((1, 2, 3)))
        for row in household:
            if rng.random() < 0.6:
                key = rng.choice(sorted(BAD_VALUES))
                row = {**row, key: rng.choice(BAD_VALUES[key])}
            rows.append(row)
    return rows


def _comparable(staged):
    return tuple(decrypt(v) if i in ENCRYPTED and v else v for i, v in enumerate(staged))


def test_fast_path_stages_exactly_what_the_forms_functions_stage(tree, grassroots_cadre):
    ctx = validate.Context.load(7, grassroots_cadre)
    ctx.ready()
    fast_taken = refused = 0
    for row_no, row in enumerate(_rows(tree.grassroots.code), start=2):
        cells = {c.key: row.get(c.key, "") for c in COLUMNS if c.where != "ignore"}
        full = validate._full_row(ctx, row_no, dict(cells))
        fast = rowcheck._fast_row(ctx, row_no, dict(cells))
        if full[1]:
            refused += 1
            assert fast is None, (row, full[1])
        if fast is None:
            continue
        fast_taken += 1
        assert fast[1] == [] and full[1] == [], row
        assert _comparable(fast[0]) == _comparable(full[0]), row
        assert fast[2] == full[2]
    assert fast_taken > 50 and refused > 50, (fast_taken, refused)


def _numbered(data: bytes, header_index: int):
    start = pipeline._data_offset_bytes(data, header_index)
    numbered = []
    for block, first, records in pipeline._record_blocks(io.BytesIO(data[start:]), header_index + 2, 64):
        rows = list(csv.reader(io.StringIO(block.decode("utf-8"), newline="")))
        assert len(rows) == records
        numbered += [(first + i, row) for i, row in enumerate(rows)]
    return numbered


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_csv_blocks_number_rows_as_the_csv_module(newline):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(["标题"])
    writer.writerow(["户主身份证号", "姓名", "备注"])
    expected = []
    for i in range(300):
        row = [f"4401{i:05d}", f"王{i}", f'line one{newline}line "two", {i}' if i % 7 == 0 else f"1,2{i}"]
        writer.writerow(row)
        expected.append(row)
    writer.writerow([])
    data = buffer.getvalue().encode("utf-8")
    reference = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    got = _numbered(data, 1)
    assert [row for _n, row in got] == reference[2:]
    assert [n for n, _row in got] == list(range(3, len(reference) + 1))


def _run(user, data: bytes) -> ImportJob:
    return run_job(import_job_create(user, upload(data), enqueue=False).pk)


def test_reimport_after_a_change_by_the_forms_is_changed(tree, grassroots_cadre):
    from bangfu.registry.services.archive import household_update

    data = csv_bytes(household_rows(1, tree.grassroots.code) + household_rows(2, tree.grassroots.code))
    first = _run(grassroots_cadre, data)
    assert (first.state, first.households_created) == (ImportJob.State.SUCCEEDED, 2)
    household = Household.objects.order_by("pk").first()
    household_update(grassroots_cadre, household, {"bank_name": "建设银行"})
    again = _run(grassroots_cadre, data)
    assert (again.households_changed, again.households_unchanged) == (1, 1)
    household.refresh_from_db()
    assert household.bank_name == ""  # the file's value is back (the template has no bank name here)
    third = _run(grassroots_cadre, data)
    assert (third.households_changed, third.households_unchanged) == (0, 2)


def test_identity_fast_path_keeps_dates_right(tree, grassroots_cadre):
    ctx = validate.Context.load(0, grassroots_cadre)
    tomorrow = ctx.today + dt.timedelta(days=1)
    first17 = f"440106{tomorrow:%Y%m%d}001"
    from bangfu.core.identity import check_character

    assert not validate.lean_identity(ctx, "resident_id", first17 + check_character(first17)).ok


def test_imported_households_are_classified_as_the_single_engine_does(tree, grassroots_cadre):
    from decimal import Decimal

    from bangfu.orgs.models import LocalStandard
    from bangfu.registry import classification

    for kind, amount in (("living_line", Decimal("1000.00")), ("minimum_wage", Decimal("2300.00"))):
        LocalStandard.objects.create(division_id="440100", kind=kind, amount=amount,
                                     effective_from=dt.date(2020, 1, 1), source="test")
    _run(grassroots_cadre, csv_bytes(household_rows(1, tree.grassroots.code) + household_rows(2, tree.grassroots.code)))
    for imported in Household.objects.all():
        assert imported.classified_at is not None
        single = classification.refresh(imported)  # the single engine, on the same household
        assert imported.category, "the division has a line: every household gets a category"
        assert (imported.category, imported.common_level) == ((single.category, single.common_level) if single
                                                              else ("", ""))


def test_changed_households_are_reclassified_and_unchanged_ones_left_alone(tree, grassroots_cadre):
    """Created households are classified as they are inserted; a re-import re-classifies only the ones it changed."""
    from decimal import Decimal

    from bangfu.orgs.models import LocalStandard
    from bangfu.registry import classification

    for kind, amount in (("living_line", Decimal("1000.00")), ("minimum_wage", Decimal("2300.00"))):
        LocalStandard.objects.create(division_id="440100", kind=kind, amount=amount,
                                     effective_from=dt.date(2020, 1, 1), source="test")
    code = tree.grassroots.code
    _run(grassroots_cadre, csv_bytes(household_rows(1, code) + household_rows(2, code)))
    Household.objects.update(category="", common_level="")  # a queryset UPDATE: updated_at is not bumped
    changed = household_rows(1, code, monthly_income_declared="1,300元") + household_rows(2, code)
    again = _run(grassroots_cadre, csv_bytes(changed))
    assert (again.households_changed, again.households_unchanged) == (1, 1)
    first, second = Household.objects.order_by("pk")
    single = classification.refresh(first)
    assert first.category and first.category == single.category
    second.refresh_from_db()
    assert second.category == ""  # unchanged: not written at all


def test_statistics_after_an_import_equal_a_rebuild(tree, grassroots_cadre):
    """The merge writes members and causes before each household's own row: the statistics triggers must still
    count every new household once, with its main cause and category."""
    from bangfu.stats import rollup
    from bangfu.stats.tests.test_rollup import assert_exact, snapshot

    code = tree.grassroots.code
    _run(grassroots_cadre, csv_bytes(household_rows(1, code) + household_rows(2, code) + household_rows(3, code)))
    assert_exact(tree)
    counts = rollup.household_counts(tree.grassroots)
    assert sum(counts.values()) == 3
    assert {key[2] for key in counts} == {"3"}  # the main cause 下岗失业, written before the household row
    rollup.compact()
    assert_exact(tree)
    incremental = snapshot()
    rollup.rebuild()
    assert snapshot() == incremental
