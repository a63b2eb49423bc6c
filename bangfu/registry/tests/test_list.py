"""The household list: scope, filters, search, sorting, keyset pagination, bounded totals, query count."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.core.identity import check_character, convert_15_to_18, synthetic_resident_id
from bangfu.orgs.models import Division
from bangfu.registry import views_lists
from bangfu.registry.models import Household, HouseholdCause, Member, State
from bangfu.registry.search import initials
from bangfu.registry.tests.factories import make_household

URL = "/households/"
ARCHIVE = re.compile(r'href="/households/(\d+)/"')


def listed(response) -> list[int]:
    """Household ids on a list page, in page order."""
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in ARCHIVE.findall(response.content.decode())]


def found(response) -> list[int]:
    """An ID search with one match in scope opens that archive; otherwise the list shows the matches."""
    if response.status_code == 302:
        match = re.fullmatch(r"/households/(\d+)/", response["Location"])
        assert match, response["Location"]
        return [int(match.group(1))]
    return listed(response)


def household(org, name="张三", **fields):
    hh = make_household(org, name=name, head_name_initials=initials(name), **fields)
    Member.objects.filter(household=hh).update(name_initials=initials(name))
    return hh


@pytest.fixture
def national_worker(tree):
    return tree.user("natcw", tree.national, Role.CASE_WORKER, password="Test-pass-2026!")


@pytest.fixture
def city_worker(tree):
    return tree.user("citycw", tree.city, Role.CASE_WORKER, password="Test-pass-2026!")


# --- scope ----------------------------------------------------------------------------------------------


def test_list_is_scoped_to_the_users_subtree(tree, login, grassroots_cadre, outsider, national_worker, client):
    mine = household(tree.grassroots)
    sibling = household(tree.sibling)
    far = household(tree.other_grassroots)

    assert listed(login(grassroots_cadre).get(URL)) == [mine.pk]
    client.logout()
    assert listed(login(outsider).get(URL)) == [sibling.pk]
    client.logout()
    assert set(listed(login(national_worker).get(URL))) == {mine.pk, sibling.pk, far.pk}


def test_outsider_sees_nothing_of_the_grassroots_union(tree, login, outsider):
    hh = household(tree.grassroots, name="甲秘密")
    body = login(outsider).get(URL).content.decode()
    assert hh.archive_number not in body and "甲*" not in body
    assert "天河甲公司工会" not in body


def test_user_without_registry_role_gets_404(tree, login, client):
    auditor = tree.user("aud", tree.national, Role.SECURITY_ADMIN, password="Test-pass-2026!")
    household(tree.grassroots)
    client.force_login(auditor)
    assert client.get(URL).status_code in (404, 302)


def test_worker_sees_only_their_own_household(tree, client, worker_user):
    own = household(tree.grassroots, name="王五")
    Member.objects.filter(household=own, is_head=True).update(account=worker_user)
    household(tree.grassroots, name="赵六")
    client.force_login(worker_user)
    assert listed(client.get(URL)) == [own.pk]


def test_list_read_is_audited_without_clear_id(tree, login, grassroots_cadre):
    hh = household(tree.grassroots)
    head = hh.members.get(is_head=True)
    login(grassroots_cadre).get(URL, {"q": head.identity_number})
    entry = AccessLogEntry.objects.filter(action="view", object_type="registry.household").latest("pk")
    assert entry.detail["rows"] == 1
    assert head.identity_number not in str(entry.detail)
    assert entry.detail["filters"]["q"] == "<identity number>"


# --- search -------------------------------------------------------------------------------------------


def _id_with_x(area="440106", birth=dt.date(1985, 3, 9)) -> str:
    for seq in range(1000):
        number = synthetic_resident_id(area, birth, seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no check character X in 1000 sequences")


def _set_identity(member, number):
    member.set_identity(number)
    member.open_identity_hash = member.identity_hash if member.household.is_open else None
    member.save()


def test_search_by_full_id_normalised(tree, login, grassroots_cadre):
    target, other = household(tree.grassroots), household(tree.grassroots)
    number = _id_with_x()
    _set_identity(target.members.get(is_head=True), number)
    client = login(grassroots_cadre)

    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:-1]) + "ｘ"
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    for query in (number, number.lower(), spaced, full_width):
        assert found(client.get(URL, {"q": query})) == [target.pk], query
    # One digit off: no match, and never a fallback to a fuzzy search.
    wrong = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert found(client.get(URL, {"q": wrong})) == []
    assert other.pk not in found(client.get(URL, {"q": number}))


def test_search_by_id_finds_a_member_not_only_the_head(tree, login, grassroots_cadre):
    target = household(tree.grassroots, size=3)
    household(tree.grassroots, size=2)
    child = target.members.filter(is_head=False).first()
    assert found(login(grassroots_cadre).get(URL, {"q": child.identity_number})) == [target.pk]


def test_search_by_old_15_digit_number(tree, login, grassroots_cadre):
    target = household(tree.grassroots)
    household(tree.grassroots)
    old = "440106" + "850309" + "123"
    first17 = "440106" + "19850309" + "123"
    _set_identity(target.members.get(is_head=True), first17 + check_character(first17))
    assert convert_15_to_18(old) == first17 + check_character(first17)
    assert found(login(grassroots_cadre).get(URL, {"q": old})) == [target.pk]


def test_id_search_with_list_flag_shows_the_list(tree, login, grassroots_cadre):
    target = household(tree.grassroots)
    number = target.members.get(is_head=True).identity_number
    assert listed(login(grassroots_cadre).get(URL, {"q": number, "list": "1"})) == [target.pk]


def test_id_search_matching_two_archives_lists_both(tree, login, grassroots_cadre):
    a = household(tree.grassroots, size=2)
    b = household(tree.grassroots, state=State.EXITED)
    child = a.members.filter(is_head=False).get()
    head_b = b.members.get(is_head=True)
    _set_identity(head_b, child.identity_number)  # the same person: member of one, head of a closed one
    assert set(listed(login(grassroots_cadre).get(URL, {"q": child.identity_number}))) == {a.pk, b.pk}


def test_search_by_id_of_another_union_finds_nothing(tree, login, grassroots_cadre):
    elsewhere = household(tree.sibling)
    number = elsewhere.members.get(is_head=True).identity_number
    assert found(login(grassroots_cadre).get(URL, {"q": number})) == []


def test_search_by_pinyin_initials(tree, login, grassroots_cadre):
    zsf = household(tree.grassroots, name="张三丰")
    zs = household(tree.grassroots, name="张山")
    li = household(tree.grassroots, name="李四", size=2)
    Member.objects.filter(household=li, is_head=False).update(name="赵小明", name_initials="zxm")
    client = login(grassroots_cadre)
    assert set(listed(client.get(URL, {"q": "zs"}))) == {zsf.pk, zs.pk}
    assert listed(client.get(URL, {"q": "ZSF"})) == [zsf.pk]
    assert listed(client.get(URL, {"q": "zxm"})) == [li.pk]  # a member's initials
    assert listed(client.get(URL, {"q": "wq"})) == []


def test_search_by_name_exact_prefix_and_member(tree, login, grassroots_cadre):
    a = household(tree.grassroots, name="欧阳明")
    b = household(tree.grassroots, name="欧阳明华")
    c = household(tree.grassroots, name="陈红", size=2)
    Member.objects.filter(household=c, is_head=False).update(name="陈小欧")
    client = login(grassroots_cadre)
    assert set(listed(client.get(URL, {"q": "欧阳明"}))) == {a.pk, b.pk}
    assert listed(client.get(URL, {"q": "欧阳明华"})) == [b.pk]
    assert listed(client.get(URL, {"q": "陈小欧"})) == [c.pk]
    assert listed(client.get(URL, {"q": "明"})) == []  # a prefix, not a substring


def test_search_by_archive_number(tree, login, grassroots_cadre):
    a = household(tree.grassroots)
    household(tree.grassroots)
    client = login(grassroots_cadre)
    assert listed(client.get(URL, {"q": a.archive_number})) == [a.pk]
    assert listed(client.get(URL, {"q": a.archive_number.lower()})) == [a.pk]


def test_list_shows_masked_head_name_only(tree, login, grassroots_cadre):
    hh = household(tree.grassroots, name="欧阳明华")
    Household.objects.filter(pk=hh.pk).update(head_name_masked="欧阳**")
    body = login(grassroots_cadre).get(URL).content.decode()
    assert "欧阳**" in body and "欧阳明华" not in body
    assert hh.members.get(is_head=True).identity_number not in body


# --- filters -------------------------------------------------------------------------------------------


def test_filters_category_level_state_temporary(tree, login, grassroots_cadre):
    deep = household(tree.grassroots, category="A_dibao", common_level="deep")
    marginal = household(tree.grassroots, category="A_marginal", common_level="relative")
    draft = household(tree.grassroots, state=State.DRAFT)
    temp = household(tree.grassroots, is_temporary_relief=True)
    client = login(grassroots_cadre)
    assert listed(client.get(URL, {"category": "A_dibao"})) == [deep.pk]
    assert listed(client.get(URL, {"common_level": "relative"})) == [marginal.pk]
    assert listed(client.get(URL, {"state": "draft"})) == [draft.pk]
    assert listed(client.get(URL, {"temporary": "on"})) == [temp.pk]
    assert listed(client.get(URL, {"category": "A_dibao", "state": "draft"})) == []


def test_filter_cause_main_or_any(tree, login, grassroots_cadre):
    main6 = household(tree.grassroots, main_cause="6")
    secondary6 = household(tree.grassroots, main_cause="3", secondary=("6",))
    household(tree.grassroots, main_cause="3")
    client = login(grassroots_cadre)
    assert set(listed(client.get(URL, {"cause": "6"}))) == {main6.pk, secondary6.pk}
    assert listed(client.get(URL, {"cause": "6", "cause_main_only": "on"})) == [main6.pk]
    assert HouseholdCause.objects.filter(code="6").count() == 2


def test_filter_org_subtree_and_out_of_scope(tree, login, county_reviewer, grassroots_cadre, client, city_worker):
    mine = household(tree.grassroots)
    sibling = household(tree.sibling)
    far = household(tree.other_grassroots)
    c = login(city_worker)
    assert set(listed(c.get(URL, {"org": tree.county.code}))) == {mine.pk, sibling.pk}
    assert listed(c.get(URL, {"org": tree.grassroots.code})) == [mine.pk]
    # An org outside the user's scope (or unknown): nothing, and no hint that it exists.
    assert listed(c.get(URL, {"org": tree.other_grassroots.code})) == []
    assert listed(c.get(URL, {"org": "NO-SUCH"})) == []
    client.logout()
    assert listed(login(grassroots_cadre).get(URL, {"org": tree.county.code})) == []
    assert far.pk not in listed(login(grassroots_cadre).get(URL))


def test_filter_division_code_or_prefix(tree, login, national_worker):
    th = household(tree.grassroots, division=Division.objects.get(pk="440106"))
    yx = household(tree.grassroots, division=Division.objects.get(pk="440104"))
    cd = household(tree.other_grassroots, division=Division.objects.get(pk="510104"))
    c = login(national_worker)
    assert listed(c.get(URL, {"division": "440106"})) == [th.pk]
    assert set(listed(c.get(URL, {"division": "440100"}))) == {th.pk, yx.pk}
    assert set(listed(c.get(URL, {"division": "44"}))) == {th.pk, yx.pk}
    assert listed(c.get(URL, {"division": "51"})) == [cd.pk]
    bad = c.get(URL, {"division": "广州"})
    assert listed(bad) == [] and "invalid-feedback" in bad.content.decode()


def test_filter_review_overdue_and_stale(tree, login, grassroots_cadre):
    today = timezone.localdate()
    overdue = household(tree.grassroots, review_due_on=today - dt.timedelta(days=1))
    household(tree.grassroots, review_due_on=today)  # due today: not overdue yet
    household(tree.grassroots, state=State.EXITED, review_due_on=today - dt.timedelta(days=30))  # not active
    stale = household(tree.grassroots)
    fresh = household(tree.grassroots)
    Household.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - dt.timedelta(days=366))
    Household.objects.filter(pk=fresh.pk).update(updated_at=timezone.now() - dt.timedelta(days=364))
    client = login(grassroots_cadre)
    assert listed(client.get(URL, {"review_overdue": "on"})) == [overdue.pk]
    assert listed(client.get(URL, {"stale": "on"})) == [stale.pk]


def test_invalid_filter_shows_error_and_no_rows(tree, login, grassroots_cadre):
    household(tree.grassroots)
    response = login(grassroots_cadre).get(URL, {"state": "bogus", "division": "12a"})
    assert response.status_code == 200
    assert listed(response) == []
    assert "invalid-feedback" in response.content.decode()


# --- sorting and keyset pagination -----------------------------------------------------------------------


def _walk(client, params, size):
    """Follow `next` links to the end, then `previous` links back to the start."""
    pages, response = [], client.get(URL, {**params, "size": size})
    while True:
        pages.append(listed(response))
        match = re.search(r'href="(\?[^"]*)"[^>]*data-testid="page-next"', response.content.decode())
        if not match:
            break
        response = client.get(URL + match.group(1).replace("&amp;", "&"))
    back = [pages[-1]]
    while True:
        match = re.search(r'href="(\?[^"]*)"[^>]*data-testid="page-prev"', response.content.decode())
        if not match:
            break
        response = client.get(URL + match.group(1).replace("&amp;", "&"))
        back.append(listed(response))
    return pages, back[::-1]


@pytest.fixture
def many(tree):
    """28 households with ties and NULLs in the sort keys (need score, review date)."""
    base = timezone.now() - dt.timedelta(days=10)
    today = timezone.localdate()
    rows = []
    for i in range(28):
        hh = household(
            tree.grassroots,
            category=["A_dibao", "A_marginal", "B_deep", ""][i % 4],
            need_score=None if i % 5 == 0 else Decimal(i % 7) * Decimal("1.5"),
            review_due_on=None if i % 6 == 0 else today + dt.timedelta(days=i % 3),
        )
        # Three households share each timestamp: ties broken by id.
        Household.objects.filter(pk=hh.pk).update(updated_at=base + dt.timedelta(hours=i // 3))
        rows.append(hh.pk)
    return list(Household.objects.filter(pk__in=rows))


def _expected(rows, field, descending):
    present = [h for h in rows if getattr(h, field) is not None]
    nulls = [h for h in rows if getattr(h, field) is None]
    present.sort(key=lambda h: (getattr(h, field), h.pk), reverse=descending)
    nulls.sort(key=lambda h: h.pk, reverse=descending)
    return [h.pk for h in present + nulls]  # NULLs last in either direction


@pytest.mark.parametrize("sort", ["-updated", "updated", "archive", "-archive", "-need", "need", "category",
                                  "-category", "review", "-review"])
def test_keyset_pages_forward_and_back_without_gaps_or_duplicates(tree, login, grassroots_cadre, many, sort):
    field = {"updated": "updated_at", "archive": "archive_number", "need": "need_score", "category": "category",
             "review": "review_due_on"}[sort.lstrip("-")]
    expected = _expected(many, field, sort.startswith("-"))
    pages, back = _walk(login(grassroots_cadre), {"sort": sort}, 25)
    assert [pk for page in pages for pk in page] == expected
    assert [len(p) for p in pages] == [25, 3]
    assert back == pages  # previous links give the very same pages


def test_keyset_small_pages_with_filters_kept(tree, login, grassroots_cadre, many):
    client = login(grassroots_cadre)
    expected = _expected([h for h in many if h.category == "A_dibao"], "need_score", True)
    pages, back = _walk(client, {"category": "A_dibao", "sort": "-need"}, 25)
    assert [pk for page in pages for pk in page] == expected and len(expected) == 7


def test_keyset_walk_with_page_size_5(tree, login, grassroots_cadre, many, monkeypatch):
    monkeypatch.setattr(views_lists, "PAGE_SIZES", (5, 25))
    expected = _expected(many, "need_score", False)
    pages, back = _walk(login(grassroots_cadre), {"sort": "need"}, 5)
    assert [pk for page in pages for pk in page] == expected
    assert [len(p) for p in pages] == [5, 5, 5, 5, 5, 3]
    assert back == pages


def test_tampered_cursor_gives_the_first_page(tree, login, grassroots_cadre, many):
    client = login(grassroots_cadre)
    first = listed(client.get(URL))
    for token in ("garbage", "W10", "WyIxIiwtNV0", "x" * 300):
        assert listed(client.get(URL, {"after": token})) == first
        assert listed(client.get(URL, {"before": token})) == first


def test_total_is_exact_under_the_bound_and_honest_above(tree, login, grassroots_cadre, many, monkeypatch):
    client = login(grassroots_cadre)
    body = client.get(URL).content.decode()
    assert "28" in re.search(r'data-testid="list-total">(.*?)</span>', body, re.S).group(1)
    monkeypatch.setattr(views_lists, "COUNT_BOUND", 10)
    total = re.search(r'data-testid="list-total">(.*?)</span>', client.get(URL).content.decode(), re.S).group(1)
    assert "10" in total and "28" not in total
    assert "More than" in total or "超过" in total or "多于" in total


def test_query_count_is_constant_in_page_size(tree, login, grassroots_cadre, many, django_assert_max_num_queries):
    client = login(grassroots_cadre)
    client.get(URL)  # warm the session and the code-label cache
    counts = {}
    for size in (25, 100):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"size": size, "sort": "-need", "category": "A_dibao", "q": "zs"})
        assert response.status_code == 200
        counts[size] = len(ctx.captured_queries)
    assert counts[25] == counts[100]
    with django_assert_max_num_queries(counts[25]):
        listed(client.get(URL, {"size": 100}))


def test_query_count_does_not_grow_with_rows(tree, login, grassroots_cadre):
    client = login(grassroots_cadre)
    household(tree.grassroots)
    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        client.get(URL, {"size": 100})
    for _ in range(30):
        household(tree.grassroots, size=2)
    with CaptureQueriesContext(connection) as many_rows:
        assert len(listed(client.get(URL, {"size": 100}))) == 31
    assert len(many_rows.captured_queries) == len(one.captured_queries)
