"""Records of the lifecycle (DOMAIN.md §3): home visits, public notices and objections, each level's
opinion, closures (refusal, exit, cancellation, merge), appeals and transfers.

They are written only by the transition functions in `bangfu.registry.services.lifecycle` and
`bangfu.registry.services.restructure`; the transition table is `bangfu.registry.lifecycle`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet
from bangfu.registry.models.household import HouseholdPartQuerySet


class NoticePlace(models.TextChoices):
    WORKPLACE = "workplace", _("Workplace")
    COMMUNITY = "community", _("Community")


class ExitReason(models.TextChoices):
    """The exit reasons of DOMAIN.md §3."""

    OUT_OF_HARDSHIP = "out_of_hardship", _("Out of hardship (income above the line for 6 consecutive months)")
    SAFETY_NET = "safety_net", _("Moved to the government safety net plus regular union help")
    DEATH = "death", _("Death")
    FAILED_REVIEW = "failed_review", _("Failed re-identification or false declaration")
    MOVED = "moved", _("Transferred or moved away")
    VOLUNTARY = "voluntary", _("Voluntary exit")


class HomeVisit(models.Model):
    """The home visit (入户调查): when, who went, what they found."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="home_visits"
    )
    visited_on = models.DateField(_("visited on"))
    visitors = models.CharField(_("visitors"), max_length=200)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ["household_id", "-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.visited_on}"


class PublicNotice(models.Model):
    """A public notice (公示) of an application: its period, place and result.

    The notice shows only the masked name and the category (never ID, health or address).
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="notices"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    place = models.CharField(_("posted at"), max_length=16, choices=NoticePlace.choices)
    name_masked = models.CharField(_("name shown"), max_length=32)
    category = models.CharField(_("category shown"), max_length=16, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()  # workers: their own household

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["household", "closed_on"], name="notice_household_closed")]

    def __str__(self) -> str:
        return f"{self.name_masked} {self.starts_on}–{self.ends_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class ObjectionOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    DISMISSED = "dismissed", _("Dismissed (not substantiated)")
    UPHELD = "upheld", _("Upheld (substantiated)")


class NoticeObjection(models.Model):
    """An objection raised during a public notice, and what was found."""

    scope_org_path = "notice__household__org__path"

    notice = models.ForeignKey(
        PublicNotice, verbose_name=_("public notice"), on_delete=models.CASCADE, related_name="objections"
    )
    received_on = models.DateField(_("received on"))
    objector = models.CharField(_("raised by"), max_length=64, blank=True, help_text=_("May stay anonymous."))
    content = models.TextField(_("objection"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ObjectionOutcome.choices, default=ObjectionOutcome.PENDING
    )
    outcome_note = models.TextField(_("findings on the objection"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["notice_id", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.received_on} {self.get_outcome_display()}"


class OpinionStage(models.TextChoices):
    FIRST_CHECK = "first_check", _("First check")
    HOME_VISIT = "home_visit", _("Home visit")
    ECONOMIC_CHECK = "economic_check", _("Economic check")
    PUBLIC_NOTICE = "public_notice", _("Public notice")
    APPROVAL = "approval", _("Approval")
    APPEAL = "appeal", _("Appeal")
    EXIT = "exit", _("Exit")


class OpinionDecision(models.TextChoices):
    PASS = "pass", _("Passed")
    REFUSE = "refuse", _("Refused")
    APPROVE = "approve", _("Approved")
    WAIVE = "waive", _("Waived")
    UPHOLD = "uphold", _("Decision upheld")
    GRANT = "grant", _("Appeal granted")
    EXIT = "exit", _("Exit")


class LevelOpinion(models.Model):
    """One level's opinion on the archive (the approval form prints these with date and signature lines)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="opinions"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=OpinionStage.choices)
    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"))
    decision = models.CharField(_("decision"), max_length=16, choices=OpinionDecision.choices)
    opinion = models.TextField(_("opinion"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    by_name = models.CharField(_("name of the signatory"), max_length=64, blank=True)
    on = models.DateField(_("date"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()  # workers: their own household

    class Meta:
        verbose_name = _("opinion of a level")
        verbose_name_plural = _("opinions of the levels")
        ordering = ["household_id", "on", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_decision_display()} {self.on}"


class ClosureKind(models.TextChoices):
    REFUSAL = "refusal", _("Refusal")
    EXIT = "exit", _("Exit")
    CANCELLATION = "cancellation", _("Cancellation of a temporary-relief archive")
    MERGE = "merge", _("Merged into another archive")


class Closure(models.Model):
    """Why and when an archive was closed; the 10-year anonymisation counts from `closed_on`.

    A refusal carries `notify_by` (the applicant is told within N working days); an exit carries
    `monitor_until` (relapse monitoring). A closure reversed by an appeal keeps its row with `reversed_on`.
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="closures"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ClosureKind.choices)
    from_state = models.CharField(_("closed at stage"), max_length=16)
    reason_code = models.CharField(_("reason"), max_length=24, blank=True)
    reason = models.TextField(_("reason given"), blank=True)
    closed_on = models.DateField(_("closed on"), db_index=True)
    notify_by = models.DateField(_("applicant to be told by"), null=True, blank=True)
    notified_on = models.DateField(_("applicant told on"), null=True, blank=True)
    monitor_until = models.DateField(_("relapse monitoring until"), null=True, blank=True)
    reversed_on = models.DateField(_("reversed on appeal"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), null=True, on_delete=models.PROTECT, related_name="+")

    objects = HouseholdPartQuerySet.as_manager()  # workers: their own household

    class Meta:
        verbose_name = _("closure of an archive")
        verbose_name_plural = _("closures of archives")
        ordering = ["household_id", "-closed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.closed_on}"


class AppealDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Decision upheld")
    GRANTED = "granted", _("Appeal granted")


class Appeal(models.Model):
    """An appeal (申诉/复核) against a refusal or an exit; the higher union decides."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="appeals"
    )
    closure = models.ForeignKey(
        Closure, verbose_name=_("decision appealed"), on_delete=models.PROTECT, related_name="appeals"
    )
    filed_on = models.DateField(_("filed on"))
    grounds = models.TextField(_("grounds"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_by_worker = models.BooleanField(_("filed by the worker"), default=False)
    decision = models.CharField(
        _("decision"), max_length=16, choices=AppealDecision.choices, default=AppealDecision.PENDING
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    objects = HouseholdPartQuerySet.as_manager()  # workers: their own household

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["household_id", "-filed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(decision="pending"), name="one_pending_appeal_per_household"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filed_on} {self.get_decision_display()}"


class TransferQuerySet(ScopedQuerySet):
    def restrict_to_subtree(self, user):
        # Both the giving and the receiving union see the transfer.
        path = user.scope_path
        if not path:
            return self.none()
        return self.filter(Q(from_org__path__startswith=path) | Q(to_org__path__startswith=path))


class Transfer(models.Model):
    """A move of an archive from one union to another (e.g. the employer union dissolved)."""

    scope_org_path = "to_org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="transfers"
    )
    from_org = models.ForeignKey("orgs.Org", verbose_name=_("from union"), on_delete=models.PROTECT, related_name="+")
    to_org = models.ForeignKey("orgs.Org", verbose_name=_("to union"), on_delete=models.PROTECT, related_name="+")
    name_masked = models.CharField(_("head (masked)"), max_length=32, blank=True)
    reason = models.TextField(_("reason"))
    on = models.DateField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["household_id", "-on", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.on}"
