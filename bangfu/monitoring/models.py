"""Dynamic management (DOMAIN.md §3): the parameters, annual review cycles and their reviews, the higher level's
spot-check draws, exit suggestions and relapse watches with their triggers.

Every row that belongs to a household is scoped through the household's union (`household__org__path`); cycles
and draws through the cycle's union. Rows written by the daily tasks are stamped with the audit job that wrote
them (`JobStamped`); decisions of people (a review done, a spot-check outcome, a suggestion accepted or
dismissed, a watch resolved) go to the field-level change log (`audit_registration.py`) and the household's
timeline.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import JobStamped
from bangfu.core.scoping import ScopedQuerySet
from bangfu.registry.models.household import HouseholdPartQuerySet

# --- parameters as data ------------------------------------------------------------------------------------


class MonitoringPolicy(models.Model):
    """The parameters of dynamic management for a union and its subtree from a date; the nearest union along
    the lineage wins, then the national row (no union), then `DEFAULTS`. The relapse-monitoring window is not
    here: it is the registry's setting (`BANGFU_RELAPSE_MONITORING_MONTHS`), written on each exit's `Closure`
    as `monitor_until`, which every watch copies, so there is one window and not two."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+", help_text=_("Empty: the national default."))
    effective_from = models.DateField(_("effective from"))
    spot_check_percent = models.PositiveSmallIntegerField(
        _("spot-check share (%)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("At least this share of each union's done reviews is spot-checked by the higher level "
                    "(rounded up)."))
    review_lead_days = models.PositiveSmallIntegerField(
        _("review reminder lead time (days)"), default=30, validators=[MaxValueValidator(365)])
    exit_months = models.PositiveSmallIntegerField(
        _("months above the line before an exit is suggested"), default=6,
        validators=[MinValueValidator(1), MaxValueValidator(12)])
    income_drop_percent = models.PositiveSmallIntegerField(
        _("income drop that re-opens review (%)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Household income of a month this much below the month before, or below the average of the "
                    "six months before."))
    never_helped_days = models.PositiveSmallIntegerField(
        _("days active without any help before an archive is listed as never helped"), default=90)
    not_updated_days = models.PositiveSmallIntegerField(
        _("days without any change before an archive is listed as not updated"), default=365)
    source = models.CharField(_("source of these values"), max_length=200, blank=True)
    illustrative = models.BooleanField(_("illustrative values"), default=False)

    objects = ScopedQuerySet.as_manager()
    is_default = False

    class Meta:
        verbose_name = _("dynamic-management parameters")
        verbose_name_plural = _("dynamic-management parameters")
        ordering = ["org_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["org", "effective_from"], name="monitoring_policy_per_date"),
            models.UniqueConstraint(fields=["effective_from"], condition=models.Q(org__isnull=True),
                                    name="monitoring_policy_national_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.org or _('national')} {self.effective_from}"

    @classmethod
    def in_force(cls, org, on: dt.date) -> MonitoringPolicy:
        """The row in force for `org` on `on`: the nearest union along its lineage with a row, else the national
        row, else the built-in defaults (DOMAIN.md §3, illustrative)."""
        lineage = [org.path[:i] for i in range(len(org.path), 0, -org.steplen)] if org is not None else []
        rows = list(cls.objects.filter(models.Q(org__path__in=lineage) | models.Q(org__isnull=True),
                                       effective_from__lte=on).select_related("org").order_by("-effective_from"))
        for path in lineage:
            row = next((r for r in rows if r.org_id and r.org.path == path), None)
            if row is not None:
                return row
        national = next((r for r in rows if r.org_id is None), None)
        if national is not None:
            return national
        default = cls(effective_from=dt.date(2000, 1, 1), source="built-in default (DOMAIN.md §3)", illustrative=True)
        default.is_default = True
        return default


# --- annual reviews ----------------------------------------------------------------------------------------


class ReviewCycle(JobStamped):
    """The annual review of the active archives held by one union (the household's `org`) in one calendar year.

    One cycle per union that holds active archives: the union that holds an archive reviews it, and the unions
    above draw their spot checks per cycle."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-year", "org_id"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="review_cycle_per_org_year")]

    def __str__(self) -> str:
        return f"{self.org} {self.year}"


class ReviewState(models.TextChoices):
    DUE = "due", _("Due")
    DONE = "done", _("Done")
    REREVIEW = "rereview", _("Re-review due (spot-check discrepancy)")


class SpotOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    DISCREPANCY = "discrepancy", _("Discrepancy")


class SpotCheckDraw(models.Model):
    """A reproducible random draw of done reviews of one cycle, made by a reviewer of a union above the cycle's.

    `population` is the sorted list of the review ids that could be drawn (done reviews not drawn before);
    `sample` = `random.Random(seed).sample(population, ceil(share × len(population)))`, sorted. Who drew, when,
    the seed and the share are recorded, so anybody can re-derive the sample (`services.spotcheck.rederive`)."""

    scope_org_path = "cycle__org__path"

    cycle = models.ForeignKey(ReviewCycle, verbose_name=_("review cycle"), on_delete=models.PROTECT,
                              related_name="draws")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), on_delete=models.PROTECT,
                                 related_name="+")
    drawn_org = models.ForeignKey("orgs.Org", verbose_name=_("drawing union"), on_delete=models.PROTECT,
                                  related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)
    seed = models.BigIntegerField(_("seed"))
    share_percent = models.PositiveSmallIntegerField(_("share (%)"))
    population = models.JSONField(_("reviews that could be drawn"), default=list)
    sample = models.JSONField(_("reviews drawn"), default=list)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot-check draw")
        verbose_name_plural = _("spot-check draws")
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.cycle} #{self.pk}"


class ReviewQuerySet(HouseholdPartQuerySet):
    def open(self):
        return self.filter(state__in=(ReviewState.DUE, ReviewState.REREVIEW))


class Review(JobStamped):
    """One active archive's review in one cycle: due → done (through the registry's `household_review`) →
    spot-checked when drawn (confirmed, or a discrepancy that makes it due again as a re-review)."""

    scope_org_path = "household__org__path"

    cycle = models.ForeignKey(ReviewCycle, verbose_name=_("review cycle"), on_delete=models.PROTECT,
                              related_name="reviews")
    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="monitoring_reviews")
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=16, choices=ReviewState.choices, default=ReviewState.DUE)
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("what the review found"), blank=True)
    timeline_event = models.ForeignKey("registry.TimelineEvent", verbose_name=_("registry review record"),
                                       null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notified_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    draw = models.ForeignKey(SpotCheckDraw, verbose_name=_("spot-check draw"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="reviews")
    spot_outcome = models.CharField(_("spot-check outcome"), max_length=16, choices=SpotOutcome.choices, blank=True)
    spot_note = models.TextField(_("spot-check note"), blank=True)
    spot_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("spot-checked by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    spot_on = models.DateField(_("spot-checked on"), null=True, blank=True)
    rereviews = models.PositiveSmallIntegerField(_("re-reviews"), default=0)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual review")
        verbose_name_plural = _("annual reviews")
        ordering = ["due_on", "id"]
        permissions = [("spotcheck_review", _("Can draw and record spot checks of reviews (higher level)"))]
        constraints = [models.UniqueConstraint(fields=["cycle", "household"], name="review_once_per_cycle")]
        indexes = [models.Index(fields=["state", "due_on", "id"], name="review_state_due")]

    def __str__(self) -> str:
        return f"{self.cycle} {self.household_id}"


# --- exit suggestions --------------------------------------------------------------------------------------


class SuggestionState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted: household exited")
    DISMISSED = "dismissed", _("Dismissed")


class ExitSuggestion(JobStamped):
    """Per-capita income above the line in each of the last N complete months (N = `exit_months`): the archive
    may exit as 脱困. `evidence` holds each month's household income, size, per-capita income and the line used.
    One open suggestion per household; one suggestion per household and evaluated last month (a dismissed one
    is not made again for the same months)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="exit_suggestions")
    last_month = models.DateField(_("last month evaluated"))
    months = models.PositiveSmallIntegerField(_("months above the line"))
    evidence = models.JSONField(_("evidence"), default=dict)
    state = models.CharField(_("state"), max_length=16, choices=SuggestionState.choices, default=SuggestionState.OPEN)
    created_at = models.DateTimeField(_("suggested at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.TextField(_("note or reason"), blank=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("exit suggestion")
        verbose_name_plural = _("exit suggestions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=models.Q(state="open"),
                                    name="exit_suggestion_one_open"),
            models.UniqueConstraint(fields=["household", "last_month"], name="exit_suggestion_per_month"),
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="exit_suggestion_state")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.last_month:%Y-%m}"


# --- relapse monitoring ------------------------------------------------------------------------------------


class WatchState(models.TextChoices):
    WATCHING = "watching", _("Watching")
    REVIEW_NEEDED = "review_needed", _("Review needed")
    ENDED = "ended", _("Monitoring ended")
    REENTERED = "reentered", _("Re-entered as a new archive")


OPEN_WATCH_STATES = (WatchState.WATCHING, WatchState.REVIEW_NEEDED)


class RelapseWatch(JobStamped):
    """Relapse monitoring (返贫监测) of one exit: from the exit until the closure's `monitor_until`.

    Created when the household exits (receiver of `household_state_changed`) and backfilled by the daily task.
    The members' work status and health at the start are kept in `WatchBaseline`, so that a change to a
    job-loss status or to a serious disease afterwards is seen in SQL."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="relapse_watches")
    closure = models.OneToOneField("registry.Closure", verbose_name=_("exit"), on_delete=models.CASCADE,
                                   related_name="relapse_watch")
    starts_on = models.DateField(_("watched from"))
    monitor_until = models.DateField(_("watched until"), db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=WatchState.choices, default=WatchState.WATCHING)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution_note = models.TextField(_("outcome in words"), blank=True)
    new_archive = models.ForeignKey("registry.Household", verbose_name=_("new archive"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("relapse watch")
        verbose_name_plural = _("relapse watches")
        ordering = ["monitor_until", "id"]
        indexes = [models.Index(fields=["state", "monitor_until"], name="relapse_watch_state")]

    def __str__(self) -> str:
        return f"{self.household_id} → {self.monitor_until}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_WATCH_STATES


class WatchBaseline(models.Model):
    """A member's work status and health when the watch started (written by INSERT … SELECT)."""

    watch = models.ForeignKey(RelapseWatch, on_delete=models.CASCADE, related_name="baseline")
    member = models.ForeignKey("registry.Member", on_delete=models.CASCADE, related_name="+")
    work_status = models.CharField(max_length=24, blank=True)
    health = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["watch", "member"], name="watch_baseline_once")]

    def __str__(self) -> str:
        return f"{self.watch_id}/{self.member_id}"


class TriggerKind(models.TextChoices):
    DIBAO_ENROLMENT = "dibao_enrolment", _("New minimum-living (低保) enrolment")
    INCOME_DROP = "income_drop", _("Income drop")
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")
    JOB_LOSS = "job_loss", _("Job loss")


class RelapseTrigger(JobStamped):
    """One piece of evidence that a watched household may be in hardship again. `evidence_key` identifies the
    evidence (the month of an income drop, the member and status of a job loss, …): each is recorded once."""

    scope_org_path = "watch__household__org__path"

    watch = models.ForeignKey(RelapseWatch, verbose_name=_("relapse watch"), on_delete=models.CASCADE,
                              related_name="triggers")
    kind = models.CharField(_("kind"), max_length=24, choices=TriggerKind.choices)
    evidence_key = models.CharField(_("evidence key"), max_length=120)
    evidence = models.JSONField(_("evidence"), default=dict)
    source = models.CharField(_("source"), max_length=120)
    at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("relapse trigger")
        verbose_name_plural = _("relapse triggers")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["watch", "kind", "evidence_key"],
                                               name="relapse_trigger_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.evidence_key}"
