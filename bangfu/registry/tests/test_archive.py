"""Entering and editing an archive through the pages (forms) and the write functions: household, members,
causes, incomes, expenses, assets, consents; bad input gives field-level messages and saves nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bangfu.core.identity import synthetic_resident_id
from bangfu.registry.models import (
    AssetDeclaration,
    Consent,
    Expense,
    Household,
    HouseholdCause,
    Member,
    MonthlyIncome,
    State,
    TimelineEvent,
)
from bangfu.registry.services import archive as services
from bangfu.registry.services.archive import income_months
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def zh(msgid: str) -> str:
    """A message as the default-language (simplified Chinese) user sees it."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def head_post(prefix="head", **extra):
    data = {
        f"{prefix}-name": "李四光",
        f"{prefix}-document_type": "resident_id",
        f"{prefix}-identity_number": synthetic_resident_id("440106", dt.date(1979, 3, 8), 123),
        f"{prefix}-work_status": "laid_off",
        f"{prefix}-able_to_work": "on",
        f"{prefix}-is_union_member": "on",
        f"{prefix}-lives_in_city": "on",
    }
    data.update({f"{prefix}-{k}": v for k, v in extra.items()})
    return data


def create_post(tree, **extra):
    data = {"hh-org": tree.grassroots.pk, "hh-archive_level": 4, "hh-division": "440106",
            "hh-housing_type": "rented", **head_post()}
    data.update(extra)
    return data


def counts():
    return (Household.objects.count(), Member.objects.count(), HouseholdCause.objects.count(),
            MonthlyIncome.objects.count(), Expense.objects.count(), Consent.objects.count())


# --- create -------------------------------------------------------------------------------------------


def test_create_draft_through_the_form(client, tree, grassroots_cadre):
    client.force_login(grassroots_cadre)
    response = client.post(reverse("registry:create"), create_post(tree))
    assert response.status_code == 302, response.content.decode()[:3000]
    household = Household.objects.get()
    assert response["Location"] == reverse("registry:detail", args=[household.pk])
    assert household.state == State.DRAFT
    assert household.archive_number == f"GD-GZ-TH-001-{TODAY.year}-00001"
    assert household.created_by == grassroots_cadre
    assert household.archive_level == 4
    head = household.members.get()
    assert head.is_head and head.relation == "self"
    # Sex and birth date read from the number (sequence 123 is odd: male).
    assert head.sex == "M" and head.birth_date == dt.date(1979, 3, 8)
    assert household.head_name_masked == "李**"
    assert household.head_name_initials == "lsg"
    assert head.name_initials == "lsg"
    assert head.open_identity_hash == head.identity_hash
    assert household.household_size == 1
    assert TimelineEvent.objects.filter(household=household, kind="created").exists()
    # The second archive of the same union and year gets the next number.
    other = services.household_create(grassroots_cadre, tree.grassroots, {"division": "440106"}, {
        "name": "王五", "document_type": "resident_id",
        "identity_number": synthetic_resident_id("440106", dt.date(1985, 1, 2), 456)})
    assert other.archive_number == f"GD-GZ-TH-001-{TODAY.year}-00002"


def test_archive_level_not_above_the_creating_union(client, tree, grassroots_cadre):
    client.force_login(grassroots_cadre)
    before = counts()
    response = client.post(reverse("registry:create"), create_post(tree, **{"hh-archive_level": 2}))
    assert response.status_code == 200
    assert "hh-archive_level" in response.content.decode() and counts() == before
    with pytest.raises(ValidationError) as error:
        services.household_create(grassroots_cadre, tree.grassroots, {"division": "440106", "archive_level": 1},
                                  {"name": "王五", "identity_number": synthetic_resident_id(
                                      "440106", dt.date(1985, 1, 2), 456)})
    assert "archive_level" in error.value.message_dict
    assert counts() == before


@pytest.mark.parametrize(
    ("number", "message"),
    [
        # A wrong check character: the last character of a valid number changed.
        ("check", "The check character of the ID number is wrong."),
        # An impossible birth date (February 30th) with a correct check character for it.
        ("date", "The birth date in the ID number is not a real date."),
    ],
)
def test_invalid_identity_numbers_are_refused_with_a_field_message(client, tree, grassroots_cadre, number,
                                                                   message):
    from bangfu.core.identity import check_character

    valid = synthetic_resident_id("440106", dt.date(1979, 3, 8), 123)
    if number == "check":
        bad = valid[:17] + ("0" if valid[17] != "0" else "1")
    else:
        first17 = "440106" + "19790230" + "123"
        bad = first17 + check_character(first17)
    client.force_login(grassroots_cadre)
    before = counts()
    response = client.post(reverse("registry:create"), create_post(tree, **{"head-identity_number": bad}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="error-identity_number"' in body
    assert zh(message) in body  # in the user's language (simplified Chinese by default)
    assert counts() == before


def test_missing_division_and_name_are_field_errors(client, tree, grassroots_cadre):
    client.force_login(grassroots_cadre)
    before = counts()
    response = client.post(reverse("registry:create"), create_post(tree, **{"hh-division": "999999",
                                                                           "head-name": ""}))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-division"' in body and 'data-testid="error-name"' in body
    assert counts() == before


def test_future_birth_date_refused(tree, grassroots_cadre):
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.household_create(grassroots_cadre, tree.grassroots, {"division": "440106"}, {
            "name": "赵六", "document_type": "birth_cert", "identity_number": "A123456789", "sex": "F",
            "birth_date": TODAY + dt.timedelta(days=3)})
    assert "birth_date" in error.value.message_dict
    assert counts() == before


# --- members ------------------------------------------------------------------------------------------


def test_add_edit_remove_member_keeps_size_and_initials(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    client.force_login(grassroots_cadre)
    child_id = synthetic_resident_id("440106", dt.date(2016, 9, 1), 222)
    response = client.post(reverse("registry:member_add", args=[household.pk]), {
        "name": "张小明", "relation": "child", "document_type": "resident_id", "identity_number": child_id,
        "is_student": "on", "school_stage": "primary"})
    assert response.status_code == 302, response.content.decode()[:3000]
    household.refresh_from_db()
    assert household.household_size == 2
    child = household.members.get(is_head=False)
    assert child.name_initials == "zxm"
    assert child.sex == "F" and child.birth_date == dt.date(2016, 9, 1)
    # Edit: the head's name change updates the denormalised head columns.
    head = household.members.get(is_head=True)
    response = client.post(reverse("registry:member_edit", args=[household.pk, head.pk]), {
        "name": "欧阳修文", "document_type": head.document_type, "sex": "M", "birth_date": "1980-05-17",
        "is_union_member": "on", "lives_in_city": "on", "able_to_work": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    household.refresh_from_db()
    assert household.head_name_masked == "欧阳**" and household.head_name_initials == "oyxw"
    # The head cannot be removed.
    with pytest.raises(ValidationError):
        services.member_remove(grassroots_cadre, head)
    response = client.post(reverse("registry:member_remove", args=[household.pk, child.pk]), {"reason": "moved"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.household_size == 1 and household.members.count() == 1


def test_member_code_fields_must_be_in_the_lists(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.member_add(grassroots_cadre, household, {
            "name": "张二", "relation": "cousin", "health": "flu", "document_type": "resident_id",
            "identity_number": synthetic_resident_id("440106", dt.date(1990, 1, 1), 314)})
    assert {"relation", "health"} <= set(error.value.message_dict)
    assert counts() == before


# --- causes -------------------------------------------------------------------------------------------


def test_causes_rules(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT, main_cause="3")
    client.force_login(grassroots_cadre)
    url = reverse("registry:causes", args=[household.pk])
    before = list(household.causes.values_list("code", "is_main"))
    # Missing main cause.
    response = client.post(url, {"main": "", "secondary": ["6"]})
    assert response.status_code == 200 and 'data-testid="error-main"' in response.content.decode()
    # Four secondary causes.
    response = client.post(url, {"main": "3", "secondary": ["6", "7", "8", "9"]})
    assert response.status_code == 200 and 'data-testid="error-secondary"' in response.content.decode()
    # The main cause again as secondary.
    response = client.post(url, {"main": "3", "secondary": ["3"]})
    assert response.status_code == 200 and 'data-testid="error-secondary"' in response.content.decode()
    assert list(household.causes.values_list("code", "is_main")) == before
    # Valid: one main, three secondary.
    response = client.post(url, {"main": "6", "secondary": ["3", "9", "11"]})
    assert response.status_code == 302
    assert set(household.causes.values_list("code", "is_main")) == {
        ("6", True), ("3", False), ("9", False), ("11", False)}
    # Duplicates and unknown codes through the write function (the form cannot send them).
    with pytest.raises(ValidationError) as error:
        services.causes_set(household, "6", ["3", "3"])
    assert "secondary" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.causes_set(household, "99", [])
    assert "main" in error.value.message_dict


# --- incomes ------------------------------------------------------------------------------------------


def test_income_grid_saves_and_clears_cells(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT, size=2)
    head = household.members.get(is_head=True)
    child = household.members.get(is_head=False)
    months = income_months(count=12)
    client.force_login(grassroots_cadre)
    url = reverse("registry:incomes", args=[household.pk]) + "?type=wage"
    assert client.get(url).status_code == 200
    data = {f"m{head.pk}_{m:%Y%m}": "2100.50" for m in months}
    data[f"m{child.pk}_{months[-1]:%Y%m}"] = "80"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = MonthlyIncome.objects.filter(household=household, income_type="wage")
    assert rows.count() == 13
    assert sum(r.amount for r in rows.all()) == Decimal("2100.50") * 12 + 80
    # Clearing a cell deletes it.
    data[f"m{child.pk}_{months[-1]:%Y%m}"] = ""
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert rows.count() == 12


def test_negative_and_out_of_window_incomes_refused(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    head = household.members.get(is_head=True)
    before = MonthlyIncome.objects.count()
    client.force_login(grassroots_cadre)
    months = income_months(count=12)
    response = client.post(reverse("registry:incomes", args=[household.pk]) + "?type=wage", {
        f"m{head.pk}_{months[0]:%Y%m}": "100", f"m{head.pk}_{months[1]:%Y%m}": "-5"})
    assert response.status_code == 200
    assert f'data-testid="error-m{head.pk}_{months[1]:%Y%m}"' in response.content.decode()
    assert MonthlyIncome.objects.count() == before
    next_month = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    for month, field in [(next_month, "month"), (TODAY.replace(day=1) - dt.timedelta(days=800), "month")]:
        with pytest.raises(ValidationError) as error:
            services.incomes_set(household, [{"member": head.pk, "month": month, "income_type": "wage",
                                              "amount": "10"}])
        assert field in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.incomes_set(household, [{"member": head.pk, "month": months[0], "income_type": "wage",
                                          "amount": "-1"}])
    assert "amount" in error.value.message_dict
    assert MonthlyIncome.objects.count() == before


# --- expenses, assets ---------------------------------------------------------------------------------


def test_expense_group_comes_from_the_kind(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    client.force_login(grassroots_cadre)
    url = reverse("registry:expenses", args=[household.pk])
    response = client.post(url, {"kind": "disaster", "incurred_on": str(TODAY - dt.timedelta(days=10)),
                                 "amount": "5000"})
    assert response.status_code == 302
    expense = Expense.objects.get(household=household)
    assert expense.group == "accident"
    # Negative amount and future date: field errors, nothing saved.
    response = client.post(url, {"kind": "medical", "incurred_on": str(TODAY + dt.timedelta(days=1)),
                                 "amount": "-3"})
    body = response.content.decode()
    assert 'data-testid="error-amount"' in body
    with pytest.raises(ValidationError) as error:
        services.expense_add(household, {"kind": "medical", "incurred_on": TODAY + dt.timedelta(days=1),
                                         "amount": "3"})
    assert "incurred_on" in error.value.message_dict
    assert Expense.objects.filter(household=household).count() == 1
    response = client.post(reverse("registry:expense_remove", args=[household.pk, expense.pk]))
    assert response.status_code == 302 and not Expense.objects.filter(household=household).exists()


def test_assets(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    client.force_login(grassroots_cadre)
    url = reverse("registry:assets", args=[household.pk])
    response = client.post(url, {"residential_homes": "1", "motor_vehicle": "on", "savings": "-1",
                                 "net_investment_assets": "0"})
    assert response.status_code == 200 and 'data-testid="error-savings"' in response.content.decode()
    response = client.post(url, {"residential_homes": "1", "motor_vehicle": "on", "savings": "12000.5",
                                 "net_investment_assets": "0"})
    assert response.status_code == 302
    declaration = AssetDeclaration.objects.get(household=household)
    assert declaration.motor_vehicle and declaration.savings == Decimal("12000.50")


# --- consents -----------------------------------------------------------------------------------------


def test_consents_and_guardian_checklist(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    child = services.member_add(grassroots_cadre, household, {
        "name": "张小宝", "relation": "child", "document_type": "birth_cert", "identity_number": "B123456789",
        "sex": "M", "birth_date": TODAY - dt.timedelta(days=365 * 3)})
    missing = {(row["kind"], getattr(row["member"], "pk", None)) for row in services.missing_consents(household)
               if not row["ok"]}
    assert ("guardian", child.pk) in missing and ("economic_check", None) in missing
    client.force_login(grassroots_cadre)
    page = client.get(reverse("registry:detail", args=[household.pk])).content.decode()
    assert 'data-testid="consent-missing-guardian"' in page
    url = reverse("registry:consents", args=[household.pk])
    # Public notice needs content and place; the date cannot be in the future.
    response = client.post(url, {"kind": "public_notice", "signed_on": str(TODAY + dt.timedelta(days=2)),
                                 "signed_by_name": "张三"})
    body = response.content.decode()
    assert response.status_code == 200
    for field in ("signed_on", "notice_content", "notice_place"):
        assert f'data-testid="error-{field}"' in body
    assert Consent.objects.count() == 0
    response = client.post(url, {"kind": "guardian", "member": child.pk, "signed_on": str(TODAY),
                                 "signed_by_name": "张三"})
    assert response.status_code == 302
    response = client.post(url, {"kind": "public_notice", "signed_on": str(TODAY), "signed_by_name": "张三",
                                 "notice_content": "masked name and category", "notice_place": "community"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.notice_place == "community"
    missing = {row["kind"] for row in services.missing_consents(household) if not row["ok"]}
    assert missing == {"sensitive_data", "economic_check"}


# --- closed archives, scoping -------------------------------------------------------------------------


def test_closed_archive_is_read_only(client, tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.EXITED)
    head = household.members.get(is_head=True)
    before = counts()
    for call in (
        lambda: services.household_update(grassroots_cadre, household, {"remarks": "x"}),
        lambda: services.member_update(grassroots_cadre, head, {"name": "改名"}),
        lambda: services.causes_set(household, "6", []),
        lambda: services.expense_add(household, {"kind": "medical", "incurred_on": TODAY, "amount": "1"}),
    ):
        with pytest.raises(ValidationError) as error:
            call()
        assert error.value.error_list[0].code == "closed"
    client.force_login(grassroots_cadre)
    response = client.post(reverse("registry:causes", args=[household.pk]), {"main": "6"}, follow=True)
    assert response.status_code == 200
    assert zh("This archive is closed and read-only: it can no longer be changed.") in response.content.decode()
    assert counts() == before
    assert household.causes.get().code == "3"


def test_other_union_gets_404_everywhere(client, tree, outsider):
    household = make_household(tree.grassroots, state=State.DRAFT)
    head = household.members.get(is_head=True)
    client.force_login(outsider)
    for name, args in [("household_edit", [household.pk]), ("member_add", [household.pk]),
                       ("member_edit", [household.pk, head.pk]), ("causes", [household.pk]),
                       ("incomes", [household.pk]), ("consents", [household.pk]), ("attachments", [household.pk])]:
        assert client.get(reverse(f"registry:{name}", args=args)).status_code == 404
        assert client.post(reverse(f"registry:{name}", args=args), {}).status_code == 404
    assert client.post(reverse("registry:reveal", args=[household.pk]),
                       {"field": "identity_number", "member": head.pk}).status_code == 404


def test_archive_page_shows_masked_values_and_edit_links(client, tree, grassroots_cadre, worker_user):
    household = make_household(tree.grassroots, state=State.DRAFT, name="张三丰")
    head = household.members.get(is_head=True)
    services.household_update(grassroots_cadre, household, {"division": "440106",
                                                             "bank_account": "6222 0212 3456 7890"})
    household.refresh_from_db()
    client.force_login(grassroots_cadre)
    body = client.get(reverse("registry:detail", args=[household.pk])).content.decode()
    assert head.identity_masked in body and head.identity_number not in body
    assert "6222021234567890" not in body and household.bank_account_masked == "7890"
    assert 'data-testid="bank-masked"' in body
    assert "张三丰" not in body and "张**" in body
    assert reverse("registry:household_edit", args=[household.pk]) in body
