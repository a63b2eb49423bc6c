"""The needs list (需求清单): workers' requests from the menu, how each was answered, and the worker's feedback."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet
from bangfu.registry.models.household import HouseholdPartQuerySet


class Urgency(models.IntegerChoices):
    NORMAL = 1, _("Normal")
    URGENT = 2, _("Urgent")
    VERY_URGENT = 3, _("Very urgent")


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for an answer")
    TAKEN = "taken", _("Taken")
    FULFILLED = "fulfilled", _("Fulfilled")
    SIGNED_OFF = "signed_off", _("Signed off")
    DECLINED = "declined", _("Declined")


# Waiting for an answer: the escalation clock runs and rounds may allocate units to them.
OPEN_REQUEST_STATES = (RequestState.SUBMITTED,)


class RequestQuerySet(HouseholdPartQuerySet):
    """Staff: requests of households in their subtree. A worker: their own household's (view). A provider:
    requests with a live match to one of its offers (the pages mask them)."""

    def restrict_for_provider(self, user, action):
        if action != "view":
            return self.none()
        from bangfu.services.models.matching import LIVE_MATCH_STATES, Match

        matched = Match.objects.filter(offer__provider__accounts__user=user, state__in=LIVE_MATCH_STATES)
        return self.filter(pk__in=matched.values("request_id"))

    def open(self):
        return self.filter(state__in=OPEN_REQUEST_STATES)


class ServiceRequest(models.Model):
    """A request (点单) of a household for an item of the menu: for whom, how many units, how urgent.

    States: submitted → taken (by a union department or, through an accepted match, a provider) → fulfilled →
    signed off by the county union; or declined with a reason. A request still submitted when its answer is
    due is escalated to the union above (`escalated_at`, `escalation_level`).
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="service_requests")
    member = models.ForeignKey("registry.Member", verbose_name=_("for whom"), on_delete=models.PROTECT,
                               related_name="+")
    item = models.ForeignKey("services.ServiceItem", verbose_name=_("menu item"), on_delete=models.PROTECT,
                             related_name="requests")
    project = models.ForeignKey("services.Project", verbose_name=_("project"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="requests")
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.NORMAL)
    preferences = models.CharField(_("preferences"), max_length=500, blank=True)
    preferred_provider = models.ForeignKey("services.Provider", verbose_name=_("preferred provider"), null=True,
                                           blank=True, on_delete=models.SET_NULL, related_name="+")
    via_portal = models.BooleanField(_("ordered by the worker online"), default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ordered by"), null=True,
                                     on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=RequestState.choices,
                             default=RequestState.SUBMITTED, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    answer_due_at = models.DateTimeField(_("answer due by"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalations"), default=0)

    taken_by_provider = models.ForeignKey("services.Provider", verbose_name=_("taken by provider"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="taken_requests")
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    answer_note = models.CharField(_("answer"), max_length=500, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("delivery recorded by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    fulfilment_note = models.CharField(_("what was delivered"), max_length=500, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed off by"), null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="+")
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    declined_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    declined_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("declined by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        permissions = [("signoff_servicerequest", _("Can sign fulfilled requests off (county union)"))]
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="request_quantity_positive"),
            models.CheckConstraint(condition=~models.Q(state="declined") | ~models.Q(declined_reason=""),
                                   name="request_declined_with_reason"),
        ]
        indexes = [
            # Pair building reads the open requests of an item; escalation reads open requests by due time.
            models.Index(fields=["state", "item"], name="request_state_item"),
            models.Index(fields=["state", "answer_due_at"], name="request_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"

    @property
    def is_answered(self) -> bool:
        return self.state != RequestState.SUBMITTED


class ServicePolicy(models.Model):
    """The service platform's parameters for a union and its subtree from a date (the nearest union along the
    lineage wins, then the national row, then `DEFAULTS`): how fast a request must be answered and how much
    urgency weighs in matching."""

    DEFAULTS = {"answer_hours": 72, "weight_normal": 1, "weight_urgent": 2, "weight_very_urgent": 4}

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+", help_text=_("Empty: the national default."))
    effective_from = models.DateField(_("effective from"))
    answer_hours = models.PositiveSmallIntegerField(
        _("hours to answer a request"), default=72, validators=[MinValueValidator(1), MaxValueValidator(720)])
    weight_normal = models.PositiveSmallIntegerField(_("weight of a normal request"), default=1,
                                                     validators=[MinValueValidator(1), MaxValueValidator(100)])
    weight_urgent = models.PositiveSmallIntegerField(_("weight of an urgent request"), default=2,
                                                     validators=[MinValueValidator(1), MaxValueValidator(100)])
    weight_very_urgent = models.PositiveSmallIntegerField(
        _("weight of a very urgent request"), default=4, validators=[MinValueValidator(1), MaxValueValidator(100)])
    source = models.CharField(_("source of these values"), max_length=200, blank=True)
    illustrative = models.BooleanField(_("illustrative values"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service-platform parameters")
        verbose_name_plural = _("service-platform parameters")
        ordering = ["org_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["org", "effective_from"], name="service_policy_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.org or _('National')} · {self.effective_from}"

    def urgency_weight(self, urgency: int) -> int:
        return {Urgency.NORMAL: self.weight_normal, Urgency.URGENT: self.weight_urgent,
                Urgency.VERY_URGENT: self.weight_very_urgent}[urgency]

    @classmethod
    def in_force(cls, org, on) -> ServicePolicy:
        """The row that applies to `org` on `on`: the nearest union along its lineage, then the national row,
        then an unsaved row holding `DEFAULTS`."""
        from bangfu.services.models.offers import org_prefixes

        rows = list(cls.objects.filter(effective_from__lte=on).filter(
            models.Q(org__isnull=True) | models.Q(org__path__in=org_prefixes(org.path))
        ).select_related("org").order_by("-effective_from"))
        rows.sort(key=lambda row: len(row.org.path) if row.org_id else 0, reverse=True)
        return rows[0] if rows else cls(org=None, **cls.DEFAULTS)


class Feedback(models.Model):
    """The worker's rating (1–5) and comment on a fulfilled request (one per request)."""

    scope_org_path = "request__household__org__path"

    request = models.OneToOneField(ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE,
                                   related_name="feedback")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("given by"), on_delete=models.PROTECT,
                                 related_name="+")
    given_at = models.DateTimeField(_("given at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.request} · {self.rating}"
