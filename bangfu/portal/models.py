"""The worker portal's own records: one-time codes sent by SMS, invitation codes, and the OTP device that marks a
session as having passed the SMS step.

No code is stored in clear: `code_hash` is an HMAC of the code under the site's secret key (`bangfu.portal.codes`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from bangfu.core.scoping import ScopedQuerySet


class CodePurpose(models.TextChoices):
    ACTIVATION = "activation", _("Account activation")
    LOGIN = "login", _("Sign-in")


class OneTimeCode(models.Model):
    """A six-digit code sent by SMS to a worker account's phone: to activate the account (set the first password)
    or as the second step of signing in. Valid until `expires_at`, for at most `MAX_ATTEMPTS` tries, once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE,
                             related_name="+")
    purpose = models.CharField(_("purpose"), max_length=16, choices=CodePurpose.choices)
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["user", "purpose", "created_at"], name="portal_code_user_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class InvitationQuerySet(ScopedQuerySet):
    pass


class WorkerInvitation(models.Model):
    """A single-use invitation code that union staff hand to a household member (on paper or in person): with
    it the member opens their own worker account, choosing the phone number and password."""

    scope_org_path = "member__household__org__path"

    member = models.ForeignKey("registry.Member", verbose_name=_("member"), on_delete=models.CASCADE,
                               related_name="+")
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account opened"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("worker invitation")
        verbose_name_plural = _("worker invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member} · {self.created_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class SmsDevice(Device):
    """The worker's phone as a django-otp device: a session that passed the SMS code is "verified" the same way
    a staff session that passed TOTP is (`request.user.is_verified()`). The codes themselves are `OneTimeCode`
    rows; this row only names the device."""

    class Meta:
        verbose_name = _("SMS sign-in device")
        verbose_name_plural = _("SMS sign-in devices")

    def verify_token(self, token) -> bool:
        from bangfu.portal.codes import check_code

        return check_code(self.user, CodePurpose.LOGIN, token).ok
