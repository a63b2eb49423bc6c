"""The approver's inbox (with bulk approval), the public-notice list and the rules of paying, through HTTP."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry, ChangeLogEntry
from bangfu.funds import ledger
from bangfu.funds.models import ApprovalRule, Disbursement, DisbursementState, FundPolicy
from bangfu.funds.services.payments import approve_payment
from bangfu.funds.tests.factories import YEAR, approve_all, approvers, fund, give, pay, payable_household, set_line
from bangfu.funds.tests.factories import source as fund_source

pytestmark = pytest.mark.django_db
S = DisbursementState


@pytest.fixture
def money(tree, city_fund_manager):
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    return tree


@pytest.fixture
def people(money):
    return approvers(money)


def text(response) -> str:
    return response.content.decode()


def ticked(client) -> set[int]:
    """The payment numbers listed with a tick box in the client's inbox."""
    page = text(client.get(reverse("funds:approvals_inbox")))
    return {int(n) for n in re.findall(r'name="payment" value="(\d+)"', page)}


# --- the inbox ------------------------------------------------------------------------------------------


def test_inbox_lists_exactly_what_waits_for_me(money, people, signed_in, grassroots_cadre, tree):
    household = payable_household(money.grassroots)
    at_review = pay(money.county, household, 100, grassroots_cadre, item="一")
    at_manager = approve_payment(pay(money.county, household, 200, grassroots_cadre, item="二"),
                                 people[Role.REVIEWER])
    own = pay(money.county, household, 300, people[Role.REVIEWER], item="三")  # the reviewer's own: never theirs
    sibling_paid = pay(money.county, payable_household(money.sibling), 100, grassroots_cadre)
    approved = approve_all(pay(money.county, household, 50, grassroots_cadre, item="四"), people)
    assert approved.state == S.APPROVED

    assert ticked(signed_in(people[Role.REVIEWER])) == {at_review.pk, sibling_paid.pk}
    assert ticked(signed_in(people[Role.FUND_MANAGER])) == {at_manager.pk}
    assert ticked(signed_in(people[Role.LEADERSHIP])) == set()
    assert own.pk not in ticked(signed_in(people[Role.REVIEWER]))
    # Someone who decided step 1 and also holds step 2's role does not get step 2.
    both = tree.user("both", tree.county, Role.REVIEWER, Role.FUND_MANAGER)
    decided = approve_payment(pay(money.county, household, 400, grassroots_cadre, item="五"), both)
    assert decided.pk not in ticked(signed_in(both)) and decided.pk in ticked(signed_in(people[Role.FUND_MANAGER]))
    # A reviewer of a lower union (the paying union is the county) may not decide: not in scope.
    low = tree.user("rev-low", tree.grassroots, Role.REVIEWER)
    assert ticked(signed_in(low)) == set()


def test_inbox_counts_and_bulk_approval_report_each_refusal(money, people, signed_in, grassroots_cadre):
    # 4,900 yuan each: below the leadership threshold, so the fund manager's step is the last one.
    payments = [pay(money.county, payable_household(money.grassroots, name=f"孙{i}"), 4900, grassroots_cadre)
                for i in range(5)]
    reviewer = signed_in(people[Role.REVIEWER])
    page = text(reviewer.get(reverse("funds:approvals_inbox")))
    assert "24,500.00" in page and 'data-testid="inbox-count"' in page
    response = reviewer.post(reverse("funds:approvals_inbox"), {"payment": [p.pk for p in payments]}, follow=True)
    assert response.status_code == 200
    assert all(p.current_step == 1 for p in Disbursement.objects.filter(pk__in=[p.pk for p in payments]))

    # Fund manager, last step: the county holds 20,000 yuan, enough for four of the five.
    manager = signed_in(people[Role.FUND_MANAGER])
    response = manager.post(reverse("funds:approvals_inbox"), {"payment": [p.pk for p in payments]}, follow=True)
    states = sorted(Disbursement.objects.values_list("state", flat=True))
    assert states == [S.APPROVED] * 4 + [S.SUBMITTED]
    refused = Disbursement.objects.get(state=S.SUBMITTED)
    assert f"#{refused.pk}" in text(response) and "400.00" in text(response)  # what the account still holds
    assert ledger.balance_of(money.county.pk, fund_source().pk, YEAR, "living") == 400_00
    assert ledger.verify() == []
    # A payment that no longer waits for this user is reported, not decided.
    response = manager.post(reverse("funds:approvals_inbox"), {"payment": [payments[0].pk]}, follow=True)
    assert f"#{payments[0].pk}" in text(response)


def test_inbox_bulk_leadership_step_with_the_meeting(money, people, signed_in, grassroots_cadre):
    payment = pay(money.county, payable_household(money.grassroots), 6000, grassroots_cadre)
    approve_payment(approve_payment(payment, people[Role.REVIEWER]), people[Role.FUND_MANAGER])
    leader = signed_in(people[Role.LEADERSHIP])
    assert 'name="minutes_ref"' in text(leader.get(reverse("funds:approvals_inbox")))
    leader.post(reverse("funds:approvals_inbox"), {"payment": [payment.pk]})
    assert Disbursement.objects.get().state == S.SUBMITTED  # refused: no minutes
    leader.post(reverse("funds:approvals_inbox"), {"payment": [payment.pk], "meeting_date": dt.date.today().isoformat(),
                                                   "minutes_ref": "纪要〔2026〕1号"})
    payment.refresh_from_db()
    assert payment.state == S.APPROVED and payment.approvals.get(step=3).meeting_date == dt.date.today()


def test_inbox_query_count_does_not_grow_with_rows(money, signed_in, grassroots_cadre, people,
                                                   django_assert_max_num_queries):
    for i in range(15):
        pay(money.county, payable_household(money.grassroots, name=f"周{i}"), 100, grassroots_cadre)
    client = signed_in(people[Role.REVIEWER])
    client.get(reverse("funds:approvals_inbox"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("funds:approvals_inbox"))
    assert text(response).count('name="payment"') == 15


# --- the public notice ----------------------------------------------------------------------------------


def test_notice_list_shows_only_masked_facts_and_is_audited_as_print(money, people, signed_in, grassroots_cadre,
                                                                    county_reviewer, outsider):
    from bangfu.registry.models import Consent

    household = payable_household(money.grassroots, name="欧阳明")
    assert Consent.objects.filter(household=household, kind="public_notice").exists()
    noticed = approve_all(pay(money.county, household, 1234.5, grassroots_cadre), people)
    # Approved too, but the household never agreed to the notice: its name is not posted.
    approve_all(pay(money.county, payable_household(money.grassroots, name="司马光", account="6222020200112230001",
                                                    notice_consent=False), 77, grassroots_cadre), people)
    waiting = pay(money.county, payable_household(money.grassroots, name="吴一"), 99, grassroots_cadre)
    assert noticed.notice_until >= dt.date.today()
    client = signed_in(county_reviewer)
    page = text(client.get(reverse("funds:payment_notices")))
    assert "欧阳*" in page and "1,234.50" in page and money.grassroots.name in page
    assert "欧阳明" not in page and "3445" not in page and household.archive_number not in page
    assert "吴*" not in page  # not approved yet: not on the notice
    assert "77.00" in page and "司马*" not in page  # no consent to the notice: amount only
    assert AccessLogEntry.objects.filter(action="print", user=county_reviewer).exists()
    # The grassroots union is not the paying union: its own notice is empty; the outsider's too.
    assert "欧阳*" not in text(signed_in(grassroots_cadre).get(reverse("funds:payment_notices")))
    cadre_page = text(signed_in(grassroots_cadre).get(reverse("funds:payment_notices"), {"org": money.county.pk}))
    assert "欧阳*" not in cadre_page  # the county is not in the grassroots cadre's scope
    assert "欧阳*" not in text(signed_in(outsider).get(reverse("funds:payment_notices")))
    # After the notice period the payment leaves the list.
    Disbursement.objects.filter(pk=noticed.pk).update(notice_until=dt.date.today() - dt.timedelta(days=1))
    assert "欧阳*" not in text(client.get(reverse("funds:payment_notices")))
    assert waiting.state == S.SUBMITTED


# --- the rules of paying --------------------------------------------------------------------------------


def chain_post(*steps, action="chain") -> dict:
    """The chain form as the browser sends it: the filled rows and the blank extra row."""
    data = {"action": action, "step-TOTAL_FORMS": str(len(steps) + 1), "step-INITIAL_FORMS": "0",
            "step-MIN_NUM_FORMS": "0", "step-MAX_NUM_FORMS": "10"}
    for i, (order, role, amount, minutes) in enumerate(steps):
        data.update({f"step-{i}-order": order, f"step-{i}-role": role, f"step-{i}-min_amount": amount,
                     f"step-{i}-label": f"第{order}步"})
        if minutes:
            data[f"step-{i}-requires_minutes"] = "on"
    blank = len(steps)
    data.update({f"step-{blank}-order": "", f"step-{blank}-role": "", f"step-{blank}-min_amount": "",
                 f"step-{blank}-label": ""})
    return data


def test_rules_show_what_is_inherited_and_from_where(money, signed_in, grassroots_cadre, tree):
    page = text(signed_in(grassroots_cadre).get(reverse("funds:rules")))
    assert 'data-testid="chain-form"' not in page and 'data-testid="policy-form"' not in page  # not a fund manager
    ApprovalRule.objects.create(org=tree.city, order=1, role=Role.REVIEWER, label="市级审核")
    FundPolicy.objects.create(org=tree.county, effective_from=dt.date(2024, 1, 1), notice_days=9, source="区文件")
    page = text(signed_in(grassroots_cadre).get(reverse("funds:rules")))
    assert "市级审核" in page and tree.city.name in page and tree.county.name in page and "区文件" in page


@pytest.mark.parametrize("steps, message_part", [
    ((), "至少需要一个审批环节"),
    ((("1", "reviewer", "0", False), ("1", "fund_manager", "0", False)), "1"),
    ((("1", "worker", "0", False),), "worker"),
    ((("1", "reviewer", "100", False),), "0"),
    ((("1", "reviewer", "1.001", False),), ""),
])
def test_a_bad_chain_is_refused_and_changes_nothing(money, signed_in, tree, steps, message_part):
    manager = tree.user("fm-county", tree.county, Role.FUND_MANAGER)
    client = signed_in(manager)
    response = client.post(reverse("funds:rules"), chain_post(*steps))
    assert response.status_code == 200 and message_part in text(response)
    assert 'class="invalid-feedback' in text(response) or 'data-testid="chain-errors"' in text(response)
    assert ApprovalRule.objects.count() == 0


def test_a_fund_manager_defines_the_chain_used_by_new_payments(money, signed_in, tree, grassroots_cadre, people):
    manager = people[Role.FUND_MANAGER]
    client = signed_in(manager)
    response = client.post(reverse("funds:rules"), chain_post(("1", "reviewer", "0", False),
                                                              ("2", "leadership", "1000", True)))
    assert response.status_code == 302
    assert list(ApprovalRule.objects.filter(org=tree.county).values_list("order", "role", "min_amount_fen")) == [
        (1, "reviewer", 0), (2, "leadership", 1000_00)]
    assert ChangeLogEntry.objects.filter(content_type__model="approvalrule", action="create").count() == 2
    small = pay(money.county, payable_household(money.grassroots, name="甲"), 500, grassroots_cadre)
    large = pay(money.county, payable_household(money.grassroots, name="乙"), 1500, grassroots_cadre)
    assert [s["role"] for s in small.route] == ["reviewer"]
    assert [s["role"] for s in large.route] == ["reviewer", "leadership"]
    # Back to the inherited (here: the platform's default) chain.
    assert client.post(reverse("funds:rules"), {"action": "inherit"}).status_code == 302
    assert not ApprovalRule.objects.filter(org=tree.county).exists()
    assert ChangeLogEntry.objects.filter(content_type__model="approvalrule", action="delete").count() == 2


def test_fund_rules_get_a_new_row_from_a_date_never_a_past_one(money, signed_in, people, grassroots_cadre, tree):
    client = signed_in(people[Role.FUND_MANAGER])
    base = {"action": "policy", "living_aid_line_multiple": "12", "school_aid_months": "10",
            "household_yearly_max": "6000", "living_aid_payments_per_year": "1", "notice_required": "on",
            "notice_days": "7", "source": "天河区总工会〔2026〕3号"}
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("funds:rules"), {**base, "effective_from": past})
    assert response.status_code == 200 and 'data-testid="error-effective_from"' in text(response)
    response = client.post(reverse("funds:rules"), {**base, "effective_from": dt.date.today().isoformat(),
                                                    "household_yearly_max": "abc"})
    assert response.status_code == 200 and not FundPolicy.objects.exists()
    response = client.post(reverse("funds:rules"), {**base, "effective_from": dt.date.today().isoformat()})
    assert response.status_code == 302
    policy = FundPolicy.objects.get(org=tree.county)
    assert policy.household_yearly_max_fen == 6000_00 and policy.notice_days == 7
    assert ChangeLogEntry.objects.filter(content_type__model="fundpolicy", action="create").exists()
    # Same date again: refused.
    response = client.post(reverse("funds:rules"), {**base, "effective_from": dt.date.today().isoformat()})
    assert response.status_code == 200 and FundPolicy.objects.count() == 1
    # The new rules are in force for payments of the county: one living-aid payment a year.
    household = payable_household(money.grassroots)
    pay(money.county, household, 100, grassroots_cadre, item="一")
    from bangfu.funds.services import FundsRefused

    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 100, grassroots_cadre, item="二")
    assert refused.value.codes == ["living_once"]


def test_only_fund_managers_of_the_union_change_its_rules(money, signed_in, county_reviewer, tree):
    before = (ApprovalRule.objects.count(), FundPolicy.objects.count())
    client = signed_in(county_reviewer)
    client.post(reverse("funds:rules"), chain_post(("1", "reviewer", "0", False)))
    client.post(reverse("funds:rules"), {"action": "policy", "effective_from": dt.date.today().isoformat(),
                                         "living_aid_line_multiple": "1", "school_aid_months": "1",
                                         "notice_days": "1"})
    # A city fund manager looking at the county's rules cannot change them from here either.
    city = signed_in(tree.user("fm-city2", tree.city, Role.FUND_MANAGER))
    page = text(city.get(reverse("funds:rules"), {"org": tree.county.pk}))
    assert tree.county.name in page and 'data-testid="chain-form"' not in page
    city.post(f"{reverse('funds:rules')}?org={tree.county.pk}", chain_post(("1", "reviewer", "0", False)))
    assert (ApprovalRule.objects.count(), FundPolicy.objects.count()) == before
