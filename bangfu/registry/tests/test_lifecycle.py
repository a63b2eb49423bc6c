"""The lifecycle (DOMAIN.md §3): every transition legal and illegal, the timeline, the notice period,
refusal deadlines in working days, appeals, and the one-open-archive-per-person rule."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from bangfu.accounts.roles import Role
from bangfu.registry import lifecycle
from bangfu.registry.models import (
    Closure,
    Consent,
    HomeVisit,
    Household,
    LevelOpinion,
    Member,
    PublicNotice,
    State,
    TimelineEvent,
)
from bangfu.registry.services import lifecycle as svc
from bangfu.registry.tests.factories import make_household

# A Tuesday just before China's National Day holiday (1–8 October 2025; Saturday 11 October is a make-up
# working day): the calendar's awkward corner.
TODAY = dt.datetime(2025, 9, 30, 10, 0)


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the services' messages in English (the UI default is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()


@pytest.fixture
def draft(tree, today):
    return make_household(tree.grassroots, state=State.DRAFT)


def consent(household, kind, on, place=""):
    return Consent.objects.create(household=household, kind=kind, signed_on=on, signed_by_name="张三",
                                  notice_place=place, notice_content="masked name and category" if place else "")


def walk_to(household, state, cadre, reviewer, on):
    """Take a draft through the procedure up to `state` with the service functions."""
    steps = [
        (State.APPLIED, lambda: svc.household_submit(household, actor=cadre)),
        (State.HOME_VISIT, lambda: svc.household_first_check(household, actor=cadre, opinion_text="材料齐全")),
        (State.ECONOMIC_CHECK, lambda: (
            consent(household, "economic_check", on),
            svc.home_visit_record(household, actor=cadre, visited_on=on, visitors="李四、王五", findings="属实"),
        )),
        (State.PUBLIC_NOTICE, lambda: svc.economic_check_complete(household, actor=cadre, note="核对无异常")),
        (State.APPROVAL, lambda: (
            consent(household, "public_notice", on - dt.timedelta(days=10), place="community"),
            svc.notice_start(household, actor=cadre, starts_on=on - dt.timedelta(days=7)),
            svc.notice_close(household, actor=cadre),
        )),
        (State.ACTIVE, lambda: svc.household_approve(household, actor=reviewer, opinion_text="同意")),
    ]
    for target, step in steps:
        step()
        household.refresh_from_db()
        assert household.state == target
        if target == state:
            return household
    return household


@pytest.fixture
def grassroots_reviewer(tree):
    return tree.user("gr_reviewer", tree.grassroots, Role.REVIEWER)


# --- the whole chain ------------------------------------------------------------------------------------


def test_the_whole_chain_writes_states_opinions_and_timeline(draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.ACTIVE, grassroots_cadre, county_reviewer, today)
    assert household.applied_on == today
    assert household.activated_on == today
    assert household.review_due_on == dt.date(2026, 9, 30)  # one year later
    events = list(TimelineEvent.objects.filter(household=household).exclude(to_state="").order_by("id"))
    assert [(e.from_state, e.to_state) for e in events] == [
        ("draft", "applied"), ("applied", "home_visit"), ("home_visit", "economic_check"),
        ("economic_check", "public_notice"), ("public_notice", "approval"), ("approval", "active"),
    ]
    assert events[-1].actor == county_reviewer and events[-1].actor_org == county_reviewer.org
    assert events[-1].reason == "同意"
    opinions = list(LevelOpinion.objects.filter(household=household).values_list("stage", "decision", "org_id"))
    assert ("approval", "approve", county_reviewer.org_id) in opinions
    assert ("first_check", "pass", grassroots_cadre.org_id) in opinions
    assert HomeVisit.objects.get(household=household).visitors == "李四、王五"
    notice = PublicNotice.objects.get(household=household)
    assert notice.place == "community" and notice.result


def test_submit_by_the_worker_and_on_their_behalf(tree, worker_user, grassroots_cadre, today):
    own = make_household(tree.grassroots, state=State.DRAFT)
    Member.objects.filter(household=own, is_head=True).update(account=worker_user)
    svc.household_submit(own, actor=worker_user)
    own.refresh_from_db()
    assert own.state == State.APPLIED and not own.applied_by_union
    other = make_household(tree.grassroots, state=State.DRAFT)
    with pytest.raises(Http404):  # not their household: it does not exist for them
        svc.household_submit(other, actor=worker_user)
    svc.household_submit(other, actor=grassroots_cadre)
    other.refresh_from_db()
    assert other.applied_by_union


def test_submit_needs_a_main_cause(tree, grassroots_cadre, today):
    household = make_household(tree.grassroots, state=State.DRAFT, main_cause=None)
    with pytest.raises(ValidationError) as error:
        svc.household_submit(household, actor=grassroots_cadre)
    assert "causes" in error.value.message_dict
    household.refresh_from_db()
    assert household.state == State.DRAFT


# --- illegal moves ----------------------------------------------------------------------------------------


def test_wrong_state_is_refused_with_a_clear_message(draft, grassroots_cadre, today):
    with pytest.raises(ValidationError) as error:
        svc.notice_close(draft, actor=grassroots_cadre)
    assert "not possible while the archive is in the state" in " ".join(error.value.messages)
    assert not TimelineEvent.objects.filter(household=draft).exists()


def test_same_level_approval_is_refused(draft, grassroots_cadre, grassroots_reviewer, county_reviewer, today):
    household = walk_to(draft, State.APPROVAL, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError) as error:
        svc.household_approve(household, actor=grassroots_reviewer, opinion_text="同意")
    assert "above the archive's union" in " ".join(error.value.messages)
    household.refresh_from_db()
    assert household.state == State.APPROVAL
    assert not LevelOpinion.objects.filter(household=household, stage="approval").exists()


def test_wrong_role_is_refused(draft, grassroots_cadre, county_reviewer, city_fund_manager, today):
    household = walk_to(draft, State.APPROVAL, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError, match="reviewer of the higher union"):
        svc.household_approve(household, actor=grassroots_cadre, opinion_text="同意")
    with pytest.raises(ValidationError):  # a fund manager sees the archive but may not move it
        svc.household_refuse(household, actor=city_fund_manager, reason="x")


def test_outsider_gets_404(draft, outsider, today):
    with pytest.raises(Http404):
        svc.household_submit(draft, actor=outsider)


def test_missing_data_is_refused_by_field(draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.HOME_VISIT, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError) as error:
        svc.home_visit_record(household, actor=grassroots_cadre, visited_on=today + dt.timedelta(days=1),
                              visitors="", findings="")
    fields = error.value.message_dict
    assert {"visited_on", "visitors", "findings", "authorisation_signed_on"} <= set(fields)
    assert not HomeVisit.objects.exists()
    # The authorisation can be signed at the visit itself.
    svc.home_visit_record(household, actor=grassroots_cadre, visited_on=today, visitors="李四", findings="属实",
                          authorisation_signed_on=today, authorisation_signed_by="张三")
    household.refresh_from_db()
    assert household.state == State.ECONOMIC_CHECK
    assert Consent.objects.filter(household=household, kind="economic_check").count() == 1


def test_economic_check_waiver_needs_a_reason(draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.ECONOMIC_CHECK, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError) as error:
        svc.economic_check_waive(household, actor=grassroots_cadre, reason="  ")
    assert "reason" in error.value.message_dict
    svc.economic_check_waive(household, actor=grassroots_cadre, reason="民政已核对")
    household.refresh_from_db()
    assert household.state == State.PUBLIC_NOTICE
    assert LevelOpinion.objects.filter(household=household, decision="waive").exists()


# --- public notice --------------------------------------------------------------------------------------


def _to_notice(draft, cadre, reviewer, on):
    household = walk_to(draft, State.PUBLIC_NOTICE, cadre, reviewer, on)
    consent(household, "public_notice", on - dt.timedelta(days=10), place="workplace")
    return household


def test_notice_needs_its_consent(draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.PUBLIC_NOTICE, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError, match="consent to the public notice"):
        svc.notice_start(household, actor=grassroots_cadre, starts_on=today)


def test_notice_runs_seven_calendar_days_and_cannot_close_early(draft, grassroots_cadre, county_reviewer, today):
    household = _to_notice(draft, grassroots_cadre, county_reviewer, today)
    notice = svc.notice_start(household, actor=grassroots_cadre, starts_on=today)
    assert notice.ends_on == dt.date(2025, 10, 7)  # 30 Sep + 7 calendar days (holidays count)
    assert notice.place == "workplace" and notice.name_masked == "张*"
    with pytest.raises(ValidationError, match="cannot be closed before"):
        svc.notice_close(household, actor=grassroots_cadre)
    with time_machine.travel(dt.datetime(2025, 10, 6, 12, 0), tick=False):
        with pytest.raises(ValidationError):
            svc.notice_close(household, actor=grassroots_cadre)
    with time_machine.travel(dt.datetime(2025, 10, 7, 12, 0), tick=False):
        svc.notice_close(household, actor=grassroots_cadre)
    household.refresh_from_db()
    assert household.state == State.APPROVAL


def test_notice_length_is_a_setting(draft, grassroots_cadre, county_reviewer, today, settings):
    settings.REGISTRY_NOTICE_DAYS = 10
    household = _to_notice(draft, grassroots_cadre, county_reviewer, today)
    notice = svc.notice_start(household, actor=grassroots_cadre, starts_on=today)
    assert notice.ends_on == dt.date(2025, 10, 10)


def test_pending_objection_blocks_closing(draft, grassroots_cadre, county_reviewer, today):
    household = _to_notice(draft, grassroots_cadre, county_reviewer, today)
    svc.notice_start(household, actor=grassroots_cadre, starts_on=today - dt.timedelta(days=8))
    with pytest.raises(ValidationError) as error:  # outside the notice period
        svc.notice_objection_record(household, actor=grassroots_cadre, received_on=today, content="x")
    assert "received_on" in error.value.message_dict
    objection = svc.notice_objection_record(household, actor=grassroots_cadre,
                                            received_on=today - dt.timedelta(days=3), content="他有车")
    with pytest.raises(ValidationError, match="pending"):
        svc.notice_close(household, actor=grassroots_cadre)
    svc.notice_objection_decide(household, actor=grassroots_cadre, objection=objection.pk, outcome="dismissed",
                                note="车辆为残疾人代步车")
    notice = svc.notice_close(household, actor=grassroots_cadre)
    assert "dismissed" in notice.result
    household.refresh_from_db()
    assert household.state == State.APPROVAL


# --- refusal, exit, appeal ---------------------------------------------------------------------------------


def test_refusal_must_be_told_within_three_working_days(draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.APPLIED, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError):
        svc.household_refuse(household, actor=grassroots_cadre, reason="")
    closure = svc.household_refuse(household, actor=grassroots_cadre, reason="家庭收入高于标准")
    # 30 Sep 2025 + 3 working days: 1–8 Oct are holidays, then Thu 9, Fri 10 and the make-up Saturday 11 Oct.
    assert closure.notify_by == dt.date(2025, 10, 11)
    household.refresh_from_db()
    assert household.state == State.REFUSED
    assert Member.objects.get(household=household, is_head=True).open_identity_hash is None


def test_refusal_at_approval_belongs_to_the_higher_union(draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.APPROVAL, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError):
        svc.household_refuse(household, actor=grassroots_cadre, reason="x")
    svc.household_refuse(household, actor=county_reviewer, reason="公示异议属实")
    household.refresh_from_db()
    assert household.state == State.REFUSED


def test_appeal_of_a_refusal_decided_by_the_higher_level(draft, tree, grassroots_cadre, county_reviewer,
                                                         grassroots_reviewer, worker_user, today):
    household = walk_to(draft, State.APPLIED, grassroots_cadre, county_reviewer, today)
    Member.objects.filter(household=household, is_head=True).update(account=worker_user)
    svc.household_refuse(household, actor=grassroots_cadre, reason="材料不全")
    appeal = svc.appeal_file(household, actor=worker_user, grounds="已补充材料")
    assert appeal.filed_by_worker
    with pytest.raises(ValidationError, match="already pending"):
        svc.appeal_file(household, actor=grassroots_cadre, grounds="again")
    with pytest.raises(ValidationError):
        svc.appeal_decide(household, actor=grassroots_reviewer, decision="grant", reason="x")
    svc.appeal_decide(household, actor=county_reviewer, decision="grant", reason="材料已补齐")
    household.refresh_from_db()
    assert household.state == State.APPROVAL
    assert Member.objects.get(household=household, is_head=True).open_identity_hash is not None
    assert Closure.objects.get(household=household).reversed_on == today


def test_appeal_of_an_exit_upheld_then_granted(draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.ACTIVE, grassroots_cadre, county_reviewer, today)
    with pytest.raises(ValidationError) as error:
        svc.household_exit(household, actor=grassroots_cadre, reason="no-such-reason")
    assert "reason" in error.value.message_dict
    closure = svc.household_exit(household, actor=grassroots_cadre, reason="out_of_hardship")
    assert closure.monitor_until == dt.date(2026, 9, 30)  # 12 months of relapse monitoring
    household.refresh_from_db()
    assert household.state == State.EXITED and household.exited_on == today
    svc.appeal_file(household, actor=grassroots_cadre, grounds="收入统计有误")
    svc.appeal_decide(household, actor=county_reviewer, decision="uphold", reason="核实无误")
    household.refresh_from_db()
    assert household.state == State.EXITED
    svc.appeal_file(household, actor=grassroots_cadre, grounds="新证据")
    svc.appeal_decide(household, actor=county_reviewer, decision="grant", reason="新证据成立")
    household.refresh_from_db()
    assert household.state == State.ACTIVE and household.exited_on is None
    kinds = list(TimelineEvent.objects.filter(household=household).values_list("kind", flat=True))
    assert kinds.count("appeal_decide") == 2


def test_appeal_cannot_reopen_a_person_open_elsewhere(tree, draft, grassroots_cadre, county_reviewer, today):
    household = walk_to(draft, State.ACTIVE, grassroots_cadre, county_reviewer, today)
    svc.household_exit(household, actor=grassroots_cadre, reason="voluntary")
    head = Member.objects.get(household=household, is_head=True)
    # Meanwhile the same person was taken into another union's open archive.
    other = make_household(tree.sibling, state=State.ACTIVE)
    Member.objects.filter(household=other, is_head=True).update(
        identity_hash=head.identity_hash, open_identity_hash=head.identity_hash
    )
    svc.appeal_file(household, actor=grassroots_cadre, grounds="x")
    with pytest.raises(ValidationError) as error:
        svc.appeal_decide(household, actor=county_reviewer, decision="grant", reason="y")
    assert "identity_number" in error.value.message_dict
    household.refresh_from_db()
    assert household.state == State.EXITED  # nothing half-saved
    assert household.appeals.get().decision == "pending"


# --- temporary relief, review, deadlines -----------------------------------------------------------------


def test_temporary_relief_converted_or_cancelled(tree, grassroots_cadre, today):
    regular = make_household(tree.grassroots, state=State.ACTIVE)
    with pytest.raises(ValidationError):
        svc.temporary_convert(regular, actor=grassroots_cadre, reason="x")
    temp = make_household(tree.grassroots, state=State.ACTIVE, is_temporary_relief=True)
    svc.temporary_convert(temp, actor=grassroots_cadre, reason="困难持续")
    temp.refresh_from_db()
    assert not temp.is_temporary_relief and temp.review_due_on == dt.date(2026, 9, 30)
    temp2 = make_household(tree.grassroots, state=State.ACTIVE, is_temporary_relief=True)
    svc.temporary_cancel(temp2, actor=grassroots_cadre, reason="已解决")
    temp2.refresh_from_db()
    assert temp2.state == State.CANCELLED


def test_review_moves_the_due_date(tree, grassroots_cadre, today):
    household = make_household(tree.grassroots, state=State.ACTIVE, review_due_on=dt.date(2025, 9, 1))
    svc.household_review(household, actor=grassroots_cadre, reviewed_on=dt.date(2025, 9, 29), note="仍困难")
    household.refresh_from_db()
    assert household.review_due_on == dt.date(2026, 9, 29)


def test_chain_deadline_is_25_working_days(tree, today):
    household = make_household(tree.grassroots, state=State.APPLIED, applied_on=dt.date(2025, 9, 30))
    # Working days after 30 Sep 2025: 9, 10, 11 (make-up Sat), 13–17, 20–24, 27–31 Oct (18 days), 3–7 Nov (23),
    # 10, 11 Nov (25).
    assert svc.chain_deadline(household) == dt.date(2025, 11, 11)


def test_allowed_actions_follow_state_role_and_level(draft, grassroots_cadre, county_reviewer, worker_user,
                                                     today):
    assert [r.action for r in lifecycle.allowed(grassroots_cadre, draft)] == ["submit", "transfer", "change_head",
                                                                               "split", "merge"]
    household = walk_to(draft, State.APPROVAL, grassroots_cadre, county_reviewer, today)
    assert "approve" not in {r.action for r in lifecycle.allowed(grassroots_cadre, household)}
    assert {"approve", "refuse"} <= {r.action for r in lifecycle.allowed(county_reviewer, household)}
    assert lifecycle.allowed(worker_user, household) == []


# --- pages --------------------------------------------------------------------------------------------------


def test_panel_and_action_pages(client, draft, grassroots_cadre, outsider, today):
    client.force_login(grassroots_cadre)
    page = client.get(reverse("registry:detail", args=[draft.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-action="submit"' in body and 'data-action="approve"' not in body
    url = reverse("registry:lifecycle_action", args=[draft.pk, "submit"])
    assert client.get(url).status_code == 200
    response = client.post(url, {})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.APPLIED
    # A refusal without a reason: the form says so, nothing changes.
    response = client.post(reverse("registry:lifecycle_action", args=[draft.pk, "refuse"]), {"reason": ""})
    assert response.status_code == 200 and 'invalid-feedback' in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == State.APPLIED
    # An action illegal in this state shows why, and a POST does nothing.
    response = client.post(reverse("registry:lifecycle_action", args=[draft.pk, "notice_close"]), {})
    assert 'data-testid="action-refused"' in response.content.decode()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_notice_list_shows_masked_data_only(client, draft, grassroots_cadre, county_reviewer, outsider, today):
    household = _to_notice(draft, grassroots_cadre, county_reviewer, today)
    svc.notice_start(household, actor=grassroots_cadre, starts_on=today)
    head = Member.objects.get(household=household, is_head=True)
    client.force_login(grassroots_cadre)
    body = client.get(reverse("registry:notices")).content.decode()
    assert "张*" in body and "2025-10-07" in body
    assert head.identity_masked not in body and "张三" not in body
    client.force_login(outsider)
    assert "张*" not in client.get(reverse("registry:notices")).content.decode()


def test_household_model_state_unchanged_on_failed_transition(draft, grassroots_cadre, today):
    before = Household.objects.filter(pk=draft.pk).values().get()
    with pytest.raises(ValidationError):
        svc.household_approve(draft, actor=grassroots_cadre, opinion_text="x")
    assert Household.objects.filter(pk=draft.pk).values().get() == before
