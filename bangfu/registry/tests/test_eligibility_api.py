"""POST /api/v1/eligibility-check: household facts in, category and explanation out, nothing saved.

Parameters of every test: the line L = 1,100.00 yuan (广州市, from 2025-07-01; 天河区 440106 falls back to it),
minimum wage W = 2,300.00 yuan, evaluation date 2026-10-31, so the income window is 2025-11 … 2026-10.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry, ChangeLogEntry
from bangfu.core.identity import synthetic_resident_id
from bangfu.orgs.models import LocalStandard
from bangfu.registry.classification import classify
from bangfu.registry.models import (
    AssetDeclaration,
    Classification,
    ClassificationPolicy,
    Expense,
    Household,
    HouseholdCause,
    Member,
    MonthlyIncome,
    TimelineEvent,
)
from bangfu.registry.tests.factories import make_household, month_starts

URL = "/api/v1/eligibility-check"
ON = dt.date(2026, 10, 31)
WINDOW = month_starts(ON, 12)  # 2025-11 … 2026-10


@pytest.fixture
def lines(tree):
    LocalStandard.objects.create(division_id="440100", kind="living_line", amount=Decimal("1100.00"),
                                 effective_from=dt.date(2025, 7, 1), source="test")
    LocalStandard.objects.create(division_id="440100", kind="minimum_wage", amount=Decimal("2300.00"),
                                 effective_from=dt.date(2025, 7, 1), source="test")
    return tree


def client_for(user, language=None):
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    client.credentials(**headers)
    return client


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def monthly(member, amount, income_type="wage", months=WINDOW):
    return [{"member": member, "month": f"{m:%Y-%m}", "income_type": income_type, "amount": amount} for m in months]


def base_body():
    """Head (44, employed) earns 1,000.00 every month; spouse (41, unemployed, able-bodied, no evidence)
    receives only the basic residents' pension, which does not count; a child at school. Medical costs
    3,600.00 in the window. Main cause 3 (laid off), secondary 6 (serious disease)."""
    return {
        "division": "440106",
        "on": ON.isoformat(),
        "members": [
            {"birth_date": "1982-03-01", "work_status": "employed"},
            {"birth_date": "1985-03-01", "work_status": "unemployed"},
            {"birth_date": "2012-09-01", "is_student": True},
        ],
        "incomes": (
            monthly(0, "1000.00")
            + monthly(1, "500.00", "basic_pension")
            # outside the window: must be ignored
            + [{"member": 0, "month": "2025-10", "income_type": "wage", "amount": "99999.00"}]
        ),
        "expenses": [
            {"kind": "medical", "date": "2026-03-15", "amount": "3600.00"},
            {"kind": "medical", "date": "2025-10-31", "amount": "50000.00"},  # before the window
        ],
        "main_cause": "3",
        "secondary_causes": ["6"],
    }


# --- the answer, computed by hand from DOMAIN.md §1 -------------------------------------------------------


def test_marginal_household_by_hand(lines, grassroots_cadre):
    # Counted income: head 12 × 1,000.00 = 12,000.00; the pension does not count. The spouse is 41,
    # able-bodied, not a student, unemployed (no_job) without evidence: W = 2,300.00 is imputed for each
    # of the 12 months without counted income = 27,600.00. Total 39,600.00; size 3;
    # pci = 39,600 / 12 / 3 = 1,100.00 = L: not below L (no 低保), within [L, 1.5·L = 1,650.00];
    # net of rigid (39,600 − 3,600) / 36 = 1,000.00 ≤ L; cause 3 qualifies → 低保边缘户.
    # The accident test passes too (secondary cause 6 is a serious disease; pci ≤ 3·L and
    # (39,600 − 0 accident costs) / 36 = 1,100.00 ≤ L), but the marginal test comes first in the order.
    response = post(client_for(grassroots_cadre, "en"), base_body())
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["category"] == "A_marginal"
    assert data["common_level"] == "relative"
    assert data["scheme"] == "A"
    assert data["formula_version"] == "A-2026.1"
    assert data["status"] == "eligible"
    assert data["evaluated_on"] == "2026-10-31"
    figures = data["explanation"]["figures"]
    assert figures["annual_income"] == "39600.00"
    assert figures["imputed_income"] == "27600.00"
    assert figures["per_capita_income"] == "1100.00"
    assert figures["per_capita_net_of_rigid"] == "1000.00"
    assert figures["rigid_expenses"] == "3600.00"
    params = data["explanation"]["parameters"]
    assert params["line"] == "1100.00" and params["line_effective_from"] == "2025-07-01"
    assert params["line_division"] == "440100"
    tests = {t["key"]: t["passed"] for t in data["explanation"]["tests"]}
    assert tests == {"A_dibao": False, "A_marginal": True, "A_accident": True}
    text = " ".join(data["reasons"])
    assert "1,100.00" in text and "1,000.00" in text and "2025-07-01" in text


def test_evidence_of_no_income_stops_imputation(lines, grassroots_cadre):
    # With evidence the spouse is imputed nothing: 12,000.00 / 36 = 333.33 < L, and in each of the last
    # 6 months the household had 1,000.00 < 3 × 1,100.00 = 3,300.00 → 低保户.
    body = base_body()
    body["members"][1]["evidence_of_no_income"] = True
    data = post(client_for(grassroots_cadre), body).json()
    assert data["category"] == "A_dibao"
    assert data["common_level"] == "deep"
    assert data["explanation"]["figures"]["imputed_income"] == "0.00"
    assert data["explanation"]["inputs"]["below_months"] == 6


def test_default_date_is_today_and_no_line_is_explained(tree, grassroots_cadre):
    # No line at all in the database: "cannot classify", explained, not an error.
    body = base_body()
    del body["on"]
    response = post(client_for(grassroots_cadre, "en"), body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["category"] == "" and data["status"] == "no_line"
    assert data["evaluated_on"] == dt.date.today().isoformat()
    assert any("no minimum-living line" in line for line in data["reasons"])


def test_saves_nothing(lines, grassroots_cadre):
    models = [Household, Member, MonthlyIncome, Expense, AssetDeclaration, HouseholdCause, Classification,
              TimelineEvent, ChangeLogEntry, AccessLogEntry]
    make_household(lines.grassroots, monthly_wage=Decimal("900"), as_of=ON)
    before = {m.__name__: m.objects.count() for m in models}
    client = client_for(grassroots_cadre)
    assert post(client, base_body()).status_code == 200
    bad = base_body()
    bad["incomes"][0]["amount"] = "-1.00"
    assert post(client, bad).status_code == 400
    assert {m.__name__: m.objects.count() for m in models} == before


# --- the same answer as a stored household -----------------------------------------------------------------


def store(body, org) -> Household:
    """The household of `body` as an archive (written with the models, as the entry pages would)."""
    head_body = body["members"][0]
    flags = {k: body[k] for k in ("on_minimum_living_roster", "below_line_after_government_aid",
                                  "is_migrant_worker") if k in body}
    household = make_household(org, monthly_wage=Decimal("0"), main_cause=body["main_cause"],
                               secondary=body.get("secondary_causes", ()),
                               birth=dt.date.fromisoformat(head_body["birth_date"]), **flags)
    members = [household.members.get(is_head=True)]
    for i, m in enumerate(body["members"][1:], start=1):
        birth = dt.date.fromisoformat(m["birth_date"])
        member = Member(household=household, relation="other", name=f"成员{i}", sex="F", birth_date=birth)
        member.set_identity(synthetic_resident_id("440106", birth, 100 + 2 * i + household.pk % 300))
        members.append(member)
    for member, m in zip(members, body["members"], strict=True):
        member.work_status = m.get("work_status", "")
        member.able_to_work = m.get("able_to_work", True)
        member.is_student = m.get("is_student", False)
        member.evidence_of_no_income = m.get("evidence_of_no_income", False)
        if member.is_head:
            member.is_union_member = body.get("union_member", True)
            member.lives_in_city = body.get("lives_in_city", True)
            since = body.get("labour_relation_since")
            member.labour_relation_since = dt.date.fromisoformat(since) if since else None
        member.save()
    for row in body.get("incomes", []):
        year, month = map(int, row["month"].split("-"))
        MonthlyIncome.objects.create(household=household, member=members[row["member"]],
                                     month=dt.date(year, month, 1), income_type=row["income_type"],
                                     amount=Decimal(row["amount"]))
    groups = {"medical": "rigid", "education": "rigid", "disaster": "accident", "accident": "accident",
              "insurance": "offset", "compensation": "offset"}
    for row in body.get("expenses", []):
        Expense.objects.create(household=household, group=row.get("group") or groups[row["kind"]],
                               kind=row.get("kind", ""), incurred_on=dt.date.fromisoformat(row["date"]),
                               amount=Decimal(row["amount"]))
    if body.get("assets"):
        AssetDeclaration.objects.filter(household=household).update(**body["assets"])
    return household


def variant(name):
    body = base_body()
    if name == "evidence":
        body["members"][1]["evidence_of_no_income"] = True
    elif name == "student_spouse":  # a student is not imputed
        body["members"][1]["is_student"] = True
    elif name == "accident":
        body["main_cause"], body["secondary_causes"] = "8", []
        body["incomes"] = monthly(0, "3000.00")
        body["expenses"] = [{"kind": "accident", "date": "2026-05-01", "amount": "90000.00"},
                            {"kind": "insurance", "date": "2026-06-01", "amount": "1000.00"}]
    elif name == "vehicle":
        body["assets"] = {"motor_vehicle": True, "savings": "1000.00"}
    elif name == "migrant_short_labour":
        body.update(is_migrant_worker=True, labour_relation_since="2026-01-01")
    elif name == "migrant_ok":
        body.update(is_migrant_worker=True, labour_relation_since="2025-10-31")
    elif name == "roster":
        body["incomes"] = monthly(0, "9000.00")
        body["on_minimum_living_roster"] = True
    return body


@pytest.mark.parametrize("name", ["base", "evidence", "student_spouse", "accident", "vehicle",
                                  "migrant_short_labour", "migrant_ok", "roster"])
@pytest.mark.parametrize("scheme", ["A", "B"])
def test_same_answer_as_a_stored_household(lines, grassroots_cadre, name, scheme):
    if scheme == "B":
        ClassificationPolicy.objects.create(division_id="440100", scheme="B", effective_from=dt.date(2025, 1, 1),
                                            source="test")
    body = variant(name)
    response = post(client_for(grassroots_cadre), body)
    assert response.status_code == 200, response.content
    household = store(body, lines.grassroots)
    stored = classify(household, ON)
    data = response.json()
    assert data["category"] == stored.category
    assert data["formula_version"] == stored.formula_version
    # The whole explanation (inputs, parameters, every test with its numbers) is the same.
    assert data["explanation"] == json.loads(json.dumps(stored.explanation))


def test_variants_by_hand(lines, grassroots_cadre):
    client = client_for(grassroots_cadre)
    # Student spouse: no imputation → 12,000 / 36 = 333.33 < L, 6 months below → 低保户.
    assert post(client, variant("student_spouse")).json()["category"] == "A_dibao"
    # Vehicle → excluded whatever the income.
    data = post(client, variant("vehicle")).json()
    assert data["category"] == "none" and data["explanation"]["exclusion_reasons"] == ["motor_vehicle"]
    # Migrant since 2026-01-01: under one year on 2026-10-31 → excluded; since 2025-10-31 (exactly a year) → not.
    data = post(client, variant("migrant_short_labour")).json()
    assert data["explanation"]["exclusion_reasons"] == ["migrant_labour_under_one_year"]
    assert post(client, variant("migrant_ok")).json()["category"] == "A_marginal"
    # Accident, Standard A: income 36,000 + imputed 27,600 = 63,600; pci 1,766.67 ≤ 3·L = 3,300:
    # (63,600 − 90,000) / 36 < L → 意外致困户 (dibao fails: pci > L; marginal fails: pci > 1.5·L).
    assert post(client, variant("accident")).json()["category"] == "A_accident"


# --- refused and invalid input -------------------------------------------------------------------------


@pytest.mark.parametrize("mutate, field", [
    (lambda b: b["incomes"][0].update(amount="-0.01"), "incomes.0.amount"),
    (lambda b: b["expenses"][0].update(amount="-5"), "expenses.0.amount"),
    (lambda b: b.update(secondary_causes=["6", "7", "8", "9"]), "secondary_causes"),
    (lambda b: b.update(secondary_causes=["3"]), "secondary_causes"),  # repeats the main cause
    (lambda b: b["incomes"][2].update(month="2026-13"), "incomes.2.month"),
    (lambda b: b["incomes"][2].update(month="2026-1"), "incomes.2.month"),
    (lambda b: b["incomes"][0].update(income_type="salary"), "incomes.0.income_type"),
    (lambda b: b["incomes"][0].update(member=3), "incomes.0.member"),
    (lambda b: b["members"][1].update(work_status="astronaut"), "members.1.work_status"),
    (lambda b: b["members"][2].update(birth_date="2027-01-01"), "members.2.birth_date"),
    (lambda b: b["expenses"][0].update(kind="holiday"), "expenses.0.kind"),
    (lambda b: b["expenses"][0].update(group="accident"), "expenses.0.group"),  # medical is rigid
    (lambda b: b.update(main_cause="99"), "main_cause"),
    (lambda b: b.update(division="449999"), "division"),
    (lambda b: b.update(members=[]), "members"),
    (lambda b: b.update(on="0001-01-01"), "on"),
    (lambda b: b["incomes"].append(dict(b["incomes"][0])), "incomes.25"),  # same member, month, type
])
def test_bad_input_is_a_field_error(lines, grassroots_cadre, mutate, field):
    body = copy.deepcopy(base_body())
    mutate(body)
    response = post(client_for(grassroots_cadre, "en"), body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["status"] == 400 and data["detail"]
    assert field in data["fields"], data["fields"]


def test_errors_in_the_users_language(lines, grassroots_cadre):
    body = base_body()
    body["division"] = "449999"
    zh = post(client_for(grassroots_cadre), body).json()  # simplified Chinese by default
    en = post(client_for(grassroots_cadre, "en"), body).json()
    assert en["fields"]["division"] == ["Unknown division code “449999”."]
    assert en["detail"] != zh["detail"]  # the body's message is translated


def test_staff_only(lines, grassroots_cadre, worker_user, provider_user, tree):
    assert post(APIClient(), base_body()).status_code in (401, 403)
    assert post(client_for(worker_user), base_body()).status_code == 404
    assert post(client_for(provider_user), base_body()).status_code == 404
    helper = tree.user("e2_helper", tree.grassroots, Role.HELPER)
    assert post(client_for(helper), base_body()).status_code == 404  # may not see classifications
    assert post(client_for(grassroots_cadre), base_body()).status_code == 200
    assert client_for(grassroots_cadre).get(URL).status_code == 405
