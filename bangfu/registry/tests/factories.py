"""Builders for registry test data. They write rows directly (fast, explicit) — tests of the write
functions themselves go through `bangfu.registry.services` instead."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from bangfu.core.identity import synthetic_resident_id
from bangfu.core.months import month_starts  # noqa: F401 - re-exported for tests
from bangfu.registry.models import (
    AssetDeclaration,
    Expense,
    Household,
    HouseholdCause,
    Member,
    MonthlyIncome,
    State,
)

_numbers = itertools.count(1)


def make_household(org, *, division=None, state=State.ACTIVE, size=1, monthly_wage=Decimal("0"),
                   months=12, as_of=dt.date(2026, 10, 31), main_cause="3", secondary=(), name="张三",
                   birth=dt.date(1980, 5, 17), **fields) -> Household:
    """A household with a head (and `size - 1` more members), a wage for each of the last `months` months."""
    n = next(_numbers)
    division = division or org.division
    household = Household.objects.create(
        org=org, archive_number=f"T{n:08d}", archive_level=min(org.level, 4), state=state,
        division=division, household_size=size, head_name_masked=name[0] + "*", **fields,
    )
    head = Member(household=household, is_head=True, relation="self", name=name, sex="M", birth_date=birth,
                  work_status="employed")
    head.set_identity(synthetic_resident_id(division.code, birth, (2 * n + 1) % 1000))
    if state in {"draft", "applied", "first_check", "home_visit", "economic_check", "public_notice",
                 "approval", "active"}:
        head.open_identity_hash = head.identity_hash
    head.save()
    for i in range(1, size):
        child_birth = dt.date(2012, 1, 1) + dt.timedelta(days=37 * i + n)
        member = Member(household=household, relation="child", name=f"张小{i}", sex="F", birth_date=child_birth,
                        is_student=True, school_stage="junior", work_status="")
        member.set_identity(synthetic_resident_id(division.code, child_birth, (2 * n + 2 * i) % 1000))
        member.save()
    for month in month_starts(as_of, months) if monthly_wage else []:
        MonthlyIncome.objects.create(household=household, member=head, month=month, income_type="wage",
                                     amount=monthly_wage)
    if main_cause:
        HouseholdCause.objects.create(household=household, code=main_cause, is_main=True)
    for code in secondary:
        HouseholdCause.objects.create(household=household, code=code, is_main=False)
    AssetDeclaration.objects.create(household=household)
    return household


def add_expense(household, group, kind, amount, on=dt.date(2026, 6, 1)) -> Expense:
    return Expense.objects.create(household=household, group=group, kind=kind, amount=Decimal(amount), incurred_on=on)


# A 1×1 PNG and a minimal PDF: real bytes for evidence-file tests (added by the archive helper).
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a5d40000000049454e44ae426082"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n" \
    b"trailer<</Root 1 0 R>>\n%%EOF\n"


def make_attachment(household, kind="id_hukou", content=PNG_BYTES, name="scan.png"):
    """An evidence file stored like an upload (through the real write function)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bangfu.registry.services.evidence import attachment_add

    return attachment_add(household, SimpleUploadedFile(name, content), kind=kind)
