"""One validation per rule: each bad value is fed (a) to the archive write functions the registry's forms call
(`household_create`, `member_add`, `causes_set` in bangfu/registry/services/archive.py) and (b) to the importer as a
one-household CSV; both must refuse the same field with the same message (and accept the same good values)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from bangfu.core.identity import check_character, synthetic_resident_id
from bangfu.imports.columns import BY_KEY, COLUMNS
from bangfu.imports.models import ImportIssue, ImportJob
from bangfu.imports.pipeline import run_job
from bangfu.imports.services import import_job_create
from bangfu.imports.tests.helpers import csv_bytes, upload
from bangfu.registry.models import Household, Member, State
from bangfu.registry.services import archive as A

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEAD_ID = synthetic_resident_id("440106", dt.date(1971, 2, 3), 111)
CHILD_ID = synthetic_resident_id("440106", dt.date(2012, 6, 7), 222)
ADULT_ID = synthetic_resident_id("440106", dt.date(1985, 8, 9), 333)
HEADER_TO_KEY = {column.header: column.key for column in COLUMNS}
# The form's field name -> the template's column (the importer reports by column).
FIELD_TO_COLUMN = {"main": "main_cause", "secondary": "secondary_causes"}


def _bad_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


IMPOSSIBLE_DATE = "44010619800230" + "123"
IMPOSSIBLE_DATE += check_character(IMPOSSIBLE_DATE)
OLD_15 = "440106710203111"  # converted to 18 digits: accepted by both


# (case id, where: "member" | "household" | "causes", the form's values, the importer's cells (None: the same))
CASES = [
    ("bad check character", "member", {"identity_number": _bad_check(ADULT_ID)}, None),
    ("impossible date in the ID", "member", {"identity_number": IMPOSSIBLE_DATE}, None),
    ("15-digit number, converted", "member", {"identity_number": OLD_15[:6] + "850809" + "334"}, None),
    ("17 digits, lost X", "member", {"identity_number": ADULT_ID[:17]}, None),
    ("Excel float", "member", {"identity_number": "4.40106E+17"}, None),
    ("unknown health", "member", {"health": "zz-health"}, None),
    ("unknown work status", "member", {"work_status": "zz-work"}, None),
    ("unknown relation", "member", {"relation": "zz-rel"}, None),
    ("future birth date", "member", {"birth_date": "2099-01-01"}, None),
    ("disability grade without type", "member", {"disability_grade": 2}, None),
    ("bad phone", "member", {"phone": "12ab34"}, None),
    ("birth certificate for an adult", "member",
     {"document_type": "birth_cert", "identity_number": "A123456789", "birth_date": "1985-08-09", "sex": "F"},
     {"document_type": "出生医学证明", "identity_number": "A123456789", "birth_date": "1985-08-09", "sex": "女"}),
    ("bad bank account", "household", {"bank_account": "12345"}, None),
    ("unknown division", "household", {"division": "999999"}, None),
    ("two main causes", "causes", {"main": "3,6", "secondary": []},
     {"main_cause": "3,6", "secondary_causes": ""}),
    ("four secondary causes", "causes", {"main": "3", "secondary": ["1", "2", "4", "5"]},
     {"main_cause": "3", "secondary_causes": "1、2、4、5"}),
    ("a good row", "member", {}, None),
]


def _form_member(actor, household, extra: dict) -> dict:
    data = {"relation": "spouse", "name": "李四", "document_type": "resident_id", "identity_number": ADULT_ID}
    data.update(extra)
    if isinstance(data.get("birth_date"), str):
        data["birth_date"] = dt.date.fromisoformat(data["birth_date"])
    try:
        A.member_add(actor, household, data)
    except ValidationError as error:
        return {FIELD_TO_COLUMN.get(k, k): sorted(v) for k, v in error.message_dict.items()}
    return {}


def _form_household(actor, org, extra: dict) -> dict:
    data = {"division": "440106", "housing_type": "", "bank_account_holder": "王大"}
    data.update(extra)
    head = {"name": "王大", "document_type": "resident_id", "identity_number": HEAD_ID}
    try:
        A.household_create(actor, org, data, head)
    except ValidationError as error:
        return {FIELD_TO_COLUMN.get(k, k): sorted(v) for k, v in error.message_dict.items()}
    return {}


def _form_causes(actor, household, extra: dict) -> dict:
    try:
        A.causes_set(household, extra["main"], extra["secondary"], actor=actor)
    except ValidationError as error:
        return {FIELD_TO_COLUMN.get(k, k): sorted(v) for k, v in error.message_dict.items()}
    return {}


def _import(actor, org_code: str, where: str, cells: dict) -> dict:
    head = {"head_identity": HEAD_ID, "relation": "本人", "name": "王大", "identity_number": HEAD_ID,
            "org_code": org_code, "division": "440106", "bank_account_holder": "王大", "main_cause": "3"}
    rows = [head]
    if where == "member":
        member = {"head_identity": HEAD_ID, "relation": "spouse", "name": "李四", "identity_number": ADULT_ID}
        member.update(cells)
        rows.append(member)
    else:
        head.update(cells)
    job = run_job(import_job_create(actor, upload(csv_bytes(rows)), enqueue=False).pk)
    found: dict = {}
    for column, message in ImportIssue.objects.filter(job=job).values_list("column", "message"):
        found.setdefault(HEADER_TO_KEY.get(column, column), []).append(message)
    return {key: sorted(messages) for key, messages in found.items()}, job


@pytest.mark.parametrize(("case", "where", "form_values", "import_cells"), CASES, ids=[c[0] for c in CASES])
def test_the_form_and_the_importer_refuse_the_same_field_with_the_same_message(
        tree, grassroots_cadre, case, where, form_values, import_cells):
    if where == "member":
        target = Household.objects.create(org=tree.grassroots, archive_number="T-PARITY-1", archive_level=4,
                                          state=State.DRAFT, division_id="440106")
        Member.objects.create(household=target, is_head=True, relation="self", name="王大", sex="M",
                              birth_date=dt.date(1971, 2, 3))
        form = _form_member(grassroots_cadre, target, form_values)
        target.delete()  # the importer's household is a new one
    elif where == "household":
        form = _form_household(grassroots_cadre, tree.grassroots, form_values)
        Household.objects.all().delete()
    else:
        target = Household.objects.create(org=tree.grassroots, archive_number="T-PARITY-2", archive_level=4,
                                          state=State.DRAFT, division_id="440106")
        form = _form_causes(grassroots_cadre, target, form_values)
        target.delete()
    cells = import_cells if import_cells is not None else {
        key: (str(value) if not isinstance(value, str) else value) for key, value in form_values.items()}
    imported, job = _import(grassroots_cadre, tree.grassroots.code, where, cells)
    assert imported == form, f"{case}: form {form} / import {imported}"
    if form:
        assert job.state == ImportJob.State.FAILED and not Household.objects.exists()
    else:
        assert job.state == ImportJob.State.SUCCEEDED, job.error


@pytest.fixture
def other_union_archive(tree):
    """An open archive of the sibling union (the importing user cannot see it) holding ADULT_ID."""
    household = Household.objects.create(org=tree.sibling, archive_number="SIB-2026-00001", archive_level=4,
                                         state=State.ACTIVE, division_id="440106")
    member = Member(household=household, is_head=True, relation="self", name="赵五", sex="M",
                    birth_date=dt.date(1985, 8, 9))
    member.set_identity(ADULT_ID)
    member.open_identity_hash = member.identity_hash
    member.save()
    return household


@pytest.fixture
def own_union_archive(tree):
    """An open archive of the importing user's own union holding ADULT_ID (named in the refusal)."""
    household = Household.objects.create(org=tree.grassroots, archive_number="OWN-2026-00001", archive_level=4,
                                         state=State.ACTIVE, division_id="440106")
    member = Member(household=household, is_head=True, relation="self", name="赵五", sex="M",
                    birth_date=dt.date(1985, 8, 9))
    member.set_identity(ADULT_ID)
    member.open_identity_hash = member.identity_hash
    member.save()
    return household


@pytest.mark.parametrize(("archive", "named"), [("other_union_archive", False), ("own_union_archive", True)])
def test_a_person_in_another_open_archive_is_refused_alike(request, tree, grassroots_cadre, archive, named):
    existing = request.getfixturevalue(archive)
    target = Household.objects.create(org=tree.grassroots, archive_number="T-PARITY-3", archive_level=4,
                                      state=State.DRAFT, division_id="440106")
    Member.objects.create(household=target, is_head=True, relation="self", name="王大", sex="M",
                          birth_date=dt.date(1971, 2, 3))
    form = _form_member(grassroots_cadre, target, {})
    target.delete()
    imported, job = _import(grassroots_cadre, tree.grassroots.code, "member", {})
    assert imported == form
    message = form["identity_number"][0]
    assert (existing.archive_number in message) is named
    assert (existing.org.name in message) is named
    assert job.state == ImportJob.State.FAILED


def test_every_case_of_the_brief_is_in_the_table():
    names = {case[0] for case in CASES}
    assert len(names) == len(CASES)
    assert {"bad check character", "impossible date in the ID", "15-digit number, converted", "unknown health",
            "unknown work status", "unknown relation", "future birth date", "disability grade without type",
            "bad phone", "bad bank account", "birth certificate for an adult", "two main causes",
            "four secondary causes", "unknown division"} <= names
    assert BY_KEY["main_cause"] and BY_KEY["secondary_causes"]
