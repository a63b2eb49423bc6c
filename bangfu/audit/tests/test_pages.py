"""The audit pages: audit admins only, scoped to their subtree, filterable, paginated, and themselves logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.audit.access import log_access
from bangfu.audit.models import AccessLogEntry, ChangeLogEntry
from bangfu.audit.pagination import PAGE_SIZE
from bangfu.audit.registry import write_entry
from bangfu.core import context

PAGES = ["/audit/changes/", "/audit/access/"]


def _change(user, obj, **changes):
    with context.acting_as_user(user, source="task"):
        return write_entry(obj, ChangeLogEntry.Action.UPDATE, changes or {"name": ["a", "b"]})


@pytest.fixture
def logged(tree, grassroots_cadre, outsider, county_reviewer, city_fund_manager):
    """One change and one access entry by users at several levels of the tree, and one by the system."""
    rows = {
        "grassroots": _change(grassroots_cadre, tree.grassroots),
        "sibling": _change(outsider, tree.sibling),
        "county": _change(county_reviewer, tree.county),
        "city": _change(city_fund_manager, tree.city),
        "system": write_entry(tree.national, ChangeLogEntry.Action.UPDATE, {"name": ["x", "y"]}),
    }
    with context.acting_as_user(grassroots_cadre, source="task"):
        rows["access_grassroots"] = log_access(None, "export", obj=tree.grassroots, rows=1)
    with context.acting_as_user(city_fund_manager, source="task"):
        rows["access_city"] = log_access(None, "export", obj=tree.city, rows=1)
    return rows


def _ids(response):
    return {row.pk for row in response.context["page"].rows}


def test_audit_admin_sees_lists_and_details(tree, audit_admin, verified_login, logged):
    client = verified_login(audit_admin)
    changes = client.get("/audit/changes/")
    assert changes.status_code == 200
    assert {logged[k].pk for k in ("grassroots", "sibling", "county", "city", "system")} <= _ids(changes)
    detail = client.get(f"/audit/changes/{logged['county'].pk}/")
    assert detail.status_code == 200 and "天河区总工会".encode() in detail.content
    access = client.get("/audit/access/")
    assert {logged["access_grassroots"].pk, logged["access_city"].pk} <= _ids(access)
    assert client.get(f"/audit/access/{logged['access_city'].pk}/").status_code == 200


@pytest.mark.parametrize("persona", ["national_sysadmin", "security_admin", "city_fund_manager", "county_reviewer",
                                     "grassroots_cadre", "outsider", "provider_user", "worker_user"])
def test_everyone_but_audit_admins_gets_404(request, persona, verified_login, logged):
    client = verified_login(request.getfixturevalue(persona))
    for url in [*PAGES, f"/audit/changes/{logged['grassroots'].pk}/", f"/audit/access/{logged['access_city'].pk}/"]:
        response = client.get(url)
        assert response.status_code == 404, (persona, url)
        # The 404 page keeps the navigation (with the user's own union in the account menu): nothing of the
        # audited records in the page's content.
        assert "天河" not in response.content.decode().split('id="content"', 1)[1]


def test_anonymous_users_are_sent_to_sign_in(client, logged):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_auditor_sees_the_subtree_of_their_org_only(tree, county_auditor, verified_login, logged):
    client = verified_login(county_auditor)
    visible = _ids(client.get("/audit/changes/"))
    assert {logged["grassroots"].pk, logged["sibling"].pk, logged["county"].pk} <= visible
    assert logged["city"].pk not in visible and logged["system"].pk not in visible  # above them / no org
    assert client.get(f"/audit/changes/{logged['city'].pk}/").status_code == 404
    assert client.get(f"/audit/changes/{logged['system'].pk}/").status_code == 404
    assert client.get(f"/audit/access/{logged['access_city'].pk}/").status_code == 404
    assert logged["access_grassroots"].pk in _ids(client.get("/audit/access/"))
    # An org outside the subtree cannot even be used as a filter.
    response = client.get("/audit/changes/", {"org": "GD-GZ"})
    assert response.status_code == 200 and response.context["form"].errors["org"]
    assert not _ids(response)


def test_filters(tree, audit_admin, verified_login, logged, grassroots_cadre):
    client = verified_login(audit_admin)
    get = lambda url, **params: _ids(client.get(url, params))  # noqa: E731
    assert get("/audit/changes/", actor="cadre") == {logged["grassroots"].pk}
    assert get("/audit/changes/", org="GD-GZ-TH") == {logged[k].pk for k in ("grassroots", "sibling", "county")}
    assert get("/audit/changes/", request_id=logged["city"].request_id) == {logged["city"].pk}
    assert get("/audit/changes/", action="delete") == set()
    assert logged["county"].pk in get("/audit/changes/", action="update", object_type="orgs.org")
    county_history = get("/audit/changes/", object_type="orgs.org", object_id=str(tree.county.pk))
    assert logged["county"].pk in county_history and logged["city"].pk not in county_history
    assert {e.object_id for e in ChangeLogEntry.objects.filter(pk__in=county_history)} == {str(tree.county.pk)}
    today = timezone.localdate()
    assert logged["city"].pk in get("/audit/changes/", date_from=today.isoformat(), date_to=today.isoformat())
    assert get("/audit/changes/", date_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    assert get("/audit/access/", action="export", actor="cadre") == {logged["access_grassroots"].pk}
    assert get("/audit/access/", result="denied", action="export") == set()
    assert get("/audit/access/", object_type="orgs.org", object_id=str(tree.city.pk)) == {logged["access_city"].pk}


@pytest.mark.parametrize("params, field", [
    ({"date_from": "not-a-date"}, "date_from"),
    ({"date_from": "2026-02-30"}, "date_from"),
    ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to"),
    ({"org": "NO-SUCH-ORG"}, "org"),
    ({"action": "explode"}, "action"),
    ({"object_type": "nosuch.model"}, "object_type"),
    ({"request_id": "x" * 65}, "request_id"),
])
def test_bad_filter_input_is_a_form_error_not_a_500(audit_admin, verified_login, params, field):
    client = verified_login(audit_admin)
    response = client.get("/audit/changes/", params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not _ids(response)  # nothing listed under a filter that does not hold


def test_tampered_cursors_fall_back_to_the_first_page(audit_admin, verified_login):
    client = verified_login(audit_admin)
    for cursor in ({"before": "abc"}, {"after": "-5"}, {"before": "99999999999999999999"}):
        assert client.get("/audit/access/", cursor).status_code == 200


def test_keyset_pages_and_a_constant_number_of_queries(tree, audit_admin, verified_login, grassroots_cadre,
                                                       django_assert_max_num_queries):
    client = verified_login(audit_admin)
    first = [_change(grassroots_cadre, tree.grassroots) for _ in range(3)]
    with django_assert_max_num_queries(30) as few:
        client.get("/audit/changes/", {"actor": "cadre"})
    more = [_change(grassroots_cadre, tree.grassroots) for _ in range(PAGE_SIZE + 5)]
    with django_assert_max_num_queries(len(few.captured_queries)):  # no query per row
        page1 = client.get("/audit/changes/", {"actor": "cadre"})
    rows = page1.context["page"].rows
    assert [r.pk for r in rows] == sorted((e.pk for e in first + more), reverse=True)[:PAGE_SIZE]
    older = page1.context["page"].older_url
    assert older and "actor=cadre" in older and page1.context["page"].newer_url is None
    page2 = client.get(f"/audit/changes/{older}")
    assert {r.pk for r in page2.context["page"].rows} == {e.pk for e in first + more} - {r.pk for r in rows}
    assert page2.context["page"].older_url is None
    back = client.get(f"/audit/changes/{page2.context['page'].newer_url}")
    assert [r.pk for r in back.context["page"].rows] == [r.pk for r in rows]
    assert page1.context["page"].total == PAGE_SIZE + 8


def test_reading_the_audit_log_is_itself_logged(audit_admin, verified_login, logged):
    client = verified_login(audit_admin)
    client.get("/audit/changes/", {"actor": "cadre"}, REMOTE_ADDR="10.9.8.7")
    entry = AccessLogEntry.objects.filter(action="audit_read").latest("id")
    assert (entry.user_id, entry.object_type, entry.ip, entry.roles) == (
        audit_admin.pk, "audit.changelogentry", "10.9.8.7", "audit_admin")
    assert entry.detail["filters"] == {"actor": "cadre"}
    client.get(f"/audit/access/{logged['access_city'].pk}/")
    entry = AccessLogEntry.objects.filter(action="audit_read").latest("id")
    assert (entry.object_type, entry.object_id) == ("audit.accesslogentry", str(logged["access_city"].pk))
