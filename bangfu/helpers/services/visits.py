"""Visits (走访) and visit frequencies.

    record_visit(household, *, visited_on, visitors, findings, problems_solved="", next_step="", photo=None, actor)
    set_visit_frequency(org, *, helper_kind, label, interval_days, actor)
    remove_visit_frequency(frequency, *, actor)

`record_visit` refuses (ValidationError by field, nothing saved, no file left behind): a visit in the future, a
visit before the household existed (`rules.household_existed_on`: the earlier of the archive's creation and its
application date), a closed archive, missing "who went" or findings, a photo that is not a JPEG or PNG or is too
big, and an actor who may not record this household's visits (`rules.may_record_visit`). The visit is linked to
the assignment that was current on the day of the visit, if any.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from bangfu.helpers import photos
from bangfu.helpers.frequencies import MAX_INTERVAL_DAYS
from bangfu.helpers.models import HelperAssignment, Visit, VisitFrequency
from bangfu.helpers.rules import household_existed_on, may_record_visit
from bangfu.registry.models import CLOSED_STATES, Household, record_event

MAX_VISITORS = 200  # Visit.visitors
MAX_TEXT = 4000


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _text(errors: dict, field: str, value, *, required: bool, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        _add(errors, field, _("This field is required."))
    elif len(value) > limit:
        _add(errors, field, _("Keep this under %(count)d characters.") % {"count": limit})
    return value


@transaction.atomic
def record_visit(household, *, visited_on, visitors: str, findings: str, problems_solved: str = "",
                 next_step: str = "", photo=None, actor) -> Visit:
    household = Household.objects.select_for_update().select_related("org").get(pk=household.pk)
    errors: dict = {}
    if not may_record_visit(actor, household):
        _add(errors, NON_FIELD_ERRORS, _("Only the household's current responsible helper, a case worker or a "
                                         "counsellor of its union records its visits."))
    if household.state in CLOSED_STATES:
        _add(errors, NON_FIELD_ERRORS, _("This archive is closed (“%(state)s”): no visits are recorded on it.")
             % {"state": household.get_state_display()})
    today = timezone.localdate()
    existed = household_existed_on(household)
    if visited_on is None:
        _add(errors, "visited_on", _("Give the date of the visit."))
    elif visited_on > today:
        _add(errors, "visited_on", _("A visit cannot be in the future (today is %(today)s).") % {"today": today})
    elif visited_on < existed:
        _add(errors, "visited_on", _(
            "The household's archive exists only since %(date)s: a visit on %(day)s would be before it.")
            % {"date": existed, "day": visited_on})
    visitors = _text(errors, "visitors", visitors, required=True, limit=MAX_VISITORS)
    findings = _text(errors, "findings", findings, required=True)
    problems_solved = _text(errors, "problems_solved", problems_solved, required=False)
    next_step = _text(errors, "next_step", next_step, required=False)
    checked = None
    if photo is not None:
        try:
            checked = photos.check_photo(photo)
        except ValidationError as error:
            errors.setdefault("photo", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    assignment = (
        HelperAssignment.objects.filter(household=household, starts_on__lte=visited_on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=visited_on)).order_by("-starts_on", "-id").first()
    )
    visit = Visit(household=household, assignment=assignment, visited_on=visited_on, visitors=visitors,
                  findings=findings, problems_solved=problems_solved, next_step=next_step,
                  recorded_by=actor if getattr(actor, "pk", None) else None)
    stored = ""
    if checked is not None:
        stored = photos.store_photo(photo, checked)
        visit.photo, visit.photo_sha256, visit.photo_content_type = stored, checked.sha256, checked.content_type
    try:
        visit.save()
        # The timeline says when and who went, not what was found (findings stay on the visit record).
        record_event(household, "visit_recorded", actor=actor, visited_on=str(visited_on), visitors=visitors,
                     photo=bool(stored))
    except Exception:
        photos.delete_photo(stored)
        raise
    # If an outer transaction rolls back later, the photo stays as an unreferenced random name under
    # MEDIA_ROOT (never served: photos are read through the visit row), as for evidence files.
    return visit


def _kind_slug(value: str) -> str:
    return slugify(value or "").replace("-", "_")[:32]


@transaction.atomic
def set_visit_frequency(org, *, helper_kind: str, label: str, interval_days, actor) -> VisitFrequency:
    """Set (or change) how often a kind of helper visits the households of `org`'s subtree."""
    errors: dict = {}
    kind = _kind_slug(helper_kind)
    if not kind:
        _add(errors, "helper_kind", _("Give the kind of helper as a short code of letters, digits and "
                                      "underscores (e.g. branch_cadre)."))
    label = (label or "").strip()
    if not label:
        _add(errors, "label", _("Give the name of this kind of helper."))
    elif len(label) > 60:
        _add(errors, "label", _("Keep the name under %(count)d characters.") % {"count": 60})
    if not isinstance(interval_days, int) or isinstance(interval_days, bool) or not (
            1 <= interval_days <= MAX_INTERVAL_DAYS):
        _add(errors, "interval_days", _("Enter a number of days between 1 and %(max)d.") % {"max": MAX_INTERVAL_DAYS})
    if errors:
        raise ValidationError(errors)
    row, _created = VisitFrequency.objects.update_or_create(
        org=org, helper_kind=kind, defaults={"label": label, "interval_days": interval_days, "illustrative": False})
    return row


@transaction.atomic
def remove_visit_frequency(frequency: VisitFrequency, *, actor) -> None:
    """Remove a union's own setting: the union above it (or the platform default) applies again."""
    in_use = HelperAssignment.objects.current().filter(helper_kind=frequency.helper_kind,
                                                       household__org__path__startswith=frequency.org.path)
    if in_use.exists() and not _known_elsewhere(frequency):
        raise ValidationError({NON_FIELD_ERRORS: [_(
            "Current helpers of this kind exist and no union above defines it: change the interval instead of "
            "removing the kind.")]})
    frequency.delete()


def _known_elsewhere(frequency: VisitFrequency) -> bool:
    from bangfu.helpers.frequencies import DEFAULT_FREQUENCIES, lineage_paths

    if frequency.helper_kind in DEFAULT_FREQUENCIES:
        return True
    above = [p for p in lineage_paths(frequency.org) if p != frequency.org.path]
    return VisitFrequency.objects.filter(helper_kind=frequency.helper_kind, org__path__in=above).exists()
