"""The household's timeline page (bangfu/registry/views_timeline.py): groups, dates, pages, who reads what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.registry.models import TimelineEvent
from bangfu.registry.models.timeline import group_of, kinds_in_group
from bangfu.registry.tests.factories import make_household
from bangfu.registry.views_timeline import PAGE_SIZE


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def at(day: int, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour, 0))


def event(household, kind, when, **detail):
    """A timeline row written at `when` (the column is auto_now_add: set it afterwards)."""
    row = TimelineEvent.objects.create(household=household, kind=kind, detail=detail)
    TimelineEvent.objects.filter(pk=row.pk).update(at=when)
    return row


def kinds_shown(response) -> list[str]:
    body = response.content.decode()
    block = body.split('data-testid="timeline"', 1)[1]
    return re.findall(r'data-kind="([^"]+)"', block)


@pytest.fixture
def household(tree):
    """A household with rows of the archive, lifecycle and payments groups, and one kind nobody registered."""
    household = make_household(tree.grassroots, name="王秘户")
    event(household, "created", at(1), archive_number=household.archive_number)
    event(household, "member_added", at(2), member="王*", relation="spouse")
    event(household, "incomes_set", at(3), cells=12, first_month="2025-04", last_month="2026-03")
    event(household, "submit", at(4), by_union=True)
    event(household, "payment_created", at(5), payment=1, category="living", amount="500.00")
    event(household, "approve", at(6), review_due_on="2027-03-06")
    event(household, "made_up_kind", at(7))
    return household


def get(client, household, query=None):
    client.cookies["django_language"] = "en"  # pages speak the user's language (Chinese by default)
    return client.get(reverse("registry:timeline", args=[household.pk]), query or {})


def test_everything_newest_first(signed_in, grassroots_cadre, household):
    response = get(signed_in(grassroots_cadre), household)
    assert response.status_code == 200
    assert kinds_shown(response) == ["made_up_kind", "approve", "payment_created", "submit", "incomes_set",
                                     "member_added", "created"]
    assert "7 entries" in response.content.decode()


@pytest.mark.parametrize("group", ["archive", "lifecycle", "payments", "plan"])
def test_filter_by_group_returns_exactly_that_groups_rows(signed_in, grassroots_cadre, household, group):
    response = get(signed_in(grassroots_cadre), household, {"group": group})
    shown = kinds_shown(response)
    expected = [e.kind for e in household.timeline.order_by("-at", "-id") if group_of(e.kind) == group]
    assert shown == expected
    assert all(group_of(kind) == group for kind in shown)
    # A kind nobody registered falls into the default group, exactly as group_of files it.
    assert ("made_up_kind" in shown) == (group == "lifecycle")


def test_filter_by_two_groups(signed_in, grassroots_cadre, household):
    response = get(signed_in(grassroots_cadre), household, {"group": ["archive", "payments"]})
    assert kinds_shown(response) == ["payment_created", "incomes_set", "member_added", "created"]
    assert "4 entries" in response.content.decode()


def test_group_chips_count_rows_per_group(signed_in, grassroots_cadre, household):
    body = get(signed_in(grassroots_cadre), household).content.decode()
    counts = dict(re.findall(r'data-group="(\w+)">\s*[^<]*<span class="badge[^"]*">(\d+)</span>', body))
    assert counts == {"archive": "3", "lifecycle": "3", "plan": "0", "helpers": "0", "rights": "0",
                      "payments": "1", "services": "0", "findings": "0"}


def test_kinds_in_group_and_sql_filter_agree():
    """The SQL filter of a non-default group is `kind__in=kinds_in_group(group)`."""
    assert "payment_created" in kinds_in_group("payments")
    assert "member_added" in kinds_in_group("archive")


def test_date_range(signed_in, grassroots_cadre, household):
    client = signed_in(grassroots_cadre)
    response = get(client, household, {"since": "2026-03-03", "until": "2026-03-05"})
    assert kinds_shown(response) == ["payment_created", "submit", "incomes_set"]
    response = get(client, household, {"since": "2026-03-06", "group": "lifecycle"})
    assert kinds_shown(response) == ["made_up_kind", "approve"]


def test_dates_the_wrong_way_round_are_refused_with_a_message(signed_in, grassroots_cadre, household):
    response = get(signed_in(grassroots_cadre), household, {"since": "2026-03-05", "until": "2026-03-01"})
    body = response.content.decode()
    assert "The end date comes before the start date." in body
    assert len(kinds_shown(response)) == 7  # no filter applied from an invalid form


def test_nonsense_dates_are_refused_with_a_message(signed_in, grassroots_cadre, household):
    response = get(signed_in(grassroots_cadre), household, {"since": "yesterday", "group": "nope"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid date." in body
    assert len(kinds_shown(response)) == 7


def test_helper_sees_rows_but_not_summaries_they_may_not_read(signed_in, tree, household):
    helper = tree.user("helper", tree.grassroots, Role.HELPER)
    response = get(signed_in(helper), household)
    assert response.status_code == 200
    assert len(kinds_shown(response)) == 7
    body = response.content.decode()
    # The archive edit a helper may read keeps its words; incomes and payments show only what happened.
    assert "王* (" in body
    assert "12 monthly amounts" not in body and "Incomes recorded" in body
    assert "500.00" not in body
    # The case worker sees them.
    cadre_body = get(signed_in(tree.user("cw", tree.grassroots, Role.CASE_WORKER)), household).content.decode()
    assert "12 monthly amounts" in cadre_body


def test_outsider_gets_404(signed_in, outsider, household):
    assert get(signed_in(outsider), household).status_code == 404
    assert get(signed_in(outsider), household, {"group": "payments"}).status_code == 404


def test_worker_of_another_household_gets_404_and_own_household_is_shown(signed_in, tree, household):
    from bangfu.registry.models import Member

    worker = tree.user("wkr", tree.grassroots, Role.WORKER, kind="worker")
    assert get(signed_in(worker), household).status_code == 404
    Member.objects.filter(household=household, is_head=True).update(account=worker)
    assert get(signed_in(worker), household).status_code == 200


def test_the_read_is_audited(signed_in, grassroots_cadre, household):
    get(signed_in(grassroots_cadre), household)
    entry = AccessLogEntry.objects.filter(object_type="registry.household", object_id=str(household.pk)).latest("pk")
    assert entry.detail.get("page") == "timeline"


def test_keyset_pages_walk_every_row_once(signed_in, grassroots_cadre, tree):
    household = make_household(tree.grassroots)
    base = at(1)
    for i in range(2 * PAGE_SIZE + 7):
        event(household, "member_updated", base + dt.timedelta(minutes=i // 2), member=f"m{i}")  # ties on `at`
    client = signed_in(grassroots_cadre)
    seen, pages, response = [], [], get(client, household)
    while True:
        body = response.content.decode()
        ids = re.findall(r"<div data-testid=\"timeline-summary\">(m\d+)</div>", body)
        pages.append(ids)
        seen += ids
        older = re.search(r'href="([^"]+)" data-testid="page-older"', body)
        if not older:
            break
        response = client.get(older.group(1).replace("&amp;", "&"))
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    expected = [row.detail["member"] for row in household.timeline.order_by("-at", "-id")]
    assert seen == expected
    # "Newer" from the last page leads back to the middle page.
    newer = re.search(r'href="([^"]+)" data-testid="page-newer"', response.content.decode()).group(1)
    back = client.get(newer.replace("&amp;", "&")).content.decode()
    assert re.findall(r"<div data-testid=\"timeline-summary\">(m\d+)</div>", back) == pages[1]


def test_filters_survive_paging(signed_in, grassroots_cadre, tree):
    household = make_household(tree.grassroots)
    for i in range(PAGE_SIZE + 3):
        event(household, "member_updated", at(1) + dt.timedelta(minutes=i), member=f"m{i}")
        event(household, "submit", at(1) + dt.timedelta(minutes=i, seconds=30))
    client = signed_in(grassroots_cadre)
    first = get(client, household, {"group": "archive"}).content.decode()
    older = re.search(r'href="([^"]+)" data-testid="page-older"', first).group(1).replace("&amp;", "&")
    assert "group=archive" in older
    second = client.get(older)
    assert set(kinds_shown(second)) == {"member_updated"} and len(kinds_shown(second)) == 3


def test_a_broken_cursor_starts_from_the_newest_row(signed_in, grassroots_cadre, household):
    response = get(signed_in(grassroots_cadre), household, {"older": "not-a-cursor~x"})
    assert response.status_code == 200 and kinds_shown(response)[0] == "made_up_kind"


def test_queries_do_not_grow_with_rows(signed_in, grassroots_cadre, tree, django_assert_max_num_queries):
    household = make_household(tree.grassroots)
    for i in range(PAGE_SIZE + 10):
        event(household, "payment_created" if i % 2 else "member_added", at(1) + dt.timedelta(minutes=i))
    client = signed_in(grassroots_cadre)
    get(client, household)  # warm the session
    with django_assert_max_num_queries(12):
        response = get(client, household, {"group": ["payments", "archive"], "since": "2026-03-01"})
    assert len(kinds_shown(response)) == PAGE_SIZE


def test_archive_page_links_to_the_timeline(signed_in, grassroots_cadre, household):
    body = signed_in(grassroots_cadre).get(reverse("registry:detail", args=[household.pk])).content.decode()
    assert f'href="{reverse("registry:timeline", args=[household.pk])}"' in body


def test_a_reason_is_shown_only_to_readers_of_the_record_it_tells_of(tree, household, signed_in):
    """A free-text reason (a reopened rights case) is as telling as the summary: a helper, who may read the
    timeline but not rights cases, sees that the case was reopened and when — not why."""
    row = event(household, "rights_case_reopened", at(8))
    TimelineEvent.objects.filter(pk=row.pk).update(reason="秘密理由：住院治疗")
    helper = tree.user("timeline_helper", tree.grassroots, Role.HELPER)
    cadre = tree.user("timeline_cadre", tree.grassroots, Role.CASE_WORKER)
    for page in (reverse("registry:timeline", args=[household.pk]), reverse("registry:detail", args=[household.pk])):
        helper_body = signed_in(helper).get(page).content.decode()
        assert 'data-kind="rights_case_reopened"' in helper_body and "秘密理由" not in helper_body
        assert "秘密理由" in signed_in(cadre).get(page).content.decode()
