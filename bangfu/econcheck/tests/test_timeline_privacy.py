"""What the economic check found never reaches a helper through the household timeline.

The prefilled completion note is neutral (request and date only), and the registry shows the free-text reason of
"economic check done" and "exited" rows only to readers of the stage opinions / closures — so even a note a case
worker typed amounts into stays away from a helper of the household, on the timeline page and the archive page.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.econcheck.tests.factories import authorised, result_csv, row, sent_request
from bangfu.econcheck.tests.test_results import upload
from bangfu.funds.tests.factories import set_line
from bangfu.helpers.services import assign_helper
from bangfu.registry.models import ExitReason, LevelOpinion, State, TimelineEvent
from bangfu.registry.services.lifecycle import household_exit

pytestmark = pytest.mark.django_db

TYPED_NOTE = "核对发现：存款 300,000.00 元，住房 2 套，有车 1 辆，一人在低保名册。备注标记甲乙丙"


@pytest.fixture
def helper(tree):
    return tree.user("helper_of_household", tree.grassroots, Role.HELPER)


def _assign(household, helper, actor):
    return assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre",
                         starts_on=timezone.localdate(), actor=actor)


def _pages(client, household) -> dict[str, str]:
    pages = {}
    for name, path in (("timeline", f"/households/{household.pk}/timeline/"),
                       ("archive", f"/households/{household.pk}/")):
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.content.decode()
    return pages


def test_prefilled_note_is_neutral_and_a_helper_sees_neither_amounts_nor_note(
        tree, grassroots_cadre, helper, signed_in_en):
    set_line("440106", Decimal("1100"))
    household = authorised(tree.grassroots, size=2, name="钱多多")
    check_request = sent_request(grassroots_cadre, [household])
    head, child = list(check_request.items.select_related("member").order_by("seq"))
    worker = signed_in_en(grassroots_cadre)
    content = result_csv([row(head, homes="2", vehicles="1", deposits="300,000.00"),
                          row(child, dibao="是", since="2025-06-01")])
    assert upload(worker, check_request, content, "r.csv").status_code == 302

    # (a) The prefilled note names the request and the day the results came, nothing they say.
    page = worker.get(f"/economic-checks/household/{household.pk}/")
    assert page.context["summary"].firing  # the indicators fire and are on the page …
    assert "300,000.00" in page.content.decode()
    note = page.context["form"].initial["note"]  # … but not in the note
    assert note == (f"Results of economic-check request {check_request.number} received on "
                    f"{timezone.localdate().isoformat()}; see the economic-check results.")
    for fact in ("300,000", "150,000", "homes", "vehicle", "Motor", "低保", "minimum-living", "Excludes", "2"):
        assert fact not in note.replace(check_request.number, "").replace(timezone.localdate().isoformat(), ""), fact

    # (b) A case worker who types the findings into the note anyway: the note goes to the timeline row's reason.
    assert worker.post(f"/economic-checks/household/{household.pk}/", {"note": TYPED_NOTE}).status_code == 302
    household.refresh_from_db()
    assert household.state == State.PUBLIC_NOTICE
    assert TimelineEvent.objects.get(household=household, kind="economic_check_complete").reason == TYPED_NOTE
    _assign(household, helper, grassroots_cadre)  # the helper of the household (public notice is assignable)

    seen = _pages(signed_in_en(helper), household)
    for name, html in seen.items():
        assert "Economic check done" in html, name  # what happened and when …
        for secret in ("甲乙丙", "300,000", "住房 2 套", "Residential homes", "低保名册"):
            assert secret not in html, (name, secret)  # … never what was found
    # The case worker reads the note on both pages.
    for name, html in _pages(worker, household).items():
        assert "甲乙丙" in html, name
    assert LevelOpinion.objects.filter(household=household, stage="economic_check", opinion=TYPED_NOTE).exists()


def test_the_exit_note_is_not_shown_to_a_helper(tree, grassroots_cadre, helper, signed_in_en):
    household = authorised(tree.grassroots, state=State.ACTIVE, name="孙退出")
    _assign(household, helper, grassroots_cadre)
    household_exit(household, actor=grassroots_cadre, reason=ExitReason.OUT_OF_HARDSHIP,
                   note="名下新购车辆一台，存款 80,000 元。退出标记丁戊")
    for name, html in _pages(signed_in_en(helper), household).items():
        assert "Exited" in html, name
        assert "丁戊" not in html and "80,000" not in html, name
        assert "income above the line" not in html, name  # the closure's reason code is the closure's too
    for name, html in _pages(signed_in_en(grassroots_cadre), household).items():
        assert "丁戊" in html, name
