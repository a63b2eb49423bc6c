"""REST API of bangfu.crosscheck (registered on the router in bangfu/api/urls.py):

    GET        /api/v1/data-sources/                  the sources and their schemas (reference data)
    POST       /api/v1/data-sets/                     push a data set: JSON rows or a multipart file → a snapshot
    GET        /api/v1/snapshots/[{id}/]              snapshots of your unions
    GET/POST   /api/v1/check-runs/[{id}/]             start a run of your union's subtree / its status
    GET        /api/v1/findings/[{id}/]               findings of your unions, with their (masked) evidence
    POST       /api/v1/findings/{id}/confirm|dismiss/ resolve with a reason

Scoped through `ScopedViewSetMixin`; writes through `bangfu.crosscheck.services` (the pages' functions), whose
field errors are the 400 body with nothing saved; another union's object is a 404.
"""

from __future__ import annotations

import os
import tempfile

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from bangfu import audit
from bangfu.api.base import ScopedViewSetMixin
from bangfu.crosscheck import limits
from bangfu.crosscheck.evidence import public_evidence
from bangfu.crosscheck.models import CheckRun, DataSource, Finding, FindingState, Severity, Snapshot
from bangfu.crosscheck.reader import FileProblem
from bangfu.crosscheck.services import finding_confirm, finding_dismiss, snapshot_load, snapshot_push, start_run

MAX_ROWS = 100_000  # a JSON push; larger data sets come as a file


def _errors(error: DjangoValidationError) -> ApiValidationError:
    if hasattr(error, "error_dict"):
        return ApiValidationError({("non_field_errors" if key == "__all__" else key): messages
                                   for key, messages in error.message_dict.items()})
    return ApiValidationError({"non_field_errors": error.messages})


class DataSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataSource
        fields = ["id", "code", "name", "name_en", "department", "kind", "columns", "enabled"]
        read_only_fields = fields


class SnapshotSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Snapshot
        fields = ["id", "source", "org", "version", "as_of", "channel", "file_name", "file_sha256", "state",
                  "is_latest", "rows_read", "rows_matched", "rows_discarded", "rows_rejected", "rejected_rows",
                  "loaded_at", "seconds"]
        read_only_fields = fields


class PushSerializer(serializers.Serializer):
    source = serializers.SlugRelatedField(slug_field="code", queryset=DataSource.objects.filter(enabled=True),
                                          help_text=_("Code of the data source, e.g. dibao_roster."))
    as_of = serializers.DateField(help_text=_("The date the data are as of."))
    rows = serializers.JSONField(required=False, help_text=_(
        "Rows as a list of objects: column key or header → value (at most 100,000)."))
    file = serializers.FileField(required=False, allow_empty_file=True,
                                 help_text=_("Or a CSV (UTF-8/GBK) or .xlsx file (multipart)."))

    def validate_rows(self, value):
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise serializers.ValidationError(_("Send the rows as a list of objects (column → value)."))
        if len(value) > MAX_ROWS:
            raise serializers.ValidationError(_("At most 100,000 rows per push; send a larger data set as a file."))
        return value

    def validate_file(self, value):
        try:
            limits.check_size(value.size)
        except FileProblem as problem:
            raise serializers.ValidationError(str(problem)) from None
        return value

    def validate(self, attrs):
        if ("rows" in attrs) == ("file" in attrs):
            raise serializers.ValidationError({"rows": [_("Send either rows or a file.")]})
        return attrs


class CheckRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckRun
        fields = ["id", "org", "on", "state", "created_at", "started_at", "finished_at", "rules_done",
                  "findings_opened", "automatic_actions", "households_checked", "households_unauthorised"]
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    archive_number = serializers.CharField(source="household.archive_number", read_only=True)
    rule_version = serializers.IntegerField(source="rule.version", read_only=True)
    rule_title = serializers.CharField(source="rule.title", read_only=True)
    evidence = serializers.SerializerMethodField(help_text=_("Source, snapshot and matched values (masked)."))

    class Meta:
        model = Finding
        fields = ["id", "household", "archive_number", "member", "rule_code", "rule_version", "rule_title",
                  "severity", "action", "state", "evidence", "snapshot", "run", "opened_at", "resolved_by",
                  "resolved_at", "reason", "automatic", "action_result"]
        read_only_fields = fields

    def get_evidence(self, finding) -> dict:
        return public_evidence(finding, self.context["request"].user)


class FindingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Why you confirm or dismiss."))


@extend_schema_view(list=extend_schema(summary=_("Government data sources and their schemas")),
                    retrieve=extend_schema(summary=_("One data source")))
class DataSourceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = DataSource.objects.order_by("code")
    serializer_class = DataSourceSerializer


@extend_schema_view(list=extend_schema(summary=_("Data sets pushed through the API by your unions")))
class DataSetViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Push a data set (the snapshot is scoped to the pushing user's union); GET lists the pushed ones."""

    queryset = Snapshot.objects.filter(channel="api").select_related("source").order_by("-loaded_at", "-id")
    serializer_class = SnapshotSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(summary=_("Push a government data set (JSON rows or a file)"), request=PushSerializer,
                   responses={201: SnapshotSerializer})
    def create(self, request, *args, **kwargs):
        user = request.user
        if not user.has_role_permission("crosscheck.add_snapshot") or not user.org_id:
            raise NotFound()
        serializer = PushSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if "rows" in data:
                snapshot = snapshot_push(user, user.org, data["source"], rows=data["rows"], as_of=data["as_of"])
            else:
                upload = data["file"]
                handle, path = tempfile.mkstemp(prefix="crosscheck-", suffix=".upload")
                try:
                    with os.fdopen(handle, "wb") as out:
                        for chunk in upload.chunks():
                            out.write(chunk)
                    snapshot = snapshot_load(user, user.org, data["source"], path=path, channel="api",
                                             file_name=os.path.basename(upload.name or "upload.csv"),
                                             as_of=data["as_of"])
                finally:
                    os.unlink(path)
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(SnapshotSerializer(snapshot).data, status=status.HTTP_201_CREATED)


class SnapshotFilter(filters.FilterSet):
    source = filters.CharFilter(field_name="source__code", label=_("source code"))

    class Meta:
        model = Snapshot
        fields = ["source"]


@extend_schema_view(list=extend_schema(summary=_("Snapshots of your unions")),
                    retrieve=extend_schema(summary=_("One snapshot")))
class SnapshotViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Snapshot.objects.select_related("source").order_by("-loaded_at", "-id")
    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilter


@extend_schema_view(list=extend_schema(summary=_("Check runs of your unions")),
                    retrieve=extend_schema(summary=_("One check run (status)")),
                    create=extend_schema(summary=_("Start a check run of your union's subtree"), request=None,
                                         responses={201: CheckRunSerializer, 409: OpenApiResponse(
                                             description=_("Another run of your union is queued or running."))}))
class CheckRunViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = CheckRun.objects.order_by("-created_at", "-id")
    serializer_class = CheckRunSerializer
    parser_classes = [JSONParser]

    def create(self, request, *args, **kwargs):
        user = request.user
        if not user.has_role_permission("crosscheck.add_checkrun") or not user.org_id:
            raise NotFound()
        try:
            with transaction.atomic():
                run = start_run(user, user.org)
        except DjangoValidationError as error:
            # another run of the union is queued or running: a conflict with the current state, not bad input
            return Response({"non_field_errors": error.messages}, status=status.HTTP_409_CONFLICT)
        run.refresh_from_db()
        return Response(CheckRunSerializer(run).data, status=status.HTTP_201_CREATED)


class FindingFilter(filters.FilterSet):
    rule = filters.CharFilter(field_name="rule_code", label=_("rule code"))
    severity = filters.ChoiceFilter(choices=Severity.choices)
    state = filters.ChoiceFilter(choices=FindingState.choices)
    household = filters.NumberFilter(field_name="household_id", min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Finding
        fields = ["rule", "severity", "state", "household"]


@extend_schema_view(list=extend_schema(summary=_("Findings of your unions")),
                    retrieve=extend_schema(summary=_("One finding with its evidence")))
class FindingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Finding.objects.select_related("household", "rule").order_by("-opened_at", "-id")
    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    parser_classes = [JSONParser]
    scope_actions = {"confirm": "change", "dismiss": "change"}

    def retrieve(self, request, *args, **kwargs):
        finding = self.get_object()
        audit.log_access(request, "view", obj=finding, what="api_detail")
        return Response(self.get_serializer(finding).data)

    def _resolve(self, request, function):
        finding = self.get_object()
        serializer = FindingReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            finding = function(request.user, finding, reason=serializer.validated_data["reason"])
        except DjangoValidationError as error:
            raise _errors(error) from None
        return Response(self.get_serializer(type(self).queryset.get(pk=finding.pk)).data)

    @extend_schema(summary=_("Confirm a finding (its action is taken)"), request=FindingReasonSerializer,
                   responses={200: FindingSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def confirm(self, request, pk=None, **kwargs):
        return self._resolve(request, finding_confirm)

    @extend_schema(summary=_("Dismiss a finding (the reason is recorded)"), request=FindingReasonSerializer,
                   responses={200: FindingSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def dismiss(self, request, pk=None, **kwargs):
        return self._resolve(request, finding_dismiss)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("data-sources", DataSourceViewSet, basename="datasource")
    router.register("data-sets", DataSetViewSet, basename="dataset")
    router.register("snapshots", SnapshotViewSet, basename="snapshot")
    router.register("check-runs", CheckRunViewSet, basename="checkrun")
    router.register("findings", FindingViewSet, basename="finding")
