"""REST API of bangfu.imports (registered on the router in bangfu/api/urls.py):

    GET/POST  /api/v1/import-jobs/               jobs of your union's subtree / upload a file (multipart: file,
                                                 mode, dry_run) → 201, the job runs as a background task
    GET       /api/v1/import-jobs/{id}/          state, progress percent, counts, preview of the first rows (masked)
    GET       /api/v1/import-jobs/{id}/report/   the report (.xlsx: row, column, value, what is wrong)
    POST      /api/v1/import-jobs/{id}/cancel/   ask a queued or running job to stop (it rolls back)
    POST      /api/v1/import-jobs/{id}/rerun/    run again a job whose worker died (stale) or that failed on an error,
                                                 while its file is kept (BANGFU_IMPORT_KEEP_HOURS after the failure)

Scoped through `ScopedViewSetMixin` (the uploading union's subtree; another union's job is a 404); writes through
`bangfu.imports.services`, the functions the pages call, whose field errors are the 400 body with nothing saved.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from bangfu import audit
from bangfu.api.base import ScopedViewSetMixin, api_errors, non_field
from bangfu.imports import services
from bangfu.imports.models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Row number in the file (as Excel numbers it)."))
    head = serializers.BooleanField(help_text=_("The head's row."))
    name = serializers.CharField(help_text=_("Name, masked (surname and one * per other character)."))
    identity = serializers.CharField(help_text=_("Identity number, masked (first 6 and last 4)."))
    relation = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.CharField()
    work_status = serializers.CharField()
    health = serializers.CharField()
    income = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField())


class ImportJobSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    stale = serializers.SerializerMethodField(help_text=_(
        "The job is running but its worker has shown no sign of life for a while: it died; POST …/rerun/."))
    can_rerun = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True, help_text=_("Progress, 0-100."))
    preview = PreviewRowSerializer(many=True, read_only=True, help_text=_(
        "The first rows as the importer understood them (identity numbers masked), with their problems."))
    report_available = serializers.SerializerMethodField(help_text=_("GET …/report/ gives the Excel report."))
    org_name = serializers.CharField(source="org.name", read_only=True)
    file_sha256 = serializers.CharField(read_only=True, help_text=_(
        "SHA-256 of the uploaded file: it is kept after the file itself is deleted."))
    file_deleted_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text=_(
        "When the uploaded file was deleted (after the import, or after the retention period of a failed one); "
        "null while it is kept."))

    class Meta:
        model = ImportJob
        fields = ["id", "org", "org_name", "original_name", "kind", "encoding", "size", "mode", "dry_run", "state",
                  "state_label", "stale", "can_rerun", "cancel_requested", "percent", "rows_total", "rows_read",
                  "rows_rejected", "households_created", "households_changed", "households_unchanged",
                  "households_rejected", "members_created", "issues_count", "error", "preview", "report_available",
                  "attempts", "created_at", "started_at", "finished_at", "heartbeat_at", "file_sha256",
                  "file_deleted_at"]
        read_only_fields = fields

    def get_stale(self, job) -> bool:
        return job.state == ImportJob.State.RUNNING and services.is_stale(job)

    def get_can_rerun(self, job) -> bool:
        return services.can_rerun(job)

    def get_report_available(self, job) -> bool:
        return bool(job.report_file)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text=_(
        "The filled-in template: .xlsx or CSV (UTF-8 or GBK)."))
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.ALL_OR_NOTHING)
    dry_run = serializers.BooleanField(default=False, help_text=_("Check and preview only, import nothing."))


class ImportJobFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=ImportJob.State.choices, label=_("state"))

    class Meta:
        model = ImportJob
        fields = ["state"]


@extend_schema_view(
    list=extend_schema(summary=_("Import jobs of your union and the unions below it")),
    retrieve=extend_schema(summary=_("One import job: state, progress, counts, preview")),
)
class ImportJobViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    queryset = ImportJob.objects.select_related("org").order_by("-id")
    serializer_class = ImportJobSerializer
    filterset_class = ImportJobFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    scope_actions = {"report": "view", "cancel": "change", "rerun": "change"}

    @extend_schema(summary=_("Upload a file to import (multipart); the job runs in the background"),
                   request={"multipart/form-data": UploadSerializer}, responses={201: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        user = request.user
        if not user.has_role_permission("imports.add_importjob") or not user.org_id:
            raise NotFound()
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            job = services.import_job_create(user, data["file"], mode=data["mode"], dry_run=data["dry_run"])
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        job = self.get_object()
        return Response(self.get_serializer(job).data)

    @extend_schema(summary=_("The report of a job (Excel): row, column, value, what is wrong"),
                   responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description=_("The .xlsx file.")),
                              404: OpenApiResponse(description=_("No such job, or no report yet."))})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def report(self, request, pk=None, **kwargs):
        job = self.get_object()
        path = Path(settings.MEDIA_ROOT) / job.report_file if job.report_file else None
        if path is None or not path.is_file():
            raise NotFound(_("This job has no report yet."))
        audit.log_access(request, "export", obj=job, what="import_report")
        return FileResponse(open(path, "rb"), as_attachment=True, filename=f"import-{job.pk}-report.xlsx",  # noqa: SIM115
                            content_type=XLSX)

    @extend_schema(summary=_("Cancel a queued or running import (nothing of it is kept)"), request=None,
                   responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None, **kwargs):
        job = self.get_object()
        try:
            job = services.import_job_cancel(request.user, job)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(self.get_serializer(job).data)

    @extend_schema(summary=_("Run again an import whose worker died or that failed on an error"), request=None,
                   responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def rerun(self, request, pk=None, **kwargs):
        job = self.get_object()
        try:
            job = services.import_job_rerun(request.user, job)
        except DjangoValidationError as error:
            raise api_errors(error, rename=non_field) from None
        return Response(self.get_serializer(job).data)


def register(router) -> None:
    """Register this app's viewsets on the API router."""
    router.register("import-jobs", ImportJobViewSet, basename="importjob")
