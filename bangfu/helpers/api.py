"""REST API of bangfu.helpers (registered on the router in bangfu/api/urls.py):

    GET/POST  /api/v1/helper-assignments/                  assignments you may see / assign a helper
    GET       /api/v1/helper-assignments/{id}/             one assignment, with the next visit's due date
    POST      /api/v1/helper-assignments/{id}/hand-over/   hand the household over (the row ends, a new one starts)
    POST      /api/v1/helper-assignments/{id}/end/         end the current helper's period without a successor
    GET/POST  /api/v1/visits/                              visits you may see / record one (JSON, or multipart
                                                           with an optional photo)
    GET       /api/v1/visits/{id}/                         one visit (the photo itself: `photo_url`, audited)

Scoped through `ScopedViewSetMixin` (another union's row is a 404); writes call the same write functions as the
pages (`bangfu.helpers.services`), whose field-level ValidationErrors become the platform's 400 body.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from bangfu import audit
from bangfu.api.base import ScopedViewSetMixin, api_errors, non_field
from bangfu.api.schema import ErrorSerializer
from bangfu.core.scoping import assert_in_scope
from bangfu.helpers.api_serializers import (
    MAX_ID,
    AssignmentCreateSerializer,
    AssignmentSerializer,
    EndSerializer,
    HandOverSerializer,
    VisitCreateSerializer,
    VisitSerializer,
    VisitUploadSerializer,
)
from bangfu.helpers.models import HelperAssignment, HelperMode, Visit
from bangfu.helpers.rules import choose_from_the_list, lineage_orgs, may_record_visit, nameable_users
from bangfu.helpers.services import assign_helper, end_assignment, hand_over, record_visit
from bangfu.registry.api.views import validated
from bangfu.registry.models import Household

NO_HOUSEHOLD = OpenApiResponse(ErrorSerializer, description=_("No such household among those you may act on."))


def _errors(error: DjangoValidationError) -> ApiValidationError:
    return api_errors(error, rename=non_field)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("helper-assignments", HelperAssignmentViewSet, basename="helperassignment")
    router.register("visits", VisitViewSet, basename="visit")


def _household(request, pk, permission: str, *, as_helper: bool = False) -> Household:
    """A household the user may act on with `permission` (404 otherwise, as for another union's household)."""
    user = request.user
    if not user.has_role_permission(permission):
        raise NotFound()
    household = Household.objects.restrict(user, "view").select_related("org").filter(pk=pk).first()
    if household is None and as_helper and HelperAssignment.objects.current().filter(
            household_id=pk, helper_id=user.pk).exists():
        household = Household.objects.select_related("org").get(pk=pk)
    if household is None:
        raise NotFound()
    return household


def _responsible(request, household, data) -> dict:
    """The person and the union named by id, looked up among those the user may name (never another union's:
    anybody else gets the neutral message of `rules.choose_from_the_list`)."""
    union = data["mode"] == HelperMode.UNION
    person = org = None
    errors = {}
    if not union and data.get("helper"):
        person = nameable_users(request.user).filter(pk=data["helper"]).first()
        if person is None:
            errors["helper"] = [choose_from_the_list()]
    if union and data.get("helper_org"):
        org = lineage_orgs(household).filter(pk=data["helper_org"]).first()
        if org is None:
            errors["helper_org"] = [str(_("Choose the household's union or a union above it."))]
    if errors:
        raise ApiValidationError(errors)
    return {"mode": data["mode"], "helper_kind": data["helper_kind"], "person": person, "org": org}


class AssignmentFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))
    helper = filters.NumberFilter(field_name="helper_id", min_value=1, max_value=MAX_ID, label=_("helper's user id"))
    current = filters.BooleanFilter(field_name="ends_on", lookup_expr="isnull", label=_("current assignments only"))
    mode = filters.ChoiceFilter(choices=HelperMode.choices, label=_("mode"))

    class Meta:
        model = HelperAssignment
        fields = ["household", "helper", "current", "mode"]


@extend_schema_view(
    list=extend_schema(summary=_("Responsible helpers of the households you may see")),
    retrieve=extend_schema(summary=_("One responsible-helper assignment")),
    create=extend_schema(summary=_("Assign a responsible helper to a household without one"),
                         request=AssignmentCreateSerializer, responses={201: AssignmentSerializer, 404: NO_HOUSEHOLD}),
)
class HelperAssignmentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              viewsets.GenericViewSet):
    queryset = HelperAssignment.objects.select_related("household", "helper", "helper_org").order_by("-id")
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    http_method_names = ["get", "post", "head", "options"]
    scope_actions = {"hand_over": "change", "end": "change"}

    def get_queryset(self):
        return super().get_queryset().with_visit_due()  # after the scope: annotations on the rows the user sees

    def _fresh(self, assignment) -> dict:
        row = HelperAssignment.objects.select_related("household", "helper", "helper_org").with_visit_due().get(
            pk=assignment.pk)
        return AssignmentSerializer(row).data

    def create(self, request, *args, **kwargs):
        data = validated(AssignmentCreateSerializer, request.data)
        household = _household(request, data["household"], "helpers.add_helperassignment")
        chosen = _responsible(request, household, data)
        try:
            assignment = assign_helper(household, mode=chosen["mode"], helper=chosen["person"],
                                       helper_org=chosen["org"], helper_kind=chosen["helper_kind"],
                                       starts_on=data["starts_on"], actor=request.user)
        except DjangoValidationError as error:
            raise _errors(error) from None
        assert_in_scope(assignment, request.user, "add")
        return Response(self._fresh(assignment), status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Hand the household over to another helper (history kept)"),
                   description=_("The current assignment ends on the given day with the reason and points at the "
                                 "new one, which starts the same day. The new helper is notified."),
                   request=HandOverSerializer, responses={201: AssignmentSerializer})
    @action(detail=True, methods=["post"], url_path="hand-over", url_name="hand-over", filter_backends=[],
            pagination_class=None)
    def hand_over(self, request, pk=None, **kwargs):
        assignment = self.get_object()  # scoped with "change"
        data = validated(HandOverSerializer, request.data)
        chosen = _responsible(request, assignment.household, data)
        try:
            new = hand_over(assignment, mode=chosen["mode"], to_helper=chosen["person"], to_helper_org=chosen["org"],
                            helper_kind=chosen["helper_kind"], on=data["on"], reason=data["reason"],
                            actor=request.user)
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(self._fresh(new), status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("End the current helper's period without a successor"), request=EndSerializer,
                   responses={200: AssignmentSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def end(self, request, pk=None, **kwargs):
        assignment = self.get_object()
        data = validated(EndSerializer, request.data)
        try:
            ended = end_assignment(assignment, on=data["on"], reason=data["reason"], actor=request.user)
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(self._fresh(ended))


class VisitFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))
    since = filters.DateFilter(field_name="visited_on", lookup_expr="gte", label=_("visited on or after"))
    until = filters.DateFilter(field_name="visited_on", lookup_expr="lte", label=_("visited on or before"))

    class Meta:
        model = Visit
        fields = ["household", "since", "until"]


@extend_schema_view(
    list=extend_schema(summary=_("Visits to the households you may see")),
    retrieve=extend_schema(summary=_("One visit")),
    create=extend_schema(
        summary=_("Record a visit (with an optional JPEG or PNG photo as multipart)"),
        request={"application/json": VisitCreateSerializer, "multipart/form-data": VisitUploadSerializer},
        responses={201: VisitSerializer, 404: NO_HOUSEHOLD}),
)
class VisitViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Visit.objects.select_related("household", "recorded_by").order_by("-visited_on", "-id")
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "head", "options"]

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = len(response.data.get("results", ())) if isinstance(response.data, dict) else len(response.data)
        audit.log_access(request, "view", object_type="helpers.visit", rows=rows, what="api_list")
        return response

    def retrieve(self, request, *args, **kwargs):
        visit = self.get_object()
        audit.log_access(request, "view", obj=visit, what="api_detail")  # findings tell of the family's situation
        return Response(self.get_serializer(visit).data)

    def create(self, request, *args, **kwargs):
        data = validated(VisitUploadSerializer, request.data)
        household = _household(request, data["household"], "helpers.add_visit", as_helper=True)
        if not may_record_visit(request.user, household):
            raise NotFound()  # a helper who is not this household's current helper
        try:
            visit = record_visit(household, visited_on=data["visited_on"], visitors=data["visitors"],
                                 findings=data["findings"], problems_solved=data.get("problems_solved", ""),
                                 next_step=data.get("next_step", ""), photo=data.get("photo"), actor=request.user)
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)
