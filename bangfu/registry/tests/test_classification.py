"""Table-driven tests of the classification rules (DOMAIN.md §1). Expected categories follow from the
rule by hand in each row's comment: L = 1,000.00 (广州市, from 2025-07-01), minimum wage W = 2,000.00,
evaluation date 2026-10-31, so the window is 2025-11 … 2026-10 and a yearly line for one person is 12,000."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.orgs.models import LocalStandard
from bangfu.registry.classification import classify, refresh
from bangfu.registry.classification.bulk import categories
from bangfu.registry.models import (
    AssetDeclaration,
    Classification,
    ClassificationPolicy,
    Household,
    Member,
    MonthlyIncome,
    TimelineEvent,
)
from bangfu.registry.tests.factories import add_expense, make_household, month_starts

ON = dt.date(2026, 10, 31)
MONTHS = month_starts(ON, 12)


@pytest.fixture
def lines(tree):
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=Decimal("1000.00"),
                                 effective_from=dt.date(2025, 7, 1), source="test")
    LocalStandard.objects.create(division_id="440100", kind="minimum_wage", amount=Decimal("2000.00"),
                                 effective_from=dt.date(2025, 7, 1), source="test")
    return tree


def scheme_b():
    ClassificationPolicy.objects.create(division_id="440100", scheme="B", effective_from=dt.date(2025, 1, 1),
                                        source="test")


def hh(tree, wage="0", **kw):
    return make_household(tree.grassroots, monthly_wage=Decimal(wage), as_of=ON, **kw)


def set_assets(h, **fields):
    AssetDeclaration.objects.filter(household=h).update(**fields)


def incomes(h, amounts, income_type="wage"):
    head = h.members.get(is_head=True)
    MonthlyIncome.objects.filter(household=h).delete()
    for month, amount in zip(MONTHS, amounts, strict=True):
        MonthlyIncome.objects.create(household=h, member=head, month=month, income_type=income_type,
                                     amount=Decimal(amount))


def check(h, expected):
    result = classify(h, ON)
    assert result.category == expected, result.explanation
    bulk = categories(Household.objects.filter(pk=h.pk), ON)
    assert bulk[h.pk] == expected
    return result


# --- Standard A -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wage, rigid, expected", [
    ("999.99", None, "A_dibao"),        # pci 999.99 < L, every month below
    ("1000.00", None, "A_marginal"),    # pci = L: not < L; L ≤ pci ≤ 1.5L, net 1000 ≤ L, cause 3 (layoff)
    ("1500.00", None, "none"),          # in the band but net of rigid 1500 > L
    ("1500.00", "6000.00", "A_marginal"),  # (18000 − 6000)/12 = 1000 ≤ L
    ("1500.00", "5999.99", "none"),     # (18000 − 5999.99)/12 = 1000.0008 > L
    ("1500.01", "10000.00", "none"),    # pci 1500.01 > 1.5L
])
def test_standard_a_income_bands(lines, wage, rigid, expected):
    h = hh(lines, wage)
    if rigid:
        add_expense(h, "rigid", "medical", rigid)
    check(h, expected)


def test_marginal_needs_a_marginal_cause(lines):
    # pci = L, but the only cause is 10 "other": no marginal cause → not eligible.
    check(hh(lines, "1000.00", main_cause="10"), "none")


def test_six_consecutive_months_below_line(lines):
    h = hh(lines)
    incomes(h, ["1400"] * 6 + ["500"] * 6)  # total 11,400 < 12,000 and the last 6 months below L
    check(h, "A_dibao")


def test_five_consecutive_months_are_not_enough(lines):
    h = hh(lines)
    # total 10,900 < 12,000 but the 6th month from the end is exactly L (not below): only 5 months below.
    incomes(h, ["900"] * 6 + ["1000"] + ["900"] * 5)
    r = check(h, "none")  # marginal fails too: pci 908.33 < L
    assert r.explanation["inputs"]["below_months"] == 5


@pytest.mark.parametrize("flag", ["on_minimum_living_roster", "below_line_after_government_aid"])
def test_roster_and_after_aid_make_dibao(lines, flag):
    check(hh(lines, "5000", **{flag: True}), "A_dibao")


@pytest.mark.parametrize("wage, acc, savings, expected", [
    ("2500.00", "18000.00", "0", "A_accident"),     # pci ≤ 3L: (30000 − 18000)/12 = 1000 ≤ L
    ("2500.00", "17999.99", "0", "none"),           # 1000.0008 > L
    ("3000.00", "24000.00", "20000", "A_accident"),  # pci = 3L: first branch, assets ignored: 12000/12 = L
    ("3000.01", "25000.12", "1000", "A_accident"),  # pci > 3L: (36000.12 + 1000 − 25000.12)/12 = 1000 ≤ L
    ("3000.01", "25000.11", "1000", "none"),        # 1000.0008 > L
])
def test_accident_standard_a(lines, wage, acc, savings, expected):
    h = hh(lines, wage, main_cause="8")
    add_expense(h, "accident", "accident", acc)
    set_assets(h, savings=Decimal(savings))
    check(h, expected)


# --- exclusions and migrants ------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, reason", [
    ({"residential_homes": 2}, "two_homes"),
    ({"non_residential_property": True}, "non_residential_property"),
    ({"business_with_employees": True}, "business_with_employees"),
    ({"high_fee_private_school": True}, "high_fee_private_school"),
    ({"studying_abroad_own_cost": True}, "studying_abroad_own_cost"),
    ({"motor_vehicle": True}, "motor_vehicle"),
    ({"savings": Decimal("24000.01")}, "financial_assets"),  # > 24 × L per person (size 1)
])
def test_each_exclusion(lines, fields, reason):
    h = hh(lines, "500", on_minimum_living_roster=True)
    set_assets(h, **fields)
    r = check(h, "none")
    assert r.explanation["exclusion_reasons"] == [reason]


def test_assets_at_exactly_24_lines_do_not_exclude(lines):
    h = hh(lines, "500", size=2)
    set_assets(h, savings=Decimal("40000"), net_investment_assets=Decimal("8000"))  # 48,000 / 2 = 24 × L
    check(h, "A_dibao")


def test_one_home_does_not_exclude(lines):
    h = hh(lines, "500")
    set_assets(h, residential_homes=1)
    check(h, "A_dibao")


@pytest.mark.parametrize("head_fields, expected", [
    ({"labour_relation_since": dt.date(2025, 10, 31)}, "A_dibao"),  # exactly one year on 2026-10-31
    ({"labour_relation_since": dt.date(2025, 11, 1)}, "none"),      # one day short
    ({"labour_relation_since": None}, "none"),
    ({"labour_relation_since": dt.date(2020, 1, 1), "is_union_member": False}, "none"),
    ({"labour_relation_since": dt.date(2020, 1, 1), "lives_in_city": False}, "none"),
])
def test_migrant_conditions(lines, head_fields, expected):
    h = hh(lines, "500", is_migrant_worker=True)
    Member.objects.filter(household=h, is_head=True).update(**head_fields)
    check(h, expected)


def test_migrant_conditions_only_for_migrants(lines):
    h = hh(lines, "500")
    Member.objects.filter(household=h, is_head=True).update(is_union_member=False, labour_relation_since=None)
    check(h, "A_dibao")


# --- minimum-wage imputation ------------------------------------------------------------------------------

@pytest.mark.parametrize("birth, head_fields, imputed", [
    (dt.date(2010, 10, 31), {}, True),    # 16 on the evaluation date
    (dt.date(2010, 11, 1), {}, False),    # still 15
    (dt.date(1966, 10, 31), {}, True),    # 60
    (dt.date(1965, 11, 1), {}, True),     # 60 (61 tomorrow)
    (dt.date(1965, 10, 31), {}, False),   # 61
    (dt.date(1980, 1, 1), {"is_student": True}, False),
    (dt.date(1980, 1, 1), {"evidence_of_no_income": True}, False),
    (dt.date(1980, 1, 1), {"able_to_work": False}, False),
    (dt.date(1980, 1, 1), {"work_status": "retired"}, False),  # status without the no_job flag
    (dt.date(1980, 1, 1), {}, True),
])
def test_minimum_wage_imputation(lines, birth, head_fields, imputed):
    h = hh(lines, birth=birth)
    Member.objects.filter(household=h, is_head=True).update(**{"work_status": "unemployed", **head_fields})
    # Imputed: 12 × 2,000 = 24,000 → pci 2,000 > 1.5L → none. Not imputed: income 0 → 低保户.
    r = check(h, "none" if imputed else "A_dibao")
    assert r.explanation["inputs"]["imputed_income"] == (2_400_000 if imputed else 0)


def test_imputation_only_in_months_without_counted_income(lines):
    h = hh(lines)
    Member.objects.filter(household=h, is_head=True).update(work_status="unemployed")
    incomes(h, ["0"] * 6 + ["500"] * 6)
    # 6 months imputed 2,000 + 6 × 500 = 15,000 → pci 1,250: in the marginal band, net 1,250 > L → none;
    # with 3,000 rigid costs: (15,000 − 3,000)/12 = 1,000 ≤ L → marginal.
    r = check(h, "none")
    assert r.explanation["inputs"]["inc"] == 1_500_000
    add_expense(h, "rigid", "medical", "3000")
    check(h, "A_marginal")


def test_excluded_income_type_does_not_count(lines):
    h = hh(lines)
    Member.objects.filter(household=h, is_head=True).update(work_status="retired")
    incomes(h, ["5000"] * 12, income_type="basic_pension")  # does not count → income 0 → 低保户
    check(h, "A_dibao")
    incomes(h, ["5000"] * 12, income_type="pension")  # counts → pci 5,000 → none
    check(h, "none")


# --- lines in force ---------------------------------------------------------------------------------------

def test_no_line_in_force_cannot_classify(tree):
    h = hh(tree, "500")
    r = classify(h, ON)
    assert r.category == "" and r.explanation["status"] == "no_line"
    assert categories(Household.objects.filter(pk=h.pk), ON) == {h.pk: ""}


def test_line_in_force_on_the_evaluation_date_is_used(lines):
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=Decimal("1200.00"),
                                 effective_from=dt.date(2026, 7, 1), source="test")
    h = hh(lines, "1100")
    r = check(h, "A_dibao")  # 1,100 < 1,200 in force on 2026-10-31
    assert r.explanation["parameters"]["line"] == "1200.00"
    assert r.explanation["parameters"]["line_effective_from"] == "2026-07-01"
    # On 2026-06-30 the 1,000 line applies; the window 2025-07…2026-06 holds 8 months of 1,100 = 8,800:
    # pci 733.33 < L but no month below L (1,100 ≥ 1,000, the 4 empty months are old): not 低保户, not marginal.
    before = classify(h, dt.date(2026, 6, 30))
    assert before.category == "none"
    assert before.explanation["parameters"]["line"] == "1000.00"


def test_county_line_overrides_city_line(lines):
    LocalStandard.objects.create(division_id="440106", kind="living_line", amount=Decimal("800.00"),
                                 effective_from=dt.date(2025, 1, 1), source="test")
    # With the city line 1,000 a 900 income is 低保户; the county's 800 wins: 900 ≥ 800, and the marginal
    # test fails (net 900 > 800) → not eligible.
    r = check(hh(lines, "900"), "none")
    assert r.explanation["parameters"]["line_division"] == "440106"


# --- Standard B -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wage, rigid, expected", [
    ("999.99", None, "B_deep"),          # net < L
    ("1000.00", None, "B_relative"),     # net = L: not deep; < 2L
    ("1500.00", "6000.12", "B_deep"),    # (18000 − 6000.12)/12 = 999.99 < L
    ("2000.00", None, "none"),           # net = 2L: not < 2L
    ("2000.00", "0.12", "B_relative"),   # 1999.99 < 2L
])
def test_standard_b(lines, wage, rigid, expected):
    scheme_b()
    h = hh(lines, wage)
    if rigid:
        add_expense(h, "rigid", "medical", rigid)
    r = check(h, expected)
    assert r.scheme == "B" and r.formula_version == "B-2026.1"


@pytest.mark.parametrize("acc, offset, expected", [
    ("30000.00", "1200.00", "none"),         # net costs 28,800 = 80 % of 36,000: not over
    ("30000.01", "1200.00", "B_accident"),   # 28,800.01 > 28,800
])
def test_accident_standard_b(lines, acc, offset, expected):
    scheme_b()
    h = hh(lines, "3000", main_cause="7")
    add_expense(h, "accident", "disaster", acc)
    add_expense(h, "offset", "insurance", offset)
    check(h, expected)


def test_common_level_mapping(lines):
    assert classify(hh(lines, "500"), ON).common_level == "deep"
    scheme_b()
    assert classify(hh(lines, "1000"), ON).common_level == "relative"


# --- stored result ----------------------------------------------------------------------------------------

def test_refresh_stores_result_and_timeline(lines):
    h = hh(lines, "500")
    refresh(h, ON)
    h.refresh_from_db()
    assert (h.scheme, h.category, h.common_level) == ("A", "A_dibao", "deep")
    assert h.classified_at is not None and h.need_score is not None
    assert Classification.objects.filter(household=h).count() == 1
    assert TimelineEvent.objects.filter(household=h, kind="reclassified").count() == 1
    refresh(h, ON)  # same inputs: no new row, no new event
    assert Classification.objects.filter(household=h).count() == 1
    assert TimelineEvent.objects.filter(household=h, kind="reclassified").count() == 1
    incomes(h, ["5000"] * 12)
    refresh(h, ON)
    h.refresh_from_db()
    assert h.category == "none"
    assert Classification.objects.filter(household=h).count() == 2
    assert Classification.objects.filter(household=h, is_current=True).get().category == "none"
    assert TimelineEvent.objects.filter(household=h, kind="reclassified").count() == 2


def test_same_inputs_same_explanation(lines):
    h = hh(lines, "1000")
    assert classify(h, ON).explanation == classify(h, ON).explanation
    assert classify(h, ON).inputs_digest == classify(h, ON).inputs_digest
