"""Closed archives are anonymised 10 years after exit (DOMAIN.md §3, §9), set-based, in one audited job."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile

from bangfu.audit.models import Job
from bangfu.core import scheduler
from bangfu.registry.models import Attachment, Closure, Household, Member, State
from bangfu.registry.tasks import anonymise, overdue_reviews
from bangfu.registry.tests.factories import make_household

ON = dt.date(2026, 3, 1)


def _exited(tree, years_ago_days, **fields):
    household = make_household(tree.grassroots, state=State.EXITED, size=2, **fields)
    household.exited_on = ON - dt.timedelta(days=years_ago_days)
    household.address = "广州市天河区某路1号"
    household.bank_account, household.bank_account_last4 = "6222020200112233", "2233"
    household.save()
    Member.objects.filter(household=household).update(open_identity_hash=None)
    head = household.members.get(is_head=True)
    head.set_phone("13812345678")
    head.diagnosis = "肝癌"
    head.save()
    return household


def test_eleven_year_old_exit_anonymised_nine_year_old_untouched(tree, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    old = _exited(tree, 11 * 365)
    recent = _exited(tree, 9 * 365)
    storage = Attachment._meta.get_field("file").storage
    name = storage.save("evidence/test/scan.pdf", ContentFile(b"%PDF-1.4 test"))
    Attachment.objects.create(household=old, kind="id_card", file=name, original_name="身份证.pdf",
                              content_type="application/pdf", size=13, sha256="0" * 64)
    old_hashes = set(old.members.values_list("identity_hash", flat=True))

    assert anonymise(on=ON) == 1

    old.refresh_from_db()
    assert old.anonymised_at is not None
    assert old.address == "" and old.bank_account == "" and old.bank_account_last4 == ""
    for member in old.members.all():
        assert len(member.name) == 2 and member.name.endswith("*")  # surname + *
        assert member.identity_number == "" and member.identity_masked == ""
        assert member.phone == "" and member.phone_masked == "" and member.diagnosis == ""
        assert member.identity_hash not in old_hashes and member.identity_hash
    assert not storage.exists(name)
    assert Attachment.objects.get(household=old).file.name == ""
    recent.refresh_from_db()
    assert recent.anonymised_at is None and recent.address
    assert recent.members.get(is_head=True).diagnosis == "肝癌"
    job = Job.objects.filter(kind="anonymise_closed_archives").latest("pk")
    assert job.status == Job.Status.DONE
    # Idempotent: a second run finds nothing to do.
    assert anonymise(on=ON) == 0


def test_closing_date_of_a_refusal_counts(tree):
    refused = make_household(tree.grassroots, state=State.REFUSED)
    Closure.objects.create(household=refused, kind="refusal", from_state="applied", reason="x",
                           closed_on=ON - dt.timedelta(days=3700))
    active = make_household(tree.grassroots, state=State.ACTIVE)
    Household.objects.filter(pk=active.pk).update(exited_on=ON - dt.timedelta(days=4000))  # not closed: kept
    assert anonymise(on=ON) == 1
    refused.refresh_from_db()
    active.refresh_from_db()
    assert refused.anonymised_at is not None and active.anonymised_at is None


def test_tasks_are_scheduled_daily():
    paths = {path: cron for cron, path in scheduler.SCHEDULE}
    assert paths["bangfu.registry.tasks.anonymise_closed_archives"].endswith("* * *")
    assert "bangfu.registry.tasks.overdue_reviews_report" in paths
    scheduler.validate_schedule()


def test_overdue_reviews(tree):
    due = make_household(tree.grassroots, state=State.ACTIVE, review_due_on=ON - dt.timedelta(days=1))
    make_household(tree.grassroots, state=State.ACTIVE, review_due_on=ON)
    make_household(tree.grassroots, state=State.EXITED, review_due_on=ON - dt.timedelta(days=9))
    assert list(overdue_reviews(ON).values_list("pk", flat=True)) == [due.pk]
