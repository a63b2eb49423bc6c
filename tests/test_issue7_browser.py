"""Issue 7, "Done means": a provider publishes a training offer with 3 seats, the county union approves it, five
workers order it through the portal with equal urgency, the round gives the seats to the three households with
the highest need among the eligible (with explanations), the provider accepts, a worker accepts and, after the
delivery, rates it. Every step in the browser, as each user; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.notifications import sms
from bangfu.portal.tests.conftest import LOCMEM_SMS, PASSWORD, make_worker
from bangfu.registry.tests.factories import make_household
from bangfu.services.models import Feedback, Match, MatchState, Offer, ProviderAccount, RequestState, ServiceRequest
from bangfu.services.tests.factories import make_item, make_provider
from tests.browser import PHONE, assert_page_ok, screenshot, sign_in

# (need score, category): the first is not of the offer's categories; the seats go to 60, 45 and 30.
HOUSEHOLDS = [("80", "B_relative"), ("60", "A_dibao"), ("10", "A_dibao"), ("45", "A_marginal"), ("30", "A_dibao")]


def portal_sign_in(page, phone: str) -> None:
    page.goto("/portal/login/")
    page.fill("#id_phone", phone)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click('[data-testid="portal-login"] button[type=submit]')
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1][1]).group(1)
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click('[data-testid="portal-code"] button[type=submit]')
    assert page.url.endswith("/portal/"), page.url


@pytest.mark.browser
def test_offer_to_rating_across_provider_union_portal_and_round(open_page, tree, settings):
    settings.DEMO_MODE = True  # the reviewer has no TOTP device in this test
    settings.BANGFU_SMS_BACKEND = LOCMEM_SMS
    sms.outbox.clear()
    reviewer = tree.user("countyrev", tree.county, Role.REVIEWER)
    provider = make_provider(tree.county, name="天河职业技能学校")
    provider_user = tree.user("school", tree.county, Role.PROVIDER, kind="provider")
    ProviderAccount.objects.create(provider=provider, user=provider_user)
    item = make_item(code="training-electrician")
    item.name = "电工上岗证培训"
    item.save()
    workers = []
    for i, (need, category) in enumerate(HOUSEHOLDS):
        household = make_household(tree.grassroots, name=f"王{'一二三四五'[i]}")
        household.need_score, household.category = Decimal(need), category
        household.save(update_fields=["need_score", "category"])
        workers.append((household, make_worker(tree, household, f"1380013800{i}"), f"1380013800{i}"))

    # 1. The provider drafts the offer (3 seats, two categories) and submits it.
    page = open_page()
    sign_in(page, provider_user)
    page.goto("/services/offers/new/")
    assert_page_ok(page)
    page.select_option("#id_item", str(item.pk))
    page.fill("#id_title", "低压电工上岗证培训（3 个名额）")
    page.fill("#id_capacity", "3")
    page.fill("#id_unit_value", "1500")
    page.fill("#id_valid_until", (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    page.check('input[name="categories"][value="A_dibao"]')
    page.check('input[name="categories"][value="A_marginal"]')
    with page.expect_navigation():
        page.get_by_test_id("offer-save").click()
    offer = Offer.objects.get()
    with page.expect_navigation():
        page.get_by_test_id("offer-submit").click()
    assert page.get_by_test_id("offer-state").inner_text() == "待审核"
    screenshot(page, "issue7-1-provider-offer")

    # 2. The county union approves it.
    union = open_page()
    sign_in(union, reviewer)
    union.goto("/services/offers/")
    with union.expect_navigation():
        union.get_by_test_id(f"offer-{offer.pk}").get_by_role("link").click()
    with union.expect_navigation():
        union.get_by_test_id("offer-publish").click()
    assert union.get_by_test_id("offer-state").inner_text() == "已发布"

    # 3. Five workers order it through the portal, with the same urgency.
    phones = {}
    for household, _worker, phone in workers:
        phone_page = phones[household.pk] = open_page(PHONE)
        portal_sign_in(phone_page, phone)
        phone_page.goto("/portal/menu/")
        phone_page.get_by_test_id("menu-item").filter(has_text="电工上岗证培训").click()
        with phone_page.expect_navigation():
            phone_page.click('[data-testid="order-form"] button[type=submit]')
        assert ServiceRequest.objects.filter(household=household, via_portal=True, urgency=1).exists()
    assert ServiceRequest.objects.count() == 5

    # 4. The county runs a round: the seats go to the three neediest eligible households, with the reasons.
    union.goto("/services/rounds/new/")
    with union.expect_navigation():
        union.get_by_test_id("round-create").click()
    with union.expect_navigation():
        union.get_by_test_id("round-solve").click()
    request_of = {h.pk: ServiceRequest.objects.get(household=h) for h, _w, _p in workers}
    seated = [request_of[workers[i][0].pk] for i in (1, 3, 4)]  # needs 60, 45, 30
    rows = union.locator('[data-testid="matches"] tbody tr')
    assert rows.count() == 3
    for request in seated:
        assert "困难评分" in union.get_by_test_id(f"match-{request.pk}").inner_text()
    assert "没有符合条件的资源" in union.get_by_test_id(f"left-{request_of[workers[0][0].pk].pk}").inner_text()
    assert "更困难或更紧急" in union.get_by_test_id(f"left-{request_of[workers[2][0].pk].pk}").inner_text()
    assert_page_ok(union)
    screenshot(union, "issue7-2-round")

    # 5. The provider accepts the three proposals (it sees the households masked, no need score).
    page.goto("/services/matches/")
    text = page.get_by_test_id("matches").inner_text()
    assert "60.00" not in text and "困难评分" not in text and workers[1][0].archive_number not in text
    for match in Match.objects.filter(state=MatchState.PROPOSED):
        with page.expect_navigation():
            page.get_by_test_id(f"match-accept-{match.pk}").click()
    screenshot(page, "issue7-3-provider-accepts")

    # 6. The neediest worker accepts too; the provider records the delivery; the worker rates it.
    household = workers[1][0]
    phone_page = phones[household.pk]  # still signed in since ordering
    phone_page.goto("/portal/matches/")
    with phone_page.expect_navigation():
        phone_page.get_by_test_id("match-accept").click()
    match = Match.objects.get(request=request_of[household.pk])
    assert match.state == MatchState.ACCEPTED
    page.goto("/services/matches/")
    page.get_by_test_id(f"deliver-note-{match.pk}").fill("已完成 5 天培训，发放结业证")
    with page.expect_navigation():
        page.get_by_test_id(f"match-deliver-{match.pk}").click()
    phone_page.goto(f"/portal/requests/{match.request_id}/")
    phone_page.check('[data-testid="feedback-form"] input[name="rating"][value="5"]')
    phone_page.fill('[data-testid="feedback-form"] textarea[name="comment"]', "老师讲得很细，已拿到证书")
    with phone_page.expect_navigation():
        phone_page.click('[data-testid="feedback-form"] button[type=submit]')
    assert "★★★★★" in phone_page.get_by_test_id("feedback-given").inner_text()
    assert_page_ok(phone_page)
    screenshot(phone_page, "issue7-4-worker-rates")
    request = ServiceRequest.objects.get(pk=match.request_id)
    assert request.state == RequestState.FULFILLED and Feedback.objects.get(request=request).rating == 5
