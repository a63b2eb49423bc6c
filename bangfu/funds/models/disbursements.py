"""A payment of assistance to one household, its approval steps, and the bank batches that pay it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangfu.core.fields import EncryptedTextField
from bangfu.core.masking import mask_bank_account, mask_name
from bangfu.core.scoping import ScopedQuerySet
from bangfu.funds.models.sources import AidCategory
from bangfu.registry.models import Household


class DisbursementState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("In approval")
    APPROVED = "approved", _("Approved (funds reserved)")
    IN_BATCH = "in_batch", _("Sent to the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Payment failed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# States in which a payment counts against caps and the "same item and period" rule.
COMMITTED_STATES = frozenset({DisbursementState.SUBMITTED, DisbursementState.APPROVED,
                              DisbursementState.IN_BATCH, DisbursementState.PAID})
# States in which funds are reserved in the ledger (available → reserved happened, not yet paid/failed).
RESERVED_STATES = frozenset({DisbursementState.APPROVED, DisbursementState.IN_BATCH})


class DisbursementQuerySet(ScopedQuerySet):
    def restrict_to_subtree(self, user):
        # The paying union's subtree sees its payments; so does the union of the household (a grassroots
        # case worker follows the payments to the households they look after, paid by the county).
        # Approving, batching and paying are for the paying union's subtree only.
        org_path = user.scope_path
        if not org_path:
            return self.none()
        return self.filter(Q(org__path__startswith=org_path) | Q(household__org__path__startswith=org_path))

    def restrict(self, user, action: str = "view"):
        queryset = super().restrict(user, action)
        if getattr(user, "kind", "") != "staff":
            return queryset
        paying = Q(org__path__startswith=user.scope_path or "\0")
        if action in {"approve", "batch"}:
            queryset = queryset.filter(paying)
        elif action == "change":
            # The creator may submit and withdraw their own payment until it is approved (a grassroots case
            # worker's application paid by the county); after that only the paying union's subtree.
            queryset = queryset.filter(paying | Q(created_by=user, state__in=[DisbursementState.DRAFT,
                                                                             DisbursementState.SUBMITTED]))
        return queryset

    def restrict_for_worker(self, user, action):
        # A worker sees the payments to their own household (never someone else's), and only reads them.
        if action != "view":
            return self.none()
        return self.filter(household__in=Household.objects.filter(members__account=user).values("pk"))

    def committed(self):
        return self.filter(state__in=COMMITTED_STATES)


class Disbursement(models.Model):
    """One payment of one category to one household's real-name bank card, from one org's funds.

    The payee (the head's name and card) is copied from the archive when the payment is created, so
    later edits of the archive never change what was approved. `route` is the list of approval steps
    fixed at submission; `current_step` counts the steps passed.
    """

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("paying union"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="disbursements")
    source = models.ForeignKey("funds.FundSource", verbose_name=_("source"), on_delete=models.PROTECT,
                               related_name="+")
    year = models.PositiveSmallIntegerField(_("budget year"))
    category = models.CharField(_("aid category"), max_length=16, choices=AidCategory.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    item = models.CharField(_("item"), max_length=100,
                            help_text=_("What is paid, e.g. 'hospital stay March 2026' or 'school year 2026'."))
    period = models.CharField(_("period"), max_length=16,
                              help_text=_("The period the payment covers, e.g. 2026, 2026-03 or 2026-H2."))
    state = models.CharField(_("state"), max_length=16, choices=DisbursementState.choices,
                             default=DisbursementState.DRAFT, db_index=True)

    # Category-specific facts the caps need.
    student = models.ForeignKey("registry.Member", verbose_name=_("student"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    out_of_pocket_fen = models.BigIntegerField(_("out-of-pocket medical cost (fen)"), null=True, blank=True)
    receipt = models.ForeignKey("registry.Attachment", verbose_name=_("receipt"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    # Payee, copied from the archive (real name, real-name card).
    payee_name = models.CharField(_("payee"), max_length=64)
    payee_bank = models.CharField(_("bank"), max_length=64, blank=True)
    payee_account = EncryptedTextField(_("bank account"))
    payee_account_last4 = models.CharField(_("bank account, last 4"), max_length=4)

    route = models.JSONField(_("approval steps"), default=list, blank=True)
    current_step = models.PositiveSmallIntegerField(_("steps passed"), default=0)
    notice_until = models.DateField(_("public notice until"), null=True, blank=True)
    batch = models.ForeignKey("funds.PaymentBatch", verbose_name=_("bank batch"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="disbursements")
    campaign = models.ForeignKey("funds.Campaign", verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="disbursements")
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    failure_reason = models.CharField(_("reason of failure"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DisbursementQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="disbursement_positive"),
            # No duplicate payment for the same item and period (DOMAIN.md §5), even under concurrency.
            models.UniqueConstraint(
                fields=["household", "category", "item", "period"],
                condition=Q(state__in=["submitted", "approved", "in_batch", "paid"]),
                name="disbursement_once_per_item_period",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "year", "category"], name="disbursement_household_year"),
            models.Index(fields=["org", "state", "-id"], name="disbursement_org_state"),
        ]
        permissions = [
            ("approve_disbursement", "Decide an approval step of a payment"),
            ("batch_disbursement", "Put approved payments into bank batches and reconcile them"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.household} #{self.pk}"

    @property
    def payee_name_masked(self) -> str:
        return mask_name(self.payee_name)

    @property
    def payee_account_masked(self) -> str:
        return mask_bank_account(self.payee_account_last4)

    @property
    def next_step(self) -> dict | None:
        if self.state != DisbursementState.SUBMITTED or self.current_step >= len(self.route):
            return None
        return self.route[self.current_step]


class ApprovalDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class Approval(models.Model):
    """One decided step of a payment's approval (kept for ever; a payment's steps are its audit trail)."""

    scope_org_path = "disbursement__org__path"

    disbursement = models.ForeignKey(Disbursement, verbose_name=_("payment"), on_delete=models.PROTECT,
                                     related_name="approvals")
    step = models.PositiveSmallIntegerField(_("step"))
    role = models.CharField(_("role"), max_length=24)
    decision = models.CharField(_("decision"), max_length=8, choices=ApprovalDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    meeting_date = models.DateField(_("meeting date"), null=True, blank=True)
    minutes_ref = models.CharField(_("minutes number"), max_length=64, blank=True)
    minutes = models.TextField(_("meeting minutes (extract)"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["disbursement_id", "step"]
        constraints = [models.UniqueConstraint(fields=["disbursement", "step"], name="approval_once_per_step")]

    def __str__(self) -> str:
        return f"{self.disbursement_id}/{self.step} {self.decision}"
