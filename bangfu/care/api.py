"""REST API of bangfu.care (registered on the router in bangfu/api/urls.py). Counsellors only:

    GET/POST   /api/v1/care-plans/                    care plans of your subtree / open one
    GET/PATCH  /api/v1/care-plans/{id}/               one plan / change goals or counsellor
    POST       /api/v1/care-plans/{id}/close/         close it
    GET/POST   /api/v1/screenings/                    screenings / record one (scored; may open a crisis case)
    GET        /api/v1/screenings/{id}/
    GET        /api/v1/crisis-cases/                  crisis cases (?state=open for those waiting)
    GET        /api/v1/crisis-cases/{id}/
    POST       /api/v1/crisis-cases/{id}/acknowledge/
    POST       /api/v1/crisis-cases/{id}/close/
    GET/POST   /api/v1/counselling-sessions/          sessions / record one
    GET        /api/v1/counselling-sessions/{id}/

Everyone else gets empty lists and 404s (the care permissions are the counsellors'). Lists are paginated,
20 per page and at most 50 (`?limit=`; no bulk export); every record read is written to the access log;
writes go through `bangfu.care.services`.
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
from rest_framework.response import Response

from bangfu import audit
from bangfu.api.base import ScopedViewSetMixin, api_errors, non_field
from bangfu.api.pagination import LimitOffsetPagination
from bangfu.api.schema import ErrorSerializer
from bangfu.care import services
from bangfu.care.api_serializers import (
    MAX_ID,
    AcknowledgeSerializer,
    CarePlanCloseSerializer,
    CarePlanCreateSerializer,
    CarePlanSerializer,
    CarePlanUpdateSerializer,
    CloseCaseSerializer,
    CounsellingSessionSerializer,
    CrisisCaseSerializer,
    ScreeningCreateSerializer,
    ScreeningSerializer,
    SessionCreateSerializer,
)
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, CrisisState, Instrument, Screening
from bangfu.care.services.records import counsellor_options
from bangfu.registry.api.views import flat_errors
from bangfu.registry.models import Household, Member

NOT_YOURS = OpenApiResponse(ErrorSerializer, description=_("Your role may not do this (counsellors only)."))


def _validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise ApiValidationError(flat_errors(serializer.errors))
    return serializer.validated_data


class HouseholdFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))


class CarePagination(LimitOffsetPagination):
    """Health records come a few at a time (no bulk export, DOMAIN.md §8): 20 per page, at most 50 on request."""

    default_limit = 20
    max_limit = 50


class CareViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Scoped reads with the access log; `require` answers 404 to anyone without the permission."""

    filterset_class = HouseholdFilter
    pagination_class = CarePagination
    read_serializer = None

    def require(self, permission: str) -> None:
        if not self.request.user.has_role_permission(permission):
            raise NotFound()

    def household(self, pk) -> Household:
        household = Household.objects.restrict(self.request.user, "view").filter(pk=pk).select_related("org").first()
        if household is None:
            raise ApiValidationError({"household": [str(_("No such household among those you may see."))]})
        return household

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", ()) if isinstance(response.data, dict) else response.data
        audit.log_access(request, "view", object_type=self.queryset.model._meta.label_lower, rows=len(rows),
                         what="api_list", ids=[row["id"] for row in rows])
        return response

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        audit.log_access(request, "view", obj=record, what="api_detail")
        return Response(self.get_serializer(record).data)

    def fresh(self, record, status_code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(type(self).queryset.get(pk=record.pk)).data, status=status_code)


# --- care plans --------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Care plans of your subtree (counsellors)")),
    retrieve=extend_schema(summary=_("One care plan")),
    create=extend_schema(summary=_("Open a household's care plan"), request=CarePlanCreateSerializer,
                         responses={201: CarePlanSerializer, 404: NOT_YOURS}),
    partial_update=extend_schema(summary=_("Change the goals or the counsellor of an open care plan"),
                                 request=CarePlanUpdateSerializer, responses={200: CarePlanSerializer}),
)
class CarePlanViewSet(CareViewSet):
    queryset = CarePlan.objects.select_related("household", "counsellor").order_by("-id")
    serializer_class = CarePlanSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    scope_actions = {"close": "change"}

    def _counsellor(self, pk, household):
        if pk is None:
            return None
        counsellor = counsellor_options(household).filter(pk=pk).first()
        if counsellor is None:
            raise ApiValidationError({"counsellor": [str(_(
                "Choose a counsellor of the household's union or of a union above it."))]})
        return counsellor

    def create(self, request, *args, **kwargs):
        self.require("care.add_careplan")
        data = _validated(CarePlanCreateSerializer, request.data)
        household = self.household(data["household"])
        try:
            plan = services.open_care_plan(household, request.user, opened_on=data["opened_on"],
                                           goals=data.get("goals", ""),
                                           counsellor=self._counsellor(data.get("counsellor"), household))
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(plan, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()  # scoped with "change"
        data = _validated(CarePlanUpdateSerializer, request.data, partial=True)
        try:
            plan = services.update_care_plan(
                plan, request.user, goals=data.get("goals", plan.goals),
                counsellor=self._counsellor(data.get("counsellor"), plan.household))
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(plan)

    @extend_schema(summary=_("Close a care plan"), request=CarePlanCloseSerializer,
                   responses={200: CarePlanSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def close(self, request, pk=None, **kwargs):
        plan = self.get_object()
        data = _validated(CarePlanCloseSerializer, request.data)
        try:
            plan = services.close_care_plan(plan, request.user, closed_on=data["closed_on"])
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(plan)


# --- screenings --------------------------------------------------------------------------------------------


class ScreeningFilter(HouseholdFilter):
    instrument = filters.ChoiceFilter(choices=Instrument.choices, label=_("instrument"))


@extend_schema_view(
    list=extend_schema(summary=_("Screenings of your subtree (counsellors)")),
    retrieve=extend_schema(summary=_("One screening with its answers, score and band")),
    create=extend_schema(
        summary=_("Record a screening (PHQ-9 or GAD-7), scored by the system"),
        description=_("Every item must be answered with a whole number 0–3; a missing or out-of-range item is a "
                      "400 naming the item, and nothing is saved. A positive self-harm item (PHQ-9 item 9) or a "
                      "severe band opens a crisis case (see crisis_case in the answer)."),
        request=ScreeningCreateSerializer, responses={201: ScreeningSerializer, 404: NOT_YOURS}),
)
class ScreeningViewSet(CareViewSet):
    queryset = Screening.objects.select_related("household", "member", "counsellor", "crisis_case").order_by("-id")
    serializer_class = ScreeningSerializer
    filterset_class = ScreeningFilter

    def create(self, request, *args, **kwargs):
        self.require("care.add_screening")
        data = _validated(ScreeningCreateSerializer, request.data)
        household = self.household(data["household"])
        member = Member.objects.restrict(request.user, "view").filter(pk=data["member"]).first()
        try:
            screening = services.record_screening(household, member, data["instrument"], data["answers"],
                                                  data["screened_on"], request.user, data.get("notes", ""))
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(screening, status.HTTP_201_CREATED)


# --- crisis cases ------------------------------------------------------------------------------------------


class CrisisFilter(HouseholdFilter):
    state = filters.ChoiceFilter(choices=CrisisState.choices, label=_("state"))


@extend_schema_view(
    list=extend_schema(summary=_("Crisis cases of your subtree (counsellors)")),
    retrieve=extend_schema(summary=_("One crisis case with its deadline")),
)
class CrisisCaseViewSet(CareViewSet):
    queryset = CrisisCase.objects.select_related("household", "responsible_org").order_by("due_at", "id")
    serializer_class = CrisisCaseSerializer
    filterset_class = CrisisFilter
    scope_actions = {"acknowledge": "acknowledge", "close": "acknowledge"}

    @extend_schema(summary=_("Acknowledge a crisis case (stops its deadline)"), request=AcknowledgeSerializer,
                   responses={200: CrisisCaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def acknowledge(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = _validated(AcknowledgeSerializer, request.data)
        try:
            case = services.acknowledge(case, request.user, data["action_taken"])
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(case)

    @extend_schema(summary=_("Close a crisis case with its outcome"), request=CloseCaseSerializer,
                   responses={200: CrisisCaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def close(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = _validated(CloseCaseSerializer, request.data)
        try:
            case = services.close(case, request.user, data["outcome"])
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(case)


# --- counselling sessions ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Counselling sessions of your subtree (counsellors)")),
    retrieve=extend_schema(summary=_("One counselling session")),
    create=extend_schema(summary=_("Record a counselling session"), request=SessionCreateSerializer,
                         responses={201: CounsellingSessionSerializer, 404: NOT_YOURS}),
)
class CounsellingSessionViewSet(CareViewSet):
    queryset = CounsellingSession.objects.select_related("household", "member", "counsellor").order_by("-id")
    serializer_class = CounsellingSessionSerializer

    def create(self, request, *args, **kwargs):
        self.require("care.add_counsellingsession")
        data = _validated(SessionCreateSerializer, request.data)
        household = self.household(data["household"])
        member = None
        if data.get("member") is not None:
            member = Member.objects.restrict(request.user, "view").filter(pk=data["member"]).first()
            if member is None:
                raise ApiValidationError({"member": [str(_("Choose a member of this household."))]})
        try:
            session = services.record_session(household, request.user, kind=data["kind"], held_on=data["held_on"],
                                              member=member, notes=data.get("notes", ""),
                                              next_step=data.get("next_step", ""))
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return self.fresh(session, status.HTTP_201_CREATED)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("care-plans", CarePlanViewSet, basename="careplan")
    router.register("screenings", ScreeningViewSet, basename="screening")
    router.register("crisis-cases", CrisisCaseViewSet, basename="crisiscase")
    router.register("counselling-sessions", CounsellingSessionViewSet, basename="counsellingsession")
