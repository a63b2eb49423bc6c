"""Demo households carry a stored explanation and need score, exactly what the single-household path stores,
and a timeline told with the kinds the real actions write."""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.accounts.models import User
from bangfu.orgs import demo as orgs_demo
from bangfu.registry.classification import classify, refresh
from bangfu.registry.demo import seed_households
from bangfu.registry.models import Classification, Consent, Household, Member, State, TimelineEvent
from bangfu.registry.models.timeline import KIND_LABELS
from tests.shared_data import shared_data

AS_OF = dt.date(2026, 3, 15)
COUNT = 300

pytestmark = pytest.mark.django_db


def _seed():
    orgs_demo.seed_demo(7)
    return seed_households(7, COUNT, as_of=AS_OF)


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, _media_dir):
    """One seeding for the class, rolled back after its last test (tests/shared_data.py); each test's own
    writes (`refresh` below) are rolled back at its end."""
    with shared_data(django_db_blocker, _media_dir, _seed) as result:
        yield result


class TestTheDemo:
    """The demo archives of seed 7, seeded once for these tests."""

    def test_every_demo_household_has_a_stored_explanation_and_need_score(self, demo):
        households = {h.pk: h for h in Household.objects.all()}
        current = list(Classification.objects.filter(is_current=True))
        assert len(current) == len(households) == COUNT
        assert len({c.household_id for c in current}) == COUNT
        for c in current:
            h = households[c.household_id]
            # The stored single-path result agrees with the category the bulk SQL path gave the household.
            assert c.category == h.category, h.archive_number
            assert c.evaluated_on == AS_OF
            assert c.need_score == h.need_score is not None
            assert h.need_score_breakdown["total"] == str(h.need_score)
            assert c.explanation["evaluated_on"] == AS_OF.isoformat()
        # Standard B rows exist (绵阳市), and their explanation names the B formulas.
        assert any(c.scheme == "B" and c.formula_version.startswith("B") for c in current)

    def test_the_stored_rows_are_what_refresh_and_classify_compute(self, demo):
        sample = list(Household.objects.order_by("pk")[::15])
        before = Classification.objects.count()
        for household in sample:
            stored = Classification.objects.get(household=household, is_current=True)
            fresh = classify(household, AS_OF)
            assert fresh.inputs_digest == stored.inputs_digest
            assert fresh.explanation == stored.explanation
            assert refresh(household, AS_OF).pk == stored.pk  # same digest: nothing new written
        assert Classification.objects.count() == before
        assert not TimelineEvent.objects.filter(kind="reclassified").exists()

    def test_demo_timelines_use_the_real_kinds_with_details(self, demo):
        kinds = set(TimelineEvent.objects.values_list("kind", flat=True))
        assert kinds <= set(KIND_LABELS)
        assert "transition" not in kinds  # every state change is named after the action that made it
        assert {"submit", "approve", "notice_start", "exit", "refuse", "refusal_notified", "appeal_file"} <= kinds
        for event in TimelineEvent.objects.filter(kind="exit")[:20]:
            assert event.detail["exit_reason"] == event.household.exit_reason
            assert event.summary  # e.g. "Death; relapse monitoring until …"
        for event in TimelineEvent.objects.filter(kind="transfer"):
            assert isinstance(event.detail["from_org"], str)  # a union's name, as the real action writes

    def test_demo_consents_and_the_worker_login(self, demo):
        for household in Household.objects.filter(state=State.ACTIVE)[:20]:
            have = set(Consent.objects.filter(household=household).values_list("kind", flat=True))
            assert {"sensitive_data", "economic_check", "public_notice"} <= have
            under_14 = [m for m in household.members.all() if m.birth_date > dt.date(2012, 3, 15)]
            guarded = set(Consent.objects.filter(household=household, kind="guardian").values_list("member", flat=True))
            assert {m.pk for m in under_14} == guarded
        for worker in User.objects.filter(kind="worker"):
            linked = Member.objects.filter(account=worker).select_related("household__org")
            assert linked.count() == 1
            assert linked[0].household.org_id == worker.org_id and linked[0].household.state == State.ACTIVE
            assert list(Household.objects.restrict(worker, "view")) == [linked[0].household]

    def test_demo_annual_reviews_match_the_due_dates(self, demo):
        active = Household.objects.filter(state=State.ACTIVE)
        reviewed = 0
        for household in active:
            reviews = sorted(TimelineEvent.objects.filter(household=household, kind="review")
                             .values_list("detail__reviewed_on", flat=True))
            if reviews:
                reviewed += 1
                last = dt.date.fromisoformat(reviews[-1])
                # The next review is due a year after the last one (DOMAIN §3: at least once a year).
                assert household.review_due_on == last.replace(year=last.year + 1) or (
                    last.month == 2 and last.day == 29)
            else:
                assert household.review_due_on == household.activated_on.replace(year=household.activated_on.year + 1) \
                    or (household.activated_on.month == 2 and household.activated_on.day == 29)
        assert reviewed > 0
        overdue = active.filter(review_due_on__lt=AS_OF).count()
        assert 0 < overdue < active.count()
