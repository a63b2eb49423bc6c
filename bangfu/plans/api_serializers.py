"""Serializers of the plans API (`bangfu.plans.api`). Reads show what the pages show; writes only type-check
the body — the viewsets hand it to the write functions of `bangfu.plans.services` / `engine.propose`, so a
rule refuses the same way on the pages and in the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangfu.plans.models import (
    Measure,
    MeasureFunction,
    MeasureKind,
    MeasureState,
    Plan,
    Recommendation,
    RecommendationRule,
)

MAX_ID = 2**63 - 1
OPTIONAL = {"required": False}


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class CauseSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=_("Code of the cause list (1 no ability to work, 2 able but not employed, …)."))
    is_main = serializers.BooleanField()


class PlanSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    household_size = serializers.IntegerField(source="household.household_size", read_only=True,
                                              help_text=_("From the archive."))
    causes = serializers.SerializerMethodField(help_text=_("Causes of hardship, from the archive."))

    class Meta:
        model = Plan
        fields = ["id", "household", "archive_number", "household_size", "causes", "situation", "needs",
                  "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(CauseSerializer(many=True))
    def get_causes(self, plan):
        return [{"code": c.code, "is_main": c.is_main} for c in plan.household.causes.all()]

    def to_representation(self, plan):
        data = super().to_representation(plan)
        request = self.context.get("request")
        if request is not None and getattr(request.user, "kind", "staff") != "staff":
            # A worker reads the measures of their plan, not the case worker's notes on the family.
            data["situation"] = data["needs"] = ""
        return data


class PlanCreateSerializer(serializers.Serializer):
    household = _id(help_text=_("Id of a household you may see."))
    situation = serializers.CharField(allow_blank=True, max_length=4000, trim_whitespace=True, **OPTIONAL)
    needs = serializers.CharField(allow_blank=True, max_length=4000, trim_whitespace=True, **OPTIONAL)


class PlanUpdateSerializer(serializers.Serializer):
    situation = serializers.CharField(allow_blank=True, max_length=4000, **OPTIONAL)
    needs = serializers.CharField(allow_blank=True, max_length=4000, **OPTIONAL)


class MeasureSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Measure
        fields = ["id", "plan", "household", "archive_number", "function", "kind", "description", "owner",
                  "owner_name", "due_on", "state", "outcome", "completed_on", "is_overdue", "recommendation",
                  "created_at", "updated_at"]
        read_only_fields = fields


class MeasureCreateSerializer(serializers.Serializer):
    household = _id(help_text=_("Id of a household you may see."))
    function = serializers.ChoiceField(choices=MeasureFunction.choices)
    kind = serializers.ChoiceField(choices=MeasureKind.choices)
    description = serializers.CharField(max_length=2000)
    owner = _id(help_text=_("Id of the measure owner (default: you)."), **OPTIONAL)
    due_on = serializers.DateField(help_text=_("Today or later."))


class MeasureUpdateSerializer(serializers.Serializer):
    due_on = serializers.DateField(help_text=_("A new due date: today or later."), **OPTIONAL)
    owner = _id(help_text=_("Id of the new measure owner."), **OPTIONAL)


class MeasureStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=MeasureState.choices,
                                    help_text=_("planned → in_progress → done or cancelled."))
    outcome = serializers.CharField(allow_blank=True, max_length=4000, help_text=_(
        "Required for done (what came of it) and cancelled (the reason)."), **OPTIONAL)


class RuleRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecommendationRule
        fields = ["id", "code", "version", "title", "title_en", "explanation", "is_current"]
        read_only_fields = fields
        ref_name = "RecommendationRuleVersion"


class RecommendationSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    rule = RuleRefSerializer(read_only=True, help_text=_("The rule version that made the proposal."))
    facts = serializers.DictField(read_only=True, help_text=_("The household's facts that made the rule match."))
    measure = serializers.SerializerMethodField(help_text=_("Id of the measure created when it was accepted."))

    class Meta:
        model = Recommendation
        fields = ["id", "household", "archive_number", "rule", "proposal_key", "function", "kind", "description",
                  "due_days", "facts", "decision", "reason", "decided_by", "decided_at", "created_at", "measure"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_measure(self, rec):
        measure = getattr(rec, "measure", None)
        return measure.pk if measure is not None else None


class AcceptSerializer(serializers.Serializer):
    owner = _id(help_text=_("Id of the measure owner (default: you)."), **OPTIONAL)
    due_on = serializers.DateField(help_text=_("Default: today + the proposal's due_days."), **OPTIONAL)
    function = serializers.ChoiceField(choices=MeasureFunction.choices, **OPTIONAL)
    kind = serializers.ChoiceField(choices=MeasureKind.choices, **OPTIONAL)
    description = serializers.CharField(max_length=2000, **OPTIONAL)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000, help_text=_("Why (required)."), **OPTIONAL)
