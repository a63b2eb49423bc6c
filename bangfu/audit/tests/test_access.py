"""The access log: security events, reads through `@audited_read`, and `log_access` outside requests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from bangfu.accounts.models import UserRole
from bangfu.accounts.roles import Role
from bangfu.audit.access import log_access
from bangfu.audit.models import AccessLogEntry
from bangfu.core import context
from bangfu.orgs.models import LocalStandard
from conftest import PASSWORD

pytestmark = pytest.mark.urls("bangfu.audit.tests.urls")


def _last(action):
    return AccessLogEntry.objects.filter(action=action).latest("id")


def test_sign_in_and_sign_out_are_logged_with_roles_org_ip_and_request_id(tree, grassroots_cadre, client):
    UserRole.objects.create(user=grassroots_cadre, role=Role.HELPER)
    client.post("/accounts/login/", {"username": "cadre", "password": PASSWORD},
                REMOTE_ADDR="192.0.2.10", HTTP_X_REQUEST_ID="login-req-1")
    entry = _last("login")
    assert (entry.user_id, entry.username, entry.org_id, entry.roles) == (
        grassroots_cadre.pk, "cadre", tree.grassroots.pk, "case_worker,helper")
    assert (entry.result, entry.ip, entry.request_id, entry.source) == ("ok", "192.0.2.10", "login-req-1", "request")
    client.post("/accounts/logout/")
    assert _last("logout").user_id == grassroots_cadre.pk


def test_failed_sign_ins_are_logged_and_attributed_to_the_account(tree, grassroots_cadre, client):
    client.post("/accounts/login/", {"username": "cadre", "password": "wrong-Pass-1"}, REMOTE_ADDR="192.0.2.11")
    entry = _last("login_failed")
    assert (entry.result, entry.user_id, entry.org_id, entry.ip) == ("denied", grassroots_cadre.pk,
                                                                      tree.grassroots.pk, "192.0.2.11")
    assert "wrong-Pass-1" not in str(entry.detail)
    client.post("/accounts/login/", {"username": "nobody-here", "password": "wrong-Pass-1"})
    entry = _last("login_failed")
    assert (entry.user_id, entry.org_id, entry.username) == (None, None, "nobody-here")
    assert entry.detail == {"known_account": False}


def test_lockout_is_logged(tree, grassroots_cadre, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "cadre", "password": "wrong-Pass-1"})
    entry = _last("lockout")
    assert (entry.result, entry.user_id, entry.username, entry.org_id) == (
        "denied", grassroots_cadre.pk, "cadre", tree.grassroots.pk)


def test_audited_read_logs_allowed_and_denied_reads(tree, grassroots_cadre, login):
    standard = LocalStandard.objects.create(division_id="440106", kind="living_line", amount=Decimal("900"),
                                            effective_from="2025-01-01", source="t", illustrative=True)
    client = login(grassroots_cadre)
    assert client.get(f"/__audit_test__/standards/{standard.pk}/read/", REMOTE_ADDR="10.0.0.9").status_code == 200
    ok = _last("view")
    assert (ok.object_type, ok.object_id, ok.result, ok.user_id, ok.ip) == (
        "orgs.localstandard", str(standard.pk), "ok", grassroots_cadre.pk, "10.0.0.9")
    assert ok.detail["status"] == 200 and ok.request_id
    assert client.get("/__audit_test__/standards/999999/read/").status_code == 404
    denied = _last("view")
    assert (denied.object_type, denied.object_id, denied.result) == ("orgs.localstandard", "999999", "denied")


def test_log_access_outside_a_request_uses_the_action_context(tree, city_fund_manager):
    with context.acting_as_user(city_fund_manager, source="task", job_id="export-1"):
        entry = log_access(None, "export", obj=tree.city, rows=12)
    assert (entry.user_id, entry.org_id, entry.source, entry.object_type, entry.object_id) == (
        city_fund_manager.pk, tree.city.pk, "task", "orgs.org", str(tree.city.pk))
    assert entry.detail == {"rows": 12} and entry.request_id and entry.roles == "fund_manager"
