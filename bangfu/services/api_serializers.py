"""Serializers of the service-platform API (`bangfu.services.api`).

Reads show what each kind of user may see: staff the records of their subtree; a provider's account its own
provider and offers and, of a request matched to them, only the id, item, quantity, urgency, the union's name
and the beneficiary's masked name (DOMAIN.md §9); a worker their own household's requests and matches. A match's
`explanation` reaches staff whole and everybody else through `explain.for_provider` (no need score).

Writes are checked here for types and sizes only (so that nothing too long reaches the database); every rule is
checked by the write functions of `bangfu.services.actions`, whose messages by field are the API's 400.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangfu.services.matching import explain
from bangfu.services.models import (
    Match,
    MatchRound,
    Offer,
    PairRule,
    Provider,
    ProviderKind,
    RequestState,
    RoundRequest,
    ServiceItem,
    Urgency,
)

MAX_ID = 2**63 - 1  # a bigger id is a 400 (SQLite cannot even bind it), not a 500
MAX_UNITS = 2**31 - 1  # PositiveIntegerField on PostgreSQL


def id_field(help_text, *, required: bool = True):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, required=required, allow_null=not required,
                                    help_text=help_text)


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def is_staff(user) -> bool:
    return getattr(user, "kind", None) == "staff"


# --- reads ------------------------------------------------------------------------------------------------------


class ServiceItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceItem
        fields = ["id", "code", "name", "kind", "unit", "reference_value", "description", "is_active"]
        read_only_fields = fields


class ProviderSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = Provider
        fields = ["id", "org", "org_name", "name", "kind", "credit_code", "contact_name", "contact_phone", "address",
                  "description", "state", "decided_at", "decision_note", "created_at"]
        read_only_fields = fields


class OfferSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    area_org_name = serializers.CharField(source="area_org.name", read_only=True)
    categories = serializers.ListField(child=serializers.CharField(), read_only=True)
    causes = serializers.ListField(child=serializers.CharField(), read_only=True)
    work_statuses = serializers.ListField(child=serializers.CharField(), read_only=True)
    divisions = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Offer
        fields = ["id", "provider", "provider_name", "item", "item_name", "project", "title", "description",
                  "area_org", "area_org_name", "capacity", "unit_value", "certificate", "valid_from", "valid_until",
                  "divisions", "categories", "causes", "work_statuses", "min_age", "max_age", "state", "moderated_at",
                  "moderation_note", "created_at"]
        read_only_fields = fields


class MaskedRequestSerializer(serializers.Serializer):
    """What a provider may know of a request matched to its offers (and what every match shows)."""

    id = serializers.IntegerField(read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True)
    union_name = serializers.CharField(source="household.org.name", read_only=True,
                                       help_text=_("The household's union."))
    beneficiary_name_masked = serializers.CharField(source="member.name_masked", read_only=True,
                                                    help_text=_("Surname + asterisks."))


# Fields of a request that only staff and the household's own worker receive (a provider's account gets the
# masked fields above and nothing else): not required in the schema, left out of a provider's answers.
def _staff(field_class, **kwargs):
    return field_class(required=False, **kwargs)


class ServiceRequestSerializer(MaskedRequestSerializer):
    household = _staff(serializers.IntegerField, source="household_id")
    archive_number = _staff(serializers.CharField, source="household.archive_number")
    head_name_masked = _staff(serializers.CharField, source="household.head_name_masked")
    member = _staff(serializers.IntegerField, source="member_id")
    project = _staff(serializers.IntegerField, source="project_id", allow_null=True)
    preferences = _staff(serializers.CharField)
    preferred_provider = _staff(serializers.IntegerField, source="preferred_provider_id", allow_null=True)
    via_portal = _staff(serializers.BooleanField)
    state = _staff(serializers.ChoiceField, choices=RequestState.choices)
    submitted_at = _staff(serializers.DateTimeField)
    answer_due_at = _staff(serializers.DateTimeField)
    escalated_at = _staff(serializers.DateTimeField, allow_null=True)
    escalation_level = _staff(serializers.IntegerField)
    taken_by_provider = _staff(serializers.IntegerField, source="taken_by_provider_id", allow_null=True)
    taken_by_provider_name = _staff(serializers.CharField, source="taken_by_provider.name", allow_null=True)
    taken_at = _staff(serializers.DateTimeField, allow_null=True)
    answer_note = _staff(serializers.CharField)
    fulfilled_at = _staff(serializers.DateTimeField, allow_null=True)
    fulfilment_note = _staff(serializers.CharField)
    signed_off_at = _staff(serializers.DateTimeField, allow_null=True)
    declined_reason = _staff(serializers.CharField)
    declined_at = _staff(serializers.DateTimeField, allow_null=True)

    def to_representation(self, instance):
        if getattr(_user(self), "kind", None) == "provider":
            return MaskedRequestSerializer(instance, context=self.context).data
        return super().to_representation(instance)


class MatchSerializer(serializers.ModelSerializer):
    offer_title = serializers.CharField(source="offer.title", read_only=True)
    provider = serializers.IntegerField(source="offer.provider_id", read_only=True)
    provider_name = serializers.CharField(source="offer.provider.name", read_only=True)
    request = MaskedRequestSerializer(read_only=True)
    explanation = serializers.SerializerMethodField(help_text=_(
        "Why this match: need rank (top x %), urgency and its weight, value factor, preferred provider, eligible "
        "requests, the offer's free units and the lowest unit weight it served. The need score itself only for "
        "staff."))
    # Staff only (the weight of one unit would give the need score away): left out for everybody else.
    unit_weight = serializers.IntegerField(required=False, help_text=_("Staff only."))
    archive_number = serializers.CharField(source="request.household.archive_number", required=False,
                                           help_text=_("Staff only."))

    class Meta:
        model = Match
        fields = ["id", "round", "solution_version", "state", "offer", "offer_title", "provider", "provider_name",
                  "request", "archive_number", "units", "unit_weight", "pinned", "explanation",
                  "provider_decided_at", "worker_decided_at", "decline_reason", "delivered_at"]
        read_only_fields = [f for f in fields if f not in ("unit_weight", "archive_number")]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_explanation(self, match) -> dict:
        return match.explanation if is_staff(_user(self)) else explain.for_provider(match.explanation)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not is_staff(_user(self)):
            data.pop("unit_weight", None)
            data.pop("archive_number", None)
        return data


class MatchRoundSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    stats = serializers.JSONField(read_only=True, help_text=_(
        "Figures of the last solution: requests, offers, pairs, units wanted / free / allocated, total weight, the "
        "greedy first-come baseline's units and weight, pins, seconds to build and solve, weights, day."))

    class Meta:
        model = MatchRound
        fields = ["id", "org", "org_name", "project", "state", "solution_version", "stats", "last_error",
                  "created_by", "created_at", "solved_at"]
        read_only_fields = fields


class RoundRequestSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="request.household.archive_number", read_only=True)
    item = serializers.IntegerField(source="request.item_id", read_only=True)

    class Meta:
        model = RoundRequest
        fields = ["id", "round", "request", "archive_number", "item", "solution_version", "units_wanted",
                  "units_allocated", "eligible_offers", "best_unit_weight", "bar_unit_weight", "reason"]
        read_only_fields = fields


class PairRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PairRule
        fields = ["id", "round", "request", "offer", "kind", "units", "reason", "created_by", "created_at"]
        read_only_fields = fields


# --- writes ------------------------------------------------------------------------------------------------------


class ProviderWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ProviderKind.choices, required=False)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, help_text=_(
        "Unified social credit code (18 characters); empty for individuals and informal teams."))
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class ProviderRegisterSerializer(ProviderWriteSerializer):
    org = id_field(_("Id of the union it registers with: yours (the default) or one below it."), required=False)


PROVIDER_DECISIONS = [("verify", _("Verify")), ("reject", _("Reject")), ("suspend", _("Suspend"))]


class ProviderDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=PROVIDER_DECISIONS)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                 help_text=_("Required to reject or suspend."))


class OfferWriteSerializer(serializers.Serializer):
    provider = id_field(_("Staff only: id of the provider the offer is for (a provider's account offers for its "
                          "own provider)."), required=False)
    item = id_field(_("Id of an item of the menu."), required=False)
    project = id_field(_("Id of a project."), required=False)
    title = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    area_org = id_field(_("Id of the union whose subtree the offer serves: the union the provider registered with "
                          "or one below it."), required=False)
    capacity = serializers.IntegerField(max_value=MAX_UNITS, required=False, help_text=_("Units, at least 1."))
    unit_value = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True,
                                          help_text=_("Value of one unit in yuan."))
    certificate = serializers.CharField(max_length=100, required=False, allow_blank=True)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False)
    categories = serializers.ListField(child=serializers.CharField(max_length=32), max_length=20, required=False,
                                       help_text=_("Hardship categories it is for (empty: any)."))
    causes = serializers.ListField(child=serializers.CharField(max_length=16), max_length=20, required=False,
                                   help_text=_("Causes of hardship it is for (codes; empty: any)."))
    work_statuses = serializers.ListField(child=serializers.CharField(max_length=24), max_length=15,
                                          required=False, help_text=_("Work statuses it is for (empty: any)."))
    min_age = serializers.IntegerField(min_value=-1000, max_value=1000, required=False, allow_null=True)
    max_age = serializers.IntegerField(min_value=-1000, max_value=1000, required=False, allow_null=True)
    divisions = serializers.ListField(child=serializers.CharField(max_length=6), max_length=50, required=False,
                                      help_text=_("GB/T 2260 codes of the provinces, cities or counties whose "
                                                  "households it is for (empty: the whole area)."))


class ModerationSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("publish", _("Publish")), ("reject", _("Reject"))])
    note = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                 help_text=_("Required to reject: the provider reads it."))


class RequestCreateSerializer(serializers.Serializer):
    household = id_field(_("Id of the household that orders (a worker: their own)."))
    member = id_field(_("Id of the member it is for (default: the worker themself, or the head)."),
                      required=False)
    item = id_field(_("Id of an item of the menu."))
    quantity = serializers.IntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS, required=False, default=1)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    preferences = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    preferred_provider = id_field(_("Id of the provider of an offer you can see."), required=False)
    project = id_field(_("Id of a project."), required=False)


class ServiceNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ServiceReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RoundCreateSerializer(serializers.Serializer):
    org = id_field(_("Id of the union: yours (the default) or one below it."), required=False)
    project = id_field(_("Id of a project."), required=False)


class PairRuleCreateSerializer(serializers.Serializer):
    round = id_field(_("Id of the round."))
    request = id_field(_("Id of a request of a household of the round's union."))
    offer = id_field(_("Id of an offer of the round's union."))
    kind = serializers.ChoiceField(choices=PairRule.Kind.choices)
    units = serializers.IntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS, required=False, default=1,
                                     help_text=_("Units to pin (pins only)."))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
