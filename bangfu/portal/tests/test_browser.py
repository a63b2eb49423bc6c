"""A worker on a 390 px phone signs in with phone, password and the SMS code, orders from the menu and sees the
request; screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from bangfu.notifications import sms
from bangfu.portal.tests.conftest import LOCMEM_SMS, PASSWORD, make_worker
from bangfu.registry.tests.factories import make_household
from bangfu.services.models import RequestState, ServiceRequest
from bangfu.services.tests.factories import make_item, make_offer, make_provider
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot


@pytest.mark.browser
def test_worker_signs_in_with_sms_code_and_orders(open_page, tree, settings):
    # The live server runs in this process: the locmem SMS backend's outbox is the one the test reads.
    settings.BANGFU_SMS_BACKEND = LOCMEM_SMS
    sms.outbox.clear()
    household = make_household(tree.grassroots, name="王自己")
    me = make_worker(tree, household, "13800138000")
    item = make_item(code="home-repair", kind="volunteer", unit="hour")
    make_offer(make_provider(tree.grassroots, name="天河志愿服务队"), item, tree.grassroots, title="家电维修志愿服务")
    make_offer(make_provider(tree.grassroots, name="天河职业技能学校"), make_item(code="training-electrician"),
               tree.grassroots, title="低压电工上岗证培训")

    page = open_page(PHONE)
    page.goto("/portal/login/")
    assert_page_ok(page)
    assert_fits_width(page)
    page.fill("#id_phone", "138 0013 8000")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click('[data-testid="portal-login"] button[type=submit]')
    assert page.url.endswith("/portal/login/code/")
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1][1]).group(1)
    assert sms.outbox[-1][0] == "13800138000"
    screenshot(page, "portal-phone-code")
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click('[data-testid="portal-code"] button[type=submit]')
    assert page.url.endswith("/portal/")
    assert page.get_by_test_id("household-state").inner_text() == "在档"
    assert "低压电工上岗证培训" in page.get_by_test_id("home-offers").inner_text()
    assert_page_ok(page)
    assert_fits_width(page)
    screenshot(page, "portal-phone-home")

    page.goto("/portal/menu/")
    page.get_by_test_id("menu-item").filter(has_text="home-repair").click()
    page.fill("#id_quantity", "2")
    page.select_option("#id_urgency", "2")
    page.fill("#id_preferences", "周六上午")
    assert_fits_width(page)
    with page.expect_navigation():
        page.click('[data-testid="order-form"] button[type=submit]')
    request = ServiceRequest.objects.get(household=household)
    assert (request.quantity, request.urgency, request.requested_by_id, request.via_portal) == (2, 2, me.pk, True)
    assert page.url.endswith(f"/portal/requests/{request.pk}/")
    with translation.override("zh-hans"):
        assert page.get_by_test_id("request-state").inner_text() == str(RequestState.SUBMITTED.label)
    assert_page_ok(page)
    assert_fits_width(page)
    screenshot(page, "portal-phone-request")
