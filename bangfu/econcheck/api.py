"""REST API of bangfu.econcheck (registered on the router in bangfu/api/urls.py):

    GET/POST  /api/v1/check-requests/                requests of your union's subtree / make one (create_request)
    GET       /api/v1/check-requests/{id}/           one request with its persons (masked)
    POST      /api/v1/check-requests/{id}/send/      the request as JSON for the centre's system (full ID numbers;
                                                     audited; a draft becomes sent) — send_request
    POST      /api/v1/check-requests/{id}/file/      the encrypted request file ({"file_type": "csv"|"xlsx"}) with
                                                     its one-time password (audited; a draft becomes sent — so a
                                                     POST, never a GET)
    POST      /api/v1/check-requests/{id}/cancel/    cancel a request without results
    POST      /api/v1/check-requests/{id}/results/   upload the centre's result file (multipart) — import_results
    GET       /api/v1/check-results/                 results of the households you may see (?household=, ?request=)
    GET       /api/v1/check-results/{id}/            one result

Scoped through `ScopedViewSetMixin`: another union's request, result or household is a 404 (in a body: "not among
those you may see", never named). Writes go through `bangfu.econcheck.services`, the functions the pages call;
their field errors are the 400 body, with nothing saved.
"""

from __future__ import annotations

import base64

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from bangfu import audit
from bangfu.api.base import ScopedViewSetMixin
from bangfu.econcheck import resultfile, services
from bangfu.econcheck.models import CheckItem, CheckRequest, CheckRequestItem, CheckResult
from bangfu.econcheck.requestfile import FORMATS
from bangfu.funds.money import to_yuan

MAX_ID = 2**63 - 1


def _errors(error: DjangoValidationError) -> ApiValidationError:
    if hasattr(error, "error_dict"):
        return ApiValidationError({("non_field_errors" if key == "__all__" else key): messages
                                   for key, messages in error.message_dict.items()})
    return ApiValidationError({"non_field_errors": error.messages})


def _yuan(fen) -> str | None:
    return None if fen is None else str(to_yuan(fen))


# --- serializers ---------------------------------------------------------------------------------------------


class CheckRequestItemSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    answered = serializers.SerializerMethodField(help_text=_("Whether the centre's result was imported."))

    class Meta:
        model = CheckRequestItem
        fields = ["seq", "reference", "household", "archive_number", "name_masked", "identity_masked", "relation",
                  "consent_signed_on", "answered"]
        read_only_fields = fields

    def get_answered(self, item) -> bool:
        return hasattr(item, "result")


class CheckRequestSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    state = serializers.CharField(read_only=True, help_text=_(
        "draft, sent, partly (results partly received), received, cancelled"))
    sent_via = serializers.CharField(read_only=True, help_text=_("file or api (empty while a draft)"))
    items_checked = serializers.ListField(child=serializers.CharField(), read_only=True)
    persons = serializers.IntegerField(read_only=True)
    answered = serializers.IntegerField(read_only=True)

    class Meta:
        model = CheckRequest
        fields = ["id", "number", "org", "org_name", "state", "items_checked", "note", "created_at", "sent_at",
                  "sent_via", "file_sha256", "export_count", "cancelled_at", "cancel_reason", "persons", "answered"]
        read_only_fields = fields


class CheckRequestDetailSerializer(CheckRequestSerializer):
    items = CheckRequestItemSerializer(many=True, read_only=True)

    class Meta(CheckRequestSerializer.Meta):
        fields = [*CheckRequestSerializer.Meta.fields, "items"]
        read_only_fields = fields


class FlatListField(serializers.ListField):
    """A list whose element errors are one flat list of messages (the API's error body has no nesting)."""

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except ApiValidationError as error:
            detail = error.detail
            if isinstance(detail, dict):
                raise ApiValidationError([f"[{index}] {message}" for index, messages in detail.items()
                                          for message in (messages if isinstance(messages, list) else [messages])])
            raise


class CheckCreateSerializer(serializers.Serializer):
    households = FlatListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1,
        max_length=services.requests.MAX_HOUSEHOLDS,
        help_text=_("Ids of households you may see, with the economic-check authorisation in force."))
    items = FlatListField(child=serializers.ChoiceField(choices=CheckItem.choices), required=False,
                                  min_length=1, help_text=_("What the centre checks; all items when left out."))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CheckCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class CheckPersonSerializer(serializers.Serializer):
    reference = serializers.CharField()
    household = serializers.CharField(help_text=_("Archive number"))
    name = serializers.CharField()
    document_type = serializers.CharField()
    id_number = serializers.CharField(help_text=_("The full ID number: sensitive."))
    relation = serializers.CharField()
    authorisation_signed_on = serializers.DateField()


class CheckPayloadSerializer(serializers.Serializer):
    request = serializers.CharField()
    union = serializers.CharField()
    union_code = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    table_sha256 = serializers.CharField()
    persons = CheckPersonSerializer(many=True)
    receipt = serializers.CharField(help_text=_("The centre connection's receipt (empty without a connection)."))


class CheckRequestFileSerializer(serializers.Serializer):
    number = serializers.CharField()
    file_name = serializers.CharField()
    content_base64 = serializers.CharField(help_text=_("The encrypted ZIP, base64."))
    password = serializers.CharField(help_text=_("One-time password of the ZIP; never stored."))
    sha256 = serializers.CharField()
    table_sha256 = serializers.CharField()
    count = serializers.IntegerField()
    first = serializers.BooleanField(help_text=_("This export sent the request (it was a draft)."))


class CheckFileRequestSerializer(serializers.Serializer):
    # Not "format": DRF reads ?format= as the answer's renderer.
    file_type = serializers.ChoiceField(choices=[(f, f) for f in FORMATS], required=False, default="csv",
                                        help_text=_("csv (UTF-8 with BOM) or xlsx; csv when left out."))


class CheckResultFileSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text=_("CSV or XLSX in the result-file template."))


class CheckResultImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(source="request_id")
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    rows = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    request_state = serializers.CharField(source="request.state")


class CheckResultSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    request_number = serializers.CharField(source="request.number", read_only=True)
    reference = serializers.CharField(source="item.reference", read_only=True)
    name_masked = serializers.CharField(source="item.name_masked", read_only=True)
    identity_masked = serializers.CharField(source="item.identity_masked", read_only=True)
    social_insurance_base = serializers.SerializerMethodField(help_text=_("Yuan a month."))
    housing_fund_base = serializers.SerializerMethodField(help_text=_("Yuan a month."))
    deposits = serializers.SerializerMethodField(help_text=_("Yuan."))
    tax_income = serializers.SerializerMethodField(help_text=_("Yuan."))

    class Meta:
        model = CheckResult
        fields = ["id", "household", "archive_number", "request", "request_number", "reference", "name_masked",
                  "identity_masked", "checked_on", "on_minimum_living_roster", "roster_since",
                  "social_insurance_base", "housing_fund_base", "homes", "non_residential", "vehicles", "businesses",
                  "business_employees", "deposits", "tax_income", "remarks", "created_at"]
        read_only_fields = fields

    def get_social_insurance_base(self, result) -> str | None:
        return _yuan(result.social_insurance_base_fen)

    def get_housing_fund_base(self, result) -> str | None:
        return _yuan(result.housing_fund_base_fen)

    def get_deposits(self, result) -> str | None:
        return _yuan(result.deposits_fen)

    def get_tax_income(self, result) -> str | None:
        return _yuan(result.tax_income_fen)


# --- viewsets --------------------------------------------------------------------------------------------------


class CheckRequestFilter(filters.FilterSet):
    state = filters.CharFilter(field_name="state", max_length=12, label=_("state"))

    class Meta:
        model = CheckRequest
        fields = ["state"]


@extend_schema_view(
    list=extend_schema(summary=_("Economic-check requests of your union's subtree")),
    retrieve=extend_schema(summary=_("One economic-check request with its persons (masked)"),
                           responses={200: CheckRequestDetailSerializer}),
    create=extend_schema(summary=_("Make an economic-check request for authorised households"),
                         request=CheckCreateSerializer, responses={201: CheckRequestDetailSerializer}),
)
class CheckRequestViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    queryset = (CheckRequest.objects.select_related("org")
                .annotate(persons=Count("items", distinct=True), answered=Count("results", distinct=True))
                .order_by("-created_at", "-id"))
    serializer_class = CheckRequestSerializer
    filterset_class = CheckRequestFilter
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "head", "options"]
    scope_actions = {"send": "add", "file": "add", "cancel": "change", "results": "change"}

    def _detail(self, pk) -> dict:
        items = CheckRequestItem.objects.select_related("household", "result").order_by("seq")
        check_request = type(self).queryset.prefetch_related(Prefetch("items", queryset=items)).get(pk=pk)
        return CheckRequestDetailSerializer(check_request).data

    def retrieve(self, request, *args, **kwargs):
        check_request = self.get_object()
        audit.log_access(request, "view", obj=check_request, what="api_detail")
        return Response(self._detail(check_request.pk))

    def create(self, request, *args, **kwargs):
        if not request.user.has_role_permission("econcheck.add_checkrequest"):
            raise NotFound()
        serializer = CheckCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            created = services.create_request(request.user, household_ids=data["households"],
                                              items=data.get("items"), note=data.get("note", ""))
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(self._detail(created.pk), status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Send the request to the check centre's system"), description=_(
        "Returns the request as JSON with the full ID numbers (the same content as the request file) and hands it "
        "to the configured centre connection. Written to the access log; a draft becomes sent."),
        request=None, responses={200: CheckPayloadSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def send(self, request, pk=None, **kwargs):
        check_request = self.get_object()
        try:
            payload, receipt = services.send_request(check_request, actor=request.user)
        except DjangoValidationError as error:
            raise _errors(error) from None
        response = Response({**payload, "receipt": receipt})
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(summary=_("The encrypted request file"), description=_(
        "The request file (CSV or XLSX, see the request page) in a ZIP encrypted with AES-256 under a new one-time "
        "password returned once in this answer. Written to the access log; the first export sends a draft (so "
        "this is a POST). Refused (400) when a household's authorisation was withdrawn or its archive closed "
        "since the request was made."),
        request=CheckFileRequestSerializer, responses={200: CheckRequestFileSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def file(self, request, pk=None, **kwargs):
        check_request = self.get_object()
        body = CheckFileRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            file, first = services.export_request_file(check_request, actor=request.user,
                                                       fmt=body.validated_data["file_type"])
        except DjangoValidationError as error:
            raise _errors(error) from None
        response = Response({
            "number": check_request.number, "file_name": file.zip_name,
            "content_base64": base64.b64encode(file.content).decode("ascii"), "password": file.password,
            "sha256": file.sha256, "table_sha256": file.table_sha256, "count": file.count, "first": first})
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(summary=_("Cancel a request that has no results"), request=CheckCancelSerializer,
                   responses={200: CheckRequestDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None, **kwargs):
        check_request = self.get_object()
        serializer = CheckCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.cancel_request(check_request, actor=request.user, reason=serializer.validated_data["reason"])
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(self._detail(check_request.pk))

    @extend_schema(summary=_("Upload the check centre's result file"), description=_(
        "CSV (UTF-8 or GBK) or XLSX in the result-file template. The whole file is checked first; any problem "
        "refuses it with every problem and its row number, and nothing is stored."),
        request={"multipart/form-data": CheckResultFileSerializer}, responses={201: CheckResultImportSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser], filter_backends=[],
            pagination_class=None)
    def results(self, request, pk=None, **kwargs):
        check_request = self.get_object()
        serializer = CheckResultFileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        uploaded = serializer.validated_data["file"]
        try:
            imported = services.import_results(check_request, data=uploaded.read(resultfile.MAX_BYTES + 1),
                                               name=uploaded.name, actor=request.user)
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(CheckResultImportSerializer(imported).data, status=status.HTTP_201_CREATED)


class CheckResultFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=MAX_ID,
                                     label=_("household id"))
    request = filters.NumberFilter(field_name="request_id", min_value=1, max_value=MAX_ID, label=_("request id"))

    class Meta:
        model = CheckResult
        fields = ["household", "request"]


@extend_schema_view(
    list=extend_schema(summary=_("Economic-check results of the households you may see")),
    retrieve=extend_schema(summary=_("One economic-check result")),
)
class CheckResultViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CheckResult.objects.select_related("household", "request", "item").order_by("household_id",
                                                                                            "-checked_on", "id")
    serializer_class = CheckResultSerializer
    filterset_class = CheckResultFilter

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = len(response.data.get("results", ())) if isinstance(response.data, dict) else len(response.data)
        audit.log_access(request, "view", object_type="econcheck.checkresult", rows=rows, what="api_list")
        return response

    def retrieve(self, request, *args, **kwargs):
        result = self.get_object()
        audit.log_access(request, "view", obj=result, what="api_detail")
        return Response(self.get_serializer(result).data)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("check-requests", CheckRequestViewSet, basename="checkrequest")
    router.register("check-results", CheckResultViewSet, basename="checkresult")
