"""The higher level's spot checks of done reviews (DOMAIN.md §3: at least 30 % checked by the level above).

A reviewer of a union strictly above the cycle's union draws: the population is the sorted ids of the cycle's
done reviews not drawn before; the sample is `ceil(share × population)` of them chosen by
`random.Random(seed).sample` (share from the cycle union's `MonitoringPolicy`, rounded up so that 10 done
reviews at 30 % give 3). The draw records who, when, the seed, the share, the population and the sample, and
`rederive(draw)` recomputes the sample from the seed. The outcome of each drawn review is recorded by a
reviewer above the cycle's union: confirmed, or a discrepancy (with a note) that makes the review due again
as a re-review and tells the union's case workers.
"""

from __future__ import annotations

import random
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from bangfu.monitoring.models import MonitoringPolicy, Review, ReviewCycle, ReviewState, SpotCheckDraw, SpotOutcome
from bangfu.monitoring.services.common import case_workers, raise_if, today
from bangfu.registry.models import record_event

SPOTCHECK = "monitoring.spotcheck_review"
NOTE_MAX = 4000


def is_above(user, org) -> bool:
    """The user's union is strictly above `org` (org in the user's subtree, not the user's own)."""
    path = getattr(user, "scope_path", None)
    return bool(path) and org.path.startswith(path) and org.path != path


def _check_higher(actor, org) -> None:
    if not actor.has_role_permission(SPOTCHECK):
        raise ValidationError(_("Only a reviewer of a higher union may do spot checks."), code="not_allowed")
    if not is_above(actor, org):
        raise ValidationError(_("Spot checks are done by a union above the one that did the reviews: your union "
                                "may not spot-check its own reviews."), code="not_allowed")


def sample_size(population: int, percent: int) -> int:
    """`ceil(population × percent / 100)` in integers (10 at 30 % → 3; 1 at 30 % → 1)."""
    return (population * percent + 99) // 100


def rederive(draw: SpotCheckDraw) -> list[int]:
    """The sample the draw's seed and share give for its population (equal to `draw.sample`)."""
    population = sorted(draw.population)
    k = min(len(population), sample_size(len(population), draw.share_percent))
    return sorted(random.Random(draw.seed).sample(population, k))


@transaction.atomic
def spot_check_draw(actor, cycle: ReviewCycle, *, seed: int | None = None) -> SpotCheckDraw:
    """Draw the sample of the cycle's done reviews not drawn before."""
    cycle = ReviewCycle.objects.select_for_update().select_related("org").get(pk=cycle.pk)
    _check_higher(actor, cycle.org)
    population = sorted(cycle.reviews.filter(state=ReviewState.DONE, draw__isnull=True).values_list("pk", flat=True))
    if not population:
        raise ValidationError(_("There is no done review of this cycle left to draw from: draw again when more "
                                "reviews are done."), code="empty")
    if seed is not None and not (0 <= seed < 2**62):
        raise ValidationError({"seed": _("The seed must be a whole number from 0 to 2^62.")})
    percent = MonitoringPolicy.in_force(cycle.org, today()).spot_check_percent
    draw = SpotCheckDraw(cycle=cycle, drawn_by=actor, drawn_org=actor.org,
                         seed=secrets.randbits(48) if seed is None else seed, share_percent=percent,
                         population=population)
    draw.sample = rederive(draw)
    draw.save()
    Review.objects.filter(pk__in=draw.sample).update(draw=draw)
    return draw


@transaction.atomic
def spot_check_record(actor, review: Review, *, outcome: str, note: str = "") -> Review:
    """Record the outcome of a drawn review's spot check."""
    review = (Review.objects.select_for_update(of=("self",)).select_related("household__org", "cycle__org")
              .get(pk=review.pk))
    _check_higher(actor, review.cycle.org)
    errors: dict = {}
    note = (note or "").strip()
    if review.draw_id is None:
        errors["__all__"] = _("This review was not drawn for a spot check.")
    elif review.state != ReviewState.DONE:
        errors["__all__"] = _("The review is not done yet (%(state)s): spot-check it after it is done.") % {
            "state": review.get_state_display()}
    elif review.spot_outcome == SpotOutcome.CONFIRMED:
        errors["__all__"] = _("This review's spot check is already confirmed.")
    if outcome not in SpotOutcome.values:
        errors["outcome"] = _("Choose the outcome: confirmed or discrepancy.")
    elif outcome == SpotOutcome.DISCREPANCY and not note:
        errors["note"] = _("Describe the discrepancy: the case worker re-reviews the archive from it.")
    if len(note) > NOTE_MAX:
        errors["note"] = _("At most %(max)d characters.") % {"max": NOTE_MAX}
    raise_if(errors)
    review.spot_outcome, review.spot_note, review.spot_by, review.spot_on = outcome, note, actor, today()
    if outcome == SpotOutcome.DISCREPANCY:
        review.state = ReviewState.REREVIEW
    review.save()
    record_event(review.household, "monitoring_spot_check", actor=actor, outcome=outcome, review=review.pk,
                 year=review.cycle.year)
    if outcome == SpotOutcome.DISCREPANCY:
        from bangfu.notifications.services import notify

        with translation.override(settings.LANGUAGE_CODE):
            title = _("Spot check found a discrepancy: re-review archive %(number)s") % {
                "number": review.household.archive_number}
        notify(case_workers([review.household.org_id]).get(review.household.org_id, []), kind="review_discrepancy",
               title=title, link=reverse("monitoring:review", args=[review.pk]),
               dedupe_key=f"monitoring-discrepancy:{review.pk}:{review.rereviews}")
    return review
