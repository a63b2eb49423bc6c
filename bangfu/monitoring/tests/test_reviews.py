"""Annual review cycles, doing a review, and the higher level's reproducible spot checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.accounts.roles import Role
from bangfu.monitoring.models import Review, ReviewCycle, ReviewState, SpotCheckDraw
from bangfu.monitoring.services.reviews import create_review_cycles, remind_due_reviews
from bangfu.monitoring.services.spotcheck import rederive, spot_check_draw
from bangfu.notifications.models import Notification
from bangfu.registry.models import State
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


def test_cycles_cover_every_active_archive_exactly_once_and_rerun_adds_nothing(tree):
    active = [make_household(tree.grassroots) for _ in range(3)] + [make_household(tree.sibling)]
    make_household(tree.grassroots, state=State.EXITED)
    make_household(tree.grassroots, state=State.APPLIED)
    due = make_household(tree.grassroots, review_due_on=dt.date(2026, 3, 1))
    active.append(due)
    first = create_review_cycles(2026)
    assert first == {"cycles": 2, "reviews": 5, "already_reviewed": 0}
    assert sorted(Review.objects.values_list("household_id", flat=True)) == sorted(h.pk for h in active)
    assert Review.objects.get(household=due).due_on == dt.date(2026, 3, 1)
    assert Review.objects.get(household=active[0]).due_on == dt.date(2026, 12, 31)
    assert create_review_cycles(2026) == {"cycles": 0, "reviews": 0, "already_reviewed": 0}
    late = make_household(tree.grassroots)  # activated since: the daily run adds it, and only it
    assert create_review_cycles(2026) == {"cycles": 0, "reviews": 1, "already_reviewed": 0}
    assert Review.objects.filter(household=late).count() == 1
    assert ReviewCycle.objects.filter(year=2026).count() == 2


def test_transferred_archive_is_not_reviewed_twice_in_a_year(tree):
    household = make_household(tree.grassroots)
    create_review_cycles(2026)
    household.org = tree.sibling
    household.save(update_fields=["org"])
    assert create_review_cycles(2026)["reviews"] == 0


def test_doing_a_review_through_the_page_calls_the_registry_review(tree, grassroots_cadre, signed_in):
    household = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    create_review_cycles(2026)
    review = Review.objects.get(household=household)
    client = signed_in(grassroots_cadre)
    bad = client.post(f"/monitoring/reviews/{review.pk}/do/", {"reviewed_on": "2026-11-20", "note": ""})
    assert bad.status_code == 200 and "error-note" in bad.content.decode()
    response = client.post(f"/monitoring/reviews/{review.pk}/do/", {"reviewed_on": "2026-11-20", "note": "家访核实"})
    assert response.status_code == 302
    review.refresh_from_db()
    household.refresh_from_db()
    assert review.state == ReviewState.DONE and review.timeline_event.kind == "review"
    assert household.review_due_on == dt.date(2027, 11, 20)


def _done_reviews(tree, n):
    households = [make_household(tree.grassroots) for _ in range(n)]
    create_review_cycles(2026)
    Review.objects.filter(household__in=households).update(state=ReviewState.DONE, reviewed_on=dt.date(2026, 6, 1))
    return ReviewCycle.objects.get(org=tree.grassroots, year=2026)


@pytest.mark.parametrize(("done", "drawn"), [(10, 3), (1, 1), (7, 3), (20, 6)])
def test_spot_check_share_rounds_up_and_is_reproducible(tree, county_reviewer, done, drawn):
    cycle = _done_reviews(tree, done)
    draw = spot_check_draw(county_reviewer, cycle, seed=12345)
    assert len(draw.population) == done and len(draw.sample) == drawn
    assert rederive(SpotCheckDraw.objects.get(pk=draw.pk)) == draw.sample
    assert sorted(Review.objects.filter(draw=draw).values_list("pk", flat=True)) == draw.sample
    assert draw.drawn_by == county_reviewer and draw.share_percent == 30 and draw.seed == 12345


def test_same_seed_same_sample_and_a_second_draw_takes_only_undrawn(tree, county_reviewer):
    cycle = _done_reviews(tree, 10)
    first = spot_check_draw(county_reviewer, cycle, seed=7)
    population = list(first.population)
    again = SpotCheckDraw(seed=7, share_percent=30, population=population)
    assert rederive(again) == first.sample
    second = spot_check_draw(county_reviewer, cycle, seed=7)
    assert set(second.population) == set(population) - set(first.sample)
    assert not set(second.sample) & set(first.sample)


def test_union_may_not_spot_check_its_own_reviews(tree):
    from django.core.exceptions import ValidationError

    cycle = _done_reviews(tree, 3)
    own_reviewer = tree.user("gr_reviewer", tree.grassroots, Role.REVIEWER)
    with pytest.raises(ValidationError):
        spot_check_draw(own_reviewer, cycle)
    assert not SpotCheckDraw.objects.exists()


def test_discrepancy_opens_a_re_review_and_is_on_the_timeline(tree, county_reviewer, grassroots_cadre, signed_in):
    cycle = _done_reviews(tree, 1)
    spot_check_draw(county_reviewer, cycle, seed=1)
    review = Review.objects.get(cycle=cycle)
    client = signed_in(county_reviewer)
    missing_note = client.post(f"/monitoring/reviews/{review.pk}/spot-check/", {"outcome": "discrepancy"})
    assert missing_note.status_code == 200 and "error-note" in missing_note.content.decode()
    ok = client.post(f"/monitoring/reviews/{review.pk}/spot-check/", {"outcome": "discrepancy", "note": "收入不符"})
    assert ok.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.REREVIEW and review.spot_by == county_reviewer
    assert review.household.timeline.filter(kind="monitoring_spot_check").exists()
    assert Notification.objects.filter(recipient=grassroots_cadre, kind="review_discrepancy").count() == 1
    # the case worker of the grassroots union may not record spot checks at all
    assert signed_in(grassroots_cadre).post(f"/monitoring/reviews/{review.pk}/spot-check/",
                                            {"outcome": "confirmed"}).status_code == 404


def test_reminders_go_once_to_the_case_workers(tree, grassroots_cadre):
    make_household(tree.grassroots, review_due_on=dt.date(2026, 12, 10), monthly_wage=Decimal("0"))
    make_household(tree.grassroots, review_due_on=dt.date(2026, 12, 20))
    create_review_cycles(2026)
    result = remind_due_reviews(dt.date(2026, 11, 27))
    assert result == {"reviews": 2, "notices": 1}
    notice = Notification.objects.get(recipient=grassroots_cadre, kind="reviews_due")
    assert "2" in notice.title
    assert remind_due_reviews(dt.date(2026, 11, 27)) == {"reviews": 0, "notices": 0}
    assert remind_due_reviews(dt.date(2026, 11, 28)) == {"reviews": 0, "notices": 0}


def test_outsider_gets_404_for_a_review_and_the_list_hides_it(tree, outsider, signed_in):
    household = make_household(tree.grassroots, name="钱秘密")
    create_review_cycles(2026)
    review = Review.objects.get(household=household)
    client = signed_in(outsider)
    assert client.get(f"/monitoring/reviews/{review.pk}/").status_code == 404
    listing = client.get("/monitoring/")
    assert listing.status_code == 200 and household.archive_number not in listing.content.decode()


# --- a review recorded directly in the registry; cycles of a year already reviewed --------------------------


def test_review_from_the_archive_lifecycle_panel_marks_the_cycle_review_done(tree, grassroots_cadre, signed_in):
    household = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    other = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    create_review_cycles(2026)
    client = signed_in(grassroots_cadre)
    response = client.post(f"/households/{household.pk}/lifecycle/review/",
                           {"reviewed_on": "2026-10-05", "note": "入户复核，仍困难"})
    assert response.status_code == 302
    review = Review.objects.get(household=household)
    event = household.timeline.get(kind="review")
    assert review.state == ReviewState.DONE and review.timeline_event == event
    assert review.reviewed_on == dt.date(2026, 10, 5) and review.reviewed_by == grassroots_cadre
    assert review.note == "入户复核，仍困难"
    assert Review.objects.get(household=other).state == ReviewState.DUE
    # the monitoring page shows it done and offers no second review
    page = client.get(f"/monitoring/reviews/{review.pk}/").content.decode()
    assert 'data-testid="review-form"' not in page


def test_review_do_is_handled_once_not_twice_by_the_receiver(tree, grassroots_cadre):
    from bangfu.monitoring.services.reviews import review_do

    household = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    create_review_cycles(2026)
    review = review_do(grassroots_cadre, Review.objects.get(household=household), reviewed_on=dt.date(2026, 9, 1),
                       note="核实")
    review.refresh_from_db()
    assert review.state == ReviewState.DONE and review.rereviews == 0
    assert review.timeline_event == household.timeline.get(kind="review")
    assert household.timeline.filter(kind="review").count() == 1


def test_registry_review_of_a_re_review_counts_it(tree, county_reviewer, grassroots_cadre):
    from bangfu.monitoring.services.spotcheck import spot_check_record
    from bangfu.registry.services.lifecycle import household_review

    cycle = _done_reviews(tree, 1)
    spot_check_draw(county_reviewer, cycle, seed=1)
    review = spot_check_record(county_reviewer, Review.objects.get(cycle=cycle), outcome="discrepancy", note="不符")
    assert review.state == ReviewState.REREVIEW
    household_review(review.household, actor=grassroots_cadre, reviewed_on=dt.date(2026, 11, 2), note="重新核实")
    review.refresh_from_db()
    assert review.state == ReviewState.DONE and review.rereviews == 1 and review.note == "重新核实"


def test_registry_review_without_a_cycle_or_in_another_year_changes_nothing(tree, grassroots_cadre):
    from bangfu.registry.services.lifecycle import household_review

    household = make_household(tree.grassroots, activated_on=dt.date(2024, 1, 1))
    household_review(household, actor=grassroots_cadre, reviewed_on=dt.date(2025, 12, 20), note="去年")
    assert not Review.objects.exists()
    create_review_cycles(2026)
    assert Review.objects.get(household=household).state == ReviewState.DUE  # reviewed in 2025, due in 2026


def test_cycle_of_a_year_already_reviewed_is_created_done_and_linked(tree, grassroots_cadre):
    from bangfu.registry.services.lifecycle import household_review

    reviewed = make_household(tree.grassroots, activated_on=dt.date(2024, 1, 1))
    household_review(reviewed, actor=grassroots_cadre, reviewed_on=dt.date(2026, 3, 10), note="年初复核")
    last_year = make_household(tree.grassroots, activated_on=dt.date(2024, 1, 1))
    household_review(last_year, actor=grassroots_cadre, reviewed_on=dt.date(2025, 5, 10), note="去年复核")
    # reviewed in 2026 first, then a back-dated 2025 review recorded later: the latest row is 2025 → due
    back_dated = make_household(tree.grassroots, activated_on=dt.date(2024, 1, 1))
    household_review(back_dated, actor=grassroots_cadre, reviewed_on=dt.date(2026, 2, 1), note="a")
    household_review(back_dated, actor=grassroots_cadre, reviewed_on=dt.date(2025, 12, 1), note="b")
    fresh = make_household(tree.grassroots, activated_on=dt.date(2026, 4, 1))
    result = create_review_cycles(2026)
    assert result == {"cycles": 1, "reviews": 4, "already_reviewed": 1}
    done = Review.objects.get(household=reviewed)
    assert done.state == ReviewState.DONE and done.reviewed_on == dt.date(2026, 3, 10)
    assert done.timeline_event == reviewed.timeline.get(kind="review") and done.reviewed_by == grassroots_cadre
    assert done.note == "年初复核" and done.due_on == dt.date(2026, 12, 31)
    due = Review.objects.get(household=last_year)
    assert due.state == ReviewState.DUE and due.due_on == dt.date(2026, 5, 10)  # review_due_on comes first
    assert Review.objects.get(household=back_dated).state == ReviewState.DUE
    assert Review.objects.get(household=fresh).state == ReviewState.DUE
    assert Review.objects.get(household=fresh).due_on == dt.date(2026, 12, 31)
