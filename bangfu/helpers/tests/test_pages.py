"""The pages as users act on them: the panel with its history, assign and hand over, record a visit, frequencies,
and another union's user getting 404 everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bangfu.accounts.roles import Role
from bangfu.helpers.models import HelperAssignment, Visit, VisitFrequency
from bangfu.helpers.services import assign_helper, record_visit
from bangfu.registry.models import TimelineEvent
from bangfu.registry.tests.factories import PNG_BYTES

pytestmark = pytest.mark.django_db


def _errors(response) -> str:
    return response.content.decode()


def test_assign_then_hand_over_shows_the_history_on_the_archive_page(household, helper, helper_b, grassroots_cadre,
                                                                    en, today):
    client = en(grassroots_cadre)
    page = client.get(f"/households/{household.pk}/")
    html = page.content.decode()
    assert 'data-testid="helper-assign"' in html and 'data-testid="helper-none"' in html
    form = client.get(f"/helpers/households/{household.pk}/assign/")
    assert str(helper) in form.content.decode()  # the select lists the eligible people
    response = client.post(f"/helpers/households/{household.pk}/assign/", {
        "mode": "pairing", "helper": helper.pk, "helper_kind": "branch_cadre",
        "starts_on": (today - dt.timedelta(days=30)).isoformat()})
    assert response.status_code == 302, _errors(response)
    response = client.post(f"/helpers/households/{household.pk}/hand-over/", {
        "mode": "accountable", "helper": helper_b.pk, "helper_kind": "workshop_cadre", "on": today.isoformat(),
        "reason": "原帮扶人调岗"})
    assert response.status_code == 302, _errors(response)
    html = client.get(f"/households/{household.pk}/").content.decode()
    current = html.split('data-testid="helper-current"')[1].split("</div>\n      </div>")[0]
    assert str(helper_b) in current and "Accountable cadre" in current
    history = html.split('data-testid="helper-history"')[1].split("</ul>")[0]
    assert str(helper) in history and "原帮扶人调岗" in history
    assert f"{(today - dt.timedelta(days=30)):%Y-%m-%d} – {today:%Y-%m-%d}" in history
    rows = HelperAssignment.objects.filter(household=household).order_by("starts_on")
    assert [r.helper for r in rows] == [helper, helper_b] and rows[0].handed_over_to == rows[1]


def test_assigning_a_helper_of_an_unrelated_union_shows_why_and_saves_nothing(household, sibling_helper,
                                                                             county_reviewer, en, today):
    client = en(county_reviewer)
    response = client.post(f"/helpers/households/{household.pk}/assign/", {
        "mode": "pairing", "helper": sibling_helper.pk, "helper_kind": "branch_cadre", "starts_on": today.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is in 天河乙公司工会, which is not this household&#x27;s union or a union above it" in html
    assert not HelperAssignment.objects.exists() and not TimelineEvent.objects.filter(kind="helper_assigned").exists()


def test_record_a_visit_with_a_photo_and_refuse_bad_dates(household, grassroots_cadre, en, today):
    client = en(grassroots_cadre)
    url = f"/helpers/households/{household.pk}/visits/new/"
    base = {"visitors": "李干事", "findings": "孩子上学需要资助"}
    for day, text in ((today + dt.timedelta(days=2), "cannot be in the future"),
                      (today - dt.timedelta(days=500), "exists only since")):
        response = client.post(url, {**base, "visited_on": day.isoformat()})
        assert response.status_code == 200 and text in response.content.decode()
    assert not Visit.objects.exists()
    response = client.post(url, {**base, "visited_on": today.isoformat(),
                                 "photo": SimpleUploadedFile("photo.png", PNG_BYTES)})
    assert response.status_code == 302
    visit = Visit.objects.get()
    listing = client.get(f"/helpers/households/{household.pk}/visits/").content.decode()
    assert "孩子上学需要资助" in listing and f"/helpers/visits/{visit.pk}/photo/" in listing


def test_a_helper_records_visits_only_for_their_own_households(tree, household, helper, helper_b, grassroots_cadre,
                                                             en, today):
    assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre", starts_on=today,
                  actor=grassroots_cadre)
    url = f"/helpers/households/{household.pk}/visits/new/"
    visit = {"visited_on": today.isoformat(), "visitors": "x", "findings": "y"}
    assert en(helper_b).get(url).status_code == 404
    assert en(helper_b).post(url, visit).status_code == 404
    assert en(helper).get(url).status_code == 200
    assert en(helper).post(url, visit).status_code == 302
    mine = en(helper).get("/helpers/mine/", follow=True)
    assert household.archive_number in mine.content.decode()
    # A helper may not assign or hand over.
    assert en(helper).get(f"/helpers/households/{household.pk}/hand-over/").status_code == 404


def test_a_helper_outside_the_households_subtree_reaches_it_through_the_assignment(tree, county_reviewer, en, today):
    """No new helper comes from a union below any more, but a row made before that rule (or a helper who has since
    moved to another union) still lets the current helper record and read the household's visits."""
    from bangfu.helpers.tests.conftest import household_since

    county_household = household_since(tree.county, 100)
    below = tree.user("below_helper", tree.grassroots, Role.HELPER)
    HelperAssignment.objects.create(household=county_household, mode="pairing", helper=below,
                                    helper_org=tree.grassroots, helper_kind="branch_cadre", starts_on=today)
    client = en(below)
    assert client.get(f"/helpers/households/{county_household.pk}/visits/new/").status_code == 200
    assert client.post(f"/helpers/households/{county_household.pk}/visits/new/", {
        "visited_on": today.isoformat(), "visitors": "x", "findings": "y"}).status_code == 302
    assert client.get(f"/helpers/households/{county_household.pk}/visits/").status_code == 200
    assert county_household.archive_number in client.get("/helpers/mine/", follow=True).content.decode()


def test_another_union_gets_404_on_every_household_page(household, helper, grassroots_cadre, outsider, en, today):
    assignment = assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre",
                               starts_on=today, actor=grassroots_cadre)
    visit = record_visit(household, visited_on=today, visitors="x", findings="y", actor=grassroots_cadre,
                         photo=SimpleUploadedFile("p.png", PNG_BYTES))
    client = en(outsider)
    for url in (f"/helpers/households/{household.pk}/assign/", f"/helpers/households/{household.pk}/hand-over/",
                f"/helpers/households/{household.pk}/end/", f"/helpers/households/{household.pk}/visits/",
                f"/helpers/households/{household.pk}/visits/new/", f"/helpers/visits/{visit.pk}/photo/",
                f"/helpers/helper/{helper.pk}/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "on": today.isoformat()}).status_code == 404, url
    assignment.refresh_from_db()
    assert assignment.is_current and Visit.objects.count() == 1


def test_frequencies_page_for_reviewers_read_only_for_case_workers(tree, county_reviewer, grassroots_cadre, en):
    client = en(county_reviewer)
    response = client.post("/helpers/frequencies/", {"helper_kind": "branch_cadre", "label": "支部干部",
                                                     "interval_days": 14})
    assert response.status_code == 302
    row = VisitFrequency.objects.get()
    assert (row.org, row.interval_days) == (tree.county, 14)
    bad = client.post("/helpers/frequencies/", {"helper_kind": "x", "label": "y", "interval_days": 0})
    assert bad.status_code == 200 and VisitFrequency.objects.count() == 1
    page = en(grassroots_cadre).get("/helpers/frequencies/")
    assert page.status_code == 200 and 'data-testid="frequency-form"' not in page.content.decode()
    assert "14" in page.content.decode() and tree.county.name in page.content.decode()  # in force from above
    assert en(grassroots_cadre).post("/helpers/frequencies/", {"helper_kind": "x", "label": "y",
                                                               "interval_days": 5}).status_code == 404
    assert en(grassroots_cadre).post(f"/helpers/frequencies/{row.pk}/remove/").status_code == 404
    assert client.post(f"/helpers/frequencies/{row.pk}/remove/").status_code == 302
    assert not VisitFrequency.objects.exists()
