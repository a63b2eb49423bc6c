"""Recording a standard screening (PHQ-9, GAD-7): the system scores it; a crisis opens when it must."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.care import instruments
from bangfu.care.models import CrisisReason, Screening
from bangfu.care.services.crisis import open_crisis_case
from bangfu.registry.models import Household


def crisis_reason(result: instruments.Result) -> str | None:
    """Why a result opens a crisis case (the self-harm item first), or None."""
    if result.self_harm_positive:
        return CrisisReason.SELF_HARM
    if result.severe:
        return CrisisReason.SEVERE_SCORE
    return None


def record_screening(household, member, instrument: str, answers, screened_on, counsellor, notes: str = "",
                     *, now=None) -> Screening:
    """Score and store one screening of a household member, atomically.

    Refused (ValidationError, nothing saved) when the instrument is unknown, an answer is missing or not a whole
    number 0–3 (each bad item named), the member is not of this household, or the date is missing or in the
    future. A positive self-harm item (PHQ-9 item 9 > 0) or a severe band opens a crisis case
    (`open_crisis_case`) in the same transaction — or, when the household already has an active one, is added
    to it and its counsellors are told; the notices go out after commit."""
    if not counsellor.has_role_permission("care.add_screening"):
        raise PermissionDenied
    errors: dict[str, list] = {}
    result = None
    try:
        result = instruments.score(instrument, answers)
    except ValidationError as error:
        errors.update(error.message_dict)
    if member is None or member.household_id != household.pk:
        errors["member"] = [_("Choose a member of this household.")]
    if screened_on is None:
        errors["screened_on"] = [_("Give the date of the screening.")]
    elif screened_on > timezone.localdate():
        errors["screened_on"] = [_("The date of the screening cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    reason = crisis_reason(result)
    with transaction.atomic():
        if reason is not None:
            # One active crisis case per household: positive screenings of one household take turns (the row
            # lock), so two at the same moment cannot both find no case and open one each.
            Household.objects.select_for_update().filter(pk=household.pk).values_list("pk", flat=True).first()
        screening = Screening.objects.create(
            household=household, member=member, instrument=result.instrument, answers=list(result.answers),
            score=result.score, band=result.band, self_harm_positive=result.self_harm_positive,
            screened_on=screened_on, counsellor=counsellor, notes=(notes or "").strip())
        if reason is not None:
            open_crisis_case(screening, reason, now=now)
    return screening
