"""The case worker's decision on a proposed measure: accept it (as proposed or edited) or reject it.

Accepting creates the measure (owner: the chosen user, by default the one deciding; due date: the one chosen,
by default today + the proposal's `due_days`) under the same rules as a measure added by hand
(`bangfu.plans.services.measures`). Accepting with a different function, kind, description or due date is
recorded as "accepted with changes". Rejecting needs a reason. A proposal is decided once.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.plans.models import Recommendation, RecommendationDecision
from bangfu.plans.services.measures import create_measure, measure_detail
from bangfu.plans.services.plans import lock_household, today
from bangfu.registry.models.timeline import record_event

MAX_REASON = 2000


def default_due_on(recommendation: Recommendation) -> dt.date:
    return today() + dt.timedelta(days=recommendation.due_days)


def _pending(recommendation: Recommendation, user) -> Recommendation:
    if not user.has_role_permission("plans.change_recommendation"):
        raise PermissionDenied
    household = lock_household(recommendation.household)
    locked = Recommendation.objects.select_related("rule").select_for_update().get(pk=recommendation.pk)
    locked.household = household
    if locked.decision != RecommendationDecision.PENDING:
        raise ValidationError(_("This proposal was already decided (%(decision)s).")
                              % {"decision": locked.get_decision_display()}, code="decided")
    return locked


@transaction.atomic
def recommendation_accept(recommendation: Recommendation, user, *, owner=None, due_on=None, function=None,
                          kind=None, description=None) -> Recommendation:
    """Accept a proposal: its measure is created. Values left out are taken from the proposal (owner: `user`)."""
    rec = _pending(recommendation, user)
    values = {
        "function": rec.function if function in (None, "") else function,
        "kind": rec.kind if kind in (None, "") else kind,
        "description": rec.description if description is None else description,
        "due_on": default_due_on(rec) if due_on is None else due_on,
    }
    edited = (values["function"] != rec.function or values["kind"] != rec.kind
              or (values["description"] or "").strip() != rec.description.strip()
              or values["due_on"] != default_due_on(rec))
    measure = create_measure(rec.household, user, owner=user if owner is None else owner, recommendation=rec,
                             **values)
    rec.decision = RecommendationDecision.EDITED if edited else RecommendationDecision.ACCEPTED
    rec.decided_by, rec.decided_at = user, timezone.now()
    rec.save(update_fields=["decision", "decided_by", "decided_at"])
    record_event(rec.household, "proposal_edited" if edited else "proposal_accepted", actor=user,
                 rule=rec.rule.code, rule_version=rec.rule.version, **measure_detail(measure))
    return rec


@transaction.atomic
def recommendation_reject(recommendation: Recommendation, user, *, reason: str) -> Recommendation:
    """Reject a proposal with the reason; it will not be proposed to this household again."""
    rec = _pending(recommendation, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason why the proposal is rejected.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [_("At most %(max)d characters.") % {"max": MAX_REASON}]})
    rec.decision, rec.reason = RecommendationDecision.REJECTED, reason
    rec.decided_by, rec.decided_at = user, timezone.now()
    rec.save(update_fields=["decision", "reason", "decided_by", "decided_at"])
    record_event(rec.household, "proposal_rejected", actor=user, rule=rec.rule.code, rule_version=rec.rule.version,
                 measure_kind=rec.kind, rejection_reason=reason[:300])
    return rec
