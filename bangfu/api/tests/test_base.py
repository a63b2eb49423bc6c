"""The API base classes: action context from token auth, restrict() on every queryset, one error body."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

pytestmark = pytest.mark.urls("bangfu.api.tests.urls")


def test_token_requests_carry_the_user_in_the_action_context(tree, api_as, grassroots_cadre):
    answer = api_as(grassroots_cadre).get("/test-api/probe/whoami/", HTTP_X_REQUEST_ID="req-42")
    assert answer.status_code == 200
    assert answer.json() == {
        "user_id": grassroots_cadre.pk,
        "username": "cadre",
        "org_id": tree.grassroots.pk,
        "request_id": "req-42",
        "source": "request",
        "scope_action": "view",
    }


def test_querysets_go_through_restrict_with_the_mapped_action(tree, api_as, grassroots_cadre, national_sysadmin):
    cadre = api_as(grassroots_cadre)
    assert [o["code"] for o in cadre.get("/test-api/probe/").json()["results"]] == ["GD-GZ-TH-001"]
    assert cadre.get(f"/test-api/probe/{tree.sibling.pk}/").status_code == 404
    # A case worker may view but not change orgs: for "change", its own org is out of scope too.
    assert cadre.patch(f"/test-api/probe/{tree.grassroots.pk}/", {"code": "X"}, format="json").status_code == 404
    assert cadre.delete(f"/test-api/probe/{tree.grassroots.pk}/").status_code == 404
    # A custom action maps to its own permission action ("orgs.approve_org"), which no role holds.
    assert cadre.post(f"/test-api/probe/{tree.grassroots.pk}/approve/").status_code == 404
    admin = api_as(national_sysadmin)
    assert admin.post(f"/test-api/probe/{tree.grassroots.pk}/approve/").status_code == 404
    renamed = admin.patch(f"/test-api/probe/{tree.grassroots.pk}/", {"code": "GD-GZ-TH-001X"}, format="json")
    assert renamed.status_code == 200  # the system admin holds orgs.change_org


def test_a_model_without_restrict_is_refused(tree, api_as, grassroots_cadre):
    with pytest.raises(ImproperlyConfigured):
        api_as(grassroots_cadre).get("/test-api/unscoped/")


def test_unknown_detail_and_malformed_ids_are_the_same_404(tree, api_as, grassroots_cadre):
    client = api_as(grassroots_cadre, language="en")
    bodies = [client.get(f"/test-api/probe/{pk}/").json() for pk in ("abc", "99999999999999999999", "0")]
    assert bodies == [{"status": 404, "code": "not_found", "detail": "Not found."}] * 3


def _api_views():
    from django.urls import URLResolver, get_resolver

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            elif getattr(entry.callback, "cls", None) is not None:
                yield entry.callback.cls

    (api,) = [p for p in get_resolver("bangfu.urls").url_patterns if getattr(p, "namespace", None) == "api"]
    return set(walk(api.url_patterns))


def test_every_api_view_sets_the_action_context_and_scoped_models_use_restrict():
    """A guard for later apps: their endpoints must be built on the base classes."""
    from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
    from rest_framework.routers import APIRootView

    from bangfu.api.auth_views import NotFoundView
    from bangfu.api.base import ApiViewMixin, ReferenceViewSetMixin, ScopedViewSetMixin

    exempt = (SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView, APIRootView, NotFoundView)
    views = _api_views()
    assert len(views) >= 5
    problems = []
    for view in views:
        if issubclass(view, exempt):
            continue
        if not issubclass(view, ApiViewMixin):
            problems.append(f"{view.__name__} does not inherit ApiViewMixin")
        queryset = getattr(view, "queryset", None)
        if queryset is not None and hasattr(queryset, "restrict") and not issubclass(view, ScopedViewSetMixin):
            problems.append(f"{view.__name__} serves a scoped model without ScopedViewSetMixin")
        if queryset is not None and not hasattr(queryset, "restrict") and not issubclass(view, ReferenceViewSetMixin):
            problems.append(f"{view.__name__} serves an unscoped model: use ReferenceViewSetMixin if it is public")
    assert not problems, problems
