"""Admin of the registry: code lists editable by system admins; households read-only and scoped."""

from __future__ import annotations

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.registry.models import CodeItem
from bangfu.registry.models.codes import code_label
from bangfu.registry.tests.factories import make_household


def _admin(tree, client, username, org, *roles):
    user = tree.user(username, org, *roles)
    client.force_login(user)
    session = client.session
    # The admin roles need a verified second factor: mark the session as verified (django-otp).
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return user


def test_system_admin_edits_code_list_entries_but_cannot_delete(tree, client):
    _admin(tree, client, "sys", tree.national, Role.SYSTEM_ADMIN)
    item = CodeItem.objects.get(code_list="cause", code="6")
    assert client.get("/admin/registry/codeitem/").status_code == 200
    url = f"/admin/registry/codeitem/{item.pk}/change/"
    response = client.post(url, {"name_zh": "重大疾病（改）", "name_en": "Serious disease (edited)",
                                 "sort_order": item.sort_order, "is_active": "on", "flags": "{}"})
    assert response.status_code == 302, response.content[:2000]
    item.refresh_from_db()
    assert item.name_zh == "重大疾病（改）" and item.code == "6"
    assert code_label("cause", "6") in ("重大疾病（改）", "Serious disease (edited)")  # cache dropped
    assert client.get(f"/admin/registry/codeitem/{item.pk}/delete/").status_code == 403


def test_household_admin_hidden_from_a_pure_system_admin(tree, client):
    make_household(tree.grassroots, name="甲秘")
    _admin(tree, client, "sys2", tree.national, Role.SYSTEM_ADMIN)
    assert client.get("/admin/registry/household/").status_code == 403


def test_household_admin_is_for_superusers_scoped_and_read_only(tree, client):
    mine = make_household(tree.grassroots)
    far = make_household(tree.other_grassroots)
    user = _admin(tree, client, "sys3", tree.grassroots, Role.SYSTEM_ADMIN)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    body = client.get("/admin/registry/household/").content.decode()
    assert mine.archive_number in body and far.archive_number not in body
    assert client.get(f"/admin/registry/household/{far.pk}/change/").status_code in (302, 404)
    page = client.get(f"/admin/registry/household/{mine.pk}/change/")
    assert page.status_code == 200
    assert mine.members.get(is_head=True).identity_number not in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert AccessLogEntry.objects.filter(action="view", object_id=str(mine.pk)).exists()
