"""Builders for funds tests. Money moves only through the real write functions (`bangfu.funds.services`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bangfu.accounts.roles import Role
from bangfu.funds.models import FundSource
from bangfu.funds.services.budgets import allocate, record_budget
from bangfu.funds.services.payments import approve_payment, create_payment
from bangfu.orgs.models import LocalStandard
from bangfu.registry.tests.factories import make_household

YEAR = dt.date.today().year
LINE_YUAN = Decimal("1000.00")  # illustrative test line: 1,000 yuan per person per month


def source(code: str = "central") -> FundSource:
    return FundSource.objects.get(code=code)


def set_line(division_id: str = "440100", amount: Decimal = LINE_YUAN, since=dt.date(2020, 1, 1)) -> None:
    LocalStandard.objects.create(division_id=division_id, kind="living_line", amount=amount, effective_from=since,
                                 source="test", illustrative=True)


def payable_household(org, *, name: str = "张三", account: str = "6222020200112233445", notice_consent: bool = True,
                      **fields):
    """An active archive with a real-name card of its head (and, as an active archive normally has, the
    household's consent to the public notice)."""
    from bangfu.registry.models import Consent

    fields.setdefault("bank_name", "工商银行")
    household = make_household(org, name=name, bank_account=account, bank_account_last4=account[-4:],
                               bank_account_holder=name, **fields)
    if notice_consent:
        Consent.objects.create(household=household, kind="public_notice", signed_on=dt.date(2020, 1, 1),
                               signed_by_name=name, notice_content="masked name, category, amount")
    return household


def fund(org, yuan: int, actor, *, code: str = "central", category: str = "living", year: int = YEAR,
         document_ref: str = "测试文号"):
    return record_budget(org=org, source=source(code), year=year, category=category, amount_fen=yuan * 100,
                         actor=actor, document_ref=document_ref)


def give(from_org, to_org, yuan: int, actor, *, code: str = "central", category: str = "living", year: int = YEAR):
    return allocate(from_org=from_org, to_org=to_org, source=source(code), year=year, category=category,
                    amount_fen=yuan * 100, actor=actor)


def pay(org, household, yuan, actor, *, category: str = "living", code: str = "central", item: str = "生活救助",
        period: str | None = None, **kwargs):
    return create_payment(org=org, household=household, source=source(code), category=category,
                          amount_fen=int(Decimal(str(yuan)) * 100), item=item, period=period or str(YEAR),
                          actor=actor, year=YEAR, **kwargs)


def approvers(tree, org=None):
    """A reviewer, a fund manager and a leader of `org` (default: the county), each a different person."""
    org = org or tree.county
    return {
        Role.REVIEWER: tree.user(f"rev-{org.code}", org, Role.REVIEWER),
        Role.FUND_MANAGER: tree.user(f"fm-{org.code}", org, Role.FUND_MANAGER),
        Role.LEADERSHIP: tree.user(f"lead-{org.code}", org, Role.LEADERSHIP),
    }


def approve_all(payment, people: dict, **minutes):
    """Pass every step of the payment's route with the person holding each step's role."""
    for step in payment.route[payment.current_step:]:
        extra = minutes if step.get("requires_minutes") else {}
        payment = approve_payment(payment, people[step["role"]], **extra)
    return payment
