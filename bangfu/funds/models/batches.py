"""Bank batches: approved payments sent to the bank as one file, and the bank's result file read back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet


class PaymentBatch(models.Model):
    """A set of approved payments of one paying union sent to the bank together.

    Open → exported (the file went to the bank; payments are `in_batch`) → reconciled (every payment
    is paid or failed, from the bank's result file).
    """

    class State(models.TextChoices):
        OPEN = "open", _("Being assembled")
        EXPORTED = "exported", _("Sent to the bank")
        RECONCILED = "reconciled", _("Reconciled")

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("paying union"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("batch number"), max_length=32, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("exported by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    export_count = models.PositiveSmallIntegerField(_("times exported"), default=0)
    file_sha256 = models.CharField(_("SHA-256 of the last file"), max_length=64, blank=True)
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank batch")
        verbose_name_plural = _("bank batches")
        ordering = ["-id"]
        permissions = [("export_paymentbatch", "Export the bank payment file (full account numbers)")]

    def __str__(self) -> str:
        return self.number


class BankResultImport(models.Model):
    """One bank result file read against a batch: who uploaded it, its hash, and what it changed."""

    scope_org_path = "batch__org__path"

    batch = models.ForeignKey(PaymentBatch, verbose_name=_("bank batch"), on_delete=models.PROTECT,
                              related_name="result_imports")
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    paid_count = models.PositiveIntegerField(_("paid"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    paid_fen = models.BigIntegerField(_("amount paid (fen)"), default=0)
    failed_fen = models.BigIntegerField(_("amount failed (fen)"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank result file")
        verbose_name_plural = _("bank result files")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.batch} {self.original_name}"
