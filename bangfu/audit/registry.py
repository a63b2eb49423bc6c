"""The explicit registry of models whose changes go to the field-level change log.

One line per model, in the owning app's `AppConfig.ready()` (or as a class decorator):

    audit.register(Household, exclude=["search_vector"], masked={"id_number": mask_id_number})

* `exclude`: fields never logged (secrets such as password hashes, derived or noisy columns);
* `masked`: fields logged only masked — a list (fully masked) or {field: masking function}; the
  clear value never reaches the log (DOMAIN.md §9);
* `describe`: how to name the object in the log when `str(obj)` would carry personal data.

How changes are captured: `pre_save` reads the stored values of the tracked fields only (one query
by primary key, limited to `update_fields` when given), `post_save` compares and writes one entry
with `{field: [before, after]}` for the fields that changed (nothing when none did), `post_delete`
writes the last values. Actor, org, request id, IP, source and job come from the action context
(`bangfu.core.context`), so requests, tasks and commands are logged alike.

Not captured (Django sends no signals for them): `QuerySet.update()`, `bulk_create`, `bulk_update`,
raw SQL, and fixture loading (`raw=True`). Code that changes registered data that way must run in
`bulk_job(...)`, which logs one entry per job. Inside `bulk_job` even `save()` writes no per-row entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models.signals import post_delete, post_save, pre_save

from bangfu.core import context

FULL_MASK = "******"

_registry: dict[type, Tracked] = {}


def _mask_fully(value) -> str:
    return FULL_MASK if value not in (None, "") else ""


@dataclass
class Tracked:
    """How one registered model is logged."""

    model: type
    exclude: frozenset[str]
    maskers: dict[str, Callable] = field(default_factory=dict)
    describe: Callable | None = None

    @cached_property
    def fields(self):
        """Concrete fields that are logged (never the primary key, never excluded ones)."""
        return [
            f for f in self.model._meta.concrete_fields
            if not f.primary_key and f.name not in self.exclude and f.attname not in self.exclude
        ]

    def attnames(self, update_fields=None) -> list[str]:
        fields = self.fields
        if update_fields is not None:
            fields = [f for f in fields if f.name in update_fields or f.attname in update_fields]
        return [f.attname for f in fields]

    def display(self, name: str, value):
        masker = self.maskers.get(name)
        if masker is None or value is None:
            return value
        return masker(str(value))

    def object_repr(self, instance) -> str:
        return str(self.describe(instance) if self.describe else instance)[:200]


def register(model=None, *, exclude: Iterable[str] = (), masked=None, describe: Callable | None = None):
    """Log every change of `model` field by field. Usable as a call or as a class decorator."""
    if model is None:
        return lambda cls: register(cls, exclude=exclude, masked=masked, describe=describe)
    maskers = dict(masked) if isinstance(masked, dict) else dict.fromkeys(masked or (), _mask_fully)
    _registry[model] = Tracked(model=model, exclude=frozenset(exclude), maskers=maskers, describe=describe)
    uid = f"bangfu.audit:{model._meta.label}"
    pre_save.connect(_pre_save, sender=model, weak=False, dispatch_uid=f"{uid}:pre_save")
    post_save.connect(_post_save, sender=model, weak=False, dispatch_uid=f"{uid}:post_save")
    post_delete.connect(_post_delete, sender=model, weak=False, dispatch_uid=f"{uid}:post_delete")
    return model


def registered_models() -> list[type]:
    return list(_registry)


def tracked(model) -> Tracked | None:
    return _registry.get(model)


def _logging_suspended() -> bool:
    from bangfu.audit.jobs import active_job_id

    return active_job_id() is not None


def _normalise(f, value):
    """Compare like with like: '12.50' assigned to a DecimalField equals Decimal('12.5') stored."""
    if value is None:
        return None
    try:
        return f.target_field.to_python(value) if f.is_relation else f.to_python(value)
    except Exception:  # noqa: BLE001 - a value the field cannot parse is compared as it is
        return value


def _pre_save(sender, instance, raw=False, using=None, update_fields=None, **kwargs):
    spec = _registry.get(sender)
    instance._audit_before = None
    if spec is None or raw or instance.pk is None or _logging_suspended():
        return
    attnames = spec.attnames(update_fields)
    if not attnames:
        return
    # Only the tracked columns of this one row: cheap, and it sees what is really stored.
    instance._audit_before = sender._base_manager.using(using).filter(pk=instance.pk).values(*attnames).first()


def _post_save(sender, instance, created, raw=False, using=None, update_fields=None, **kwargs):
    spec = _registry.get(sender)
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if spec is None or raw or _logging_suspended():
        return
    fields = [f for f in spec.fields if f.attname in spec.attnames(update_fields)]
    changes = {}
    for f in fields:
        after = getattr(instance, f.attname)
        if before is None:  # a new row (or one that was not there before)
            if not created and update_fields is not None:
                continue
            changes[f.name] = [None, spec.display(f.name, after)]
        elif _normalise(f, before.get(f.attname)) != _normalise(f, after):
            changes[f.name] = [spec.display(f.name, before.get(f.attname)), spec.display(f.name, after)]
    if not changes:
        return
    from bangfu.audit.models import ChangeLogEntry

    action = ChangeLogEntry.Action.CREATE if created or before is None else ChangeLogEntry.Action.UPDATE
    write_entry(instance, action, changes, spec=spec, using=using)


def _post_delete(sender, instance, using=None, **kwargs):
    spec = _registry.get(sender)
    if spec is None or _logging_suspended():
        return
    from bangfu.audit.models import ChangeLogEntry

    changes = {f.name: [spec.display(f.name, getattr(instance, f.attname, None)), None] for f in spec.fields}
    write_entry(instance, ChangeLogEntry.Action.DELETE, changes, spec=spec, using=using)


def write_entry(instance, action, changes, *, spec=None, using=None):
    """Append one change-log entry for `instance`, attributed from the action context."""
    from django.contrib.contenttypes.models import ContentType

    from bangfu.audit.models import ChangeLogEntry

    ctx = context.current()
    entry = ChangeLogEntry(
        actor_id=ctx.user_id,
        actor_username=ctx.username,
        org_id=ctx.org_id,
        request_id=ctx.request_id,
        ip=ctx.ip,
        source=ctx.source,
        job_ref=ctx.job_id,
        content_type=ContentType.objects.db_manager(using).get_for_model(type(instance), for_concrete_model=False),
        object_id=str(instance.pk),
        object_repr=spec.object_repr(instance) if spec else str(instance)[:200],
        action=action,
        changes=changes,
    )
    entry.save(using=using)
    return entry
