"""The care pages as a counsellor uses them: screening form → score and band, crisis cases, plans, sessions,
activities; bad input shows the error and saves nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from bangfu.audit.models import AccessLogEntry
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, GroupActivity, Screening
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


def answers_post(values, instrument="phq9", **extra):
    data = {"instrument": instrument, "screened_on": timezone.localdate().isoformat(), "notes": "谈话记录秘"}
    data.update({f"item_{n}": str(v) for n, v in enumerate(values, start=1) if v is not None})
    data.update(extra)
    return data


def test_screening_form_scores_and_shows_the_band(signed_in, counsellor, household, member, assignment,
                                                  django_capture_on_commit_callbacks):
    client = signed_in(counsellor)
    page = client.get(f"/care/households/{household.pk}/screenings/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('type="radio"') == 36 and "Thoughts that you would be better off dead" in html
    assert "More than half the days" in html
    gad = client.get(f"/care/households/{household.pk}/screenings/new/?instrument=gad7").content.decode()
    assert gad.count('type="radio"') == 28 and "Trouble relaxing" in gad

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/care/households/{household.pk}/screenings/new/",
                               answers_post([2, 2, 2, 2, 2, 2, 2, 1, 1], member=member.pk), follow=True)
    screening = Screening.objects.get()
    assert response.redirect_chain[-1][0] == f"/care/screenings/{screening.pk}/"
    html = response.content.decode()
    assert (screening.score, screening.band) == (16, "moderately_severe")
    assert 'data-testid="score">16' in html and "Moderately severe" in html
    assert "Screening saved. Score 16 of 27: Moderately severe." in html
    case = CrisisCase.objects.get(screening=screening)
    assert f"/care/crises/{case.pk}/" in html and "A crisis case was opened" in html
    # A second positive screening while the case is active opens none, and the page says so.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/care/households/{household.pk}/screenings/new/",
                            answers_post([0, 0, 0, 0, 0, 0, 0, 0, 2], member=member.pk), follow=True)
    assert "already has an active crisis case: no new case was opened" in again.content.decode()
    assert CrisisCase.objects.count() == 1 and Screening.objects.count() == 2
    assert AccessLogEntry.objects.filter(object_type="care.screening", object_id=str(screening.pk),
                                         user=counsellor).exists()


def test_a_missing_item_on_the_form_is_named_and_nothing_is_saved(signed_in, counsellor, household, member):
    response = signed_in(counsellor).post(f"/care/households/{household.pk}/screenings/new/",
                                          answers_post([1, 1, 1, None, 1, 1, 1, 1], member=member.pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert 'data-testid="error-item-4"' in html and 'data-testid="error-item-9"' in html
    assert "Item 4 (" in html and "Item 9 (" in html
    assert re.search(r'<input type="radio" name="item_1" value="1"[^>]*checked', html)  # the answers are kept
    assert not re.search(r'<input type="radio" name="item_1" value="0"[^>]*checked', html)
    assert not Screening.objects.exists() and not CrisisCase.objects.exists()


def test_a_forged_out_of_range_answer_is_refused(signed_in, counsellor, household, member):
    response = signed_in(counsellor).post(f"/care/households/{household.pk}/screenings/new/",
                                          answers_post([1, 1, 1, 1, 1, 1, 1, 1, 9], member=member.pk))
    assert response.status_code == 400 and 'data-testid="error-item-9"' in response.content.decode()
    assert not Screening.objects.exists()


def test_crisis_list_detail_acknowledge_and_close(signed_in, counsellor, screen, tree):
    from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9

    screen(PHQ9_POSITIVE_ITEM_9)
    case = CrisisCase.objects.get()
    client = signed_in(counsellor)
    html = client.get("/care/crises/").content.decode()
    assert f'data-case="{case.pk}"' in html and case.household.archive_number in html
    assert timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") in html
    assert "left" in html and tree.grassroots.name in html
    assert AccessLogEntry.objects.filter(object_type="care.crisiscase", detail__what="crisis_list").exists()

    detail = client.get(f"/care/crises/{case.pk}/")
    assert detail.status_code == 200 and 'data-testid="acknowledge-form"' in detail.content.decode()
    refused = client.post(f"/care/crises/{case.pk}/acknowledge/", {"action_taken": ""})
    assert refused.status_code == 400 and 'data-testid="error-action_taken"' in refused.content.decode()
    case.refresh_from_db()
    assert case.state == "open"
    done = client.post(f"/care/crises/{case.pk}/acknowledge/", {"action_taken": "Called the family."}, follow=True)
    assert "Crisis case acknowledged" in done.content.decode()
    case.refresh_from_db()
    assert case.state == "acknowledged" and case.acknowledged_by == counsellor
    client.post(f"/care/crises/{case.pk}/close/", {"outcome": "Stable; weekly sessions."})
    case.refresh_from_db()
    assert case.state == "closed" and case.outcome == "Stable; weekly sessions."
    assert f'data-case="{case.pk}"' not in client.get("/care/crises/").content.decode()
    assert f'data-case="{case.pk}"' in client.get("/care/crises/?show=closed").content.decode()


def test_care_plan_open_change_close(signed_in, counsellor, household):
    client = signed_in(counsellor)
    url = f"/care/households/{household.pk}/plan/"
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    refused = client.post(url, {"opened_on": future, "counsellor": counsellor.pk, "goals": "x"})
    assert refused.status_code == 400 and "cannot start in the future" in refused.content.decode()
    assert not CarePlan.objects.exists()
    client.post(url, {"opened_on": timezone.localdate().isoformat(), "counsellor": counsellor.pk,
                      "goals": "每周谈话秘"})
    plan = CarePlan.objects.get()
    assert (plan.state, plan.goals, plan.counsellor) == ("open", "每周谈话秘", counsellor)
    client.post(url, {"counsellor": counsellor.pk, "goals": "每两周谈话秘"})
    plan.refresh_from_db()
    assert plan.goals == "每两周谈话秘"
    client.post(f"/care/households/{household.pk}/plan/close/", {"closed_on": timezone.localdate().isoformat()})
    plan.refresh_from_db()
    assert plan.state == "closed" and plan.closed_on == timezone.localdate()
    page = client.get(f"/care/households/{household.pk}/").content.decode()
    assert "每两周谈话秘" in page and "Open it again" in page


def test_session_recorded_and_listed(signed_in, counsellor, household, member):
    client = signed_in(counsellor)
    url = f"/care/households/{household.pk}/sessions/new/"
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert client.post(url, {"kind": "counselling", "held_on": future}).status_code == 400
    assert not CounsellingSession.objects.exists()
    client.post(url, {"kind": "interview", "held_on": timezone.localdate().isoformat(), "member": member.pk,
                      "notes": "会谈秘", "next_step": "下周再谈"})
    session = CounsellingSession.objects.get()
    assert (session.kind, session.member, session.counsellor) == ("interview", member, counsellor)
    listing = client.get("/care/sessions/").content.decode()
    assert household.archive_number in listing and "下周再谈" in listing
    care = client.get(f"/care/households/{household.pk}/").content.decode()
    assert "会谈秘" in care
    assert AccessLogEntry.objects.filter(object_type="care.counsellingsession", object_id=str(session.pk),
                                         detail__what="household_care").exists()


def test_group_activity_with_households_of_the_union(signed_in, counsellor, household, tree):
    other = make_household(tree.sibling)
    client = signed_in(counsellor)
    data = {"org": tree.grassroots.pk, "kind": "lecture", "title": "心理讲座",
            "held_on": timezone.localdate().isoformat(), "participant_count": 12,
            "archive_numbers": f"{household.archive_number}, NOPE1", "notes": ""}
    refused = client.post("/care/activities/new/", data)
    assert refused.status_code == 400 and "NOPE1" in refused.content.decode()
    # A household the counsellor cannot see is "unknown" too, never confirmed to exist.
    data["archive_numbers"] = other.archive_number
    assert client.post("/care/activities/new/", data).status_code == 400
    data["archive_numbers"] = household.archive_number
    data["participant_count"] = 0
    assert "households took part" in client.post("/care/activities/new/", data).content.decode()
    assert not GroupActivity.objects.exists()
    data["participant_count"] = 12
    response = client.post("/care/activities/new/", data, follow=True)
    activity = GroupActivity.objects.get()
    assert list(activity.households.all()) == [household] and activity.counsellor == counsellor
    assert household.archive_number in response.content.decode()
    assert "心理讲座" in client.get("/care/activities/").content.decode()
    edit = client.post(f"/care/activities/{activity.pk}/edit/",
                       {**data, "title": "团体辅导", "kind": "group_counselling"})
    assert edit.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.kind) == ("团体辅导", "group_counselling")


def test_the_list_shows_overdue_cases_and_their_escalation(signed_in, counsellor, county_counsellor, screen, tree,
                                                           django_capture_on_commit_callbacks):
    import time_machine

    from bangfu.care.services import escalate_overdue
    from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9

    opened = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(opened, tick=False):
        screen(PHQ9_POSITIVE_ITEM_9)
    case = CrisisCase.objects.get()
    with time_machine.travel(opened + dt.timedelta(hours=27, minutes=30), tick=False):
        html = signed_in(counsellor).get("/care/crises/").content.decode()
        assert "Overdue by 3 h 30 min" in html and 'data-overdue="1"' in html and "1 overdue" in html
        with django_capture_on_commit_callbacks(execute=True):
            escalate_overdue()
        html = signed_in(county_counsellor).get("/care/crises/").content.decode()
    row = html.split(f'data-case="{case.pk}"')[1].split("</tr>")[0]
    assert '<td class="text-center" data-testid="escalation-level">1</td>' in row
    assert tree.county.name in row and "24 h 00 min left" in row
