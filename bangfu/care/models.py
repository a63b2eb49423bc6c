"""Mental-health care (精神帮扶, DOMAIN.md §8): care plans, counselling sessions, group activities,
standard screenings (PHQ-9, GAD-7) and crisis cases with a 24-hour response deadline.

These are health data. Only counsellors hold the `care.view_*` permissions, so every other user's
`restrict(...)` is empty; everyone who reads archives holds `care.know_careplan`, which lets them learn that
a care plan exists (the archive page says so) without any of its content. Notes are encrypted at rest.
Every read of a care record is written to the access log; there is no bulk export.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangfu.core.fields import EncryptedTextField
from bangfu.core.scoping import ScopedQuerySet
from bangfu.registry.models.household import HouseholdPartQuerySet


class CarePlanState(models.TextChoices):
    OPEN = "open", pgettext_lazy("care plan state", "Open")
    CLOSED = "closed", _("Closed")


class CarePlan(models.Model):
    """The household's mental-health care plan: that it exists is known to staff; its content to counsellors."""

    scope_org_path = "household__org__path"

    household = models.OneToOneField("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                     related_name="care_plan")
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counsellor"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField(_("opened on"))
    state = models.CharField(_("state"), max_length=8, choices=CarePlanState.choices, default=CarePlanState.OPEN)
    goals = EncryptedTextField(_("goals and approach"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        permissions = [("know_careplan", "Know that a household has a care plan (not its content)")]

    def __str__(self) -> str:
        return str(_("Care plan"))


class SessionKind(models.TextChoices):
    COUNSELLING = "counselling", _("Counselling")
    INTERVIEW = "interview", _("Interview")
    HOME_VISIT = "home_visit", _("Home visit on the family's state of mind")
    CRISIS = "crisis", _("Crisis intervention")


class CounsellingSession(models.Model):
    """One counselling contact with a household member."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="counselling_sessions")
    member = models.ForeignKey("registry.Member", verbose_name=_("member"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=SessionKind.choices)
    held_on = models.DateField(_("held on"))
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counsellor"), on_delete=models.PROTECT,
                                   related_name="+")
    notes = EncryptedTextField(_("notes"), blank=True)
    next_step = EncryptedTextField(_("next step"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("counselling session")
        verbose_name_plural = _("counselling sessions")
        ordering = ["household_id", "-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class ActivityKind(models.TextChoices):
    LECTURE = "lecture", _("Lecture")
    GROUP_COUNSELLING = "group_counselling", _("Group counselling")
    OUTING = "outing", _("Group activity")


class GroupActivity(models.Model):
    """A lecture or group activity of a union; households that took part are listed (counsellors only)."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    participant_count = models.PositiveIntegerField(_("participants"), default=0)
    households = models.ManyToManyField("registry.Household", verbose_name=_("households taking part"),
                                        blank=True, related_name="+")
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("led by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    notes = EncryptedTextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("group activity")
        verbose_name_plural = _("group activities")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Instrument(models.TextChoices):
    PHQ9 = "phq9", _("PHQ-9 (depression)")
    GAD7 = "gad7", _("GAD-7 (anxiety)")


class Band(models.TextChoices):
    """The published severity bands of PHQ-9 and GAD-7 (`bangfu.care.instruments`); GAD-7 has no
    "moderately severe"."""

    MINIMAL = "minimal", pgettext_lazy("screening severity band", "Minimal")
    MILD = "mild", pgettext_lazy("screening severity band", "Mild")
    MODERATE = "moderate", pgettext_lazy("screening severity band", "Moderate")
    MODERATELY_SEVERE = "moderately_severe", pgettext_lazy("screening severity band", "Moderately severe")
    SEVERE = "severe", pgettext_lazy("screening severity band", "Severe")


class Screening(models.Model):
    """One standard screening: the item answers (0–3 each), the score and band the system computed
    (`bangfu.care.instruments`), and whether the self-harm item was positive (PHQ-9 item 9 > 0)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="screenings")
    member = models.ForeignKey("registry.Member", verbose_name=_("member screened"), on_delete=models.PROTECT,
                               related_name="+")
    instrument = models.CharField(_("instrument"), max_length=8, choices=Instrument.choices)
    answers = models.JSONField(_("answers"))
    score = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("severity"), max_length=24, choices=Band.choices)
    self_harm_positive = models.BooleanField(_("self-harm item positive"), default=False)
    screened_on = models.DateField(_("screened on"))
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counsellor"), on_delete=models.PROTECT,
                                   related_name="+")
    notes = EncryptedTextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["household_id", "-screened_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.score}"


class CrisisReason(models.TextChoices):
    SELF_HARM = "self_harm", _("Self-harm item positive")
    SEVERE_SCORE = "severe_score", _("Severe screening score")


class CrisisState(models.TextChoices):
    OPEN = "open", _("Open — not yet acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged — being handled")
    CLOSED = "closed", _("Closed")


class CrisisCaseQuerySet(HouseholdPartQuerySet):
    def awaiting(self):
        """Not yet acknowledged: the deadline runs."""
        return self.filter(state=CrisisState.OPEN)

    def active(self):
        """Not closed (waiting for a counsellor, or being handled)."""
        return self.exclude(state=CrisisState.CLOSED)

    def overdue(self, now):
        return self.awaiting().filter(due_at__lt=now)


class CrisisCase(models.Model):
    """A crisis that must be acted on within 24 hours (DOMAIN.md §8).

    Opened by a screening with a positive self-harm item or a severe score. `responsible_org` is the union
    whose counsellors must acknowledge it by `due_at`; when the deadline passes unacknowledged, the scheduled
    check (`bangfu.care.tasks`) moves it one level up, raises `escalation_level`, sets a new deadline and
    notifies the counsellors there.
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="crisis_cases")
    screening = models.OneToOneField(Screening, verbose_name=_("opened by screening"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="crisis_case")
    reason = models.CharField(_("reason"), max_length=24, choices=CrisisReason.choices)
    state = models.CharField(_("state"), max_length=16, choices=CrisisState.choices, default=CrisisState.OPEN,
                             db_index=True)
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("respond by"), db_index=True)
    responsible_org = models.ForeignKey("orgs.Org", verbose_name=_("responsible union"), on_delete=models.PROTECT,
                                        related_name="+")
    escalation_level = models.PositiveSmallIntegerField(_("times escalated"), default=0)
    escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    action_taken = EncryptedTextField(_("action taken"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)

    objects = CrisisCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("crisis case")
        verbose_name_plural = _("crisis cases")
        ordering = ["due_at", "id"]
        permissions = [("acknowledge_crisiscase", "Acknowledge and close crisis cases")]

    def __str__(self) -> str:
        return str(_("Crisis case %(number)s") % {"number": self.pk})

    @property
    def is_awaiting(self) -> bool:
        return self.state == CrisisState.OPEN

    def is_overdue(self, now) -> bool:
        return self.state == CrisisState.OPEN and self.due_at < now
