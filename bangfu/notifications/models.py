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

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT


class PreferenceQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str = "view"):
        # Personal, like the notices: each user reads and changes their own preference only.
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if action not in ("view", "change"):
            return self.none()
        return self.filter(user=user)


class NotificationPreference(models.Model):
    """How a user wants notices delivered besides the in-app inbox (which always gets them).

    No row means the defaults (both on): the row is written the first time the user changes something.
    """

    scope_org_path = None  # personal, see PreferenceQuerySet.restrict

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="notification_preference")
    email_enabled = models.BooleanField(_("send notices by e-mail"), default=True)
    sms_urgent_enabled = models.BooleanField(_("send urgent notices by text message"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def for_user(cls, user) -> NotificationPreference:
        """The user's stored preference, or an unsaved one with the defaults."""
        return cls.objects.filter(user=user).first() or cls(user=user)
