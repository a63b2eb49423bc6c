"""Serializers of the helpers API (`bangfu.helpers.api`). Reads are what the pages show (helpers are staff: their
names are shown; households by archive number and masked head only). Writes are validated here for types and
handed to the write functions of `bangfu.helpers.services`, which check every rule."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangfu.helpers.models import HelperAssignment, HelperMode, Visit

MAX_ID = 2**63 - 1


def id_field(help_text, *, required: bool = True):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, required=required, allow_null=not required,
                                    help_text=help_text)


class AssignmentSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    responsible = serializers.CharField(read_only=True, help_text=_("The person, or the union in the union mode."))
    helper_org_name = serializers.CharField(source="helper_org.name", read_only=True)
    last_visit_on = serializers.DateField(read_only=True, allow_null=True,
                                          help_text=_("The household's latest visit."))
    next_visit_due = serializers.SerializerMethodField()

    class Meta:
        model = HelperAssignment
        fields = ["id", "household", "archive_number", "mode", "helper", "responsible", "helper_org",
                  "helper_org_name", "helper_kind", "starts_on", "ends_on", "end_reason", "handed_over_to",
                  "last_visit_on", "next_visit_due", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateField(allow_null=True, help_text=_(
        "When the next visit is due (current assignments only).")))
    def get_next_visit_due(self, assignment):
        return assignment.due_on if assignment.ends_on is None else None


class ResponsibleSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=HelperMode.choices)
    helper = id_field(_("Id of the responsible person (pairing and accountable modes)."), required=False)
    helper_org = id_field(_("Id of the responsible union (union mode): the household's union or one above it."),
                          required=False)
    helper_kind = serializers.CharField(max_length=32, help_text=_(
        "Kind of helper (e.g. branch_cadre, workshop_cadre, plant_leader, union, or one a union defined)."))


class AssignmentCreateSerializer(ResponsibleSerializer):
    household = id_field(_("Id of a household you may see."))
    starts_on = serializers.DateField(help_text=_("Not in the future, not before the household existed."))


class HandOverSerializer(ResponsibleSerializer):
    on = serializers.DateField(help_text=_("The current helper's last day and the next helper's first."))
    reason = serializers.CharField(max_length=200)


class EndSerializer(serializers.Serializer):
    on = serializers.DateField(help_text=_("The last day of responsibility."))
    reason = serializers.CharField(max_length=200)


class VisitSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    recorded_by_name = serializers.SerializerMethodField()
    has_photo = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = ["id", "household", "archive_number", "assignment", "visited_on", "visitors", "findings",
                  "problems_solved", "next_step", "has_photo", "photo_url", "photo_content_type", "photo_sha256",
                  "recorded_by", "recorded_by_name", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_recorded_by_name(self, visit) -> str:
        return str(visit.recorded_by) if visit.recorded_by_id else ""

    @extend_schema_field(serializers.BooleanField())
    def get_has_photo(self, visit) -> bool:
        return bool(visit.photo)

    @extend_schema_field(serializers.CharField(help_text=_(
        "Where the photo is shown (signed-in page, audited); empty without a photo.")))
    def get_photo_url(self, visit) -> str:
        from django.urls import reverse

        return reverse("helpers:visit_photo", args=[visit.pk]) if visit.photo else ""


class VisitCreateSerializer(serializers.Serializer):
    household = id_field(_("Id of the household visited."))
    visited_on = serializers.DateField(help_text=_("Not in the future, not before the household existed."))
    visitors = serializers.CharField(max_length=200, help_text=_("Who went."))
    findings = serializers.CharField(max_length=4000)
    problems_solved = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    next_step = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class VisitUploadSerializer(VisitCreateSerializer):
    photo = serializers.FileField(required=False, help_text=_("JPEG or PNG (checked from the bytes)."))
