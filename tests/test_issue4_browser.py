"""Issue 4 ("Helping each household"), its "Done means" end to end in a real browser, in simplified Chinese.

Only what has no page is made beforehand: the union tree, the people (a case worker, two helpers and a
counsellor of the grassroots union, a counsellor of the county), the shipped recommendation rules, an active
household whose archive makes the rules propose measures of three rules (the head is able to work but out of
work, a child at school, the spouse seriously ill), and its first responsible helper (assigned through
`bangfu.helpers.services.assign_helper`, as the assign page would).

Then, through the pages:
1. the case worker lets the rules propose measures (each showing the rule that proposed it), accepts two and
   rejects one with a reason: the plan lists the two measures, the rejection and its reason are kept;
2. the case worker records a visit and hands the household over to helper 2 (the first period stays in the
   history with its end date and reason);
3. the counsellor records a PHQ-9 with item 9 positive: a crisis case opens with a deadline 24 hours ahead
   and is in the counsellor's crisis list;
4. helper 2, now responsible, finds the urgent-contact notice in the inbox, which says nothing of why;
5. the deadline passes (the clock is moved with time_machine while the scheduled check runs): the case goes
   to the county, whose counsellor sees it in the crisis list at escalation level 1;
6. the case worker of the household's union gets a 404 for the screening and the crisis case.

Assertions read `data-testid`s and the database rather than UI text (the Chinese translations change).
Screenshots go to test-artifacts/screenshots/issue4-*.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.roles import Role
from bangfu.care.models import CrisisCase, Screening
from bangfu.core.identity import synthetic_resident_id
from bangfu.helpers.models import HelperAssignment, HelperMode, Visit
from bangfu.helpers.services import assign_helper
from bangfu.notifications.models import Notification
from bangfu.plans.models import Measure, Recommendation, RecommendationRule
from bangfu.plans.tests.factories import shipped_rules
from bangfu.registry.models import Member
from bangfu.registry.tests.factories import make_household
from tests.browser import assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser

PHQ9_ITEM_9_POSITIVE = [1, 1, 0, 1, 0, 0, 1, 0, 1]  # score 5 (mild) — only item 9 makes it a crisis
# Words that would tell the helper why the contact is urgent (health data the helper may not know).
WHY_WORDS = ("危机", "心理", "筛查", "自伤", "自杀", "抑郁", "PHQ", "crisis", "screening", "self-harm", "suicid",
             "mental", "depress")
# The proposals this household gets, by proposal key → the rule that proposes it.
EXPECTED_RULES = {
    "job_information": "able_to_work", "skills_training": "able_to_work", "startup_support": "able_to_work",
    "school_aid": "students",
    "illness_medical_insurance": "serious_illness", "illness_mutual_aid": "serious_illness",
    "illness_temporary_funds": "serious_illness",
}
ACCEPTED = ("job_information", "school_aid")
REJECTED = "startup_support"
REJECT_REASON = "本人暂无创业意愿，先找工作"
HANDOVER_REASON = "原结对干部调岗，移交新的结对干部"
FINDINGS = "家中三口人，户主失业在家，妻子化疗中，孩子在读初中。"


# --- helpers ------------------------------------------------------------------------------------------------


def _click(page, target) -> None:
    """Click a link or submit button (a selector or a locator) and wait for the page it leads to."""
    locator = page.locator(target) if isinstance(target, str) else target
    with page.expect_navigation():
        locator.click()


def _sign_in(open_page, user):
    """A fresh browser signed in through the login form (with the authenticator's code when the user has one)."""
    page = open_page()
    sign_in(page, user)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        code = str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)
        page.fill("#id_token", code)
        _click(page, "#content button[type=submit]")
    assert "/accounts/" not in page.url, f"{user.username} is not signed in: {page.url}"
    return page


def _no_form_errors(page, what: str, *, error_messages: bool = True) -> None:
    """No form error on the page (and, unless told otherwise, no error message at the top either)."""
    selector = "[data-testid=form-errors], .invalid-feedback" + (", .alert-danger" if error_messages else "")
    errors = page.locator(selector)
    assert errors.count() == 0, f"{what}: {errors.first.inner_text()}"


def _shown_time(text: str) -> dt.datetime:
    """A "YYYY-MM-DD HH:MM" shown on a page (the platform's time zone) as an aware datetime."""
    match = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    assert match, f"no date and time in {text!r}"
    return timezone.make_aware(dt.datetime.strptime(match.group(0), "%Y-%m-%d %H:%M"))


def _household(tree):
    """Active, of the grassroots union: the head (able to work) out of work, a child at school, the spouse with
    cancer — so the rules `able_to_work`, `students` and `serious_illness` all propose measures."""
    household = make_household(tree.grassroots, size=2, main_cause="2", secondary=("6",), name="陈建国")
    household.members.filter(is_head=True).update(work_status="unemployed", able_to_work=True)
    spouse = Member(household=household, relation="spouse", name="林秀英", sex="F", birth_date=dt.date(1982, 4, 2),
                    work_status="none", health="cancer", able_to_work=False)
    spouse.set_identity(synthetic_resident_id(household.division_id, dt.date(1982, 4, 2), 468))
    spouse.save()
    household.household_size = 3
    household.save(update_fields=["household_size"])
    return household


# --- the scenario -------------------------------------------------------------------------------------------


def test_issue4_done_means(open_page, tree, grassroots_cadre, settings):
    # --- 1. what has no page ------------------------------------------------------------------------------
    shipped_rules()  # the live server's database was emptied by the previous transactional test
    household = _household(tree)
    pk = household.pk
    helper_1 = tree.user("helper1", tree.grassroots, Role.HELPER)
    helper_2 = tree.user("helper2", tree.grassroots, Role.HELPER)
    counsellor = tree.user("counsellor", tree.grassroots, Role.COUNSELLOR)
    county_counsellor = tree.user("countycounsellor", tree.county, Role.COUNSELLOR)
    first = assign_helper(household, mode=HelperMode.PAIRING, helper=helper_1, helper_kind="branch_cadre",
                          starts_on=timezone.localdate(), actor=grassroots_cadre)
    today = timezone.localdate().isoformat()

    # --- 2. the case worker decides the proposals --------------------------------------------------------
    cadre = _sign_in(open_page, grassroots_cadre)
    cadre.goto(f"/households/{pk}/")
    assert_page_ok(cadre)
    _click(cadre, "[data-testid=panel-plan] [data-testid=plan-open]")
    assert cadre.url.endswith(f"/plans/household/{pk}/")
    assert cadre.locator("tr[data-testid^=measure-]").count() == 0
    _click(cadre, "[data-testid=propose]")
    assert_page_ok(cadre)
    cards = cadre.locator("article[data-testid^=recommendation-]")
    keys = sorted(cards.evaluate_all("cards => cards.map(card => card.dataset.key)"))
    assert keys == sorted(EXPECTED_RULES), keys
    rules = {rule.code: rule for rule in RecommendationRule.objects.filter(is_current=True)}
    for index in range(cards.count()):  # each proposal names the rule that made it: title, code and version
        card = cards.nth(index)
        rule = rules[EXPECTED_RULES[card.get_attribute("data-key")]]
        title = card.locator("[data-testid=rule-title]").inner_text().strip()
        code = card.locator("[data-testid=rule-code]").inner_text()
        assert title in (rule.title, rule.title_en), (title, rule.title)
        assert rule.code in code and str(rule.version) in code, code
        assert card.locator("[data-testid=matched-facts]").is_visible()
    screenshot(cadre, "issue4-01-proposals")

    for key in ACCEPTED:
        _click(cadre, cadre.locator(f"article[data-key={key}] [data-testid=accept]"))
        _no_form_errors(cadre, f"accept {key}")
    rejected = cadre.locator(f"article[data-key={REJECTED}]")
    rejected.locator("[data-testid=reject-reason]").fill(REJECT_REASON)
    _click(cadre, rejected.locator("[data-testid=reject]"))
    _no_form_errors(cadre, "reject")

    assert cadre.locator("article[data-testid^=recommendation-]").count() == len(EXPECTED_RULES) - 3
    rows = cadre.locator("tr[data-testid^=measure-]")
    assert sorted(rows.evaluate_all("rows => rows.map(row => row.dataset.kind)")) == ["job_information",
                                                                                     "school_aid"]
    for key in ACCEPTED:  # the measure still says which rule proposed it
        assert EXPECTED_RULES[key] in cadre.locator(f"tr[data-kind={key}]").inner_text()
    decided = cadre.locator("[data-testid=decided]")
    decided.locator("summary").click()
    assert decided.locator("li[data-testid^=decided-]").count() == 3
    rejected_row = decided.locator("li[data-testid^=decided-]", has_text=REJECT_REASON)
    assert rejected_row.count() == 1 and rejected_row.is_visible()
    assert EXPECTED_RULES[REJECTED] in rejected_row.inner_text()  # with the rule that proposed it
    assert cadre.locator(f"article[data-key={REJECTED}]").count() == 0  # no longer waiting for a decision
    screenshot(cadre, "issue4-02-plan-decided")

    recommendations = {r.proposal_key: r for r in Recommendation.objects.filter(household=household)}
    assert {key: r.decision for key, r in recommendations.items() if r.decision != "pending"} == {
        "job_information": "accepted", "school_aid": "accepted", "startup_support": "rejected"}
    assert recommendations[REJECTED].reason == REJECT_REASON
    assert recommendations[REJECTED].decided_by == grassroots_cadre
    measures = Measure.objects.filter(household=household)
    assert sorted(measures.values_list("kind", flat=True)) == ["job_information", "school_aid"]
    for measure in measures:
        assert measure.recommendation.rule.code == EXPECTED_RULES[measure.recommendation.proposal_key]
        assert measure.state == "planned" and measure.owner == grassroots_cadre

    # --- 3. a visit, then the handover to helper 2 -------------------------------------------------------
    cadre.goto(f"/households/{pk}/")
    _click(cadre, "[data-testid=panel-helpers] [data-testid=visit-new]")
    assert cadre.locator("#id_visited_on").input_value() == today
    cadre.fill("#id_visitors", f"{grassroots_cadre}、{helper_1}")
    cadre.fill("#id_findings", FINDINGS)
    cadre.fill("#id_next_step", "协助申请大病医疗救助")
    _click(cadre, "[data-testid=visit-form] [data-testid=submit]")
    _no_form_errors(cadre, "visit", error_messages=False)
    assert cadre.url.endswith(f"/helpers/households/{pk}/visits/")
    visit_cards = cadre.locator("[data-testid=visit]")
    assert visit_cards.count() == 1
    assert today in visit_cards.first.inner_text() and FINDINGS in visit_cards.first.inner_text()
    screenshot(cadre, "issue4-03-visit-recorded")
    visit = Visit.objects.get(household=household)
    assert (visit.visited_on.isoformat(), visit.findings, visit.assignment) == (today, FINDINGS, first)

    cadre.goto(f"/households/{pk}/")
    _click(cadre, "[data-testid=panel-helpers] [data-testid=helper-hand-over]")
    assert cadre.locator("input[name=mode][value=pairing]").is_checked()  # the current mode is kept
    cadre.select_option("#id_helper", str(helper_2.pk))
    assert cadre.locator("#id_on").input_value() == today
    cadre.fill("#id_reason", HANDOVER_REASON)
    _click(cadre, "[data-testid=hand-over-form] [data-testid=submit]")
    _no_form_errors(cadre, "hand over", error_messages=False)
    assert cadre.url.endswith(f"/households/{pk}/")
    panel = cadre.locator("[data-testid=panel-helpers]")
    assert str(helper_2) in panel.locator("[data-testid=helper-current]").inner_text()
    history = panel.locator("[data-testid=helper-history] li")
    assert history.count() == 1
    earlier = history.first.inner_text()
    assert str(helper_1) in earlier and HANDOVER_REASON in earlier and f"– {today}" in earlier, earlier
    screenshot(cadre, "issue4-04-handed-over")

    first.refresh_from_db()
    current = HelperAssignment.objects.current().get(household=household)
    assert (first.ends_on.isoformat(), first.end_reason, first.handed_over_to) == (today, HANDOVER_REASON, current)
    assert (current.helper, current.starts_on.isoformat(), current.ends_on) == (helper_2, today, None)
    assert HelperAssignment.objects.filter(household=household).count() == 2  # history kept as rows

    # --- 4. the counsellor's PHQ-9 with item 9 positive opens a crisis case -----------------------------
    care = _sign_in(open_page, counsellor)
    care.goto(f"/households/{pk}/")
    _click(care, "[data-testid=panel-care] [data-testid=care-screening-new]")
    assert_page_ok(care)
    assert care.locator("#id_member").input_value() == str(household.members.get(is_head=True).pk)
    care.add_style_tag(content="*, *::before, *::after { transition: none !important; }")  # still screenshots
    for number, answer in enumerate(PHQ9_ITEM_9_POSITIVE, start=1):
        care.click(f"[data-testid=item-{number}-{answer}]")
        assert care.locator(f"input[name=item_{number}][value='{answer}']").is_checked()
    care.mouse.move(0, 0)
    screenshot(care, "issue4-05-phq9-form")
    saved_at = timezone.now()
    _click(care, "[data-testid=save-screening]")
    _no_form_errors(care, "screening", error_messages=False)  # "a crisis case was opened" is an alarm
    assert "/care/screenings/" in care.url
    assert care.locator("[data-testid=score]").inner_text().split()[0] == "5"
    assert care.locator("[data-testid=self-harm]").is_visible()
    alert = care.locator("[data-testid=screening-crisis]")
    assert alert.is_visible()
    shown_due = _shown_time(alert.locator("[data-testid=due-at]").inner_text())
    assert abs(shown_due - (saved_at + dt.timedelta(hours=24))) < dt.timedelta(minutes=5), shown_due
    screenshot(care, "issue4-06-screening-crisis")

    screening = Screening.objects.get(household=household)
    assert (screening.instrument, screening.score, screening.self_harm_positive) == ("phq9", 5, True)
    case = CrisisCase.objects.get(household=household)
    assert (case.state, case.escalation_level, case.responsible_org) == ("open", 0, tree.grassroots)
    assert case.due_at - case.opened_at == dt.timedelta(hours=24)
    assert abs(case.opened_at - saved_at) < dt.timedelta(minutes=5)

    _click(care, "[data-testid=nav-care]")
    row = care.locator(f"[data-testid=crisis-row][data-case='{case.pk}']")
    assert row.count() == 1
    shown_due = _shown_time(row.locator("[data-testid=due-at]").inner_text())
    assert abs(shown_due - (saved_at + dt.timedelta(hours=24))) < dt.timedelta(minutes=5), shown_due
    assert shown_due == timezone.localtime(case.due_at).replace(second=0, microsecond=0)
    assert row.locator("[data-testid=escalation-level]").inner_text().strip() == "0"
    assert row.locator("[data-testid=deadline-status]").get_attribute("data-overdue") == "0"
    screenshot(care, "issue4-07-crisis-list")

    # --- 5. helper 2 is told that an urgent contact is due, not why --------------------------------------
    helper = _sign_in(open_page, helper_2)
    _click(helper, "[data-testid=nav-notifications]")
    assert_page_ok(helper)
    notice = Notification.objects.get(recipient=helper_2, kind="urgent_contact")
    shown = helper.locator(f"[data-testid=notice-{notice.pk}]")
    assert shown.locator("[data-testid=urgent]").is_visible()
    text = shown.inner_text()
    assert household.archive_number in text
    for word in WHY_WORDS:
        assert word.lower() not in text.lower(), f"the helper's notice says why ({word}): {text}"
        assert word.lower() not in f"{notice.title} {notice.body}".lower()
    assert not Notification.objects.filter(recipient=helper_1, kind="urgent_contact").exists()
    screenshot(helper, "issue4-08-helper-inbox")
    _click(helper, f"[data-testid=open-{notice.pk}]")  # the notice leads to the archive page, not to care
    assert helper.url.endswith(f"/households/{pk}/")
    assert helper.locator("[data-testid=panel-care]").count() == 0

    # --- 6. the deadline passes unacknowledged: the scheduled check escalates to the county ---------------
    from bangfu.care.tasks import escalate_crisis_cases

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    still_early = case.due_at - dt.timedelta(minutes=1)
    late = case.due_at + dt.timedelta(minutes=5)
    with time_machine.travel(still_early, tick=False):
        assert escalate_crisis_cases.enqueue().return_value == {"escalated": 0, "cases": []}
    with time_machine.travel(late, tick=False):
        assert escalate_crisis_cases.enqueue().return_value == {"escalated": 1, "cases": [case.pk]}
    case.refresh_from_db()
    assert (case.state, case.escalation_level, case.responsible_org) == ("open", 1, tree.county)
    assert case.escalated_at == late and case.due_at == late + dt.timedelta(hours=24)
    assert Notification.objects.filter(recipient=county_counsellor, kind="crisis_escalated", urgency="urgent",
                                       link=f"/care/crises/{case.pk}/").count() == 1

    county = _sign_in(open_page, county_counsellor)
    _click(county, "[data-testid=nav-care]")
    assert_page_ok(county)
    row = county.locator(f"[data-testid=crisis-row][data-case='{case.pk}']")
    assert row.count() == 1
    assert row.locator("[data-testid=escalation-level]").inner_text().strip() == "1"
    assert row.locator("[data-testid=responsible-org]").inner_text().strip() == tree.county.name
    assert _shown_time(row.locator("[data-testid=due-at]").inner_text()) == timezone.localtime(
        case.due_at).replace(second=0, microsecond=0)
    screenshot(county, "issue4-09-county-escalated")
    _click(county, row.locator("a").first)
    assert county.locator("[data-testid=escalation-level]").inner_text().strip().startswith("1")
    assert county.locator("[data-testid=responsible-org]").inner_text().strip() == tree.county.name
    assert county.locator("[data-testid=acknowledge-form]").is_visible()  # the county may now take it
    screenshot(county, "issue4-10-county-case")

    # --- 7. the case worker of the household's union cannot open the screening or the case ----------------
    for url in (f"/care/households/{pk}/screenings/new/", f"/care/screenings/{screening.pk}/",
                f"/care/crises/{case.pk}/", "/care/crises/", f"/care/households/{pk}/"):
        response = cadre.goto(url)
        assert response.status == 404, f"{url}: {response.status}"
    screenshot(cadre, "issue4-11-case-worker-404")
    cadre.goto(f"/households/{pk}/")  # the archive page shows the case worker nothing of it either
    assert cadre.locator("[data-testid=panel-care]").count() == 0
    assert "/care/" not in cadre.content()
    cadre.goto(f"/households/{pk}/timeline/")  # nor does the household's timeline
    timeline = cadre.locator("[data-testid=timeline]").inner_text()
    assert REJECT_REASON in timeline and HANDOVER_REASON in timeline  # the plan and the helpers are there …
    for word in WHY_WORDS:  # … the screening and the crisis case are not
        assert word.lower() not in timeline.lower(), f"the timeline mentions {word}: {timeline}"
