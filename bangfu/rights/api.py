"""REST API of bangfu.rights (registered on the router in bangfu/api/urls.py):

    GET/POST   /api/v1/rights-cases/              cases of the households you may see / open one (open_case)
    GET/PATCH  /api/v1/rights-cases/{id}/         one case / change its facts, handler or state (update_case)
    POST       /api/v1/rights-cases/{id}/close/   close it with its outcome (close_case)
    POST       /api/v1/rights-cases/{id}/reopen/  take a closed case up again (reopen_case)

Scoped through `ScopedViewSetMixin` (the household's union subtree; another union's case is a 404, as is
any case for a role that may not see rights cases); writes through `bangfu.rights.services`, the same
functions the pages call, whose field errors are the API's 400 body with nothing saved.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from bangfu import audit
from bangfu.accounts.models import User
from bangfu.api.base import ScopedViewSetMixin, api_errors, non_field
from bangfu.core.scoping import assert_in_scope
from bangfu.registry.models import Household
from bangfu.rights.models import OPEN_CASE_STATES, CaseKind, CaseOutcome, CaseState, CaseTopic, RightsCase
from bangfu.rights.services import choose_a_handler, close_case, open_case, reopen_case, update_case

MAX_ID = 2**63 - 1  # a bigger id is a 400 (SQLite cannot even bind it), not a 500


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- serializers ---------------------------------------------------------------------------------------------


class RightsCaseSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    head_name_masked = serializers.CharField(source="household.head_name_masked", read_only=True,
                                             help_text=_("Surname + asterisks."))
    handled_by_name = serializers.SerializerMethodField(help_text=_("The handler's name (staff)."))

    class Meta:
        model = RightsCase
        fields = ["id", "household", "archive_number", "head_name_masked", "kind", "topic", "summary", "opened_on",
                  "state", "handled_by", "handled_by_name", "counterpart", "outcome", "outcome_note", "closed_on",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_handled_by_name(self, case) -> str:
        return str(case.handled_by) if case.handled_by_id else ""


class CaseWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    topic = serializers.ChoiceField(choices=CaseTopic.choices)
    summary = serializers.CharField(max_length=4000, help_text=_("What the case is about."))
    opened_on = serializers.DateField(help_text=_("Not in the future, not before the household is on record."))
    handled_by = _id(required=False, allow_null=True, help_text=_(
        "User id of the handler: staff of the household's union or a union above it."))
    counterpart = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text=_("The employer or other party."))


class CaseCreateSerializer(CaseWriteSerializer):
    household = _id(help_text=_("Id of a household you may see."))


class CaseUpdateSerializer(CaseWriteSerializer):
    state = serializers.ChoiceField(choices=[(s, CaseState(s).label) for s in OPEN_CASE_STATES], help_text=_(
        "Open or in progress; a case is closed with POST …/close/."))


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CaseOutcome.choices)
    closed_on = serializers.DateField(help_text=_("Not in the future, not before the case was opened."))
    outcome_note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


def _validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _handler(data: dict):
    """The handler named by id (None for none); an unknown id gets the service's one message for "not a
    possible handler" (it says nothing about users of other unions)."""
    if "handled_by" not in data:
        return None
    pk = data.pop("handled_by")
    if pk is None:
        return None
    user = User.objects.select_related("org").filter(pk=pk).first()
    if user is None:
        raise ApiValidationError({"handled_by": [choose_a_handler()]})
    return user


# --- the viewset -----------------------------------------------------------------------------------------------


class RightsCaseFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))
    state = filters.ChoiceFilter(choices=CaseState.choices, label=_("state"))
    kind = filters.ChoiceFilter(choices=CaseKind.choices, label=_("kind"))
    topic = filters.ChoiceFilter(choices=CaseTopic.choices, label=_("topic"))
    open = filters.BooleanFilter(method="filter_open", label=_("open or in progress only"))

    class Meta:
        model = RightsCase
        fields = ["household", "state", "kind", "topic", "open"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(state__in=OPEN_CASE_STATES)


@extend_schema_view(
    list=extend_schema(summary=_("Rights cases of the households you may see")),
    retrieve=extend_schema(summary=_("One rights case")),
    create=extend_schema(summary=_("Open a rights case for a household"), request=CaseCreateSerializer,
                         responses={201: RightsCaseSerializer}),
    partial_update=extend_schema(summary=_("Change an open rights case"), request=CaseUpdateSerializer,
                                 responses={200: RightsCaseSerializer}),
)
class RightsCaseViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    queryset = RightsCase.objects.select_related("household", "handled_by").order_by("-opened_on", "-id")
    parser_classes = [JSONParser]  # JSON bodies only (a malformed multipart body would be a 415)
    serializer_class = RightsCaseSerializer
    filterset_class = RightsCaseFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    scope_actions = {"close": "change", "reopen": "change"}

    def _fresh(self, case) -> dict:
        return RightsCaseSerializer(type(self).queryset.get(pk=case.pk)).data

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = len(response.data.get("results", ())) if isinstance(response.data, dict) else len(response.data)
        audit.log_access(request, "view", object_type="rights.rightscase", rows=rows, what="api_list")
        return response

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        audit.log_access(request, "view", obj=case, what="api_detail")
        return Response(self.get_serializer(case).data)

    def create(self, request, *args, **kwargs):
        if not request.user.has_role_permission("rights.add_rightscase"):
            raise NotFound()
        data = _validated(CaseCreateSerializer, request.data)
        household = (Household.objects.restrict(request.user, "view").select_related("org")
                     .filter(pk=data.pop("household")).first())
        if household is None:
            raise ApiValidationError({"household": [str(_("No such household among those you may see."))]})
        data["handled_by"] = _handler(data)
        try:
            with transaction.atomic():
                case = open_case(request.user, household, **data)
                assert_in_scope(case, request.user, "view")
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(self._fresh(case), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()  # scoped with "change"
        data = _validated(CaseUpdateSerializer, request.data, partial=True)
        if "handled_by" in data:
            data["handled_by"] = _handler(data)
        try:
            case = update_case(request.user, case, **data)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(self._fresh(case))

    @extend_schema(summary=_("Close a rights case with its outcome"), request=CloseSerializer,
                   responses={200: RightsCaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def close(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = _validated(CloseSerializer, request.data)
        try:
            case = close_case(request.user, case, **data)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(self._fresh(case))

    @extend_schema(summary=_("Reopen a closed rights case"), request=ReopenSerializer,
                   responses={200: RightsCaseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reopen(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = _validated(ReopenSerializer, request.data)
        try:
            case = reopen_case(request.user, case, **data)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(self._fresh(case))


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("rights-cases", RightsCaseViewSet, basename="rightscase")
