"""The single-household engine and the bulk SQL path give identical categories on random households.

Runs on SQLite and PostgreSQL (DATABASE_URL). Incomes are spread around the lines with exact boundaries
(L, 1.5·L, 2·L, 3·L per person, ± 0.01), random causes, assets, expenses, roster flags, migrants and
members at the edges of the working age (imputation on/off), in three divisions: Standard A with the
广州市 line, Standard B with the 成都市 line, and one with no line at all.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from bangfu.core.identity import synthetic_resident_id
from bangfu.orgs.models import LocalStandard
from bangfu.registry.classification import classify
from bangfu.registry.classification.bulk import categories
from bangfu.registry.models import (
    AssetDeclaration,
    ClassificationPolicy,
    Expense,
    Household,
    HouseholdCause,
    Member,
    MonthlyIncome,
)
from bangfu.registry.tests.factories import month_starts

ON = dt.date(2026, 10, 31)
N = 1000
LINES = {"440100": Decimal("1000.00"), "510100": Decimal("1333.33")}
DIVISIONS = ["440106", "440103", "510104", "110101"]  # 110101 has no line


def _money(x) -> Decimal:
    return Decimal(x).quantize(Decimal("0.01"))


def build_world(org, rng: random.Random):
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=LINES["440100"],
                                 effective_from=dt.date(2025, 7, 1), source="test")
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=Decimal("900"),
                                 effective_from=dt.date(2027, 1, 1), source="test (future: not in force)")
    LocalStandard.objects.create(division_id="440100", kind="minimum_wage", amount=Decimal("2300.00"),
                                 effective_from=dt.date(2025, 7, 1), source="test")
    LocalStandard.objects.create(division_id="510100", kind="living_line", amount=LINES["510100"],
                                 effective_from=dt.date(2026, 1, 1), source="test")
    LocalStandard.objects.create(division_id="510000", kind="minimum_wage", amount=Decimal("2100.00"),
                                 effective_from=dt.date(2026, 1, 1), source="test")
    ClassificationPolicy.objects.create(division_id="510000", scheme="B", effective_from=dt.date(2025, 1, 1),
                                        source="test")
    months = month_starts(ON, 13)  # one month before the window too: must be ignored
    households = [
        Household(org=org, archive_number=f"R{i:07d}", archive_level=4, state="active",
                  division_id=rng.choice(DIVISIONS),
                  on_minimum_living_roster=rng.random() < 0.05,
                  below_line_after_government_aid=rng.random() < 0.03,
                  is_migrant_worker=rng.random() < 0.1)
        for i in range(N)
    ]
    Household.objects.bulk_create(households)
    members, incomes, expenses, assets, causes = [], [], [], [], []
    serial = 0
    for h in households:
        size = rng.choice([1, 1, 2, 3, 4]) if rng.random() > 0.01 else 0
        line = LINES.get("440100" if h.division_id.startswith("44") else "510100")
        hm = []
        for k in range(size):
            serial += 1
            edge = rng.choice([None, None, 15, 16, 60, 61])
            if edge is None:
                birth = dt.date(rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28))
            else:  # exactly `edge` years old on the evaluation date, or one day short of it
                birth = dt.date(ON.year - edge, ON.month, ON.day) + dt.timedelta(days=rng.choice([0, 1]))
            m = Member(household=h, is_head=(k == 0), relation="self" if k == 0 else "child", name="测试",
                       sex="M", birth_date=birth,
                       work_status=rng.choice(["employed", "unemployed", "laid_off", "retired", "none", ""]),
                       able_to_work=rng.random() > 0.15, is_student=rng.random() < 0.15,
                       evidence_of_no_income=rng.random() < 0.1, is_union_member=rng.random() > 0.1,
                       lives_in_city=rng.random() > 0.1,
                       labour_relation_since=rng.choice([None, dt.date(2020, 1, 1), dt.date(2025, 10, 31),
                                                         dt.date(2025, 11, 1)]))
            m.set_identity(synthetic_resident_id("440106", birth, serial % 1000))
            m.identity_hash = f"{m.identity_hash[:50]}{serial:014d}"
            hm.append(m)
        members += hm
        if hm:
            target = line * size * Decimal(rng.choice(["0.5", "1", "1.5", "2", "3", "0.8", "1.2"]))
            target += rng.choice([Decimal("0"), Decimal("0.01"), Decimal("-0.01"),
                                  _money(rng.uniform(-300, 300))])
            pattern = rng.choice(["flat", "flat", "gaps", "split", "recent_drop"])
            for mi, month in enumerate(months):
                if pattern == "gaps" and rng.random() < 0.3:
                    continue
                amount = max(target, Decimal(0))
                if pattern == "recent_drop":
                    amount = amount * (Decimal("0.5") if mi >= 13 - rng.choice([5, 6, 7]) else Decimal("1.4"))
                earners = hm if pattern == "split" else hm[:1]
                for m in earners:
                    incomes.append(MonthlyIncome(
                        household=h, member=m, month=month, amount=_money(amount / len(earners)),
                        income_type=rng.choice(["wage", "wage", "pension", "basic_pension", "union_relief"])))
        for group, kinds in (("rigid", ["medical", "education"]), ("accident", ["accident", "disaster"]),
                             ("offset", ["insurance", "aid"])):
            for _ in range(rng.choice([0, 0, 1, 2])):
                expenses.append(Expense(
                    household=h, group=group, kind=rng.choice(kinds),
                    amount=_money(rng.choice([line * 3, line * 6, line * 40 * max(size, 1),
                                              Decimal(rng.uniform(0, 30000))])),
                    incurred_on=ON - dt.timedelta(days=rng.randint(-20, 400))))
        if rng.random() > 0.05:
            assets.append(AssetDeclaration(
                household=h, residential_homes=rng.choice([0, 1, 1, 1, 2]),
                non_residential_property=rng.random() < 0.03, business_with_employees=rng.random() < 0.03,
                high_fee_private_school=rng.random() < 0.02, studying_abroad_own_cost=rng.random() < 0.02,
                motor_vehicle=rng.random() < 0.05,
                savings=_money(rng.choice([0, line * 24 * max(size, 1), line * 24 * max(size, 1) + Decimal("0.01"),
                                           rng.uniform(0, 50000)])),
                net_investment_assets=_money(rng.choice([0, 0, rng.uniform(0, 20000)]))))
        codes = rng.sample(["1", "2", "3", "6", "7", "8", "9", "10", "11", "12"], rng.choice([1, 1, 2, 3]))
        causes += [HouseholdCause(household=h, code=c, is_main=(i == 0)) for i, c in enumerate(codes)]
    Member.objects.bulk_create(members)
    MonthlyIncome.objects.bulk_create(incomes)
    Expense.objects.bulk_create(expenses)
    AssetDeclaration.objects.bulk_create(assets)
    HouseholdCause.objects.bulk_create(causes)
    return households


@pytest.mark.django_db
def test_single_and_bulk_paths_agree(tree):
    rng = random.Random(20261031)
    build_world(tree.grassroots, rng)
    queryset = Household.objects.filter(archive_number__startswith="R")
    bulk = categories(queryset, ON)
    single = {h.pk: classify(h, ON).category for h in queryset}
    assert len(single) == N
    mismatches = {pk: (single[pk], bulk.get(pk)) for pk in single if single[pk] != bulk.get(pk)}
    assert not mismatches, list(mismatches.items())[:10]
    # The random world really exercises every outcome.
    seen = set(single.values())
    assert {"A_dibao", "A_marginal", "A_accident", "B_deep", "B_relative", "B_accident", "none", ""} <= seen, seen
