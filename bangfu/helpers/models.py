"""Responsible helpers (帮扶责任人) and visits (走访), DOMAIN.md §4.

* `HelperAssignment` — who is responsible for a household, by which mode (pairing 结对, an accountable cadre
  for several households 包保, or the union as a whole 统一), from when to when. One current assignment per
  household (a partial unique index); a handover ends the current row and starts the next, so the history
  stays as rows.
* `VisitFrequency` — how often a helper of a kind visits (branch cadre monthly, workshop cadre quarterly,
  plant leader half-yearly, …) per union; the nearest union along the lineage that sets a kind wins.
* `Visit` — one visit: date, who went, findings, problems solved, next step, an optional photo.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import DateField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet
from bangfu.registry.models.household import HouseholdPartQuerySet, State

# Archives that get (and keep being visited by) a responsible helper: active ones, and those far enough in the
# procedure that the facts are checked and the decision is near (public notice, approval by the higher union),
# so help can start on the day of approval. Earlier states may still be refused; closed archives (exited,
# refused, cancelled, merged) get no new helper and owe no visits.
ASSIGNABLE_STATES = frozenset({State.ACTIVE, State.PUBLIC_NOTICE, State.APPROVAL})

EPOCH = dt.date(1970, 1, 1)


class HelperMode(models.TextChoices):
    PAIRING = "pairing", _("One-to-one pairing (结对)")
    ACCOUNTABLE = "accountable", _("Accountable cadre (包保)")
    UNION = "union", _("The union as a whole (统一)")


class AssignmentQuerySet(HouseholdPartQuerySet):
    def restrict(self, user, action: str = "view"):
        """The subtree rule, plus: a staff user reads the assignments that name them as the helper. New helpers come
        from the household's union or one above it (who see it anyway), but a helper who has since moved to
        another union, or was assigned before that rule, would otherwise not see their own row."""
        scoped = super().restrict(user, action)
        if action == "view" and getattr(user, "kind", None) == "staff" and user.is_active and (
                user.has_role_permission("helpers.view_helperassignment")):
            return scoped | self.filter(helper_id=user.pk)
        return scoped

    def current(self):
        return self.filter(ends_on__isnull=True)

    def with_visit_due(self):
        """Annotate each row, in SQL, with

        * `last_visit_on` — the household's latest visit (by anyone, before or during this assignment);
        * `interval_days` — how often this kind of helper visits, from the nearest union along the household's
          lineage that sets the kind, else the platform's illustrative default (`bangfu.helpers.frequencies`);
        * `due_day` — the day the next visit is due, as days since 1970-01-01: the last visit (or the start of
          the assignment when the household was never visited) plus the interval.
        """
        from bangfu.helpers.frequencies import EpochDay, interval_days_expression

        last = Visit.objects.filter(household=OuterRef("household")).order_by("-visited_on").values("visited_on")[:1]
        return self.annotate(
            last_visit_on=Subquery(last, output_field=DateField()),
            interval_days=interval_days_expression(),
        ).annotate(due_day=EpochDay(Coalesce(F("last_visit_on"), F("starts_on"))) + F("interval_days"))

    def overdue(self, today: dt.date):
        """Current assignments of households still helped whose next visit was due before `today`."""
        return (self.current().filter(household__state__in=ASSIGNABLE_STATES).with_visit_due()
                .filter(due_day__lt=(today - EPOCH).days))


class HelperAssignment(models.Model):
    """A household's responsible helper for a period. `helper` is empty in the union mode (`helper_org` is
    responsible); in the other modes `helper_org` is the helper's union at the time of assignment."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="helper_assignments")
    mode = models.CharField(_("mode"), max_length=16, choices=HelperMode.choices)
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible helper"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="helper_assignments")
    helper_org = models.ForeignKey("orgs.Org", verbose_name=_("helper's union"), on_delete=models.PROTECT,
                                   related_name="+")
    helper_kind = models.CharField(_("kind of helper"), max_length=32,
                                   help_text=_("Decides how often visits are due (see visit frequencies)."))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("reason it ended"), max_length=200, blank=True)
    handed_over_to = models.OneToOneField("self", verbose_name=_("handed over to"), null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="handed_over_from")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsible helper")
        verbose_name_plural = _("responsible helpers")
        ordering = ["household_id", "-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=models.Q(ends_on__isnull=True),
                                    name="helper_one_current_per_household"),
            models.CheckConstraint(
                condition=models.Q(mode="union", helper__isnull=True) | (
                    ~models.Q(mode="union") & models.Q(helper__isnull=False)),
                name="helper_person_unless_union_mode"),
            models.CheckConstraint(condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F(
                "starts_on")), name="helper_ends_after_start"),
        ]
        indexes = [models.Index(fields=["helper", "ends_on"], name="helper_current_by_user")]

    def __str__(self) -> str:
        return f"{self.responsible} ({self.get_mode_display()})"

    @property
    def responsible(self) -> str:
        """Who is responsible, in words: the person, or the union in the union mode."""
        return str(self.helper) if self.helper_id else str(self.helper_org)

    @property
    def is_current(self) -> bool:
        return self.ends_on is None

    @property
    def due_on(self) -> dt.date | None:
        """The next visit's due date of a row read through `with_visit_due()` (None otherwise)."""
        due_day = getattr(self, "due_day", None)
        return EPOCH + dt.timedelta(days=due_day) if due_day is not None else None


class VisitQuerySet(HouseholdPartQuerySet):
    def restrict(self, user, action: str = "view"):
        """The subtree rule, plus: the current responsible helper reads the visits of their households (a helper
        who has since moved to another union, or was assigned before the lineage rule, would otherwise not see
        them)."""
        scoped = super().restrict(user, action)
        if action == "view" and getattr(user, "kind", None) == "staff" and user.is_active and (
                user.has_role_permission("helpers.view_visit")):
            own = HelperAssignment.objects.current().filter(helper_id=user.pk).values("household_id")
            return scoped | self.filter(household_id__in=own)
        return scoped


class VisitFrequency(models.Model):
    """How often a kind of helper visits, set by a union for its subtree (the nearest union wins)."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    helper_kind = models.SlugField(_("kind of helper"), max_length=32)
    label = models.CharField(_("name"), max_length=60)
    interval_days = models.PositiveSmallIntegerField(_("visit at least every (days)"))
    illustrative = models.BooleanField(_("illustrative value"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit frequency")
        verbose_name_plural = _("visit frequencies")
        ordering = ["org_id", "interval_days"]
        constraints = [
            models.UniqueConstraint(fields=["org", "helper_kind"], name="visit_frequency_per_kind"),
            models.CheckConstraint(condition=models.Q(interval_days__gte=1), name="visit_frequency_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.interval_days}"


class Visit(models.Model):
    """One visit to the household (走访)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="visits")
    assignment = models.ForeignKey(HelperAssignment, verbose_name=_("as responsible helper"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("visited on"), db_index=True)
    visitors = models.CharField(_("who went"), max_length=200)
    findings = models.TextField(_("findings"))
    problems_solved = models.TextField(_("problems solved"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    # A photo is stored like evidence files: outside the web root, served through a scoped, audited view.
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    photo_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    photo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["household_id", "-visited_on", "-id"]
        # The household's latest visit (due dates, panels, lists) is one index probe.
        indexes = [models.Index(fields=["household", "-visited_on"], name="visit_household_latest")]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.visitors}"
