"""Bank batch pages: who may see and do what (404 and no button otherwise), the printed roster, and the
number of queries of the list, detail, roster and new-batch pages."""
# ruff: noqa: F811 - the fixtures imported from test_batches are taken as test arguments

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.funds.models import PaymentBatch
from bangfu.funds.money import capital_amount
from bangfu.funds.services.batches import create_batch
from bangfu.funds.services.payments import cancel_payment
from bangfu.funds.tests.factories import approve_all, pay, payable_household
from bangfu.funds.tests.test_batches import PAYEES, _english, client_of, export, read_zip, world  # noqa: F401

pytestmark = pytest.mark.django_db


# --- who may do what ------------------------------------------------------------------------------------


def test_a_case_worker_sees_the_batch_but_cannot_export_reconcile_or_print(world, tree, client_of):
    batch = world.batch_of()
    case_worker = tree.user("cw-county", tree.county, Role.CASE_WORKER)
    client = client_of(case_worker)
    page = client.get(reverse("funds:batch_detail", args=[batch.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="batch-export"' not in html and 'data-testid="batch-roster"' not in html
    assert "张*" in html and "张三" not in html and "6222020200112233445" not in html
    for name in ("funds:batch_export", "funds:batch_reconcile", "funds:batch_roster", "funds:batch_remove"):
        url = reverse(name, args=[batch.pk])
        assert client.post(url).status_code == 404, name
    assert client.get(reverse("funds:batch_roster", args=[batch.pk])).status_code == 404
    assert client.get(reverse("funds:batch_new")).status_code == 404
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.OPEN and batch.export_count == 0
    assert not AccessLogEntry.objects.filter(action="export").exists()


def test_other_unions_and_workers_get_404(world, outsider, grassroots_cadre, worker_user, client_of, tree):
    batch = world.batch_of()
    sibling_fm = tree.user("fm-sibling", tree.sibling, Role.FUND_MANAGER)
    for user in (outsider, grassroots_cadre, sibling_fm):
        client = client_of(user)
        listing = client.get(reverse("funds:batches"))
        assert listing.status_code == 200 and batch.number not in listing.content.decode()
        for name in ("funds:batch_detail", "funds:batch_export", "funds:batch_reconcile", "funds:batch_roster"):
            url = reverse(name, args=[batch.pk])
            assert client.get(url).status_code == 404, (user, name)
            assert client.post(url).status_code == 404, (user, name)
    worker = client_of(worker_user)
    assert worker.get(reverse("funds:batches")).status_code == 404
    assert worker.get(reverse("funds:batch_detail", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.OPEN


def test_the_city_fund_manager_may_export_the_county_batch(world, city_fund_manager, client_of):
    batch = world.batch_of()
    password, content = export(client_of(city_fund_manager), batch)
    assert len(read_zip(content, password)) == 4


# --- the roster -----------------------------------------------------------------------------------------


def test_roster_has_full_names_masked_cards_and_the_total_in_capitals(world, client_of):
    batch = world.batch_of()
    client = client_of(world.fm)
    response = client.get(reverse("funds:batch_roster", args=[batch.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for name, account, _amount in PAYEES:
        assert name in html and f"****{account[-4:]}" in html and account not in html
    assert capital_amount(2500_50) in html
    total = re.search(r'data-testid="roster-total-capital">([^<]+)<', html)[1]
    assert total == capital_amount(3800_50) == "叁仟捌佰元伍角"
    assert "3,800.50" in html and batch.number in html and "@page" in html and "landscape" in html
    entry = AccessLogEntry.objects.get(action="print", object_id=str(batch.pk))
    assert entry.detail == {"form": "roster", "rows": 3}


# --- query counts ---------------------------------------------------------------------------------------


def _more_batches(world, tree, grassroots_cadre, n):
    for i in range(n):
        household = payable_household(tree.grassroots, name=f"赵{chr(0x4E00 + i)}", account=f"62220202001{i:08d}")
        payment = approve_all(pay(tree.county, household, 10, grassroots_cadre), world.people)
        create_batch(org=tree.county, payments=[payment], actor=world.fm)


def test_list_and_detail_pages_take_a_fixed_number_of_queries(world, tree, grassroots_cadre, client_of,
                                                               django_assert_max_num_queries):
    batch = world.batch_of()
    client = client_of(world.fm)
    client.get(reverse("funds:batches"))  # warm the session and the permission caches
    with django_assert_max_num_queries(14):
        small = client.get(reverse("funds:batches"))
    _more_batches(world, tree, grassroots_cadre, 8)
    with django_assert_max_num_queries(14):
        large = client.get(reverse("funds:batches"))
    assert small.status_code == large.status_code == 200
    assert large.content.decode().count('href="/funds/batches/') >= 9
    with django_assert_max_num_queries(16):
        detail = client.get(reverse("funds:batch_detail", args=[batch.pk]))
    assert detail.status_code == 200 and detail.content.decode().count("****") == 3
    with django_assert_max_num_queries(16):
        assert client.get(reverse("funds:batch_roster", args=[batch.pk])).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("funds:batch_new"), {"org": tree.county.pk}).status_code == 200


def test_list_totals_come_from_the_database(world, client_of):
    batch = world.batch_of()
    cancel_payment(world.payments[2], world.fm, reason="撤回")
    html = client_of(world.fm).get(reverse("funds:batches")).content.decode()
    row = html[html.index(batch.number):]
    row = row[:row.index("</tr>")]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1:4] == ["Being assembled", "2", "3,500.50"]  # the cancelled 300 yuan is not counted
