"""Demo money for `manage.py seed_demo` (issue 5): budgets, allocations, payments in every state, bank batches.

Everything moves through the real write functions (`services.budgets`, `services.payments`,
`services.batches`, `services.campaigns`), so every rule, cap, approval step, ledger posting, timeline
row and audit record is what the platform itself would write, and `ledger.verify()` agrees afterwards.
All amounts are ILLUSTRATIVE: every budget and allocation says so in its document number and note
("示例数据").

* Each province receives central special funds (living, school, festive and medical aid) and matching
  funds (living, festive) on fixed dates of the year; it passes 40 per cent of each to each city; each
  city passes 45 per cent to each county federation; each county also records union-own funds and passes
  some central money to two of its grassroots unions.
* Each county federation pays living, festive and school aid to active archives of its subtree whose card
  is in the head's name: created by a case worker of the county, decided by the county's reviewer, the
  city's fund manager and, above 5,000 yuan, the province's leadership with meeting minutes. The payments
  end in every state: draft, in approval (step 1 or 2), rejected, cancelled, approved in public notice,
  approved and waiting for a batch, in a batch sent to the bank, paid, failed.
* Payments that went to the bank were approved "earlier": their approval dates and public notice are
  moved into the past (the notice must be over before a batch), while the ledger postings keep the date
  of seeding (the ledger is append-only and dated by the posting itself). Per county one batch is
  exported and reconciled from a generated bank result file (about one in ten failed), one is exported
  and waits for the bank, and one stays open.
* One 金秋助学 campaign (a draft) of the first county.

The same seed and date give the same data. Province budgets and allocations have no recorder (the demo
tree has no provincial fund manager): they are recorded by the seed command itself.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db.models import F
from django.utils import timezone

from bangfu.accounts.models import UserRole
from bangfu.accounts.roles import Role
from bangfu.funds.models import (
    AidCategory,
    Approval,
    Disbursement,
    DisbursementState,
    FundSource,
    PaymentBatch,
)
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.batches import create_batch, export_batch, reconcile_batch
from bangfu.funds.services.budgets import allocate, record_budget
from bangfu.funds.services.payments import approve_payment, cancel_payment, create_payment
from bangfu.orgs.models import Org
from bangfu.registry.models import Household, Member, State

NOTE = "示例数据：金额仅作演示，并非真实拨付"

# (source, category, yuan, month, day) received by each province.
PROVINCE_BUDGETS = [
    ("central", AidCategory.LIVING, 3_000_000, 1, 10),
    ("central", AidCategory.SCHOOL, 1_200_000, 1, 10),
    ("central", AidCategory.FESTIVE, 900_000, 1, 10),
    ("central", AidCategory.MEDICAL, 600_000, 1, 10),
    ("matching", AidCategory.LIVING, 1_500_000, 2, 20),
    ("matching", AidCategory.FESTIVE, 500_000, 2, 20),
]
CITY_SHARE, COUNTY_SHARE = 0.40, 0.45
COUNTY_OWN = [("union_own", AidCategory.LIVING, 40_000), ("union_own", AidCategory.FESTIVE, 60_000)]
GRASSROOTS_SHARE = [("central", AidCategory.LIVING, 20_000), ("central", AidCategory.FESTIVE, 10_000)]

PAYMENTS_PER_COUNTY = 25
# What happens to each payment, by weight.
OUTCOMES = [
    ("draft", 6), ("step0", 8), ("step1", 6), ("rejected", 4), ("cancelled", 4), ("in_notice", 16),
    ("waiting_batch", 6), ("batch_open", 5), ("batch_exported", 10), ("batch_reconciled", 35),
]
FAILURE_REASONS = ["账户已销户", "户名与账号不符", "账户冻结"]
LIVING_AMOUNTS = [800, 1000, 1200, 1500, 2000, 2500, 3000]
FESTIVE_AMOUNTS = [500, 600, 800, 1000]
SCHOOL_AMOUNTS = [1000, 1500, 2000, 3000]


def _on(year: int, month: int, day: int, as_of: dt.date) -> dt.date:
    return min(dt.date(year, month, day), as_of)


def _doc(org, year: int, number: int) -> str:
    return f"示例数据·{org.code}〔{year}〕{number}号"


class _People:
    """Who acts for a union: the nearest holder of each role at the union or above it (case workers: inside)."""

    def __init__(self):
        self.by_role: dict[str, list] = defaultdict(list)
        for grant in UserRole.objects.filter(user__kind="staff", user__is_active=True, user__org__isnull=False) \
                .select_related("user__org").order_by("user__username"):
            self.by_role[grant.role].append(grant.user)

    def above(self, role: str, org):
        holders = [u for u in self.by_role[role] if org.path.startswith(u.org.path)]
        return max(holders, key=lambda u: u.org.depth, default=None)

    def inside(self, role: str, org):
        return next((u for u in self.by_role[role] if u.org.path.startswith(org.path)), None)


def seed_funds(seed: int = 1, *, as_of: dt.date | None = None, per_county: int = PAYMENTS_PER_COUNTY) -> dict:
    """Load the demo money (see the module docstring). Call inside seed_demo's transaction and bulk job."""
    as_of = as_of or timezone.localdate()
    year = as_of.year
    rng = random.Random(seed)
    sources = {s.code: s for s in FundSource.objects.all()}
    people = _People()
    counts: dict[str, int] = defaultdict(int)
    provinces = list(Org.objects.filter(level=Org.Level.PROVINCE).order_by("path"))
    counties = list(Org.objects.filter(level=Org.Level.COUNTY, kind=Org.Kind.FEDERATION).order_by("path"))
    number = 0

    def budget(org, code, category, yuan, on, actor):
        nonlocal number
        number += 1
        record_budget(org=org, source=sources[code], year=year, category=category, amount_fen=yuan * 100,
                      actor=actor, document_ref=_doc(org, year, number), received_on=on, note=NOTE)
        counts["budgets"] += 1

    def give(from_org, to_org, code, category, yuan, actor):
        nonlocal number
        number += 1
        allocate(from_org=from_org, to_org=to_org, source=sources[code], year=year, category=category,
                 amount_fen=yuan * 100, actor=actor, document_ref=_doc(from_org, year, number), note=NOTE)
        counts["allocations"] += 1

    for province in provinces:
        cities = list(Org.objects.filter(path__startswith=province.path, depth=province.depth + 1).order_by("path"))
        for code, category, yuan, month, day in PROVINCE_BUDGETS:
            budget(province, code, category, yuan, _on(year, month, day, as_of), None)
            for city in cities:
                give(province, city, code, category, int(yuan * CITY_SHARE), None)
                city_fm = people.above(Role.FUND_MANAGER, city)
                for county in (c for c in counties if c.path.startswith(city.path)):
                    give(city, county, code, category, int(yuan * CITY_SHARE * COUNTY_SHARE), city_fm)
    for county in counties:
        fm = people.above(Role.FUND_MANAGER, county)
        for code, category, yuan in COUNTY_OWN:
            budget(county, code, category, yuan, _on(year, 3, 1, as_of), fm)
        grassroots = list(Org.objects.filter(path__startswith=county.path, level=Org.Level.GRASSROOTS)
                          .order_by("path")[:2])
        for org in grassroots:
            for code, category, yuan in GRASSROOTS_SHARE:
                give(county, org, code, category, yuan, fm)

    for county in counties:
        _county_payments(county, people, sources, rng, year, as_of, per_county, counts)
    if counties:
        _campaign_shell(counties[0], people, sources, year)
        counts["campaigns"] += 1
    return dict(counts)


def _eligible(county):
    """Active archives of the county's subtree whose card is in the head's name, in a fixed order."""
    return list(
        Household.objects.filter(state=State.ACTIVE, org__path__startswith=county.path)
        .exclude(bank_account_last4="")
        .filter(members__is_head=True, members__name=F("bank_account_holder"))
        .select_related("org", "division").order_by("pk")
    )


def _plan(rng, households, students: dict, per_county: int) -> list[tuple]:
    """(household, category, amount yuan, student) for up to `per_county` payments, one per household."""
    chosen = rng.sample(households, min(per_county, len(households)))
    plans = []
    for household in chosen:
        draw = rng.random()
        if household.pk in students and draw < 0.2:
            plans.append((household, AidCategory.SCHOOL, rng.choice(SCHOOL_AMOUNTS), students[household.pk]))
        elif draw < 0.55:
            # A few large living-aid payments need the leadership's decision (above 5,000 yuan).
            amount = 6000 if rng.random() < 0.08 else rng.choice(LIVING_AMOUNTS)
            plans.append((household, AidCategory.LIVING, amount, None))
        else:
            plans.append((household, AidCategory.FESTIVE, rng.choice(FESTIVE_AMOUNTS), None))
    return plans


ITEMS = {AidCategory.LIVING: ("生活救助", "{year}"), AidCategory.FESTIVE: ("春节送温暖", "{year}春节"),
         AidCategory.SCHOOL: ("子女助学", "{year}秋季")}


def _county_payments(county, people, sources, rng, year, as_of, per_county, counts) -> None:
    creator = people.inside(Role.CASE_WORKER, county)
    deciders = {role: people.above(role, county) for role in (Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP)}
    if creator is None or None in deciders.values():
        return  # a tree without the people to run the chain (not the demo tree)
    households = _eligible(county)
    students = dict(Member.objects.filter(household__in=[h.pk for h in households], is_student=True)
                    .order_by("household_id", "pk").values_list("household_id", "pk").distinct())
    student_rows = {m.pk: m for m in Member.objects.filter(pk__in=students.values())}
    outcomes = [name for name, weight in OUTCOMES for _ in range(weight)]
    to_bank: dict[str, list] = defaultdict(list)
    for household, category, yuan, student_pk in _plan(rng, households, students, per_county):
        outcome = rng.choice(outcomes)
        item, period = ITEMS[category]
        try:
            payment = create_payment(
                org=county, household=household, source=sources["central"], category=category, amount_fen=yuan * 100,
                item=item, period=period.format(year=year), actor=creator, year=year,
                student=student_rows.get(student_pk), submit=outcome != "draft",
                note="示例数据",
            )
            counts["payments"] += 1
            if outcome in ("draft", "step0"):
                continue
            if outcome == "rejected":
                approve_payment(payment, deciders[Role.REVIEWER], decision="reject",
                                comment="经核实，本次不予救助（示例）。")
                continue
            payment = approve_payment(payment, deciders[Role.REVIEWER], comment="情况属实（示例）。")
            if outcome == "step1":
                continue
            for step in payment.route[payment.current_step:]:
                minutes = {"meeting_date": timezone.localdate(), "minutes_ref": f"示例纪要〔{year}〕3号",
                           "minutes": "主席办公会研究同意（示例）。"} if step.get("requires_minutes") else {}
                payment = approve_payment(payment, deciders[step["role"]], **minutes)
            if outcome == "cancelled":
                cancel_payment(payment, deciders[Role.FUND_MANAGER], reason="户主已另获同类救助，撤回（示例）。")
            elif outcome != "in_notice":
                to_bank[outcome].append(payment)
        except FundsRefused:
            counts["refused"] += 1  # a cap or rule the archive does not meet: the demo skips it
    if to_bank:
        _pay_through_the_bank(county, to_bank, deciders[Role.FUND_MANAGER], rng, as_of, counts)


def _backdate(payments, as_of) -> None:
    """These payments were approved weeks ago and their public notice is over (see the module docstring)."""
    for offset, payment in enumerate(payments):
        approved = timezone.now() - dt.timedelta(days=20 + offset % 10)
        Disbursement.objects.filter(pk=payment.pk).update(
            created_at=approved - dt.timedelta(days=3), submitted_at=approved - dt.timedelta(days=3),
            approved_at=approved, notice_until=min(approved.date() + dt.timedelta(days=5),
                                                   as_of - dt.timedelta(days=1)))
        Approval.objects.filter(disbursement=payment).update(decided_at=approved - dt.timedelta(hours=2))


def _result_file(batch, rng, as_of) -> bytes:
    lines = ["付款编号,账号后四位,金额,结果,失败原因,银行流水号,交易日期"]
    for index, (pk, last4, amount) in enumerate(batch.disbursements.order_by("pk")
                                                 .values_list("pk", "payee_account_last4", "amount_fen")):
        failed = rng.random() < 0.1
        lines.append(",".join([str(pk), last4, f"{amount / 100:.2f}", "失败" if failed else "成功",
                               rng.choice(FAILURE_REASONS) if failed else "",
                               f"DEMO{as_of:%Y%m%d}{index + 1:05d}", as_of.isoformat()]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _pay_through_the_bank(county, to_bank, manager, rng, as_of, counts) -> None:
    _backdate([p for group in to_bank.values() for p in group], as_of)
    for outcome in ("batch_reconciled", "batch_exported", "batch_open"):
        payments = to_bank.get(outcome)
        if not payments:
            continue
        batch = create_batch(org=county, payments=payments, actor=manager, note="示例批次")
        counts["batches"] += 1
        if outcome == "batch_open":
            continue
        export_batch(batch, actor=manager)
        if outcome == "batch_reconciled":
            batch = PaymentBatch.objects.get(pk=batch.pk)
            reconcile_batch(batch, data=_result_file(batch, rng, as_of), name="示例银行回单.csv", actor=manager)
    counts["paid"] = Disbursement.objects.filter(state=DisbursementState.PAID).count()
    counts["failed"] = Disbursement.objects.filter(state=DisbursementState.FAILED).count()


def _campaign_shell(county, people, sources, year) -> None:
    from bangfu.funds.models import Campaign
    from bangfu.funds.services.campaigns import DEFAULT_AMOUNTS, save_campaign

    amounts = DEFAULT_AMOUNTS[Campaign.Kind.SCHOOL]
    save_campaign(actor=people.inside(Role.CASE_WORKER, county), org=county, kind=Campaign.Kind.SCHOOL,
                  name=f"{year}年金秋助学（示例）", year=year, period=f"{year}秋季", source=sources["central"],
                  criteria={"school_stages": list(amounts), "exclude_paid": True},
                  amount_rule={"per_stage": dict(amounts)})
