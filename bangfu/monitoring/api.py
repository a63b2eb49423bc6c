"""REST API of bangfu.monitoring (registered on the router in bangfu/api/urls.py):

    GET        /api/v1/review-cycles/                     cycles of the user's unions (and one)
    GET        /api/v1/reviews/                           reviews (and one)
    POST       /api/v1/reviews/{id}/do/                   record the review (review_do → household_review)
    POST       /api/v1/reviews/{id}/spot-check/           spot-check outcome (higher level)
    GET        /api/v1/exit-suggestions/                  suggestions (and one), with their evidence
    POST       /api/v1/exit-suggestions/{id}/accept/      exit as out of hardship
    POST       /api/v1/exit-suggestions/{id}/dismiss/     dismiss with a reason
    GET        /api/v1/relapse-watches/                   watches with their triggers (and one)
    POST       /api/v1/relapse-watches/{id}/resolve/      no relapse / re-entry
    GET        /api/v1/monitoring-lists/not-updated/      archives not updated for a year
    GET        /api/v1/monitoring-lists/never-helped/     archives never helped

Scoped through `ScopedViewSetMixin`; writes through `bangfu.monitoring.services` (the pages' functions), whose
field errors are the 400 body.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from bangfu.api.base import ScopedViewSetMixin, api_errors, non_field
from bangfu.monitoring import lists
from bangfu.monitoring.evidence import describe_trigger, suggestion_evidence, trigger_evidence, trigger_key
from bangfu.monitoring.models import (
    ExitSuggestion,
    RelapseTrigger,
    RelapseWatch,
    Review,
    ReviewCycle,
    ReviewState,
    SpotOutcome,
    SuggestionState,
    WatchState,
)
from bangfu.monitoring.services.common import today
from bangfu.monitoring.services.exits import suggestion_accept, suggestion_dismiss
from bangfu.monitoring.services.relapse import OUTCOMES, watch_resolve
from bangfu.monitoring.services.reviews import review_do
from bangfu.monitoring.services.spotcheck import SPOTCHECK, spot_check_record
from bangfu.registry.models import Household


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class _HouseholdFields(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    head_name_masked = serializers.CharField(source="household.head_name_masked", read_only=True)


class ReviewCycleSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = ReviewCycle
        fields = ["id", "org", "org_name", "year", "starts_on", "ends_on", "created_at"]
        read_only_fields = fields


class ReviewSerializer(_HouseholdFields):
    year = serializers.IntegerField(source="cycle.year", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "cycle", "year", "household", "archive_number", "head_name_masked", "due_on", "state",
                  "reviewed_on", "note", "draw", "spot_outcome", "spot_note", "spot_on", "rereviews"]
        read_only_fields = fields


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ExitSuggestionSerializer(_HouseholdFields):
    evidence = serializers.SerializerMethodField(help_text=_(
        "Each month's household income, per-capita income and the line (fen), the household size and the line's "
        "source."))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_evidence(self, obj) -> dict:
        return suggestion_evidence(obj, _user(self))

    class Meta:
        model = ExitSuggestion
        fields = ["id", "household", "archive_number", "head_name_masked", "last_month", "months", "evidence",
                  "state", "created_at", "decided_on", "decision_note"]
        read_only_fields = fields


class RelapseTriggerSerializer(serializers.ModelSerializer):
    description = serializers.SerializerMethodField(help_text=_("What the trigger saw, in one sentence."))
    evidence = serializers.SerializerMethodField(help_text=_(
        "What was seen; health codes only for users who may see health (registry.view_health_score)."))
    evidence_key = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_description(self, obj) -> str:
        return describe_trigger(obj, _user(self))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_evidence(self, obj) -> dict:
        return trigger_evidence(obj, _user(self))

    @extend_schema_field(OpenApiTypes.STR)
    def get_evidence_key(self, obj) -> str:
        return trigger_key(obj, _user(self))

    class Meta:
        model = RelapseTrigger
        fields = ["id", "kind", "description", "evidence_key", "evidence", "source", "at", "reviewed_on"]
        read_only_fields = fields


class RelapseWatchSerializer(_HouseholdFields):
    triggers = RelapseTriggerSerializer(many=True, read_only=True)

    class Meta:
        model = RelapseWatch
        fields = ["id", "household", "archive_number", "head_name_masked", "starts_on", "monitor_until", "state",
                  "resolved_on", "resolution_note", "new_archive", "triggers"]
        read_only_fields = fields


class ListedHouseholdSerializer(serializers.ModelSerializer):
    listed_days = serializers.IntegerField(read_only=True, help_text=_(
        "The parameter (days) of the archive's own union that put it on the list."))

    class Meta:
        model = Household
        fields = ["id", "archive_number", "head_name_masked", "org", "state", "activated_on", "updated_at",
                  "listed_days"]
        read_only_fields = fields


class ListFilterSerializer(serializers.Serializer):
    org = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                   help_text=_("union id: this union and the unions below it"))


class DoSerializer(serializers.Serializer):
    reviewed_on = serializers.DateField()
    note = serializers.CharField(max_length=4000)


class SpotSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=SpotOutcome.choices)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class ExitAcceptSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text=_("Exit date (default today)."))
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[(o, o) for o in OUTCOMES])
    note = serializers.CharField(max_length=4000)


MAX_ID = 2**63 - 1  # a bigger id is a 400 (SQLite cannot even bind it), not a 500


def _org_subtree(queryset, path_field: str, value):
    """Rows whose union is the union `value` or below it (nothing for an unknown union: the queryset is already
    restricted to the user's scope, so another union's id only gives an empty list)."""
    from bangfu.orgs.models import Org

    org = Org.objects.filter(pk=value).only("path").first()
    return queryset.filter(**{f"{path_field}__startswith": org.path}) if org else queryset.none()


class _HouseholdPartFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))
    org = filters.NumberFilter(method="filter_org", min_value=1, max_value=MAX_ID,
                               label=_("union id: this union and the unions below it"))

    def filter_org(self, queryset, name, value):
        return queryset if value is None else _org_subtree(queryset, "household__org__path", value)


class ReviewCycleFilter(filters.FilterSet):
    year = filters.NumberFilter(min_value=2000, max_value=2100, label=_("year"))
    org = filters.NumberFilter(method="filter_org", min_value=1, max_value=MAX_ID,
                               label=_("union id: this union and the unions below it"))

    class Meta:
        model = ReviewCycle
        fields = ["year", "org"]

    def filter_org(self, queryset, name, value):
        return queryset if value is None else _org_subtree(queryset, "org__path", value)


class ReviewFilter(_HouseholdPartFilter):
    state = filters.ChoiceFilter(method="filter_state", label=_("state"), choices=[
        *ReviewState.choices, ("open", _("Due or re-review")), ("overdue", _("Overdue"))])
    year = filters.NumberFilter(field_name="cycle__year", min_value=2000, max_value=2100, label=_("year"))
    cycle = filters.NumberFilter(field_name="cycle_id", min_value=1, max_value=MAX_ID, label=_("review cycle id"))

    class Meta:
        model = Review
        fields = ["state", "year", "cycle", "household", "org"]

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        if value == "overdue":
            return queryset.open().filter(due_on__lt=today())
        return queryset.filter(state=value) if value else queryset


class ExitSuggestionFilter(_HouseholdPartFilter):
    state = filters.ChoiceFilter(choices=SuggestionState.choices, label=_("state"))

    class Meta:
        model = ExitSuggestion
        fields = ["state", "household", "org"]


class RelapseWatchFilter(_HouseholdPartFilter):
    state = filters.ChoiceFilter(choices=WatchState.choices, label=_("state"))

    class Meta:
        model = RelapseWatch
        fields = ["state", "household", "org"]


class _Base(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "head", "options"]

    def _run(self, function, serializer_class, request, obj=None):
        obj = obj or self.get_object()
        data = _validated(serializer_class, request.data)
        try:
            result = function(request.user, obj, **data)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(type(self).serializer_class(type(self).queryset.get(pk=result.pk),
                                                    context=self.get_serializer_context()).data)


@extend_schema_view(list=extend_schema(summary=_("Review cycles of your unions")),
                    retrieve=extend_schema(summary=_("One review cycle")))
class ReviewCycleViewSet(_Base):
    queryset = ReviewCycle.objects.select_related("org").order_by("-year", "id")
    serializer_class = ReviewCycleSerializer
    filterset_class = ReviewCycleFilter


@extend_schema_view(list=extend_schema(summary=_("Annual reviews of the archives you may see")),
                    retrieve=extend_schema(summary=_("One annual review")))
class ReviewViewSet(_Base):
    queryset = Review.objects.select_related("household", "cycle").order_by("due_on", "id")
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    scope_actions = {"do": "change", "spot_check": "view"}

    @extend_schema(summary=_("Record the annual review"), request=DoSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def do(self, request, pk=None, **kwargs):
        return self._run(review_do, DoSerializer, request)

    @extend_schema(summary=_("Record a spot-check outcome (higher level)"), request=SpotSerializer,
                   responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"], url_path="spot-check", filter_backends=[], pagination_class=None)
    def spot_check(self, request, pk=None, **kwargs):
        review = self.get_object()
        if not request.user.has_role_permission(SPOTCHECK):
            raise NotFound()
        return self._run(spot_check_record, SpotSerializer, request, review)


@extend_schema_view(list=extend_schema(summary=_("Exit suggestions")),
                    retrieve=extend_schema(summary=_("One exit suggestion with its evidence")))
class ExitSuggestionViewSet(_Base):
    queryset = ExitSuggestion.objects.select_related("household").order_by("-created_at", "-id")
    serializer_class = ExitSuggestionSerializer
    filterset_class = ExitSuggestionFilter
    scope_actions = {"accept": "change", "dismiss": "change"}

    @extend_schema(summary=_("Accept: exit the household as out of hardship"), request=ExitAcceptSerializer,
                   responses={200: ExitSuggestionSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def accept(self, request, pk=None, **kwargs):
        return self._run(suggestion_accept, ExitAcceptSerializer, request)

    @extend_schema(summary=_("Dismiss with a reason"), request=DismissSerializer,
                   responses={200: ExitSuggestionSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def dismiss(self, request, pk=None, **kwargs):
        return self._run(suggestion_dismiss, DismissSerializer, request)


@extend_schema_view(list=extend_schema(summary=_("Relapse watches with their triggers")),
                    retrieve=extend_schema(summary=_("One relapse watch")))
class RelapseWatchViewSet(_Base):
    queryset = RelapseWatch.objects.select_related("household").prefetch_related("triggers").order_by(
        "monitor_until", "id")
    serializer_class = RelapseWatchSerializer
    filterset_class = RelapseWatchFilter
    scope_actions = {"resolve": "change"}

    @extend_schema(summary=_("Record the relapse review"), request=ResolveSerializer,
                   responses={200: RelapseWatchSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def resolve(self, request, pk=None, **kwargs):
        return self._run(watch_resolve, ResolveSerializer, request)


class MonitoringListViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """The lists of DOMAIN.md §3 over the archives you may see (definitions in `bangfu.monitoring.lists`)."""

    serializer_class = ListedHouseholdSerializer
    queryset = Household.objects.all()
    filter_backends: list = []

    def _list(self, request, which):
        user = request.user
        if getattr(user, "kind", None) != "staff" or not user.has_role_permission("monitoring.view_review"):
            raise NotFound()
        org = _validated(ListFilterSerializer, request.query_params).get("org")
        households = self.get_queryset().defer("address", "bank_account")  # restricted to the user's subtree
        if org is not None:
            households = _org_subtree(households, "org__path", org)
        if which == "not_updated":
            rows = lists.not_updated(households, today()).order_by("updated_at", "id")
        else:
            rows = lists.never_helped(households, today()).order_by("activated_on", "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ListedHouseholdSerializer(page, many=True).data)

    @extend_schema(summary=_("Open archives not updated for a year (each by its own union's parameter)"),
                   parameters=[ListFilterSerializer], responses={200: ListedHouseholdSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="not-updated")
    def not_updated(self, request, **kwargs):
        return self._list(request, "not_updated")

    @extend_schema(summary=_("Active archives never helped (each by its own union's parameter)"),
                   parameters=[ListFilterSerializer], responses={200: ListedHouseholdSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="never-helped")
    def never_helped(self, request, **kwargs):
        return self._list(request, "never_helped")


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("review-cycles", ReviewCycleViewSet, basename="reviewcycle")
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("exit-suggestions", ExitSuggestionViewSet, basename="exitsuggestion")
    router.register("relapse-watches", RelapseWatchViewSet, basename="relapsewatch")
    router.register("monitoring-lists", MonitoringListViewSet, basename="monitoringlist")
