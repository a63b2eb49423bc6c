"""Printed forms: scoped, audited, masked; the notice poster shows only the masked name and the category."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from bangfu.audit.models import AccessLogEntry
from bangfu.core.masking import mask_id_number
from bangfu.portal.tests.conftest import verified_client  # a worker signed in on the portal
from bangfu.registry.models import HomeVisit, LevelOpinion, PublicNotice, State
from bangfu.registry.tests.factories import make_household

FORMS = ("card", "application", "visit", "approval", "notice")

pytestmark = pytest.mark.django_db


def _url(household, form):
    return reverse("registry:print", kwargs={"pk": household.pk, "form": form})


@pytest.fixture
def household(tree):
    household = make_household(
        tree.grassroots, state=State.ACTIVE, size=3, monthly_wage=Decimal("1500"), name="欧阳明华",
        address="天河路秘密小区8号", housing_type="rented", category="A_marginal",
    )
    head = household.members.get(is_head=True)
    head.health = "cancer"
    head.diagnosis = "肺癌秘密诊断"
    head.set_phone("13812345678")
    head.save()
    household.bank_name = "工商银行"
    household.bank_account = "6222020200112233445"
    household.bank_account_last4 = "3445"
    household.save()
    return household


@pytest.mark.parametrize("form", FORMS)
def test_each_form_prints_for_an_insider_masked_and_audited(login, grassroots_cadre, household, form):
    head = household.members.get(is_head=True)
    clear_id = head.identity_number
    PublicNotice.objects.create(household=household, starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 9),
                                place="community", name_masked="欧阳**", category="A_marginal")
    client = login(grassroots_cadre)
    before = AccessLogEntry.objects.filter(action="print").count()

    response = client.get(_url(household, form))

    assert response.status_code == 200
    body = response.content.decode()
    assert "window.print()" in body
    # Never a clear identity number, bank account or phone on any form.
    assert clear_id not in body
    assert "6222020200112233445" not in body and "13812345678" not in body
    assert "肺癌秘密诊断" not in body
    if form != "notice":
        # The masked number (first 6 + last 4) computed from the rule, not copied from the code.
        assert clear_id[:6] + "********" + clear_id[-4:] in body
    entries = AccessLogEntry.objects.filter(action="print").order_by("-id")
    assert entries.count() == before + 1
    entry = entries.first()
    assert entry.object_id == str(household.pk) and entry.detail == {"form": form}
    assert entry.user_id == grassroots_cadre.pk


@pytest.mark.parametrize("form", FORMS)
def test_outsider_gets_404_and_nothing_is_logged_as_printed(login, outsider, household, form):
    client = login(outsider)
    response = client.get(_url(household, form))
    assert response.status_code == 404
    assert not AccessLogEntry.objects.filter(action="print", object_id=str(household.pk)).exists()


def test_a_higher_level_reviewer_prints_and_an_unknown_form_is_404(login, county_reviewer, household, settings):
    settings.DEMO_MODE = True  # the reviewer has no TOTP device: relax the two-factor gate
    client = login(county_reviewer)
    assert client.get(_url(household, "card")).status_code == 200
    assert client.get(f"/households/{household.pk}/print/passport/").status_code == 404


def test_a_worker_cannot_print_even_their_own_household(login, worker_user, household):
    head = household.members.get(is_head=True)
    head.account = worker_user
    head.save()
    client = verified_client(worker_user)
    assert client.get(_url(household, "card")).status_code == 404
    assert "print-links" not in client.get(reverse("registry:detail", args=[household.pk])).content.decode()


def test_archive_page_links_every_form_for_staff(login, grassroots_cadre, household):
    body = login(grassroots_cadre).get(reverse("registry:detail", args=[household.pk])).content.decode()
    for form in FORMS:
        assert _url(household, form) in body


def test_card_shows_the_heads_fields_with_code_labels_and_address(login, grassroots_cadre, household):
    body = login(grassroots_cadre).get(_url(household, "card")).content.decode()
    assert "欧阳明华" in body  # internal document: the full name
    assert "天河路秘密小区8号" in body  # …and the address
    assert "租房" in body and "恶性肿瘤" in body and "下岗失业" in body  # CodeItem labels (zh)
    assert "138****5678" in body  # phone 3+4
    assert "3445" in body
    # Own income: 1500 a month for 12 months → 1500.00 average; the two children have none.
    assert "1500.00" in body


def test_approval_form_prints_each_levels_opinion(login, grassroots_cadre, county_reviewer, tree, household):
    LevelOpinion.objects.create(household=household, stage="first_check", org=tree.grassroots, level=4,
                                decision="pass", opinion="情况属实同意上报", by_name="李干事", on=dt.date(2026, 2, 3))
    LevelOpinion.objects.create(household=household, stage="approval", org=tree.county, level=3,
                                decision="approve", opinion="同意建档", by_name="王审核", on=dt.date(2026, 3, 12))
    body = login(grassroots_cadre).get(_url(household, "approval")).content.decode()
    assert "情况属实同意上报" in body and "李干事" in body and "2026-02-03" in body
    assert "同意建档" in body and "王审核" in body and "2026-03-12" in body
    # One block per level: grassroots, county, city.
    assert body.count('class="form-table opinion"') == 3
    for org in (tree.grassroots, tree.county, tree.city):
        assert org.name in body


def test_visit_form_prints_the_recorded_visit(login, grassroots_cadre, household):
    HomeVisit.objects.create(household=household, visited_on=dt.date(2026, 2, 10), visitors="张三、李四",
                             findings="住房简陋，家中有病人")
    body = login(grassroots_cadre).get(_url(household, "visit")).content.decode()
    assert "2026-02-10" in body and "张三、李四" in body and "住房简陋" in body


def test_poster_without_notice_says_so(login, grassroots_cadre, household):
    body = login(grassroots_cadre).get(_url(household, "notice")).content.decode()
    assert 'data-testid="no-notice"' in body
    assert "欧阳**" not in body


def test_poster_shows_masked_names_and_category_only(login, grassroots_cadre, tree, household):
    period = {"starts_on": dt.date(2026, 3, 2), "ends_on": dt.date(2026, 3, 9), "place": "community"}
    PublicNotice.objects.create(household=household, name_masked="欧阳**", category="A_marginal", **period)
    # A second household of the same union noticed for the same period appears on the same poster…
    other = make_household(tree.grassroots, state=State.PUBLIC_NOTICE, name="赵小兵")
    PublicNotice.objects.create(household=other, name_masked="赵**", category="A_dibao", **period)
    # …one of another union does not, even with the same period.
    foreign = make_household(tree.sibling, state=State.PUBLIC_NOTICE, name="钱外人")
    PublicNotice.objects.create(household=foreign, name_masked="钱**", category="A_dibao", **period)

    body = login(grassroots_cadre).get(_url(household, "notice")).content.decode()

    assert "欧阳**" in body and "赵**" in body and "钱**" not in body
    assert "低保边缘户" in body and "低保户" in body
    for member in list(household.members.all()) + list(other.members.all()):
        assert member.identity_number not in body
        assert member.identity_masked not in body  # not even masked IDs on a public poster
        assert member.name not in body
    assert "天河路秘密小区8号" not in body  # no address
    assert "恶性肿瘤" not in body and "健康" not in body  # no health
    assert household.archive_number not in body
    assert mask_id_number(household.members.get(is_head=True).identity_number) not in body
