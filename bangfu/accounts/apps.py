from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "bangfu.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from bangfu.accounts.models import UserRole

        def _sync(sender, instance, raw=False, **kwargs):
            if not raw:
                from bangfu.accounts.services import sync_staff_flag

                sync_staff_flag(instance.user_id)

        # Every path that grants or revokes a role (services, admin inline, fixtures) keeps is_staff in step.
        post_save.connect(_sync, sender=UserRole, weak=False, dispatch_uid="accounts.userrole_staff_save")
        post_delete.connect(_sync, sender=UserRole, weak=False, dispatch_uid="accounts.userrole_staff_delete")

        from axes.signals import user_locked_out

        def _revoke_tokens_on_lockout(sender, username=None, **kwargs):
            from bangfu.accounts.models import User
            from bangfu.accounts.services import revoke_api_tokens

            user = User.objects.filter(username=username).first() if username else None
            if user is not None:
                revoke_api_tokens(user)

        # A locked-out account keeps no working API token (the lockout would otherwise not bite the API).
        user_locked_out.connect(_revoke_tokens_on_lockout, weak=False, dispatch_uid="accounts.lockout_tokens")

