"""Entering an archive in a real browser: a case worker opens a draft, adds a child, records the causes,
a month of wages and an evidence file, then looks at the archive page (desktop and phone).
Screenshots: test-artifacts/screenshots/archive-*.png."""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.core.identity import synthetic_resident_id
from bangfu.registry.models import Attachment, Household
from bangfu.registry.tests.factories import PDF_BYTES
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_case_worker_enters_an_archive(open_page, tree, grassroots_cadre, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = open_page()
    sign_in(page, grassroots_cadre)
    page.goto("/households/new/")
    assert_page_ok(page)
    page.fill("#id_head-name", "陈建国")
    page.fill("#id_head-identity_number", synthetic_resident_id("440106", dt.date(1979, 3, 8), 135)[:17] + "0")
    with page.expect_navigation():
        page.click("[data-testid=save]")
    assert page.locator("[data-testid=error-identity_number]").is_visible()
    assert Household.objects.count() == 0
    screenshot(page, "archive-create-error")
    page.fill("#id_head-identity_number", synthetic_resident_id("440106", dt.date(1979, 3, 8), 135))
    page.select_option("#id_head-work_status", "laid_off")
    with page.expect_navigation():
        page.click("[data-testid=save]")
    household = Household.objects.get()
    assert page.url.endswith(f"/households/{household.pk}/")

    page.click("[data-testid=add-member]")
    page.fill("#id_name", "陈小红")
    page.select_option("#id_relation", "child")
    page.fill("#id_identity_number", synthetic_resident_id("440106", dt.date(2015, 6, 1), 88))
    with page.expect_navigation():
        page.click("[data-testid=save]")
    page.goto(f"/households/{household.pk}/causes/")
    page.select_option("#id_main", "3")
    page.check("input[name=secondary][value='9']")
    with page.expect_navigation():
        page.click("[data-testid=save]")
    page.goto(f"/households/{household.pk}/incomes/?type=wage")
    page.locator("[data-testid=income-grid] tbody tr").first.locator("input").last.fill("1800")
    with page.expect_navigation():
        page.click("[data-testid=save]")
    page.goto(f"/households/{household.pk}/attachments/")
    page.select_option("#id_kind", "id_hukou")
    page.set_input_files("#id_file", files=[{"name": "户口簿.pdf", "mimeType": "application/pdf",
                                             "buffer": PDF_BYTES}])
    with page.expect_navigation():
        page.click("[data-testid=save]")
    assert Attachment.objects.filter(household=household).count() == 1
    assert_page_ok(page)

    page.goto(f"/households/{household.pk}/")
    assert_page_ok(page)
    assert page.locator("[data-testid=member-row]").count() == 2
    assert page.locator("[data-testid=evidence-ok-id_hukou]").is_visible()
    assert "陈建国" not in page.content()
    screenshot(page, "archive-detail-desktop")

    phone = open_page(PHONE)
    sign_in(phone, grassroots_cadre)
    phone.goto(f"/households/{household.pk}/")
    assert_fits_width(phone)
    screenshot(phone, "archive-detail-phone")
