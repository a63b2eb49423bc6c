"""The worker's own archive as the portal reaches it: which household is theirs, and what they may do to their
application (choose the causes of a draft, add evidence while it is being decided, submit it).

Every function fetches the household through `Household.objects.restrict(worker, "view")` — a worker has no
"change" scope on the archive (`HouseholdQuerySet.restrict_for_worker`), so the portal's few writes are allowed
here, by name, and nothing else: the registry's write functions then apply their own rules.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from bangfu.registry.models import OPEN_STATES, Household, State
from bangfu.registry.services.archive import causes_set
from bangfu.registry.services.evidence import attachment_add
from bangfu.registry.services.lifecycle import household_submit

# While the union still decides, the worker may add evidence; once approved or closed, the union keeps the file.
EVIDENCE_STATES = frozenset({State.DRAFT, State.APPLIED, State.FIRST_CHECK, State.HOME_VISIT,
                             State.ECONOMIC_CHECK})
STEPS = (State.APPLIED, State.FIRST_CHECK, State.HOME_VISIT, State.ECONOMIC_CHECK, State.PUBLIC_NOTICE,
         State.APPROVAL, State.ACTIVE)


def own_households(user):
    return Household.objects.restrict(user, "view")


def own_household(user) -> Household | None:
    """The worker's household: the open archive they belong to, else the latest closed one."""
    households = own_households(user).select_related("org", "division")
    return households.filter(state__in=OPEN_STATES).order_by("-id").first() or households.order_by("-id").first()


def own_household_or_404(user) -> Household:
    household = own_household(user)
    if household is None:
        raise Http404
    return household


def steps(household: Household) -> list[dict]:
    """The application's road (DOMAIN.md §3) with where this archive stands on it."""
    current = STEPS.index(household.state) if household.state in STEPS else -1
    return [{"state": state, "label": State(state).label, "done": i < current, "current": i == current}
            for i, state in enumerate(STEPS)]


@transaction.atomic
def evidence_upload(worker, uploaded, *, kind: str, member=None):
    """Add an evidence file to the worker's own archive while it is a draft or being checked."""
    household = own_household_or_404(worker)
    if household.state not in EVIDENCE_STATES:
        raise ValidationError(_("Evidence can be added online only while the application is being decided. Bring "
                              "it to your union instead."), code="state")
    if member is not None and not household.members.filter(pk=getattr(member, "pk", member)).exists():
        raise ValidationError({"member": [_("Choose a member of your household.")]})
    return attachment_add(household, uploaded, kind=kind, actor=worker, member=member)


@transaction.atomic
def draft_causes_set(worker, *, main: str, secondary) -> Household:
    """The worker says why the family is in hardship, on a draft not yet submitted."""
    household = own_household_or_404(worker)
    if household.state != State.DRAFT:
        raise ValidationError(_("The application was submitted already: ask your union to change its causes."),
                              code="state")
    causes_set(household, main, list(secondary or []), actor=worker)
    return household


@transaction.atomic
def application_submit(worker) -> Household:
    """The worker submits their own draft (the lifecycle table allows the household's worker to do that)."""
    return household_submit(own_household_or_404(worker), actor=worker)
