"""The search form posts: an ID number never appears in a URL (server logs, browser history), DOMAIN.md §9."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from bangfu.registry.tests.factories import make_household


def _head_number(household):
    return household.members.get(is_head=True).identity_number


def test_posting_an_id_number_opens_the_archive_without_the_number_in_any_url(tree, grassroots_cadre, login):
    household = make_household(tree.grassroots, name="王一")
    make_household(tree.grassroots, name="李二")
    number = _head_number(household)
    client = login(grassroots_cadre)
    typed = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    response = client.post("/households/", {"q": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/households/{household.pk}/"
    assert number not in response["Location"]


def test_an_id_search_with_other_filters_carries_a_token_not_the_number(tree, grassroots_cadre, login):
    household = make_household(tree.grassroots, name="王一", state="active")
    other = make_household(tree.grassroots, name="李二", state="active")
    number = _head_number(household)
    client = login(grassroots_cadre)
    response = client.post("/households/", {"q": number, "state": "active", "list": "1"})
    assert response.status_code == 302
    location = response["Location"]
    assert number not in location
    params = parse_qs(urlparse(location).query)
    assert set(params) == {"qid", "state", "list"}
    page = client.get(location)
    html = page.content.decode()
    assert household.archive_number in html and other.archive_number not in html
    assert number not in html
    assert household.members.get(is_head=True).identity_masked in html  # shown masked as the active search


def test_a_tampered_or_foreign_token_shows_nothing(tree, grassroots_cadre, outsider, login, client):
    household = make_household(tree.grassroots, name="王一")
    number = _head_number(household)
    cadre = login(grassroots_cadre)
    location = cadre.post("/households/", {"q": number, "state": "active"})["Location"]
    token = parse_qs(urlparse(location).query)["qid"][0]
    tampered = cadre.get("/households/", {"qid": token[:-2] + "xx"})
    assert tampered.status_code == 200 and household.archive_number not in tampered.content.decode()
    client.logout()
    # The same token in another union's hands finds nothing: scoping applies before the search.
    foreign = login(outsider).get("/households/", {"qid": token})
    assert household.archive_number not in foreign.content.decode()


def test_a_name_search_posts_and_lands_on_a_plain_list(tree, grassroots_cadre, login):
    make_household(tree.grassroots, name="王一")
    client = login(grassroots_cadre)
    response = client.post("/households/", {"q": "王一"})
    assert response.status_code == 302
    assert parse_qs(urlparse(response["Location"]).query) == {"q": ["王一"]}
