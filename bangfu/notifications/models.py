"""In-app notifications (and the record of their delivery by e-mail and SMS).

A notification belongs to one recipient; nobody else sees it (`NotificationQuerySet.restrict`). Scheduled
checks send the same notice every time they run, so each carries a `dedupe_key`: a second notice with the
same key for the same recipient is not written (a partial unique index), which makes the checks idempotent.
A notification says what is due and links to the page; health details never go into its text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet


class NotificationQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        # Personal: the recipient reads and marks their own notices; no role sees anybody else's.
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if action not in ("view", "change"):
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Notification(models.Model):
    """One notice to one user: in the app always; by e-mail and SMS when the user has an address or phone."""

    scope_org_path = None  # personal, see NotificationQuerySet.restrict

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    texted_at = models.DateTimeField(_("text message sent at"), null=True, blank=True)
    delivery_error = models.CharField(_("delivery error"), max_length=200, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], condition=~models.Q(dedupe_key=""),
                                    name="notification_once_per_key"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title
