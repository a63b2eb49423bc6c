"""Audit records cannot be changed or removed: not through the ORM, not through the admin, not with raw SQL."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from bangfu.audit.access import log_access
from bangfu.audit.models import AccessLogEntry, AppendOnlyError, ChangeLogEntry, Job
from bangfu.audit.registry import write_entry
from bangfu.audit.triggers import ensure_triggers, installed_triggers
from bangfu.orgs.models import Org
from tests.reference import load_divisions

TABLES = ["audit_changelogentry", "audit_accesslogentry"]

# The flush that ends the transactional test below is part of what it checks: keep Django's own (TRUNCATE on
# PostgreSQL) rather than the conftest's cheaper DELETE (tests/reference.py).
REAL_TEARDOWN_FLUSH = True


@pytest.fixture
def entries(tree):
    change = write_entry(tree.county, ChangeLogEntry.Action.UPDATE, {"name": ["a", "b"]})
    access = log_access(None, "export", obj=tree.county, rows=3)
    return change, access


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_orm_refuses_update_and_delete(entries):
    for entry in entries:
        model = type(entry)
        original = entry.object_id
        entry.object_id = "tampered"
        with pytest.raises(AppendOnlyError):
            entry.save()
        entry.object_id = original
        with pytest.raises(AppendOnlyError):
            entry.delete()
        with pytest.raises(AppendOnlyError):
            model.objects.filter(pk=entry.pk).update(object_id="x")
        with pytest.raises(AppendOnlyError):
            model.objects.filter(pk=entry.pk).delete()
        with pytest.raises(AppendOnlyError):
            model._base_manager.filter(pk=entry.pk).delete()
        with pytest.raises(AppendOnlyError):
            model.objects.bulk_update([entry], ["object_id"])
        assert model.objects.filter(pk=entry.pk, object_id=entry.object_id).exists()


@pytest.mark.parametrize("table", TABLES)
def test_raw_sql_update_and_delete_are_refused_by_the_database(entries, table):
    assert installed_triggers(connection, table)  # installed by the migration, on this vendor
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f'UPDATE "{table}" SET object_id = %s', ["tampered"])  # noqa: S608
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f'DELETE FROM "{table}"')  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}" WHERE object_id = %s', ["tampered"])  # noqa: S608
        assert cursor.fetchone()[0] == 0


def test_raw_truncate_is_refused_on_postgresql(entries):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with pytest.raises(IntegrityError, match="append-only"):
        _raw('TRUNCATE "audit_changelogentry" CASCADE')
    assert ChangeLogEntry.objects.exists()


def test_a_job_may_change_while_running_and_never_after(tree):
    job = Job.objects.create(kind="test")
    _raw('UPDATE "audit_job" SET rows_created = 5 WHERE id = %s', [job.pk])
    _raw("UPDATE \"audit_job\" SET status = 'done' WHERE id = %s", [job.pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw('UPDATE "audit_job" SET rows_created = 6 WHERE id = %s', [job.pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw('DELETE FROM "audit_job" WHERE id = %s', [job.pk])
    job = Job.objects.get(pk=job.pk)
    assert (job.status, job.rows_created) == ("done", 5)
    job.rows_created = 7
    with pytest.raises(AppendOnlyError):
        job.save()
    with pytest.raises(AppendOnlyError):
        Job.objects.filter(pk=job.pk).delete()


def test_flush_may_empty_the_logs_and_leaves_them_protected(entries):
    # Django's flush (TransactionTestCase, an operator) takes a purge permit for its own transaction only.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # PostgreSQL will not TRUNCATE with deferred FK checks pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    assert not ChangeLogEntry.objects.exists() and not AccessLogEntry.objects.exists()
    log_access(None, "export", object_type="x", object_id="1")
    with pytest.raises(IntegrityError, match="append-only"):
        _raw('DELETE FROM "audit_accesslogentry"')
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM "bangfu_purge_permit"')
            assert cursor.fetchone()[0] == 0


@pytest.fixture
def reload_reference_data(django_db_blocker):
    """Runs after transactional_db's flush (it is set up before it): the divisions come back for later tests."""
    yield
    with django_db_blocker.unblock():
        load_divisions()  # the command's rows, copied from the session's first load


def test_transactional_tests_can_flush_the_audit_tables(reload_reference_data, transactional_db):
    # Commits real audit rows; pytest-django's teardown then flushes them — which fails loudly if the
    # triggers blocked it. The explicit flush here checks the same path inside the test.
    write_entry(Job(pk=1, kind="x"), ChangeLogEntry.Action.BULK, {})
    log_access(None, "login", username="someone")
    call_command("flush", interactive=False, verbosity=0)
    assert not ChangeLogEntry.objects.exists()
    log_access(None, "login", username="someone")
    with pytest.raises(IntegrityError):
        _raw('DELETE FROM "audit_accesslogentry"')


def test_missing_triggers_are_recreated_after_migrate(tree):
    # Django's SQLite schema editor rebuilds a table on some ALTERs and drops its triggers with it.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute('DROP TRIGGER "audit_changelogentry_no_delete"')
        else:
            cursor.execute('DROP TRIGGER "audit_changelogentry_no_delete" ON "audit_changelogentry"')
    assert ensure_triggers() == ["audit_changelogentry"]
    write_entry(Org.objects.first(), ChangeLogEntry.Action.UPDATE, {})
    with pytest.raises(IntegrityError, match="append-only"):
        _raw('DELETE FROM "audit_changelogentry"')


def test_admin_grants_no_add_change_or_delete_even_to_audit_admins(tree, audit_admin, entries, rf):
    request = rf.get("/admin/")
    request.user = audit_admin
    for entry in entries:
        model_admin = admin.site._registry[type(entry)]
        assert model_admin.has_view_permission(request, entry)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, entry)
        assert not model_admin.has_delete_permission(request, entry)
        assert not model_admin.get_actions(request)  # no "delete selected"
        assert set(model_admin.get_queryset(request)) >= {entry}


def test_admin_pages_refuse_every_write(tree, national_sysadmin, verified_login, entries):
    # The system administrator can enter the admin (even as a superuser) but is no auditor: the audit
    # models are neither listed nor viewable, and every write is refused.
    national_sysadmin.is_staff = national_sysadmin.is_superuser = True
    national_sysadmin.save()
    client = verified_login(national_sysadmin)
    assert client.get("/admin/").status_code == 200
    for entry in entries:
        base = f"/admin/audit/{entry._meta.model_name}/"
        assert client.get(base).status_code == 403
        assert client.get(f"{base}{entry.pk}/change/").status_code in (302, 403)
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}{entry.pk}/change/", {"object_id": "x"}).status_code in (302, 403)
        assert client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
        assert client.post(base, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
                           ).status_code == 403
        assert type(entry).objects.filter(pk=entry.pk, object_id=entry.object_id).exists()
    assert b"audit/changelogentry" not in client.get("/admin/").content
