"""REST API of bangfu.plans (registered on the router in bangfu/api/urls.py):

    GET/POST   /api/v1/plans/                         plans you may see / start one for a household
    GET/PATCH  /api/v1/plans/{id}/                    one plan / change the situation and needs
    POST       /api/v1/plans/{id}/propose/            run the recommendation rules for its household
    GET/POST   /api/v1/measures/                      measures you may see (filters) / add one
    GET/PATCH  /api/v1/measures/{id}/                 one measure / change its due date or owner
    POST       /api/v1/measures/{id}/state/           move it to its next state (with the outcome)
    GET        /api/v1/recommendations/               proposals you may see (filters)
    GET        /api/v1/recommendations/{id}/          one proposal, with the rule version and the matched facts
    POST       /api/v1/recommendations/{id}/accept/   accept (optionally with changes): the measure is created
    POST       /api/v1/recommendations/{id}/reject/   reject with the reason

Scoping through `ScopedViewSetMixin` (another union's row is a 404; a worker reads their own household's plan
and measures). Writes call the same functions as the pages; their ValidationErrors are the 400 body by field,
a role that may not act gets 403 (on a collection) or 404 (on an object it may not change).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from bangfu import audit
from bangfu.api.base import ScopedViewSetMixin, api_errors
from bangfu.core.scoping import assert_in_scope
from bangfu.plans import api_serializers as s
from bangfu.plans import engine
from bangfu.plans.models import Measure, MeasureState, Plan, Recommendation, RecommendationDecision
from bangfu.plans.services import measures as measure_services
from bangfu.plans.services.plans import plan_update
from bangfu.plans.services.recommendations import recommendation_accept, recommendation_reject
from bangfu.registry.api.views import validated
from bangfu.registry.models import Household


def _household(request, pk) -> Household:
    household = Household.objects.restrict(request.user, "view").filter(pk=pk).first()
    if household is None:
        raise exceptions.ValidationError({"household": [str(_("No such household among those you may see."))]})
    return household


def _owner(household, pk, *, keep=None):
    """The owner named by id, looked up only among the household's eligible owners: any other id (another
    union's user, a user below, an unknown id) gets the one neutral message, never a name."""
    return measure_services.find_owner(household, pk, keep=keep)


class PlansApiMixin(ScopedViewSetMixin):
    parser_classes = [JSONParser]  # JSON bodies only (a malformed multipart body would be an undocumented 415)
    def require(self, permission: str) -> None:
        if not self.request.user.has_role_permission(permission):
            raise exceptions.PermissionDenied(_("Your role may not do this."))

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = api_errors(exc)
        return super().handle_exception(exc)


class PlanFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=s.MAX_ID,
                                     label=_("household id"))

    class Meta:
        model = Plan
        fields = ["household"]


@extend_schema_view(
    list=extend_schema(summary=_("Household plans you may see")),
    retrieve=extend_schema(summary=_("One household plan (the four clears)")),
    create=extend_schema(summary=_("Start the plan of a household"), request=s.PlanCreateSerializer,
                         responses={201: s.PlanSerializer}),
    partial_update=extend_schema(summary=_("Change the situation and needs of a plan"),
                                 request=s.PlanUpdateSerializer, responses={200: s.PlanSerializer}),
)
class PlanViewSet(PlansApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Plan.objects.select_related("household").prefetch_related("household__causes").order_by("-id")
    serializer_class = s.PlanSerializer
    filterset_class = PlanFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    scope_actions = {"propose": "recommend"}

    def retrieve(self, request, *args, **kwargs):
        plan = self.get_object()
        audit.log_access(request, "view", obj=plan, what="api_plan")
        return Response(self.get_serializer(plan).data)

    def create(self, request, *args, **kwargs):
        self.require("plans.add_plan")
        data = validated(s.PlanCreateSerializer, request.data)
        household = _household(request, data["household"])
        if Plan.objects.filter(household=household).exists():
            raise exceptions.ValidationError({"household": [str(_("This household already has a plan."))]})
        with transaction.atomic():
            plan = plan_update(household, request.user, situation=data.get("situation", ""),
                               needs=data.get("needs", ""))
            assert_in_scope(plan, request.user, "view")
        return Response(self._fresh(plan), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()  # scoped with "change"
        data = validated(s.PlanUpdateSerializer, request.data)
        plan = plan_update(plan.household, request.user, situation=data.get("situation", plan.situation),
                           needs=data.get("needs", plan.needs))
        return Response(self._fresh(plan))

    def _fresh(self, plan) -> dict:
        return s.PlanSerializer(type(self).queryset.get(pk=plan.pk), context=self.get_serializer_context()).data

    @extend_schema(summary=_("Run the recommendation rules for the plan's household"), request=None,
                   description=_("Every current rule in use whose condition holds proposes its measures; a measure "
                                 "already proposed to the household (pending, accepted or rejected) is not proposed "
                                 "again. Returns the new proposals."),
                   responses={200: s.RecommendationSerializer(many=True)})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def propose(self, request, pk=None, **kwargs):
        plan = self.get_object()
        made = engine.propose(plan.household, request.user)
        rows = Recommendation.objects.filter(pk__in=[r.pk for r in made]).select_related("rule", "household")
        return Response(s.RecommendationSerializer(rows.order_by("id"), many=True).data)


class MeasureFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=s.MAX_ID,
                                     label=_("household id"))
    owner = filters.NumberFilter(field_name="owner_id", min_value=1, max_value=s.MAX_ID, label=_("owner id"))
    state = filters.ChoiceFilter(choices=MeasureState.choices, label=_("state"))
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("due on or before"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("only overdue open measures"))

    class Meta:
        model = Measure
        fields = ["household", "owner", "state", "due_before", "overdue"]

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset


@extend_schema_view(
    list=extend_schema(summary=_("Measures you may see")),
    retrieve=extend_schema(summary=_("One measure")),
    create=extend_schema(summary=_("Add a measure to a household's plan"), request=s.MeasureCreateSerializer,
                         description=_("The due date is today or later; the owner an active staff member who may "
                                       "update measures, of the household's union or a union above it."),
                         responses={201: s.MeasureSerializer}),
    partial_update=extend_schema(summary=_("Change the due date or owner of an open measure"),
                                 request=s.MeasureUpdateSerializer, responses={200: s.MeasureSerializer}),
)
class MeasureViewSet(PlansApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Measure.objects.select_related("household", "owner").order_by("due_on", "id")
    serializer_class = s.MeasureSerializer
    filterset_class = MeasureFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    scope_actions = {"state": "change"}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "state" and not measure_services.may_manage(self.request.user):
            queryset = queryset.filter(owner=self.request.user)  # a helper updates the measures they own
        return queryset

    def create(self, request, *args, **kwargs):
        self.require("plans.add_measure")
        data = validated(s.MeasureCreateSerializer, request.data)
        household = _household(request, data["household"])
        owner = _owner(household, data.get("owner")) or request.user
        with transaction.atomic():
            measure = measure_services.measure_add(household, request.user, function=data["function"],
                                                   kind=data["kind"], description=data["description"], owner=owner,
                                                   due_on=data["due_on"])
            assert_in_scope(measure, request.user, "view")
        return Response(self._fresh(measure), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        measure = self.get_object()  # scoped with "change"
        self.require("plans.add_measure")
        data = validated(s.MeasureUpdateSerializer, request.data)
        owner = _owner(measure.household, data.get("owner"), keep=measure.owner) or measure.owner
        measure = measure_services.measure_update(measure, request.user, due_on=data.get("due_on", measure.due_on),
                                                  owner=owner)
        return Response(self._fresh(measure))

    def _fresh(self, measure) -> dict:
        return s.MeasureSerializer(type(self).queryset.get(pk=measure.pk)).data

    @extend_schema(summary=_("Move a measure to its next state"), request=s.MeasureStateSerializer,
                   description=_("planned → in_progress → done or cancelled; done needs the outcome, cancelled the "
                                 "reason in the outcome. A helper updates only the measures they own."),
                   responses={200: s.MeasureSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def state(self, request, pk=None, **kwargs):
        measure = self.get_object()
        data = validated(s.MeasureStateSerializer, request.data)
        measure = measure_services.measure_set_state(measure, request.user, state=data["state"],
                                                     outcome=data.get("outcome", ""))
        return Response(self._fresh(measure))


class RecommendationFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=s.MAX_ID,
                                     label=_("household id"))
    decision = filters.ChoiceFilter(choices=RecommendationDecision.choices, label=_("decision"))

    class Meta:
        model = Recommendation
        fields = ["household", "decision"]


@extend_schema_view(
    list=extend_schema(summary=_("Proposed measures you may see")),
    retrieve=extend_schema(summary=_("One proposed measure, with the rule version that made it")),
)
class RecommendationViewSet(PlansApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    queryset = Recommendation.objects.select_related("household", "rule", "measure").order_by("-id")
    serializer_class = s.RecommendationSerializer
    filterset_class = RecommendationFilter
    scope_actions = {"accept": "change", "reject": "change"}

    def _fresh(self, rec) -> dict:
        return s.RecommendationSerializer(type(self).queryset.get(pk=rec.pk)).data

    @extend_schema(summary=_("Accept a proposal (optionally with changes): its measure is created"),
                   request=s.AcceptSerializer, responses={200: s.RecommendationSerializer},
                   description=_("Owner: you unless given; due date: today + due_days unless given (today or "
                                 "later). A different function, kind, description or due date is recorded as "
                                 "accepted with changes."))
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def accept(self, request, pk=None, **kwargs):
        rec = self.get_object()
        data = validated(s.AcceptSerializer, request.data)
        rec = recommendation_accept(rec, request.user, owner=_owner(rec.household, data.get("owner")),
                                    due_on=data.get("due_on"),
                                    function=data.get("function"), kind=data.get("kind"),
                                    description=data.get("description"))
        return Response(self._fresh(rec))

    @extend_schema(summary=_("Reject a proposal with the reason"), request=s.RejectSerializer,
                   responses={200: s.RecommendationSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reject(self, request, pk=None, **kwargs):
        rec = self.get_object()
        data = validated(s.RejectSerializer, request.data)
        rec = recommendation_reject(rec, request.user, reason=data.get("reason", ""))
        return Response(self._fresh(rec))


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("plans", PlanViewSet, basename="plan")
    router.register("measures", MeasureViewSet, basename="measure")
    router.register("recommendations", RecommendationViewSet, basename="recommendation")
