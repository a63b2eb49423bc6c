"""The funds API, payment side: create → two approvals → approved, every refusal of the issue's bad-input list
(400 with the rule code, balances untouched), scoping (outsider 404, a worker sees their own household only),
amounts as yuan strings, the payee masked, bank batches, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Bucket, Disbursement, DisbursementState, LedgerEntry
from bangfu.funds.services.batches import create_batch
from bangfu.funds.tests.factories import (
    YEAR,
    approve_all,
    approvers,
    fund,
    give,
    pay,
    payable_household,
    set_line,
    source,
)
from bangfu.funds.tests.test_api_money import token_client
from bangfu.registry.models import State
from bangfu.registry.tests.factories import make_attachment

pytestmark = pytest.mark.django_db
ACCOUNT = "6222020200112233445"


@pytest.fixture
def money(tree, city_fund_manager):
    """The city receives 100,000 yuan of central living aid and passes 20,000 to the county; line 1,000/month."""
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    fund(tree.city, 10_000, city_fund_manager, category="medical")
    give(tree.city, tree.county, 10_000, city_fund_manager, category="medical")
    return tree


@pytest.fixture
def people(money):
    return approvers(money)


@pytest.fixture
def cadre(grassroots_cadre):
    return token_client(grassroots_cadre)


def available(org, category="living") -> int:
    return ledger.balance_of(org.pk, source().pk, YEAR, category)


def body(org, household, amount="3000.50", **extra):
    return {"org": org.pk, "household": household.pk, "source": "central", "category": "living", "amount": amount,
            "item": "生活救助", "period": str(YEAR), "year": YEAR, **extra}


def snapshot():
    """Everything a refused request must leave as it was."""
    return (Disbursement.objects.count(), LedgerEntry.objects.count(),
            sorted(Disbursement.objects.values_list("pk", "state", "current_step")))


def test_whole_chain_through_the_api(tree, city_fund_manager, grassroots_cadre):
    """Budget → allocation to the county → payment → two approvals, the balances checked at each step."""
    set_line()
    manager, cadre = token_client(city_fund_manager), token_client(grassroots_cadre)
    money = {"source": "central", "year": YEAR, "category": "living"}
    assert manager.post("/api/v1/fund-budgets/", {"org": tree.city.pk, "amount": "50000.00", **money},
                        format="json").status_code == 201
    assert manager.post("/api/v1/fund-allocations/", {"from_org": tree.city.pk, "to_org": tree.county.pk,
                                                      "amount": "8000.00", **money}, format="json").status_code == 201

    def balances():
        rows = manager.get("/api/v1/fund-balances/", {"year": YEAR, "category": "living"}).json()["results"]
        return {(r["org"], r["bucket"]): r["amount"] for r in rows if r["bucket"] != "source"}

    assert balances() == {(tree.city.pk, "available"): "42000.00", (tree.county.pk, "available"): "8000.00"}
    household = payable_household(tree.grassroots)
    pk = cadre.post("/api/v1/payments/", body(tree.county, household, amount="2500.00"), format="json").json()["id"]
    assert balances()[(tree.county.pk, "available")] == "8000.00"  # submitted: nothing reserved yet
    people = approvers(tree)
    for role in (Role.REVIEWER, Role.FUND_MANAGER):
        response = token_client(people[role]).post(f"/api/v1/payments/{pk}/approve/", {}, format="json")
        assert response.status_code == 200, response.json()
    assert response.json()["state"] == "approved"
    assert balances() == {(tree.city.pk, "available"): "42000.00", (tree.county.pk, "available"): "5500.00",
                          (tree.county.pk, "reserved"): "2500.00"}
    kinds = [t["kind"] for t in manager.get("/api/v1/fund-transactions/", {"payment": pk}).json()["results"]]
    assert kinds == ["reserve"]
    assert ledger.verify() == []


def test_payment_created_then_approved_by_two_people(money, people, cadre, tree):
    household = payable_household(tree.grassroots, name="王小明", account=ACCOUNT)
    response = cadre.post("/api/v1/payments/", body(tree.county, household), format="json")
    assert response.status_code == 201, response.json()
    payment = response.json()
    assert payment["state"] == "submitted" and payment["amount"] == "3000.50"
    assert payment["payee_name_masked"] == "王**" and payment["payee_account_masked"].endswith("3445")
    assert [s["role"] for s in payment["route"]] == ["reviewer", "fund_manager"]
    assert payment["next_step"]["role"] == "reviewer"
    raw = response.content.decode()
    assert ACCOUNT not in raw and "王小明" not in raw  # the payee only ever masked

    reviewer, manager = token_client(people[Role.REVIEWER]), token_client(people[Role.FUND_MANAGER])
    pk = payment["id"]
    response = reviewer.post(f"/api/v1/payments/{pk}/approve/", {"comment": "核实无误"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted" and response.json()["current_step"] == 1
    assert available(tree.county) == 20_000_00  # nothing reserved before the last step
    response = manager.post(f"/api/v1/payments/{pk}/approve/", {"decision": "approve"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "approved" and response.json()["next_step"] is None
    assert available(tree.county) == 20_000_00 - 3000_50
    assert ledger.balance_of(tree.county.pk, source().pk, YEAR, "living", Bucket.RESERVED) == 3000_50

    steps = cadre.get(f"/api/v1/payments/{pk}/approvals/").json()
    assert [(s["step"], s["role"], s["decision"], s["decided_by"]) for s in steps] == [
        (1, "reviewer", "approve", people[Role.REVIEWER].pk), (2, "fund_manager", "approve",
                                                              people[Role.FUND_MANAGER].pk)]
    assert steps[0]["comment"] == "核实无误"
    listed = cadre.get("/api/v1/payments/", {"state": "approved", "household": household.pk}).json()
    assert [p["id"] for p in listed["results"]] == [pk]
    assert ledger.verify() == []


def test_amounts_are_yuan_strings_both_ways(money, cadre, tree):
    household = payable_household(tree.grassroots)
    response = cadre.post("/api/v1/payments/", body(tree.county, household, amount="1,234.5"), format="json")
    assert response.status_code == 201 and response.json()["amount"] == "1234.50"
    assert Disbursement.objects.get().amount_fen == 1234_50
    for bad in ("1.234", "abc", "-5", "0", True, None, ["1"]):
        response = cadre.post("/api/v1/payments/", body(tree.county, household, amount=bad, period="x"),
                              format="json")
        assert response.status_code == 400 and "amount" in response.json()["fields"], bad
    assert Disbursement.objects.count() == 1


def _exited(tree):
    return payable_household(tree.grassroots, state=State.EXITED)


def _draft(tree):
    return payable_household(tree.grassroots, state=State.ECONOMIC_CHECK)


def _card_of_someone_else(tree):
    household = payable_household(tree.grassroots, name="张三")
    household.bank_account_holder = "李四"
    household.save(update_fields=["bank_account_holder"])
    return household


@pytest.mark.parametrize(("make", "change", "code"), [
    (_exited, {}, "household_exited"),
    (_draft, {}, "household_not_active"),
    (payable_household, {"amount": "12000.01"}, "cap_living"),  # 12 × the line of 1,000 yuan
    (payable_household, {"source": "interest", "category": "legal"}, "source_category"),
    (_card_of_someone_else, {}, "account_not_head"),
])
def test_bad_payments_are_refused_with_their_rule(money, cadre, tree, make, change, code):
    household = make(tree) if make is not payable_household else make(tree.grassroots)
    before, balances = snapshot(), available(tree.county)
    response = cadre.post("/api/v1/payments/", body(tree.county, household, **change), format="json")
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert code in [rule["code"] for rule in answer["rules"]], answer
    assert answer["status"] == 400 and answer["detail"] == answer["rules"][0]["message"]
    assert snapshot() == before and available(tree.county) == balances


def test_cap_message_shows_the_cap_and_what_was_already_paid(money, cadre, tree, grassroots_cadre):
    household = payable_household(tree.grassroots)
    pay(tree.county, household, 10_000, grassroots_cadre, item="上半年")
    response = cadre.post("/api/v1/payments/", body(tree.county, household, amount="2500.00", item="下半年"),
                          format="json")
    assert response.status_code == 400 and response.json()["code"] == "cap_living"
    assert all(figure in response.json()["detail"] for figure in ("12,000.00", "10,000.00", "2,500.00", "500.00"))


def test_the_creator_never_approves_their_own_payment(money, tree):
    maker = tree.user("rev-maker", tree.county, Role.REVIEWER, Role.CASE_WORKER)
    client = token_client(maker)
    response = client.post("/api/v1/payments/", body(tree.county, payable_household(tree.grassroots)), format="json")
    assert response.status_code == 201
    before = snapshot()
    response = client.post(f"/api/v1/payments/{response.json()['id']}/approve/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "own_payment"
    assert snapshot() == before


def test_leadership_step_needs_minutes_and_reject_needs_a_reason(money, people, cadre, tree):
    household = payable_household(tree.grassroots)
    pk = cadre.post("/api/v1/payments/", body(tree.county, household, amount="6000.00"), format="json").json()["id"]
    for role in (Role.REVIEWER, Role.FUND_MANAGER):
        assert token_client(people[role]).post(f"/api/v1/payments/{pk}/approve/", {}, format="json").status_code == 200
    leader = token_client(people[Role.LEADERSHIP])
    response = leader.post(f"/api/v1/payments/{pk}/approve/", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "minutes"
    assert response.json()["rules"][0]["field"] == "minutes_ref"
    response = leader.post(f"/api/v1/payments/{pk}/approve/", {"decision": "reject"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "comment"
    response = leader.post(f"/api/v1/payments/{pk}/approve/", {
        "meeting_date": str(dt.date.today()), "minutes_ref": "主席会议纪要〔2026〕7号", "minutes": "同意"},
        format="json")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    steps = cadre.get(f"/api/v1/payments/{pk}/approvals/").json()
    assert steps[-1]["minutes_ref"] == "主席会议纪要〔2026〕7号" and steps[-1]["role"] == "leadership"

    other = cadre.post("/api/v1/payments/", body(tree.county, household, amount="100.00", item="another"),
                       format="json").json()["id"]
    response = token_client(tree.user("rev2", tree.county, Role.REVIEWER)).post(
        f"/api/v1/payments/{other}/approve/", {"decision": "reject", "comment": "材料不全"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "rejected"


def test_wrong_role_and_bad_decision(money, people, cadre, tree):
    pk = cadre.post("/api/v1/payments/", body(tree.county, payable_household(tree.grassroots)),
                    format="json").json()["id"]
    manager = token_client(people[Role.FUND_MANAGER])
    response = manager.post(f"/api/v1/payments/{pk}/approve/", {}, format="json")  # step 1 is the reviewer's
    assert response.status_code == 400 and response.json()["code"] == "role"
    response = manager.post(f"/api/v1/payments/{pk}/approve/", {"decision": "maybe"}, format="json")
    assert response.status_code == 400 and "decision" in response.json()["fields"]
    assert Disbursement.objects.get(pk=pk).current_step == 0


def test_draft_submit_and_cancel_release_the_money(money, people, tree):
    county_worker = token_client(tree.user("cw-county", tree.county, Role.CASE_WORKER))
    household = payable_household(tree.grassroots)
    response = county_worker.post("/api/v1/payments/", body(tree.county, household, submit=False), format="json")
    assert response.status_code == 201 and response.json()["state"] == "draft"
    pk = response.json()["id"]
    response = county_worker.post(f"/api/v1/payments/{pk}/submit/", format="json")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    again = county_worker.post(f"/api/v1/payments/{pk}/submit/", format="json")
    assert again.status_code == 400 and again.json()["code"] == "state"
    approve_all(Disbursement.objects.get(pk=pk), people)
    assert available(tree.county) == 20_000_00 - 3000_50
    assert county_worker.post(f"/api/v1/payments/{pk}/cancel/", {"reason": ""}, format="json").status_code == 400
    response = county_worker.post(f"/api/v1/payments/{pk}/cancel/", {"reason": "户主已就业"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert response.json()["failure_reason"] == "户主已就业"
    assert available(tree.county) == 20_000_00
    assert ledger.verify() == []


def test_medical_aid_with_its_receipt(money, cadre, tree):
    household = payable_household(tree.grassroots)
    other = payable_household(tree.grassroots, name="李四")
    receipt, foreign = make_attachment(household, kind="medical_receipts"), make_attachment(other)
    medical = {"category": "medical", "item": "住院2026年3月", "out_of_pocket": "800.00"}
    before = snapshot()
    response = cadre.post("/api/v1/payments/", body(tree.county, household, amount="500.00", receipt=foreign.pk,
                                                    **medical), format="json")
    assert response.status_code == 400 and "receipt" in response.json()["fields"]
    response = cadre.post("/api/v1/payments/", body(tree.county, household, amount="500.00", **medical),
                          format="json")
    assert response.status_code == 400 and response.json()["code"] == "medical_receipt"
    response = cadre.post("/api/v1/payments/", body(tree.county, household, amount="800.01", receipt=receipt.pk,
                                                    **medical), format="json")
    assert response.status_code == 400 and response.json()["code"] == "cap_medical"
    assert "800.00" in response.json()["detail"]
    assert snapshot() == before
    response = cadre.post("/api/v1/payments/", body(tree.county, household, amount="800.00", receipt=receipt.pk,
                                                    **medical), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["receipt"] == receipt.pk and response.json()["out_of_pocket"] == "800.00"


def test_bodies_naming_what_the_user_may_not_see_are_refused(money, cadre, tree, outsider, city_fund_manager):
    theirs = payable_household(tree.sibling, name="赵六")
    before = snapshot()
    response = cadre.post("/api/v1/payments/", body(tree.county, theirs), format="json")
    assert response.status_code == 400 and "household" in response.json()["fields"]
    mine = payable_household(tree.grassroots)
    for org in (tree.sibling, tree.other_province):  # neither above the cadre's union nor below it
        response = cadre.post("/api/v1/payments/", body(org, mine), format="json")
        assert response.status_code == 400 and "org" in response.json()["fields"]
    response = cadre.post("/api/v1/payments/", body(tree.county, mine, category="school",
                                                    student=theirs.members.get().pk), format="json")
    assert response.status_code == 400 and "student" in response.json()["fields"]
    assert snapshot() == before
    # A role without the permission to apply: 403, nothing written.
    response = token_client(city_fund_manager).get("/api/v1/payments/")
    assert response.status_code == 200
    reviewer = token_client(tree.user("rev-x", tree.county, Role.REVIEWER))
    assert reviewer.post("/api/v1/payments/", body(tree.county, mine), format="json").status_code == 403
    assert snapshot() == before


def test_outsider_gets_404_everywhere(money, people, tree, grassroots_cadre, outsider):
    payment = pay(tree.county, payable_household(tree.grassroots), 100, grassroots_cadre)
    # The outsider's union even holds the roles of the chain: still nothing.
    outside = [token_client(outsider)] + [token_client(tree.user(f"out-{role}", tree.sibling, role))
                                          for role in (Role.REVIEWER, Role.FUND_MANAGER)]
    for client in outside:
        assert client.get(f"/api/v1/payments/{payment.pk}/").status_code == 404
        assert client.get(f"/api/v1/payments/{payment.pk}/approvals/").status_code == 404
        for action in ("submit", "approve", "cancel"):
            response = client.post(f"/api/v1/payments/{payment.pk}/{action}/", {"reason": "x"}, format="json")
            assert response.status_code == 404, action
        assert client.get("/api/v1/payments/").json()["count"] == 0
    payment.refresh_from_db()
    assert payment.state == DisbursementState.SUBMITTED and payment.current_step == 0
    # The grassroots case worker follows the payment the county makes, but the county's chain decides it.
    cadre = token_client(grassroots_cadre)
    assert cadre.get(f"/api/v1/payments/{payment.pk}/").status_code == 200
    assert cadre.post(f"/api/v1/payments/{payment.pk}/approve/", {}, format="json").status_code == 404


def test_worker_sees_only_their_own_households_payments(money, people, tree, grassroots_cadre, worker_user):
    own = payable_household(tree.grassroots, name="周八")
    head = own.members.get(is_head=True)
    head.account = worker_user
    head.save(update_fields=["account"])
    neighbour = payable_household(tree.grassroots, name="吴九")
    mine = approve_all(pay(tree.county, own, 200, grassroots_cadre), people)
    theirs = pay(tree.county, neighbour, 300, grassroots_cadre)
    client = token_client(worker_user)
    listed = client.get("/api/v1/payments/").json()
    assert [p["id"] for p in listed["results"]] == [mine.pk]
    assert client.get(f"/api/v1/payments/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/payments/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/payments/{mine.pk}/approvals/").json() == []  # decisions are for staff
    assert client.post(f"/api/v1/payments/{mine.pk}/cancel/", {"reason": "x"}, format="json").status_code == 404
    assert client.post("/api/v1/payments/", body(tree.county, own), format="json").status_code == 403
    for url in ("/api/v1/fund-budgets/", "/api/v1/fund-balances/", "/api/v1/fund-transactions/",
                "/api/v1/payment-batches/"):
        assert client.get(url).json()["count"] == 0, url


def test_batches_list_and_detail(money, people, tree, grassroots_cadre, outsider):
    payments = [approve_all(pay(tree.county, payable_household(tree.grassroots, name=f"钱{i}"), 100 + i,
                                grassroots_cadre), people) for i in range(3)]
    Disbursement.objects.filter(pk__in=[p.pk for p in payments]).update(notice_until=None)
    batch = create_batch(org=tree.county, payments=payments[:2], actor=people[Role.FUND_MANAGER])
    manager = token_client(people[Role.FUND_MANAGER])
    listed = manager.get("/api/v1/payment-batches/").json()["results"]
    assert [(b["number"], b["payment_count"], b["total"], b["state"]) for b in listed] == [
        (batch.number, 2, "201.00", "open")]
    assert manager.get(f"/api/v1/payment-batches/{batch.pk}/").json()["org_name"] == tree.county.name
    in_batch = manager.get("/api/v1/payments/", {"batch": batch.pk}).json()["results"]
    assert sorted(p["id"] for p in in_batch) == sorted(p.pk for p in payments[:2])
    assert token_client(outsider).get(f"/api/v1/payment-batches/{batch.pk}/").status_code == 404


def test_payment_list_queries_do_not_grow(money, people, tree, grassroots_cadre, cadre,
                                          django_assert_max_num_queries):
    for i in range(6):
        household = payable_household(tree.grassroots, name=f"孙{i}", size=2)
        payment = pay(tree.county, household, 50 + i, grassroots_cadre)
        if i % 2:
            approve_all(payment, people)
    # session, token with user, roles, user's org, count, page, one audit record of the read
    with django_assert_max_num_queries(7):
        response = cadre.get("/api/v1/payments/")
    assert response.json()["count"] == 6
    with django_assert_max_num_queries(7):
        assert cadre.get("/api/v1/payments/", {"state": "approved", "year": YEAR}).json()["count"] == 3
