"""Serializers of the care API (`bangfu.care.api`).

Reads: names masked (surname + asterisks), households by id and archive number. Writes never call
`serializer.save()`: the viewsets hand the validated data to `bangfu.care.services`, the same functions the
pages call. Screening answers are passed through as sent, so that the scoring names each missing or
out-of-range item in its own message (one rule, one wording, pages and API alike).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangfu.care import instruments
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, Instrument, Screening, SessionKind

MAX_ID = 2**63 - 1  # a bigger id is a 400 (SQLite cannot even bind it), not a 500
MAX_TEXT = 5000
MAX_ANSWERS = 50  # far more than any instrument has; a longer list is refused before scoring


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _text(**kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return serializers.CharField(max_length=MAX_TEXT, **kwargs)


def _masked(person) -> str | None:
    return person.name_masked if person is not None else None


# --- read ----------------------------------------------------------------------------------------------


class CarePlanSerializer(serializers.ModelSerializer):
    household_archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    counsellor_name = serializers.CharField(source="counsellor", read_only=True, allow_null=True,
                                            help_text=_("The counsellor in charge."))

    class Meta:
        model = CarePlan
        fields = ["id", "household", "household_archive_number", "state", "opened_on", "closed_on", "goals",
                  "counsellor", "counsellor_name", "created_at", "updated_at"]
        read_only_fields = fields


class ScreeningSerializer(serializers.ModelSerializer):
    household_archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    member_name_masked = serializers.SerializerMethodField(help_text=_("Surname + asterisks."))
    answers = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=3), read_only=True,
                                    help_text=_("The answer to each item, in order (0–3)."))
    band_label = serializers.SerializerMethodField(help_text=_("The severity band in words."))
    counsellor_name = serializers.CharField(source="counsellor", read_only=True)
    crisis_case = serializers.SerializerMethodField(help_text=_("The crisis case this screening opened, if any."))

    class Meta:
        model = Screening
        fields = ["id", "household", "household_archive_number", "member", "member_name_masked", "instrument",
                  "answers", "score", "band", "band_label", "self_harm_positive", "screened_on", "counsellor",
                  "counsellor_name", "notes", "crisis_case", "created_at"]
        read_only_fields = fields

    def get_member_name_masked(self, screening) -> str | None:
        return _masked(screening.member)

    def get_band_label(self, screening) -> str:
        return instruments.band_label(screening.band)

    def get_crisis_case(self, screening) -> int | None:
        case = getattr(screening, "crisis_case", None)
        return case.pk if case is not None else None


class CrisisCaseSerializer(serializers.ModelSerializer):
    household_archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    responsible_org_name = serializers.CharField(source="responsible_org.name", read_only=True)
    overdue = serializers.SerializerMethodField(help_text=_("Not acknowledged and past its deadline."))

    class Meta:
        model = CrisisCase
        fields = ["id", "household", "household_archive_number", "screening", "reason", "state", "opened_at",
                  "due_at", "overdue", "responsible_org", "responsible_org_name", "escalation_level", "escalated_at",
                  "acknowledged_by", "acknowledged_at", "action_taken", "closed_by", "closed_at", "outcome"]
        read_only_fields = fields

    def get_overdue(self, case) -> bool:
        return case.is_overdue(timezone.now())


class CounsellingSessionSerializer(serializers.ModelSerializer):
    household_archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    member_name_masked = serializers.SerializerMethodField(help_text=_("Surname + asterisks."))
    counsellor_name = serializers.CharField(source="counsellor", read_only=True)

    class Meta:
        model = CounsellingSession
        fields = ["id", "household", "household_archive_number", "member", "member_name_masked", "kind", "held_on",
                  "counsellor", "counsellor_name", "notes", "next_step", "created_at"]
        read_only_fields = fields

    def get_member_name_masked(self, session) -> str | None:
        return _masked(session.member)


# --- write ---------------------------------------------------------------------------------------------


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 3},
                      "minItems": 7, "maxItems": 9, "example": [1, 2, 0, 1, 1, 0, 2, 1, 1]})
class AnswersField(serializers.Field):
    """A list, one answer (0–3) per item; its items are checked by the scoring, which names each bad one."""

    default_error_messages = {
        "invalid": _("Give the answers as a list of numbers from 0 to 3, one per item."),
        "too_long": _("Too many answers."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("invalid")
        if len(data) > MAX_ANSWERS:
            self.fail("too_long")
        return data

    def to_representation(self, value):
        return value


class CarePlanCreateSerializer(serializers.Serializer):
    household = _id(help_text=_("The household (one of yours)."))
    opened_on = serializers.DateField(help_text=_("The day the care plan starts (today or earlier)."))
    goals = _text(help_text=_("Goals and approach."))
    counsellor = _id(required=False, help_text=_("The counsellor in charge (you when not given)."))


class CarePlanUpdateSerializer(serializers.Serializer):
    goals = _text(help_text=_("Goals and approach."))
    counsellor = _id(required=False, help_text=_("The counsellor in charge."))


class CarePlanCloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField(help_text=_("The day the care plan ends (between its start and today)."))


class ScreeningCreateSerializer(serializers.Serializer):
    household = _id(help_text=_("The household (one of yours)."))
    member = _id(help_text=_("The member screened (of that household)."))
    instrument = serializers.ChoiceField(choices=Instrument.choices)
    answers = AnswersField(help_text=_("PHQ-9: 9 answers; GAD-7: 7 answers; each 0 (not at all), 1 (several days), "
                                       "2 (more than half the days) or 3 (nearly every day)."))
    screened_on = serializers.DateField(help_text=_("The day of the screening (today or earlier)."))
    notes = _text()


class SessionCreateSerializer(serializers.Serializer):
    household = _id(help_text=_("The household (one of yours)."))
    member = _id(required=False, allow_null=True, help_text=_("The member, if the session was with one person."))
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    held_on = serializers.DateField(help_text=_("The day of the session (today or earlier)."))
    notes = _text()
    next_step = _text()


class AcknowledgeSerializer(serializers.Serializer):
    action_taken = serializers.CharField(max_length=MAX_TEXT, help_text=_("What was done or is being done."))


class CloseCaseSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=MAX_TEXT, help_text=_("How the crisis ended."))
