"""Who sees what: counsellors only; a case worker of the same union, a helper and other unions get 404; the
archive page tells staff that a care plan exists and nothing more; every read is in the access log."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, GroupActivity
from bangfu.care.services import open_care_plan, record_activity, record_session
from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9

pytestmark = pytest.mark.django_db
GOALS = "目标秘密内容"


@pytest.fixture
def records(screen, counsellor, household, member):
    screening = screen(PHQ9_POSITIVE_ITEM_9)
    plan = open_care_plan(household, counsellor, opened_on=timezone.localdate(), goals=GOALS)
    session = record_session(household, counsellor, kind="counselling", held_on=timezone.localdate(),
                             member=member, notes="会谈笔记秘")
    activity = record_activity(household.org, counsellor, kind="lecture", title="讲座秘",
                               held_on=timezone.localdate(), participant_count=3, households=[household])
    return {"screening": screening, "case": CrisisCase.objects.get(), "plan": plan, "session": session,
            "activity": activity, "household": household}


def care_urls(r) -> list[tuple[str, str]]:
    h, case = r["household"].pk, r["case"].pk
    return [
        ("get", f"/care/households/{h}/"), ("get", f"/care/households/{h}/plan/"),
        ("post", f"/care/households/{h}/plan/close/"), ("get", f"/care/households/{h}/screenings/new/"),
        ("get", f"/care/households/{h}/sessions/new/"), ("get", f"/care/screenings/{r['screening'].pk}/"),
        ("get", "/care/crises/"), ("get", f"/care/crises/{case}/"), ("post", f"/care/crises/{case}/acknowledge/"),
        ("post", f"/care/crises/{case}/close/"), ("get", "/care/sessions/"), ("get", "/care/activities/"),
        ("get", "/care/activities/new/"), ("get", f"/care/activities/{r['activity'].pk}/"),
        ("get", f"/care/activities/{r['activity'].pk}/edit/"),
    ]


def api_urls(r) -> list[tuple[str, str]]:
    return [
        ("get", f"/api/v1/care-plans/{r['plan'].pk}/"), ("post", f"/api/v1/care-plans/{r['plan'].pk}/close/"),
        ("get", f"/api/v1/screenings/{r['screening'].pk}/"), ("get", f"/api/v1/crisis-cases/{r['case'].pk}/"),
        ("post", f"/api/v1/crisis-cases/{r['case'].pk}/acknowledge/"),
        ("post", f"/api/v1/crisis-cases/{r['case'].pk}/close/"),
        ("get", f"/api/v1/counselling-sessions/{r['session'].pk}/"),
        ("post", "/api/v1/screenings/"), ("post", "/api/v1/care-plans/"), ("post", "/api/v1/counselling-sessions/"),
    ]


@pytest.mark.parametrize("who", ["same_union_case_worker", "helper", "outsider", "sibling_counsellor",
                                 "county_reviewer", "worker"])
def test_nobody_but_the_counsellors_of_the_subtree_opens_a_care_page(who, request, records, signed_in, api_as, tree):
    user = {
        "same_union_case_worker": lambda: request.getfixturevalue("grassroots_cadre"),
        "helper": lambda: request.getfixturevalue("helper_user"),
        "outsider": lambda: request.getfixturevalue("outsider"),
        "sibling_counsellor": lambda: request.getfixturevalue("sibling_counsellor"),
        "county_reviewer": lambda: request.getfixturevalue("county_reviewer"),
        "worker": lambda: request.getfixturevalue("worker_user"),
    }[who]()
    client = signed_in(user)
    for method, url in care_urls(records):
        response = getattr(client, method)(url)
        body = response.content.decode()
        if who == "sibling_counsellor" and url in ("/care/crises/", "/care/sessions/", "/care/activities/",
                                                   "/care/activities/new/"):
            assert response.status_code == 200, url  # their own (empty) lists
        else:
            assert response.status_code == 404, (url, response.status_code)
        assert records["household"].archive_number not in body and GOALS not in body and "讲座秘" not in body
    api = api_as(user)
    body = {"household": records["household"].pk, "member": records["screening"].member_id, "instrument": "phq9",
            "answers": [0] * 9, "screened_on": timezone.localdate().isoformat(), "kind": "counselling",
            "held_on": timezone.localdate().isoformat(), "opened_on": timezone.localdate().isoformat()}
    for method, url in api_urls(records):
        response = getattr(api, method)(url, body, format="json")
        if who == "sibling_counsellor" and url.endswith(("/screenings/", "/care-plans/", "/counselling-sessions/")):
            # They may record care for their own households: another union's household is "no such household".
            assert response.status_code == 400, (url, response.status_code)
            assert response.json()["fields"] == {"household": ["No such household among those you may see."]}
        else:
            assert response.status_code == 404, (url, response.status_code)
    for name in ("care-plans", "screenings", "crisis-cases", "counselling-sessions"):
        response = api.get(f"/api/v1/{name}/")
        assert response.status_code == 200 and response.json()["count"] == 0, name
    records["case"].refresh_from_db()
    assert records["case"].state == "open"
    assert (CarePlan.objects.count(), CounsellingSession.objects.count()) == (1, 1)
    assert not AccessLogEntry.objects.filter(user=user, object_type__startswith="care.", object_id__gt="").exists()


def test_the_county_counsellor_sees_the_subtree(records, signed_in, county_counsellor):
    client = signed_in(county_counsellor)
    for method, url in care_urls(records):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_archive_panel_full_for_counsellors(records, signed_in, counsellor):
    household = records["household"]
    html = signed_in(counsellor).get(f"/households/{household.pk}/").content.decode()
    assert 'data-testid="panel-care"' in html
    assert f"/care/screenings/{records['screening'].pk}/" in html and "item 9 positive" in html
    assert f"/care/crises/{records['case'].pk}/" in html and "Respond by" in html
    assert 'data-testid="care-plan"' in html and 'data-testid="care-plan-exists"' not in html
    logged = set(AccessLogEntry.objects.filter(user=counsellor, detail__what="archive_panel")
                 .values_list("object_type", flat=True))
    assert logged == {"care.careplan", "care.screening", "care.crisiscase", "care.counsellingsession"}


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.REVIEWER, Role.LEADERSHIP])
def test_archive_panel_says_only_that_a_care_plan_exists(role, records, signed_in, tree):
    user = tree.user(f"know_{role}", tree.grassroots, role)
    html = signed_in(user).get(f"/households/{records['household'].pk}/").content.decode()
    assert "A care plan exists (content visible to counsellors only)." in html
    panel = html.split('data-testid="panel-care"')[1].split("</section>")[0]
    for secret in (GOALS, "/care/", "item 9", "Crisis", "Screening", "screening", timezone.localdate().isoformat()):
        assert secret not in panel, secret
    assert not AccessLogEntry.objects.filter(user=user, object_type__startswith="care.").exists()


def test_no_panel_without_a_care_plan_or_for_helpers(records, signed_in, grassroots_cadre, helper_user, assignment):
    household = records["household"]
    html = signed_in(helper_user).get(f"/households/{household.pk}/").content.decode()
    assert 'data-testid="panel-care"' not in html  # the helper holds no care permission at all
    CarePlan.objects.all().delete()
    html = signed_in(grassroots_cadre).get(f"/households/{household.pk}/").content.decode()
    assert 'data-testid="panel-care"' not in html  # the crisis case and screening say nothing to a case worker


def test_reads_are_in_the_access_log(records, signed_in, api_as, counsellor):
    client, api = signed_in(counsellor), api_as(counsellor)
    for obj, url in [(records["screening"], f"/care/screenings/{records['screening'].pk}/"),
                     (records["case"], f"/care/crises/{records['case'].pk}/"),
                     (records["activity"], f"/care/activities/{records['activity'].pk}/"),
                     (records["plan"], f"/api/v1/care-plans/{records['plan'].pk}/"),
                     (records["screening"], f"/api/v1/screenings/{records['screening'].pk}/"),
                     (records["case"], f"/api/v1/crisis-cases/{records['case'].pk}/"),
                     (records["session"], f"/api/v1/counselling-sessions/{records['session'].pk}/")]:
        before = AccessLogEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).count()
        response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code == 200, url
        rows = AccessLogEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        assert rows.count() == before + 1, url
        assert rows.latest("pk").user == counsellor and rows.latest("pk").action == "view"


def test_there_is_no_export(records):
    from django.urls import get_resolver

    names = [str(p.pattern) for p in get_resolver().url_patterns]
    assert names  # the care URLs are all listed in bangfu/care/urls.py and the API router
    from bangfu.care import urls

    assert not [p for p in urls.urlpatterns if "export" in str(p.pattern) or "export" in (p.name or "")]
    assert GroupActivity.objects.count() == 1 and CounsellingSession.objects.count() == 1


def test_the_menu_links_the_care_pages_for_counsellors_only(signed_in, counsellor, grassroots_cadre, helper_user):
    assert 'data-testid="nav-care"' in signed_in(counsellor).get("/").content.decode()
    for user in (grassroots_cadre, helper_user):
        assert 'data-testid="nav-care"' not in signed_in(user).get("/").content.decode()
