"""The payment pages through HTTP, as the people who use them act: a case worker applies, a reviewer and a fund
manager of the paying union approve, someone cancels; bad input shows the rule and changes nothing; other
unions and workers get 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.funds import ledger
from bangfu.funds.models import Approval, Balance, Bucket, Disbursement, DisbursementState, LedgerEntry
from bangfu.funds.services.payments import approve_payment
from bangfu.funds.tests.factories import YEAR, approve_all, approvers, fund, give, pay, payable_household, set_line
from bangfu.funds.tests.factories import source as fund_source
from bangfu.registry.models import Attachment, State, TimelineEvent
from bangfu.registry.tests.factories import PNG_BYTES

pytestmark = pytest.mark.django_db
S = DisbursementState


@pytest.fixture
def money(tree, city_fund_manager):
    """The city receives 100,000 yuan of central living aid and passes 20,000 to the county."""
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    return tree


@pytest.fixture
def people(money):
    return approvers(money)


def available(org, category="living"):
    return ledger.balance_of(org.pk, fund_source().pk, YEAR, category)


def new_url(household) -> str:
    return f"{reverse('funds:payment_new')}?household={household.pk}"


def payment_post(org, **changes) -> dict:
    data = {"org": org.pk, "source": fund_source().pk, "category": "living", "amount": "3000",
            "item": "生活救助", "period": str(YEAR), "year": YEAR, "action": "submit"}
    data.update(changes)
    return data


def snapshot() -> tuple:
    """Everything a refused payment must leave as it was."""
    return (Disbursement.objects.count(), Approval.objects.count(), LedgerEntry.objects.count(),
            Attachment.objects.count(), TimelineEvent.objects.count(),
            sorted(Balance.objects.values_list("id", "amount_fen")))


def text(response) -> str:
    return response.content.decode()


# --- the whole flow --------------------------------------------------------------------------------------


def test_apply_and_two_approvals_through_the_pages(money, people, signed_in, grassroots_cadre):
    household = payable_household(money.grassroots, name="王小明")
    cadre = signed_in(grassroots_cadre)
    page = cadre.get(new_url(household))
    assert page.status_code == 200
    assert "王**" in text(page) and "王小明" not in text(page)  # payee masked, from the archive
    assert "**** 3445" in text(page) or "3445" in text(page)
    assert "6222020200112233445" not in text(page)

    response = cadre.post(new_url(household), payment_post(money.county))
    payment = Disbursement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("funds:payment_detail", args=[payment.pk])
    assert payment.state == S.SUBMITTED and payment.org == money.county and payment.amount_fen == 3000_00
    assert payment.created_by == grassroots_cadre and [s["role"] for s in payment.route] == ["reviewer", "fund_manager"]

    # The creator sees the payment and its route, but no decision form.
    detail = cadre.get(reverse("funds:payment_detail", args=[payment.pk]))
    assert detail.status_code == 200 and 'data-testid="decision-form"' not in text(detail)
    assert AccessLogEntry.objects.filter(action="view", object_type="funds.disbursement",
                                         object_id=str(payment.pk), user=grassroots_cadre).exists()

    reviewer = signed_in(people[Role.REVIEWER])
    assert 'data-testid="decision-form"' in text(reviewer.get(reverse("funds:payment_detail", args=[payment.pk])))
    inbox = reviewer.get(reverse("funds:approvals_inbox"))
    assert f'value="{payment.pk}"' in text(inbox)
    response = reviewer.post(reverse("funds:payment_approve", args=[payment.pk]),
                             {"decision": "approve", "comment": "材料齐全"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.state == S.SUBMITTED and payment.current_step == 1 and available(money.county) == 20_000_00
    # Decided: no longer in the reviewer's inbox; now in the fund manager's.
    assert f'value="{payment.pk}"' not in text(reviewer.get(reverse("funds:approvals_inbox")))
    manager = signed_in(people[Role.FUND_MANAGER])
    assert f'value="{payment.pk}"' in text(manager.get(reverse("funds:approvals_inbox")))

    response = manager.post(reverse("funds:payment_approve", args=[payment.pk]), {"decision": "approve"}, follow=True)
    payment.refresh_from_db()
    assert payment.state == S.APPROVED and payment.notice_until is not None
    assert available(money.county) == 17_000_00
    assert ledger.balance_of(money.county.pk, fund_source().pk, YEAR, "living", Bucket.RESERVED) == 3000_00
    page = text(response)
    assert "材料齐全" in page and 'data-testid="ledger"' in page and "3,000.00" in page
    assert list(payment.approvals.values_list("decided_by", flat=True)) == [people[Role.REVIEWER].pk,
                                                                           people[Role.FUND_MANAGER].pk]
    assert ledger.verify() == []


def test_a_draft_is_submitted_by_its_creator_from_its_page(money, signed_in, grassroots_cadre):
    household = payable_household(money.grassroots)
    cadre = signed_in(grassroots_cadre)
    cadre.post(new_url(household), payment_post(money.county, action="draft"))
    payment = Disbursement.objects.get()
    assert payment.state == S.DRAFT and payment.route == []
    detail = text(cadre.get(reverse("funds:payment_detail", args=[payment.pk])))
    assert 'data-testid="submit"' in detail and 'data-testid="step-1"' in detail  # the route it would take
    response = cadre.post(reverse("funds:payment_submit", args=[payment.pk]))
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.state == S.SUBMITTED and len(payment.route) == 2


def test_the_creator_cannot_approve_their_own_payment(money, tree, signed_in):
    both = tree.user("rev-maker", tree.county, Role.REVIEWER, Role.CASE_WORKER)
    household = payable_household(money.grassroots)
    client = signed_in(both)
    client.post(new_url(household), payment_post(money.county, amount="100"))
    payment = Disbursement.objects.get()
    detail = text(client.get(reverse("funds:payment_detail", args=[payment.pk])))
    assert 'data-testid="decision-form"' not in detail and 'data-testid="why-not"' in detail
    assert f'value="{payment.pk}"' not in text(client.get(reverse("funds:approvals_inbox")))
    before = snapshot()
    response = client.post(reverse("funds:payment_approve", args=[payment.pk]), {"decision": "approve"})
    assert response.status_code == 200 and 'data-testid="refusal"' in text(response)
    assert snapshot() == before


def test_the_wrong_role_is_refused_with_the_rule(money, people, signed_in, grassroots_cadre):
    payment = pay(money.county, payable_household(money.grassroots), 100, grassroots_cadre)
    manager = signed_in(people[Role.FUND_MANAGER])
    assert 'data-testid="decision-form"' not in text(manager.get(reverse("funds:payment_detail", args=[payment.pk])))
    before = snapshot()
    response = manager.post(reverse("funds:payment_approve", args=[payment.pk]), {"decision": "approve"})
    assert response.status_code == 200 and 'data-testid="refusal"' in text(response)
    assert snapshot() == before


def test_a_large_payment_needs_meeting_minutes(money, people, signed_in, grassroots_cadre):
    payment = pay(money.county, payable_household(money.grassroots), 6000, grassroots_cadre)
    payment = approve_payment(approve_payment(payment, people[Role.REVIEWER]), people[Role.FUND_MANAGER])
    leader = signed_in(people[Role.LEADERSHIP])
    detail = text(leader.get(reverse("funds:payment_detail", args=[payment.pk])))
    assert 'name="minutes_ref"' in detail and 'name="meeting_date"' in detail
    before = snapshot()
    response = leader.post(reverse("funds:payment_approve", args=[payment.pk]), {"decision": "approve"})
    assert response.status_code == 200 and 'data-testid="error-minutes_ref"' in text(response)
    assert snapshot() == before
    response = leader.post(reverse("funds:payment_approve", args=[payment.pk]), {
        "decision": "approve", "meeting_date": dt.date.today().isoformat(), "minutes_ref": "主席会议纪要〔2026〕7号",
        "minutes": "同意"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.state == S.APPROVED and payment.approvals.get(step=3).minutes_ref == "主席会议纪要〔2026〕7号"
    assert available(money.county) == 14_000_00


def test_a_rejection_needs_its_reason(money, people, signed_in, grassroots_cadre):
    payment = pay(money.county, payable_household(money.grassroots), 100, grassroots_cadre)
    reviewer = signed_in(people[Role.REVIEWER])
    url = reverse("funds:payment_approve", args=[payment.pk])
    before = snapshot()
    response = reviewer.post(url, {"decision": "reject", "comment": "  "})
    assert response.status_code == 200 and 'data-testid="error-comment"' in text(response)
    assert snapshot() == before
    assert reviewer.post(url, {"decision": "reject", "comment": "不符合条件"}).status_code == 302
    payment.refresh_from_db()
    assert payment.state == S.REJECTED and payment.approvals.get().comment == "不符合条件"


def test_cancel_with_a_reason_releases_the_reserved_money(money, people, signed_in, grassroots_cadre):
    payment = approve_all(pay(money.county, payable_household(money.grassroots), 700, grassroots_cadre), people)
    assert available(money.county) == 19_300_00
    manager = signed_in(people[Role.FUND_MANAGER])
    url = reverse("funds:payment_cancel", args=[payment.pk])
    before = snapshot()
    response = manager.post(url, {"reason": ""})
    assert response.status_code == 200 and 'data-testid="error-reason"' in text(response)
    assert snapshot() == before
    assert manager.post(url, {"reason": "重复申请"}).status_code == 302
    payment.refresh_from_db()
    assert payment.state == S.CANCELLED and payment.failure_reason == "重复申请"
    assert available(money.county) == 20_000_00
    assert ledger.verify() == []


def test_the_creator_may_withdraw_but_not_cancel_after_approval(money, people, signed_in, grassroots_cadre):
    cadre = signed_in(grassroots_cadre)
    submitted = pay(money.county, payable_household(money.grassroots, name="甲"), 100, grassroots_cadre)
    assert cadre.post(reverse("funds:payment_cancel", args=[submitted.pk]), {"reason": "填错"}).status_code == 302
    approved = approve_all(pay(money.county, payable_household(money.grassroots, name="乙"), 100, grassroots_cadre),
                           people)
    # Reserved money is the paying union's (the county's) to release; the grassroots creator gets a 404.
    assert cadre.post(reverse("funds:payment_cancel", args=[approved.pk]), {"reason": "x"}).status_code == 404
    approved.refresh_from_db()
    assert approved.state == S.APPROVED


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["abc", "1.234", "-5", "0", "", "1e999999", "1E5", "NaN", "99999999999"])
def test_a_bad_amount_shows_a_message_and_saves_nothing(money, signed_in, grassroots_cadre, amount):
    household = payable_household(money.grassroots)
    before = snapshot()
    response = signed_in(grassroots_cadre).post(new_url(household), payment_post(money.county, amount=amount))
    assert response.status_code == 200 and 'data-testid="error-amount"' in text(response)
    assert snapshot() == before


@pytest.mark.parametrize("case", ["exited", "not_head", "interest_legal", "outside_lineage", "cap"])
def test_refused_payments_show_the_rule_and_change_nothing(money, signed_in, grassroots_cadre, case):
    household = payable_household(money.grassroots, name="张三")
    data = payment_post(money.county)
    expected = ""
    if case == "exited":
        household.state, household.exited_on = State.EXITED, dt.date(2025, 3, 1)
        household.save()
        expected = "2025-03-01"
    elif case == "not_head":
        household.bank_account_holder = "李四"
        household.save()
        expected = "李*"
    elif case == "interest_legal":
        data.update(source=fund_source("interest").pk, category="legal")
        expected = fund_source("interest").name
    elif case == "outside_lineage":
        data.update(org=money.sibling.pk)  # not a union above this household
    elif case == "cap":
        data.update(amount="12000.01")  # 12 × the line of 1,000 yuan
        expected = "12,000.00"
    before = snapshot()
    response = signed_in(grassroots_cadre).post(new_url(household), data)
    assert response.status_code == 200 and 'data-testid="form-errors"' in text(response)
    assert expected in text(response)
    assert snapshot() == before
    if case != "outside_lineage":  # after a refusal the page shows what the chosen account holds
        held = "0.00" if case == "interest_legal" else "20,000.00"  # nothing of interest money for legal aid
        assert 'data-testid="balance"' in text(response) and f">{held} " in text(response)


def test_medical_aid_with_its_receipt_and_a_refused_one_leaves_no_file_record(
        money, signed_in, grassroots_cadre, city_fund_manager):
    fund(money.county, 5000, city_fund_manager, category="medical")
    household = payable_household(money.grassroots)
    cadre = signed_in(grassroots_cadre)

    def post(amount, cost):
        receipt = SimpleUploadedFile("receipt.png", PNG_BYTES, content_type="image/png")
        return cadre.post(new_url(household), payment_post(money.county, category="medical", amount=amount,
                                                           out_of_pocket=cost, receipt=receipt, item="住院"))

    before = snapshot()
    response = post("800", "700")  # above the out-of-pocket cost
    assert response.status_code == 200 and "700.00" in text(response)
    assert snapshot() == before
    assert post("700", "700").status_code == 302
    payment = Disbursement.objects.get()
    assert payment.receipt.kind == "medical_receipts" and payment.receipt.household == household
    assert payment.out_of_pocket_fen == 700_00 and Attachment.objects.count() == 1


def test_another_unions_user_gets_404(money, signed_in, grassroots_cadre, outsider):
    household = payable_household(money.grassroots)
    payment = pay(money.county, household, 100, grassroots_cadre)
    client = signed_in(outsider)
    assert client.get(new_url(household)).status_code == 404
    assert client.post(new_url(household), payment_post(money.county)).status_code == 404
    assert client.get(reverse("funds:payment_detail", args=[payment.pk])).status_code == 404
    for name in ("payment_approve", "payment_submit", "payment_cancel"):
        assert client.post(reverse(f"funds:{name}", args=[payment.pk]), {"reason": "x"}).status_code == 404
    other_reviewer = money.user("rev-sib", money.sibling, Role.REVIEWER)
    response = signed_in(other_reviewer).post(reverse("funds:payment_approve", args=[payment.pk]),
                                              {"decision": "approve"})
    assert response.status_code == 404 and payment.approvals.count() == 0
    assert f"#{payment.pk}" not in text(client.get(reverse("funds:payments")))


def test_workers_have_no_staff_payment_pages(money, signed_in, grassroots_cadre, worker_user):
    household = payable_household(money.grassroots)
    household.members.filter(is_head=True).update(account=worker_user)
    payment = pay(money.county, household, 100, grassroots_cadre)
    # The worker may read the payment through the scoping (their own household) - but not on staff pages.
    assert Disbursement.objects.restrict(worker_user, "view").filter(pk=payment.pk).exists()
    client = signed_in(worker_user)
    for url in (reverse("funds:payment_detail", args=[payment.pk]), reverse("funds:payments"),
                reverse("funds:approvals_inbox"), reverse("funds:payment_notices"), reverse("funds:rules"),
                new_url(household)):
        assert client.get(url).status_code == 404, url


def test_household_chooser_finds_an_archive_in_scope(money, signed_in, grassroots_cadre, outsider):
    household = payable_household(money.grassroots)
    url = reverse("funds:payment_new")
    assert signed_in(grassroots_cadre).get(url).status_code == 200
    response = signed_in(grassroots_cadre).get(url, {"archive_number": household.archive_number})
    assert response.status_code == 302 and response["Location"].endswith(f"?household={household.pk}")
    response = signed_in(outsider).get(url, {"archive_number": household.archive_number})
    assert response.status_code == 200 and 'data-testid="error-archive_number"' in text(response)


def test_payment_list_filters_and_bounded_queries(money, signed_in, grassroots_cadre, outsider,
                                                  django_assert_max_num_queries):
    households = [payable_household(money.grassroots, name=f"钱{i}") for i in range(12)]
    for i, household in enumerate(households):
        pay(money.county, household, 100 + i, grassroots_cadre, category="festive" if i % 3 == 0 else "living")
    client = signed_in(grassroots_cadre)
    url = reverse("funds:payments")
    client.get(url)  # warm the session
    with django_assert_max_num_queries(10):
        response = client.get(url)
    page = text(response)
    assert response.status_code == 200 and "钱*" in page and "钱0" not in page
    assert page.count("data-testid=\"state\"") == 12
    festive = text(client.get(url, {"category": "festive"}))
    assert festive.count("data-testid=\"state\"") == 4
    one = text(client.get(url, {"archive": households[0].archive_number}))
    assert one.count("data-testid=\"state\"") == 1
    assert text(client.get(url, {"year": "abc"})).count("data-testid=\"state\"") == 0
    assert text(client.get(url, {"org": money.sibling.pk})).count("data-testid=\"state\"") == 0
    assert text(signed_in(outsider).get(url)).count("data-testid=\"state\"") == 0
