"""Evidence attachments and consents (DOMAIN.md §2, §9)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet


class Attachment(models.Model):
    """A scanned document kept outside the web root and served only through the scoped view.

    `kind` is an entry of the evidence code list; `content_type` is what the file's bytes are (not what
    the browser claimed); `sha256` lets an auditor prove the file was not changed.
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="attachments"
    )
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("member"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="attachments",
    )
    kind = models.CharField(_("document"), max_length=24)
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["household_id", "kind", "-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ConsentKind(models.TextChoices):
    SENSITIVE_DATA = "sensitive_data", _("Consent to processing sensitive personal information")
    ECONOMIC_CHECK = "economic_check", _("Authorisation of the household economic check")
    PUBLIC_NOTICE = "public_notice", _("Consent to the public notice (content and place)")
    GUARDIAN = "guardian", _("Guardian consent for a member under 14")


class Consent(models.Model):
    """A signed consent, with its date and the scan of the signed paper."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="consents"
    )
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("member concerned"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="consents",
    )
    kind = models.CharField(_("consent"), max_length=16, choices=ConsentKind.choices)
    signed_on = models.DateField(_("signed on"))
    signed_by_name = models.CharField(_("signed by"), max_length=64)
    scan = models.ForeignKey(
        Attachment, verbose_name=_("scan of the signed paper"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    notice_content = models.CharField(
        _("what the notice may show"), max_length=200, blank=True,
        help_text=_("For the public-notice consent: e.g. masked name and category."),
    )
    notice_place = models.CharField(
        _("where the notice is posted"), max_length=16, blank=True,
        choices=[("workplace", _("Workplace")), ("community", _("Community"))],
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["household_id", "kind", "-signed_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.signed_on}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None
