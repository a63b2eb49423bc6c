"""One household's whole way through the registry in a real browser (the issue's "Done means").

A grassroots case worker opens the archive and enters what the rules need, takes it through the first
check, the home visit, the (waived) economic check and the public notice; the county reviewer, signing in
with two-factor, approves it; the archive is active with the category the rules give and its explanation
on the page; then it exits and the worker's union files an appeal. Screenshots of the archive page and of
the printed card (in Chinese) go to test-artifacts/screenshots/lifecycle-*.png.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.core.identity import synthetic_resident_id
from bangfu.orgs.models import LocalStandard
from bangfu.registry.models import Household, State, TimelineEvent
from tests.browser import assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser

LINE = Decimal("1100.00")  # illustrative line for 天河区 in this test
WAGE = Decimal("900.00")  # one-person household: per-capita income 900 < 1100 → minimum-living household


def _act(page, pk: int, action: str, fields: dict | None = None, radios: dict | None = None) -> None:
    """Open one lifecycle action's form, fill it and submit; the archive page follows."""
    page.goto(f"/households/{pk}/lifecycle/{action}/")
    assert page.locator("[data-testid=action-form]").count() == 1, f"{action}: no form ({page.url})"
    for name, value in (fields or {}).items():
        page.fill(f"#id_{name}", value)
    for name, value in (radios or {}).items():
        page.check(f"input[name={name}][value={value}]")
    with page.expect_navigation():
        page.click("[data-testid=action-submit]")
    errors = page.locator("[data-testid=form-errors], [data-testid=action-refused], .invalid-feedback")
    assert errors.count() == 0, f"{action}: {errors.first.inner_text()}"


def _save(page) -> None:
    with page.expect_navigation():
        page.click("[data-testid=save]")


def _state(pk: int) -> str:
    return Household.objects.get(pk=pk).state


def test_a_household_from_application_to_active_then_exit_and_appeal(
    open_page, tree, grassroots_cadre, county_reviewer, settings
):
    today = timezone.localdate()
    LocalStandard.objects.create(division_id="440106", kind="living_line", amount=LINE,
                                 effective_from=dt.date(2025, 1, 1), source="test", illustrative=True)
    LocalStandard.objects.create(division_id="440106", kind="minimum_wage", amount=Decimal("2500"),
                                 effective_from=dt.date(2025, 1, 1), source="test", illustrative=True)
    device = TOTPDevice.objects.create(user=county_reviewer, name="phone", confirmed=True)

    # --- the case worker opens the archive -------------------------------------------------------
    page = open_page()
    sign_in(page, grassroots_cadre)
    page.goto("/households/new/")
    assert_page_ok(page)
    page.fill("#id_head-name", "陈建国")
    page.fill("#id_head-identity_number", synthetic_resident_id("440106", dt.date(1979, 3, 8), 135))
    page.select_option("#id_head-work_status", "laid_off")
    _save(page)
    household = Household.objects.get()
    pk = household.pk
    assert household.state == State.DRAFT

    page.goto(f"/households/{pk}/causes/")
    page.select_option("#id_main", "3")
    _save(page)
    page.goto(f"/households/{pk}/incomes/?type=wage")
    for cell in page.locator("[data-testid=income-grid] tbody tr").first.locator("input").all():
        cell.fill(str(WAGE))
    _save(page)
    for kind in ("economic_check", "public_notice"):
        page.goto(f"/households/{pk}/consents/")
        page.select_option("#id_kind", kind)
        page.fill("#id_signed_on", (today - dt.timedelta(days=12)).isoformat())
        page.fill("#id_signed_by_name", "陈建国")
        if kind == "public_notice":
            page.select_option("#id_notice_place", "community")
            page.fill("#id_notice_content", "姓名（隐去名字）和困难类别")
        _save(page)
    assert household.consents.count() == 2

    # --- through the early states ----------------------------------------------------------------
    _act(page, pk, "submit")
    assert _state(pk) == State.APPLIED
    _act(page, pk, "first_check", {"opinion_text": "材料齐全，符合申请条件。"}, {"decision": "pass"})
    assert _state(pk) == State.HOME_VISIT
    _act(page, pk, "home_visit", {"visited_on": today.isoformat(),
                                  "visitors": "李工会、王社区", "findings": "一人户，下岗后仅有零工收入。"})
    assert _state(pk) == State.ECONOMIC_CHECK
    _act(page, pk, "economic_check_waive", {"reason": "比对系统尚未接入本区数据，经区总工会同意免于核对。"})
    assert _state(pk) == State.PUBLIC_NOTICE
    # The notice started 9 days ago, so its 7 days are over and it may be closed.
    _act(page, pk, "notice_start", {"starts_on": (today - dt.timedelta(days=9)).isoformat()})
    _act(page, pk, "notice_close")
    assert _state(pk) == State.APPROVAL

    # The case worker's own union may not approve its own application.
    page.goto(f"/households/{pk}/lifecycle/approve/")
    assert page.locator("[data-testid=action-form]").count() == 0

    # --- the county reviewer approves (two-factor sign-in) ---------------------------------------
    reviewer = open_page()
    sign_in(reviewer, county_reviewer)
    code = str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)
    reviewer.fill("#id_token", code)
    with reviewer.expect_navigation():
        reviewer.click("#content button[type=submit]")
    _act(reviewer, pk, "approve", {"opinion_text": "经公示无异议，同意纳入困难职工档案。"})
    household.refresh_from_db()
    assert household.state == State.ACTIVE
    assert household.review_due_on is not None

    # --- the archive page: category and its explanation ------------------------------------------
    reviewer.goto(f"/households/{pk}/")
    assert_page_ok(reviewer)
    # One person, 900 yuan a month for 12 months: per-capita 900 < line 1,100 → 低保户 (Standard A).
    assert household.category == "A_dibao"
    assert "低保户" in reviewer.locator("[data-testid=classification-category]").inner_text()
    assert "✓ " in reviewer.locator("[data-testid=classification-tests]").inner_text()
    explanation = reviewer.locator("[data-testid=classification-panel]").text_content()
    assert "900.00" in explanation and "1,100.00" in explanation  # the income and the line, in plain words
    assert "陈建国" not in reviewer.content()  # the head's name is masked on the page
    timeline = reviewer.locator("[data-testid=timeline]").inner_text()
    assert "免于核对" in timeline  # the waiver's reason is on the household's timeline
    screenshot(reviewer, "lifecycle-archive-active")

    reviewer.goto(f"/households/{pk}/print/card/")
    card = reviewer.content()
    assert "困难职工档案" in card
    assert synthetic_resident_id("440106", dt.date(1979, 3, 8), 135) not in card  # ID masked on the card
    screenshot(reviewer, "lifecycle-printed-card")

    # --- exit, then an appeal against the exit ---------------------------------------------------
    page.goto(f"/households/{pk}/lifecycle/exit/")
    page.select_option("#id_reason", "failed_review")
    page.fill("#id_note", "年度复核发现家庭收入超过标准。")
    with page.expect_navigation():
        page.click("[data-testid=action-submit]")
    assert _state(pk) == State.EXITED
    _act(page, pk, "appeal_file", {"grounds": "复核时把一次性补偿金计为了月收入，申请复核。"})
    page.goto(f"/households/{pk}/")
    assert page.locator("[data-testid=appeal]").count() >= 1
    screenshot(page, "lifecycle-exited-appealed")

    kinds = list(TimelineEvent.objects.filter(household_id=pk).order_by("at", "id").values_list("to_state", flat=True))
    reached = [state for state in kinds if state]
    for state in (State.APPLIED, State.HOME_VISIT, State.ECONOMIC_CHECK, State.PUBLIC_NOTICE, State.APPROVAL,
                  State.ACTIVE, State.EXITED):
        assert state in reached, f"no timeline row reaching {state}: {reached}"
