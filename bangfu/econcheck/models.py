"""Economic-check requests to the civil-affairs check centre (核对中心) and the per-person results (DOMAIN.md §3, §6).

* `CheckRequest`: a batch a union sends (scope: the union's subtree), numbered `HD-<org code>-<yyyymmdd>-<n>`;
  draft → sent → results partly / completely received, or cancelled.
* `CheckRequestItem`: one row per person of each selected household, with the keyed hash of the person's ID
  (never the ID itself: the request file reads it from the member's encrypted field when it is produced) and the
  reference the centre echoes back (`<request number>-<seq>`): results are matched by reference and hash only.
* `CheckResult`: what the centre found for one person (money in fen, values typed), written by one bulk job per
  imported file (`JobStamped`), scoped through the household's union.
* `ResultImport`: one imported result file (name, SHA-256, rows, who), so the same file is never imported twice.

Items and imports are read through their request (`CheckRequestItemQuerySet.restrict` uses the request's
permissions), results with `econcheck.view_checkresult`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import JobStamped
from bangfu.core.scoping import ScopedQuerySet, permission_name
from bangfu.registry.models.household import HouseholdPartQuerySet


class RequestState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the check centre")
    PARTLY = "partly", _("Results partly received")
    RECEIVED = "received", _("Results received")
    CANCELLED = "cancelled", _("Cancelled")


# Requests still waiting for (some) answers: a household in one of them is not requested again.
UNANSWERED_STATES = (RequestState.DRAFT, RequestState.SENT, RequestState.PARTLY)
# Requests whose results may be imported.
IMPORTABLE_STATES = (RequestState.SENT, RequestState.PARTLY)


class CheckItem(models.TextChoices):
    """What the centre is asked to check (DOMAIN.md §6)."""

    MINIMUM_LIVING = "dibao", _("Minimum-living (低保) roster")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    HOUSING_FUND = "housing_fund", _("Housing fund")
    REAL_ESTATE = "real_estate", _("Real estate")
    VEHICLES = "vehicles", _("Vehicles")
    BUSINESS = "business", _("Business registration")
    DEPOSITS = "deposits", _("Deposits and securities")
    TAX = "tax", _("Tax")


ALL_ITEMS = [item.value for item in CheckItem]


class SentVia(models.TextChoices):
    FILE = "file", _("Request file")
    API = "api", _("Centre connection (API)")


class CheckRequestQuerySet(ScopedQuerySet):
    def unanswered(self):
        return self.filter(state__in=UNANSWERED_STATES)


class CheckRequest(models.Model):
    """A batch of households (one row per person in `items`) sent to the check centre by one union."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("requesting union"), on_delete=models.PROTECT,
                            related_name="+")
    number = models.CharField(_("request number"), max_length=48, unique=True)
    state = models.CharField(_("state"), max_length=12, choices=RequestState.choices, default=RequestState.DRAFT,
                             db_index=True)
    items_checked = models.JSONField(_("items to check"), default=list)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    sent_via = models.CharField(_("sent by way of"), max_length=8, choices=SentVia.choices, blank=True)
    file_sha256 = models.CharField(_("SHA-256 of the request content"), max_length=64, blank=True,
                                   help_text=_("Of the clear CSV as first sent; the same content gives the same "
                                               "digest, so a later copy can be proven identical."))
    export_count = models.PositiveIntegerField(_("times exported"), default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    objects = CheckRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("economic-check request")
        verbose_name_plural = _("economic-check requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "state", "-id"], name="econcheck_req_org_state")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in UNANSWERED_STATES

    def item_labels(self) -> list[str]:
        return [str(CheckItem(code).label) for code in self.items_checked if code in CheckItem.values]


class CheckRequestItemQuerySet(ScopedQuerySet):
    """Items are part of their request: the request's permission and the requesting union's subtree."""

    def restrict(self, user, action: str = "view"):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.kind != "staff" or not user.has_role_permission(permission_name(CheckRequest, action)):
            return self.none()
        return self.restrict_to_subtree(user)


class CheckRequestItem(models.Model):
    """One person of one household in a request. The ID number itself is read from the member's encrypted field
    only when the request file is produced; here only its keyed hash and masked form."""

    scope_org_path = "request__org__path"

    request = models.ForeignKey(CheckRequest, verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="items")
    seq = models.PositiveIntegerField(_("sequence"))
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="+")
    member = models.ForeignKey("registry.Member", verbose_name=_("person"), null=True, on_delete=models.SET_NULL,
                               related_name="+")
    identity_hash = models.CharField(_("identity hash"), max_length=64, db_index=True)
    identity_masked = models.CharField(_("identity number (masked)"), max_length=24)
    name_masked = models.CharField(_("name (masked)"), max_length=32)
    relation = models.CharField(_("relation to the head"), max_length=24)
    consent_signed_on = models.DateField(_("authorisation signed on"))

    objects = CheckRequestItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("economic-check request item")
        verbose_name_plural = _("economic-check request items")
        ordering = ["request_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["request", "seq"], name="econcheck_item_seq"),
            models.UniqueConstraint(fields=["request", "household", "identity_hash"], name="econcheck_item_person"),
        ]

    def __str__(self) -> str:
        return self.reference


class ResultImport(JobStamped):
    """One result file imported for a request."""

    scope_org_path = "request__org__path"

    request = models.ForeignKey(CheckRequest, verbose_name=_("request"), on_delete=models.PROTECT,
                                related_name="imports")
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = CheckRequestItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("result file import")
        verbose_name_plural = _("result file imports")
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["request", "sha256"], name="econcheck_import_once")]

    def __str__(self) -> str:
        return self.original_name


class CheckResult(JobStamped):
    """What the check centre found for one requested person. Money in whole fen; None: the centre reported nothing
    for that item."""

    scope_org_path = "household__org__path"

    item = models.OneToOneField(CheckRequestItem, verbose_name=_("request item"), on_delete=models.PROTECT,
                                related_name="result")
    request = models.ForeignKey(CheckRequest, verbose_name=_("request"), on_delete=models.PROTECT,
                                related_name="results")
    result_import = models.ForeignKey(ResultImport, verbose_name=_("imported from"), on_delete=models.PROTECT,
                                      related_name="results")
    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="+")
    member = models.ForeignKey("registry.Member", verbose_name=_("person"), null=True, on_delete=models.SET_NULL,
                               related_name="+")
    checked_on = models.DateField(_("checked on"))
    on_minimum_living_roster = models.BooleanField(_("on the minimum-living roster"), null=True)
    roster_since = models.DateField(_("on the roster since"), null=True, blank=True)
    social_insurance_base_fen = models.BigIntegerField(_("social-insurance contribution base (fen)"), null=True)
    housing_fund_base_fen = models.BigIntegerField(_("housing-fund contribution base (fen)"), null=True)
    homes = models.PositiveSmallIntegerField(_("residential homes"), null=True)
    non_residential = models.PositiveSmallIntegerField(_("non-residential properties"), null=True)
    vehicles = models.PositiveSmallIntegerField(
        _("motor vehicles"), null=True,
        help_text=_("Not counting motorbikes, e-bikes and disabled-mobility vehicles."))
    businesses = models.PositiveSmallIntegerField(_("business registrations"), null=True)
    business_employees = models.PositiveIntegerField(_("employees of those businesses"), null=True)
    deposits_fen = models.BigIntegerField(_("deposits and securities (fen)"), null=True)
    tax_income_fen = models.BigIntegerField(_("taxable income of the year (fen)"), null=True)
    remarks = models.CharField(_("remarks of the centre"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("economic-check result")
        verbose_name_plural = _("economic-check results")
        ordering = ["household_id", "-checked_on", "item_id"]
        indexes = [models.Index(fields=["household", "-checked_on"], name="econcheck_result_household")]
        constraints = [
            models.CheckConstraint(condition=Q(deposits_fen__gte=0) | Q(deposits_fen__isnull=True),
                                   name="econcheck_result_deposits_ge0"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.checked_on}"
