"""The audit trail: a field-level change log, an access log and the bulk jobs that write many rows.

Both logs are append-only: the ORM refuses updates and deletes here, and database triggers
(`bangfu.audit.triggers`, installed by the migrations) refuse them for raw SQL too.
Foreign keys out of the logs never constrain or cascade (`db_constraint=False`, `DO_NOTHING`): deleting
a user, an org or a content type must neither fail because of old log rows nor touch them.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit record."""


class Source(models.TextChoices):
    REQUEST = "request", _("Web request")
    TASK = "task", _("Background task")
    COMMAND = "command", _("Management command")
    SYSTEM = "system", _("System")


def _log_fk(to, verbose_name):
    """A reference out of the log that never constrains, cascades or adds a reverse accessor."""
    return models.ForeignKey(
        to, verbose_name=verbose_name, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )


class AuditScopedQuerySet(ScopedQuerySet):
    """Scoping by the actor's org; rows without an org (system work, unknown usernames) belong to the
    whole platform and are visible at the root of the tree only."""

    def restrict_to_subtree(self, user):
        org_path = user.scope_path
        if not org_path:
            return self.none()
        condition = Q(org__path__startswith=org_path)
        if user.org.depth == 1:
            condition |= Q(org__isnull=True)
        return self.filter(condition)


class AppendOnlyQuerySetMixin:
    """Refuses every bulk change path of a queryset (the funds ledger mixes it into its own queryset)."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only")

    def _update(self, values):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only")

    delete.queryset_only = True

    def _raw_delete(self, using):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only")


class AppendOnlyQuerySet(AppendOnlyQuerySetMixin, AuditScopedQuerySet):
    pass


class AppendOnlyManager(models.Manager.from_queryset(AppendOnlyQuerySet)):
    pass


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never changed or removed (the database triggers agree).

    Subclasses also need `AppendOnlyTriggers("<table>")` in a migration.
    """

    append_only_mutable_while: tuple[str, str] | None = None

    objects = AppendOnlyManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update"):
            raise AppendOnlyError(f"{self._meta.label} is append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} is append-only")


def append_only_models():
    """Every installed model protected by append-only triggers."""
    return [
        model for model in apps.get_models()
        if issubclass(model, AppendOnlyModel) or getattr(model, "append_only_mutable_while", None)
    ]


class ChangeLogEntry(AppendOnlyModel):
    """One create, update or delete of a registered model, field by field, or one bulk job.

    `changes` is `{field: [before, after]}` (masked where the registry says so); a bulk job writes a
    single entry (action `bulk`) describing the job instead of one per row.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        BULK = "bulk", _("Bulk job")

    scope_org_path = "org__path"

    time = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    actor = _log_fk(settings.AUTH_USER_MODEL, _("actor"))
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    org = _log_fk("orgs.Org", _("actor's organisation"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SYSTEM)
    job_ref = models.CharField(_("job or task"), max_length=64, blank=True, db_index=True)
    content_type = _log_fk("contenttypes.ContentType", _("object type"))
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log entries")
        base_manager_name = "objects"
        ordering = ["-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_change_object_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def change_rows(self):
        """(field label, before, after) for display, with the model's verbose field names."""
        model = self.content_type.model_class() if self.content_type_id else None
        labels = {}
        if model is not None:
            labels = {f.name: f.verbose_name for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
        return [
            (labels.get(name, name), *(list(pair) + [None, None])[:2])
            for name, pair in (self.changes or {}).items()
        ]


class AccessLogEntry(AppendOnlyModel):
    """A read of sensitive data, a reveal, an export, a print, or a security event (DOMAIN.md §9)."""

    class Action(models.TextChoices):
        VIEW = "view", _("Read of a sensitive page")
        REVEAL = "reveal", _("Reveal of a masked value")
        EXPORT = "export", _("Export")
        PRINT = "print", _("Print")
        CROSSCHECK = "crosscheck", _("Cross-check")
        APPROVE = "approve", _("Approval")
        PAYMENT = "payment", _("Payment")
        AUDIT_READ = "audit_read", _("Read of the audit log")
        LOGIN = "login", _("Sign-in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Sign-out")
        LOCKOUT = "lockout", _("Account locked out")
        UNLOCK = "unlock", _("Account unlocked")
        RESET_2FA = "reset_2fa", _("Two-factor reset")

    class Result(models.TextChoices):
        OK = "ok", _("Allowed")
        DENIED = "denied", _("Denied")

    scope_org_path = "org__path"

    time = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    user = _log_fk(settings.AUTH_USER_MODEL, _("user"))
    username = models.CharField(_("username"), max_length=150, blank=True)
    roles = models.CharField(_("roles"), max_length=200, blank=True)
    org = _log_fk("orgs.Org", _("organisation"))
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.OK)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SYSTEM)
    detail = models.JSONField(_("detail"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        base_manager_name = "objects"
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_access_object_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type} {self.object_id}".strip()


class JobQuerySet(AuditScopedQuerySet):
    def delete(self):
        raise AppendOnlyError("audit.Job rows are never deleted")

    delete.queryset_only = True

    def _raw_delete(self, using):
        raise AppendOnlyError("audit.Job rows are never deleted")


class Job(models.Model):
    """A bulk operation (import, re-classification, cross-check run...) that writes many rows.

    Rows it writes are stamped with it (`JobStamped`), and the change log gets one entry for the
    whole job. The row may be updated only while the job is running (the triggers enforce it).
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    scope_org_path = "org__path"
    append_only_mutable_while = ("status", "running")

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    actor = _log_fk(settings.AUTH_USER_MODEL, _("actor"))
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    org = _log_fk("orgs.Org", _("organisation"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SYSTEM)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    task_ref = models.CharField(_("task"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    rows_created = models.PositiveIntegerField(_("rows created"), default=0)
    rows_updated = models.PositiveIntegerField(_("rows updated"), default=0)
    rows_deleted = models.PositiveIntegerField(_("rows deleted"), default=0)
    rows_skipped = models.PositiveIntegerField(_("rows skipped"), default=0)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("error"), blank=True)

    objects = models.Manager.from_queryset(JobQuerySet)()

    class Meta:
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        base_manager_name = "objects"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored_status", None)
        if not self._state.adding and stored not in (None, self.Status.RUNNING):
            raise AppendOnlyError("a finished job is never changed")
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit.Job rows are never deleted")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    def add(self, *, created: int = 0, updated: int = 0, deleted: int = 0, skipped: int = 0) -> None:
        """Count rows as the job goes (saved when the job finishes)."""
        self.rows_created += created
        self.rows_updated += updated
        self.rows_deleted += deleted
        self.rows_skipped += skipped

    def stamp(self, objs):
        """Set `job` on unsaved objects before `bulk_create` (which bypasses `save()`)."""
        for obj in objs:
            obj.job_id = self.pk
        return objs


class JobStamped(models.Model):
    """Mixin for models written by bulk jobs: each row remembers the job that wrote it.

    `save()` inside `bulk_job(...)` stamps automatically; `bulk_create` callers use `job.stamp(objs)`,
    set-based SQL includes the job id column itself.
    """

    job = models.ForeignKey(
        "audit.Job", verbose_name=_("written by job"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        from bangfu.audit.jobs import active_job_id

        job_id = active_job_id()
        if job_id is not None and self.job_id != job_id:
            self.job_id = job_id
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "job"}
        super().save(*args, **kwargs)
