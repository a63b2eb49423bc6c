"""What a case worker reads on the archive page: timeline labels and details in words, the explanation
when no result is stored, the page as the household's own worker, and the registry actions on the home page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from bangfu.accounts.roles import Role
from bangfu.core.identity import synthetic_resident_id
from bangfu.orgs.models import LocalStandard
from bangfu.portal.tests.conftest import verified_client  # a worker signed in on the portal
from bangfu.registry import lifecycle
from bangfu.registry.models import (
    Category,
    Classification,
    CodeItem,
    Household,
    State,
    record_event,
)
from bangfu.registry.models.timeline import KIND_LABELS, describe, kind_label
from bangfu.registry.services.archive import causes_set, incomes_set, member_add
from bangfu.registry.tests.factories import make_household, month_starts

pytestmark = pytest.mark.django_db
REGISTRY = Path(__file__).resolve().parents[1]
LINE = Decimal("1100.00")


@pytest.fixture
def lines(tree):
    for kind, amount in (("living_line", LINE), ("minimum_wage", Decimal("2500.00"))):
        LocalStandard.objects.create(division_id="440100", kind=kind, amount=amount,
                                     effective_from=dt.date(2025, 1, 1), source="test")
    return tree


def _timeline_html(client, household) -> str:
    html = client.get(reverse("registry:detail", args=[household.pk])).content.decode()
    start = html.index('data-testid="timeline"')
    return html[start:html.index("</section>", start)]


# --- timeline labels -------------------------------------------------------------------------------------


def _kinds_written_in_code() -> set[str]:
    """Every literal kind passed to record_event / _after_change / TimelineEvent(kind=...) in the registry."""
    patterns = (
        r'record_event\(\s*\w+,\s*"([a-z_]+)"',
        r'_after_change\(\s*\w+,\s*"([a-z_]+)"',
        r'TimelineEvent\([^)]*?kind="([a-z_]+)"',
    )
    kinds = set()
    for path in REGISTRY.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            kinds |= set(re.findall(pattern, text, flags=re.S))
    return kinds


def test_every_kind_written_anywhere_has_a_label():
    written = _kinds_written_in_code() | set(lifecycle.ACTIONS)
    # The scan must find the kinds we know are written, or it proves nothing.
    assert {"created", "incomes_set", "causes_set", "member_added", "reclassified", "attachment_added",
            "split_created", "merged", "reentry_created", "consent_recorded"} <= written
    missing = sorted(kind for kind in written if kind not in KIND_LABELS)
    assert missing == []
    # The ACTIONS rows also get a past-tense label, not the button text of the transition table.
    with translation.override("en"):
        assert kind_label("approve") == "Approved by the higher union"
        assert kind_label("approve") != str(lifecycle.label("approve"))
        assert kind_label("some_future_kind") == "Some future kind"
        assert kind_label("some_future_kind", {"action_label": "Done"}) == "Done"


def test_details_in_words():
    with translation.override("en"):
        assert describe("reclassified", {"old_category": "A_marginal", "new_category": "A_dibao"}) == (
            f"{Category.A_MARGINAL.label} → {Category.A_MINIMUM_LIVING.label}")
        assert describe("reclassified", {"old_category": "", "new_category": "none"}) == (
            f"not classified → {Category.NOT_ELIGIBLE.label}")
        assert describe("incomes_set", {"cells": 12, "cleared": 1}) == "12 monthly amounts; 1 amount cleared"
        assert describe("incomes_set", {"cells": 1, "cleared": 0, "first_month": "2026-03",
                                        "last_month": "2026-11"}) == "months 2026-03…2026-11; 1 monthly amount"
        assert describe("exit", {"exit_reason": "death", "monitor_until": "2027-07-05"}) == (
            "Death; relapse monitoring until 2027-07-05")
        assert describe("notice_start", {"starts_on": "2026-01-12", "ends_on": "2026-01-19",
                                         "place": "community"}) == "2026-01-12 – 2026-01-19; posted in the community"
        assert describe("change_head", {"old_head": "王*", "new_head": "李**"}) == "from 王* to 李**"
        assert describe("split", {"new_archive": "X-1", "members_moved": 2}) == "new archive X-1 with 2 members"
        assert describe("appeal_file", {"against": "exit", "by_worker": True}) == (
            "against the exit; filed by the worker")
        assert describe("expense_added", {"expense_kind": "nonexistent", "amount": "1234.5"}) == (
            "nonexistent, 1,234.50 yuan")
        assert describe("household_updated", {"fields": ["address", "urgent_care"]}) == (
            "Changed: address, urgent care needed")
        assert describe("household_updated", {"fields": list("abcde")}) == "5 fields"
        assert describe("assets_set", {}) == ""


def test_archive_page_timeline_reads_in_words_and_never_shows_a_clear_id(tree, grassroots_cadre, login):
    household = make_household(tree.grassroots, monthly_wage=Decimal("900"), main_cause="3")
    causes_set(household, "6", ["3", "9"], actor=grassroots_cadre)
    head = household.members.get(is_head=True)
    incomes_set(household, [{"member": head, "month": m, "income_type": "wage", "amount": "1000"}
                            for m in month_starts(dt.date.today(), 3)], actor=grassroots_cadre)
    number = synthetic_resident_id(tree.grassroots.division.code, dt.date(2015, 2, 3), 222)
    member_add(grassroots_cadre, household, {
        "name": "王小明", "relation": "child", "sex": "F", "birth_date": dt.date(2015, 2, 3),
        "document_type": "resident_id", "identity_number": number, "is_student": True,
        "school_stage": "primary",
    })
    record_event(household, "reclassified", old_category="A_marginal", new_category="A_dibao")
    html = _timeline_html(login(grassroots_cadre), household)
    cause = {c.code: c.label for c in CodeItem.objects.filter(code_list="cause", code__in=["6", "3", "9"])}
    text = re.sub(r"<[^>]+>", " ", html)
    assert 'data-kind="causes_set"' in html and 'data-kind="incomes_set"' in html
    assert not re.search(r"\b(incomes_set|causes_set|member_added|reclassified)\b", text)  # no raw kinds shown
    assert cause["6"] in html and cause["3"] in html and cause["9"] in html
    assert "王*" in html and "王小明" not in html
    assert number not in html and number[6:14] not in html  # neither the ID nor its birth-date part
    assert ngettext("%(count)d monthly amount", "%(count)d monthly amounts", 3) % {"count": 3} in html
    assert str(Category.A_MINIMUM_LIVING.label) in html


def test_a_helper_sees_what_happened_but_not_the_amounts(tree, grassroots_cadre, login, client):
    helper = tree.user("helper1", tree.grassroots, Role.HELPER, kind="staff", password="Test-pass-2026!")
    household = make_household(tree.grassroots, monthly_wage=Decimal("900"))
    record_event(household, "expense_added", expense_kind="medical", group="rigid", amount="4321.00")
    record_event(household, "reclassified", old_category="A_marginal", new_category="A_dibao")
    html = _timeline_html(login(helper), household)
    assert 'data-kind="expense_added"' in html and 'data-kind="reclassified"' in html
    assert "4,321.00" not in html
    assert str(Category.A_MARGINAL.label) not in html
    page = login(helper).get(reverse("registry:detail", args=[household.pk])).content.decode()
    assert 'data-testid="classification-panel"' not in page  # a helper has no view_classification
    client.logout()
    assert "4,321.00" in _timeline_html(login(grassroots_cadre), household)


def test_long_timelines_show_the_latest_ten_and_fold_the_rest(tree, grassroots_cadre, login):
    household = make_household(tree.grassroots)
    for i in range(13):
        record_event(household, "review", reviewed_on=f"2026-01-{i + 1:02d}", review_due_on="2027-01-01")
    html = _timeline_html(login(grassroots_cadre), household)
    recent, older = html.split('data-testid="timeline-older"')
    assert recent.count('data-kind="review"') == 10
    assert older.count('data-kind="review"') == 3
    assert 'data-testid="timeline-toggle"' in older
    # Newest first: the last review recorded is the first row.
    assert recent.index("2026-01-13") < recent.index("2026-01-12")


# --- the explanation without a stored result ----------------------------------------------------------


def test_explanation_is_computed_now_when_nothing_is_stored(lines, tree, grassroots_cadre, login):
    # One person, 900 yuan a month for the 12 months up to this one, line 1,100: 900 < 1,100 → 低保户.
    household = make_household(tree.grassroots, monthly_wage=Decimal("900"), as_of=dt.date.today())
    assert not Classification.objects.filter(household=household).exists()
    response = login(grassroots_cadre).get(reverse("registry:detail", args=[household.pk]))
    html = response.content.decode()
    assert 'data-testid="classification-computed-now"' in html
    assert "900.00" in html and "1,100.00" in html
    assert not Classification.objects.filter(household=household).exists()  # nothing saved
    panel = response.context["classification_explained"]
    assert panel["category"] == Category.A_MINIMUM_LIVING.label


# --- the page as the household's own worker ------------------------------------------------------------


def test_the_worker_sees_their_archive_without_staff_controls(lines, tree, worker_user, grassroots_cadre, login):
    from bangfu.registry.classification import refresh

    own = make_household(tree.grassroots, name="王自己", monthly_wage=Decimal("900"), size=2,
                         urgent_care=True, as_of=dt.date.today())
    other = make_household(tree.grassroots, name="李别人", monthly_wage=Decimal("900"))
    own.members.filter(is_head=True).update(account=worker_user)
    refresh(own)
    own.refresh_from_db()
    assert own.need_score is not None and own.need_score > 0
    record_event(own, "approve", actor=grassroots_cadre, from_state=State.APPROVAL, to_state=State.ACTIVE,
                 review_due_on="2027-01-01")

    client = verified_client(worker_user)
    response = client.get(reverse("registry:detail", args=[own.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for absent in ('data-testid="edit-household"', 'data-testid="add-member"', 'data-testid="print-links"',
                   'data-testid="lifecycle-actions"', 'data-testid="need-score"', reverse("registry:reveal",
                                                                                           args=[own.pk]),
                   'data-testid="card-consents"', 'data-testid="card-evidence"', "王自己"):
        assert absent not in html, absent
    assert 'data-testid="classification-panel"' in html  # the explanation of their own category
    assert 'data-testid="timeline"' in html and 'data-kind="approve"' in html
    assert client.get(reverse("registry:detail", args=[other.pk])).status_code == 404

    # A refused worker may file an appeal themself — and nothing else.
    Household.objects.filter(pk=own.pk).update(state=State.REFUSED)
    html = client.get(reverse("registry:detail", args=[own.pk])).content.decode()
    assert re.findall(r'data-action="([a-z_]+)"', html) == ["appeal_file"]


# --- home page ----------------------------------------------------------------------------------------


def _action_urls(response) -> list[str]:
    return [a["url"] for a in response.context["actions"]]


def test_home_offers_the_registry_pages_each_role_may_use(tree, grassroots_cadre, county_reviewer, worker_user,
                                                          login, client, settings):
    settings.DEMO_MODE = True  # the reviewer (an approver) has no 2FA device here
    urls = _action_urls(login(grassroots_cadre).get(reverse("core:home")))
    assert urls[:3] == [reverse("registry:list"), reverse("registry:create"), reverse("registry:notices")]
    assert reverse("registry:reclassification-list") not in urls
    client.logout()

    urls = _action_urls(login(county_reviewer).get(reverse("core:home")))
    assert reverse("registry:reclassification-list") in urls
    for url in urls:  # every card leads to a page the reviewer may open
        assert client.get(url).status_code == 200, url
    client.logout()

    helper = tree.user("helper2", tree.grassroots, Role.HELPER, kind="staff", password="Test-pass-2026!")
    urls = _action_urls(login(helper).get(reverse("core:home")))
    assert reverse("registry:list") in urls and reverse("registry:create") not in urls
    assert reverse("registry:notices") not in urls
    client.logout()

    # A worker: their own archive, once they belong to one.
    worker_client = verified_client(worker_user)
    assert _action_urls(worker_client.get(reverse("core:home"))) == [reverse("accounts:me")]
    own = make_household(tree.grassroots)
    own.members.filter(is_head=True).update(account=worker_user)
    assert _action_urls(worker_client.get(reverse("core:home"))) == [
        reverse("registry:detail", args=[own.pk]), reverse("accounts:me")]


def test_income_card_tells_what_the_classification_does_not_count(lines, tree, grassroots_cadre, login):
    from bangfu.registry.models import MonthlyIncome

    household = make_household(tree.grassroots, monthly_wage=Decimal("900"), as_of=dt.date.today())
    head = household.members.get(is_head=True)
    for month in month_starts(dt.date.today(), 12):
        MonthlyIncome.objects.create(household=household, member=head, month=month, income_type="basic_pension",
                                     amount=Decimal("150"))
    html = login(grassroots_cadre).get(reverse("registry:detail", args=[household.pk])).content.decode()
    # 12 × 900 wage + 12 × 150 basic pension = 12,600 on the card; the 1,800 of pension is not counted.
    assert "¥12,600.00" in html
    assert 'data-testid="income-not-counted"' in html and "¥1,800.00" in html
