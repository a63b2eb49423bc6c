import uuid

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "bangfu.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from django.contrib.auth import signals as auth_signals

        from bangfu.audit import access
        from bangfu.audit.triggers import ensure_triggers

        register_foundation_models()
        auth_signals.user_logged_in.connect(access.on_logged_in, dispatch_uid="bangfu.audit.login")
        auth_signals.user_logged_out.connect(access.on_logged_out, dispatch_uid="bangfu.audit.logout")
        auth_signals.user_login_failed.connect(access.on_login_failed, dispatch_uid="bangfu.audit.login_failed")
        try:
            from axes.signals import user_locked_out
        except ImportError:  # axes is a hard dependency; this only guards a stripped-down install
            pass
        else:
            user_locked_out.connect(access.on_locked_out, dispatch_uid="bangfu.audit.lockout")
        post_migrate.connect(
            lambda sender, using="default", **kw: ensure_triggers(using) if sender is self else None,
            weak=False, dispatch_uid="bangfu.audit.ensure_triggers",
        )
        attribute_commands_to_command_source()


def register_foundation_models():
    """The foundation's own models; later apps register theirs in their own `ready()`.

    Divisions are bulk-loaded public reference data and are not logged row by row.
    """
    from bangfu.accounts.models import User, UserRole
    from bangfu.audit.registry import register
    from bangfu.core.masking import mask_phone
    from bangfu.orgs.models import LocalStandard, Org

    register(Org, exclude=["numchild"])  # numchild is treebeard bookkeeping, changed by SQL updates
    register(LocalStandard)
    register(User, exclude=["password", "last_login"], masked={"phone": mask_phone})
    register(UserRole)


def attribute_commands_to_command_source():
    """Management commands act with source "command" and their own request id, so changes they make
    are told apart from system work. Django has no hook around commands; wrapping
    `BaseCommand.execute` once covers every command, ours and third-party ones alike."""
    from django.core.management.base import BaseCommand

    from bangfu.core import context

    original = BaseCommand.execute
    if getattr(original, "_bangfu_audited", False):
        return

    def execute(self, *args, **options):
        if context.current().source != "system":  # already attributed (a command called from a request/task)
            return original(self, *args, **options)
        with context.acting(source="command", request_id=uuid.uuid4().hex):
            return original(self, *args, **options)

    execute._bangfu_audited = True
    BaseCommand.execute = execute
