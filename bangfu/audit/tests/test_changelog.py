"""The field-level change log: written alike for requests, commands and tasks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import BaseCommand, call_command

from bangfu.accounts.models import User, UserRole
from bangfu.accounts.roles import Role
from bangfu.audit.models import ChangeLogEntry
from bangfu.core import context
from bangfu.orgs.models import LocalStandard, Org

pytestmark = pytest.mark.urls("bangfu.audit.tests.urls")


def _entries(model, pk=None):
    qs = ChangeLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model))
    if pk is not None:
        qs = qs.filter(object_id=str(pk))
    return qs.order_by("id")


def _new_standard(**fields):
    values = {"division_id": "440106", "kind": "minimum_wage", "amount": Decimal("2300"), "source": "test",
              "effective_from": "2025-01-01", "illustrative": True, **fields}
    return LocalStandard.objects.create(**values)


def test_create_update_delete_in_a_request_carry_actor_request_id_and_ip(tree, grassroots_cadre, login):
    client = login(grassroots_cadre)
    headers = {"HTTP_X_REQUEST_ID": "req-create-1", "REMOTE_ADDR": "10.20.30.40"}
    pk = int(client.post("/__audit_test__/standards/", {"amount": "1200.00"}, **headers).content)
    client.post(f"/__audit_test__/standards/{pk}/", {"amount": "1250.50"},
                HTTP_X_REQUEST_ID="req-update-1", REMOTE_ADDR="10.20.30.41")
    client.post(f"/__audit_test__/standards/{pk}/delete/", HTTP_X_REQUEST_ID="req-delete-1",
                REMOTE_ADDR="10.20.30.42")

    create, update, delete = _entries(LocalStandard, pk)
    for entry, request_id, ip in [(create, "req-create-1", "10.20.30.40"), (update, "req-update-1", "10.20.30.41"),
                                  (delete, "req-delete-1", "10.20.30.42")]:
        assert (entry.request_id, entry.ip, entry.source) == (request_id, ip, "request")
        assert (entry.actor_id, entry.actor_username, entry.org_id) == (
            grassroots_cadre.pk, "cadre", tree.grassroots.pk)
    assert create.action == "create" and create.changes["amount"] == [None, "1200.00"]
    assert create.changes["division"] == [None, "440106"]
    assert update.action == "update"
    assert update.changes == {"amount": ["1200.00", "1250.50"]}  # only what changed
    assert delete.action == "delete" and delete.changes["amount"] == ["1250.50", None]
    assert "2025" in create.object_repr


def test_a_save_that_changes_nothing_writes_nothing(tree):
    standard = _new_standard()
    before = ChangeLogEntry.objects.count()
    standard.amount = "2300.00"  # same value, different spelling
    standard.save()
    standard.save(update_fields=["source"])
    assert ChangeLogEntry.objects.count() == before


def test_update_fields_limit_the_before_query_and_the_entry(tree, django_assert_num_queries):
    standard = _new_standard()
    standard.source = "official gazette"
    standard.amount = Decimal("9999")  # not saved: not in update_fields
    with django_assert_num_queries(3):  # read the one stored column, UPDATE, INSERT the entry
        standard.save(update_fields=["source"])
    assert _entries(LocalStandard, standard.pk).last().changes == {"source": ["test", "official gazette"]}


def test_changes_in_a_management_command(tree):
    class Command(BaseCommand):
        def handle(self, *args, **options):
            _new_standard(kind="living_line", amount=Decimal("900"))

    call_command(Command())
    entry = _entries(LocalStandard).last()
    assert entry.source == "command" and entry.action == "create"
    assert entry.actor_id is None and len(entry.request_id) == 32  # its own id, so its changes group together


def test_changes_in_a_task_on_behalf_of_a_user(tree, county_reviewer):
    with context.acting_as_user(county_reviewer, source="task", job_id="task-42"):
        standard = _new_standard()
        standard.amount = Decimal("2400")
        standard.save()
    create, update = _entries(LocalStandard, standard.pk)
    for entry in (create, update):
        assert (entry.source, entry.job_ref, entry.actor_id, entry.org_id) == (
            "task", "task-42", county_reviewer.pk, tree.county.pk)
        assert entry.request_id
    assert update.changes == {"amount": ["2300.00", "2400"]}


def test_user_changes_never_log_the_password_and_mask_the_phone(tree):
    user = tree.user("newbie", tree.grassroots, Role.CASE_WORKER)
    user.phone = "13812345678"
    user.set_password("Another-pass-2026!")
    user.save()
    create, update = _entries(User, user.pk)
    assert "password" not in create.changes and "last_login" not in create.changes
    assert update.changes == {"phone": ["", "138****5678"]}
    assert "13812345678" not in str(ChangeLogEntry.objects.filter(object_id=str(user.pk)).values_list("changes"))


def test_roles_and_orgs_are_logged(tree, grassroots_cadre):
    role = UserRole.objects.create(user=grassroots_cadre, role=Role.HELPER)
    role_pk = role.pk
    role.delete()
    assert [e.action for e in _entries(UserRole, role_pk)] == ["create", "delete"]
    org = Org.objects.add_child(tree.county, instance=Org(code="GD-GZ-TH-003", name="新工会", level=4,
                                                        kind="enterprise", division_id="440106"))
    entry = _entries(Org, org.pk).get()
    assert entry.action == "create" and entry.changes["name"] == [None, "新工会"]
    assert "numchild" not in entry.changes


def test_divisions_are_not_logged(tree):
    from bangfu.orgs.models import Division

    assert not _entries(Division).exists()


def test_register_is_a_one_liner_with_masks_and_description(tree):
    from bangfu import audit
    from bangfu.audit.registry import register, tracked

    spec = tracked(LocalStandard)
    try:
        audit.register(LocalStandard, exclude=["illustrative"], masked=["source"], describe=lambda s: f"std {s.pk}")
        standard = _new_standard(source="secret source")
        entry = _entries(LocalStandard, standard.pk).get()
        assert entry.changes["source"] == [None, "******"]
        assert "illustrative" not in entry.changes
        assert entry.object_repr == f"std {standard.pk}"
    finally:
        register(LocalStandard, exclude=spec.exclude, masked=spec.maskers, describe=spec.describe)
