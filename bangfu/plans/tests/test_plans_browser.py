"""The household plan in a real browser: a case worker lets the rules propose measures, accepts one as proposed and
one with changes, rejects one (first without a reason: refused), each showing the rule that proposed it; the
archive page's panel then lists the open measures. Screenshots go to test-artifacts/screenshots/plans-*.png."""

from __future__ import annotations

import pytest

from bangfu.plans.models import Measure, Recommendation
from bangfu.plans.tests.factories import shipped_rules
from bangfu.registry.tests.factories import make_household
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser


def _click(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_case_worker_decides_the_proposals(open_page, tree, grassroots_cadre):
    shipped_rules()  # the live server's database was emptied by the previous transactional test
    household = make_household(tree.grassroots, size=2, main_cause="3", name="陈建国")

    page = open_page()
    sign_in(page, grassroots_cadre)
    page.goto(f"/plans/household/{household.pk}/")
    assert_page_ok(page)
    _click(page, page.locator("[data-testid=propose]"))
    cards = page.locator("article[data-testid^=recommendation-]")
    assert cards.count() == 4
    first = cards.nth(0)
    assert first.locator("[data-testid=rule-title]").inner_text()  # each proposal names its rule …
    assert "able_to_work" in first.locator("[data-testid=rule-code]").inner_text()  # … code and version
    assert first.locator("[data-testid=rule-explanation]").is_visible()
    assert first.locator("[data-testid=matched-facts]").is_visible()
    screenshot(page, "plans-proposed")

    _click(page, first.locator("[data-testid=accept]"))  # accepted as proposed
    _click(page, page.locator("article[data-testid^=recommendation-] [data-testid=accept-edit]").first)
    page.fill("#id_description", "推荐参加区总工会电工培训班")
    _click(page, page.locator("[data-testid=accept-edited]"))
    card = page.locator("article[data-testid^=recommendation-]").first
    _click(page, card.locator("[data-testid=reject]"))  # no reason: refused
    assert page.locator("#id_reason").is_visible() and page.locator("[data-testid=error-reason]").is_visible()
    page.fill("#id_reason", "本人暂无创业意愿")
    _click(page, page.locator("[data-testid=reject-confirm]"))
    assert page.locator("article[data-testid^=recommendation-]").count() == 1
    screenshot(page, "plans-decided")

    decisions = sorted(Recommendation.objects.filter(household=household).values_list("decision", flat=True))
    assert decisions == ["accepted", "edited", "pending", "rejected"]
    assert Measure.objects.filter(household=household).count() == 2

    phone = open_page(PHONE)
    sign_in(phone, grassroots_cadre)
    phone.goto(f"/households/{household.pk}/")
    assert phone.locator("[data-testid=plan-open-measures] li").count() == 2
    phone.goto(f"/plans/household/{household.pk}/")
    assert_fits_width(phone)
    screenshot(phone, "plans-phone")
