"""Matching rounds: the optimal allocation of offers' units to requests, its explanations and the cadres'
pins and forbids."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import JobStamped
from bangfu.core.scoping import ScopedQuerySet


class RoundState(models.TextChoices):
    NEW = "new", _("Not solved yet")
    SOLVED = "solved", _("Solved")
    FAILED = "failed", _("Failed (previous solution kept)")


class MatchState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PROVIDER_ACCEPTED = "provider_accepted", _("Accepted by the provider")
    WORKER_ACCEPTED = "worker_accepted", _("Accepted by the worker")
    ACCEPTED = "accepted", _("Accepted by both")
    DELIVERED = "delivered", _("Delivered")
    DECLINED = "declined", _("Declined")
    SUPERSEDED = "superseded", _("Superseded by a later solution")


# A match somebody has accepted holds its units: later rounds neither supersede it nor reuse its units.
HELD_MATCH_STATES = (MatchState.PROVIDER_ACCEPTED, MatchState.WORKER_ACCEPTED, MatchState.ACCEPTED,
                     MatchState.DELIVERED)
# Matches a provider and a worker see (a proposal or better).
LIVE_MATCH_STATES = (MatchState.PROPOSED, *HELD_MATCH_STATES)


class MatchRound(models.Model):
    """One allocation of a union's offers to its households' open requests.

    A round at union X takes the published offers whose area lies in X's subtree and the open requests of
    households in X's subtree. Solving it (again, after pins and forbids) replaces its proposals in one
    transaction; a failure records the error and leaves the previous solution as it was.
    """

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("services.Project", verbose_name=_("project"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="rounds")
    state = models.CharField(_("state"), max_length=16, choices=RoundState.choices, default=RoundState.NEW)
    solution_version = models.PositiveIntegerField(_("solution"), default=0)
    stats = models.JSONField(_("figures"), default=dict, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("matching round")
        verbose_name_plural = _("matching rounds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.org} · {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else str(self.org)


class MatchQuerySet(ScopedQuerySet):
    """Staff: matches of rounds of their subtree. A provider: live matches of its own offers. A worker: live
    matches of their own household's requests."""

    def restrict_for_provider(self, user, action):
        return self.filter(offer__provider__accounts__user=user, state__in=LIVE_MATCH_STATES)

    def restrict_for_worker(self, user, action):
        from bangfu.registry.models import Household

        own = Household.objects.filter(members__account=user).values("pk")
        return self.filter(request__household__in=own, state__in=LIVE_MATCH_STATES)


class Match(JobStamped):
    """Units of one offer allocated to one request by a round, with the reasons (`explanation`).

    A proposal until both the provider and the worker accept it; either may decline (the units go back to the
    next round). Once accepted, the request is taken by the offer's provider.
    """

    scope_org_path = "round__org__path"

    round = models.ForeignKey(MatchRound, verbose_name=_("round"), on_delete=models.CASCADE,
                              related_name="matches")
    request = models.ForeignKey("services.ServiceRequest", verbose_name=_("request"), on_delete=models.PROTECT,
                                related_name="matches")
    offer = models.ForeignKey("services.Offer", verbose_name=_("offer"), on_delete=models.PROTECT,
                              related_name="matches")
    units = models.PositiveIntegerField(_("units"))
    unit_weight = models.BigIntegerField(_("weight of one unit"))
    pinned = models.BooleanField(_("pinned by a cadre"), default=False)
    explanation = models.JSONField(_("why"), default=dict)
    state = models.CharField(_("state"), max_length=20, choices=MatchState.choices, default=MatchState.PROPOSED,
                             db_index=True)
    solution_version = models.PositiveIntegerField(_("solution"))
    provider_decided_at = models.DateTimeField(_("provider decided at"), null=True, blank=True)
    worker_decided_at = models.DateTimeField(_("worker decided at"), null=True, blank=True)
    declined_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("declined by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["round_id", "-unit_weight", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(units__gte=1), name="match_units_positive")]
        indexes = [models.Index(fields=["offer", "state"], name="match_offer_state"),
                   models.Index(fields=["request", "state"], name="match_request_state")]

    def __str__(self) -> str:
        return f"{self.offer} → {self.request} × {self.units}"


class RoundRequest(models.Model):
    """How a round treated one open request: units wanted and allocated, eligible offers, and why it got
    nothing (no eligible offer, or eligible capacity went to households of higher weight)."""

    class Reason(models.TextChoices):
        MATCHED = "matched", _("Matched")
        PARTLY = "partly", _("Partly matched: the rest of the eligible capacity went to higher-weight requests")
        NO_ELIGIBLE_OFFER = "no_offer", _("No eligible offer")
        CAPACITY_TAKEN = "capacity_taken", _("Eligible capacity went to households with higher need or urgency")

    scope_org_path = "round__org__path"

    round = models.ForeignKey(MatchRound, verbose_name=_("round"), on_delete=models.CASCADE,
                              related_name="request_outcomes")
    request = models.ForeignKey("services.ServiceRequest", verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="+")
    solution_version = models.PositiveIntegerField(_("solution"))
    units_wanted = models.PositiveIntegerField(_("units wanted"))
    units_allocated = models.PositiveIntegerField(_("units allocated"))
    eligible_offers = models.PositiveIntegerField(_("eligible offers"))
    best_unit_weight = models.BigIntegerField(_("best weight of one unit"), null=True)
    bar_unit_weight = models.BigIntegerField(_("lowest weight its eligible offers served"), null=True)
    reason = models.CharField(_("outcome"), max_length=16, choices=Reason.choices)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("request in a round")
        verbose_name_plural = _("requests in a round")
        constraints = [models.UniqueConstraint(fields=["round", "request"], name="round_request_once")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.get_reason_display()}"


class PairRule(models.Model):
    """A cadre's decision on one request–offer pair of a round: pin (allocate these units whatever the
    optimum says) or forbid (never allocate). The round is re-solved with them."""

    class Kind(models.TextChoices):
        PIN = "pin", _("Pin")
        FORBID = "forbid", _("Forbid")

    scope_org_path = "round__org__path"

    round = models.ForeignKey(MatchRound, verbose_name=_("round"), on_delete=models.CASCADE,
                              related_name="pair_rules")
    request = models.ForeignKey("services.ServiceRequest", verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="+")
    offer = models.ForeignKey("services.Offer", verbose_name=_("offer"), on_delete=models.CASCADE,
                              related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    units = models.PositiveIntegerField(_("units"), default=1)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pinned or forbidden pair")
        verbose_name_plural = _("pinned or forbidden pairs")
        constraints = [models.UniqueConstraint(fields=["round", "request", "offer"], name="pair_rule_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.request_id} ↔ {self.offer_id}"
