"""The change log of care records, as an audit administrator (not a counsellor) reads it: it shows that a record
changed, by whom and when — never whom it is about (household, member, the screening behind a crisis, the
union responsible for it) nor any health content."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from bangfu.audit.models import ChangeLogEntry
from bangfu.audit.registry import FULL_MASK
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, Screening
from bangfu.care.services import acknowledge, open_care_plan, record_session
from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9

pytestmark = pytest.mark.django_db

# Fields that would tell who the record is about, per model: logged masked (set → "******").
WHO = {
    CrisisCase: ("household", "screening", "responsible_org"),
    Screening: ("household", "member"),
    CounsellingSession: ("household", "member"),
    CarePlan: ("household",),
}


def entries(obj):
    return ChangeLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj),
                                         object_id=str(obj.pk)).order_by("pk")


@pytest.fixture
def records(screen, counsellor, household, member):
    screening = screen(PHQ9_POSITIVE_ITEM_9)
    case = CrisisCase.objects.get()
    acknowledge(case, counsellor, "Phoned the family.")
    session = record_session(household, counsellor, kind="counselling", held_on=timezone.localdate(),
                             member=member, notes="Calm.")
    plan = open_care_plan(household, counsellor, opened_on=timezone.localdate(), goals="Weekly talks.")
    return [case, screening, session, plan]


def test_the_change_log_does_not_say_whom_a_care_record_is_about(records, household, member):
    secret_ids = {household.pk, member.pk, household.org_id, records[1].pk}
    for record in records:
        created = entries(record).first()
        assert created is not None, type(record).__name__
        for name in WHO[type(record)]:
            assert created.changes[name] == [None, FULL_MASK], (type(record).__name__, name)
        for name, (before, after) in created.changes.items():
            if name in ("counsellor", "acknowledged_by"):  # who acted stays in clear, for forensics
                continue
            assert before not in secret_ids and after not in secret_ids, (type(record).__name__, name, after)
    case = records[0]
    acknowledged = entries(case).last()
    assert acknowledged.changes["state"] == ["open", "acknowledged"]  # what happened, and when, stays readable
    assert acknowledged.changes["action_taken"] == ["", FULL_MASK]


def test_an_audit_admin_reading_a_crisis_case_entry_sees_no_household(records, household, member, audit_admin,
                                                                      signed_in):
    client = signed_in(audit_admin)
    case = records[0]
    seen = set()
    for entry in entries(case):
        response = client.get(reverse("audit:change_detail", args=[entry.pk]))
        assert response.status_code == 200
        body = response.content.decode()
        assert f"crisis case {case.pk}" in body and FULL_MASK in body
        for secret in (household.archive_number, "王", f"/households/{household.pk}/"):
            assert secret not in body
        # The rows naming the household, the screening and the responsible union show the mask, not an id.
        shown = {str(label): (before, after) for label, before, after in entry.change_rows()}
        seen |= set(shown)
        for label in ("household", "opened by screening", "responsible union"):
            if label in shown:
                assert set(shown[label]) <= {None, "", FULL_MASK}, (label, shown[label])
                assert re.search(rf"<td>{label}</td><td[^>]*>[^<]*</td><td[^>]*>{re.escape(FULL_MASK)}</td>", body)
    assert {"household", "opened by screening", "responsible union"} <= seen
    listed = client.get(reverse("audit:changes"), {"object_type": "care.crisiscase"}).content.decode()
    assert household.archive_number not in listed
