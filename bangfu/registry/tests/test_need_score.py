"""The need score (bangfu/registry/need_score.py): weights as data with an effective date, each part of the
breakdown by hand, the health parts shown to counsellors only.

The household of every test, evaluated on 2026-10-31 with L = 1,000.00 (广州市) and W = 2,000.00:
  head      born 1980-05-17, employed, wage 2,400.00 × 12 months, health: cancer (a serious disease)
  grandpa   born 1960-01-01 (66: a dependant), diabetes (not serious), physical disability grade 2
  child     born 2012-06-01 (14: a dependant), student
  teen      born 2010-10-31 (16 that very day: not a dependant), student
Size 4, income 28,800.00, per-capita 600.00; the urgent-care flag is set.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from bangfu.accounts.roles import Role
from bangfu.core.identity import synthetic_resident_id
from bangfu.orgs.models import LocalStandard
from bangfu.registry import need_score
from bangfu.registry.classification import refresh
from bangfu.registry.models import Household, Member, NeedScoreWeights
from bangfu.registry.tests.factories import make_household

ON = dt.date(2026, 10, 31)


@pytest.fixture
def household(tree):
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=Decimal("1000.00"),
                                 effective_from=dt.date(2025, 7, 1), source="test")
    LocalStandard.objects.create(division_id="440100", kind="minimum_wage", amount=Decimal("2000.00"),
                                 effective_from=dt.date(2025, 7, 1), source="test")
    h = make_household(tree.grassroots, monthly_wage=Decimal("2400.00"), as_of=ON, urgent_care=True)
    Member.objects.filter(household=h, is_head=True).update(health="cancer")
    for i, (birth, extra) in enumerate([
        (dt.date(1960, 1, 1), {"health": "diabetes", "disability_type": "physical", "disability_grade": 2,
                               "work_status": "retired"}),
        (dt.date(2012, 6, 1), {"is_student": True}),
        (dt.date(2010, 10, 31), {"is_student": True}),
    ]):
        m = Member(household=h, relation="other", name=f"家人{i}", sex="F", birth_date=birth, **extra)
        m.set_identity(synthetic_resident_id("440106", birth, 200 + 2 * i))
        m.save()
    return h


def breakdown_on(h, on=ON):
    refresh(h, on)
    h = Household.objects.get(pk=h.pk)
    return h.need_score, h.need_score_breakdown


def test_default_weights_each_part_by_hand(household):
    score, b = breakdown_on(household)
    # income gap: (1,000 − 600) / 1,000 = 0.4 of the line = 4 tenths × 5 points = 20.00 (cap 40)
    assert b["parts"]["income_gap"] == "20.00"
    assert b["parts"]["dependants"] == "10.00"      # grandpa 66 + child 14 = 2 × 5; the teen is 16
    assert b["parts"]["serious_illness"] == "10.00"  # head's cancer 1 × 10; diabetes is not serious
    assert b["parts"]["disability"] == "8.00"        # grandpa 1 × 8
    assert b["parts"]["students"] == "8.00"          # child + teen 2 × 4
    assert b["parts"]["urgent_care"] == "15.00"
    assert b["counts"] == {"dependants": 2, "serious_illness": 1, "disability": 1, "students": 2}
    assert score == Decimal("71.00")                 # 20 + 10 + 10 + 8 + 8 + 15
    assert b["total"] == "71.00"
    assert b["weights_effective_from"] == ""         # no weights row: the built-in defaults


def test_weights_are_data_with_an_effective_date(household):
    NeedScoreWeights.objects.create(
        effective_from=dt.date(2026, 1, 1), income_gap=Decimal("7"), income_gap_cap=Decimal("25"),
        dependant=Decimal("3"), serious_illness=Decimal("20"), disability=Decimal("6"), student=Decimal("1.5"),
        urgent_care=Decimal("0"), source="test",
    )
    # A later row is not in force yet on 2026-10-31.
    NeedScoreWeights.objects.create(effective_from=dt.date(2026, 11, 1), income_gap=Decimal("100"), source="test")
    score, b = breakdown_on(household)
    assert b["weights_effective_from"] == "2026-01-01"
    assert b["parts"]["income_gap"] == "25.00"       # 4 tenths × 7 = 28, capped at 25
    assert b["parts"]["dependants"] == "6.00"        # 2 × 3
    assert b["parts"]["serious_illness"] == "20.00"  # 1 × 20
    assert b["parts"]["disability"] == "6.00"        # 1 × 6
    assert b["parts"]["students"] == "3.00"          # 2 × 1.5
    assert b["parts"]["urgent_care"] == "0.00"
    assert score == Decimal("60.00")                 # 25 + 6 + 20 + 6 + 3 + 0

    weights, since = need_score.weights_in_force(dt.date(2026, 11, 1))
    assert since == "2026-11-01" and weights["income_gap"] == Decimal("100")
    weights, since = need_score.weights_in_force(dt.date(2025, 12, 31))
    assert since == "" and weights == need_score.DEFAULT_WEIGHTS


def test_changing_the_weights_changes_the_stored_score(household):
    score, _b = breakdown_on(household)
    assert score == Decimal("71.00")
    NeedScoreWeights.objects.create(effective_from=dt.date(2026, 10, 1), urgent_care=Decimal("30"), source="test")
    score, b = breakdown_on(household)
    # Only urgent care differs from the defaults: 71 − 15 + 30.
    assert b["parts"]["urgent_care"] == "30.00"
    assert score == Decimal("86.00")


def test_no_gap_points_above_the_line(household):
    household.incomes.update(amount=Decimal("4000.00"))  # 48,000 / 48 = 1,000.00 = L: no gap
    _score, b = breakdown_on(household)
    assert b["parts"]["income_gap"] == "0.00"


# --- who sees the health parts: through the archive page -------------------------------------------------


def parts_shown(html: str) -> set[str]:
    return set(re.findall(r'data-part="([a-z_]+)"', html))


def test_health_parts_for_counsellors_only(household, tree, grassroots_cadre, client):
    refresh(household, ON)
    url = f"/households/{household.pk}/"

    client.force_login(grassroots_cadre)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="need-score">71.00<' in html
    assert parts_shown(html) == {"income_gap", "dependants", "students", "urgent_care"}
    assert "visible to counsellors only" in html

    counsellor = tree.user("e2_counsellor", tree.grassroots, Role.COUNSELLOR)
    client.force_login(counsellor)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert parts_shown(html) == {"income_gap", "dependants", "students", "urgent_care", "serious_illness",
                                 "disability"}
    assert "visible to counsellors only" not in html
    assert "Serious illness" in html and "Disability" in html


def test_visible_breakdown_hides_health_parts(household, tree, grassroots_cadre):
    _score, b = breakdown_on(household)
    parts, hidden = need_score.visible_breakdown(grassroots_cadre, b)
    assert hidden and set(parts) == {"income_gap", "dependants", "students", "urgent_care"}
    counsellor = tree.user("e2_counsellor2", tree.grassroots, Role.COUNSELLOR)
    parts, hidden = need_score.visible_breakdown(counsellor, b)
    assert not hidden and set(parts) == set(b["parts"])
